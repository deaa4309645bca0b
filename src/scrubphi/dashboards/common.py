"""Shared pieces of the generated Grafana dashboards, built with Grafana's own Python SDK.

``grafana-foundation-sdk`` (Grafana Labs' generated builders and models,
released with Grafana itself; grafanalib's last release is from January
2024) builds every dashboard here, and :func:`validate` checks a dashboard
JSON against the SDK's model: decoded by ``Dashboard.from_json`` and encoded
again, it must come back identical, so no key the model does not know and no
value it would change can hide in it.

Queries come from the policy (``rollback.metrics.NAME.prometheus``), with the
rollback placeholders turned into Grafana's: ``$window`` (a gate's phase age)
becomes ``$__rate_interval``, ``$interval`` the rules' interval, ``$plan`` the
plan's name, ``$phase`` the dashboard's ``phase`` variable and ``$cohort``
``on``/``off``.  The controller's own metrics (``scrubphi_canary_*``,
``scrubphi_rollout_*``) are named in :mod:`scrubphi.dashboards.names`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from string import Template
from typing import Any

from scrubphi.errors import ScrubPhiError

__all__ = ["PROM", "DashboardError", "annotation", "dashboard_json", "promql", "sdk",
           "threshold_steps", "timeseries", "validate"]

#: The dashboard's Prometheus data source: the ``datasource`` variable.
PROM = {"type": "prometheus", "uid": "${datasource}"}


class DashboardError(ScrubPhiError):
    """A dashboard cannot be made (no SDK, nothing to show) or is not a valid dashboard."""

    exit_code = 2


def sdk() -> Any:
    """The SDK's modules as one namespace, or a clear error when it is not installed."""
    try:
        from grafana_foundation_sdk.builders import common as bcommon
        from grafana_foundation_sdk.builders import dashboard as bdash
        from grafana_foundation_sdk.builders import prometheus as bprom
        from grafana_foundation_sdk.builders import stat as bstat
        from grafana_foundation_sdk.builders import statetimeline as bstate
        from grafana_foundation_sdk.builders import timeseries as bts
        from grafana_foundation_sdk.cog.encoder import JSONEncoder
        from grafana_foundation_sdk.models import common as mcommon
        from grafana_foundation_sdk.models import dashboard as mdash
    except ImportError:
        raise DashboardError(
            "the dashboards need Grafana's SDK: pip install 'scrubphi[dashboards]'"
        ) from None

    class _Sdk:
        common, dashboard, prometheus, stat, statetimeline, timeseries = (
            bcommon, bdash, bprom, bstat, bstate, bts)
        models_common, models = mcommon, mdash
        encoder = JSONEncoder

    return _Sdk


def promql(text: str, *, cohort: str | None = None, plan: str = "", interval: str = "15s") -> str:
    """A policy query with the rollback placeholders replaced by Grafana's (see above)."""
    mapping = {"window": "$__rate_interval", "interval": interval, "plan": plan,
               "phase": "$phase"}
    if cohort is not None:
        mapping["cohort"] = cohort
    return Template(text).safe_substitute(mapping)


def threshold_steps(values: Iterable[float]) -> Any:
    """Green below, red from each threshold (distinct, ascending)."""
    s = sdk()
    steps = [s.models.Threshold(value=None, color="green")]
    steps += [s.models.Threshold(value=v, color="red") for v in sorted(set(values))]
    return (s.dashboard.ThresholdsConfig().mode(s.models.ThresholdsMode.ABSOLUTE)
            .steps(steps))


def timeseries(title: str, description: str, targets: list[tuple[str, str]], *,
               unit: str = "", thresholds: Iterable[float] = (), step: bool = False,
               span: int = 12, height: int = 8) -> Any:
    """A time series panel of ``(legend, expr)`` queries on the dashboard's Prometheus."""
    s = sdk()
    panel = (s.timeseries.Panel().title(title).description(description)
             .datasource(s.models.DataSourceRef(type_val="prometheus", uid="${datasource}"))
             .span(span).height(height))
    for i, (legend, expr) in enumerate(targets):
        panel = panel.with_target(
            s.prometheus.Dataquery().expr(expr).legend_format(legend).range()
            .ref_id(chr(ord("A") + i)))
    if unit:
        panel = panel.unit(unit)
    values = list(thresholds)
    if values:
        panel = (panel.thresholds(threshold_steps(values))
                 .thresholds_style(s.common.GraphThresholdsStyleConfig()
                                   .mode(s.models_common.GraphThresholdsStyleMode.DASHED)))
    if step:
        panel = panel.line_interpolation(s.models_common.LineInterpolation.STEP_AFTER)
    return panel


def annotation(name: str, expr: str, colour: str) -> Any:
    """An annotation query on the dashboard's Prometheus: a marker wherever ``expr`` has a value."""
    s = sdk()
    return (s.dashboard.AnnotationQuery().name(name).enable(True).icon_color(colour)
            .datasource(s.models.DataSourceRef(type_val="prometheus", uid="${datasource}"))
            .expr(expr))


def dashboard_json(builder: Any) -> dict[str, Any]:
    """Build and encode; then :func:`validate` the result."""
    s = sdk()
    doc = json.loads(json.dumps(builder.build(), cls=s.encoder))
    validate(doc)
    return dict(doc)


def validate(doc: Mapping[str, Any]) -> None:
    """The SDK's model must decode ``doc`` and encode it back unchanged; DashboardError if not."""
    s = sdk()
    if not isinstance(doc, Mapping) or not isinstance(doc.get("panels"), list):
        raise DashboardError("not a Grafana dashboard (no panels)")
    try:
        model = s.models.Dashboard.from_json(dict(doc))
        again = json.loads(json.dumps(model, cls=s.encoder))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DashboardError(f"the SDK's model cannot read the dashboard ({type(exc).__name__}: "
                             f"{exc})") from None
    if again != json.loads(json.dumps(doc)):
        diff = sorted(set(_paths(doc)) ^ set(_paths(again)))[:5]
        raise DashboardError(f"the SDK's model does not keep the dashboard as it is: {diff}")
    for panel in doc["panels"]:
        for target in panel.get("targets") or ():
            if not str(target.get("expr", "")).strip():
                raise DashboardError(f"panel {panel.get('title')!r} has a query without expr")


def _paths(value: Any, prefix: str = "") -> list[str]:
    if isinstance(value, Mapping):
        return [p for k, v in value.items() for p in _paths(v, f"{prefix}.{k}")] or [prefix]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _paths(v, f"{prefix}[{i}]")] or [prefix]
    return [f"{prefix}={value!r}"]
