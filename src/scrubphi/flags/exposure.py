"""Exposure counts: how many evaluations of each flag were on and off.

Counting happens on every ``is_enabled`` call, so it must cost next to
nothing and never take a lock on the hot path.  Each thread counts into its
own plain dict (``threading.local``); only the first count of a new thread
registers that dict, under a lock.  A snapshot adds the per-thread dicts
together; copying a dict is a single C-level operation under the GIL, so a
snapshot taken while other threads count sees a consistent copy of each.

After ``fork`` the child starts from zero: counts belong to the process that
made the evaluations (a pre-fork server's master must not have its counts
multiplied by every worker), and the parent's per-thread dicts and lock are
not trusted across the fork.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any

__all__ = ["ExposureCounter"]

# (flag, phase or None, variant or None, enabled)
_Key = tuple[str, "str | None", "str | None", bool]


class ExposureCounter:
    """Per-thread counters of evaluations by flag, phase, variant and result."""

    def __init__(self) -> None:
        self._reset()
        _LIVE.add(self)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._local = threading.local()
        self._tables: list[dict[_Key, int]] = []

    def _table(self) -> dict[_Key, int]:
        table: dict[_Key, int] = {}
        with self._lock:
            self._tables.append(table)
        self._local.table = table
        return table

    def count(self, flag: str, enabled: bool, phase: str | None, variant: str | None) -> None:
        """Record one evaluation; lock-free after a thread's first call."""
        try:
            table: dict[_Key, int] = self._local.table
        except AttributeError:
            table = self._table()
        key = (flag, phase, variant, enabled)
        table[key] = table.get(key, 0) + 1

    def totals(self) -> dict[_Key, int]:
        """The raw sums over every thread, keyed (flag, phase, variant, enabled)."""
        with self._lock:
            tables = list(self._tables)
        out: dict[_Key, int] = {}
        for table in tables:
            for key, value in table.copy().items():
                out[key] = out.get(key, 0) + value
        return out

    def snapshot(self) -> dict[str, Any]:
        """Counts per flag: ``yes``/``no``, ``variants`` and ``phases`` (each with yes/no).

        ``variants`` counts ``get_variant`` results by variant name
        (``disabled`` included); ``phases`` splits the yes/no counts of a flag
        driven by a rollout plan by the phase that was current at evaluation.
        """
        out: dict[str, Any] = {}
        for (flag, phase, variant, enabled), value in sorted(
            self.totals().items(), key=lambda item: _sort_key(item[0])
        ):
            entry = out.setdefault(flag, {"yes": 0, "no": 0, "variants": {}, "phases": {}})
            answer = "yes" if enabled else "no"
            entry[answer] += value
            if variant is not None:
                entry["variants"][variant] = entry["variants"].get(variant, 0) + value
            if phase is not None:
                counts = entry["phases"].setdefault(phase, {"yes": 0, "no": 0})
                counts[answer] += value
        return out

    def clear(self) -> None:
        """Forget every count (e.g. when a gate starts measuring a new phase)."""
        with self._lock:
            for table in self._tables:
                table.clear()


def _sort_key(key: _Key) -> tuple[str, str, str, bool]:
    flag, phase, variant, enabled = key
    return (flag, phase or "", variant or "", enabled)


_LIVE: weakref.WeakSet[ExposureCounter] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for counter in list(_LIVE):
        counter._reset()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
