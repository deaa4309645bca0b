"""``scrubphi gate`` and ``scrubphi rollback-check``: decisions a shell step can branch on.

Both print the decision with its reasons (``--json`` for machines) and exit
with a code that says what to do, so a pipeline needs no parsing:

====  ==================================================================
0     promote (gate) / ok (rollback-check)
10    hold (gate) / inconclusive or alert (rollback-check): do not go on
11    rollback
12    rollback_now (rollback-check): roll back, skipping any drain
2     usage error
3     policy error
6     state store error
1     internal error
====  ==================================================================

A metric provider that cannot answer is not an error exit: it makes the
decision ``hold``/``inconclusive`` (10), with the provider's failure among
the reasons.  These are plain ``click`` commands; the main group registers
them with ``main.add_command``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from typing import Any

import click

from scrubphi.cli.verbosity import _verbosity, _verbosity_options
from scrubphi.errors import PolicyError, ScrubPhiError
from scrubphi.flags.policy import rollout_plans
from scrubphi.flags.state import RolloutState, StateStoreError, open_state_store
from scrubphi.gates import apply, collect, decide
from scrubphi.metrics.base import MetricSource, MetricSourceError
from scrubphi.metrics.datadog import DEFAULT_API_KEY, DEFAULT_APP_KEY, DatadogSource
from scrubphi.metrics.prometheus import PrometheusSource
from scrubphi.policy import load_policy
from scrubphi.rollback import check, rules_from_policy
from scrubphi.rollback.policy import RuleSet

__all__ = ["EXIT_CODES", "gate", "rollback_check"]

EXIT_CODES = {
    "ok": 0, "promote": 0,
    "hold": 10, "inconclusive": 10, "alert": 10,
    "rollback": 11,
    "rollback_now": 12,
}
_EXIT_USAGE, _EXIT_POLICY, _EXIT_STATE, _EXIT_INTERNAL = 2, 3, 6, 1


def _fail(message: str, code: int) -> None:
    click.echo(f"scrubphi: error: {message}", err=True)
    sys.exit(code)


def _when(text: str | None) -> float:
    if text is None:
        return time.time()
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter("an ISO 8601 time such as 2024-05-01T12:00:00Z",
                                 param_hint="--now / --started-at / --since") from None
    if when.tzinfo is None:
        raise click.BadParameter("give a time zone (Z or +02:00)",
                                 param_hint="--now / --started-at / --since")
    return when.timestamp()


def _source(spec: str, rules: RuleSet) -> MetricSource:
    name, _, url = spec.partition("=")
    config = rules.sources.get(name)
    url = url or (config.url if config is not None else None) or ""
    if name == "prometheus":
        if not url:
            raise click.BadParameter("give the URL: prometheus=http://HOST:9090",
                                     param_hint="--source")
        return PrometheusSource(url)
    if name == "datadog":
        return DatadogSource(
            url or "https://api.datadoghq.com",
            api_key=(config.api_key if config and config.api_key else DEFAULT_API_KEY),
            app_key=(config.app_key if config and config.app_key else DEFAULT_APP_KEY),
            base_dir=config.base_dir if config else ".",
        )
    raise click.BadParameter(f"unknown source {name!r}: prometheus=URL or datadog[=URL]",
                             param_hint="--source")


def _run(body: Any) -> None:
    try:
        body()
    except click.ClickException:
        raise
    except PolicyError as exc:
        _fail(f"policy: {exc}", _EXIT_POLICY)
    except StateStoreError as exc:
        _fail(f"state: {exc}", _EXIT_STATE)
    except MetricSourceError as exc:
        _fail(str(exc), EXIT_CODES["inconclusive"])
    except ScrubPhiError as exc:
        _fail(str(exc), exc.exit_code)
    except OSError as exc:
        _fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), _EXIT_STATE)
    except Exception as exc:
        if os.environ.get("SCRUBPHI_DEBUG"):
            raise
        _fail(f"internal error ({type(exc).__name__}); set SCRUBPHI_DEBUG=1 for the traceback",
              _EXIT_INTERNAL)


_policy_opt = click.option(
    "-c", "--config", "-p", "--policy", "policies", multiple=True, required=True,
    type=click.Path(exists=True),
    help="Policy file or folder; repeat to merge several (-p/--policy is the old spelling).",
)
_source_opt = click.option(
    "--source", "source_spec", required=True,
    help="Where the metrics are: prometheus=URL, datadog or datadog=URL.",
)
_json_opt = click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
_now_opt = click.option("--now", "now_text", help="Decide as of this ISO time (default: now).")


@click.command("rollback-check")
@_policy_opt
@_source_opt
@click.option("--since", "since_text",
              help="Start of the series (the deploy's start); default: the rules' lookback.")
@_now_opt
@_json_opt
@_verbosity_options
def rollback_check(policies: tuple[str, ...], source_spec: str, since_text: str | None,
                   now_text: str | None, as_json: bool) -> None:
    """Evaluate the policy's rollback rules now; exit 0 ok, 10 alert/inconclusive,
    11 rollback, 12 rollback_now."""
    def body() -> None:
        rules = rules_from_policy(load_policy(*policies))
        if not rules.rules:
            raise PolicyError("the policy has no rollback rules (rollback.rules)")
        now = _when(now_text)
        since = _when(since_text) if since_text else None
        decision = check(rules, _source(source_spec, rules), now, since)
        if as_json:
            click.echo(json.dumps(decision.to_dict(), indent=2))
        elif _verbosity() >= 0:  # -q: the exit code is the decision
            click.echo(decision.explain())
        sys.exit(EXIT_CODES[decision.action])
    _run(body)


@click.command("gate")
@_policy_opt
@click.option("--plan", "plan_name", required=True, help="The rollout plan to judge.")
@_source_opt
@click.option("--state", "state_spec",
              help="State store: a JSON file path, or a postgresql:// DSN.")
@click.option("--phase", "phase_name", help="Without --state: the live phase's name.")
@click.option("--started-at", "started_text", help="Without --state: when the phase began.")
@click.option("--apply", "do_apply", is_flag=True,
              help="Move the plan in the state store (promote or roll back).")
@click.option("--actor", default="scrubphi gate", show_default=True,
              help="Who moves the plan, for the audit history.")
@_now_opt
@_json_opt
@_verbosity_options
def gate(policies: tuple[str, ...], plan_name: str, source_spec: str, state_spec: str | None,
         phase_name: str | None, started_text: str | None, do_apply: bool,
         actor: str, now_text: str | None, as_json: bool) -> None:
    """Decide promote / hold / rollback for a rollout plan's live phase;
    exit 0 promote, 10 hold, 11 rollback."""
    def body() -> None:
        policy = load_policy(*policies)
        plans = rollout_plans(policy)
        if plan_name not in plans:
            raise click.BadParameter(
                f"no rollout plan {plan_name!r}; plans: {', '.join(sorted(plans)) or 'none'}",
                param_hint="--plan")
        plan = plans[plan_name]
        rules = rules_from_policy(policy)
        now = _when(now_text)
        store = None
        if state_spec:
            backend = ("postgres" if state_spec.startswith(("postgres://", "postgresql://"))
                       else "file")
            key = "dsn" if backend == "postgres" else "path"
            store = open_state_store({"backend": backend, key: state_spec})
            state = store.get(plan_name)
        elif phase_name and started_text:
            try:
                index = plan.phase_index(phase_name)
            except KeyError:
                raise click.BadParameter(f"plan {plan_name} has no phase {phase_name!r}",
                                         param_hint="--phase") from None
            started = dt.datetime.fromtimestamp(_when(started_text), dt.UTC)
            state = RolloutState(plan_name, index, started, 0)
        else:
            raise click.UsageError("give --state, or --phase and --started-at")
        if do_apply and store is None:
            raise click.UsageError("--apply needs --state (the store to move the plan in)")
        source = _source(source_spec, rules)
        # Exposure counts live in the app's process; here min_requests comes from
        # the policy's `requests` metric.
        metrics = collect(plan, state, now, source=source, queries=rules.metrics)
        decision = decide(plan, state, metrics, now)
        moved = None
        if do_apply and store is not None:
            moved = apply(decision, store, plan, actor=actor)
        if as_json:
            out = decision.to_dict()
            out["moved_to"] = None if moved is None else moved.phase
            out["applied"] = moved is not None
            click.echo(json.dumps(out, indent=2))
        elif _verbosity() >= 0:  # -q: the exit code is the decision
            click.echo(decision.explain())
            if moved is not None:
                click.echo(f"applied: {plan_name} is now at phase {moved.phase} "
                           f"(version {moved.version})")
        sys.exit(EXIT_CODES[decision.action])
    _run(body)
