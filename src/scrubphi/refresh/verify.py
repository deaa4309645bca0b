"""Checks a freshly restored database must pass before it may become staging.

Why each check: row counts catch a restore that silently lost rows; the
schema comparison catches a restore that created objects differently (or
not at all); constraint validity catches NOT VALID constraints and invalid
indexes that would make staging behave unlike production; and the PHI spot
check catches a policy or a scrubber that let original values through. The
spot check reads a few source values into memory and sends them to the new
database as query parameters; they are never printed, logged or reported,
only counted.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql as pg_sql

from ..dump.lexer import SqlSplitter
from ..policy.model import Policy, TableName, TransformSpec
from ..report import TableStats
from .pgtools import DUMP_ENCODING, PgTools, client_invocation, connect, run_client

__all__ = [
    "Check",
    "check_constraints",
    "check_phi_sample",
    "check_row_counts",
    "check_schema",
    "normalize_schema",
    "schema_dump",
    "without_comments",
]

# pg_dump options that a data dump may take but --schema-only refuses.
_NOT_WITH_SCHEMA_ONLY = frozenset({"--statistics", "--with-statistics"})
# Transforms whose output must differ from the value they were given.
_SPOT_KINDS = frozenset({"hash", "fake", "tokenize", "null"})
# Fakes come from pools; a value may map to itself by chance: allowed up to this share.
_FAKE_FIXED_POINT_SHARE = 0.05
_NORMALIZE_DROP = re.compile(
    rb"^(\\restrict .*|\\unrestrict .*"
    rb"|-- Dumped from database version .*|-- Dumped by pg_dump version .*)$"
)


@dataclass
class Check:
    """One verification: passed or not, with names and counts (never values)."""

    name: str
    ok: bool
    details: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "details": self.details, **self.data}


def schema_dump(tools: PgTools, url: str, extra: Sequence[str] = (), *, step: str) -> bytes:
    """``pg_dump --schema-only --no-owner`` of ``url`` (no row data).

    ``--statistics`` (pg_dump 18), which the data dump may be given, cannot go
    with ``--schema-only`` and is left out here.
    """
    args, env = client_invocation(url)
    options = [a for a in extra if a not in _NOT_WITH_SCHEMA_ONLY]
    argv = [tools.exe("pg_dump"), "--schema-only", "--no-owner", DUMP_ENCODING, *options, *args]
    return run_client(argv, env, step, "pg_dump --schema-only")


def normalize_schema(text: bytes) -> list[bytes]:
    """The schema dump without what differs between any two dumps of one schema.

    ``\\restrict`` keys are random per dump; the version banner depends on the
    server and client, not on the schema.
    """
    return [line for line in text.splitlines() if not _NORMALIZE_DROP.match(line)]


def without_comments(schema: bytes) -> bytes:
    """A schema dump without its COMMENT ON statements (and their table-of-contents lines).

    Why: a policy with ``comments: drop`` restores a schema without comments,
    which is the same schema for every other purpose.
    """
    splitter = SqlSplitter()
    out: list[bytes] = []
    pos = 0
    while (unit := splitter.next_unit(schema)) is not None:
        content = schema[unit.content : unit.content + 16].lstrip()
        if content[:7].upper() == b"COMMENT":
            lead = schema[unit.start : unit.content]
            if b"; Type: COMMENT;" not in lead:
                out.append(lead)  # not pg_dump's own entry: only the statement goes
        else:
            out.append(schema[unit.start : unit.end])
        pos = unit.end
        splitter.reset(pos)
    out.append(schema[pos:])
    return b"".join(out)


def check_schema(source: bytes, target: bytes, *, comments: str = "keep") -> Check:
    """The two schema dumps are equal after normalization.

    With ``comments="drop"`` (the policy's setting) comments are not compared:
    the scrub left them out on purpose.
    """
    if comments == "drop":
        source, target = without_comments(source), without_comments(target)
    a, b = normalize_schema(source), normalize_schema(target)
    if a == b:
        return Check("schema", True, data={"lines": len(a)})
    diff = [
        line.decode("utf-8", "replace")
        for line in difflib.diff_bytes(
            difflib.unified_diff, a, b, b"source", b"new", n=0, lineterm=b""
        )
        if not line.startswith((b"---", b"+++", b"@@"))
    ]
    # Schema text (DDL), not data; still, show only the first few lines.
    return Check("schema", False, [f"{len(diff)} line(s) differ", *diff[:10]], {"lines": len(a)})


def _relkinds(conn: psycopg.Connection[Any]) -> dict[TableName, str]:
    rows = conn.execute(
        "SELECT n.nspname, c.relname, c.relkind FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')"
    ).fetchall()
    return {TableName(str(s), str(t)): str(k) for s, t, k in rows}


def _qualified(table: TableName) -> pg_sql.Composed:
    return pg_sql.SQL("{}.{}").format(
        pg_sql.Identifier(table.schema), pg_sql.Identifier(table.name)
    )


def check_row_counts(new_url: str, tables: Sequence[TableStats]) -> Check:
    """Rows per table in the new database equal the rows that streamed through."""
    details: list[str] = []
    counted: dict[str, dict[str, int]] = {}
    with connect(new_url, step="verify", role="new database") as conn:
        kinds = _relkinds(conn)
        for stats in tables:
            table = _table_name(stats.table, kinds)
            if table is None:
                details.append(
                    f"table {stats.table}: had data in the dump, missing in the new database"
                )
                continue
            only = pg_sql.SQL("") if kinds[table] == "p" else pg_sql.SQL("ONLY ")
            row = conn.execute(
                pg_sql.SQL("SELECT count(*) FROM {}{}").format(only, _qualified(table))
            ).fetchone()
            got = int(row[0]) if row else -1
            counted[str(table)] = {"expected": stats.rows, "restored": got}
            if got != stats.rows:
                details.append(f"table {table}: {stats.rows} row(s) streamed, {got} restored")
    return Check("row_counts", not details, details, {"tables": counted})


def _table_name(label: str, kinds: dict[TableName, str]) -> TableName | None:
    """The catalog name behind a report label (``clinic."Lab Results"``)."""
    for table in kinds:
        if str(table) == label:
            return table
    return None


def check_constraints(source_url: str, new_url: str) -> Check:
    """No constraint is NOT VALID and no index invalid, beyond those in the source."""
    query = (
        "SELECT 'constraint ' || n.nspname || '.' || c.conname FROM pg_constraint c "
        "JOIN pg_namespace n ON n.oid = c.connamespace WHERE NOT c.convalidated "
        "UNION ALL SELECT 'index ' || n.nspname || '.' || i.relname FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace "
        "WHERE NOT x.indisvalid OR NOT x.indisready"
    )
    with connect(source_url, step="verify", role="source database") as conn:
        before = {str(r[0]) for r in conn.execute(query).fetchall()}
    with connect(new_url, step="verify", role="new database") as conn:
        after = {str(r[0]) for r in conn.execute(query).fetchall()}
        total = conn.execute(
            "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchone()
    bad = sorted(after - before)
    return Check(
        "constraints",
        not bad,
        [f"{b}: not valid in the new database" for b in bad],
        {"constraints": int(total[0]) if total else 0, "not_valid_in_source": len(before)},
    )


def _primary_key(conn: psycopg.Connection[Any], table: TableName) -> list[tuple[str, str]]:
    """The primary key's columns, in order, with their SQL types."""
    rows = conn.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_constraint c "
        "JOIN pg_class t ON t.oid = c.conrelid "
        "JOIN pg_namespace n ON n.oid = t.relnamespace "
        "JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord) ON true "
        "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
        "WHERE c.contype = 'p' AND n.nspname = %s AND t.relname = %s ORDER BY k.ord",
        (table.schema, table.name),
    ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def _spot_columns(policy: Policy, table: TableName) -> tuple[dict[str, TransformSpec], set[str]]:
    scrub = policy.scrub
    rule = scrub.tables.get(table) if scrub is not None else None
    if rule is None or rule.action != "columns":
        return {}, set()
    checked = {name: spec for name, spec in rule.columns.items() if spec.kind in _SPOT_KINDS}
    kept = {name for name, spec in rule.columns.items() if spec.is_keep}
    return checked, kept


def check_phi_sample(
    source_url: str, new_url: str, policy: Policy, tables: Sequence[TableStats], *, sample: int = 20
) -> Check:
    """None of a sample of source values is found in its transformed column.

    For a table whose primary key is kept, rows are aligned on it: the new
    row with the same key must not hold the source value (a fake may map a
    value to itself by chance: up to 5% of a sample is tolerated for fakes).
    Without a kept key the whole column is searched; fake columns are
    skipped there, since their pools hold real-looking values. Values shorter
    than three characters prove nothing and are not sampled.
    """
    details: list[str] = []
    columns_out: list[dict[str, Any]] = []
    if sample <= 0:
        return Check("phi_spot_check", True, ["disabled (--sample 0)"], {"columns": []})
    with (
        connect(source_url, step="verify", role="source database") as src,
        connect(new_url, step="verify", role="new database") as new,
    ):
        kinds = _relkinds(src)
        for stats in tables:
            if stats.rows == 0:
                continue
            table = _table_name(stats.table, kinds)
            if table is None:
                continue
            checked, kept = _spot_columns(policy, table)
            if not checked:
                continue
            pk = _primary_key(src, table)
            aligned = bool(pk) and all(name in kept for name, _ in pk)
            probed = sorted(c for c, spec in checked.items() if aligned or spec.kind != "fake")
            picked = _pick(src, table, pk if aligned else [], probed, sample)
            for column, spec in sorted(checked.items()):
                if column not in probed:
                    columns_out.append(
                        {
                            "table": str(table),
                            "column": column,
                            "mode": "skipped",
                            "sampled": 0,
                            "found": 0,
                        }
                    )
                    continue
                found, sampled = _probe(new, table, column, pk if aligned else [], picked[column])
                allowed = int(sampled * _FAKE_FIXED_POINT_SHARE) if spec.kind == "fake" else 0
                columns_out.append(
                    {
                        "table": str(table),
                        "column": column,
                        "transform": spec.kind,
                        "mode": "row" if aligned else "column",
                        "sampled": sampled,
                        "found": found,
                    }
                )
                if found > allowed:
                    details.append(
                        f"table {table}, column {column}: {found} of {sampled} sampled source "
                        "value(s) found unchanged in the new database"
                    )
    return Check("phi_spot_check", not details, details, {"columns": columns_out})


Sampled = list[tuple[list[str], str]]


def _sampled_from(table: TableName, rows_est: float, n: int) -> pg_sql.Composable:
    """``ONLY table``, through a Bernoulli sample expected to hold about ``n`` rows if large."""
    source: pg_sql.Composable = _qualified(table)
    if rows_est > 50_000:
        pct = min(100.0, 100.0 * n / rows_est)
        source = pg_sql.SQL("{} TABLESAMPLE BERNOULLI ({})").format(source, pg_sql.Literal(pct))
    return source


def _pick(
    src: psycopg.Connection[Any],
    table: TableName,
    pk: list[tuple[str, str]],
    columns: list[str],
    sample: int,
) -> dict[str, Sampled]:
    """Up to ``sample`` source values per column, with their rows' keys.

    One pass over a sample of the table serves every column; a column the
    shared rows leave short (mostly NULL, say) gets a full pass of its own.
    """
    if not columns:
        return {}
    est = src.execute(
        "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
        (str(_qualified(table).as_string(src)),),
    ).fetchone()
    rows_est = float(est[0]) if est else 0.0
    keys = [pg_sql.SQL("{}::text").format(pg_sql.Identifier(name)) for name, _ in pk]
    rows = src.execute(
        pg_sql.SQL("SELECT {fields} FROM ONLY {src} ORDER BY random() LIMIT {n}").format(
            fields=pg_sql.SQL(", ").join(
                keys + [pg_sql.SQL("{}::text").format(pg_sql.Identifier(c)) for c in columns]
            ),
            src=_sampled_from(table, rows_est, sample * 40),
            n=pg_sql.Literal(sample * 4),
        )
    ).fetchall()
    width = len(pk)
    picked: dict[str, Sampled] = {}
    for i, column in enumerate(columns):
        values = [
            ([str(k) for k in row[:width]], str(row[width + i]))
            for row in rows
            if row[width + i] is not None and len(str(row[width + i])) >= 3
        ][:sample]
        if len(values) < sample and len(rows) == sample * 4:
            col = pg_sql.Identifier(column)
            more = src.execute(
                pg_sql.SQL(
                    "SELECT {fields} FROM ONLY {src} WHERE {col} IS NOT NULL "
                    "AND length({col}::text) >= 3 ORDER BY random() LIMIT {n}"
                ).format(
                    fields=pg_sql.SQL(", ").join([*keys, pg_sql.SQL("{}::text").format(col)]),
                    src=_qualified(table),
                    col=col,
                    n=pg_sql.Literal(sample),
                )
            ).fetchall()
            values = [([str(k) for k in row[:width]], str(row[width])) for row in more]
        picked[column] = values
        del values
    del rows
    return picked


def _probe(
    new: psycopg.Connection[Any],
    table: TableName,
    column: str,
    pk: list[tuple[str, str]],
    picked: Sampled,
) -> tuple[int, int]:
    """How many of the picked source values the new database holds in ``column``.

    With a kept primary key the new row of the same key is looked up
    through the key's index (each key cast back to its column's type);
    without, the whole column is searched.
    """
    if not picked:
        return 0, 0
    col = pg_sql.Identifier(column)
    values = [v for _, v in picked]
    if pk:
        names = [f"k{i}" for i in range(len(pk))]
        query = pg_sql.SQL(
            "SELECT count(*) FROM ONLY {t} AS x JOIN unnest({arrays}) AS s({names}) "
            "ON {keys} AND x.{col}::text = s.v"
        ).format(
            t=_qualified(table),
            arrays=pg_sql.SQL(", ").join(pg_sql.SQL("%s::text[]") for _ in range(len(pk) + 1)),
            names=pg_sql.SQL(", ").join(map(pg_sql.Identifier, [*names, "v"])),
            keys=pg_sql.SQL(" AND ").join(
                pg_sql.SQL("x.{} = s.{}::{}").format(
                    pg_sql.Identifier(name), pg_sql.Identifier(alias), pg_sql.SQL(type_)
                )
                for (name, type_), alias in zip(pk, names, strict=True)
            ),
            col=col,
        )
        params = [[k[i] for k, _ in picked] for i in range(len(pk))] + [values]
        row = new.execute(query, params).fetchone()
    else:
        query = pg_sql.SQL(
            "SELECT count(DISTINCT {col}::text) FROM ONLY {t} WHERE {col}::text = ANY(%s::text[])"
        ).format(t=_qualified(table), col=col)
        row = new.execute(query, (values,)).fetchone()
    sampled = len(picked)
    del values
    return (int(row[0]) if row else 0), sampled
