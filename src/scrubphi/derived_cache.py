"""A per-user cache of data derived from the files scrubphi ships (word sets).

Why: the free-text redactor's vocabulary is built from a few megabytes of word
lists at every start (hundreds of thousands of words split, lower-cased and
combined into sets: about 0.4 s), which dominates a small dump's run and every
``scrubphi check``.  The result depends only on the shipped files and the code
that combines them, so it is stored once per user, in :mod:`marshal` form
(about 0.07 s to load), under a name that is the SHA-256 of those inputs and
the Python version: a changed list, a changed rule or another Python builds a
new entry, never reads a stale one.  The shipped lists enter the key by their
names, sizes and modification times (:func:`file_stamps`, as a ``.pyc`` is
keyed), not their 4 MB of bytes, so every install writes new entries; the
:data:`KEEP` newest of a name are kept.  The compiled scan's word table is a
*mapped* entry (:func:`read_mapped`): raw bytes behind a header with their
length and checksum, mapped read-only instead of read and unmarshalled.

What it holds is public word lists, the name -> sex table of the shipped
name list (:mod:`scrubphi.transforms.names`) and (:mod:`scrubphi.policy.tree_cache`)
the parsed trees of policy files whose top level is ``version`` and ``scrub`` and
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
import struct
import sys
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from scrubphi.fileutil import write_atomic

__all__ = ["KEEP", "cache_dir", "cached", "entry_path", "file_stamps", "prune", "read_entry",
           "read_mapped", "write_entry", "write_mapped"]

T = TypeVar("T")
#: Bumped when the entry layout changes.
_LAYOUT = b"scrubphi-derived-cache/1"
#: Entries of one name kept (the newest) when a new one is written: an entry keyed
#: by files' stamps is written anew by every install or checkout of the lists.
KEEP = 4
#: A mapped entry's header: magic, payload length, checksum of the payload, zeros
#: (32 bytes, so the payload starts 8-aligned in the map).
_MAPPED_HEAD = struct.Struct("<8sQQQ")
_MAPPED_MAGIC = b"SPDCMAP1"


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


def _trusted(st: os.stat_result) -> bool:
    """A regular file of this user's that no one else may write."""
    if not stat.S_ISREG(st.st_mode) or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False
    return not (hasattr(os, "getuid") and st.st_uid != os.getuid())


def _read_trusted(path: Path) -> bytes | None:
    """The entry's bytes if it is a regular file of this user's that no one else may
    write; None otherwise. Checked on the open file itself (no symlink followed), so
    the file read is the file checked."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        if not _trusted(os.fstat(fh.fileno())):
            return None
        return fh.read()


def read_mapped(path: Path, checksum: Callable[[Any], int] = zlib.crc32) -> memoryview | None:
    """The payload of the mapped entry at ``path``, mapped read-only (no copy), or None.

    The same trust checks as every entry, on the open file (no symlink followed);
    then the header: the magic, a payload length that is the file's size less the
    header (a truncated or grown file is refused), and ``checksum`` of the payload
    (a damaged byte is refused: zlib's CRC-32 finds every error burst of up to 32
    bits, the word table's ``buffer_checksum`` every change within one 8-byte
    word). No cryptographic hash: the checks above are what keep others' writes
    out, and an entry is only ever written whole through a temporary file and a
    rename (:func:`write_mapped`), so a reader's map never sees a file change
    under it: the user's own processes could edit it in place (as they could edit
    the installed package), none of ours does. Whatever reads the payload still
    checks its own layout (``WordTable`` checks every slot)."""
    import mmap

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not _trusted(st) or st.st_size < _MAPPED_HEAD.size:
            return None
        mapped = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)
    view = memoryview(mapped)
    magic, length, digest, zero = _MAPPED_HEAD.unpack_from(view)
    payload = view[_MAPPED_HEAD.size:]
    if magic != _MAPPED_MAGIC or length != len(payload) or zero or checksum(payload) != digest:
        payload.release()
        view.release()
        mapped.close()
        return None
    view.release()
    return payload


def write_mapped(path: Path, payload: bytes, keep: int = KEEP,
                 checksum: Callable[[Any], int] = zlib.crc32) -> None:
    """Store ``payload`` at ``path`` for :func:`read_mapped` (best effort, atomic), and
    keep the ``keep`` newest entries of its name."""
    head = _MAPPED_HEAD.pack(_MAPPED_MAGIC, len(payload), checksum(payload), 0)
    with contextlib.suppress(OSError, ValueError):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(path, head + payload, mode=0o600)
        prune(path, keep)


def prune(path: Path, keep: int = KEEP) -> None:
    """Remove all but the ``keep`` newest entries of ``path``'s name and suffix
    (``path`` itself is kept)."""
    name = path.name.partition("-")[0]
    with contextlib.suppress(OSError):
        entries = sorted((p for p in path.parent.glob(f"{name}-*{path.suffix}") if p != path),
                         key=lambda p: p.stat().st_mtime_ns)
        for old in entries[:max(len(entries) - (keep - 1), 0)]:
            old.unlink(missing_ok=True)


def file_stamps(folder: Path, suffix: str) -> bytes:
    """The names, sizes and modification times of ``folder``'s files ending in
    ``suffix``: a cache key for what is derived from them, as a ``.pyc`` is keyed
    by its source's size and time (an edit changes both; hashing the files' bytes
    at every start is what this saves)."""
    stamps = []
    with os.scandir(folder) as it:
        for entry in it:
            if entry.name.endswith(suffix) and entry.is_file():
                st = entry.stat()
                stamps.append(f"{entry.name}\0{st.st_size}\0{st.st_mtime_ns}")
    return "\n".join(sorted(stamps)).encode()


def entry_path(name: str, inputs: Iterable[bytes], suffix: str = ".marshal") -> Path | None:
    """Where the entry ``name`` for these ``inputs`` lives; None when caching is off."""
    folder = cache_dir()
    if folder is None:
        return None
    return folder / f"{name}-{_digest(name, inputs)}{suffix}"


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
    prune(path)
    return value
