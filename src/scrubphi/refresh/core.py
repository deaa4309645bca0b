"""The weekly refresh: dump, scrub, restore beside staging, verify, swap.

Why this order: staging must never be touched until a complete, verified
replacement exists. Everything before the swap happens in
``<staging>_building_<ts>``; any failure drops it (or, if the process is
killed, leaves it marked INCOMPLETE for the next run to drop), and the swap
itself is recorded so that a crash between its two renames is undone at the
next start (see :mod:`scrubphi.refresh.swap`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import math
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

import psycopg

from ..api import check_dump, scrub_stream
from ..dump.rewriter import Progress
from ..errors import CoverageError, PolicyError, ScrubPhiError
from ..lookup import lookup_columns, lookup_from_database, lookup_when_columns
from ..policy import load_policy
from ..policy.model import Policy
from ..policy.secrets import resolve_secret
from ..policy.units import parse_duration
from ..report import TableStats
from ..transforms.redact.lookup import Lookup
from .errors import RefreshError
from .pgtools import (
    DUMP_ENCODING,
    PgTools,
    client_invocation,
    connect,
    dbname_of,
    safe_error_lines,
    with_dbname,
)
from .swap import MAX_STAGING_NAME, Admin, building_name, prev_name, timestamp
from .verify import (
    Check,
    check_constraints,
    check_phi_sample,
    check_row_counts,
    check_schema,
    schema_dump,
)

__all__ = [
    "RefreshOptions",
    "RefreshResult",
    "StepProgress",
    "lock_wait_ms",
    "refresh",
    "rollback",
]

Hook = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class StepProgress:
    """What the refresh is doing now: counts and names only."""

    step: str
    table: str | None = None
    rows: int = 0
    bytes_in: int = 0
    elapsed_s: float = 0.0

    @property
    def mb_per_s(self) -> float:
        return self.bytes_in / self.elapsed_s / 1e6 if self.elapsed_s > 0 else 0.0


@dataclass
class RefreshOptions:
    """Everything one refresh run needs; the CLI fills it from its options."""

    source_url: str
    staging_url: str
    configs: tuple[str, ...]
    keep: int = 1
    jobs: int = 1
    key: bytes | None = None
    grace_s: float = 5.0
    sample: int = 20
    pg_bin: Path | None = None
    maintenance_db: str = "postgres"
    lock_wait_timeout: str | None = None
    #: Build the lookup of structured values from the source first, so that
    #: ``{redact: text}`` removes every scrubbed name, phone and ID from notes.
    lookup: bool = True
    dump_options: tuple[str, ...] = ()
    workdir: Path | None = None
    #: Chunked mode (docs/refresh.md): the source's snapshot streamed per table chunk
    #: through the scrubber on Dask workers; no unscrubbed byte on disk.
    chunked: bool = False
    #: ``tcp://HOST:8786``: run chunked mode's units on this Dask cluster (implies chunked).
    scheduler: str | None = None
    #: Rows per unit in chunked mode (estimated from the source's statistics).
    chunk_rows: int = 100_000
    #: Where ``--scheduler``'s workers read the key on their hosts (``env:NAME``,
    #: ``file:PATH``); default: the policy's ``scrub.key``.
    worker_key: str | None = None
    progress: Callable[[StepProgress], None] | None = None
    log: Callable[[str], None] = field(default=lambda msg: print(msg, file=sys.stderr))
    #: A testing and monitoring seam: called with a step name and its context.
    hook: Hook | None = None


@dataclass
class RefreshResult:
    """The JSON report of a run: steps, counts, checks; never a value."""

    source_db: str
    staging: str
    mode: str
    started: str
    ok: bool = False
    failed_step: str | None = None
    error: str | None = None
    new_database: str | None = None
    backup: str | None = None
    #: How many hashed values the lookup for the notes held (0: none was built).
    lookup_values: int = 0
    steps: list[dict[str, Any]] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    scrub: dict[str, Any] | None = None
    checks: list[Check] = field(default_factory=list)
    sessions_ended: int = 0
    duration_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "failed_step": self.failed_step,
            "error": self.error,
            "source_database": self.source_db,
            "staging": self.staging,
            "mode": self.mode,
            "started": self.started,
            "duration_s": round(self.duration_s, 3),
            "new_database": self.new_database,
            "backup": self.backup,
            "sessions_ended": self.sessions_ended,
            "recovered": self.recovered,
            "pruned": self.pruned,
            "lookup_values": self.lookup_values,
            "steps": self.steps,
            "checks": [c.to_dict() for c in self.checks],
            "scrub": self.scrub,
        }


class _Run:
    """One run's state, so that each step is a small method."""

    def __init__(self, opts: RefreshOptions) -> None:
        self.opts = opts
        self.tools = PgTools(opts.pg_bin)
        self.staging = dbname_of(opts.staging_url)
        self.ts = timestamp()
        self.result = RefreshResult(
            source_db=dbname_of(opts.source_url),
            staging=self.staging,
            mode=_mode(opts),
            started=self.ts,
        )
        self.started = time.monotonic()
        self._step_started = self.started
        self.step = "preflight"

    def hook(self, name: str, **ctx: Any) -> None:
        if self.opts.hook is not None:
            self.opts.hook(name, ctx)

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a step, name it in errors, and let the hook see it start."""
        self.step = name
        began = time.monotonic()
        self.show(StepProgress(step=name))
        self.hook(f"step:{name}")
        entry: dict[str, Any] = {"step": name, "ok": False}
        self.result.steps.append(entry)
        try:
            yield
            entry["ok"] = True
        finally:
            entry["seconds"] = round(time.monotonic() - began, 3)

    def show_step(self, step: str) -> None:
        self.show(StepProgress(step=step))

    def show_progress(
        self, step: str, table: str | None, rows: int, bytes_in: int, elapsed_s: float
    ) -> None:
        self.show(StepProgress(step, table, rows, bytes_in, elapsed_s))

    def show(self, p: StepProgress) -> None:
        if self.opts.progress is not None:
            self.opts.progress(p)


def refresh(opts: RefreshOptions) -> RefreshResult:
    """Run one refresh; on failure raise :class:`RefreshError` with ``.result`` set.

    Staging is renamed only after every check passed; whatever fails before
    leaves it untouched, and the half-built database is dropped.
    """
    run = _Run(opts)
    result = run.result
    admin: Admin | None = None
    building: str | None = None
    swapped = False
    try:
        with run.stage("preflight"):
            if opts.keep < 0:
                raise RefreshError("preflight", "--keep must be 0 or more")
            if opts.key is not None and not isinstance(opts.key, bytes):
                raise RefreshError("preflight", "the key must be bytes, the secret's raw bytes "
                                                "(RefreshOptions.key)")
            if len(run.staging.encode()) > MAX_STAGING_NAME:
                raise RefreshError(
                    "preflight",
                    f"the staging database name is longer than {MAX_STAGING_NAME} bytes; the "
                    "generation names would not fit PostgreSQL's 63",
                )
            try:
                policy = load_policy(*opts.configs)
            except PolicyError as exc:
                raise RefreshError("policy", str(exc)) from None
            key = opts.key
            scrub = policy.scrub
            if key is None and scrub is not None and scrub.needs_key():
                try:
                    key = resolve_secret(scrub.key_ref, scrub.base_dir)
                except PolicyError as exc:
                    raise RefreshError("policy", str(exc)) from None
            conn = connect(
                with_dbname(opts.staging_url, opts.maintenance_db), role="staging server"
            )
            admin = Admin(conn, run.staging, log=opts.log, hook=opts.hook)
            locked = admin.exec(
                "SELECT pg_try_advisory_lock(hashtext(%s))", (f"scrubphi-refresh:{run.staging}",)
            )
            if not (locked and locked[0][0]):
                raise RefreshError("preflight", f"another refresh of {run.staging} is running")
            with connect(opts.source_url, role="source database"):
                pass
            if _mode(opts) == "chunked":
                if importlib.util.find_spec("distributed") is None:
                    raise RefreshError(
                        "preflight", "chunked mode runs on Dask, which is not installed: "
                        "pip install 'scrubphi[chunked]'"
                    )
                if opts.scheduler:
                    from .chunked import check_scheduler

                    check_scheduler(opts.scheduler)
            extra = _dump_extra(opts)
            result.recovered = admin.recover()
            for action in result.recovered:
                opts.log(f"recovered: {action}")
            # Generations are named by the second: a refresh right after another (a quick
            # retry, a small database) waits for a second no generation of staging has.
            while admin.exists(prev_name(run.staging, run.ts)) or admin.exists(
                    building_name(run.staging, run.ts)):
                time.sleep(1.05 - time.time() % 1)
                run.ts = result.started = timestamp()
        with run.stage("coverage"):
            source_schema = schema_dump(run.tools, opts.source_url, extra, step="pg_dump")
            probe = source_schema + _empty_copies(opts.source_url,
                                                  via_root=_via_root(opts))
            problems, checked = check_dump(io.BytesIO(probe), policy)
            for warning in checked.warnings:  # unique keys that may collide
                opts.log(f"warning: {warning}")
            if problems and checked.misfits:
                # A transform that cannot fit its column, or a key it would break.
                raise RefreshError("policy", "the policy does not fit the source schema",
                                   details=problems)
            if problems:
                raise RefreshError(
                    "coverage", "the policy does not cover the source schema", details=problems
                )
        lookup = None
        if opts.lookup and _redacts(policy) and (lookup_columns(policy)
                                                 or lookup_when_columns(policy)):
            with run.stage("lookup"):
                lookup = lookup_from_database(opts.source_url, policy, key or b"")
                result.lookup_values = len(lookup)
                opts.log(f"lookup: {len(lookup)} hashed values of the policy's structured "
                         "columns for the notes")
        with run.stage("create"):
            building = admin.create_building(run.ts)
            result.new_database = building
            new_url = with_dbname(opts.staging_url, building)
            run.hook("building", database=building, url=new_url)
        with run.stage("restore"):
            if _mode(opts) == "chunked":
                from .chunked import chunked_pipeline

                tables, report_dict = chunked_pipeline(run, policy, key, new_url, extra, lookup)
            elif opts.jobs > 1:
                from .parallel import parallel_pipeline

                tables, report_dict = parallel_pipeline(run, policy, key, new_url, extra,
                                                        lookup)
            else:
                tables, report_dict = _plain_pipeline(run, policy, key, new_url, extra, lookup)
            result.scrub = report_dict
        with run.stage("verify"):
            run.hook("verify", database=building, url=new_url)
            checks = [
                check_row_counts(new_url, tables),
                check_schema(source_schema, schema_dump(run.tools, new_url, extra, step="verify"),
                             comments=policy.scrub.comments if policy.scrub else "keep"),
                check_constraints(opts.source_url, new_url),
                check_phi_sample(opts.source_url, new_url, policy, tables, sample=opts.sample),
            ]
            result.checks = checks
            failed = [c for c in checks if not c.ok]
            if failed:
                raise RefreshError(
                    "verify",
                    "the new database does not match: " + ", ".join(c.name for c in failed),
                    details=[d for c in failed for d in c.details][:20],
                )
        with run.stage("swap"):
            backup = prev_name(run.staging, run.ts)
            outcome = admin.swap_in(
                building,
                backup,
                grace_s=opts.grace_s,
                notify=lambda db: _notify(opts.staging_url, db),
            )
            swapped = True
            result.backup = outcome["outgoing"]
            result.sessions_ended = int(outcome["sessions_ended"])
        with run.stage("prune"):
            try:
                result.pruned = admin.prune(opts.keep)
            except psycopg.Error as exc:
                # Staging is already the new generation: report, do not fail the run.
                opts.log(f"warning: could not drop old generations ({type(exc).__name__})")
        result.ok = True
        return result
    except BaseException as exc:
        error = _as_refresh_error(exc, run.step)
        result.failed_step = error.step
        result.error = str(error)
        if admin is not None and building is not None and not swapped:
            try:
                admin.drop(building)
            except (psycopg.Error, RefreshError) as drop_exc:
                opts.log(
                    f"warning: could not drop {building} ({type(drop_exc).__name__}); it is marked "
                    "INCOMPLETE and the next run drops it"
                )
        error.result = result  # type: ignore[attr-defined]
        if error is exc:
            raise
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise error from None
        raise error from None
    finally:
        result.duration_s = time.monotonic() - run.started
        if admin is not None:
            with contextlib.suppress(psycopg.Error):
                admin.conn.close()


def rollback(opts: RefreshOptions) -> dict[str, Any]:
    """Put the newest kept generation back as staging (``refresh --rollback``).

    After a refresh that died during its swap, the recovery that starts every
    run already puts back the staging that refresh was replacing; that is the
    rollback, and no older generation is taken (``interrupted_refresh_undone``).
    """
    staging = dbname_of(opts.staging_url)
    conn = connect(
        with_dbname(opts.staging_url, opts.maintenance_db), step="rollback", role="staging server"
    )
    try:
        admin = Admin(conn, staging, log=opts.log, hook=opts.hook)
        locked = admin.exec(
            "SELECT pg_try_advisory_lock(hashtext(%s))", (f"scrubphi-refresh:{staging}",)
        )
        if not (locked and locked[0][0]):
            raise RefreshError("rollback", f"a refresh of {staging} is running")
        recovered = admin.recover()
        if admin.undone_refresh is not None:
            # A refresh died in its swap, and recover() just put back the staging
            # it was replacing: that is the rollback. Going on would take the
            # generation before it, one too far.
            return {
                "ok": True,
                "recovered": recovered,
                "restored": admin.undone_refresh,
                "interrupted_refresh_undone": True,
                "sessions_ended": 0,
                "outgoing": None,
            }
        try:
            outcome = admin.rollback(
                grace_s=opts.grace_s, notify=lambda db: _notify(opts.staging_url, db)
            )
        except psycopg.Error as exc:
            raise RefreshError(
                "rollback", "the rollback failed", details=safe_error_lines(f"ERROR: {exc}")
            ) from None
        return {"ok": True, "recovered": recovered, "interrupted_refresh_undone": False,
                **outcome}
    finally:
        conn.close()


def _mode(opts: RefreshOptions) -> str:
    if opts.chunked or opts.scheduler:
        return "chunked"
    return "parallel" if opts.jobs > 1 else "plain"


def _as_refresh_error(exc: BaseException, step: str) -> RefreshError:
    if isinstance(exc, RefreshError):
        return exc
    if isinstance(exc, KeyboardInterrupt):
        return RefreshError("interrupted", f"interrupted during {step}")
    if isinstance(exc, CoverageError):
        return RefreshError("coverage", str(exc))
    if isinstance(exc, PolicyError):
        return RefreshError("policy", str(exc))
    if isinstance(exc, ScrubPhiError):
        return RefreshError("scrub", str(exc))
    if isinstance(exc, psycopg.Error):
        return RefreshError(
            step,
            f"database error ({type(exc).__name__})",
            details=safe_error_lines(f"ERROR: {exc}"),
        )
    if isinstance(exc, OSError):
        return RefreshError(step, f"{exc.strerror or type(exc).__name__}")
    return RefreshError(step, f"internal error ({type(exc).__name__})")


def _via_root(opts: RefreshOptions) -> bool:
    """Whether the restore loads partitions' rows through their partitioned table
    (plain mode's ``pg_dump --load-via-partition-root``): a policy that changes a
    partition key (a shifted date, a token on a hash key) then sends each row to the
    partition of its new value.  Parallel and chunked mode load each partition
    itself, as pg_dump does by default."""
    return _mode(opts) == "plain"


def _empty_copies(source_url: str, via_root: bool = False) -> bytes:
    """An empty ``COPY`` block per table of the source, after its schema dump.

    Why: the scrubber checks coverage where data appears, and a schema-only
    dump has none; these blocks (no rows) make the check see every table
    and column that the real dump will carry, before a single row is read.
    With ``via_root`` a partitioned table's rows come through the table itself
    (``--load-via-partition-root``), so it has the block, not its partitions.
    """
    tables = ("(c.relkind = 'r' OR c.relkind = 'p') AND NOT c.relispartition" if via_root
              else "c.relkind = 'r'")
    with connect(source_url, step="coverage", role="source database") as conn:
        rows = conn.execute(
            "SELECT format('%I.%I', n.nspname, c.relname), "
            "string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
            "AND NOT a.attisdropped AND a.attgenerated = '' "
            f"WHERE {tables} AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg\\_%' "
            "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
            "AND d.objid = c.oid AND d.deptype = 'e') "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall()
    return b"".join(f"\nCOPY {table} ({cols}) FROM stdin;\n\\.\n".encode() for table, cols in rows)


def _dump_extra(opts: RefreshOptions) -> list[str]:
    extra = list(opts.dump_options)
    if opts.lock_wait_timeout:
        extra.append(f"--lock-wait-timeout={lock_wait_ms(opts.lock_wait_timeout)}ms")
    return extra


_PG_MINUTES = re.compile(r"\s*(\d+)\s*min\s*\Z")


def lock_wait_ms(value: str) -> int:
    """``--lock-wait-timeout`` in milliseconds, from scrubphi's durations (``5m``, ``30s``).

    Why translate: pg_dump passes the value to PostgreSQL, which reads ``5m``
    as an error (its minutes are ``min``); scrubphi's options all take
    scrubphi's durations. PostgreSQL's ``5min`` is accepted too.
    """
    pg_minutes = _PG_MINUTES.match(value)
    if pg_minutes is not None:
        seconds = 60.0 * int(pg_minutes.group(1))
    else:
        try:
            seconds = parse_duration(value)
        except ValueError as exc:
            raise RefreshError("preflight", f"--lock-wait-timeout: {exc}") from None
    if seconds <= 0:
        raise RefreshError("preflight", "--lock-wait-timeout must be longer than 0s")
    return max(1, math.ceil(seconds * 1000))


def _notify(staging_url: str, db: str) -> None:
    """``NOTIFY scrubphi_refresh`` on staging: applications that LISTEN learn of the swap."""
    with (
        contextlib.suppress(psycopg.Error, RefreshError),
        connect(with_dbname(staging_url, db)) as conn,
    ):
        conn.execute(
            "SELECT pg_notify('scrubphi_refresh', 'staging is being replaced; reconnect shortly')"
        )


class _CountingReader:
    """pg_dump's stdout, remembering whether its end was reached."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.eof = False

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        if not data:
            self.eof = True
        return data


def _stderr_text(fh: IO[bytes]) -> str:
    fh.seek(0)
    return fh.read(256 * 1024).decode("utf-8", "replace")


def _redacts(policy: Policy) -> bool:
    """Whether any column of the policy is free text under ``{redact: text}``."""
    scrub = policy.scrub
    return scrub is not None and any(
        leaf.kind == "redact"
        for rule in scrub.tables.values()
        for spec in rule.columns.values()
        for leaf in spec.leaves()
    )


def _plain_pipeline(
    run: _Run,
    policy: Policy,
    key: bytes | None,
    new_url: str,
    extra: Sequence[str],
    lookup: Lookup | None = None,
) -> tuple[list[TableStats], dict[str, Any]]:
    """``pg_dump | scrub (in-process) | psql -v ON_ERROR_STOP=1 --single-transaction``."""
    opts = run.opts
    dump_args, dump_env = client_invocation(opts.source_url)
    psql_args, psql_env = client_invocation(new_url)
    started = time.monotonic()

    def progress(p: Progress) -> None:
        run.show(StepProgress("restore", p.table, p.rows, p.bytes_in, time.monotonic() - started))

    with tempfile.TemporaryFile() as dump_err, tempfile.TemporaryFile() as psql_err:
        dump = subprocess.Popen(
            [run.tools.exe("pg_dump"), "--no-owner", "--load-via-partition-root", DUMP_ENCODING,
             *extra, *dump_args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=dump_err,
            env=dump_env,
        )
        try:
            psql = subprocess.Popen(
                [
                    run.tools.exe("psql"),
                    "-X",
                    "-q",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "--single-transaction",
                    *psql_args,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=psql_err,
                env=psql_env,
            )
        except BaseException:
            dump.kill()
            dump.wait()
            raise
        assert dump.stdout is not None and psql.stdin is not None
        reader = _CountingReader(dump.stdout)
        scrub_exc: BaseException | None = None
        report = None
        try:
            run.hook("restore:started", dump_pid=dump.pid, psql_pid=psql.pid)
            report = scrub_stream(
                cast(BinaryIO, reader),
                cast(BinaryIO, psql.stdin),
                policy,
                key=key,
                progress=progress if opts.progress is not None else None,
                lookup=lookup,
            )
        except BaseException as exc:  # classified below, after both children ended
            scrub_exc = exc
            report = getattr(exc, "report", None)
        finally:
            with contextlib.suppress(OSError):
                psql.stdin.close()
            if scrub_exc is not None and not reader.eof:
                dump.kill()
            dump_rc = dump.wait()
            psql_rc = psql.wait()
            dump.stdout.close()
        if isinstance(scrub_exc, KeyboardInterrupt | SystemExit):
            raise scrub_exc
        if dump_rc != 0 and (scrub_exc is None or reader.eof or isinstance(scrub_exc, OSError)):
            raise RefreshError(
                "pg_dump",
                f"pg_dump exited with {dump_rc}",
                details=safe_error_lines(_stderr_text(dump_err)),
            )
        if scrub_exc is not None and not isinstance(scrub_exc, OSError):
            if isinstance(scrub_exc, CoverageError):
                raise RefreshError("coverage", str(scrub_exc)) from None
            if isinstance(scrub_exc, ScrubPhiError):
                raise RefreshError("scrub", str(scrub_exc)) from None
            raise RefreshError("scrub", f"internal error ({type(scrub_exc).__name__})") from None
        if psql_rc != 0 or scrub_exc is not None:
            raise RefreshError(
                "restore",
                f"psql exited with {psql_rc}",
                details=safe_error_lines(_stderr_text(psql_err)),
            )
    assert report is not None
    return list(report.tables), report.to_dict()
