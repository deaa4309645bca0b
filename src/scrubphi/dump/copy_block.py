"""One COPY block streamed through the row codec, and what it counts into the report.

The rewriter (:mod:`scrubphi.dump.rewriter`) reads a ``COPY ... FROM stdin;``
statement, compiles the table's plan and opens a :class:`CopyBlock`; from
then on the block's rows go through the codec's ``CopyRewriter`` (compiled or
pure, see ``scrubphi._impl``) chunk by chunk until ``\\.``.  Kept and dropped
blocks go through the codec too, with an empty plan: every row is validated
(field count, escapes, no CR, no COPY statement), so a damaged end-of-data
line cannot turn what follows into rows.  At the end the block adds its rows
and each column's transformed / nulled / kept values to the table's stats.

Why a module of its own: a COPY block is its own mode of the stream, with
its own state (the codec's rewriter, the planned columns) and counts; the
rewriter around it splits statements, learns the schema and checks
coverage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import ModuleType

from ..errors import CodecError, DumpError
from ..gcutil import gc_paused
from ..policy.model import TableName, quote_ident
from ..report import ColumnStats, TableStats
from .coverage import Plan
from .row_workers import PARALLEL_AFTER, RowWorkers, WorkerError, can_fork

__all__ = ["CopyBlock"]


@dataclass
class CopyBlock:
    """The COPY block being streamed."""

    table: TableName
    stats: TableStats
    mode: str  # keep | drop | rewrite
    rewriter: object | None = None
    columns: tuple[str, ...] = ()
    planned: list[tuple[int, str]] = field(default_factory=list)  # (field index, column)
    jobs: int = 1  # worker processes once the block is large (see row_workers.py)
    parallel_after: int = PARALLEL_AFTER
    workers: RowWorkers | None = None
    _seen: int = 0  # bytes rewritten in this process so far

    @classmethod
    def open(
        cls,
        codec: ModuleType,
        table: TableName,
        stats: TableStats,
        plan: Plan,
        names: tuple[str, ...],
        max_row_size: int,
        jobs: int = 1,
        parallel_after: int = PARALLEL_AFTER,
    ) -> CopyBlock:
        """A block of ``table``'s rows, fields ``names``, under ``plan``; counts go to ``stats``.

        With ``jobs`` > 1 a block that turns out longer than ``parallel_after``
        bytes has its rows rewritten by that many worker processes.
        """
        stats.action = plan.mode
        for name in names:
            if name not in stats.columns:
                stats.columns[name] = ColumnStats(transform=plan.specs.get(name, "keep"))
        copy = cls(
            table=table,
            stats=stats,
            mode=plan.mode,
            columns=names,
            planned=plan.planned,
            jobs=jobs if jobs > 1 and plan.mode == "rewrite" and plan.entries and can_fork()
            else 1,
            parallel_after=parallel_after,
        )
        with gc_paused():  # kernels copy pools and tables (gcutil.py)
            copy.rewriter = codec.CopyRewriter(
                len(names), plan.entries if plan.mode == "rewrite" else [], max_row_size
            )
        return copy

    @property
    def rows(self) -> int:
        """Rows read so far."""
        done = self.workers.rows if self.workers is not None else 0
        return int(getattr(self.rewriter, "rows", 0)) + done

    def step(self, buf: bytes, pos: int, line: int) -> tuple[bytes, int, int, bool]:
        """Rewrite the rows of ``buf`` from ``pos`` (on line ``line``) as far as they go.

        Returns the bytes to write, the offset reached, how many lines that
        was (one per row, plus the end-of-data line) and whether the block
        ended; an ended block has counted into its stats.  A damaged row is
        a DumpError naming its line, the table and the column.
        """
        if self.workers is None and self.jobs > 1 and self._seen >= self.parallel_after:
            self.workers = RowWorkers(self.rewriter, self.jobs)
        if self.workers is not None:
            return self._shared_step(buf, pos, line)
        rewriter = self.rewriter
        assert rewriter is not None
        rows = rewriter.rows  # type: ignore[attr-defined]
        try:
            data, new_pos, done = rewriter.process(buf, pos)  # type: ignore[attr-defined]
        except CodecError as exc:
            raise self._row_error(exc.reason, line + exc.row, exc.field) from None
        self._seen += new_pos - pos
        lines = rewriter.rows - rows + done  # type: ignore[attr-defined]
        out = data if data and self.mode != "drop" else b""
        if done:
            if self.mode == "drop":
                out += b"\\.\n"
            self.finish()
        return out, new_pos, lines, done

    def _shared_step(self, buf: bytes, pos: int, line: int) -> tuple[bytes, int, int, bool]:
        """``step`` with the workers: complete rows go to them, the end line is ours.

        The rows up to the ``\\.`` line (or up to the last newline) are one
        slab; a line that is exactly ``\\.`` always ends the block, as a
        backslash in data is always escaped.  What is left without a newline is
        passed to this process's rewriter, which holds it back (or refuses a row
        longer than ``max_row_size``) as it would alone.
        """
        workers = self.workers
        assert workers is not None
        if buf.startswith(b"\\.\n", pos):
            end = pos
        else:
            end = buf.find(b"\n\\.\n", pos)
            end = end + 1 if end >= 0 else -1
        limit = end if end >= 0 else buf.rfind(b"\n", pos) + 1
        parts: list[bytes] = []
        lines = 0
        try:
            if limit > pos:
                slab = buf[pos:limit]
                lines = slab.count(b"\n")
                parts.extend(workers.submit(slab, line))
                pos = limit
            if end >= 0:
                parts.extend(workers.drain())
            rewriter = self.rewriter
            rows = rewriter.rows  # type: ignore[attr-defined]
            try:
                data, pos, done = rewriter.process(buf, pos)  # type: ignore[attr-defined]
            except CodecError as exc:
                workers.drain()  # an earlier slab's error is raised first
                raise self._row_error(exc.reason, line + lines + exc.row, exc.field) from None
            lines += rewriter.rows - rows + done  # type: ignore[attr-defined]
            parts.append(data)
        except WorkerError as exc:
            raise self._worker_error(exc) from None
        out = b"".join(parts) if self.mode != "drop" else b""
        if done:
            self.finish()
        return out, pos, lines, done

    def drain(self) -> bytes:
        """The output of every slab still with the workers (before the block's end)."""
        if self.workers is None:
            return b""
        try:
            return b"".join(self.workers.drain())
        except WorkerError as exc:
            raise self._worker_error(exc) from None

    def abort(self) -> None:
        """Stop the workers now (the run failed)."""
        if self.workers is not None:
            workers, self.workers = self.workers, None
            self.jobs = 1
            workers.terminate()

    def _worker_error(self, exc: WorkerError) -> DumpError:
        """A worker's failure as the run's error; the other workers are stopped."""
        self.abort()
        return self._row_error(exc.reason, exc.line + exc.row, exc.field)

    def _row_error(self, reason: str, line: int, index: int) -> DumpError:
        column = self.columns[index] if 0 <= index < len(self.columns) else None
        return DumpError(
            reason,
            line=line,
            table=str(self.table),
            column=quote_ident(column) if column is not None else None,
        )

    def finish(self) -> None:
        """Add the block's rows and each column's counts to the table's stats."""
        rewriter = self.rewriter
        rows = int(getattr(rewriter, "rows", 0))
        counts = list(getattr(rewriter, "counts", []))
        if self.workers is not None:
            workers, self.workers = self.workers, None
            workers.close()
            rows += workers.rows
            counts = [a + b for a, b in zip(counts, workers.counts, strict=True)]
        if self.mode == "drop":
            self.stats.rows_dropped += rows
            return
        self.stats.rows += rows
        planned = dict(self.planned)
        entry_of = {index: i for i, (index, _name) in enumerate(self.planned)}
        for index, name in enumerate(self.columns):
            col = self.stats.columns[name]
            if index in planned:
                i = entry_of[index]
                changed, nulled = counts[2 * i], counts[2 * i + 1]
                col.transformed += changed
                col.nulled += nulled
                col.kept += rows - changed - nulled
            else:
                col.kept += rows
