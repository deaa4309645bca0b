"""INSERT statements of a dump (``pg_dump --inserts``, ``--column-inserts``): scrubbed
value by value with the same transforms as COPY rows.

Why apart from the statement loop (``rewriter.py``): an INSERT is parsed into its
literals, matched to columns by name or, without a column list, by position (which
the schema must make unambiguous), and rewritten literal by literal; the loop only
hands it over.  :class:`InsertStatements` is the part of
:class:`~scrubphi.dump.rewriter.Scrubber` that does this, on the Scrubber's state.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..errors import DumpError, TransformError
from ..policy.model import TableName
from ..report import ColumnStats, TableStats
from ..transforms.base import ColumnInfo
from .coverage import Coverage, Plan
from .forms import ident
from .insert_rows import (
    InsertKernels,
    check_positional_shapes,
    insert_plan,
    rewrite_insert,
)
from .inserts import InsertError, literal_value, parse_insert
from .lexer import SqlSplitter
from .schema import Schema

__all__ = ["InsertStatements", "Scan", "ScanFn"]

ScanFn = Callable[..., str | None]
#: What an observer wants to see of a table: ``(index, fn)`` calls ``fn(value)`` for
#: each row's field ``index``; ``(index, fn, reads)`` calls ``fn(value, *values)``
#: with the row's fields at the indexes ``reads`` too (a ``when`` column's tests).
Scan = tuple[int, ScanFn] | tuple[int, ScanFn, tuple[int, ...]]


class InsertStatements:
    """The INSERT statements of a :class:`~scrubphi.dump.rewriter.Scrubber`."""

    if TYPE_CHECKING:  # the Scrubber's state and steps this part uses
        check_only: bool
        problems: list[str]
        _cov: Coverage
        _codec: ModuleType
        _splitter: SqlSplitter
        _toc_data: TableName | None
        _insert_plans: dict[tuple[TableName, tuple[str, ...] | None], Plan]
        _insert_batches: dict[tuple[TableName, tuple[str, ...] | None], InsertKernels | None]
        _insert_scans: dict[tuple[TableName, tuple[str, ...] | None], list[Scan]]

        @property
        def _schema(self) -> Schema: ...
        def _ensure_checked(self, line: int) -> None: ...
        def _known_table(self, table: TableName, line: int) -> Any: ...
        def _check_load(self, table: TableName, line: int) -> None: ...
        def _table_stats(self, table: TableName, action: str) -> TableStats: ...
        def _scans(self, table: TableName, names: tuple[str, ...],
                   columns: list[ColumnInfo] | None, plan: Plan) -> list[Scan]: ...

    def _insert(self, text: bytes, line: int) -> bytes | None:
        """Scrub one INSERT statement value by value; None drops it.

        The same transforms as for COPY, on the same text form of each value,
        so a table dumped with --inserts scrubs to the same values as with COPY.
        Only the literals that change are replaced; every other byte stays.
        """
        self._ensure_checked(line)
        try:
            stmt = parse_insert(text, standard_strings=self._splitter.standard_strings)
        except InsertError as exc:
            raise DumpError(f"cannot scrub this INSERT statement: {exc}", line=line) from None
        table = self._schema.resolve(
            ident(stmt.schema) if stmt.schema is not None else None, ident(stmt.table)
        )
        info = self._known_table(table, line)
        self._check_load(table, line)
        stats = self._table_stats(table, "insert")
        if stmt.columns is not None:
            names: tuple[str, ...] | None = tuple(ident(c) for c in stmt.columns)
        elif info is not None:
            names = tuple(c.name for c in info.columns)  # positional: generated ones included
            self._check_positional_root(table, names, line)
        else:
            names = None
        key = (table, names)
        plan = self._insert_plans.get(key)
        if plan is None:
            columns = list(info.columns) if info is not None else None
            if self.check_only:
                plan = self._cov.compile(
                    table, columns, line, strict=False, header=names or (), problems=self.problems
                )
                self._insert_scans[key] = self._scans(table, names or (), columns, plan)
                plan = Plan("drop", [], plan.planned, plan.specs)
            else:
                plan = self._cov.compile(table, columns, line, strict=True, header=names or ())
                # (an INSERT's values through the column's kernel first, as COPY's are:
                # all rows of a statement in one call, and one by one what it declines)
                plan, self._insert_batches[key] = insert_plan(plan, self._codec)
            if plan.mode == "rewrite" and names is None:
                raise DumpError(
                    "an INSERT without a column list into a table whose CREATE TABLE was not "
                    "seen cannot be scrubbed; dump with --column-inserts",
                    line=line,
                    table=str(table),
                )
            self._insert_plans[key] = plan
        generated = {c.name for c in info.columns if c.generated} if info is not None else set()
        for name in names or ():
            if name not in stats.columns and name not in generated:
                stats.columns[name] = ColumnStats(transform=plan.specs.get(name, "keep"))
        if stmt.columns is None and info is not None and plan.mode == "rewrite":
            check_positional_shapes(info.columns, stmt, text, line, table)
        nrows = len(stmt.rows) if not stmt.default_values else 1
        for entry in self._insert_scans.get(key, ()):
            index, scan = entry[0], entry[1]
            reads: tuple[int, ...] = entry[2] if len(entry) > 2 else ()
            for row in stmt.rows:
                if index < len(row) and row[index].kind != "default":
                    values = [literal_value(text, row[q])
                              if q < len(row) and row[q].kind != "default" else None
                              for q in reads]
                    try:
                        scan(literal_value(text, row[index]), *values)
                    except TransformError as exc:
                        raise DumpError(exc.reason, line=line, table=str(table)) from None
        stats.action = plan.mode
        if plan.mode == "drop":
            stats.rows_dropped += nrows
            return None
        stats.rows += nrows
        if plan.mode == "keep" or stmt.default_values:
            for col in stats.columns.values():
                col.kept += nrows
            return text
        assert names is not None
        planned = {entry[0] for entry in plan.entries}
        for index, name in enumerate(names):
            if index not in planned and name in stats.columns:
                stats.columns[name].kept += nrows
        return rewrite_insert(text, stmt, names, plan, stats, line, table,
                              standard_strings=self._splitter.standard_strings,
                              kernels=self._insert_batches.get(key))

    def _check_positional_root(self, table: TableName, names: tuple[str, ...], line: int) -> None:
        """A positional INSERT into a partitioned table must carry the root's column order.

        ``pg_dump --inserts --load-via-partition-root`` writes a partition's rows
        as ``INSERT INTO root VALUES (...)`` in the *partition's* column order;
        where that differs from the root's, values cannot be matched to
        columns by position, so the run stops rather than guess.
        """
        info = self._schema.tables.get(table)
        if info is None or not info.partitioned:
            return
        source = self._toc_data
        if source is not None and table in self._schema.ancestors(source):
            suspects = [source]
        else:
            suspects = [t for t in self._schema.tables if table in self._schema.ancestors(t)]
        for name in suspects:
            part = self._schema.tables[name]
            if tuple(c.name for c in part.columns) != names:
                raise DumpError(
                    f"an INSERT without a column list into partitioned table {table} may "
                    f"carry rows of partition {name}, whose column order differs "
                    "(pg_dump --inserts --load-via-partition-root): the values cannot be "
                    "matched to columns by position; dump with --column-inserts",
                    line=line,
                    table=str(table),
                )
