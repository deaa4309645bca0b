"""Parity: does staging still have production's shape?

Why aggregates only: the point of staging is that it holds no patient data,
and a comparison tool must not become the leak. Every number here comes out
of ``count(*)``, ``count(col)`` and ``count(DISTINCT col::text)`` computed by
the server; no value is ever read out of either database. The schema is
compared as ``pg_dump --schema-only`` text (DDL, no rows).

Realistic fakes keep a column's statistical shape: as many NULLs, about as
many distinct values. With ``--config`` the comparison knows the policy:
dropped tables are expected empty, ``null`` columns all NULL, and columns
whose transform coarsens by design (dates to years, ZIP3, constants, masks)
are not held to their distinct counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql as pg_sql

from ..policy.model import Policy, TableName, TransformSpec
from .pgtools import PgTools, connect
from .verify import check_schema, schema_dump

__all__ = ["ColumnParity", "ParityReport", "TableParity", "parity"]

_COARSENING = frozenset({"value", "generalize", "mask", "null"})


@dataclass
class ColumnParity:
    """One column's shape in both databases."""

    table: str
    column: str
    source_null_fraction: float
    target_null_fraction: float
    source_distinct: int
    target_distinct: int
    ok: bool
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "column": self.column,
            "source_null_fraction": round(self.source_null_fraction, 6),
            "target_null_fraction": round(self.target_null_fraction, 6),
            "source_distinct": self.source_distinct,
            "target_distinct": self.target_distinct,
            "ok": self.ok,
            "note": self.note,
        }


@dataclass
class TableParity:
    """One table's row counts."""

    table: str
    source_rows: int
    target_rows: int | None
    ok: bool
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "source_rows": self.source_rows,
            "target_rows": self.target_rows,
            "ok": self.ok,
            "note": self.note,
        }


@dataclass
class ParityReport:
    """Schema, row counts and per-column shape; ``ok`` when all are within tolerance."""

    tolerance: float
    schema_ok: bool
    schema_details: list[str] = field(default_factory=list)
    tables: list[TableParity] = field(default_factory=list)
    columns: list[ColumnParity] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.schema_ok and all(t.ok for t in self.tables) and all(c.ok for c in self.columns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "tolerance": self.tolerance,
            "schema": {"ok": self.schema_ok, "details": self.schema_details},
            "tables": [t.to_dict() for t in self.tables],
            "columns": [c.to_dict() for c in self.columns],
        }

    def to_text(self) -> str:
        """A readable table: one line per table and per column, failures marked."""
        out = [f"schema: {'identical' if self.schema_ok else 'DIFFERENT'}"]
        out += [f"  {d}" for d in self.schema_details]
        out.append("")
        w = max([len(t.table) for t in self.tables] + [5])
        out.append(f"{'table':<{w}}  {'source rows':>12}  {'target rows':>12}  ")
        for t in self.tables:
            target = "-" if t.target_rows is None else f"{t.target_rows:,}"
            flag = "ok" if t.ok else "MISMATCH"
            out.append(
                f"{t.table:<{w}}  {t.source_rows:>12,}  {target:>12}  {flag} {t.note}".rstrip()
            )
        out.append("")
        cw = max([len(f"{c.table}.{c.column}") for c in self.columns] + [6])
        out.append(
            f"{'column':<{cw}}  {'null% src':>9}  {'null% tgt':>9}  {'distinct src':>12}  "
            f"{'distinct tgt':>12}"
        )
        for c in self.columns:
            flag = "ok" if c.ok else "OUT OF TOLERANCE"
            out.append(
                f"{c.table + '.' + c.column:<{cw}}  {100 * c.source_null_fraction:>8.2f}%  "
                f"{100 * c.target_null_fraction:>8.2f}%  {c.source_distinct:>12,}  "
                f"{c.target_distinct:>12,}  {flag} {c.note}".rstrip()
            )
        out.append("")
        out.append(f"parity: {'OK' if self.ok else 'FAILED'} (tolerance {100 * self.tolerance:g}%)")
        return "\n".join(out) + "\n"


def _tables(conn: psycopg.Connection[Any]) -> dict[TableName, list[str]]:
    rows = conn.execute(
        "SELECT n.nspname, c.relname, a.attname FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
        "WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg_toast%%' AND n.nspname NOT LIKE 'pg_temp%%' "
        "ORDER BY n.nspname, c.relname, a.attnum"
    ).fetchall()
    out: dict[TableName, list[str]] = {}
    for schema, table, column in rows:
        out.setdefault(TableName(str(schema), str(table)), []).append(str(column))
    return out


def _shape(
    conn: psycopg.Connection[Any], table: TableName, columns: Sequence[str]
) -> tuple[int, list[tuple[int, int]]]:
    """Rows, and per column (non-null count, distinct count): aggregates only."""
    parts: list[pg_sql.Composable] = [pg_sql.SQL("count(*)")]
    for name in columns:
        col = pg_sql.Identifier(name)
        parts.append(pg_sql.SQL("count({})").format(col))
        parts.append(pg_sql.SQL("count(DISTINCT {}::text)").format(col))
    query = pg_sql.SQL("SELECT {} FROM ONLY {}.{}").format(
        pg_sql.SQL(", ").join(parts), pg_sql.Identifier(table.schema), pg_sql.Identifier(table.name)
    )
    row = conn.execute(query).fetchone()
    assert row is not None
    values = [int(v) for v in row]
    return values[0], [(values[1 + 2 * i], values[2 + 2 * i]) for i in range(len(columns))]


def _spec(
    policy: Policy | None, table: TableName, column: str
) -> tuple[str | None, TransformSpec | None]:
    scrub = policy.scrub if policy is not None else None
    rule = scrub.tables.get(table) if scrub is not None else None
    if rule is None:
        return None, None
    return rule.action, rule.columns.get(column)


def parity(
    source_url: str,
    target_url: str,
    *,
    tolerance: float = 0.05,
    policy: Policy | None = None,
    tools: PgTools | None = None,
    schema: bool = True,
) -> ParityReport:
    """Compare two databases' schema, row counts and column shapes."""
    tools = tools or PgTools()
    report = ParityReport(tolerance=tolerance, schema_ok=True)
    if schema:
        check = check_schema(
            schema_dump(tools, source_url, step="preflight"),
            schema_dump(tools, target_url, step="preflight"),
            comments=policy.scrub.comments if policy is not None and policy.scrub else "keep",
        )
        report.schema_ok = check.ok
        report.schema_details = check.details
    with connect(source_url) as src, connect(target_url) as tgt:
        src_tables, tgt_tables = _tables(src), _tables(tgt)
        for table, columns in src_tables.items():
            label = str(table)
            action, _ = _spec(policy, table, "")
            rows, shapes = _shape(src, table, columns)
            if table not in tgt_tables:
                report.tables.append(TableParity(label, rows, None, False, "missing in target"))
                continue
            common = [c for c in columns if c in tgt_tables[table]]
            t_rows, t_shapes_all = _shape(tgt, table, common)
            t_shapes = dict(zip(common, t_shapes_all, strict=True))
            expected_rows = 0 if action == "drop" else rows
            note = "dropped by the policy" if action == "drop" else ""
            report.tables.append(TableParity(label, rows, t_rows, t_rows == expected_rows, note))
            if action == "drop":
                continue
            for name, (nonnull, distinct) in zip(columns, shapes, strict=True):
                if name not in t_shapes:
                    continue
                t_nonnull, t_distinct = t_shapes[name]
                s_null = 1 - nonnull / rows if rows else 0.0
                t_null = 1 - t_nonnull / t_rows if t_rows else 0.0
                _, spec = _spec(policy, table, name)
                kind = spec.kind if spec is not None else None
                ok, why = _compare(kind, spec, s_null, t_null, distinct, t_distinct, tolerance)
                report.columns.append(
                    ColumnParity(label, name, s_null, t_null, distinct, t_distinct, ok, why)
                )
    return report


def _compare(
    kind: str | None,
    spec: TransformSpec | None,
    s_null: float,
    t_null: float,
    s_distinct: int,
    t_distinct: int,
    tolerance: float,
) -> tuple[bool, str]:
    if kind == "null":
        return t_null == 1.0 or t_distinct == 0, "null by the policy"
    null_ok = abs(s_null - t_null) <= tolerance
    coarse = kind in _COARSENING or (
        kind == "date" and spec is not None and spec.params.get("mode") in ("year", "safe_harbor")
    )
    if coarse:
        return null_ok, "distinct not compared: the transform coarsens by design"
    top = max(s_distinct, t_distinct)
    distinct_ok = top == 0 or abs(s_distinct - t_distinct) <= tolerance * top
    return null_ok and distinct_ok, ""
