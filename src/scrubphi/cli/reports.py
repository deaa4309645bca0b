"""``scrubphi canary report`` and ``scrubphi flags history``: what a run or a rollout did.

Thin click commands over :mod:`scrubphi.canary.report` /
:mod:`scrubphi.canary.html_report` and :mod:`scrubphi.flags.history` /
:mod:`scrubphi.flags.history_report`; the groups register them.  Text on
stdout by default, ``--json`` for scripts, ``--html`` for one self-contained
page (``-o FILE``, written atomically; stdout without it).

Exit codes: 0 done, 2 usage error or a run log that cannot be read, 3 policy
error, 6 state store error, 8 unknown plan, 10 the metric source answered no
query of the replayed gate.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from scrubphi.errors import ScrubPhiError
from scrubphi.fileutil import write_atomic

__all__ = ["canary_report", "emit", "output_options"]


def output_options(func: Any) -> Any:
    func = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                        help="Write the report to FILE (atomically) instead of stdout.")(func)
    func = click.option("--json", "as_json", is_flag=True,
                        help="The report's data as JSON.")(func)
    func = click.option("--html", "as_html", is_flag=True,
                        help="One self-contained HTML page with the timeline plot.")(func)
    return func


def emit(text: str, output: Path | None) -> None:
    """``text`` to ``output`` (atomically) or stdout."""
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    try:
        write_atomic(output, text.encode("utf-8"))
    except OSError as exc:
        raise click.FileError(str(output), hint=exc.strerror or str(exc)) from None
    click.echo(f"wrote {output}", err=True)


def fail(exc: ScrubPhiError) -> None:
    click.echo(f"scrubphi: error: {exc}", err=True)
    sys.exit(exc.exit_code)


@click.command("report")
@click.argument("run_log", metavar="RUN_LOG", type=click.Path(path_type=Path))
@output_options
def canary_report(run_log: Path, as_html: bool, as_json: bool, output: Path | None) -> None:
    """What a canary run did, from its run log: weights, alerts, each rule's value at
    every check against its threshold, and the decision with its time.

    \b
    RUN_LOG is STATE_DIR/scrubphi-canary.runs/RUN_ID.jsonl, or the file written
    by `canary run --log-file`.
        scrubphi canary report lb/conf.d/scrubphi-canary.runs/RUN_ID.jsonl
        scrubphi canary report run.json --html -o run.html
    """
    if as_html and as_json:
        raise click.UsageError("give --html or --json, not both")
    from scrubphi.canary.report import load_run, text_report

    try:
        run = load_run(run_log)
        if as_html:
            from scrubphi.canary.html_report import html_report

            emit(html_report(run, source=str(run_log)), output)
        elif as_json:
            from scrubphi.canary.html_report import plot_data

            emit(json.dumps(plot_data(run), indent=2) + "\n", output)
        else:
            emit(text_report(run), output)
    except ScrubPhiError as exc:
        fail(exc)


def _history_command() -> click.Command:
    """``flags history``, built with the flags group's own options and error mapping."""
    from scrubphi.cli import flags as f

    @click.command("history")
    @click.argument("plan_name", metavar="PLAN")
    @f._policy_option
    @f._state_options
    @click.option("--source", "source_spec", metavar="prometheus=URL|datadog",
                  help="Replay the gate against this metric source (its proceed_when "
                       "values per cohort, request counts and verdicts over time).")
    @click.option("--until", "until_text", metavar="TIME",
                  help="End of the replay, ISO 8601 with a zone (default: now).")
    @click.option("--every", "every_text", metavar="DURATION",
                  help="Replay the gate every DURATION (default: about 120 samples).")
    @output_options
    def history_cmd(plan_name: str, policies: tuple[str, ...], state_spec: str | None,
                    state_table: str | None, source_spec: str | None, until_text: str | None,
                    every_text: str | None, as_html: bool, as_json: bool,
                    output: Path | None) -> None:
        """What rollout PLAN did: every move (when, who, why) and, with --source, what its
        gate saw: each proceed_when metric for the flag-on and flag-off cohorts against the
        phase's threshold, the request count and the verdict over time.

        \b
            scrubphi flags history staged-release -c flags/ --state file:rollouts.json
            scrubphi flags history staged-release -c flags/ -c rollback/ \\
                --state env:ROLLOUT_DB --source prometheus=http://prometheus:9090 \\
                --html -o rollout.html
        """
        from scrubphi.cli.deploy import _source, _when
        from scrubphi.flags.history import plan_history, text_history
        from scrubphi.policy import parse_duration
        from scrubphi.rollback import rules_from_policy

        if as_html and as_json:
            raise click.UsageError("give --html or --json, not both")
        if state_spec is None:
            raise click.UsageError("--state is required (file:PATH, postgresql://... or env:NAME)")
        until = _when(until_text) if until_text else None
        every = None
        if every_text is not None:
            try:
                every = parse_duration(every_text)
            except ValueError as exc:
                raise click.BadParameter(str(exc), param_hint="--every") from None
            if every <= 0:
                raise click.BadParameter("a positive duration such as 1h", param_hint="--every")
        with f._errors(), f._store(state_spec, state_table) as store:
            assert store is not None
            policy, compiled = f._load(policies)
            plan = f._plan(compiled, plan_name)
            source = queries = None
            if source_spec is not None:
                rules = rules_from_policy(policy)
                source, queries = _source(source_spec, rules), rules.metrics
            history = plan_history(plan, store, source=source, queries=queries, until=until,
                                   every=every)
            if as_html:
                from scrubphi.flags.history_report import html_history

                emit(html_history(history, source=source_spec or ""), output)
            elif as_json:
                from scrubphi.flags.history_report import plot_data

                emit(json.dumps(plot_data(history), indent=2) + "\n", output)
            else:
                emit(text_history(history), output)

    return history_cmd
