"""``scrubphi rollback export``: the policy's rollback rules for Prometheus.

A thin click layer over :mod:`scrubphi.rollback.export` and
:mod:`scrubphi.rollback.promtest`:

* ``--format prometheus-rules``: a Prometheus rule file (alerting rules for the
  rollback rules, recording rules for the rollout gates' metrics);
* ``--format promtool-tests``: ``promtool test rules`` cases in which the
  library's decisions are the expected alerts (run with the rule file beside
  it: ``promtool test rules tests.yml``).

Exit codes: 0 written, 2 usage error, 3 policy error (file:line:column), 6 the
output cannot be written.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from scrubphi.cli.verbosity import _verbosity_options
from scrubphi.errors import PolicyError
from scrubphi.flags.policy import rollout_plans
from scrubphi.policy import load_policy, parse_duration
from scrubphi.rollback import rules_from_policy
from scrubphi.rollback.export import ExportOptions, prometheus_rules
from scrubphi.rollback.promtest import promtool_tests, standard_scenarios

__all__ = ["rollback"]

_EXIT_POLICY, _EXIT_IO = 3, 6


def _duration(ctx: click.Context, param: click.Parameter, value: str) -> float:
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if seconds <= 0:
        raise click.BadParameter("must be more than 0s")
    return seconds


def _labels(ctx: click.Context, param: click.Parameter,
            value: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in value:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r}: give NAME=VALUE (e.g. service=api)")
        out[key] = text
    return out


def _write(path: str | None, text: str) -> None:
    if path is None or path == "-":
        click.echo(text, nl=False)
        return
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@click.group("rollback")
def rollback() -> None:
    """The policy's rollback rules outside scrubphi (see also `scrubphi rollback-check`)."""


@rollback.command("export")
@click.option("-c", "--config", "-p", "--policy", "policies", multiple=True, required=True,
              type=click.Path(exists=True),
              help="Policy file or folder; repeat to merge (rollback rules, rollout plans).")
@click.option("--format", "fmt", required=True,
              type=click.Choice(["prometheus-rules", "promtool-tests"]),
              help="prometheus-rules: a rule file; promtool-tests: its equivalence tests.")
@click.option("--runbook-url", required=True, metavar="URL",
              help="The runbook link of every alert; {rule} and {alert} are filled in.")
@click.option("--label", "labels", multiple=True, callback=_labels, metavar="NAME=VALUE",
              help="An extra label on every alert (repeatable), e.g. service=api.")
@click.option("--gate-window", default="5m", show_default=True, callback=_duration,
              help="The window that replaces $window in the gate metrics' recordings.")
@click.option("--gate-interval", default="1m", show_default=True, callback=_duration,
              help="How often the gate metrics are recorded.")
@click.option("--rule-file", default="scrubphi-rules.yml", show_default=True,
              help="promtool-tests: the rule file the tests load (relative to the tests).")
@click.option("--seed", default=19, show_default=True, type=int,
              help="promtool-tests: the seed of the random scenario.")
@click.option("-o", "--output", metavar="FILE", help="Write here (atomically); default stdout.")
@_verbosity_options
def export(policies: tuple[str, ...], fmt: str, runbook_url: str, labels: dict[str, str],
           gate_window: float, gate_interval: float, rule_file: str, seed: int,
           output: str | None) -> None:
    """Write the rollback rules as Prometheus alerting rules, or promtool tests of them."""
    try:
        policy = load_policy(*policies)
        rules = rules_from_policy(policy)
        plans = list(rollout_plans(policy).values())
    except PolicyError as exc:
        click.echo(f"scrubphi: error: policy: {exc}", err=True)
        sys.exit(_EXIT_POLICY)
    options = ExportOptions(runbook_url, labels, gate_window, gate_interval,
                            tuple(str(p) for p in policies))
    try:
        if fmt == "prometheus-rules":
            text = prometheus_rules(rules, plans, options)
        else:
            if not rules.rules:
                raise PolicyError("the policy has no rollback rules (rollback.rules) to test")
            prometheus_rules(rules, [], options)  # the same checks as the rule file's
            text = promtool_tests(rules, standard_scenarios(rules, seed=seed), rule_file,
                                  options)
    except PolicyError as exc:
        click.echo(f"scrubphi: error: policy: {exc}", err=True)
        sys.exit(_EXIT_POLICY)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        _write(output, text)
    except OSError as exc:
        click.echo(f"scrubphi: error: {exc.strerror or exc}: {output}", err=True)
        sys.exit(_EXIT_IO)
