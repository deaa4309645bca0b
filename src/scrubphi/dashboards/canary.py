"""The canary runs' dashboard: weights, per-version errors and latency, rules, alerts, decisions.

Generated from the policy's ``canary`` and ``rollback`` sections: the weights
and step of the flow, the stable and canary versions' 5xx ratio, p99 latency
and requests side by side (the controller's own gauges), one panel per
rollback rule with its value against its threshold (the rule's own
Prometheus query when the policy has one, else the controller's gauge of the
value it judged), the analysis as a state timeline, and alerts and
rollbacks as annotations.
"""

from __future__ import annotations

from typing import Any

from scrubphi.canary.policy import canary_from_policy
from scrubphi.dashboards import names
from scrubphi.dashboards.common import annotation, dashboard_json, promql, sdk, timeseries
from scrubphi.policy.model import Policy
from scrubphi.rollback.policy import rules_from_policy

__all__ = ["canary_dashboard"]

_ACTIONS = ("ok", "inconclusive", "alert", "rollback", "rollback_now")
_COLOURS = {"ok": "green", "inconclusive": "text", "alert": "orange", "rollback": "red",
            "rollback_now": "dark-red"}


def _unit(metric: str, percent: bool) -> str:
    if percent:
        return "percentunit"
    return "ms" if metric.endswith("_ms") else ""


def canary_dashboard(policy: Policy) -> dict[str, Any]:
    """The dashboard JSON of the policy's canary flow (validated by the SDK's model)."""
    s = sdk()
    flow = canary_from_policy(policy)
    rules = rules_from_policy(policy)
    interval = f"{rules.interval:g}s"
    steps = ", ".join(step.describe() for step in flow.steps)
    ds = s.models.DataSourceRef(type_val="prometheus", uid="${datasource}")
    board = (s.dashboard.Dashboard("Canary runs").uid("scrubphi-canary")
             .description(f"scrubphi canary: {steps}; rollback_within "
                          f"{flow.rollback_within:g}s")
             .tags(["scrubphi", "canary"]).time("now-3h", "now").refresh("10s")
             .timezone("utc").readonly()
             .with_variable(s.dashboard.DatasourceVariable("datasource").label("Prometheus")
                            .type("prometheus")))
    board = board.annotation(annotation(
        "alerts", f'changes({names.CANARY_DECISION}{{action="alert"}}[1m]) > 0 and '
                  f'{names.CANARY_DECISION}{{action="alert"}} == 1', "orange"))
    board = board.annotation(annotation(
        "rollbacks", f'changes({names.CANARY_DECISION}{{action=~"rollback|rollback_now"}}[1m])'
                     f' > 0 and {names.CANARY_DECISION}{{action=~"rollback|rollback_now"}} == 1',
        "red"))
    board = board.with_row(s.dashboard.Row("Traffic"))
    board = board.with_panel(timeseries(
        "weights", f"share of the traffic per version; the flow: {steps}",
        [("{{version}}", f"{names.CANARY_WEIGHT}")], unit="percent", step=True))
    board = board.with_panel(
        s.stat.Panel().title("step").description(f"the flow's step (1..{len(flow.steps)})")
        .datasource(ds).span(6).height(8)
        .with_target(s.prometheus.Dataquery().expr(names.CANARY_STEP).instant().ref_id("A")))
    mappings = [s.models.ValueMap(options={
        "1": s.models.ValueMappingResult(text="now", color=_COLOURS["ok"], index=0)})]
    board = board.with_panel(
        s.statetimeline.Panel().title("analysis").description(
            "the rollback rules' decision at each check: " + ", ".join(_ACTIONS))
        .datasource(ds).span(6).height(8).mappings(mappings)
        .with_target(s.prometheus.Dataquery()
                     .expr(f"{names.CANARY_DECISION} == 1").legend_format("{{action}}")
                     .range().ref_id("A")))
    board = board.with_row(s.dashboard.Row("Stable vs canary"))
    for title, metric, unit in (("5xx ratio", names.CANARY_5XX_RATIO, "percentunit"),
                                ("p99 latency", names.CANARY_LATENCY_P99_MS, "ms"),
                                ("requests in the window", names.CANARY_REQUESTS, "")):
        board = board.with_panel(timeseries(
            f"{title} per version", f"{metric} per version over the controller's window",
            [("{{version}}", metric)], unit=unit, span=8))
    board = board.with_row(s.dashboard.Row("Rollback rules"))
    for rule in rules.rules:
        query = rules.metrics.get(rule.metric)
        percent = rule.metric.endswith("_ratio") or 0 < rule.threshold < 1
        judged = f'{names.CANARY_RULE_VALUE}{{rule="{rule.name}"}}'
        targets = [("judged by the controller", judged),
                   ("threshold", f'{names.CANARY_RULE_THRESHOLD}{{rule="{rule.name}"}}')]
        where = f"the value the controller judged ({names.CANARY_RULE_VALUE})"
        if query is not None and "prometheus" in query.queries:
            targets.append((f"rollback.metrics.{rule.metric}",
                            promql(query.queries["prometheus"], interval=interval)))
            where += f" and the policy's query rollback.metrics.{rule.metric}"
        shown = f"{rule.threshold * 100:g}%" if percent else f"{rule.threshold:g}"
        board = board.with_panel(timeseries(
            f"{rule.name}: {rule.metric} {rule.comparison} {shown}",
            f"{where}; {rule.action} when {rule.comparison} {shown} "
            f"({rule.need} of the last {rule.size} checks, one every {interval}); "
            f"missing data: {rule.missing_data}",
            targets, unit=_unit(rule.metric, percent), thresholds=[rule.threshold], span=8))
    return dashboard_json(board)
