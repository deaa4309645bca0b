"""``scrubphi refresh`` and ``scrubphi parity``: thin click shells over scrubphi.refresh.

The lead registers both on the main group (``main.add_command(refresh)``).
Exit codes of ``refresh`` name the step that failed (docs/refresh.md):
3 policy, 4 scrub, 5 coverage, 10 preflight, 11 pg_dump or lookup, 12 restore,
13 verify, 14 swap, 15 rollback, 130 interrupted; ``parity`` exits 0 when
the databases match, 8 when they do not.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

import click

from ..argv_secrets import hide_connection_passwords
from ..errors import PolicyError
from ..policy import load_policy
from ..policy.secrets import is_secret_ref, resolve_secret
from ..policy.units import parse_percent
from ..refresh import RefreshError, RefreshOptions, StepProgress, parity, refresh, rollback
from ..refresh.pgtools import PgTools
from .verbosity import _verbosity, _verbosity_options

__all__ = ["EXIT_PARITY_MISMATCH", "parity_command", "refresh_command"]

EXIT_PARITY_MISMATCH = 8


class _ProgressLine:
    """Step, table, rows and MB/s on a terminal's stderr; names and counts only."""

    def __init__(self) -> None:
        self._last = 0.0
        self._step = ""

    def __call__(self, p: StepProgress) -> None:
        now = time.monotonic()
        if p.step == self._step and now - self._last < 0.25:
            return
        self._last, self._step = now, p.step
        line = f"[{p.step}]"
        if p.table:
            line += f" {p.table}"
        if p.rows or p.bytes_in:
            line += f", {p.rows:,} rows, {p.bytes_in / 1e6:,.1f} MB, {p.mb_per_s:,.1f} MB/s"
        sys.stderr.write("\r\x1b[2K" + line[:200])
        sys.stderr.flush()

    def done(self) -> None:
        sys.stderr.write("\r\x1b[2K")
        sys.stderr.flush()


def _sigterm(_signum: int, _frame: FrameType | None) -> None:
    # A cron/CI timeout sends SIGTERM: unwind like Ctrl-C so the cleanup runs.
    raise KeyboardInterrupt


def _partial(target: Path) -> Path:
    return target.with_name(f".{target.name}.partial")


def _check_report_path(path: str | None) -> None:
    """Fail before anything happens when the report could not be written at the end.

    Why: the report is written after the swap; finding out then that its
    folder is missing or read-only would leave a refreshed staging and a
    failed job. The check writes (and removes) the very temporary file the
    report goes through.
    """
    if not path:
        return
    target = Path(path)
    if target.is_dir():
        raise RefreshError("preflight", f"cannot write the report to {path}: it is a directory")
    tmp = _partial(target)
    try:
        existed = tmp.exists()
        with tmp.open("a", encoding="utf-8"):
            pass
        if not existed:
            tmp.unlink()
    except OSError as exc:
        raise RefreshError(
            "preflight", f"cannot write the report to {path}: {exc.strerror or exc}"
        ) from None


def _write_report(path: str | None, data: dict[str, Any]) -> None:
    if not path:
        return
    target = Path(path)
    tmp = _partial(target)
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, target)


def _write_report_or_warn(path: str | None, data: dict[str, Any]) -> bool:
    """Write the report; on failure say so on stderr (never a traceback) and return False."""
    try:
        _write_report(path, data)
    except OSError as exc:
        click.echo(f"scrubphi: error: cannot write the report to {path}: {exc.strerror}", err=True)
        return False
    return True


@click.command("refresh")
@click.option(
    "--from", "source_url", metavar="SOURCE_URL", help="The production database (libpq URL)."
)
@click.option(
    "--to",
    "staging_url",
    required=True,
    metavar="STAGING_URL",
    help="The staging database to replace.",
)
@click.option(
    "-c",
    "--config",
    "configs",
    multiple=True,
    metavar="FILE",
    help="Policy file or folder (repeat to merge).",
)
@click.option(
    "--keep",
    default=1,
    show_default=True,
    type=click.IntRange(min=0),
    help="Previous generations to keep.",
)
@click.option(
    "--jobs",
    "-j",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Parallel mode with N processes (directory-format dump).",
)
@click.option(
    "--chunked",
    is_flag=True,
    help="Chunked mode: the source's snapshot streamed per table chunk through the scrubber "
    "on Dask workers (--jobs of them locally), nothing unscrubbed on disk.",
)
@click.option(
    "--scheduler",
    metavar="tcp://HOST:8786",
    help="Run chunked mode's units on this Dask cluster (implies --chunked).",
)
@click.option(
    "--chunk-rows",
    default=100_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Rows per unit in chunked mode.",
)
@click.option(
    "--worker-key",
    metavar="env:NAME|file:PATH",
    help="Where --scheduler's workers read the key on their hosts (default: --key, "
    "else scrub.key).",
)
@click.option("--report", "report_path", metavar="FILE", help="Write the JSON run report here.")
@click.option(
    "--key",
    "key_ref",
    metavar="env:NAME|file:PATH",
    help="Where the secret key is (overrides scrub.key).",
)
@click.option(
    "--grace",
    default="5s",
    show_default=True,
    help="How long staging's sessions get before they are terminated.",
)
@click.option(
    "--sample",
    default=20,
    show_default=True,
    type=click.IntRange(min=0),
    help="Source values per column for the PHI spot check.",
)
@click.option(
    "--pg-bin",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of pg_dump/psql/pg_restore (default: PATH).",
)
@click.option(
    "--maintenance-db",
    default="postgres",
    show_default=True,
    help="Database to connect to for renames on the staging server.",
)
@click.option(
    "--lock-wait-timeout",
    metavar="DURATION",
    help="pg_dump --lock-wait-timeout (e.g. 30s): fail instead of waiting for locks.",
)
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where parallel mode keeps the raw dump (private, removed after).",
)
@click.option(
    "--rollback", "do_rollback", is_flag=True, help="Put the previous generation back as staging."
)
@click.option(
    "--lookup/--no-lookup",
    "use_lookup",
    default=True,
    show_default=True,
    help="First hash the source's scrubbed name, street, town, phone and ID values, so that "
    "{redact: text} removes them from notes (docs/redact.md).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress on stderr (default: when it is a terminal).",
)
@_verbosity_options
def refresh_command(
    source_url: str | None,
    staging_url: str,
    configs: tuple[str, ...],
    keep: int,
    jobs: int,
    chunked: bool,
    scheduler: str | None,
    chunk_rows: int,
    worker_key: str | None,
    report_path: str | None,
    key_ref: str | None,
    grace: str,
    sample: int,
    pg_bin: Path | None,
    maintenance_db: str,
    lock_wait_timeout: str | None,
    workdir: Path | None,
    do_rollback: bool,
    use_lookup: bool,
    progress: bool | None,
) -> None:
    """Refresh staging from production: dump, scrub, restore beside, verify, swap.

    \b
        scrubphi refresh --from postgresql://prod/clinic --to postgresql://stg/staging \\
            --config phi_fields.yaml --keep 2 --report refresh.json

    Staging is replaced only after the new database passed every check; on
    any failure it is left exactly as it was.
    """
    from ..policy.units import parse_duration
    from ..refresh.core import lock_wait_ms

    hide_connection_passwords()
    quiet = _verbosity() < 0
    if quiet:
        progress = False
    previous = signal.signal(signal.SIGTERM, _sigterm)
    line: _ProgressLine | None = None
    try:
        try:
            grace_s = parse_duration(grace)
        except (PolicyError, ValueError) as exc:
            raise click.BadParameter(str(exc), param_hint="--grace") from None
        if lock_wait_timeout is not None:
            try:
                lock_wait_ms(lock_wait_timeout)
            except RefreshError as exc:
                raise click.BadParameter(exc.message, param_hint="--lock-wait-timeout") from None
        show = sys.stderr.isatty() if progress is None else progress
        line = _ProgressLine() if show else None
        opts = RefreshOptions(
            source_url=source_url or "",
            staging_url=staging_url,
            configs=configs,
            keep=keep,
            jobs=jobs,
            chunked=chunked,
            scheduler=scheduler,
            chunk_rows=chunk_rows,
            worker_key=worker_key or key_ref,
            grace_s=grace_s,
            sample=sample,
            pg_bin=pg_bin,
            maintenance_db=maintenance_db,
            lock_wait_timeout=lock_wait_timeout,
            workdir=workdir,
            lookup=use_lookup,
            progress=line,
            log=(lambda _msg: None) if quiet else lambda msg: click.echo(
                ("\r\x1b[2K" if line else "") + f"scrubphi: {msg}", err=True
            ),
        )
        _check_report_path(report_path)
        if do_rollback:
            outcome = rollback(opts)
            if outcome.get("interrupted_refresh_undone"):
                click.echo(
                    f"rolled back: the interrupted refresh was undone; {outcome['restored']} "
                    "is staging again",
                    err=True,
                )
            else:
                click.echo(f"rolled back: {outcome['restored']} is staging again", err=True)
            if not _write_report_or_warn(report_path, outcome):
                sys.exit(6)
            return
        if not source_url:
            raise click.UsageError("--from is required (or use --rollback)")
        if not configs:
            raise click.UsageError("--config is required")
        if worker_key is not None and not is_secret_ref(worker_key):
            raise click.BadParameter("give env:NAME or file:PATH", param_hint="--worker-key")
        if key_ref is not None:
            if not is_secret_ref(key_ref):
                raise click.BadParameter("give env:NAME or file:PATH", param_hint="--key")
            try:
                opts.key = resolve_secret(key_ref, os.getcwd())
            except PolicyError as exc:
                raise RefreshError("policy", str(exc)) from None
        result = refresh(opts)
        if line is not None:
            line.done()
        if result.backup is None:
            kept = ""
        elif result.backup in result.pruned:
            kept = f"; previous generation dropped (--keep {keep})"
        else:
            kept = f"; previous generation kept as {result.backup}"
        if not quiet:
            click.echo(f"refreshed {result.staging} in {result.duration_s:.1f}s{kept}",
                       err=True)
        if not _write_report_or_warn(report_path, result.to_dict()):
            sys.exit(6)
    except RefreshError as exc:
        if line is not None:
            line.done()
        res = getattr(exc, "result", None)
        if res is not None:
            _write_report_or_warn(report_path, res.to_dict())
        click.echo(f"scrubphi: refresh failed at step {exc}", err=True)
        click.echo(
            "scrubphi: staging was not changed", err=True
        ) if exc.step != "rollback" else None
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("scrubphi: interrupted", err=True)
        sys.exit(130)
    finally:
        signal.signal(signal.SIGTERM, previous)


@click.command("parity")
@click.option(
    "--source",
    "source_url",
    required=True,
    metavar="URL",
    help="Production (or any reference) database.",
)
@click.option(
    "--target",
    "target_url",
    required=True,
    metavar="URL",
    help="Staging (or the database to compare).",
)
@click.option(
    "--tolerance",
    default=None,
    metavar="PERCENT",
    help="Allowed difference, for a source that changed since the refresh: row, NULL and "
    "distinct counts (relative), null fractions (absolute). Default 0 with --config "
    "(exact), 5% without.",
)
@click.option(
    "-c",
    "--config",
    "configs",
    multiple=True,
    metavar="FILE",
    help="The policy: each column is compared on what its transform keeps.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--no-schema", is_flag=True, help="Skip the schema comparison.")
@click.option(
    "--pg-bin",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of pg_dump (default: PATH).",
)
@_verbosity_options
def parity_command(
    source_url: str,
    target_url: str,
    tolerance: str | None,
    configs: tuple[str, ...],
    as_json: bool,
    no_schema: bool,
    pg_bin: Path | None,
) -> None:
    """Compare schema, row counts and column shapes of two databases.

    Aggregates only (counts, null fractions, distinct counts computed by the
    server): no value is read out of either database. With --config each
    column is compared on what its transform keeps, and the report says
    what. Exit 0 when they match within the tolerance, 8 when they do not.
    """
    hide_connection_passwords()
    try:
        tol = parse_percent(tolerance) if tolerance is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--tolerance") from None
    try:
        policy = load_policy(*configs) if configs else None
        report = parity(
            source_url,
            target_url,
            tolerance=tol,
            policy=policy,
            tools=PgTools(pg_bin),
            schema=not no_schema,
        )
    except PolicyError as exc:
        click.echo(f"scrubphi: error: policy: {exc}", err=True)
        sys.exit(3)
    except RefreshError as exc:
        click.echo(f"scrubphi: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    # -q: the report only when the databases differ (the exit code says they match).
    if _verbosity() >= 0 or not report.ok:
        click.echo(json.dumps(report.to_dict(), indent=2) if as_json else report.to_text(),
                   nl=as_json)
    if not report.ok:
        sys.exit(EXIT_PARITY_MISMATCH)
