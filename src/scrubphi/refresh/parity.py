"""Parity: does staging still have production's shape, as the policy says it should?

Why aggregates only: the point of staging is that it holds no patient data,
and a comparison tool must not become the leak. Every number here comes out
of ``count(*)``, ``count(col)``, ``count(DISTINCT col::text)`` and, for kept
columns, ``sum(hashtextextended(col::text, 0))`` (a digest of the column's
values as a multiset, compared and never shown) computed by the server; no
value is ever read out of either database. The schema is compared as
``pg_dump --schema-only`` text (DDL, no rows).

With ``--config`` parity knows what each transform keeps
(:mod:`scrubphi.refresh.parity_rules`) and compares exactly that, exactly:
row counts; kept columns' values; NULLs per column; distinct counts where
the transform is one-to-one, "at most the source's" where it depends on the
value alone, distinct (patient, date) pairs for a per-patient shift. Each
column says what was compared and what was not, and why. ``tolerance``
(default 0 with a policy) allows a source that changed since the refresh.
Without a policy parity compares the shape loosely: null fractions and
distinct counts within the tolerance (default 5%).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql as pg_sql

from ..policy.model import Policy, TableName
from .parity_rules import (
    ALL_NULL,
    AT_MOST,
    AT_MOST_ONE,
    EQUAL,
    NONE_NULL,
    ColumnRule,
    Expectations,
    expectations,
)
from .pgtools import PgTools, connect
from .verify import check_schema, schema_dump

__all__ = ["ColumnParity", "Comparison", "ParityReport", "TableParity", "parity"]

#: Default tolerances: exact when the policy says what is kept, loose without.
DEFAULT_TOLERANCE_WITH_POLICY = 0.0
DEFAULT_TOLERANCE_WITHOUT_POLICY = 0.05
_WITHIN = "within_tolerance"


@dataclass
class Comparison:
    """One property of a column compared: what was expected and the counts (never values)."""

    property: str
    expect: str
    source: float | int | None
    target: float | int | None
    ok: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "property": self.property,
            "expect": self.expect,
            "source": self.source,
            "target": self.target,
            "ok": self.ok,
        }

    def label(self) -> str:
        """``nulls=``, ``distinct<=``, ``pairs(patient_id)=``... with ``!`` when it failed."""
        prop = "nulls" if self.property == "non_null" else self.property
        sign = {
            EQUAL: "=",
            AT_MOST: "<=",
            AT_MOST_ONE: "<=1",
            ALL_NULL: "=all",
            NONE_NULL: "=none",
            _WITHIN: "~",
        }.get(self.expect, self.expect)
        return f"{prop}{sign}" + ("" if self.ok else "!")


@dataclass
class ColumnParity:
    """One column's shape in both databases, and what was compared."""

    table: str
    column: str
    source_null_fraction: float
    target_null_fraction: float
    source_distinct: int
    target_distinct: int
    ok: bool
    note: str = ""
    transform: str | None = None
    compared: list[Comparison] = field(default_factory=list)
    not_compared: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "column": self.column,
            "transform": self.transform,
            "source_null_fraction": round(self.source_null_fraction, 6),
            "target_null_fraction": round(self.target_null_fraction, 6),
            "source_distinct": self.source_distinct,
            "target_distinct": self.target_distinct,
            "ok": self.ok,
            "compared": [c.to_dict() for c in self.compared],
            "not_compared": self.not_compared,
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
    policy: bool = False

    @property
    def ok(self) -> bool:
        return self.schema_ok and all(t.ok for t in self.tables) and all(c.ok for c in self.columns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "tolerance": self.tolerance,
            "policy": self.policy,
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
            f"{'distinct tgt':>12}  compared"
        )
        for c in self.columns:
            flag = "ok" if c.ok else "MISMATCH"
            compared = " ".join(x.label() for x in c.compared) or "-"
            out.append(
                f"{c.table + '.' + c.column:<{cw}}  {100 * c.source_null_fraction:>8.2f}%  "
                f"{100 * c.target_null_fraction:>8.2f}%  {c.source_distinct:>12,}  "
                f"{c.target_distinct:>12,}  {compared:<28} {flag} {c.note}".rstrip()
            )
        out.append("")
        if self.policy:
            out.append(
                "compared: what each column's transform keeps (= equal, <= at most the "
                "source's, ! differs); what a transform changes by design is not compared"
            )
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


def _qualified(table: TableName) -> pg_sql.Composed:
    return pg_sql.SQL("{}.{}").format(
        pg_sql.Identifier(table.schema), pg_sql.Identifier(table.name)
    )


def _shape(
    conn: psycopg.Connection[Any], table: TableName, columns: Sequence[str]
) -> tuple[int, list[tuple[int, int]]]:
    """Rows, and per column (non-null count, distinct count): aggregates only."""
    parts: list[pg_sql.Composable] = [pg_sql.SQL("count(*)")]
    for name in columns:
        col = pg_sql.Identifier(name)
        parts.append(pg_sql.SQL("count({})").format(col))
        parts.append(pg_sql.SQL("count(DISTINCT {}::text)").format(col))
    query = pg_sql.SQL("SELECT {} FROM ONLY {}").format(
        pg_sql.SQL(", ").join(parts), _qualified(table)
    )
    row = conn.execute(query).fetchone()
    assert row is not None
    values = [int(v) for v in row]
    return values[0], [(values[1 + 2 * i], values[2 + 2 * i]) for i in range(len(columns))]


def _extras(
    conn: psycopg.Connection[Any],
    table: TableName,
    rules: dict[str, ColumnRule],
    *,
    content: bool,
) -> dict[tuple[str, str], Decimal | int | None]:
    """The content digests of kept columns and the distinct pairs of per-shifts.

    The digest (a sum of 64-bit hashes of the values' text) is compared
    between the two databases and never shown: it stands for the values.
    """
    parts: list[pg_sql.Composable] = []
    keys: list[tuple[str, str]] = []
    for name, rule in rules.items():
        col = pg_sql.Identifier(name)
        if rule.content and content:
            parts.append(pg_sql.SQL("sum(hashtextextended({}::text, 0))").format(col))
            keys.append(("content", name))
        if rule.pair_with is not None:
            per = pg_sql.Identifier(rule.pair_with)
            parts.append(
                pg_sql.SQL(
                    "count(DISTINCT ({}::text, {}::text)) FILTER (WHERE {} IS NOT NULL "
                    "AND {} IS NOT NULL)"
                ).format(per, col, per, col)
            )
            keys.append(("pairs", name))
    out: dict[tuple[str, str], Decimal | int | None] = {}
    if parts:
        query = pg_sql.SQL("SELECT {} FROM ONLY {}").format(
            pg_sql.SQL(", ").join(parts), _qualified(table)
        )
        row = conn.execute(query).fetchone()
        assert row is not None
        out.update(zip(keys, row, strict=True))
    for name, rule in rules.items():
        if rule.intervals and rule.pair_with is not None and content:
            # Each date's distance to the first date of its group: a per-group shift
            # keeps every one; a shift per row does not. Compared, never shown.
            col, per = pg_sql.Identifier(name), pg_sql.Identifier(rule.pair_with)
            query = pg_sql.SQL(
                "SELECT sum(hashtextextended((c - m)::text, 0)) FROM (SELECT {} AS c, "
                "min({}) OVER (PARTITION BY {}) AS m FROM ONLY {} "
                "WHERE {} IS NOT NULL AND {} IS NOT NULL) AS g"
            ).format(col, col, per, _qualified(table), per, col)
            row = conn.execute(query).fetchone()
            assert row is not None
            out[("intervals", name)] = row[0]
    return out


def parity(
    source_url: str,
    target_url: str,
    *,
    tolerance: float | None = None,
    policy: Policy | None = None,
    tools: PgTools | None = None,
    schema: bool = True,
) -> ParityReport:
    """Compare two databases: schema, row counts and, per column, what the policy keeps.

    ``tolerance`` None means 0 with a policy (a staging refreshed from the
    same source matches exactly) and 5% without.
    """
    tools = tools or PgTools()
    with_policy = policy is not None and policy.scrub is not None
    if tolerance is None:
        tolerance = (
            DEFAULT_TOLERANCE_WITH_POLICY if with_policy else DEFAULT_TOLERANCE_WITHOUT_POLICY
        )
    report = ParityReport(tolerance=tolerance, schema_ok=True, policy=with_policy)
    # Connect first: a database that cannot be reached is named, with the reason.
    with (
        connect(source_url, role="source database") as src,
        connect(target_url, role="target database") as tgt,
    ):
        source_schema = b""
        if schema or with_policy:
            source_schema = schema_dump(tools, source_url, step="preflight")
        if schema:
            check = check_schema(
                source_schema,
                schema_dump(tools, target_url, step="preflight"),
                comments=policy.scrub.comments if policy is not None and policy.scrub else "keep",
            )
            report.schema_ok = check.ok
            report.schema_details = check.details
        expect = expectations(policy, source_schema)
        for conn in (src, tgt):
            _same_text(conn)
        src_tables, tgt_tables = _tables(src), _tables(tgt)
        for table, columns in src_tables.items():
            _compare_table(report, src, tgt, table, columns, tgt_tables.get(table), expect)
    return report


# Settings that shape a value's text (col::text): the same on both sides, so that
# two servers with other defaults (a TimeZone, a DateStyle) compare equal values equal.
_TEXT_SETTINGS = (
    ("TimeZone", "UTC"),
    ("DateStyle", "ISO, YMD"),
    ("IntervalStyle", "postgres"),
    ("extra_float_digits", "3"),
    ("bytea_output", "hex"),
)


def _same_text(conn: psycopg.Connection[Any]) -> None:
    for name, value in _TEXT_SETTINGS:
        conn.execute("SELECT set_config(%s, %s, false)", (name, value))


def _compare_table(
    report: ParityReport,
    src: psycopg.Connection[Any],
    tgt: psycopg.Connection[Any],
    table: TableName,
    columns: list[str],
    target_columns: list[str] | None,
    expect: Expectations | None,
) -> None:
    label = str(table)
    tol = report.tolerance
    rows, shapes = _shape(src, table, columns)
    if target_columns is None:
        report.tables.append(TableParity(label, rows, None, False, "missing in target"))
        return
    distincts = {name: shape[1] for name, shape in zip(columns, shapes, strict=True)}
    plan = expect.table(table, distincts) if expect is not None else None
    common = [c for c in columns if c in target_columns]
    t_rows, t_shapes_all = _shape(tgt, table, common)
    t_shapes = dict(zip(common, t_shapes_all, strict=True))
    if plan is not None and plan.mode == "drop":
        report.tables.append(TableParity(label, rows, t_rows, t_rows == 0, plan.note))
        return
    note = plan.note if plan is not None else ""
    report.tables.append(TableParity(label, rows, t_rows, _equal(rows, t_rows, tol), note))
    rules = {n: r for n, r in (plan.columns.items() if plan is not None else ()) if n in t_shapes}
    # Kept columns' contents are compared only when no tolerance allows a changed source.
    s_extra = _extras(src, table, rules, content=tol <= 0)
    t_extra = _extras(tgt, table, rules, content=tol <= 0)
    for name, (nonnull, distinct) in zip(columns, shapes, strict=True):
        if name not in t_shapes:
            report.columns.append(
                ColumnParity(label, name, 0.0, 0.0, distinct, 0, False, "missing in target")
            )
            continue
        t_nonnull, t_distinct = t_shapes[name]
        col = ColumnParity(
            label,
            name,
            1 - nonnull / rows if rows else 0.0,
            1 - t_nonnull / t_rows if t_rows else 0.0,
            distinct,
            t_distinct,
            True,
        )
        rule = rules.get(name)
        if rule is None:
            _loose(col, tol)
        else:
            _by_rule(col, rule, (nonnull, t_nonnull), (rows, t_rows), tol, s_extra, t_extra)
        col.ok = all(c.ok for c in col.compared)
        report.columns.append(col)


def _equal(a: int, b: int, tol: float) -> bool:
    return a == b if tol <= 0 else abs(a - b) <= tol * max(a, b)


def _loose(col: ColumnParity, tol: float) -> None:
    """Without a policy: null fraction and distinct count within the tolerance."""
    col.compared = [
        Comparison(
            "null_fraction",
            _WITHIN,
            round(col.source_null_fraction, 6),
            round(col.target_null_fraction, 6),
            abs(col.source_null_fraction - col.target_null_fraction) <= tol,
        ),
        Comparison(
            "distinct",
            _WITHIN,
            col.source_distinct,
            col.target_distinct,
            _equal(col.source_distinct, col.target_distinct, tol),
        ),
    ]


def _by_rule(
    col: ColumnParity,
    rule: ColumnRule,
    nonnull: tuple[int, int],
    rows: tuple[int, int],
    tol: float,
    s_extra: dict[tuple[str, str], Decimal | int | None],
    t_extra: dict[tuple[str, str], Decimal | int | None],
) -> None:
    col.transform = rule.transform
    out = col.compared
    s_nn, t_nn = nonnull
    if rule.non_null == ALL_NULL:
        out.append(Comparison("non_null", ALL_NULL, s_nn, t_nn, t_nn == 0))
    elif rule.non_null == NONE_NULL:
        out.append(Comparison("non_null", NONE_NULL, s_nn, t_nn, t_nn == rows[1]))
    elif rule.non_null == EQUAL:
        ok = (
            s_nn == t_nn
            if tol <= 0
            else abs(col.source_null_fraction - col.target_null_fraction) <= tol
        )
        out.append(Comparison("non_null", EQUAL, s_nn, t_nn, ok))
    else:
        col.not_compared["non_null"] = rule.why
    s_d, t_d = col.source_distinct, col.target_distinct
    if rule.distinct == EQUAL:
        out.append(Comparison("distinct", EQUAL, s_d, t_d, _equal(s_d, t_d, tol)))
    elif rule.distinct == AT_MOST:
        out.append(Comparison("distinct", AT_MOST, s_d, t_d, t_d <= s_d * (1 + tol)))
    elif rule.distinct == AT_MOST_ONE:
        out.append(Comparison("distinct", AT_MOST_ONE, s_d, t_d, t_d <= 1))
    else:
        col.not_compared["distinct"] = rule.why
    if rule.content:
        key = ("content", col.column)
        if key in s_extra:
            # The digests stand for values: only whether they agree is reported.
            same = s_extra[key] == t_extra.get(key)
            out.append(Comparison("content", EQUAL, None, None, same))
        else:
            col.not_compared["content"] = "a tolerance allows the source to have changed"
    if rule.pair_with is not None and rule.pairs is not None:
        key = ("pairs", col.column)
        s_p, t_p = int(s_extra.get(key) or 0), int(t_extra.get(key) or 0)
        prop = f"pairs({rule.pair_with})"
        if rule.pairs == EQUAL:
            out.append(Comparison(prop, EQUAL, s_p, t_p, _equal(s_p, t_p, tol)))
        else:
            out.append(Comparison(prop, AT_MOST, s_p, t_p, t_p <= s_p * (1 + tol)))
    if rule.intervals and rule.pair_with is not None:
        key = ("intervals", col.column)
        prop = f"intervals({rule.pair_with})"
        if key in s_extra:
            same = s_extra[key] == t_extra.get(key)
            out.append(Comparison(prop, EQUAL, None, None, same))
        else:
            col.not_compared[prop] = "a tolerance allows the source to have changed"
    notes = [f"{k} not compared: {v}" for k, v in col.not_compared.items()]
    col.note = "; ".join(notes)
