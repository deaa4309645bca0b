"""What a canary run did, read back from its run log: for ``scrubphi canary report``.

A run log is either the state folder's ``RUN_ID.jsonl`` (one event per line,
written as the run went) or the JSON that ``canary run --log-file``/``--json``
writes (``{"outcome": ..., "events": [...]}``).  :func:`load_run` reads
either into a :class:`CanaryRun`: the weights over time, every check with each
rule's value against its threshold, the alerts, and the decision (rollback or
promotion) with its time.  The text and HTML reports are views of it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrubphi import jsontext
from scrubphi.htmlpage import ReportError

__all__ = ["CanaryRun", "Check", "RuleValue", "load_run", "parse_events", "text_report"]


@dataclass(frozen=True)
class RuleValue:
    """One rule at one check: its value against its threshold, and its state."""

    name: str
    metric: str
    state: str
    value: float | None
    threshold: float | None
    comparison: str
    shown: str  # the value as the run log wrote it (``5%``, ``2500``)
    percent: bool = False  # the threshold is written as a percentage


@dataclass(frozen=True)
class Check:
    """One analysis of the rules (a ``decision`` or a ``check`` event)."""

    t: float
    wall: str
    step: int | None
    action: str
    rules: tuple[RuleValue, ...]
    changed: bool  # a decision event: the action or a rule's state changed here


@dataclass(frozen=True)
class CanaryRun:
    """A run as its log tells it."""

    events: tuple[Mapping[str, Any], ...]
    started: str
    steps: tuple[str, ...]
    weights: tuple[tuple[float, str, int, int, str], ...]  # t, wall, stable, canary, why
    checks: tuple[Check, ...]
    alerts: tuple[Mapping[str, Any], ...]
    outcome: str | None
    reason: str
    decision: Mapping[str, Any] | None  # rollback_started or the promotion's weights event
    rollback_seconds: float | None
    rollback_within: float | None
    finished: Mapping[str, Any] | None
    rule_names: tuple[str, ...] = field(default=())

    @property
    def good(self) -> bool | None:
        return None if self.outcome is None else self.outcome == "promoted"


def _events_from(text: str, source: str) -> list[Mapping[str, Any]]:
    if not text.strip():
        raise ReportError(f"{source}: the run log is empty")
    try:
        doc = jsontext.loads(text)  # canary run --log-file / --json: one document
    except json.JSONDecodeError:
        doc = None  # one event per line, read below
    if isinstance(doc, Mapping):
        if isinstance(doc.get("events"), list):
            return list(doc["events"])
        return [doc]
    if doc is not None:
        raise ReportError(f"{source}: not a run log (a JSON {type(doc).__name__})")
    events = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            events.append(jsontext.loads(line))
        except json.JSONDecodeError as exc:
            raise ReportError(f"{source}:{number}: not a JSON event ({exc.msg}); a run log "
                              "has one JSON event per line") from None
    return events


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _rules(raw: object) -> tuple[RuleValue, ...]:
    out = []
    for r in raw if isinstance(raw, list) else ():
        if not isinstance(r, Mapping):
            continue
        out.append(RuleValue(
            name=str(r.get("name")), metric=str(r.get("metric")), state=str(r.get("state")),
            value=_number(r.get("number")), threshold=_number(r.get("limit")),
            comparison=str(r.get("comparison") or "above"), shown=str(r.get("value")),
            percent=str(r.get("threshold", "")).endswith("%"),
        ))
    return tuple(out)


def parse_events(events: Sequence[Mapping[str, Any]], source: str = "run log") -> CanaryRun:
    """Build a :class:`CanaryRun` from the events of one run (oldest first)."""
    for number, e in enumerate(events, 1):
        if not isinstance(e, Mapping) or not isinstance(e.get("kind"), str) or not isinstance(
                e.get("t"), (int, float)) or not isinstance(e.get("wall"), str):
            raise ReportError(f"{source}: event {number} is not a run log event "
                              "(it needs kind, t and wall)")
    if not events or events[0]["kind"] != "run_started":
        raise ReportError(f"{source}: a run log starts with a run_started event")
    weights, checks, alerts = [], [], []
    decision: Mapping[str, Any] | None = None
    finished: Mapping[str, Any] | None = None
    rollback_seconds = rollback_within = None
    names: list[str] = []
    for e in events:
        kind, data = e["kind"], e.get("data") or {}
        if kind == "weights":
            weights.append((float(e["t"]), e["wall"], int(data.get("stable", 0)),
                            int(data.get("canary", 0)), str(data.get("why", ""))))
            if data.get("why") == "promotion" and decision is None:
                decision = e
        elif kind in ("decision", "check"):
            rules = _rules(data.get("rules"))
            for r in rules:
                if r.name not in names:
                    names.append(r.name)
            checks.append(Check(float(e["t"]), e["wall"], e.get("step"),
                                str(data.get("action")), rules, kind == "decision"))
            if (kind == "decision" and data.get("action") == "alert"
                    and data.get("previous") != "alert"):
                alerts.append(e)
        elif kind == "rollback_started" and decision is None:
            decision = e
        elif kind == "rollback_done":
            # the rollback moves the traffic without a weights event: all on stable from here
            weights.append((float(e["t"]), e["wall"], 100, 0, "rollback"))
            rollback_seconds = _number(data.get("seconds"))
            rollback_within = _number(data.get("rollback_within"))
        elif kind == "run_finished":
            finished = e
    if decision is None and finished is not None:
        decision = finished  # promoted (already at 100%) or failed: the end is the decision
    start = events[0]
    outcome = None
    reason = "the run has not finished (its controller is running, or died: see canary status)"
    if finished is not None:
        outcome = str((finished.get("data") or {}).get("outcome"))
        message = str(finished.get("message", ""))
        reason = message.split(": ", 1)[1] if ": " in message else message
    steps = (start.get("data") or {}).get("steps") or []
    return CanaryRun(
        events=tuple(events), started=start["wall"], steps=tuple(str(s) for s in steps),
        weights=tuple(weights), checks=tuple(checks), alerts=tuple(alerts), outcome=outcome,
        reason=reason, decision=decision, rollback_seconds=rollback_seconds,
        rollback_within=rollback_within, finished=finished, rule_names=tuple(names),
    )


def load_run(path: str | Path) -> CanaryRun:
    """Read a run log file (``.jsonl`` or ``--log-file`` JSON); ReportError when it is not one."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(f"{p}: no such run log") from None
    except IsADirectoryError:
        raise ReportError(f"{p}: a folder, not a run log (the logs are in "
                          "scrubphi-canary.runs/RUN_ID.jsonl)") from None
    except UnicodeDecodeError:
        raise ReportError(f"{p}: not a text file") from None
    return parse_events(_events_from(text, str(p)), str(p))


def text_report(run: CanaryRun) -> str:
    """What the run did, for a terminal: outcome, decision, weights, alerts, rule values."""
    lines = [f"canary run started {run.started}: {len(run.steps)} steps "
             f"({', '.join(run.steps)})"]
    if run.outcome is None:
        lines.append(f"outcome: unfinished: {run.reason}")
    else:
        lines.append(f"outcome: {run.outcome}: {run.reason}")
    if run.decision is not None:
        d = run.decision
        what = {"rollback_started": "rollback decided", "weights": "promoted"}.get(
            str(d["kind"]), str(run.outcome))
        lines.append(f"decision: {what} at {d['wall']} (+{float(d['t']):.2f}s)")
    if run.rollback_seconds is not None:
        lines.append(f"all traffic on stable {run.rollback_seconds:.3f}s after the decision "
                     f"(rollback_within {run.rollback_within or 0:g}s)")
    lines.append("weights:")
    for t, wall, stable, canary, why in run.weights:
        lines.append(f"  {wall}  +{t:8.2f}s  stable {stable}% canary {canary}%  ({why})")
    lines.append(f"alerts: {len(run.alerts)}")
    for a in run.alerts:
        lines.append(f"  {a['wall']}  +{float(a['t']):8.2f}s  {a['message']}")
    lines.append(f"checks: {len(run.checks)} (every rule's value against its threshold)")
    for c in run.checks:
        rules = "; ".join(f"{r.name} {r.state} {r.shown}" for r in c.rules)
        mark = "*" if c.changed else " "
        lines.append(f" {mark}{c.wall}  +{c.t:8.2f}s  {c.action:<12} {rules}")
    return "\n".join(lines) + "\n"
