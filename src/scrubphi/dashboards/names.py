"""The controller's own Prometheus metrics that the dashboards read.

scrubphi exposes these with ``prometheus-client`` (issue 19, item 2); the
dashboards and the exporter must agree on the names, so both take them from
here.  Labels: ``version`` is ``stable`` or ``canary``; ``rule`` a rollback
rule's name; ``plan``/``phase``/``flag``/``variant`` as in the policy.
"""

from __future__ import annotations

__all__ = [
    "CANARY_5XX_RATIO",
    "CANARY_DECISION",
    "CANARY_LATENCY_P99_MS",
    "CANARY_REQUESTS",
    "CANARY_RULE_VALUE",
    "CANARY_STEP",
    "CANARY_WEIGHT",
    "FLAG_EXPOSURES",
    "ROLLOUT_PHASE",
]

#: gauge, percent of the traffic per ``version``
CANARY_WEIGHT = "scrubphi_canary_weight_percent"
#: gauge, the flow's current step (1-based)
CANARY_STEP = "scrubphi_canary_step"
#: gauge per ``rule``: the rule's latest value, in the unit of its threshold
CANARY_RULE_VALUE = "scrubphi_canary_rule_value"
#: gauge per ``action`` (ok, alert, inconclusive, rollback, rollback_now): 1 for the current one
CANARY_DECISION = "scrubphi_canary_decision"
#: gauges per ``version``, over the controller's window (nginx's access log)
CANARY_5XX_RATIO = "scrubphi_canary_http_5xx_ratio"
CANARY_LATENCY_P99_MS = "scrubphi_canary_latency_p99_ms"
CANARY_REQUESTS = "scrubphi_canary_http_requests"
#: gauge per ``plan``: the live phase's index (-1: not running)
ROLLOUT_PHASE = "scrubphi_rollout_phase"
#: counter per ``flag``, ``variant`` (``yes``/``no`` for on/off) and ``phase``
FLAG_EXPOSURES = "scrubphi_flag_exposures_total"
