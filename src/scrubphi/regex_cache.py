"""Compiled regular expressions kept per user across runs (the redactor's large ones).

Why: the free-text redactor's patterns (the digit-led and label alternatives,
tries of street suffixes, and the subsets of them the compiled scan picks by a
number's shape) take Python's :mod:`re` 0.2-0.5 s to parse and compile at every
start. Every run that redacts a column pays it before its first row, while
``pg_dump`` waits on a full pipe, and so does every ``scrubphi check``. The
patterns the dump reader and the address blocks compile at import (``str`` and
``bytes``) cost another 15 ms of every run's start, so they come from here too. ``re``
cannot store a compiled pattern, but what its compiler produces (the SRE code,
a list of integers stored as their machine words' bytes, and the group names)
is plain data. Kept in the per-user
cache folder of :mod:`scrubphi.derived_cache` (same place, same trust checks:
a regular file of the user's that nobody else may write), a pattern is rebuilt
by ``_sre.compile`` in microseconds.

Safe by construction: the file is named by the Python version, SRE's
``MAGIC`` and the layout below, so another Python never reads it; it starts
with the SHA-256 of the rest, so a damaged or truncated file is ignored as a
whole; ``_sre`` validates the code it is given, and anything that fails (a
Python whose ``re`` internals differ) falls back to :func:`re.compile`. The
file holds pattern text written by the project, never data of a dump.

New patterns are added to the file when the process exits (atomic rename, so
concurrent runs never see half a file); the file is capped at
:data:`MAX_ENTRIES` patterns, the ones this process used kept and the others
dropped oldest first. (Until then a full file took no new pattern: once
upgrades had filled it with patterns of older versions, every changed pattern
was compiled afresh at every start, and each start still read and hashed the
stale ones.)
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import importlib
import marshal
import re
import sys
import threading
from array import array
from pathlib import Path
from typing import Any, AnyStr

from scrubphi.derived_cache import _read_trusted, cache_dir
from scrubphi.fileutil import write_atomic

__all__ = ["MAX_ENTRIES", "compile_cached", "stats"]

_sre: Any
_compiler: Any
_parser: Any
try:  # CPython's regular-expression engine and compiler (private, checked below)
    _sre = importlib.import_module("_sre")
    _compiler = importlib.import_module("re._compiler")
    _parser = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - another implementation: plain re.compile
    _sre = _compiler = _parser = None

#: /2: the code is stored as its machine words' bytes (a list of ints took marshal
#: 3 ms to read back for a file of ~180 patterns; bytes take a tenth of that).
_LAYOUT = b"scrubphi-regex-cache/2"
#: Most patterns kept in the file (the project's own patterns number a few dozen).
MAX_ENTRIES = 512

_Entry = tuple[str | bytes, int, bytes, int, dict[str, int], tuple[Any, ...]]
_lock = threading.Lock()
_store: dict[tuple[str | bytes, int], _Entry] | None = None
#: The patterns this process took from the cache or added to it, in order of first use.
_used: dict[tuple[str | bytes, int], None] = {}
_added = False
_hooked = False
_counts = {"hits": 0, "misses": 0}


def _usable() -> bool:
    return _sre is not None and sys.implementation.name == "cpython" and \
        hasattr(_compiler, "_code") and hasattr(_parser, "parse") and \
        getattr(_sre, "CODESIZE", None) == array("I").itemsize


def _build(entry: _Entry) -> re.Pattern[Any]:
    """The pattern an entry stands for (its SRE code stored as bytes, given to
    ``_sre.compile`` as the list of words it takes)."""
    code = memoryview(entry[2]).cast("I").tolist()
    return _sre.compile(entry[0], entry[1], code, *entry[3:])  # type: ignore[no-any-return]


def _path() -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    tag = hashlib.sha256(_LAYOUT + f"\0{sys.version}\0{_sre.MAGIC}\0{marshal.version}".encode())
    return folder / f"regex-{tag.hexdigest()[:24]}.marshal"


def _valid(entry: Any) -> bool:
    return (isinstance(entry, tuple) and len(entry) == 6 and isinstance(entry[0], (str, bytes))
            and isinstance(entry[1], int) and isinstance(entry[2], bytes)
            and len(entry[2]) % array("I").itemsize == 0
            and isinstance(entry[3], int) and isinstance(entry[4], dict)
            and isinstance(entry[5], tuple))


def _load() -> dict[tuple[str | bytes, int], _Entry]:
    global _store
    if _store is None:
        _store = {}
        path = _path()
        data = _read_trusted(path) if path is not None else None
        if data is not None and hashlib.sha256(data[32:]).digest() == data[:32]:
            with contextlib.suppress(Exception):  # an entry of another shape is rebuilt
                for flags, entry in marshal.loads(data[32:]):
                    if isinstance(flags, int) and _valid(entry):
                        _store[(entry[0], flags)] = entry
    return _store


def _entry(pattern: str | bytes, flags: int) -> _Entry:
    """What ``re._compiler.compile`` hands to ``_sre.compile``, as plain data."""
    parsed = _parser.parse(pattern, flags)
    code = array("I", _compiler._code(parsed, flags)).tobytes()
    groupindex = {str(k): int(v) for k, v in parsed.state.groupdict.items()}
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, i in groupindex.items():
        indexgroup[i] = name
    return (pattern, int(flags | parsed.state.flags), code, parsed.state.groups - 1,
            groupindex, tuple(indexgroup))


def compile_cached(pattern: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:
    """``re.compile(pattern, flags)``, from the per-user cache when it holds it.

    Use it for the project's own patterns only (not for policy text): the large
    ones, and those compiled at import on every run (a few milliseconds each
    module). ``str`` and ``bytes`` patterns alike.
    """
    global _added, _hooked
    if not _usable() or flags & re.DEBUG:
        return re.compile(pattern, flags)
    key = (pattern, int(flags))
    with _lock:
        store = _load()
        entry = store.get(key)
    if entry is not None:
        try:
            compiled: re.Pattern[AnyStr] = _build(entry)
        except Exception:  # invalid code: compile it afresh below
            entry = None
        else:
            if compiled.pattern == pattern:
                _counts["hits"] += 1
                _used[key] = None
                return compiled
    _counts["misses"] += 1
    try:
        entry = _entry(pattern, flags)
        compiled = _build(entry)
    except Exception:  # re's internals are not what this module expects
        return re.compile(pattern, flags)
    with _lock:
        store[key] = entry
        _used[key] = None
        _added = True
        if not _hooked:
            _hooked = True
            atexit.register(flush)
    return compiled


def flush() -> None:
    """Write the patterns compiled by this process to the cache (best effort)."""
    global _added, _store
    with _lock:
        if not _added or _store is None:
            return
        _added = False
        path = _path()
        if path is None:
            return
        # Oldest first: the entries this process did not use, in the file's order (new
        # ones were appended), then the ones it used; the oldest go past the cap.
        order = [k for k in _store if k not in _used] + [k for k in _used if k in _store]
        keep = order[-MAX_ENTRIES:]
        _store = {k: _store[k] for k in keep}
        entries = [(flags, _store[(p, flags)]) for (p, flags) in keep]
    with contextlib.suppress(OSError, ValueError):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        payload = marshal.dumps(entries)
        write_atomic(path, hashlib.sha256(payload).digest() + payload, mode=0o600)


def stats() -> dict[str, int]:
    """Patterns taken from the cache and compiled afresh by this process."""
    return dict(_counts)


def _reset_for_tests() -> None:
    global _store, _added
    with _lock:
        _store = None
        _used.clear()
        _added = False
        _counts["hits"] = _counts["misses"] = 0
