"""Staged rollout plans: the ``rollouts`` section read into frozen plans, and phases as strategies.

A plan is phases in order: audience phases (``audience: {segment: NAME}``)
first, then percentage phases that only widen.  :class:`PlanReader` checks
a plan as strictly as the loader checks ``scrub`` (file:line:column and key
path on any error); :func:`bind_plan` turns each phase into the Unleash
strategy list a flag following the plan gets: an audience phase becomes a
``default`` strategy constrained by the segment, a percentage phase becomes
``flexibleRollout`` with the plan's name as a fixed ``groupId`` and the plan's
stickiness.  Because the bucket of a user depends only on ``groupId:id``, a
user inside 5% is inside 25% and 100% too: cohorts nest.  That is why a
phase may not change the stickiness or the group, why percentages may not
go down, and why ``random`` stickiness is refused for a plan.

Why apart from the flag compiler (:mod:`scrubphi.flags.policy`): plans are
also data of their own, read by the rollout gates, the state history, the
CLI and the dashboards; :class:`StaticState` keeps where each stands in
memory.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scrubphi.flags.compiled import PhaseBinding
from scrubphi.flags.sections import FIELD_RE, NAME_RE, SectionChecks
from scrubphi.policy.model import Location
from scrubphi.policy.units import parse_duration, parse_percent

__all__ = ["Phase", "PlanReader", "RolloutPlan", "StaticState", "bind_plan"]

_PLAN_KEYS = ("description", "stickiness", "phases", "on_failure")
_PHASE_KEYS = (
    "name",
    "audience",
    "percent",
    "min_duration",
    "proceed_when",
    "stickiness",
    "group_id",
    "groupId",
)
_ON_FAILURE = ("rollback", "pause")
_COMPARISONS = ("max", "min", "below", "above")


@dataclass(frozen=True)
class Phase:
    """One step of a rollout plan.

    Exactly one of ``audience`` (a segment name) and ``percent`` is set.
    ``proceed_when`` maps a metric name to ``{comparison: threshold}``
    (percentages already turned into fractions), plus ``min_requests``.
    """

    name: str
    index: int
    audience: str | None = None
    percent: int | None = None
    min_duration: float | None = None
    proceed_when: Mapping[str, Any] = field(default_factory=dict)
    location: Location | None = field(default=None, compare=False)


@dataclass(frozen=True)
class RolloutPlan:
    """A staged rollout: fixed stickiness and group, phases in order."""

    name: str
    stickiness: str
    phases: tuple[Phase, ...]
    on_failure: str = "rollback"
    description: str | None = None
    location: Location | None = field(default=None, compare=False)

    @property
    def group_id(self) -> str:
        """The bucket group of every percentage phase: the plan's name, never changed."""
        return self.name

    def phase_index(self, name: str) -> int:
        """The index of the phase called ``name`` (KeyError if there is none)."""
        for phase in self.phases:
            if phase.name == name:
                return phase.index
        raise KeyError(name)


class StaticState:
    """An in-memory :class:`RolloutState`: for tests, the CLI and single-process apps."""

    def __init__(self, phases: Mapping[str, int | None] | None = None) -> None:
        self._phases: dict[str, int | None] = dict(phases or {})
        self._lock = threading.Lock()

    def phase(self, plan_name: str) -> int | None:
        return self._phases.get(plan_name)

    def set(self, plan_name: str, index: int | None) -> None:
        """Move ``plan_name`` to phase ``index`` (None: not started)."""
        with self._lock:
            self._phases = {**self._phases, plan_name: index}


class PlanReader(SectionChecks):
    """Reads the ``rollouts`` section; audiences must name segments in ``segment_ids``."""

    def __init__(self, sections: Mapping[str, Any], segment_ids: Mapping[str, int]) -> None:
        super().__init__(sections)
        self.segment_ids = segment_ids

    def read(self) -> dict[str, RolloutPlan]:
        """Every plan of the ``rollouts`` section, by name (in name order)."""
        raw = self.mapping(self.sections.get("rollouts"), "rollouts", "rollouts")
        plans: dict[str, RolloutPlan] = {}
        for name in sorted(raw, key=str):
            plans[name] = self.plan(name, raw[name])
        return plans

    def plan(self, name: Any, raw: Any) -> RolloutPlan:
        path = ("rollouts", name)
        if not isinstance(name, str) or NAME_RE.match(name) is None:
            self.fail("a plan name is letters, digits, _, . and -", *path)
        body = self.mapping(raw, f"rollout plan {name}", *path)
        self.keys(body, _PLAN_KEYS, "a rollout plan", *path)
        stickiness = "default"
        if "stickiness" in body:
            stickiness = self.stickiness(body["stickiness"], *path, "stickiness")
        if stickiness == "random":
            self.fail(
                "stickiness random cannot be used by a plan: a user would be in one "
                "request and out the next, and phases would not nest; use userId, "
                "sessionId, default or a context field",
                *path,
                "stickiness",
            )
        on_failure = "rollback"
        if "on_failure" in body:
            on_failure = body["on_failure"]
            if on_failure not in _ON_FAILURE:
                self.fail(
                    f"on_failure must be one of {', '.join(_ON_FAILURE)}", *path, "on_failure"
                )
        description = None
        if "description" in body:
            description = self.text(body["description"], "description", *path, "description")
        phases_raw = self.seq(body.get("phases"), "phases", *path, "phases")
        if not phases_raw:
            self.fail("a rollout plan needs at least one phase", *path)
        phases: list[Phase] = []
        seen: set[str] = set()
        last_percent = 0
        for index, phase_raw in enumerate(phases_raw):
            ppath = (*path, "phases", index)
            phase = self.phase(index, phase_raw, name, stickiness, ppath)
            if phase.name in seen:
                self.fail(f"phase name {phase.name} is used twice in this plan", *ppath, "name")
            seen.add(phase.name)
            if phase.audience is not None and last_percent:
                self.fail(
                    "audience phases come before percentage phases: once a percentage "
                    "of all users is in, a narrower audience adds nothing",
                    *ppath,
                    "audience",
                )
            if phase.percent is not None:
                if phase.percent < last_percent:
                    self.fail(
                        f"percent goes down from {last_percent} to {phase.percent}: phases "
                        "only widen, so users already in stay in (roll back instead)",
                        *ppath,
                        "percent",
                    )
                last_percent = phase.percent
            phases.append(phase)
        return RolloutPlan(
            name, stickiness, tuple(phases), on_failure, description, self.where(*path)
        )

    def phase(
        self, index: int, raw: Any, plan: str, stickiness: str, path: tuple[Any, ...]
    ) -> Phase:
        body = self.mapping(raw, "a phase", *path)
        self.keys(body, _PHASE_KEYS, "a phase", *path)
        name = self.text(body.get("name"), "every phase needs a name, which", *path, "name")
        if "stickiness" in body and body["stickiness"] != stickiness:
            self.fail(
                f"stickiness is fixed for the whole plan ({stickiness}, set at "
                f"rollouts.{plan}.stickiness): changing it between phases would move "
                "users in and out; remove it from the phase",
                *path,
                "stickiness",
            )
        for key in ("group_id", "groupId"):
            if key in body and body[key] != plan:
                self.fail(
                    f"the group of a plan is its name ({plan}) in every phase: another "
                    "group would reshuffle who is in; remove it from the phase",
                    *path,
                    key,
                )
        audience: str | None = None
        percent: int | None = None
        if ("audience" in body) == ("percent" in body):
            self.fail("a phase has either audience: {segment: NAME} or percent: N", *path)
        if "audience" in body:
            aud = self.mapping(body["audience"], "audience", *path, "audience")
            self.keys(aud, ("segment",), "audience", *path, "audience")
            audience = self.text(
                aud.get("segment"), "audience.segment", *path, "audience", "segment"
            )
            if audience not in self.segment_ids:
                self.fail(
                    f"unknown segment {audience}; defined segments: "
                    f"{', '.join(sorted(self.segment_ids)) or 'none'}",
                    *path,
                    "audience",
                    "segment",
                )
        else:
            percent = self.percent(body["percent"], "percent", *path, "percent")
            if percent == 0:
                self.fail(
                    "percent 0 lets nobody in; start the plan later instead", *path, "percent"
                )
        min_duration: float | None = None
        if "min_duration" in body:
            try:
                min_duration = parse_duration(body["min_duration"])
            except ValueError as exc:
                self.fail(str(exc), *path, "min_duration")
        proceed = self.proceed_when(body.get("proceed_when"), *path, "proceed_when")
        return Phase(name, index, audience, percent, min_duration, proceed, self.where(*path))

    def proceed_when(self, raw: Any, *path: Any) -> dict[str, Any]:
        body = self.mapping(raw, "proceed_when", *path)
        out: dict[str, Any] = {}
        for metric, rule in body.items():
            mpath = (*path, metric)
            if metric == "min_requests":
                if isinstance(rule, bool) or not isinstance(rule, int) or rule < 0:
                    self.fail("min_requests must be a whole number, 0 or more", *mpath)
                out[metric] = rule
                continue
            if not isinstance(metric, str) or FIELD_RE.match(metric) is None:
                self.fail("a metric name is letters, digits and _", *mpath)
            checks = self.mapping(rule, f"the rule for {metric}", *mpath)
            if not checks:
                self.fail(f"give a threshold: {' | '.join(_COMPARISONS)}", *mpath)
            self.keys(checks, _COMPARISONS, f"the rule for {metric}", *mpath)
            parsed: dict[str, float] = {}
            for comparison, threshold in checks.items():
                if isinstance(threshold, int | float) and not isinstance(threshold, bool):
                    parsed[comparison] = float(threshold)
                    continue
                try:
                    parsed[comparison] = parse_percent(threshold)
                except ValueError as exc:
                    self.fail(str(exc), *mpath, comparison)
            out[metric] = parsed
        return out


def bind_plan(plan: RolloutPlan, segment_ids: Mapping[str, int]) -> PhaseBinding:
    """One Unleash strategy list per phase; later phases include earlier audiences."""
    phases: list[tuple[dict[str, Any], ...]] = []
    audiences: list[dict[str, Any]] = []
    for phase in plan.phases:
        if phase.audience is not None:
            audiences.append(
                {
                    "name": "default",
                    "parameters": {},
                    "constraints": [],
                    "segments": [segment_ids[phase.audience]],
                }
            )
            phases.append(tuple(dict(a) for a in audiences))
        else:
            rollout = {
                "name": "flexibleRollout",
                "parameters": {
                    "rollout": str(phase.percent),
                    "stickiness": plan.stickiness,
                    "groupId": plan.group_id,
                },
                "constraints": [],
            }
            phases.append((*(dict(a) for a in audiences), rollout))
    return PhaseBinding(plan.name, tuple(p.name for p in plan.phases), tuple(phases))
