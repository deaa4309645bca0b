"""Canary metrics from nginx's JSON access log: per-version requests, 5xx ratio, p99 latency.

Why the access log: it is the one place that sees every request of both
versions with the same clock, and needs no agent or exporter on the hosts.
:class:`~scrubphi.canary.routers.NginxRouter` configures the format
(``log_format scrubphi_canary escape=json``); this module tails the file.

Choices:

* Every attempt nginx made counts for the version it went to:
  ``$upstream_addr`` lists each upstream tried, in order, with its
  ``$upstream_status``.  An attempt nginx gave up on (a refused connection
  or a timeout, then retried on the other version by ``proxy_next_upstream``)
  counts as a 5xx of the version that failed, so a dead canary whose requests
  nginx quietly retried on stable does not look healthy.  An attempt with
  ``$upstream_header_time`` ``-`` got no answer at all: it does not count as
  data from that version (the controller's "no data" check).  Requests nginx
  answered without an upstream are not counted.
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

import math
import os
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from scrubphi import jsontext
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


def _all(field: object) -> list[str]:
    """Every entry of a per-attempt field (``a, b : c``), in the order nginx tried them."""
    if not isinstance(field, str) or not field.strip():
        return []
    return _SPLIT.split(field.strip())


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
        self._answers: dict[Version, int] = {"stable": 0, "canary": 0}
        self._answers_seen = 0
        self._offset = 0
        self._inode: int | None = None
        self._tail = b""

    def start(self) -> None:
        """Forget everything and skip what the file already holds (a new run starts clean)."""
        for entries in self._entries.values():
            entries.clear()
        self.totals = {"stable": [0, 0], "canary": [0, 0]}
        self.malformed = 0
        self._answers = {"stable": 0, "canary": 0}
        self._answers_seen = 0
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
            record = jsontext.loads(line)
            msec = float(record["msec"])
        except (ValueError, KeyError, TypeError):
            self.malformed += 1
            return 0
        if not isinstance(record, dict):
            self.malformed += 1
            return 0
        addrs = _all(record.get("upstream_addr"))
        statuses = _all(record.get("upstream_status"))
        times = _all(record.get("upstream_response_time"))
        headers = _all(record.get("upstream_header_time"))
        counted = 0
        for i, addr in enumerate(addrs):
            version = self._addresses.get(addr)
            if version is None:
                continue
            last = i == len(addrs) - 1
            status_text = statuses[i] if i < len(statuses) else "-"
            if not status_text.isdigit() and last:
                status_text = str(record.get("status", ""))
            status = int(status_text) if status_text.isdigit() else 0
            try:
                latency = float(times[i]) if i < len(times) else math.nan
            except ValueError:
                latency = math.nan
            if math.isnan(latency) and last:
                try:
                    latency = float(record.get("request_time", "nan"))
                except (TypeError, ValueError):
                    latency = math.nan
            # without upstream_header_time (an older log): nginx's own 502/504 are no answer
            answered = (headers[i] != "-" if i < len(headers)
                        else last and status not in (502, 504))
            if not last and status == 0:
                status = 502  # nginx gave up on this upstream and tried the next one
            self._entries[version].append((msec, status, latency * 1000.0))
            self.totals[version][0] += 1
            if 500 <= status <= 599:
                self.totals[version][1] += 1
            if answered:
                self._answers[version] += 1
            counted += 1
        return counted

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
        ``canary_answers`` counts the requests the canary answered since the
        previous sample: the controller's "no data" check.
        """
        self.poll()
        stats = self.stats("canary")
        answers = self._answers["canary"]
        out: dict[str, float] = {"http_requests": float(stats.requests),
                                 "canary_answers": float(answers - self._answers_seen)}
        self._answers_seen = answers
        if stats.ratio_5xx is not None:
            out["http_5xx_ratio"] = stats.ratio_5xx
        if stats.p99_ms is not None:
            out["latency_p99_ms"] = stats.p99_ms
        return out
