"""Rollout gates as library calls: ``decide(plan, state, metrics, now) -> GateDecision``.

A gate looks at the live phase of a staged rollout plan (``rollouts:`` in
the policy, parsed by :func:`scrubphi.flags.rollout_plans`) and says
``promote``, ``hold`` or ``rollback`` with its reasons, values and
thresholds; :func:`apply` moves the plan through the flags state store.  See
``docs/rollback-and-gates.md``.
"""

from __future__ import annotations

from scrubphi.gates.core import (
    Check,
    CohortValue,
    GateDecision,
    GateError,
    PhaseMetrics,
    apply,
    collect,
    decide,
)

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
