"""A per-user cache of data derived from the files scrubphi ships (word sets).

Why: the free-text redactor's vocabulary is built from a few megabytes of word
lists at every start (hundreds of thousands of words split, lower-cased and
combined into sets: about 0.4 s), which dominates a small dump's run and every
``scrubphi check``.  The result depends only on the shipped files and the code
that combines them, so it is stored once per user, in :mod:`marshal` form
(about 0.07 s to load), under a name that is the SHA-256 of those inputs and
the Python version: a changed list, a changed rule or another Python builds a
new entry, never reads a stale one.

What it holds is public word lists and (:mod:`scrubphi.policy.tree_cache`) the
parsed trees of policy files whose top level is ``version`` and ``scrub`` and
that loaded without error, so a key in them is a reference, never the key;
never data of a dump.  Where it lives:
``$SCRUBPHI_CACHE_DIR``, else ``$XDG_CACHE_HOME/scrubphi``, else
``~/.cache/scrubphi``; ``SCRUBPHI_CACHE_DIR=off`` switches it off.  An entry
is read only when it is a regular file owned by the user and writable by no
one else (a word slipped into the safe list would let a name through);
anything unreadable, foreign or damaged is ignored and built again.  Writing
is best effort (a read-only home just means no cache), through a temporary
file and a rename, so concurrent runs never see half an entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import stat
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from scrubphi.fileutil import write_atomic

__all__ = ["cache_dir", "cached", "entry_path", "read_entry", "write_entry"]

T = TypeVar("T")
#: Bumped when the entry layout changes.
_LAYOUT = b"scrubphi-derived-cache/1"


def cache_dir() -> Path | None:
    """The cache folder, or None when caching is off."""
    env = os.environ.get("SCRUBPHI_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "no") else Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "scrubphi"
    home = os.environ.get("HOME")
    return Path(home) / ".cache" / "scrubphi" if home else None


def _digest(name: str, inputs: Iterable[bytes]) -> str:
    h = hashlib.sha256(_LAYOUT)
    h.update(f"{name}\0{sys.version_info[0]}.{sys.version_info[1]}\0{marshal.version}".encode())
    for part in inputs:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()[:32]


def _read_trusted(path: Path) -> bytes | None:
    """The entry's bytes if it is a regular file of this user's that no one else may
    write; None otherwise. Checked on the open file itself (no symlink followed), so
    the file read is the file checked."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return None
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            return None
        return fh.read()


def entry_path(name: str, inputs: Iterable[bytes]) -> Path | None:
    """Where the entry ``name`` for these ``inputs`` lives; None when caching is off."""
    folder = cache_dir()
    if folder is None:
        return None
    return folder / f"{name}-{_digest(name, inputs)}.marshal"


def read_entry(path: Path) -> Any:
    """The data stored at ``path`` (trusted and unmarshalled), or None."""
    data = _read_trusted(path)
    if data is None:
        return None
    try:
        return marshal.loads(data)
    except Exception:  # a damaged entry is rebuilt
        return None


def write_entry(path: Path, data: Any) -> None:
    """Store marshal-able ``data`` at ``path`` (best effort, atomic)."""
    with contextlib.suppress(OSError, ValueError):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(path, marshal.dumps(data), mode=0o600)


def cached(name: str, inputs: Iterable[bytes], build: Callable[[], T],
           dump: Callable[[T], Any], load: Callable[[Any], T]) -> T:
    """``build()``, or its result stored earlier for the same ``inputs``.

    ``dump`` turns the result into marshal-able data and ``load`` back; a
    ``load`` that raises (an entry of another shape) counts as a miss.
    """
    path = entry_path(name, inputs)
    if path is None:
        return build()
    data = read_entry(path)
    if data is not None:
        try:
            return load(data)
        except Exception:  # a foreign entry is rebuilt
            pass
    value = build()
    write_entry(path, dump(value))
    return value
