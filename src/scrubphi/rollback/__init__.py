"""Automated rollback rules as library calls: ``evaluate(rules, series, now) -> Decision``.

The rules come from the policy's ``rollback`` section
(:func:`rules_from_policy`); the decision says ``ok``, ``alert``,
``rollback``, ``rollback_now`` or ``inconclusive`` and, for every rule, what it
saw and why.  See ``docs/rollback-and-gates.md``.
"""

from __future__ import annotations

from scrubphi.rollback.engine import ACTION_ORDER, Decision, RuleResult, evaluate, evaluate_rule
from scrubphi.rollback.fetch import check, fetch_series
from scrubphi.rollback.monitor import RollbackMonitor
from scrubphi.rollback.policy import (
    MetricQuery,
    Rule,
    RuleSet,
    SourceConfig,
    rules_from_mapping,
    rules_from_policy,
)

__all__ = [
    "ACTION_ORDER",
    "Decision",
    "MetricQuery",
    "RollbackMonitor",
    "Rule",
    "RuleResult",
    "RuleSet",
    "SourceConfig",
    "check",
    "evaluate",
    "evaluate_rule",
    "fetch_series",
    "rules_from_mapping",
    "rules_from_policy",
]
