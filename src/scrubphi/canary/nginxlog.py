"""Canary metrics from nginx's JSON access log: per-version requests, 5xx ratio, p99 latency.

Why the access log: it is the one place that sees every request of both
versions with the same clock, and needs no agent or exporter on the hosts.
:class:`~scrubphi.canary.routers.NginxRouter` configures the format
(``log_format scrubphi_canary escape=json``); this module tails the file.

Choices:

* The version of a request is the *last* address in ``$upstream_addr``
  (nginx lists every upstream it tried; the last one answered), and its
  status is the last ``$upstream_status`` (``$status`` when nginx answered
  itself).  Requests nginx answered without an upstream are not counted.
* Latency is ``$upstream_response_time`` (the version's own time, so a slow
  client does not make a release look slow), falling back to
  ``$request_time``.  p99 is the nearest-rank percentile of the window.
* Metrics are computed over a trailing window of ``window`` seconds of the
  log's own timestamps (``$msec``) against the wall clock; memory is bounded
  by the window (and ``max_entries``).
* Tailing survives rotation and truncation (a new inode or a shorter file is
  read from its start) and keeps an incomplete last line until it ends.
* The log never holds a URI or header (they can carry patient identifiers),
  and nothing read from it is printed.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from scrubphi.canary.routers import resolve_addresses

__all__ = ["NginxAccessLog", "VersionStats", "p99"]

Version = Literal["stable", "canary"]
_SPLIT = re.compile(r"\s*,\s*|\s+:\s+")
_MAX_LINE = 64 * 1024


@dataclass(frozen=True)
class VersionStats:
    """One version's requests in the window; ratios and latency None when it had none."""

    requests: int
    errors_5xx: int
    ratio_5xx: float | None
    p99_ms: float | None


def p99(values: list[float]) -> float | None:
    """Nearest-rank 99th percentile (the value 99% of requests were at or below)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


def _last(field: object) -> str:
    if not isinstance(field, str) or not field:
        return "-"
    return _SPLIT.split(field.strip())[-1]


class NginxAccessLog:
    """Tail a ``scrubphi_canary`` access log and keep a trailing window per version."""

    #: The metric names :meth:`sample` can give a rollback rule.
    METRICS = ("http_requests", "http_5xx_ratio", "latency_p99_ms")

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        stable: str,
        canary: str,
        window: float = 60.0,
        wall_clock: Callable[[], float] = time.time,
        max_entries: int = 2_000_000,
    ) -> None:
        if window <= 0:
            raise ValueError("window must be positive")
        self.path = Path(path)
        self.window = window
        self.wall_clock = wall_clock
        self._addresses: dict[str, Version] = {}
        for address in resolve_addresses(stable):
            self._addresses[address] = "stable"
        for address in resolve_addresses(canary):
            self._addresses[address] = "canary"
        self._entries: dict[Version, deque[tuple[float, int, float]]] = {
            "stable": deque(maxlen=max_entries),
            "canary": deque(maxlen=max_entries),
        }
        self.totals: dict[Version, list[int]] = {"stable": [0, 0], "canary": [0, 0]}
        self.malformed = 0
        self._offset = 0
        self._inode: int | None = None
        self._tail = b""

    def start(self) -> None:
        """Forget everything and skip what the file already holds (a new run starts clean)."""
        for entries in self._entries.values():
            entries.clear()
        self.totals = {"stable": [0, 0], "canary": [0, 0]}
        self.malformed = 0
        self._tail = b""
        try:
            st = self.path.stat()
        except OSError:
            self._offset, self._inode = 0, None
            return
        self._offset, self._inode = st.st_size, st.st_ino

    def poll(self) -> int:
        """Read lines appended since the last call; return how many requests were counted."""
        try:
            st = self.path.stat()
        except OSError:
            return 0
        if self._inode != st.st_ino or st.st_size < self._offset:
            self._offset, self._inode, self._tail = 0, st.st_ino, b""
        if st.st_size == self._offset:
            return 0
        with open(self.path, "rb") as fh:
            fh.seek(self._offset)
            data = fh.read(st.st_size - self._offset)
        self._offset += len(data)
        data = self._tail + data
        lines = data.split(b"\n")
        self._tail = lines.pop()
        if len(self._tail) > _MAX_LINE:
            self._tail = b""
            self.malformed += 1
        return sum(self._add(line) for line in lines if line)

    def _add(self, line: bytes) -> int:
        try:
            record = json.loads(line)
            msec = float(record["msec"])
        except (ValueError, KeyError, TypeError):
            self.malformed += 1
            return 0
        if not isinstance(record, dict):
            self.malformed += 1
            return 0
        version = self._addresses.get(_last(record.get("upstream_addr")))
        if version is None:
            return 0
        status_text = _last(record.get("upstream_status"))
        if not status_text.isdigit():
            status_text = str(record.get("status", ""))
        status = int(status_text) if status_text.isdigit() else 0
        latency_text = _last(record.get("upstream_response_time"))
        try:
            latency = float(latency_text)
        except ValueError:
            try:
                latency = float(record.get("request_time", "nan"))
            except (TypeError, ValueError):
                latency = math.nan
        self._entries[version].append((msec, status, latency * 1000.0))
        self.totals[version][0] += 1
        if 500 <= status <= 599:
            self.totals[version][1] += 1
        return 1

    def stats(self, version: Version, now: float | None = None) -> VersionStats:
        """The window ending at ``now`` (wall clock) for one version."""
        now = self.wall_clock() if now is None else now
        entries = self._entries[version]
        cutoff = now - self.window
        while entries and entries[0][0] < cutoff:
            entries.popleft()
        inside = [e for e in entries if e[0] <= now]
        errors = sum(1 for e in inside if 500 <= e[1] <= 599)
        latencies = [e[2] for e in inside if not math.isnan(e[2])]
        return VersionStats(
            requests=len(inside),
            errors_5xx=errors,
            ratio_5xx=errors / len(inside) if inside else None,
            p99_ms=p99(latencies),
        )

    def sample(self) -> dict[str, float]:
        """Read new lines; the canary's metrics for the rollback rules.

        ``http_requests`` is the canary's request count in the window;
        ``http_5xx_ratio`` and ``latency_p99_ms`` are left out when the canary
        had no request in the window (missing data, as the rules define it).
        """
        self.poll()
        stats = self.stats("canary")
        out: dict[str, float] = {"http_requests": float(stats.requests)}
        if stats.ratio_5xx is not None:
            out["http_5xx_ratio"] = stats.ratio_5xx
        if stats.p99_ms is not None:
            out["latency_p99_ms"] = stats.p99_ms
        return out
