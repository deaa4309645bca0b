"""Parallel mode: ``pg_dump -Fd -j N``, one scrubbing process per table, ``pg_restore -j N``.

Why this shape: in plain mode one Python process scrubs the whole stream,
so a database of many tables is bounded by one core. A directory-format
dump keeps each table's rows in its own file (plain COPY text with ``-Z0``),
so tables can be scrubbed side by side and restored side by side.

The scrubber needs the schema to know each column's type, so every worker
primes a :class:`~scrubphi.Scrubber` with the pre-data section (``pg_restore
--section=pre-data -f -``) and then feeds it each table's ``COPY`` header
(read from the TOC through ``pg_restore --data-only`` on a copy of the dump
whose data files are empty) followed by the table's data file. Tables that
share a ``unique: true`` fake are scrubbed in one worker, in dump order, so
their one-to-one mapping is the one plain mode builds.

The raw dump is unscrubbed PHI on disk, in a private (0700) temporary
directory that is removed when the step ends; point ``--workdir`` at an
encrypted or memory-backed file system.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from ..dump.rewriter import Scrubber
from ..errors import ScrubPhiError
from ..policy import load_policy
from ..policy.model import Policy, TableName
from ..report import ColumnStats, TableStats
from .errors import RefreshError
from .pgtools import client_invocation, safe_error_lines

if TYPE_CHECKING:
    from .core import _Run

__all__ = ["TableTask", "parallel_pipeline", "scrub_group"]

_TOC_DATA = re.compile(r"^(\d+); \d+ \d+ TABLE DATA (.*)$")
_DATA_COMMENT = re.compile(rb"^-- Data for Name: (.*); Type: TABLE DATA; Schema: (.*); Owner: .*$")
_COPY_LINE = re.compile(rb"^COPY .* FROM stdin;$")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class TableTask:
    """One table's data file to scrub: its COPY header and where in and out."""

    dump_id: int
    schema: str
    name: str
    header: bytes
    src: str
    dst: str


def _run(argv: list[str], env: dict[str, str], step: str, what: str) -> bytes:
    proc = subprocess.run(argv, capture_output=True, env=env, stdin=subprocess.DEVNULL, check=False)
    if proc.returncode != 0:
        raise RefreshError(
            step,
            f"{what} exited with {proc.returncode}",
            details=safe_error_lines(proc.stderr.decode("utf-8", "replace")),
        )
    return proc.stdout


def parallel_pipeline(
    run: _Run, policy: Policy, key: bytes | None, new_url: str, extra: Sequence[str]
) -> tuple[list[TableStats], dict[str, Any]]:
    """Dump, scrub per table in ``jobs`` processes, restore; the merged report."""
    opts = run.opts
    jobs = max(1, opts.jobs)
    started = time.monotonic()
    tools = run.tools
    base = Path(tempfile.mkdtemp(prefix="scrubphi-refresh-", dir=opts.workdir))
    base.chmod(0o700)
    try:
        raw, out, stub = base / "raw", base / "scrubbed", base / "stub"
        dump_args, dump_env = client_invocation(opts.source_url)
        run.show_step("restore: pg_dump -Fd")
        _run(
            [
                tools.exe("pg_dump"),
                "--no-owner",
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
        listing = _run(
            [tools.exe("pg_restore"), "-l", str(raw)], dump_env, "restore", "pg_restore -l"
        )
        lines = listing.decode("utf-8", "replace").splitlines()
        entries = [(int(m.group(1)), m.group(2)) for m in map(_TOC_DATA.match, lines) if m]
        tasks = _tasks(tools.exe("pg_restore"), dump_env, raw, out, stub, entries)
        prelude = _run(
            [tools.exe("pg_restore"), "--section=pre-data", "-f", "-", str(raw)],
            dump_env,
            "restore",
            "pg_restore --section=pre-data",
        )
        prelude_path = base / "prelude.sql"
        prelude_path.write_bytes(prelude)
        restore_list = _restore_list(lines, policy)
        (base / "restore.list").write_text("\n".join(restore_list) + "\n", encoding="utf-8")
        out.mkdir(exist_ok=True)
        shutil.copy2(raw / "toc.dat", out / "toc.dat")
        for extra_file in raw.iterdir():
            if (
                extra_file.name.startswith("blob")
                and policy.scrub is not None
                and policy.scrub.large_objects == "keep"
            ):
                shutil.copy2(extra_file, out / extra_file.name)
        groups = _groups(tasks, policy)
        tables: list[TableStats] = []
        totals = {"bytes_in": 0, "bytes_out": 0}
        ctx = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            futures = [
                pool.submit(scrub_group, opts.configs, key, str(prelude_path), group)
                for group in groups
            ]
            done_rows = 0
            for fut in concurrent.futures.as_completed(futures):
                try:
                    stats, bytes_in, bytes_out = fut.result()
                except ScrubPhiError as exc:
                    for other in futures:
                        other.cancel()
                    raise RefreshError("scrub", str(exc)) from None
                for item in stats:
                    tables.append(_stats_from(item))
                    done_rows += int(item["rows"])
                totals["bytes_in"] += bytes_in
                totals["bytes_out"] += bytes_out
                run.show_progress(
                    "restore: scrubbing",
                    stats[-1]["table"] if stats else None,
                    done_rows,
                    totals["bytes_in"],
                    time.monotonic() - started,
                )
        order = {str(TableName(t.schema, t.name)): i for i, t in enumerate(tasks)}
        tables.sort(key=lambda t: order.get(t.table, 0))
        run.show_step("restore: pg_restore -j")
        restore_args, restore_env = client_invocation(new_url)
        run.hook("restore:pg_restore", directory=str(out))
        _run(
            [
                tools.exe("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                "-j",
                str(jobs),
                "-L",
                str(base / "restore.list"),
                *(restore_args or ["-d", restore_env["PGDATABASE"]]),
                str(out),
            ],
            restore_env,
            "restore",
            "pg_restore",
        )
    finally:
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
    out: Path,
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
    text = _run(
        [pg_restore, "--data-only", "-L", str(stub / "data.list"), "-f", "-", str(stub)],
        env,
        "restore",
        "pg_restore --data-only (table headers)",
    )
    headers: list[tuple[str, str, bytes]] = []
    name: tuple[str, str] | None = None
    for line in text.splitlines():
        m = _DATA_COMMENT.match(line)
        if m:
            name = (m.group(2).decode("utf-8"), m.group(1).decode("utf-8"))
        elif _COPY_LINE.match(line) and name is not None:
            headers.append((name[0], name[1], line + b"\n"))
            name = None
    if len(headers) != len(entries):
        raise RefreshError("restore", "cannot match the dump's data files to its tables")
    tasks = []
    for (dump_id, label), (schema, table, header) in zip(entries, headers, strict=True):
        if not label.startswith(f"{schema} {table} "):
            raise RefreshError("restore", "cannot match the dump's data files to its tables")
        tasks.append(
            TableTask(
                dump_id,
                schema,
                table,
                header,
                str(raw / f"{dump_id}.dat"),
                str(out / f"{dump_id}.dat"),
            )
        )
    return tasks


def _restore_list(lines: list[str], policy: Policy) -> list[str]:
    """The TOC to restore: large objects and statistics only as the policy allows."""
    scrub = policy.scrub
    lo = scrub.large_objects if scrub is not None else "drop"
    stats = scrub.statistics if scrub is not None else "drop"
    keep: list[str] = []
    for line in lines:
        body = line.split(";", 1)[-1] if not line.startswith(";") else ""
        is_lo = (
            " BLOBS " in body
            or " BLOB " in body
            or " LARGE OBJECT " in body
            or " BLOB METADATA " in body
        )
        is_stats = " STATISTICS DATA " in body
        if is_lo:
            if lo == "fail":
                raise RefreshError(
                    "scrub", "the dump has large objects (scrub.large_objects: fail)"
                )
            if lo == "drop":
                continue
        if is_stats:
            if stats == "fail":
                raise RefreshError("scrub", "the dump has statistics (scrub.statistics: fail)")
            continue
        keep.append(line)
    return keep


def _unique_tables(policy: Policy) -> set[TableName]:
    scrub = policy.scrub
    if scrub is None:
        return set()
    return {
        name
        for name, rule in scrub.tables.items()
        if any(spec.kind == "fake" and spec.params.get("unique") for spec in rule.columns.values())
    }


def _groups(tasks: list[TableTask], policy: Policy) -> list[list[TableTask]]:
    """One task per table, except tables sharing unique fakes: one ordered group."""
    shared = _unique_tables(policy)
    together = [t for t in tasks if TableName(t.schema, t.name) in shared]
    alone = [[t] for t in tasks if TableName(t.schema, t.name) not in shared]
    groups = ([together] if together else []) + alone
    # Largest first, so that the biggest table does not start last.
    groups.sort(key=lambda g: -sum(Path(t.src).stat().st_size for t in g))
    return groups


def scrub_group(
    configs: tuple[str, ...], key: bytes | None, prelude_path: str, group: list[TableTask]
) -> tuple[list[dict[str, Any]], int, int]:
    """Worker: scrub each table's data file of ``group`` with one primed Scrubber.

    Runs in its own process; returns the report rows, bytes in and out. The
    output files hold only the rows (the COPY header is stripped again),
    which is what ``pg_restore`` expects in a directory-format data file.
    """
    policy = load_policy(*configs)
    scrubber = Scrubber(policy, key=key)
    scrubber.feed(Path(prelude_path).read_bytes())
    bytes_in = bytes_out = 0
    dst: BinaryIO | None = None
    pending = b""

    def emit(out: bytes) -> None:
        nonlocal pending, bytes_out
        if pending:
            take = min(len(pending), len(out))
            if out[:take] != pending[:take]:
                raise ScrubPhiError("the scrubber changed a COPY header")
            pending, out = pending[take:], out[take:]
        if out and dst is not None:
            dst.write(out)
            bytes_out += len(out)

    try:
        for task in group:
            out = scrubber.feed(task.header)
            # What comes out now is the previous table's last bytes, then this header.
            if out.endswith(task.header):
                emit(out[: len(out) - len(task.header)])
            else:
                emit(out)
                pending = task.header
            if dst is not None:
                dst.close()
            dst = open(task.dst, "wb")  # noqa: SIM115  (closed when the next table starts)
            with open(task.src, "rb") as src:
                while chunk := src.read(_CHUNK):
                    bytes_in += len(chunk)
                    emit(scrubber.feed(chunk))
        emit(scrubber.close())
    finally:
        if dst is not None:
            dst.close()
    rows = [t.to_dict() for t in scrubber.report.tables]
    return rows, bytes_in, bytes_out
