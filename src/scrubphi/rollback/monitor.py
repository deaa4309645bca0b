"""A rollback monitor fed samples as they arrive, deciding at every tick.

A canary controller or an app's own watchdog does not hold whole series: it
gets one sample at a time and wants a decision every few seconds.  The
monitor keeps, per metric, only the samples the longest rule can still look
at (plus a count of older ones for ``min_samples``), so its memory is
bounded however long a deploy runs, and at each :meth:`tick` it calls the
same pure :func:`~scrubphi.rollback.engine.evaluate_rule` as
:func:`~scrubphi.rollback.evaluate`: the monitor and the pure function cannot
disagree.
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections.abc import Callable, Sequence

from scrubphi.metrics.base import Series
from scrubphi.rollback.engine import ACTION_ORDER, Decision, evaluate_rule
from scrubphi.rollback.policy import Rule, RuleSet

__all__ = ["RollbackMonitor"]


class RollbackMonitor:
    """Feed with :meth:`observe`, ask with :meth:`tick`; ``clock`` gives epoch seconds."""

    def __init__(
        self, rules: RuleSet | Sequence[Rule], clock: Callable[[], float] = time.time
    ) -> None:
        self.rules = rules.rules if isinstance(rules, RuleSet) else tuple(rules)
        self.clock = clock
        self._lock = threading.Lock()
        self._keep: dict[str, float] = {}
        for rule in self.rules:
            reach = rule.span + rule.interval
            if rule.missing_data == "ignore":
                reach += rule.span + rule.interval
            self._keep[rule.metric] = max(self._keep.get(rule.metric, 0.0), reach)
        self._points: dict[str, list[tuple[float, float]]] = {m: [] for m in self._keep}
        self._evicted: dict[str, int] = dict.fromkeys(self._keep, 0)
        self._errors: dict[str, str | None] = dict.fromkeys(self._keep)
        self.last: Decision | None = None

    def observe(self, metric: str, t: float, value: float | None) -> None:
        """Record one sample of ``metric`` at ``t`` (None or NaN: the source had no value)."""
        if metric not in self._points:
            return  # no rule watches it; keeping it would only grow memory
        point = (float(t), math.nan if value is None else float(value))
        with self._lock:
            bisect.insort(self._points[metric], point, key=lambda p: p[0])
            self._errors[metric] = None

    def observe_error(self, metric: str, message: str) -> None:
        """The source failed for ``metric``: its rules are inconclusive until the next sample."""
        with self._lock:
            if metric in self._errors:
                self._errors[metric] = message

    def tick(self) -> Decision:
        """Evaluate every rule now; forget samples no rule can look at any more."""
        now = float(self.clock())
        with self._lock:
            for metric, points in self._points.items():
                horizon = now - self._keep[metric] - 1e-6
                cut = bisect.bisect_left(points, horizon, key=lambda p: p[0])
                if cut:
                    self._evicted[metric] += sum(1 for _, v in points[:cut] if not math.isnan(v))
                    del points[:cut]
            snapshot = {m: list(p) for m, p in self._points.items()}
            evicted = dict(self._evicted)
            errors = dict(self._errors)
        results = []
        for rule in self.rules:
            error = errors[rule.metric]
            series = Series.failed(error) if error else Series(tuple(snapshot[rule.metric]))
            results.append(
                evaluate_rule(rule, series, now, earlier_samples=evicted[rule.metric])
            )
        action = "ok"
        for result in results:
            if ACTION_ORDER.index(result.action) > ACTION_ORDER.index(action):
                action = result.action
        self.last = Decision(action, now, tuple(results))
        return self.last
