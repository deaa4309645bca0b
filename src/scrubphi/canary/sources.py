"""Where the canary's evidence comes from: metric sources and health probes.

* :class:`CanaryMetrics` is what the controller asks every check (nginx's
  access log, :class:`QueryMetrics` over Prometheus or Datadog, a test's
  script).  A source may add ``canary_answers``: how many requests the canary
  itself answered since the previous sample.  Without it, a sample in which
  no watched metric has a value counts as a check without data.
* :class:`HealthProbes` keeps asking the canary's health endpoint for the whole
  run (not only before the first step) and turns the answers into
  ``health_check_failure_ratio``, whatever the metric source is, and into the
  "no health answers" count that fails the analysis like missing requests.
"""

from __future__ import annotations

import http.client
import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from scrubphi.canary.routers import parse_hostport

__all__ = [
    "HEALTH_METRIC",
    "CanaryMetrics",
    "HealthChecker",
    "HealthProbes",
    "QueryMetrics",
    "http_health_check",
]

#: The metric the probes feed (the team's third rollback rule watches it).
HEALTH_METRIC = "health_check_failure_ratio"
#: The key a metric source may add: requests the canary answered since the last sample.
ANSWERS_KEY = "canary_answers"


class CanaryMetrics(Protocol):
    """A source of the canary's current metric values (access log, Prometheus, ...).

    ``start`` forgets earlier data (a new run); ``sample`` returns the
    canary's metrics now, leaving out a metric with no data, and raises
    :class:`~scrubphi.errors.ScrubPhiError` when the provider cannot answer.
    """

    def start(self) -> None: ...

    def sample(self) -> Mapping[str, float]: ...


class QueryMetrics:
    """Canary metrics from a query source such as ``scrubphi.metrics.PrometheusSource``.

    ``queries`` maps a rule's metric name to the provider's query for the
    canary (``{"http_5xx_ratio": 'sum(rate(...{version="v2",code=~"5.."}[1m])) / ...'}``).
    Each sample asks ``source.instant(query, now)``; no data (None or NaN)
    leaves the metric out, and a provider error propagates, which the
    controller turns into ``inconclusive``, never a pass.
    """

    def __init__(
        self,
        source: Any,
        queries: Mapping[str, str],
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if not queries:
            raise ValueError("queries maps at least one metric name to a query")
        self.source = source
        self.queries = dict(queries)
        self.wall_clock = wall_clock

    def start(self) -> None:
        """Nothing to forget: every sample is a fresh query."""

    def sample(self) -> Mapping[str, float]:
        now = self.wall_clock()
        out: dict[str, float] = {}
        for name, query in self.queries.items():
            value = self.source.instant(query, now)
            if value is not None and math.isfinite(value):
                out[name] = float(value)
        return out


#: ``(url_path, timeout_seconds) -> (passed, detail)``.
HealthChecker = Callable[[str, float], tuple[bool, str]]


def http_health_check(canary: str) -> HealthChecker:
    """GET ``http://CANARY{path}``; any 2xx within the timeout passes."""
    host, port = parse_hostport(canary)

    def check(path: str, timeout: float) -> tuple[bool, str]:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            conn.request("GET", path, headers={"Connection": "close"})
            response = conn.getresponse()
            response.read()
            return 200 <= response.status < 300, f"HTTP {response.status}"
        except (OSError, http.client.HTTPException) as exc:
            return False, type(exc).__name__
        finally:
            conn.close()

    return check


class HealthProbes:
    """GET the canary's health URL every ``interval`` seconds; remember the recent answers.

    ``poll(now)`` probes when one is due (the controller calls it every
    tick).  A probe that gets any HTTP answer is *answered* (a 503 is an
    answer, and a failure); a refused or timed-out connection is not.
    """

    def __init__(self, check: HealthChecker, url: str, *, timeout: float, interval: float,
                 keep: int = 64) -> None:
        self.check = check
        self.url = url
        self.timeout = timeout
        self.interval = interval
        self.recent: deque[tuple[float, bool, bool, str]] = deque(maxlen=keep)
        self.unanswered = 0  # probes in a row without any HTTP answer
        self._next: float | None = None

    def poll(self, now: float) -> tuple[bool, str] | None:
        """Probe if one is due; return (passed, detail) of that probe, or None."""
        if self._next is not None and now < self._next:
            return None
        self._next = now + self.interval
        ok, detail = self.check(self.url, self.timeout)
        answered = detail.startswith("HTTP ")
        self.recent.append((now, ok, answered, detail))
        self.unanswered = 0 if answered else self.unanswered + 1
        return ok, detail

    def failure_ratio(self, span: float) -> float | None:
        """Share of failed probes of the last ``span`` seconds (at least the last probe)."""
        if not self.recent:
            return None
        newest = self.recent[-1][0]
        inside = [ok for t, ok, _, _ in self.recent if t > newest - span] or [self.recent[-1][1]]
        return sum(1 for ok in inside if not ok) / len(inside)
