"""Metric series held in memory: for tests, and for apps that count their own requests.

A query is a plain key (by default the metric's name in the policy); the
source answers from the samples added with :meth:`MemorySource.add`.  Range
queries return the raw samples in ``[start, end]`` (no resampling: the rule
engine puts them on its own evaluation grid); instant queries return the
latest sample no older than ``lookback`` seconds, as Prometheus does with its
five-minute lookback.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Iterable, Mapping

from scrubphi.metrics.base import MetricSourceError, Series, latest_at

__all__ = ["MemorySource"]


class MemorySource:
    """Samples by query key; thread-safe adds, consistent reads."""

    name = "memory"

    def __init__(
        self,
        series: Mapping[str, Iterable[tuple[float, float]]] | None = None,
        *,
        lookback: float = 300.0,
        strict: bool = False,
    ) -> None:
        """``strict``: an unknown query raises (as a provider would for a typo)."""
        self._data: dict[str, list[tuple[float, float]]] = {}
        self._lock = threading.Lock()
        self.lookback = lookback
        self.strict = strict
        for query, points in (series or {}).items():
            for t, v in points:
                self.add(query, t, v)

    def add(self, query: str, t: float, value: float | None) -> None:
        """Record one sample (None stands for NaN: the app had nothing to report)."""
        point = (float(t), math.nan if value is None else float(value))
        with self._lock:
            bisect.insort(self._data.setdefault(query, []), point, key=lambda p: p[0])

    def _points(self, query: str) -> list[tuple[float, float]]:
        with self._lock:
            if query not in self._data:
                if self.strict:
                    raise MetricSourceError(f"memory source: no series named {query!r}")
                return []
            return list(self._data[query])

    def range(self, query: str, start: float, end: float, step: float) -> Series:
        """The samples with ``start <= t <= end`` (``step`` is not used: no resampling)."""
        return Series(tuple(p for p in self._points(query) if start <= p[0] <= end))

    def instant(self, query: str, at: float) -> float | None:
        """The latest sample at or before ``at`` within ``lookback``; None if there is none."""
        return latest_at(self._points(query), at, self.lookback)
