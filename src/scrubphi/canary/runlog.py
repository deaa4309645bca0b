"""What a canary run records and reports: events, the run log, status snapshots, the result.

Kept apart from the controller (which decides) because several readers need
it without running anything: the CLI's live display and ``canary status``,
the durable store (:mod:`scrubphi.canary.store`) that appends every event to
disk as it happens, and a person reading the log after an incident.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from scrubphi.canary.routers import Weights

__all__ = [
    "EXIT_CODES",
    "ROLLBACK_ACTIONS",
    "CanaryResult",
    "CanaryStatus",
    "Event",
    "Outcome",
    "RunLog",
    "State",
    "decision_parts",
]

Outcome = Literal["running", "promoted", "rolled_back", "failed", "aborted"]
State = Literal["pending", "running", "promoted", "rolled_back", "failed", "aborted"]
ROLLBACK_ACTIONS = frozenset({"rollback", "rollback_now"})

#: Exit codes of ``scrubphi canary run`` / ``rollback`` (see docs/canary.md).
EXIT_CODES: Mapping[str, int] = {
    "promoted": 0,
    "rolled_back": 11,
    "rollback_slow": 12,
    "router_error": 13,
    "aborted": 14,
    "locked": 15,
}


@dataclass(frozen=True)
class Event:
    """One line of the run log: when (run-relative and UTC), what, and its numbers."""

    t: float
    wall: str
    kind: str
    message: str
    step: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "t": round(self.t, 6),
            "wall": self.wall,
            "kind": self.kind,
            "step": self.step,
            "message": self.message,
            "data": dict(self.data),
        }


class RunLog:
    """Everything one canary run did, in order: for the live display and after an incident."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def add(self, event: Event) -> None:
        self.events.append(event)

    def of_kind(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]

    def text(self) -> str:
        """One line per event: UTC time, seconds into the run, step, message."""
        lines = []
        for e in self.events:
            step = f"step {e.step + 1}" if e.step is not None else "      "
            lines.append(f"{e.wall}  +{e.t:8.2f}s  {step:<7}  {e.message}")
        return "\n".join(lines) + ("\n" if lines else "")

    def as_list(self) -> list[dict[str, Any]]:
        return [e.as_dict() for e in self.events]


@dataclass(frozen=True)
class CanaryStatus:
    """A snapshot after a tick, for the live display and callers."""

    state: State
    step: int | None
    steps: int
    step_text: str
    weights: Weights | None
    action: str | None
    detail: str
    rules: tuple[Mapping[str, Any], ...] = ()
    pause_left: float | None = None
    paused: str | None = None
    hold: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: what ``scrubphi canary status --json`` prints."""
        return {
            "state": self.state,
            "step": None if self.step is None else self.step + 1,
            "steps": self.steps,
            "step_text": self.step_text,
            "weights": None if self.weights is None else {
                "stable": self.weights.stable, "canary": self.weights.canary},
            "analysis": self.action,
            "detail": self.detail,
            "rules": [dict(r) for r in self.rules],
            "pause_left": self.pause_left,
            "paused": self.paused,
            "hold": self.hold,
        }


@dataclass(frozen=True)
class CanaryResult:
    """The end of a run: outcome, rollback timing against the budget, the log."""

    outcome: Outcome
    reason: str
    rollback_seconds: float | None
    rollback_within: float
    log: RunLog

    @property
    def rollback_in_time(self) -> bool | None:
        if self.rollback_seconds is None:
            return None
        return self.rollback_seconds <= self.rollback_within

    @property
    def exit_code(self) -> int:
        if self.outcome == "promoted":
            return EXIT_CODES["promoted"]
        if self.outcome == "failed":
            return EXIT_CODES["router_error"]
        if self.rollback_in_time is False:
            return EXIT_CODES["rollback_slow"]
        if self.outcome == "aborted":
            return EXIT_CODES["aborted"]
        return EXIT_CODES["rolled_back"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "reason": self.reason,
            "exit_code": self.exit_code,
            "rollback_seconds": self.rollback_seconds,
            "rollback_within": self.rollback_within,
            "rollback_in_time": self.rollback_in_time,
            "events": self.log.as_list(),
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, sort_keys=False)


def decision_parts(decision: Any) -> tuple[str, str, tuple[Mapping[str, Any], ...]]:
    """Action, a one-line reason and per-rule states of a ``scrubphi.rollback.Decision``.

    Per rule: name, metric, state (ok | pending | firing | inconclusive |
    error), action, the latest value as the threshold was written, and the
    engine's reason.  The reason of the whole decision names the rules that
    decided it.
    """
    action = str(getattr(decision, "action", decision))
    rules: list[Mapping[str, Any]] = []
    deciding: list[str] = []
    for result in getattr(decision, "results", None) or ():
        values = getattr(result, "values", ())
        latest = values[-1][1] if values else None
        fmt = getattr(result, "fmt", None)
        rule = result.rule
        entry = {
            "name": str(result.name),
            "metric": str(rule.metric),
            "state": str(result.state),
            "action": str(result.action),
            "value": fmt(latest) if fmt is not None else latest,
            "threshold": (f"{getattr(rule, 'comparison', 'above')} "
                          f"{fmt(rule.threshold) if fmt is not None else rule.threshold}"),
            "reason": str(result.reason),
            # the same as numbers, for metrics (scrubphi.metrics.exposition) and plots
            "number": (float(latest) if isinstance(latest, int | float)
                       and math.isfinite(latest) else None),
            "limit": float(rule.threshold),
            "comparison": str(getattr(rule, "comparison", "above")),
        }
        rules.append(entry)
        if result.action == action and action != "ok":
            deciding.append(f"{entry['name']}: {entry['state']}, {entry['reason']}")
    if not deciding:
        deciding = [f"{r['name']} {r['state']} {r['value']}" for r in rules]
    reason = "; ".join(deciding) if deciding else action
    return action, reason, tuple(rules)
