"""Policy files' positioned trees kept per user across runs (scrub-only files).

Why: reading a policy file is ruamel.yaml's pure-Python composer (~20 ms for
the EHR example's 200 lines) after importing ruamel (~12 ms), at every start
of every run, while ``pg_dump`` waits on a full pipe.  The tree it gives
(:class:`~.tree._Node`: values, positions, key paths) is plain data, so it is
stored in the per-user cache of :mod:`scrubphi.derived_cache` (same place,
same trust checks, ``SCRUBPHI_CACHE_DIR=off`` switches it off) and rebuilt
from there in about a millisecond.

The entry is named by the SHA-256 of the file's text, the ruamel.yaml version
and this reader's code (``yaml_reader.py``, ``tree.py``, this file), so an
edited policy, another ruamel or a changed reader reads afresh, never a stale
tree.  The file's name is not in it: the positions are stored without it and
given the name the file was read by.  Every edit of a policy writes a new
entry, so only the :data:`KEEP` newest are kept.

What it may hold: only files whose top level is ``version`` and ``scrub``
(other sections are validated by other commands, not by a scrub run), and
only once the whole policy they belong to loaded without error, so its key
is a reference (``env:``/``file:``: a literal key is refused before anything
is written).  Never data of a dump, never a key.  Values this reader does not
know how to store (a date-time with a time zone) leave the file uncached.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scrubphi import derived_cache
from scrubphi.policy.model import Location
from scrubphi.policy.tree import _Index, _Node, _PathT

__all__ = ["KEEP", "TreeCache"]

#: Entries kept (the newest); older ones are removed when a new one is written.
KEEP = 64
#: Top-level keys of a file that may be cached.
_CACHEABLE = frozenset(("version", "scrub"))
_MAP, _SEQ, _SCALAR = 0, 1, 2
_PLAIN = (str, int, float, bool, type(None))


class _Uncacheable(Exception):
    pass


def _code() -> list[bytes]:
    """What the trees are made by: ruamel.yaml's version (its ``__init__.py``, found
    without importing it) and this reader's source files."""
    spec = importlib.util.find_spec("ruamel.yaml")
    if spec is None or spec.origin is None:
        raise _Uncacheable
    here = Path(__file__).parent
    return [Path(spec.origin).read_bytes()] + [
        (here / name).read_bytes() for name in ("yaml_reader.py", "tree.py", "tree_cache.py")
    ]


def _scalar_out(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if type(value) is dt.date:
        return ("date", value.isoformat())
    if type(value) is dt.datetime and value.tzinfo is None:
        return ("datetime", value.isoformat())
    raise _Uncacheable


def _scalar_in(value: Any) -> Any:
    if type(value) is tuple:
        kind, text = value
        return dt.date.fromisoformat(text) if kind == "date" else dt.datetime.fromisoformat(text)
    return value


def _freeze(node: _Node) -> tuple[Any, ...]:
    key = (node.key_loc.line, node.key_loc.column) if node.key_loc is not None else None
    head = (node.loc.line, node.loc.column, key)
    if isinstance(node.value, dict):
        return (_MAP, *head, [(_scalar_out(k), _freeze(c)) for k, c in node.value.items()])
    if isinstance(node.value, list):
        return (_SEQ, *head, [_freeze(c) for c in node.value])
    return (_SCALAR, *head, _scalar_out(node.value))


def _thaw(data: Any, file: str, path: _PathT) -> _Node:
    kind, line, column, key, payload = data
    key_loc = Location(file, key[0], key[1]) if key is not None else None
    value: Any
    if kind == _MAP:
        value = {}
        for k, child in payload:
            name = _scalar_in(k)
            value[name] = _thaw(child, file, (*path, name))
    elif kind == _SEQ:
        value = [_thaw(child, file, (*path, _Index(i))) for i, child in enumerate(payload)]
    else:
        value = _scalar_in(payload)
    return _Node(value, Location(file, line, column), key_loc, path)


class TreeCache:
    """The trees of one load: read from the cache, or parsed and kept until :meth:`store`."""

    def __init__(self) -> None:
        self._code: list[bytes] | None = None
        self._pending: list[tuple[Path, Any]] = []

    def parse(self, text: str, file: str,
              parse: Callable[[str, str], _Node | None]) -> _Node | None:
        """``parse(text, file)``, or the tree stored for this very text, name and reader."""
        path = None
        if derived_cache.cache_dir() is not None:
            try:
                if self._code is None:
                    self._code = _code()
            except (_Uncacheable, OSError):
                return parse(text, file)
            path = derived_cache.entry_path("policy", [*self._code, text.encode()])
        stored = derived_cache.read_entry(path) if path is not None else None
        if stored is not None:
            try:
                return _thaw(stored, file, ())
            except Exception:  # an entry of another shape: read the file afresh
                pass
        root = parse(text, file)
        if path is not None and root is not None and root.is_map and set(root.value) <= _CACHEABLE:
            with contextlib.suppress(_Uncacheable):
                self._pending.append((path, _freeze(root)))
        return root

    def store(self) -> None:
        """Write the trees parsed by this load (call it once the policy loaded)."""
        for path, data in self._pending:
            derived_cache.write_entry(path, data)
        if self._pending:
            _prune(self._pending[0][0].parent)
        self._pending.clear()


def _prune(folder: Path) -> None:
    """Keep the :data:`KEEP` newest entries: every edit of a policy writes a new one."""
    with contextlib.suppress(OSError):
        entries = sorted(folder.glob("policy-*.marshal"), key=lambda p: p.stat().st_mtime_ns)
        for old in entries[:-KEEP]:
            old.unlink(missing_ok=True)
