"""Rollout gates: promote, hold or roll back one phase of a staged plan.

``decide(plan, state, metrics, now)`` is a pure function.  For the live
phase of ``plan`` it checks, in this order:

1. **Data.** Every ``proceed_when`` metric needs a value for the flag-on
   cohort; a missing value, a NaN or a provider error *holds* (never
   promotes).
2. **min_requests.** Fewer flag-on requests than ``min_requests`` in the
   phase holds: the error rate of 40 requests says nothing.  The count comes
   from :meth:`FlagClient.exposures` (the phase's ``yes`` count) where the
   caller has one, else from the ``requests`` metric.
3. **Thresholds** on the flag-on cohort (``max`` <=, ``min`` >=, ``below`` <,
   ``above`` >).  Where the flag-off cohort's value is known too, as the SRE
   workbook recommends (compare the canary with a control, not with a
   constant), a breach counts against the flag only if the flag-on cohort is
   also *worse than* the flag-off cohort: when both breach alike, the cause
   is elsewhere (an incident, a dependency) and the gate holds instead of
   rolling back a flag that is not to blame.
4. **A breach** attributable to the flag rolls back (``on_failure:
   rollback``) or holds with ``failed`` set (``on_failure: pause``), at once,
   without waiting for ``min_duration``: three days of a 5% error rate are not
   needed to know.
5. **min_duration**: all thresholds met, the phase must also have run this
   long before it is promoted.

``apply(decision, store, plan, actor=...)`` moves the plan's state through a
:class:`~scrubphi.flags.state.StateStore` with ``expected_version`` (so two
pipelines cannot both move it) and so writes the audit history.  A rollback
goes back to the previous phase (the last one that passed its gate), or
stops the plan (flag off) from the first phase.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scrubphi.errors import ScrubPhiError
from scrubphi.flags.plans import Phase, RolloutPlan
from scrubphi.flags.state import RolloutState, StateStore
from scrubphi.metrics.base import MetricSource, MetricSourceError
from scrubphi.rollback.policy import MetricQuery

__all__ = [
    "Check",
    "CohortValue",
    "GateDecision",
    "GateError",
    "PhaseMetrics",
    "apply",
    "collect",
    "decide",
]

_SYMBOL = {"max": "<=", "min": ">=", "below": "<", "above": ">"}


class GateError(ScrubPhiError):
    """A gate cannot be decided or applied (unknown phase, decision for another plan)."""

    exit_code = 2


@dataclass(frozen=True)
class CohortValue:
    """One metric in the flag-on and flag-off cohorts; ``error`` when the source failed."""

    on: float | None
    off: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class PhaseMetrics:
    """What a gate needs about the live phase: metric values and the flag-on request count."""

    values: Mapping[str, CohortValue] = field(default_factory=dict)
    requests: int | None = None
    requests_from: str = "given"
    requests_error: str | None = None

    @classmethod
    def of(cls, data: PhaseMetrics | Mapping[str, Any]) -> PhaseMetrics:
        """Accept ``{"error_rate": {"on": x, "off": y}, "requests": n}`` or a number per metric.

        Never raises on a value: NaN, infinities, strings and other non-numbers
        become unknown values (with the reason kept), so the gate holds.
        """
        if isinstance(data, PhaseMetrics):
            return data
        values: dict[str, CohortValue] = {}
        requests: int | None = None
        requests_error: str | None = None
        for name, raw in data.items():
            if name == "requests":
                requests, requests_error = _count(raw)
            elif isinstance(raw, CohortValue):
                values[name] = raw
            elif isinstance(raw, Mapping):
                on, on_error = _number(raw.get("on"))
                off, _ = _number(raw.get("off"))
                error = raw.get("error")
                values[name] = CohortValue(on, off, str(error) if error else on_error)
            else:
                on, on_error = _number(raw)
                values[name] = CohortValue(on, None, on_error)
        return cls(values, requests, requests_error=requests_error)


def _number(raw: object) -> tuple[float | None, str | None]:
    """A metric value as a float (NaN and infinities kept), or None with why it is not one."""
    if raw is None:
        return None, None
    if isinstance(raw, bool) or not isinstance(raw, (numbers.Real, decimal.Decimal)):
        return None, f"not a number ({type(raw).__name__})"
    return float(raw), None


def _count(raw: object) -> tuple[int | None, str | None]:
    """A request count, or None with why it is not one: never raises."""
    value, error = _number(raw)
    if value is None:
        return None, (f"requests is {error}" if error else None)
    if not math.isfinite(value) or value < 0:
        return None, f"requests is not a finite count ({value!r})"
    return int(value), None


def _finite(value: object) -> float | None:
    """``value`` when it is a finite number; None for None, NaN, infinities and non-numbers."""
    number, _ = _number(value)
    return number if number is not None and math.isfinite(number) else None


@dataclass(frozen=True)
class Check:
    """One comparison a gate made (or could not make)."""

    name: str
    ok: bool | None
    detail: str
    value: float | None = None
    off: float | None = None
    threshold: float | None = None
    comparison: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ok": self.ok,
            "detail": self.detail,
            "value": _json_num(self.value),
            "off": _json_num(self.off),
            "threshold": self.threshold,
            "comparison": self.comparison,
        }


@dataclass(frozen=True)
class GateDecision:
    """``promote``, ``hold`` or ``rollback`` for ``plan`` at ``at``, with every check."""

    action: str
    plan: str
    phase: int | None
    phase_name: str | None
    target: int | None
    at: float
    reasons: tuple[str, ...]
    checks: tuple[Check, ...] = ()
    failed: bool = False
    state_version: int = 0

    def explain(self) -> str:
        when = dt.datetime.fromtimestamp(self.at, dt.UTC).isoformat(timespec="seconds")
        where = f"phase {self.phase_name}" if self.phase_name else "not running"
        head = f"{self.action}: {self.plan} ({where}) at {when}"
        if self.action == "promote":
            head += f" -> phase {self.target}"
        elif self.action == "rollback":
            head += " -> " + ("off (plan stopped)" if self.target is None
                              else f"phase {self.target}")
        lines = [head, *(f"  - {r}" for r in self.reasons)]
        lines += [f"  check {c.name}: {_ok(c.ok)}: {c.detail}" for c in self.checks]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.explain()

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "plan": self.plan,
            "phase": self.phase,
            "phase_name": self.phase_name,
            "target": self.target,
            "at": self.at,
            "at_iso": dt.datetime.fromtimestamp(self.at, dt.UTC).isoformat(),
            "failed": self.failed,
            "state_version": self.state_version,
            "reasons": list(self.reasons),
            "checks": [c.to_dict() for c in self.checks],
        }


def _ok(value: bool | None) -> str:
    return "pass" if value is True else ("FAIL" if value is False else "unknown")


def _json_num(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value


def _epoch(when: float | dt.datetime) -> float:
    if isinstance(when, dt.datetime):
        if when.tzinfo is None:
            raise GateError("give an aware datetime (e.g. datetime.now(UTC)), not a naive one")
        return when.timestamp()
    return float(when)


def _fmt(value: float | None, threshold: float) -> str:
    if value is None or math.isnan(value):
        return "no data"
    if 0 <= threshold <= 1 and abs(value) <= 1:
        return f"{value * 100:.4g}%"
    return f"{value:.6g}"


def _meets(value: float, comparison: str, threshold: float) -> bool:
    if comparison == "max":
        return value <= threshold
    if comparison == "min":
        return value >= threshold
    if comparison == "below":
        return value < threshold
    return value > threshold


def _worse(on: float, off: float, comparison: str) -> bool:
    """Whether ``on`` is worse than ``off`` in the direction the threshold guards."""
    return on > off if comparison in ("max", "below") else on < off


def _dur(seconds: float) -> str:
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("m", 60.0)):
        if seconds >= size:
            return f"{seconds / size:.3g}{unit}"
    return f"{seconds:.0f}s"


def decide(
    plan: RolloutPlan,
    state: RolloutState,
    metrics: PhaseMetrics | Mapping[str, Any],
    now: float | dt.datetime,
) -> GateDecision:
    """The gate's verdict for the live phase of ``plan``; see the module docstring."""
    at = _epoch(now)
    data = PhaseMetrics.of(metrics)
    if state.plan != plan.name:
        raise GateError(f"the state is for plan {state.plan!r}, not {plan.name!r}")

    def verdict(action: str, reasons: list[str], checks: list[Check] | None = None,
                target: int | None = None, failed: bool = False,
                phase: Phase | None = None) -> GateDecision:
        return GateDecision(action, plan.name, state.phase, phase.name if phase else None,
                            target, at, tuple(reasons), tuple(checks or ()), failed,
                            state.version)

    if state.phase is None:
        return verdict("hold", ["the plan is not running (never started or stopped): "
                                "start it with the flags state store; a gate never starts it"])
    if not 0 <= state.phase < len(plan.phases):
        raise GateError(f"plan {plan.name!r} has no phase {state.phase}")
    phase = plan.phases[state.phase]
    if state.phase == len(plan.phases) - 1:
        return verdict("hold", [f"{phase.name} is the last phase: nothing to promote to"],
                       phase=phase)
    previous = state.phase - 1 if state.phase > 0 else None
    checks: list[Check] = []
    unknown: list[str] = []
    breaches: list[str] = []
    excused: list[str] = []

    min_requests = int(phase.proceed_when.get("min_requests", 0) or 0)
    enough = True
    if min_requests:
        counted = _finite(data.requests)
        n = None if counted is None or counted < 0 else int(counted)
        if n is None:
            why = data.requests_error or (
                "no request count (no exposures, no requests metric)" if data.requests is None
                else "the request count is not a finite number")
            checks.append(Check("min_requests", None, f"unknown: {why}",
                                threshold=float(min_requests), comparison="min"))
            unknown.append("min_requests")
            enough = False
        else:
            ok = n >= min_requests
            checks.append(Check("min_requests", ok,
                                f"{n} flag-on requests in the phase ({data.requests_from}), "
                                f"{min_requests} needed", float(n), None,
                                float(min_requests), "min"))
            enough = ok

    for metric, rule in phase.proceed_when.items():
        if metric == "min_requests":
            continue
        cv = data.values.get(metric)
        for comparison, threshold in dict(rule).items():
            symbol = _SYMBOL[comparison]
            name = f"{metric} {comparison}"
            on = None if cv is None or cv.error is not None else _finite(cv.on)
            if cv is None or on is None:
                why = (cv.error if cv is not None and cv.error else
                       "no value for the flag-on cohort" if cv is None or cv.on is None
                       else f"the flag-on value is not a finite number ({cv.on!r})")
                checks.append(Check(name, None, f"unknown: {why}", threshold=threshold,
                                    comparison=comparison))
                unknown.append(name)
                continue
            off = _finite(cv.off)
            off_known = off is not None
            versus = (f" (flag off: {_fmt(off, threshold)})" if off_known
                      else " (flag off: unknown)")
            if _meets(on, comparison, threshold):
                checks.append(Check(name, True, f"flag on {_fmt(on, threshold)} {symbol} "
                                    f"{_fmt(threshold, threshold)}{versus}", on, off,
                                    threshold, comparison))
                continue
            detail = (f"flag on {_fmt(on, threshold)} is not {symbol} "
                      f"{_fmt(threshold, threshold)}{versus}")
            if off_known and off is not None and not _worse(on, off, comparison):
                checks.append(Check(name, False, detail + ": the flag-off cohort is as bad, "
                                    "so the flag is not to blame", on, off, threshold,
                                    comparison))
                excused.append(name)
            else:
                checks.append(Check(name, False, detail, on, off, threshold, comparison))
                breaches.append(name)

    if breaches and enough:
        if plan.on_failure == "pause":
            return verdict("hold", [f"{', '.join(breaches)} failed on the flag-on cohort; "
                                    "on_failure: pause keeps the phase for an operator"],
                           checks, failed=True, phase=phase)
        back = "stops the plan (flag off)" if previous is None else (
            f"goes back to phase {plan.phases[previous].name}")
        return verdict("rollback", [f"{', '.join(breaches)} failed on the flag-on cohort; "
                                    f"on_failure: rollback {back}"],
                       checks, target=previous, failed=True, phase=phase)
    reasons: list[str] = []
    if unknown:
        reasons.append(f"cannot tell: {', '.join(unknown)} unknown (never a pass)")
    if not enough and "min_requests" not in unknown:
        reasons.append("not enough flag-on requests yet"
                       + (f" (thresholds already breached: {', '.join(breaches)})"
                          if breaches else ""))
    if excused:
        reasons.append(f"{', '.join(excused)} breached in both cohorts alike: waiting for "
                       "the cause elsewhere to clear")
    age = None if state.started_at is None else at - state.started_at.timestamp()
    if phase.min_duration:
        if age is None:
            reasons.append("the phase has no start time")
        elif age < phase.min_duration:
            reasons.append(f"the phase has run {_dur(age)} of its min_duration "
                           f"{_dur(phase.min_duration)}")
    if reasons:
        return verdict("hold", reasons, checks, phase=phase)
    nxt = plan.phases[state.phase + 1]
    ran = "" if age is None else f" after {_dur(age)}"
    return verdict("promote", [f"every check passed{ran}: promote to phase {nxt.name}"],
                   checks, target=state.phase + 1, phase=phase)


def collect(
    plan: RolloutPlan,
    state: RolloutState,
    now: float | dt.datetime,
    *,
    source: MetricSource | None = None,
    queries: Mapping[str, MetricQuery] | None = None,
    exposures: Mapping[str, Any] | None = None,
    flag: str | None = None,
) -> PhaseMetrics:
    """Gather the live phase's metrics: instant queries per cohort, exposures for requests.

    Queries come from ``rollback.metrics``; ``$cohort`` is ``on``/``off``,
    ``$window`` the phase's age in whole seconds (``259200s``).  A query
    without ``$cohort`` gives the flag-on value only.  Provider errors are
    kept per metric (the gate then holds).
    """
    at = _epoch(now)
    if state.phase is None or not 0 <= state.phase < len(plan.phases):
        return PhaseMetrics()
    phase = plan.phases[state.phase]
    age = max(1, int(at - state.started_at.timestamp())) if state.started_at else 1
    fill = {"window": f"{age}s", "plan": plan.name, "phase": phase.name}
    queries = queries or {}
    values: dict[str, CohortValue] = {}

    def ask(query: MetricQuery, cohort: str) -> float | None:
        assert source is not None
        text = query.text(source.name, cohort=cohort, **fill)
        if text is None:
            raise MetricSourceError(f"metric {query.name} has no {source.name} query "
                                    f"(rollback.metrics.{query.name}.{source.name})")
        return source.instant(text, at)

    for metric in phase.proceed_when:
        if metric == "min_requests":
            continue
        query = queries.get(metric)
        if source is None or query is None:
            values[metric] = CohortValue(None, None, f"no query for {metric} "
                                         "in rollback.metrics" if source else "no metric source")
            continue
        try:
            on = ask(query, "on")
            off = ask(query, "off") if query.per_cohort(source.name) else None
            values[metric] = CohortValue(on, off)
        except MetricSourceError as exc:
            values[metric] = CohortValue(None, None, str(exc))

    requests: int | None = None
    origin = "none"
    error: str | None = None
    if exposures is not None and flag is not None:
        counts = (exposures.get(flag) or {}).get("phases", {}).get(phase.name)
        if counts is not None:
            requests = int(counts.get("yes", 0))
            origin = f"exposures of flag {flag}"
    if requests is None and source is not None and "requests" in queries:
        try:
            value = ask(queries["requests"], "on")
            if value is not None and math.isfinite(value) and value >= 0:
                requests = round(value)
                origin = "requests metric"
            elif value is not None:
                error = f"the requests metric is not a finite count ({value!r})"
        except MetricSourceError as exc:
            error = str(exc)
    return PhaseMetrics(values, requests, origin, error)


def apply(
    decision: GateDecision,
    store: StateStore,
    plan: RolloutPlan,
    *,
    actor: str,
) -> RolloutState | None:
    """Carry out ``decision`` through ``store``; None for a hold (nothing moves).

    The move passes the state version the decision was made on, so a plan
    someone else moved meanwhile raises
    :class:`~scrubphi.flags.state.StateConflict` instead of being moved twice.
    """
    if decision.plan != plan.name:
        raise GateError(f"the decision is for plan {decision.plan!r}, not {plan.name!r}")
    if decision.action == "hold":
        return None
    if decision.action == "rollback" and plan.on_failure != "rollback":
        return None
    reason = f"gate {decision.action}: " + "; ".join(decision.reasons)
    return store.move(plan.name, decision.target, actor=actor, reason=reason[:1000],
                      expected_version=decision.state_version)
