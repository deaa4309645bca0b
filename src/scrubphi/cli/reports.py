"""``scrubphi canary report`` and ``scrubphi flags history``: what a run or a rollout did.

Thin click commands over :mod:`scrubphi.canary.report` /
:mod:`scrubphi.canary.html_report` and :mod:`scrubphi.flags.history` /
:mod:`scrubphi.flags.history_report`; the groups register them.  Text on
stdout by default, ``--json`` for scripts, ``--html`` for one self-contained
page (``-o FILE``, written atomically; stdout without it).

Exit codes: 0 done, 2 usage error or a run log that cannot be read, 3 policy
error, 6 state store error, 8 unknown plan, 10 the metric source failed.
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
