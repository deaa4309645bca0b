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

    @classmethod
    def open(
        cls,
        codec: ModuleType,
        table: TableName,
        stats: TableStats,
        plan: Plan,
        names: tuple[str, ...],
        max_row_size: int,
    ) -> CopyBlock:
        """A block of ``table``'s rows, fields ``names``, under ``plan``; counts go to ``stats``."""
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
        )
        with gc_paused():  # kernels copy pools and tables (gcutil.py)
            copy.rewriter = codec.CopyRewriter(
                len(names), plan.entries if plan.mode == "rewrite" else [], max_row_size
            )
        return copy

    @property
    def rows(self) -> int:
        """Rows read so far."""
        return int(getattr(self.rewriter, "rows", 0))

    def step(self, buf: bytes, pos: int, line: int) -> tuple[bytes, int, int, bool]:
        """Rewrite the rows of ``buf`` from ``pos`` (on line ``line``) as far as they go.

        Returns the bytes to write, the offset reached, how many lines that
        was (one per row, plus the end-of-data line) and whether the block
        ended; an ended block has counted into its stats.  A damaged row is
        a DumpError naming its line, the table and the column.
        """
        rewriter = self.rewriter
        assert rewriter is not None
        rows = rewriter.rows  # type: ignore[attr-defined]
        try:
            data, new_pos, done = rewriter.process(buf, pos)  # type: ignore[attr-defined]
        except CodecError as exc:
            column = None
            if 0 <= exc.field < len(self.columns):
                column = self.columns[exc.field]
            raise DumpError(
                exc.reason,
                line=line + exc.row,
                table=str(self.table),
                column=quote_ident(column) if column is not None else None,
            ) from None
        lines = rewriter.rows - rows + done  # type: ignore[attr-defined]
        out = data if data and self.mode != "drop" else b""
        if done:
            if self.mode == "drop":
                out += b"\\.\n"
            self.finish()
        return out, new_pos, lines, done

    def finish(self) -> None:
        """Add the block's rows and each column's counts to the table's stats."""
        rewriter = self.rewriter
        rows = int(getattr(rewriter, "rows", 0))
        counts = list(getattr(rewriter, "counts", []))
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
