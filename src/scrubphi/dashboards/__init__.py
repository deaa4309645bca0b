"""Grafana dashboards generated from the policy (``scrubphi dashboard``).

:func:`rollout_dashboard` for a staged rollout plan, :func:`canary_dashboard`
for the canary flow; both return dashboard JSON built with Grafana's own
Python SDK and checked by :func:`validate` against the SDK's model.  See
docs/dashboards.md.
"""

from __future__ import annotations

from scrubphi.dashboards.canary import canary_dashboard
from scrubphi.dashboards.common import DashboardError, validate
from scrubphi.dashboards.flag import rollout_dashboard

__all__ = ["DashboardError", "canary_dashboard", "rollout_dashboard", "validate"]
