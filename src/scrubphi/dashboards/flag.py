"""A staged rollout's dashboard: both cohorts, requests, thresholds, phase changes.

Generated from the policy: every ``rollback.metrics`` query that uses
``$cohort`` becomes a panel with the flag-on and flag-off cohorts side by
side (the gate's own comparison), with the ``proceed_when`` thresholds any
phase sets on that metric drawn as dashed lines; ``requests`` shows the
traffic of each cohort.  The live phase (``scrubphi_rollout_phase``) is a
state timeline, its changes are annotations, and the flag's exposures per
phase come from the app's own counters.
"""

from __future__ import annotations

from typing import Any

from scrubphi.dashboards import names
from scrubphi.dashboards.common import (
    DashboardError,
    annotation,
    dashboard_json,
    promql,
    sdk,
    timeseries,
)
from scrubphi.flags.operate import find_plan
from scrubphi.flags.policy import compile_policy
from scrubphi.policy.model import Policy
from scrubphi.rollback.policy import rules_from_policy

__all__ = ["rollout_dashboard"]


def _unit(metric: str) -> str:
    if metric.endswith(("_ms", "_milliseconds")):
        return "ms"
    if metric.endswith(("_seconds", "_s")):
        return "s"
    if "rate" in metric or "ratio" in metric:
        return "percentunit"
    return ""


def _fmt(value: float, unit: str) -> str:
    return f"{value * 100:g}%" if unit == "percentunit" else f"{value:g}"


def rollout_dashboard(policy: Policy, plan_name: str) -> dict[str, Any]:
    """The dashboard JSON of rollout plan ``plan_name`` (validated by the SDK's model)."""
    s = sdk()
    compiled = compile_policy(policy)
    plan = find_plan(compiled, plan_name)  # UnknownName (exit 8) lists the plans
    rules = rules_from_policy(policy)
    interval = f"{rules.interval:g}s"
    flags = sorted(f for f, b in compiled.bindings.items() if b.plan == plan.name)
    cohort_metrics = [m for m in rules.metrics.values()
                      if m.name != "requests" and m.per_cohort("prometheus")]
    if not cohort_metrics:
        raise DashboardError(
            "no rollback.metrics query uses $cohort for Prometheus: nothing compares the "
            "flag-on and flag-off cohorts (docs/rollback-and-gates.md, Writing gate queries)")
    phases = ", ".join(p.name for p in plan.phases)
    board = (s.dashboard.Dashboard(f"Rollout {plan.name}")
             .uid(f"scrubphi-rollout-{plan.name}"[:40])
             .description(plan.description or f"staged rollout {plan.name}: {phases}")
             .tags(["scrubphi", "rollout", plan.name]).time("now-14d", "now").refresh("1m")
             .timezone("utc").readonly()
             .with_variable(s.dashboard.DatasourceVariable("datasource").label("Prometheus")
                            .type("prometheus"))
             .with_variable(s.dashboard.CustomVariable("phase").label("phase")
                            .values(",".join(p.name for p in plan.phases))))
    live = f'{names.ROLLOUT_PHASE}{{plan="{plan.name}"}}'
    # a phase that is live now and was not a minute before: the plan moved to it
    board = board.annotation(annotation(
        "phase changes", f"{live} == 1 unless {live} offset 1m == 1", "blue"))
    board = board.with_row(s.dashboard.Row("Flag on vs flag off"))
    for metric in cohort_metrics:
        query = metric.queries["prometheus"]
        unit = _unit(metric.name)
        limits: list[float] = []
        said: list[str] = []
        for p in plan.phases:
            for comparison, value in dict(p.proceed_when.get(metric.name) or {}).items():
                limits.append(float(value))
                said.append(f"{p.name}: {comparison} {_fmt(float(value), unit)}")
        description = (f"rollback.metrics.{metric.name} for each cohort"
                       + (f"; gate thresholds: {'; '.join(said)}" if said else ""))
        board = board.with_panel(timeseries(
            f"{metric.name}: flag on vs flag off", description,
            [(f"flag {c}", promql(query, cohort=c, plan=plan.name, interval=interval))
             for c in ("on", "off")], unit=unit, thresholds=limits))
    requests = rules.metrics.get("requests")
    if requests is not None and "prometheus" in requests.queries:
        cohorts = ("on", "off") if requests.per_cohort("prometheus") else ("on",)
        minimum = [float(p.proceed_when["min_requests"]) for p in plan.phases
                   if p.proceed_when.get("min_requests")]
        board = board.with_panel(timeseries(
            "requests per cohort",
            "rollback.metrics.requests per $__rate_interval; the gates count them over the "
            "whole phase against min_requests "
            f"({', '.join(f'{m:g}' for m in minimum) or 'none'})",
            [(f"flag {c}", promql(requests.queries["prometheus"], cohort=c, plan=plan.name,
                                  interval=interval)) for c in cohorts]))
    board = board.with_row(s.dashboard.Row("Phase and exposures"))
    mappings = [s.models.ValueMap(options={"1": s.models.ValueMappingResult(text="live")})]
    board = board.with_panel(
        s.statetimeline.Panel().title(f"live phase of {plan.name}")
        .description(f"{names.ROLLOUT_PHASE}: 1 for the live phase ({phases}); none: the "
                     "plan is not running")
        .datasource(s.models.DataSourceRef(type_val="prometheus", uid="${datasource}"))
        .with_target(s.prometheus.Dataquery().expr(f"max by (phase) ({live}) == 1")
                     .legend_format("{{phase}}").range().ref_id("A"))
        .mappings(mappings).span(12).height(5))
    if flags:
        selector = "|".join(flags)
        board = board.with_panel(timeseries(
            "flag evaluations per phase and result",
            f"{names.FLAG_EXPOSURES} of {', '.join(flags)}, by phase and result (on/off)",
            [("{{flag}} {{phase}} {{result}}",
              f'sum by (flag, phase, result) (rate({names.FLAG_EXPOSURES}'
              f'{{flag=~"{selector}"}}[$__rate_interval]))')], unit="reqps"))
    return dashboard_json(board)
