"""What a staged rollout did: its moves, and what its gate saw along the way.

``scrubphi flags history PLAN`` reads the plan's audit log from the state
store (every move: when, from which phase to which, who, why).  With a
metric source it also replays the gate: at evenly spaced times it rebuilds
where the plan stood then (the phase and since when, from the audit log),
asks the source exactly what :func:`scrubphi.gates.collect` asks a live gate
(each ``proceed_when`` metric for the flag-on and flag-off cohorts over the
phase's age, and the flag-on request count) and calls
:func:`scrubphi.gates.decide`, so the history shows each value against its
threshold and the gate's verdict at every sample: "why did it promote on
Tuesday", "how long was it held, and by what".
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scrubphi.errors import ScrubPhiError
from scrubphi.flags.plans import RolloutPlan
from scrubphi.flags.state import RolloutState, StateStore
from scrubphi.gates.core import Check, GateDecision, PhaseMetrics, collect, decide
from scrubphi.metrics.base import MetricSource
from scrubphi.rollback.policy import MetricQuery

__all__ = ["GateSample", "HistoryError", "Move", "PlanHistory", "plan_history", "state_at",
           "text_history"]


class HistoryError(ScrubPhiError):
    """The gate cannot be replayed: the metric source answers nothing."""

    exit_code = 10


#: At most this many gate samples (each is a few instant queries).
MAX_SAMPLES = 240


@dataclass(frozen=True)
class Move:
    """One move of the plan, from the audit log."""

    at: dt.datetime
    from_index: int | None
    to_index: int | None
    from_name: str
    to_name: str
    actor: str
    reason: str

    @property
    def by_gate(self) -> str | None:
        """``promote`` or ``rollback`` when ``scrubphi gate --apply`` made the move."""
        for action in ("promote", "rollback"):
            if self.reason.startswith(f"gate {action}:"):
                return action
        return None


@dataclass(frozen=True)
class GateSample:
    """The gate replayed at one time: its verdict and every check."""

    at: float
    phase: str | None
    decision: GateDecision

    @property
    def checks(self) -> tuple[Check, ...]:
        return self.decision.checks


@dataclass(frozen=True)
class PlanHistory:
    plan: RolloutPlan
    state: RolloutState
    moves: tuple[Move, ...]
    samples: tuple[GateSample, ...]
    until: float
    every: float | None


def _name(plan: RolloutPlan, index: int | None) -> str:
    if index is None:
        return "off"
    return plan.phases[index].name if 0 <= index < len(plan.phases) else f"#{index}"


def state_at(plan: RolloutPlan, moves: Sequence[Move], at: float) -> RolloutState:
    """Where the plan stood at ``at`` (epoch seconds), from its moves."""
    phase: int | None = None
    since: dt.datetime | None = None
    version = 0
    for m in moves:
        if m.at.timestamp() > at:
            break
        phase, since, version = m.to_index, m.at, version + 1
    return RolloutState(plan.name, phase, since, version)


def _step(span: float, every: float | None) -> float:
    if every is not None:
        if every <= 0:
            raise ValueError("the sampling step must be positive")
        return max(every, span / MAX_SAMPLES)
    raw = max(60.0, span / 120)
    for nice in (60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400):
        if raw <= nice:
            return float(nice)
    return math.ceil(raw / 86400) * 86400.0


def _answered(metrics: PhaseMetrics) -> None:
    """Stop at the first sample when the source answered no query at all (a wrong URL, a
    source that is down): every later sample would wait out the same retries."""
    errors = [v.error for v in metrics.values.values() if v.error]
    if metrics.requests_error:
        errors.append(metrics.requests_error)
    if errors and len(errors) == len(metrics.values) + (metrics.requests_error is not None) \
            and metrics.requests is None:
        raise HistoryError(f"cannot replay the gate, no query was answered: {errors[0]}")


def plan_history(
    plan: RolloutPlan,
    store: StateStore,
    *,
    source: MetricSource | None = None,
    queries: Mapping[str, MetricQuery] | None = None,
    until: float | None = None,
    every: float | None = None,
) -> PlanHistory:
    """The plan's moves and, with ``source``, the gate replayed every ``every`` seconds."""
    moves = tuple(
        Move(e.at, e.from_phase, e.to_phase, _name(plan, e.from_phase), _name(plan, e.to_phase),
             e.actor, e.reason)
        for e in store.history(plan.name)
    )
    end = time.time() if until is None else until
    samples: list[GateSample] = []
    step = None
    if source is not None and moves:
        start = moves[0].at.timestamp()
        step = _step(max(end - start, 1.0), every)
        t = start + step
        while t <= end + 1e-6:
            state = state_at(plan, moves, t)
            if state.phase is not None:
                metrics = collect(plan, state, t, source=source, queries=queries or {})
                if not samples:
                    _answered(metrics)
                samples.append(GateSample(t, _name(plan, state.phase),
                                          decide(plan, state, metrics, t)))
            t += step
    return PlanHistory(plan, store.get(plan.name), moves, tuple(samples), end, step)


def _iso(at: float | dt.datetime) -> str:
    when = at if isinstance(at, dt.datetime) else dt.datetime.fromtimestamp(at, dt.UTC)
    return when.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def text_history(h: PlanHistory) -> str:
    """The moves, then (with a source) the gate's verdict whenever it changed."""
    plan = h.plan
    lines = [f"{plan.name}: {_name(plan, h.state.phase)}"
             + (f" since {_iso(h.state.started_at)}" if h.state.started_at else "")
             + f" (version {h.state.version})",
             f"phases: {' -> '.join(p.name for p in plan.phases)}",
             f"moves: {len(h.moves)}"]
    if not h.moves:
        lines.append("  no moves yet: the plan was never started")
    for m in h.moves:
        lines.append(f"  {_iso(m.at)}  {m.from_name} -> {m.to_name}  by {m.actor}: {m.reason}")
    if h.every is not None:
        lines.append(f"gate replayed every {h.every:g}s up to {_iso(h.until)} "
                     f"({len(h.samples)} samples); shown when the verdict changes:")
        last: tuple[str, str | None] | None = None
        for s in h.samples:
            key = (s.decision.action, s.phase)
            if key == last:
                continue
            last = key
            checks = "; ".join(c.detail for c in s.checks)
            lines.append(f"  {_iso(s.at)}  {s.phase}: {s.decision.action}: "
                         f"{'; '.join(s.decision.reasons)}" + (f" [{checks}]" if checks else ""))
    return "\n".join(lines) + "\n"
