"""Parallel mode: ``pg_dump -Fd -j N``, one scrub-and-load process per table, ``pg_restore -j N``.

Why this shape: plain mode is one pipe (``pg_dump | scrubber | psql``) whose
scrubbing is bounded by one core and whose indexes are built one after
another at the end. Here:

1. ``pg_dump -Fd -j N -Z0`` dumps tables side by side, each into its own
   file of plain COPY text;
2. ``pg_restore --section=pre-data`` creates the empty tables in the new
   database;
3. N worker processes each take a table's data file, scrub it and stream the
   scrubbed rows straight into ``COPY ... FROM STDIN`` on their own
   connection: scrubbing one table overlaps loading another, and scrubbed
   rows never touch the disk;
4. ``pg_restore -j N`` restores the rest of the data section (sequence
   values, large objects the policy keeps) and the post-data section
   (indexes, constraints, triggers) side by side.

The scrubber needs the schema to know each column's type, so every worker
primes one :class:`~scrubphi.Scrubber` with the pre-data section
(``pg_restore --section=pre-data -f -``) and keeps it for every table it is
given; each table's ``COPY`` header comes from the dump's table of contents
(``pg_restore --data-only`` of a copy of the dump whose data files are
empty). Every table is a task of its own: unique fakes are keyed bijections
with no state (:mod:`scrubphi.transforms.unique`), so a worker gives a value
the fake plain mode gives it, whatever else that worker scrubbed.

The raw dump is unscrubbed PHI on disk, in a private (0700) temporary
directory: each table's data file is deleted as soon as its scrubbed rows are
committed in the new database, and the directory is removed when the step
ends; point ``--workdir`` at an encrypted or memory-backed file system.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import multiprocessing
import multiprocessing.queues
import os
import queue
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql as pg_sql

from ..dump.rewriter import Progress, Scrubber
from ..dump.schema import parse_copy
from ..errors import ScrubPhiError
from ..policy import load_policy
from ..policy.model import Policy, TableName
from ..report import ColumnStats, TableStats
from ..transforms.redact.lookup import Lookup
from .errors import RefreshError
from .pgtools import DUMP_ENCODING, client_invocation, dbname_of, run_client, safe_error_lines

if TYPE_CHECKING:
    from .core import _Run

__all__ = ["TableTask", "load_group", "parallel_pipeline"]

_TOC_DATA = re.compile(r"^(\d+); \d+ \d+ TABLE DATA (.*)$")
# The entry kinds (pg_restore -l) that carry large objects and statistics.
_LO_DATA = frozenset({"BLOBS", "LARGE OBJECTS"})
_LO_METADATA = frozenset({"BLOB", "BLOB METADATA", "LARGE OBJECT"})
_TOC_KIND = re.compile(
    r"^\d+; \d+ \d+ (BLOBS|BLOB METADATA|BLOB|LARGE OBJECTS|LARGE OBJECT|STATISTICS DATA) "
)
_SESSION_LINE = re.compile(rb"^(SET [a-z_]+ = .*|SELECT pg_catalog\.set_config\(.*\));$")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class TableTask:
    """One table's data file to scrub and load: its COPY header and its file."""

    dump_id: int
    schema: str
    name: str
    header: bytes
    src: str


def parallel_pipeline(
    run: _Run,
    policy: Policy,
    key: bytes | None,
    new_url: str,
    extra: Sequence[str],
    lookup: Lookup | None = None,
) -> tuple[list[TableStats], dict[str, Any]]:
    """Dump, scrub and load per table in ``jobs`` processes, restore the rest; the report."""
    opts = run.opts
    jobs = max(1, opts.jobs)
    started = time.monotonic()
    tools = run.tools
    base = Path(tempfile.mkdtemp(prefix="scrubphi-refresh-", dir=opts.workdir))
    base.chmod(0o700)
    restore_args, restore_env = client_invocation(new_url)
    target = restore_args or ["-d", restore_env["PGDATABASE"]]
    ctx = multiprocessing.get_context("spawn")
    # Workers report (pid, table, rows, bytes) here while they load, for the progress line.
    live: multiprocessing.queues.Queue[tuple[int, str | None, int, int]] | None = (
        ctx.Queue() if opts.progress is not None else None
    )
    pool = concurrent.futures.ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=ctx,
        initializer=_worker_init,
        # The lookup travels to each worker once, as keyed hashes.
        initargs=(os.getpid(), live, lookup.to_bytes() if lookup is not None else None),
    )
    tables: list[TableStats] = []
    totals = {"bytes_in": 0, "bytes_out": 0}
    try:
        # The workers import the scrubber while pg_dump runs.
        for _ in range(jobs):
            pool.submit(_warm)
        raw, stub = base / "raw", base / "stub"
        dump_args, dump_env = client_invocation(opts.source_url)
        run.show_step("restore: pg_dump -Fd")
        run_client(
            [
                tools.exe("pg_dump"),
                "--no-owner",
                DUMP_ENCODING,
                "-Fd",
                "-j",
                str(jobs),
                "-Z0",
                *extra,
                "-f",
                str(raw),
                *dump_args,
            ],
            dump_env,
            "pg_dump",
            "pg_dump",
        )
        listing = run_client(
            [tools.exe("pg_restore"), "-l", str(raw)], dump_env, "restore", "pg_restore -l"
        )
        lines = listing.decode("utf-8", "replace").splitlines()
        entries = [(int(m.group(1)), m.group(2)) for m in map(_TOC_DATA.match, lines) if m]
        tasks = _tasks(tools.exe("pg_restore"), dump_env, raw, stub, entries)
        prelude = run_client(
            [tools.exe("pg_restore"), "--section=pre-data", "-f", "-", str(raw)],
            dump_env,
            "restore",
            "pg_restore --section=pre-data",
        )
        prelude_path = base / "prelude.sql"
        prelude_path.write_bytes(prelude)
        restore_list = _restore_list(lines, policy)
        (base / "restore.list").write_text("\n".join(restore_list) + "\n", encoding="utf-8")
        rest = [line for line in restore_list if not _TOC_DATA.match(line)]
        (base / "rest.list").write_text("\n".join(rest) + "\n", encoding="utf-8")
        run.show_step("restore: pg_restore --section=pre-data")
        run.hook("restore:pre-data", database=dbname_of(new_url), url=new_url)
        run_client(
            [
                tools.exe("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                "--section=pre-data",
                "-L",
                str(base / "restore.list"),
                *target,
                str(raw),
            ],
            restore_env,
            "restore",
            "pg_restore --section=pre-data",
        )
        run.hook("restore:data", database=dbname_of(new_url), url=new_url)
        session = _session_setup(prelude)
        futures = [
            pool.submit(load_group, opts.configs, key, str(prelude_path), new_url, session, group)
            for group in _groups(tasks)
        ]
        run.show_step("restore: scrubbing and loading")
        _collect(run, futures, live, tables, totals, started)
        pool.shutdown()
        order = {str(TableName(t.schema, t.name)): i for i, t in enumerate(tasks)}
        tables.sort(key=lambda t: order.get(t.table, 0))
        run.show_step("restore: pg_restore -j (post-data)")
        run.hook("restore:post-data", database=dbname_of(new_url), url=new_url)
        run_client(
            [
                tools.exe("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                "-j",
                str(jobs),
                "--section=data",
                "--section=post-data",
                "-L",
                str(base / "rest.list"),
                *target,
                str(raw),
            ],
            restore_env,
            "restore",
            "pg_restore",
        )
    finally:
        _stop(pool)
        if live is not None:
            live.close()
        shutil.rmtree(base, ignore_errors=True)
    report = {
        "ok": True,
        "mode": "parallel",
        "jobs": jobs,
        "bytes_in": totals["bytes_in"],
        "bytes_out": totals["bytes_out"],
        "duration_s": round(time.monotonic() - started, 6),
        "rows": sum(t.rows + t.rows_dropped for t in tables),
        "tables": [t.to_dict() for t in tables],
    }
    return tables, report


def _stop(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """End the workers now: after a failure they may be mid-COPY into a database being dropped."""
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in workers:
        if proc.is_alive():
            proc.terminate()
    for proc in workers:
        proc.join(10)


def _collect(
    run: _Run,
    futures: list[concurrent.futures.Future[dict[str, Any]]],
    live: multiprocessing.queues.Queue[tuple[int, str | None, int, int]] | None,
    tables: list[TableStats],
    totals: dict[str, int],
    started: float,
) -> None:
    """Wait for the workers, merging their reports; show their live counts meanwhile."""
    pending = set(futures)
    counts: dict[int, tuple[int, int]] = {}
    table: str | None = None
    done_rows = 0
    while pending:
        finished, pending = concurrent.futures.wait(
            pending, timeout=_PROGRESS_EVERY_S, return_when=concurrent.futures.FIRST_COMPLETED
        )
        for fut in finished:
            outcome = fut.result()
            if not outcome["ok"]:
                raise RefreshError(outcome["step"], outcome["message"], details=outcome["details"])
            for item in outcome["tables"]:
                tables.append(_stats_from(item))
                done_rows += int(item["rows"])
            totals["bytes_in"] += outcome["bytes_in"]
            totals["bytes_out"] += outcome["bytes_out"]
        while live is not None:
            try:
                pid, name, rows, read = live.get_nowait()
            except queue.Empty:
                break
            counts[pid] = (rows, read)
            table = name or table
        run.show_progress(
            "restore: scrubbing and loading",
            table,
            max(done_rows, sum(r for r, _ in counts.values())),
            max(totals["bytes_in"], sum(b for _, b in counts.values())),
            time.monotonic() - started,
        )


def _session_setup(prelude: bytes) -> list[str]:
    """The session settings pg_restore would use (encoding, search_path, ...), from the prelude."""
    out: list[str] = []
    for line in prelude.splitlines():
        if line.startswith(b"-- Name:") or line.startswith(b"CREATE "):
            break
        if _SESSION_LINE.match(line):
            out.append(line.decode("utf-8"))
    return out


def _stats_from(item: dict[str, Any]) -> TableStats:
    stats = TableStats(table=str(item["table"]), action=str(item["action"]))
    stats.rows = int(item["rows"])
    stats.rows_dropped = int(item["rows_dropped"])
    for name, col in dict(item["columns"]).items():
        stats.columns[name] = ColumnStats(
            transform=col["transform"],
            transformed=col["transformed"],
            nulled=col["nulled"],
            kept=col["kept"],
        )
    return stats


def _tasks(
    pg_restore: str,
    env: dict[str, str],
    raw: Path,
    stub: Path,
    entries: list[tuple[int, str]],
) -> list[TableTask]:
    """Each TABLE DATA entry with its COPY header, learnt from a data-less copy of the dump."""
    stub.mkdir()
    shutil.copy2(raw / "toc.dat", stub / "toc.dat")
    for dump_id, _ in entries:
        (stub / f"{dump_id}.dat").write_bytes(b"\\.\n")
    (stub / "data.list").write_text(
        "\n".join(f"{dump_id}; 0 0 TABLE DATA x" for dump_id, _ in entries) + "\n", encoding="utf-8"
    )
    text = run_client(
        [pg_restore, "--data-only", "-L", str(stub / "data.list"), "-f", "-", str(stub)],
        env,
        "restore",
        "pg_restore --data-only (table headers)",
    )
    headers = _copy_headers(text)
    if len(headers) != len(entries):
        raise RefreshError("restore", "cannot match the dump's data files to its tables")
    tasks = []
    for (dump_id, label), header in zip(entries, headers, strict=True):
        name = _header_table(header)
        # pg_restore -l writes a name's line breaks as spaces.
        if not label.startswith(_one_line(f"{name.schema} {name.name} ")):
            raise RefreshError("restore", "cannot match the dump's data files to its tables")
        tasks.append(
            TableTask(dump_id, name.schema, name.name, header, str(raw / f"{dump_id}.dat"))
        )
    return tasks


def _copy_headers(text: bytes) -> list[bytes]:
    """Every ``COPY ... FROM stdin;`` statement of a data-only script, in order.

    A quoted name may hold a line break (``public."new<LF>line"``), so a
    header is read up to the first semicolon outside double quotes, not to
    the end of its line.
    """
    headers: list[bytes] = []
    at = 0
    while True:
        if at == 0 and text.startswith(b"COPY "):
            start = 0
        else:
            found = text.find(b"\nCOPY ", at)
            if found < 0:
                return headers
            start = found + 1
        i, quoted = start, False
        while i < len(text):
            ch = text[i]
            if ch == 0x22:  # "
                quoted = not quoted
            elif ch == 0x3B and not quoted:  # ;
                break
            i += 1
        headers.append(text[start : i + 1] + b"\n")
        at = i + 1


def _header_table(header: bytes) -> TableName:
    """The table a ``COPY`` header names, unquoted by the dump parser's own reading."""
    try:
        return parse_copy(header.decode("utf-8"), 0).table
    except (ScrubPhiError, UnicodeDecodeError):
        raise RefreshError(
            "restore", "cannot read a table name in the dump's COPY headers"
        ) from None


def _one_line(text: str) -> str:
    return text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def _restore_list(lines: list[str], policy: Policy) -> list[str]:
    """The TOC to restore: large objects and statistics only as the policy allows.

    As in plain mode, ``large_objects: drop`` drops their contents and keeps
    each object, empty, so that columns holding its OID still point at one.
    """
    scrub = policy.scrub
    lo = scrub.large_objects if scrub is not None else "drop"
    stats = scrub.statistics if scrub is not None else "drop"
    keep: list[str] = []
    for line in lines:
        m = _TOC_KIND.match(line)
        kind = m.group(1) if m else None
        if kind in _LO_DATA or kind in _LO_METADATA:
            if lo == "fail":
                raise RefreshError(
                    "scrub", "the dump has large objects (scrub.large_objects: fail)"
                )
            if lo == "drop" and kind in _LO_DATA:
                continue
        if kind == "STATISTICS DATA":
            if stats == "fail":
                raise RefreshError("scrub", "the dump has statistics (scrub.statistics: fail)")
            continue
        keep.append(line)
    return keep


def _groups(tasks: list[TableTask]) -> list[list[TableTask]]:
    """One task per table, largest first, so that the biggest table does not start last."""
    return sorted(([t] for t in tasks), key=lambda g: -Path(g[0].src).stat().st_size)


# -- the worker processes ----------------------------------------------------


def _worker_init(
    parent: int,
    live: multiprocessing.queues.Queue[tuple[int, str | None, int, int]] | None,
    lookup: bytes | None = None,
) -> None:
    """Die with the parent (a killed refresh leaves no loader behind); leave Ctrl-C to it.

    The death signal is only sent for a parent that dies after it is set, and
    a worker still starting when its parent was killed would otherwise live
    on, reading the tasks left in its queue into an abandoned database: such
    a worker, whose parent is already gone, exits at once.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)
    global _LIVE, _LOOKUP
    _LIVE = live
    _LOOKUP = lookup
    if live is not None:
        live.cancel_join_thread()  # never wait at exit for a parent that stopped reading


_LIVE: multiprocessing.queues.Queue[tuple[int, str | None, int, int]] | None = None
_LOOKUP: bytes | None = None
_PROGRESS_EVERY_S = 0.25


def _warm() -> None:
    """Nothing: submitted once per worker so that start-up overlaps pg_dump."""


class _CopySink:
    """One table's scrubbed COPY text into ``COPY ... FROM STDIN``, without its ``\\.`` line.

    The terminator is a line holding only ``\\.``; a row can never be that
    line (a backslash in a value is written ``\\\\``), so the first one ends
    the table. Three bytes are held back so a terminator split across two
    chunks is still seen.
    """

    def __init__(self, copy: psycopg.Copy) -> None:
        self.copy = copy
        self.tail = b""
        self.started = False
        self.done = False
        self.bytes = 0

    def write(self, data: bytes) -> bytes:
        """Send rows; once the terminator is seen, return what follows it."""
        if self.done:
            return data
        buf = self.tail + data
        if not self.started and len(buf) >= 3:
            self.started = True
            if buf.startswith(b"\\.\n"):
                self.done = True
                return buf[3:]
        if self.started:
            at = buf.find(b"\n\\.\n")
            if at >= 0:
                self._send(buf[: at + 1])
                self.done = True
                self.tail = b""
                return buf[at + 4 :]
            keep = min(3, len(buf))
            self._send(buf[: len(buf) - keep])
            self.tail = buf[len(buf) - keep :]
        else:
            self.tail = buf
        return b""

    def _send(self, data: bytes) -> None:
        if data:
            self.copy.write(data)
            self.bytes += len(data)


@dataclass
class _Loader:
    """A worker's primed scrubber and connection, kept for every table it is given."""

    ident: tuple[Any, ...]
    scrubber: Scrubber
    conn: psycopg.Connection[Any]
    pending: bytes = b""
    sink: _CopySink | None = None

    def emit(self, out: bytes) -> None:
        """Route scrubber output: the rest of the header, then rows, then blank lines."""
        if self.pending:
            take = min(len(self.pending), len(out))
            if out[:take] != self.pending[:take]:
                raise ScrubPhiError("the scrubber changed a COPY header")
            self.pending, out = self.pending[take:], out[take:]
        if self.sink is not None and not self.pending:
            out = self.sink.write(out)
        if out.strip():
            raise ScrubPhiError("unexpected output between two tables' data")

    def load(self, task: TableTask) -> tuple[int, int]:
        """Scrub one data file into its table; bytes read and bytes sent."""
        self.sink = None
        out = self.scrubber.feed(task.header)
        # The previous table's trailing blank lines, then (usually) this header.
        if out.endswith(task.header):
            out, self.pending = out[: len(out) - len(task.header)], b""
        else:
            self.pending = task.header
        if out.strip():
            raise ScrubPhiError("unexpected output between two tables' data")
        # Bytes, in the dump's encoding, which the session setup made the client's.
        statement = task.header.rstrip().rstrip(b";")
        bytes_in = 0
        with self.conn.transaction(), self.conn.cursor() as cur:
            row = cur.execute(
                "SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relname = %s",
                (task.schema, task.name),
            ).fetchone()
            if row is not None and row[0] == "r":
                # Emptied in this transaction, the table takes its rows frozen and
                # all-visible: index builds and first reads then rewrite no page.
                cur.execute(
                    pg_sql.SQL("TRUNCATE ONLY {}.{}").format(
                        pg_sql.Identifier(task.schema), pg_sql.Identifier(task.name)
                    )
                )
                statement = statement[: -len(b" FROM stdin")] + b" FROM STDIN WITH (FREEZE)"
            with cur.copy(statement) as copy:
                self.sink = _CopySink(copy)
                with open(task.src, "rb") as src:
                    while chunk := src.read(_CHUNK):
                        bytes_in += len(chunk)
                        self.emit(self.scrubber.feed(chunk))
                if not self.sink.done:
                    raise ScrubPhiError(
                        f"the data file of table {TableName(task.schema, task.name)} ended "
                        "without its end-of-data line"
                    )
        # Committed: the table's raw rows need not wait on disk for the end of the step.
        with contextlib.suppress(OSError):
            os.unlink(task.src)
        sent = self.sink.bytes
        self.sink = None
        return bytes_in, sent


_LOADER: _Loader | None = None


def _loader(
    configs: tuple[str, ...], key: bytes | None, prelude_path: str, url: str, session: list[str]
) -> _Loader:
    global _LOADER
    ident = (configs, key, prelude_path, url)
    if _LOADER is not None and _LOADER.ident == ident:
        return _LOADER
    _discard()
    prelude = Path(prelude_path).read_bytes()
    scrubber = Scrubber(
        load_policy(*configs),
        key=key,
        progress=_live_reporter(len(prelude)) if _LIVE else None,
        lookup=Lookup.from_bytes(_LOOKUP, key or b"") if _LOOKUP is not None else None,
        # One table's data, not a whole dump: pg_dump's own exit status says it was whole.
        require_complete=False,
    )
    scrubber.feed(prelude)
    conn = psycopg.connect(url, autocommit=True, application_name="scrubphi-refresh")
    for statement in session:
        conn.execute(statement)
    _LOADER = _Loader(ident, scrubber, conn)
    return _LOADER


def _live_reporter(skip: int) -> Callable[[Progress], None]:
    """A progress callback sending this worker's counts to the parent, a few times a second."""
    last = [0.0]
    pid = os.getpid()

    def report(p: Progress) -> None:
        now = time.monotonic()
        if _LIVE is not None and p.table is not None and now - last[0] >= _PROGRESS_EVERY_S:
            last[0] = now
            _LIVE.put((pid, p.table, p.rows, max(0, p.bytes_in - skip)))

    return report


def _discard() -> None:
    global _LOADER
    if _LOADER is not None:
        with contextlib.suppress(psycopg.Error):
            _LOADER.conn.close()
    _LOADER = None


def load_group(
    configs: tuple[str, ...],
    key: bytes | None,
    prelude_path: str,
    url: str,
    session: list[str],
    group: list[TableTask],
) -> dict[str, Any]:
    """Worker: scrub each table of ``group`` and stream it into the new database.

    Runs in a worker process; returns the report rows and byte counts, or
    the failed step with a message fit to print (names and counts only:
    a server error about a row loses its quoted values and its CONTEXT).
    """
    table = ""
    try:
        loader = _loader(configs, key, prelude_path, url, session)
        seen = len(loader.scrubber.report.tables)
        bytes_in = bytes_out = 0
        for task in group:
            table = str(TableName(task.schema, task.name))
            got, sent = loader.load(task)
            bytes_in += got
            bytes_out += sent
        rows = [t.to_dict() for t in loader.scrubber.report.tables[seen:]]
        return {"ok": True, "tables": rows, "bytes_in": bytes_in, "bytes_out": bytes_out}
    except ScrubPhiError as exc:
        _discard()
        return {"ok": False, "step": "scrub", "message": str(exc), "details": []}
    except psycopg.Error as exc:
        _discard()
        return {
            "ok": False,
            "step": "restore",
            "message": f"loading table {table} failed ({type(exc).__name__})",
            "details": safe_error_lines(f"ERROR: {exc}"),
        }
    except OSError as exc:
        _discard()
        return {
            "ok": False,
            "step": "restore",
            "message": f"loading table {table} failed ({exc.strerror or type(exc).__name__})",
            "details": [],
        }
