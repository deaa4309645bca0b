"""The controller's own Prometheus metrics that the dashboards read.

They are exposed with ``prometheus-client`` by :mod:`scrubphi.metrics.exposition`
(``canary run --serve-metrics``, and a flag client's exposure collector); the
names and labels are listed in docs/canary.md and docs/flags.md.  Labels:
``version`` is ``stable`` or ``canary``; ``rule``/``metric`` a rollback rule
and its metric; ``plan``/``phase``/``flag``/``result``/``variant`` as in
the policy.
"""

from __future__ import annotations

__all__ = [
    "CANARY_5XX_RATIO",
    "CANARY_DECISION",
    "CANARY_LATENCY_P99_MS",
    "CANARY_REQUESTS",
    "CANARY_RULE_THRESHOLD",
    "CANARY_RULE_VALUE",
    "CANARY_STEP",
    "CANARY_WEIGHT",
    "FLAG_EXPOSURES",
    "ROLLOUT_PHASE",
]

#: gauge per ``version``: percent of the traffic
CANARY_WEIGHT = "scrubphi_canary_weight_percent"
#: gauge: the flow's current step (from 1)
CANARY_STEP = "scrubphi_canary_step"
#: gauge per ``rule``, ``metric``: the rule's latest value (NaN: no data)
CANARY_RULE_VALUE = "scrubphi_canary_rule_value"
#: gauge per ``rule``, ``metric``, ``comparison``: the rule's threshold
CANARY_RULE_THRESHOLD = "scrubphi_canary_rule_threshold"
#: gauge per ``action`` (ok, inconclusive, alert, rollback, rollback_now): 1 for the current one
CANARY_DECISION = "scrubphi_canary_decision"
#: gauges per ``version`` over the controller's window (nginx's access log)
CANARY_5XX_RATIO = "scrubphi_canary_version_5xx_ratio"
CANARY_LATENCY_P99_MS = "scrubphi_canary_version_latency_p99_ms"
CANARY_REQUESTS = "scrubphi_canary_version_requests"
#: gauge per ``plan``, ``phase``: 1 for each plan's live phase
ROLLOUT_PHASE = "scrubphi_rollout_phase"
#: counter per ``flag``, ``result`` (on/off), ``variant`` and ``phase``
FLAG_EXPOSURES = "scrubphi_flag_exposures_total"
