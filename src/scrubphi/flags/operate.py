"""An operator's manual move of a rollout plan: one function for every front end.

``scrubphi flags phase``, ``manage.py flags phase`` and the Django admin page
all move plans through :func:`move_phase`, so they make the same checks (the
plan and the phase exist in the policy, a reason is given, the plan has not
moved since the operator looked) and write the same audit event (actor,
reason, time) in the state store, in one transaction of the store.  Gates are
not checked: this is the manual move.
"""

from __future__ import annotations

from dataclasses import dataclass

from scrubphi.errors import ScrubPhiError
from scrubphi.flags.plans import RolloutPlan
from scrubphi.flags.policy import CompiledFlags
from scrubphi.flags.state import RolloutState, StateStore

__all__ = ["PhaseMove", "UnknownName", "find_plan", "move_phase", "phase_index", "phase_name"]


class UnknownName(ScrubPhiError):
    """A flag, rollout plan or phase the policy does not define."""

    exit_code = 8


@dataclass(frozen=True, slots=True)
class PhaseMove:
    """What a move did: the plan's state before and after it."""

    plan: RolloutPlan
    before: RolloutState
    after: RolloutState

    @property
    def changed(self) -> bool:
        """False when the plan already stood there (nothing was recorded)."""
        return self.after.version != self.before.version

    @property
    def skipped(self) -> list[str]:
        """The phases jumped over (their gates were not checked)."""
        start, end = self.before.phase, self.after.phase
        if not self.changed or start is None or end is None or end <= start + 1:
            return []
        return [p.name for p in self.plan.phases[start + 1 : end]]


def find_plan(compiled: CompiledFlags, name: str) -> RolloutPlan:
    """The plan called ``name``; UnknownName lists the defined ones."""
    plan = compiled.plans.get(name)
    if plan is None:
        known = ", ".join(sorted(compiled.plans)) or "none"
        raise UnknownName(f"unknown rollout plan {name!r}; the policy defines: {known}")
    return plan


def phase_index(plan: RolloutPlan, name: str) -> int:
    """The index of phase ``name``; UnknownName lists the plan's phases."""
    try:
        return plan.phase_index(name)
    except KeyError:
        known = ", ".join(p.name for p in plan.phases)
        raise UnknownName(
            f"rollout plan {plan.name!r} has no phase {name!r}; its phases: {known}"
        ) from None


def phase_name(plan: RolloutPlan, index: int | None) -> str:
    """A phase index as people read it."""
    if index is None:
        return "(not running)"
    if 0 <= index < len(plan.phases):
        return plan.phases[index].name
    return f"(unknown phase #{index})"


def move_phase(
    store: StateStore,
    plan: RolloutPlan,
    target: str | None,
    *,
    actor: str,
    reason: str,
    expected_version: int | None = None,
) -> PhaseMove:
    """Move ``plan`` to the phase called ``target`` (None stops it), audited.

    Raises UnknownName for a phase the plan does not have, ValueError for an
    empty actor or reason, and the store's StateConflict when
    ``expected_version`` is given and the plan moved since.
    """
    if not reason.strip():
        raise ValueError("a reason is required to move a plan (it is the audit log)")
    if not actor.strip():
        raise ValueError("an actor is required to move a plan (it is the audit log)")
    to_index = None if target is None else phase_index(plan, target)
    before = store.get(plan.name)
    after = store.move(
        plan.name, to_index, actor=actor, reason=reason, expected_version=expected_version
    )
    return PhaseMove(plan, before, after)
