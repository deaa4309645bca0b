"""``scrubphi dashboard``: Grafana dashboard JSON generated from the policy.

A thin click layer over :mod:`scrubphi.dashboards`.  Exit codes: 0 written,
2 usage error (or Grafana's SDK missing), 3 policy error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from scrubphi.cli.reports import emit
from scrubphi.errors import PolicyError, ScrubPhiError

__all__ = ["dashboard"]

_policy = click.option(
    "-c", "--config", "-p", "--policy", "policies", multiple=True, required=True,
    type=click.Path(exists=True), metavar="FILE",
    help="Policy file or folder; repeat to merge several.")
_output = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                       help="Write the dashboard JSON to FILE (atomically) instead of stdout.")


def _write(make: Any, output: Path | None) -> None:
    try:
        doc = make()
    except PolicyError as exc:
        click.echo(f"scrubphi: error: policy: {exc}", err=True)
        sys.exit(exc.exit_code)
    except ScrubPhiError as exc:
        click.echo(f"scrubphi: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    emit(json.dumps(doc, indent=2) + "\n", output)


@click.group("dashboard")
def dashboard() -> None:
    """Grafana dashboards generated from the policy (import them, or provision them)."""


@dashboard.command("rollout")
@click.argument("plan_name", metavar="PLAN")
@_policy
@_output
def rollout_cmd(plan_name: str, policies: tuple[str, ...], output: Path | None) -> None:
    """The dashboard of rollout PLAN: error rate and latency of the flag-on and flag-off
    cohorts, requests per cohort, the gate's thresholds, phase changes as annotations.

    \b
        scrubphi dashboard rollout staged-release -c flags/ -c rollback/ -o rollout.json
    """
    from scrubphi.dashboards import rollout_dashboard
    from scrubphi.policy import load_policy

    _write(lambda: rollout_dashboard(load_policy(*policies), plan_name), output)


@dashboard.command("canary")
@_policy
@_output
def canary_cmd(policies: tuple[str, ...], output: Path | None) -> None:
    """The canary runs' dashboard: weights, per-version errors and latency, each rollback
    rule against its threshold, alerts and rollbacks.

    \b
        scrubphi dashboard canary -c deploy/canary.yaml -o canary.json
    """
    from scrubphi.dashboards import canary_dashboard
    from scrubphi.policy import load_policy

    _write(lambda: canary_dashboard(load_policy(*policies)), output)
