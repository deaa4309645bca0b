"""Evaluate rollback rules on metric series: a pure function of rules, series and time.

How one rule is evaluated at ``now`` (the same steps for ``evaluate`` and
for :class:`~scrubphi.rollback.monitor.RollbackMonitor`):

1. The rule is evaluated on a grid, every ``interval`` seconds back from
   ``now``: ``now``, ``now - interval``, ...  The value at an evaluation
   ``e`` is the latest sample in ``(e - interval, e]``.  No sample there, or
   a NaN, is a *missing* evaluation.
2. Each evaluation is breaching (``above``: value strictly greater than the
   threshold; ``below``: strictly less), not breaching, or missing, which
   ``missing_data`` turns into breaching, not breaching, unknown
   (``inconclusive``), or skips (``ignore``: the window reaches further
   back, up to twice its length, for evaluations that have data).
3. ``for: D`` needs every one of the last ``ceil(D / interval) + 1``
   evaluations to breach (the breach has lasted at least ``D``);
   ``consecutive: N`` the last N; ``m_of_n: [M, N]`` at least M of the last
   N.  A window that fires whatever its unknown evaluations are *fires*; one
   that cannot fire whatever they are is *ok* or *pending* (breaching now,
   not for long enough); otherwise the rule is *inconclusive*.
4. A rule that is not firing with fewer than ``min_samples`` samples with
   data (at or before ``now``) is inconclusive: too little data never
   passes.  A firing rule fires whatever the count: a deploy that fails
   every health check in its first minute is rolled back, not watched.
5. A provider error is the rule state ``error`` and the action
   ``inconclusive``: never a pass, never a rollback.

The decision is the most severe action of all rules:
``rollback_now`` > ``rollback`` > ``alert`` > ``inconclusive`` > ``ok``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scrubphi.metrics.base import Series
from scrubphi.rollback.policy import Rule, RuleSet

__all__ = ["ACTION_ORDER", "Decision", "RuleResult", "as_epoch", "evaluate", "evaluate_rule"]

#: Severity of decisions, lowest first.
ACTION_ORDER: tuple[str, ...] = ("ok", "inconclusive", "alert", "rollback", "rollback_now")
_EPS = 1e-6

SeriesInput = Series | Iterable[tuple[float, float]]


def as_epoch(when: float | dt.datetime) -> float:
    """Seconds since the epoch; a naive datetime is refused (its zone would be a guess)."""
    if isinstance(when, dt.datetime):
        if when.tzinfo is None:
            raise ValueError("give an aware datetime (e.g. datetime.now(UTC)), not a naive one")
        return when.timestamp()
    return float(when)


@dataclass(frozen=True)
class RuleResult:
    """What one rule saw and concluded, with everything a deploy log needs to say why."""

    rule: Rule
    state: str  # ok | pending | firing | inconclusive | error
    action: str  # ok | alert | rollback | rollback_now | inconclusive
    values: tuple[tuple[float, float | None], ...]
    breaching: int
    missing: int
    samples: int
    reason: str
    error: str | None = None

    @property
    def name(self) -> str:
        return self.rule.name

    def fmt(self, value: float | None) -> str:
        """A value as the rule's threshold was written (1% -> percent)."""
        if value is None or math.isnan(value):
            return "no data"
        if self.rule.percent:
            return f"{value * 100:.4g}%"
        return f"{value:.6g}"

    def condition(self) -> str:
        """The rule in words: metric, comparison, threshold, window."""
        r = self.rule
        comp = "above" if r.comparison == "above" else "below"
        strict = "strictly greater" if r.comparison == "above" else "strictly less"
        every = f"one every {_dur(r.interval)}"
        if r.window_kind == "for":
            window = (f"at every evaluation for {_dur(r.duration or 0.0)} "
                      f"({r.size} evaluations, {every})")
        elif r.window_kind == "consecutive":
            window = f"at {r.size} consecutive evaluations ({every})"
        else:
            window = f"at {r.need} of the last {r.size} evaluations ({every})"
        return f"{r.metric} {comp} {self.fmt(r.threshold)} ({strict}) {window}"

    def explain(self) -> str:
        r = self.rule
        shown = self.values[-min(len(self.values), 12):]
        values = ", ".join(self.fmt(v) for _, v in shown)
        hidden = len(self.values) - len(shown)
        more = f"... {hidden} earlier, " if hidden else ""
        lines = [
            f"{r.name}: {self.state} -> {self.action}: {self.reason}",
            f"    rule: {self.condition()}; action {r.action}"
            + (f" (grace {_dur(r.grace)})" if r.grace else "")
            + f"; missing data: {r.missing_data}; min samples: {r.min_samples}",
        ]
        if self.error is None:
            lines.append(f"    values (oldest first): {more}{values or 'none'}"
                         f"; {self.breaching} breaching, {self.missing} missing, "
                         f"{self.samples} samples seen")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        r = self.rule
        return {
            "name": r.name,
            "metric": r.metric,
            "state": self.state,
            "action": self.action,
            "rule_action": r.action,
            "comparison": r.comparison,
            "threshold": r.threshold,
            "threshold_text": self.fmt(r.threshold),
            "window": {
                "kind": r.window_kind,
                "duration_s": r.duration,
                "need": r.need,
                "evaluations": r.size,
                "interval_s": r.interval,
                "grace_s": r.grace,
            },
            "missing_data": r.missing_data,
            "min_samples": r.min_samples,
            "samples": self.samples,
            "breaching": self.breaching,
            "missing": self.missing,
            "values": [
                [t, None if v is None or math.isnan(v) else v] for t, v in self.values
            ],
            "reason": self.reason,
            "error": self.error,
            "condition": self.condition(),
        }


@dataclass(frozen=True)
class Decision:
    """The verdict at ``at``: ``action`` and every rule's result, readable in a deploy log."""

    action: str
    at: float
    results: tuple[RuleResult, ...] = field(default_factory=tuple)

    def explain(self) -> str:
        when = dt.datetime.fromtimestamp(self.at, dt.UTC).isoformat(timespec="seconds")
        if not self.results:
            return f"{self.action} at {when}: no rollback rules"
        deciding = [r.name for r in self.results if r.action == self.action and r.action != "ok"]
        because = f" (because of {', '.join(deciding)})" if deciding else ""
        head = f"{self.action} at {when}{because}"
        return "\n".join([head, *(r.explain() for r in self.results)])

    def __str__(self) -> str:
        return self.explain()

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "at": self.at,
            "at_iso": dt.datetime.fromtimestamp(self.at, dt.UTC).isoformat(),
            "rules": [r.to_dict() for r in self.results],
        }

    def rule(self, name: str) -> RuleResult:
        """The result of the rule called ``name``."""
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(name)


def _dur(seconds: float | None) -> str:
    if seconds is None:
        return "0s"
    s = float(seconds)
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("m", 60.0)):
        if s >= size and (s / size).is_integer():
            return f"{int(s / size)}{unit}"
    return f"{s:g}s"


def _grid_values(
    times: Sequence[float], values: Sequence[float], now: float, interval: float, count: int
) -> list[tuple[float, float | None]]:
    """Values at the ``count`` evaluations ending at ``now``, oldest first."""
    out: list[tuple[float, float | None]] = []
    for j in range(count - 1, -1, -1):
        e = now - j * interval
        hi = bisect.bisect_right(times, e + _EPS)
        lo = bisect.bisect_right(times, e - interval + _EPS)
        value: float | None = None
        if hi > lo:
            v = values[hi - 1]
            value = None if math.isnan(v) else v
        out.append((e, value))
    return out


def evaluate_rule(
    rule: Rule, series: SeriesInput | None, now: float, *, earlier_samples: int = 0
) -> RuleResult:
    """Evaluate one rule at ``now``; see the module docstring for the steps.

    ``earlier_samples`` counts samples with data that the caller no longer
    holds (the monitor forgets what no window can reach): they count toward
    ``min_samples`` only.
    """
    if series is None:
        s = Series.failed("no series was given for this metric")
    else:
        s = Series.of(series)
    if s.error is not None:
        return RuleResult(rule, "error", "inconclusive", (), 0, 0, 0,
                          f"the metric source failed: {s.error}", s.error)
    points = [p for p in s.points if p[0] <= now + _EPS]
    times = [t for t, _ in points]
    vals = [v for _, v in points]
    samples = earlier_samples + sum(1 for v in vals if not math.isnan(v))
    long_size = rule.size + rule.grace_evals
    ignore = rule.missing_data == "ignore"
    grid = _grid_values(times, vals, now, rule.interval, long_size * (2 if ignore else 1))

    # Three-valued statuses, oldest first: True breaching, False not, None unknown.
    def status(value: float | None) -> bool | None:
        if value is None:
            if rule.missing_data == "breaching":
                return True
            if rule.missing_data == "not_breaching":
                return False
            return None
        return rule.breaches(value)

    missing = 0
    if ignore:
        present = [(e, v) for e, v in grid if v is not None]
        taken = present[-long_size:]
        statuses: list[bool | None] = [None] * (long_size - len(taken))
        statuses += [rule.breaches(v) for _, v in taken if v is not None]
        missing = sum(1 for _, v in grid[-long_size:] if v is None)
        shown = grid
    else:
        statuses = [status(v) for _, v in grid]
        missing = sum(1 for _, v in grid if v is None)
        shown = grid
    window = statuses[-rule.size:]
    breaching = sum(1 for x in window if x is True)
    unknown = sum(1 for x in window if x is None)
    rolls_back = _fires(rule, statuses, long_size)  # the longer window, with grace

    if rule.window_kind == "m_of_n":
        fires: bool | None = True if breaching >= rule.need else (
            False if breaching + unknown < rule.need else None)
    else:
        fires = _fires(rule, statuses, rule.size)
    pending = bool(window) and window[-1] is True

    rb = "rollback_now" if rule.action == "rollback_now" else "rollback"
    missing_note = ""
    if missing:
        missing_note = f"; {missing} evaluation(s) without data counted as {rule.missing_data}"
    if fires is True:
        if rule.action == "alert":
            action = "alert"
        elif rule.action == "alert_then_rollback" and rule.grace_evals:
            action = "rollback" if rolls_back is True else "alert"
        else:
            action = rb
        held = "held past its grace" if action == "rollback" and rule.grace_evals else "held"
        reason = (f"{breaching} of the last {rule.size} evaluations breached "
                  f"(needed {rule.need}): the condition {held}{missing_note}")
        return RuleResult(rule, "firing", action, tuple(shown), breaching, missing, samples, reason)
    if fires is None:
        why = ("not enough evaluations with data in reach"
               if ignore else f"{unknown} evaluation(s) without data (missing_data: inconclusive)")
        reason = (f"cannot tell: {why}; {breaching} of the last {rule.size} breached "
                  f"(needs {rule.need})")
        return RuleResult(rule, "inconclusive", "inconclusive", tuple(shown), breaching, missing,
                          samples, reason)
    if samples < rule.min_samples:
        reason = (f"only {samples} sample(s) with data, fewer than min_samples "
                  f"{rule.min_samples}: too little data to pass{missing_note}")
        return RuleResult(rule, "inconclusive", "inconclusive", tuple(shown), breaching, missing,
                          samples, reason)
    if pending:
        early_alert = rule.action == "alert_then_rollback" and not rule.grace_evals
        action = "alert" if early_alert else "ok"
        if rule.window_kind == "m_of_n":
            so_far = f"{breaching} of the last {rule.size} breached, {rule.need} needed"
        else:
            run = 0
            for x in reversed(window):
                if x is not True:
                    break
                run += 1
            so_far = (f"breaching for the last {run} evaluation(s) "
                      f"({_dur((run - 1) * rule.interval)}), {rule.need} needed")
        reason = f"pending: {so_far}{missing_note}"
        return RuleResult(rule, "pending", action, tuple(shown), breaching, missing, samples,
                          reason)
    reason = (f"not breaching: {breaching} of the last {rule.size} evaluations breached, "
              f"latest {_latest(shown, rule)}{missing_note}")
    return RuleResult(rule, "ok", "ok", tuple(shown), breaching, missing, samples, reason)


def _latest(shown: Sequence[tuple[float, float | None]], rule: Rule) -> str:
    value = shown[-1][1] if shown else None
    if value is None:
        return "without data"
    return f"{value * 100:.4g}%" if rule.percent else f"{value:.6g}"


def _fires(rule: Rule, statuses: Sequence[bool | None], size: int) -> bool | None:
    """For and consecutive windows: all of the last ``size`` breach (three-valued)."""
    window = statuses[-size:]
    if len(window) < size or any(x is False for x in window):
        return False if any(x is False for x in window) else None
    if all(x is True for x in window):
        return True
    return None


def evaluate(
    rules: RuleSet | Sequence[Rule],
    series: Mapping[str, SeriesInput],
    now: float | dt.datetime,
) -> Decision:
    """The decision at ``now`` for ``rules`` given ``{metric: samples}``.

    Pure: the same arguments always give the same decision.  A metric with
    no entry in ``series`` is a provider error for its rules (inconclusive),
    not an empty series: the caller forgot it or could not fetch it.
    """
    at = as_epoch(now)
    rule_list = rules.rules if isinstance(rules, RuleSet) else tuple(rules)
    results = tuple(evaluate_rule(rule, series.get(rule.metric), at) for rule in rule_list)
    action = "ok"
    for result in results:
        if ACTION_ORDER.index(result.action) > ACTION_ORDER.index(action):
            action = result.action
    return Decision(action, at, results)
