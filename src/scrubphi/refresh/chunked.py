"""Chunked mode: one exported snapshot, table chunks streamed through the scrubber on Dask.

Why this shape: plain mode is one pipe bounded by one core, and parallel
mode writes the whole unscrubbed dump to disk before it scrubs a row and can
give one big table only one worker. Here:

1. the coordinator opens a ``REPEATABLE READ`` transaction on the source,
   exports its snapshot (``pg_export_snapshot()``), takes ``ACCESS SHARE``
   locks on every table (as ``pg_dump`` does) and holds all of it until the
   data are loaded;
2. the schema goes through ``pg_dump --section=pre-data --snapshot`` and the
   scrubber into ``psql --single-transaction``, as in plain mode;
3. every table becomes one or more *units*: a range of its integer primary
   key, or of its ``ctid`` (block numbers), sized by ``chunk_rows``. Each
   unit runs as a Dask task (:mod:`scrubphi.refresh.chunkwork`): it imports
   the snapshot, reads ``COPY (SELECT ...) TO STDOUT`` and feeds the bytes
   through the very scrubber plain mode uses, straight into
   ``COPY ... FROM STDIN`` of the new database, in one transaction. No
   unscrubbed byte is written to disk anywhere;
4. the rest of the data section (sequence values, large objects as the
   policy allows) and the post-data section (indexes, constraints,
   triggers) go through ``pg_dump --snapshot --exclude-table-data`` and the
   scrubber into ``psql --single-transaction``.

Unique fakes are keyed bijections without state, so chunks are independent
and the result is the database plain mode gives. A unit whose worker dies
aborts its transaction with the connection; Dask runs it again on another
worker. A unit records itself in a bookkeeping table of the new database in
the transaction that loads it, so a unit run twice (its worker died after
the commit, before Dask heard) loads its rows once.

The secret key never enters the task graph: workers of the embedded cluster
(the coordinator's own child processes) get it in their environment;
workers of an external cluster (``--scheduler``) read it on their own host
from the reference given (``env:NAME`` or ``file:PATH``), and the graph
carries only an HMAC of a constant under the key, with which each worker
checks it holds the same key.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import hmac
import io
import os
import secrets
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, cast

import psycopg
from psycopg import conninfo as pg_conninfo
from psycopg import sql as pg_sql

from ..api import scrub_stream
from ..errors import CoverageError, ScrubPhiError
from ..policy.model import Policy, TableName
from ..report import TableStats
from ..transforms.redact.lookup import Lookup
from .errors import RefreshError
from .parallel import _session_setup, _stats_from
from .pgtools import (
    DUMP_ENCODING,
    client_invocation,
    connect,
    dbname_of,
    run_client,
    safe_error_lines,
)

if TYPE_CHECKING:
    from distributed import Future

    from .core import _Run

__all__ = [
    "BOOK_SCHEMA",
    "KEY_ENV",
    "ChunkSpec",
    "Unit",
    "check_scheduler",
    "chunked_pipeline",
    "key_check",
    "plan_units",
]

#: The schema of the new database that records finished units while they load.
BOOK_SCHEMA = "_scrubphi_chunked"
#: The environment variable embedded workers find the key in (hex).
KEY_ENV = "SCRUBPHI_CHUNK_KEY"
#: The environment variables embedded workers find the connection passwords in.
SOURCE_PASSWORD_ENV = "SCRUBPHI_CHUNK_SOURCE_PASSWORD"
TARGET_PASSWORD_ENV = "SCRUBPHI_CHUNK_TARGET_PASSWORD"
_KEY_CHECK = b"scrubphi chunked refresh: key check v1"
_UNIT_RETRIES = 2


@dataclass(frozen=True)
class Unit:
    """One chunk of one table: its rows are those ``where`` selects (all when empty).

    ``where`` is composed by the coordinator from a quoted column name and
    integer bounds only; it holds no value of the table.
    """

    uid: int
    schema: str
    name: str
    columns: tuple[str, ...]
    chunk: int
    of: int
    where: str
    label: str
    est_rows: int

    @property
    def table(self) -> str:
        return str(TableName(self.schema, self.name))


@dataclass(frozen=True)
class ChunkSpec:
    """What every unit of a run shares: sent to each worker once.

    No secret: the URLs lose their passwords (workers read them from their
    environment or ``~/.pgpass``), and the key is named (``key_ref``) or
    checked (``key_check``), never carried.
    """

    run_id: str
    configs: tuple[str, ...]
    source_url: str
    target_url: str
    snapshot: str
    prelude: bytes
    session: tuple[str, ...]
    lookup: bytes | None
    key_ref: str | None
    key_base_dir: str
    key_check: str | None


def key_check(key: bytes | None) -> str | None:
    """An HMAC of a constant under the key: tells a worker it holds the same key."""
    if not key:
        return None
    return hmac.new(key, _KEY_CHECK, hashlib.sha256).hexdigest()


def _without_password(url: str) -> tuple[str, str | None]:
    params = pg_conninfo.conninfo_to_dict(url)
    password = params.pop("password", None)
    rest = {k: str(v) for k, v in params.items() if v is not None}
    return pg_conninfo.make_conninfo(**rest), (str(password) if password else None)


# -- planning ----------------------------------------------------------------

_TABLES = """
SELECT n.nspname, c.relname,
       array_agg(a.attname ORDER BY a.attnum) FILTER (WHERE a.attnum > 0),
       greatest(c.reltuples, 0)::bigint,
       c.oid::bigint,
       (SELECT a2.attname FROM pg_index x
          JOIN pg_attribute a2 ON a2.attrelid = x.indrelid AND a2.attnum = x.indkey[0]
         WHERE x.indrelid = c.oid AND x.indisprimary AND x.indnatts = 1
           AND a2.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype))
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND NOT a.attisdropped AND a.attgenerated = ''
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
GROUP BY c.oid, n.nspname, c.relname
ORDER BY 1, 2
"""


def list_tables(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
    """The tables whose rows a dump carries: (schema, name, columns, rows, OID, int PK).

    From the catalog only: no table is opened (nor locked) yet.
    """
    return [tuple(row) for row in conn.execute(_TABLES).fetchall()]


def plan_units(
    conn: psycopg.Connection[Any], tables: Sequence[tuple[Any, ...]], chunk_rows: int
) -> list[Unit]:
    """Every table's units, largest tables first, in the snapshot ``conn`` reads.

    A table with a single integer primary key is cut into ranges of that key
    (from its minimum to its maximum, evenly); any other table into ranges of
    ``ctid`` block numbers, the last one open-ended. A table of up to
    ``chunk_rows`` estimated rows is one unit.
    """
    units: list[Unit] = []
    uid = 0
    for schema, name, cols, reltuples, oid, pk in tables:
        columns = tuple(cols or ())
        # The size now, not pg_class's estimate (the table is locked: it cannot shrink).
        size = conn.execute(
            "SELECT pg_relation_size(%s::oid) / current_setting('block_size')::bigint", (oid,)
        ).fetchone()
        pages = int(size[0]) if size else 0
        est = int(reltuples)
        if est <= 0 and pages > 0:
            est = int(pages) * 50  # never analysed: a guess that still splits it
        parts = max(1, -(-est // max(1, chunk_rows))) if columns else 1
        ranges: list[tuple[str, str]] = []
        if parts > 1 and pk is not None:
            lo, hi = conn.execute(
                pg_sql.SQL("SELECT min({c}), max({c}) FROM ONLY {t}").format(
                    c=pg_sql.Identifier(pk), t=pg_sql.Identifier(schema, name)
                )
            ).fetchone() or (None, None)
            if lo is not None and hi is not None:
                col = pg_sql.Identifier(pk).as_string(conn)
                step = max(1, -(-(int(hi) - int(lo) + 1) // parts))
                bounds = list(range(int(lo), int(hi) + 1, step))
                for i, a in enumerate(bounds):
                    nxt = bounds[i + 1] if i + 1 < len(bounds) else None
                    low = f"{col} >= {a}" if i else ""
                    high = f"{col} < {nxt}" if nxt is not None else ""
                    where = " AND ".join(p for p in (low, high) if p)
                    label = f"{pk} {a if i else ''}..{'' if nxt is None else nxt}"
                    ranges.append((where, label))
        elif parts > 1 and pages > 0:
            step = max(1, -(-int(pages) // parts))
            starts = list(range(0, int(pages), step))
            for i, a in enumerate(starts):
                low = f"ctid >= '({a},0)'::tid" if i else ""
                high = f"ctid < '({starts[i + 1]},0)'::tid" if i + 1 < len(starts) else ""
                where = " AND ".join(p for p in (low, high) if p)
                end = "" if i + 1 == len(starts) else str(starts[i + 1])
                ranges.append((where, f"blocks {a}..{end}"))
        if not ranges:
            ranges = [("", "all")]
        for i, (where, label) in enumerate(ranges):
            units.append(
                Unit(uid, schema, name, columns, i + 1, len(ranges), where, label,
                     max(1, est // len(ranges)))
            )
            uid += 1
    units.sort(key=lambda u: -u.est_rows)
    return units


# -- the coordinator -----------------------------------------------------------


class _Source:
    """The coordinator's source transaction: the snapshot every unit reads, held open."""

    def __init__(self, url: str, lock_timeout_ms: int | None) -> None:
        self.conn = connect(url, step="pg_dump", role="source database")
        self.conn.autocommit = True
        # Idle for the whole load: a server's idle-in-transaction timeout would end it,
        # and with it the snapshot the units still have to import.
        self.conn.execute("SET idle_in_transaction_session_timeout = 0")
        self.conn.execute("SET statement_timeout = 0")
        self.conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        row = self.conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None
        self.snapshot = str(row[0])
        if lock_timeout_ms is not None:
            self.conn.execute(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}")

    def lock(self, tables: Sequence[tuple[Any, ...]]) -> None:
        """``ACCESS SHARE`` on every table, as pg_dump takes: no DROP or ALTER meanwhile.

        Taken before any table is read (its key range included), with
        ``--lock-wait-timeout``: a table held by an exclusive lock fails the
        run like pg_dump would, instead of queueing behind it.
        """
        for schema, name, *_ in tables:
            try:
                self.conn.execute(
                    pg_sql.SQL("LOCK TABLE ONLY {} IN ACCESS SHARE MODE").format(
                        pg_sql.Identifier(schema, name)
                    )
                )
            except psycopg.errors.LockNotAvailable:
                raise RefreshError(
                    "pg_dump",
                    f"could not lock table {TableName(schema, name)} within "
                    "--lock-wait-timeout",
                ) from None

    def close(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self.conn.rollback()
        with contextlib.suppress(psycopg.Error):
            self.conn.close()


def _dump_through_scrubber(
    run: _Run,
    policy: Policy,
    key: bytes | None,
    lookup: Lookup | None,
    new_url: str,
    dump_argv: list[str],
    what: str,
) -> tuple[bytes, list[TableStats]]:
    """``pg_dump ARGS | scrub | psql --single-transaction``; pg_dump's raw output and stats.

    pg_dump is given sections without table data, so its output is schema,
    sequence values and large objects: it is kept in memory (the workers'
    scrubbers learn the column types from the pre-data part), never on disk.
    """
    dump_args, dump_env = client_invocation(run.opts.source_url)
    raw = run_client(
        [run.tools.exe("pg_dump"), "--no-owner", DUMP_ENCODING, *dump_argv, *dump_args],
        dump_env, "pg_dump", f"pg_dump {what}",
    )
    psql_args, psql_env = client_invocation(new_url)
    with tempfile.TemporaryFile() as psql_err:
        psql = subprocess.Popen(
            [run.tools.exe("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
             *psql_args],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=psql_err, env=psql_env,
        )
        assert psql.stdin is not None
        scrub_exc: BaseException | None = None
        report = None
        try:
            report = scrub_stream(io.BytesIO(raw), cast(BinaryIO, psql.stdin), policy, key=key,
                                  lookup=lookup)
        except BaseException as exc:  # classified below, after psql ended
            scrub_exc = exc
        finally:
            with contextlib.suppress(OSError):
                psql.stdin.close()
            rc = psql.wait()
        if isinstance(scrub_exc, KeyboardInterrupt | SystemExit):
            raise scrub_exc
        if isinstance(scrub_exc, CoverageError):
            raise RefreshError("coverage", str(scrub_exc)) from None
        if isinstance(scrub_exc, ScrubPhiError):
            raise RefreshError("scrub", str(scrub_exc)) from None
        if rc != 0 or scrub_exc is not None:
            psql_err.seek(0)
            text = psql_err.read(256 * 1024).decode("utf-8", "replace")
            raise RefreshError("restore", f"psql ({what}) exited with {rc}",
                               details=safe_error_lines(text))
    assert report is not None
    return raw, list(report.tables)


# Errors whose text names tasks or modules, never data: shown in the failure's details.
_DASK_ERRORS = frozenset(
    {"KilledWorker", "FutureCancelledError", "CancelledError", "ModuleNotFoundError"}
)
_DASK_CONFIG = {
    # Nothing of a unit is ever kept by Dask (its result is counts): no spilling to disk.
    "distributed.worker.memory.spill": False,
    "distributed.worker.memory.target": False,
    "distributed.scheduler.allowed-failures": _UNIT_RETRIES + 1,
}


def check_scheduler(address: str) -> None:
    """Preflight: the Dask scheduler answers, with at least one worker; or a RefreshError."""
    import distributed

    try:
        client = cast(Any, distributed).Client(address, timeout=10)
    except (OSError, TimeoutError, ValueError) as exc:
        raise RefreshError(
            "preflight", f"cannot reach the Dask scheduler at {address} ({type(exc).__name__})"
        ) from None
    try:
        if not client.scheduler_info().get("workers"):
            raise RefreshError("preflight", f"the Dask scheduler at {address} has no worker")
    finally:
        client.close()


class _Workers:
    """The Dask cluster: ``--scheduler``'s, or a local one of ``--jobs`` workers.

    The local one starts in a thread as soon as the step begins, so that its
    processes start (and import the scrubber) while the schema is dumped.
    """

    def __init__(self, run: _Run, env: dict[str, str]) -> None:
        import dask

        self.opts = run.opts
        self.cluster: Any = None
        self.client: Any = None
        self._config: Any = cast(Any, dask).config.set(_DASK_CONFIG)
        self._config.__enter__()
        self._starting: concurrent.futures.Future[Any] | None = None
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        if not self.opts.scheduler:
            self._pool = concurrent.futures.ThreadPoolExecutor(1)
            self._starting = self._pool.submit(self._local, env)

    def _local(self, env: dict[str, str]) -> Any:
        import distributed

        return cast(Any, distributed).LocalCluster(
            n_workers=max(1, self.opts.jobs),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            # Its HTTP endpoints (metrics) on a free loopback port, not on 8787,
            # which another cluster on this host may hold.
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            scheduler_port=0,
            host="127.0.0.1",
            silence_logs=50,
            env=dict(env, SCRUBPHI_CHUNK_PARENT=str(os.getpid())),
            preload=["scrubphi.refresh.chunkwork"],
        )

    def connect(self) -> Any:
        import distributed

        dist: Any = distributed  # distributed has no type hints: used through Any
        if self._starting is not None:
            self.cluster = self._starting.result()
            self.client = dist.Client(self.cluster)
            return self.client
        try:
            self.client = dist.Client(self.opts.scheduler, timeout=30)
        except (OSError, TimeoutError) as exc:
            raise RefreshError(
                "restore", f"cannot reach the Dask scheduler ({type(exc).__name__})"
            ) from None
        return self.client

    def close(self) -> None:
        try:
            if self.client is not None:
                with contextlib.suppress(Exception):
                    self.client.close()
            if self._starting is not None:
                with contextlib.suppress(Exception):
                    cluster = self.cluster or self._starting.result()
                    cluster.close()
            if self._pool is not None:
                self._pool.shutdown(wait=True)
        finally:
            self._config.__exit__(None, None, None)


def chunked_pipeline(
    run: _Run,
    policy: Policy,
    key: bytes | None,
    new_url: str,
    extra: Sequence[str],
    lookup: Lookup | None = None,
) -> tuple[list[TableStats], dict[str, Any]]:
    """The restore step in chunked mode (see the module's docstring); stats and report."""
    import distributed

    from .chunkwork import load_unit, release

    opts = run.opts
    started = time.monotonic()
    src_url, src_pw = _without_password(opts.source_url)
    tgt_url, tgt_pw = _without_password(new_url)
    key_ref = opts.worker_key or _policy_key_ref(policy)
    if opts.scheduler and key and not key_ref:
        raise RefreshError(
            "preflight", "--scheduler needs the key's reference (--key env:NAME|file:PATH "
            "or scrub.key) for the workers to read it on their hosts"
        )
    # What only the embedded cluster's workers (this process's children) are given,
    # in their environment: never through the scheduler.
    spec_env: dict[str, str] = {}
    if not opts.scheduler:
        for name, value in ((KEY_ENV, key.hex() if key else None),
                            (SOURCE_PASSWORD_ENV, src_pw), (TARGET_PASSWORD_ENV, tgt_pw)):
            if value:
                spec_env[name] = value
    workers = _Workers(run, spec_env)
    units_report: list[dict[str, Any]] = []
    stats: dict[str, TableStats] = {}
    totals = {"bytes_in": 0, "bytes_out": 0, "rows": 0}
    source: _Source | None = None
    phases: dict[str, float] = {}
    mark = [time.monotonic()]

    def phase(name: str) -> None:
        now = time.monotonic()
        phases[name] = round(now - mark[0], 3)
        mark[0] = now

    try:
        source = _Source(opts.source_url, _lock_ms(opts.lock_wait_timeout))
        listed = list_tables(source.conn)
        source.lock(listed)
        units = plan_units(source.conn, listed, max(1, opts.chunk_rows))
        phase("snapshot_and_plan")
        snap = ["--snapshot", source.snapshot]
        run.show_step("restore: schema (pre-data)")
        prelude, _ = _dump_through_scrubber(
            run, policy, key, lookup, new_url, [*snap, "--section=pre-data", *extra], "pre-data"
        )
        phase("pre_data")
        run.hook("restore:pre-data", database=dbname_of(new_url), url=new_url)
        _book(new_url, create=True)
        run.hook("restore:data", database=dbname_of(new_url), url=new_url)
        spec = ChunkSpec(
            run_id=f"{dbname_of(new_url)}-{secrets.token_hex(4)}",
            configs=tuple(os.path.abspath(c) for c in opts.configs),
            source_url=src_url,
            target_url=tgt_url,
            snapshot=source.snapshot,
            prelude=prelude,
            session=tuple(_session_setup(prelude)),
            lookup=lookup.to_bytes() if lookup is not None else None,
            key_ref=key_ref if opts.scheduler else None,
            key_base_dir=_policy_base_dir(policy),
            key_check=key_check(key),
        )
        run.show_step("restore: waiting for the Dask workers")
        client = workers.connect()
        phase("workers_ready_wait")
        # A task, not scattered data: a worker that dies with its copy does not lose it
        # (the scheduler computes it again for the unit that is retried).
        # Then on every worker: units depending on data one worker holds would all be
        # given to that worker.
        spec_f = client.submit(_spec, spec, key=f"scrubphi-{spec.run_id}-spec", pure=False)
        cast(Any, distributed).wait([spec_f])
        client.replicate([spec_f])
        futures: list[Future[dict[str, Any]]] = [
            client.submit(load_unit, spec_f, unit, key=f"scrubphi-{spec.run_id}-{unit.uid}",
                          retries=_UNIT_RETRIES, pure=False, priority=len(units) - i)
            for i, unit in enumerate(units)
        ]
        done_per_table: dict[str, int] = {}
        try:
            completed = cast(Any, distributed).as_completed(
                futures, with_results=True, raise_errors=False
            )
            for fut, outcome in completed:
                if isinstance(outcome, BaseException) or fut.status == "error":
                    # Dask's own errors name tasks; any other may quote what it failed on.
                    kind = type(outcome).__name__
                    raise RefreshError(
                        "restore", f"a unit failed on its worker ({kind})",
                        details=[str(outcome)[:300]] if kind in _DASK_ERRORS else [],
                    )
                if not outcome["ok"]:
                    raise RefreshError(outcome["step"], outcome["message"],
                                       details=outcome["details"])
                unit = outcome["unit"]
                units_report.append(unit)
                table = unit["table"]
                merged = _stats_from(unit["stats"])
                _merge(stats, table, merged)
                totals["bytes_in"] += int(unit["bytes_in"])
                totals["bytes_out"] += int(unit["bytes_out"])
                totals["rows"] += int(unit["rows"])
                done_per_table[table] = done_per_table.get(table, 0) + 1
                run.show_progress(
                    "restore: chunks",
                    f"{table} chunk {done_per_table[table]}/{unit['of']}",
                    totals["rows"], totals["bytes_in"], time.monotonic() - started,
                )
        finally:
            cast(Any, client).cancel(futures, force=True)
            # Workers keep their connections between units: close them now, the new
            # database is renamed soon (a cluster's workers outlive this run).
            with contextlib.suppress(Exception):
                client.run(release, spec.run_id)
        phase("units")
        _book(new_url, create=False)
        run.show_step("restore: sequences, large objects, post-data")
        run.hook("restore:post-data", database=dbname_of(new_url), url=new_url)
        _dump_through_scrubber(
            run, policy, key, lookup, new_url,
            [*snap, "--section=data", "--section=post-data", "--exclude-table-data=*.*", *extra],
            "post-data",
        )
        phase("post_data")
    finally:
        if source is not None:
            source.close()
        workers.close()
    order = {f"{u.table}": i for i, u in enumerate(sorted(units, key=lambda u: (u.schema,
                                                                                 u.name)))}
    tables = sorted(stats.values(), key=lambda t: order.get(t.table, 0))
    units_report.sort(key=lambda u: (u["table"], u["chunk"]))
    report = {
        "ok": True,
        "mode": "chunked",
        "jobs": opts.jobs,
        "scheduler": "external" if opts.scheduler else "embedded",
        "snapshot_consistent": True,
        # Seconds per phase of the step: where a run's time goes.
        "phases": phases,
        "bytes_in": totals["bytes_in"],
        "bytes_out": totals["bytes_out"],
        "duration_s": round(time.monotonic() - started, 6),
        "rows": sum(t.rows + t.rows_dropped for t in tables),
        "tables": [t.to_dict() for t in tables],
        "units": units_report,
    }
    return tables, report


def _spec(spec: ChunkSpec) -> ChunkSpec:
    return spec


def _merge(into: dict[str, TableStats], table: str, part: TableStats) -> None:
    have = into.get(table)
    if have is None:
        into[table] = part
        return
    have.rows += part.rows
    have.rows_dropped += part.rows_dropped
    for name, col in part.columns.items():
        mine = have.columns.get(name)
        if mine is None:
            have.columns[name] = col
            continue
        mine.transformed += col.transformed
        mine.nulled += col.nulled
        mine.kept += col.kept


def _book(url: str, *, create: bool) -> None:
    """Create (before the units) or drop (after) the table that records finished units."""
    with connect(url, step="restore", role="new database") as conn:
        conn.autocommit = True
        schema = pg_sql.Identifier(BOOK_SCHEMA)
        if create:
            conn.execute(pg_sql.SQL("CREATE SCHEMA {}").format(schema))
            conn.execute(
                pg_sql.SQL("CREATE TABLE {}.units (uid int PRIMARY KEY, report jsonb)").format(
                    schema
                )
            )
        else:
            conn.execute(pg_sql.SQL("DROP SCHEMA {} CASCADE").format(schema))


def _lock_ms(value: str | None) -> int | None:
    if not value:
        return None
    from .core import lock_wait_ms

    return lock_wait_ms(value)


def _policy_key_ref(policy: Policy) -> str | None:
    scrub = policy.scrub
    return scrub.key_ref if scrub is not None and scrub.key_ref else None


def _policy_base_dir(policy: Policy) -> str:
    scrub = policy.scrub
    return str(scrub.base_dir) if scrub is not None and scrub.base_dir else os.getcwd()
