"""Chunked mode's Dask task: one unit, from the source's snapshot through the scrubber.

Runs in a Dask worker (embedded or on another host). A worker keeps one
primed :class:`~scrubphi.Scrubber` and one connection to each database per
run, for every unit it is given; after any failure it drops them, since a
failed scrubber or an aborted transaction is not reusable.

As a Dask preload (the embedded cluster loads it in every worker), it also
makes the worker die with the coordinator and leave Ctrl-C to it.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql as pg_sql

from ..dump.rewriter import Scrubber
from ..errors import PolicyError, ScrubPhiError
from ..policy import load_policy
from ..policy.secrets import resolve_secret
from ..transforms.redact.lookup import Lookup
from .chunked import (
    BOOK_SCHEMA,
    KEY_ENV,
    SOURCE_PASSWORD_ENV,
    TARGET_PASSWORD_ENV,
    ChunkSpec,
    Unit,
    key_check,
)
from .parallel import _CopySink
from .pgtools import safe_error_lines

__all__ = ["dask_setup", "load_unit", "release"]

_FEED = 1 << 20
# What pg_dump sets on its connection, so that COPY TO writes what a dump holds.
_SOURCE_SESSION = (
    "SET statement_timeout = 0",
    # Rows hidden by row-level security fail the read instead of going missing.
    "SET row_security = off",
    "SET DATESTYLE = ISO",
    "SET INTERVALSTYLE = POSTGRES",
    "SET extra_float_digits TO 3",
    "SET search_path = ''",
)


def dask_setup(worker: object) -> None:
    """Dask preload hook: die with the coordinator (embedded cluster); ignore Ctrl-C."""
    parent = os.environ.get("SCRUBPHI_CHUNK_PARENT")
    if parent is None:
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if str(os.getppid()) != parent:
        os._exit(1)


@dataclass
class _State:
    run_id: str
    scrubber: Scrubber
    source: psycopg.Connection[Any]
    target: psycopg.Connection[Any]


_STATE: _State | None = None


def _key(spec: ChunkSpec) -> bytes | None:
    """The key, from this worker's environment or host; checked against the coordinator's."""
    if spec.key_check is None:
        return None
    if spec.key_ref is not None:
        try:
            key = resolve_secret(spec.key_ref, spec.key_base_dir)
        except PolicyError as exc:
            raise ScrubPhiError(
                f"worker {socket.gethostname()}: cannot read the key ({exc})"
            ) from None
    else:
        text = os.environ.get(KEY_ENV)
        if not text:
            raise ScrubPhiError(f"worker {socket.gethostname()}: no key in {KEY_ENV}")
        key = bytes.fromhex(text)
    got = key_check(key)
    if got is None or not hmac.compare_digest(got, spec.key_check):
        raise ScrubPhiError(
            f"worker {socket.gethostname()}: its key differs from the coordinator's"
        )
    return key


def _connect(url: str, password_env: str, app: str) -> psycopg.Connection[Any]:
    password = os.environ.get(password_env)
    kwargs: dict[str, Any] = {"password": password} if password else {}
    return psycopg.connect(url, autocommit=True, application_name=app, **kwargs)


def _state(spec: ChunkSpec) -> _State:
    global _STATE
    if _STATE is not None and _STATE.run_id == spec.run_id:
        return _STATE
    _discard()
    key = _key(spec)
    scrubber = Scrubber(
        load_policy(*spec.configs),
        key=key if key is not None else b"",
        lookup=Lookup.from_bytes(spec.lookup, key or b"") if spec.lookup is not None else None,
        require_complete=False,
    )
    scrubber.feed(spec.prelude)
    app = f"scrubphi-chunk-{os.getpid()}"
    source = _connect(spec.source_url, SOURCE_PASSWORD_ENV, app)
    try:
        for statement in _SOURCE_SESSION:
            source.execute(statement)
        # UTF-8, as pg_dump was asked for the schema (DUMP_ENCODING): the server converts.
        source.execute("SET client_encoding = 'UTF8'")
        target = _connect(spec.target_url, TARGET_PASSWORD_ENV, app)
    except BaseException:
        source.close()
        raise
    for statement in spec.session:
        target.execute(statement)
    _STATE = _State(spec.run_id, scrubber, source, target)
    return _STATE


def release(run_id: str) -> None:
    """Run on every worker at the end of a run: close its connections of that run."""
    if _STATE is not None and _STATE.run_id == run_id:
        _discard()


def _discard() -> None:
    global _STATE
    if _STATE is not None:
        for conn in (_STATE.source, _STATE.target):
            with contextlib.suppress(psycopg.Error):
                conn.close()
    _STATE = None


def _load_statement(unit: Unit) -> pg_sql.Composed:
    """``COPY table (columns) FROM STDIN``; with ``;`` and a line break, the scrubber's header."""
    table = pg_sql.Identifier(unit.schema, unit.name)
    cols = pg_sql.SQL(", ").join(pg_sql.Identifier(c) for c in unit.columns)
    if unit.columns:
        load = pg_sql.SQL("COPY {} ({}) FROM STDIN").format(table, cols)
    else:
        load = pg_sql.SQL("COPY {} FROM STDIN").format(table)
    return load


def _read_statement(unit: Unit) -> pg_sql.Composed:
    table = pg_sql.Identifier(unit.schema, unit.name)
    cols = pg_sql.SQL(", ").join(pg_sql.Identifier(c) for c in unit.columns)
    where = pg_sql.SQL(" WHERE " + unit.where if unit.where else "")
    return pg_sql.SQL("COPY (SELECT {} FROM ONLY {}{}) TO STDOUT").format(cols, table, where)


class _Route:
    """The scrubber's output for one unit: its COPY line (checked, not sent), then rows."""

    def __init__(self, header: bytes, copy: psycopg.Copy) -> None:
        self.pending = header
        self.sink = _CopySink(copy)

    def first(self, out: bytes) -> None:
        """What the header gave: blank lines held from before it, then (usually) itself."""
        if out.endswith(self.pending):
            out, self.pending = out[: len(out) - len(self.pending)], b""
        elif out.strip():
            # The header came back only in part: the rest follows with the rows.
            lead = len(out) - len(out.lstrip())
            out = out[lead:]
            self.emit(out)
            return
        if out.strip():
            raise ScrubPhiError("unexpected output before a unit's data")

    def emit(self, out: bytes) -> None:
        if self.pending:
            take = min(len(self.pending), len(out))
            if out[:take] != self.pending[:take]:
                raise ScrubPhiError("the scrubber changed a COPY header")
            self.pending, out = self.pending[take:], out[take:]
        if not self.pending:
            out = self.sink.write(out)
        if out.strip():
            raise ScrubPhiError("unexpected output after a unit's data")


def _run_unit(spec: ChunkSpec, unit: Unit) -> dict[str, Any]:
    state = _state(spec)
    book = pg_sql.Identifier(BOOK_SCHEMA, "units")
    done = state.target.execute(
        pg_sql.SQL("SELECT report FROM {} WHERE uid = %s").format(book), (unit.uid,)
    ).fetchone()
    if done is not None:
        return dict(done[0], repeated=True)
    began = time.monotonic()
    load = _load_statement(unit)
    header = load.as_string(state.target).replace(" FROM STDIN", " FROM stdin;\n", 1).encode()
    # The scrubber's per-table counts, for this unit alone.
    tables = state.scrubber.report.tables
    for old in [t for t in tables if t.table == unit.table]:
        tables.remove(old)
    bytes_in = 0
    with state.target.transaction(), state.target.cursor() as tcur:
        # First: a second run of this unit waits here for the first, then fails
        # (a unique violation) instead of loading the rows twice.
        tcur.execute(pg_sql.SQL("INSERT INTO {} (uid) VALUES (%s)").format(book), (unit.uid,))
        with state.source.transaction(), state.source.cursor() as scur:
            scur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            scur.execute(pg_sql.SQL("SET TRANSACTION SNAPSHOT {}").format(
                pg_sql.Literal(spec.snapshot)))
            with tcur.copy(load) as tcopy, scur.copy(_read_statement(unit)) as scopy:
                route = _Route(header, tcopy)
                route.first(state.scrubber.feed(header))
                buf: list[bytes] = []
                size = 0
                for data in scopy:
                    buf.append(bytes(data))
                    size += len(data)
                    if size >= _FEED:
                        bytes_in += size
                        route.emit(state.scrubber.feed(b"".join(buf)))
                        buf, size = [], 0
                bytes_in += size
                route.emit(state.scrubber.feed(b"".join(buf) + b"\\.\n"))
                if not route.sink.done:
                    raise ScrubPhiError(f"the data of table {unit.table} did not end")
        mine = [t for t in state.scrubber.report.tables if t.table == unit.table]
        stats: dict[str, Any] = (
            mine[-1].to_dict() if mine else
            {"table": unit.table, "action": "keep", "rows": 0, "rows_dropped": 0, "columns": {}}
        )
        report = {
            "uid": unit.uid,
            "table": unit.table,
            "chunk": unit.chunk,
            "of": unit.of,
            "range": unit.label,
            "rows": int(stats["rows"]) + int(stats["rows_dropped"]),
            "bytes_in": bytes_in,
            "bytes_out": route.sink.bytes,
            "seconds": round(time.monotonic() - began, 3),
            "worker": socket.gethostname(),
            "worker_pid": os.getpid(),
            "stats": stats,
        }
        tcur.execute(
            pg_sql.SQL("UPDATE {} SET report = %s WHERE uid = %s").format(book),
            (json.dumps(report), unit.uid),
        )
    return report


def load_unit(spec: ChunkSpec, unit: Unit) -> dict[str, Any]:
    """Dask task: scrub and load one unit in one transaction; its report or its failure.

    Failures come back as values fit to print (names and counts; a server
    error loses its quoted values and its DETAIL and CONTEXT lines), except
    a lost connection, which is raised so that Dask runs the unit again.
    """
    try:
        return {"ok": True, "unit": _run_unit(spec, unit)}
    except psycopg.errors.UniqueViolation:
        # Another run of this unit committed first: its report stands.
        _discard()
        state = _state(spec)
        row = state.target.execute(
            pg_sql.SQL("SELECT report FROM {} WHERE uid = %s").format(
                pg_sql.Identifier(BOOK_SCHEMA, "units")
            ),
            (unit.uid,),
        ).fetchone()
        if row is None:
            raise
        return {"ok": True, "unit": dict(row[0], repeated=True)}
    except ScrubPhiError as exc:
        _discard()
        return {"ok": False, "step": "scrub", "message": str(exc), "details": []}
    except psycopg.OperationalError:
        _discard()
        raise  # a connection lost: Dask retries the unit
    except psycopg.Error as exc:
        _discard()
        return {
            "ok": False,
            "step": "restore",
            "message": f"loading table {unit.table} (chunk {unit.chunk} of {unit.of}) failed "
            f"({type(exc).__name__})",
            "details": safe_error_lines(f"ERROR: {exc}"),
        }
    except BaseException:
        _discard()
        raise
