"""Build the free-text redactor's lookup of structured values, from a dump or a database.

Why beforehand: a note must lose every name, street, town, phone and record
number that the policy scrubs in its structured columns, whichever table
holds it, but pg_dump writes tables in name order, so ``encounters`` and its
notes stream past before ``patients``.  So the values are gathered first:

* from a plain dump (:func:`lookup_from_dump`): the dump is read once, check
  only (nothing is written), and every value of a column whose transform
  names its kind (``{fake: first_name}``, ``{fake: phone_number}``,
  ``{tokenize: ...}``; see :func:`~scrubphi.transforms.redact.lookup.column_kind`)
  is hashed into the lookup;
* from the source database (:func:`lookup_from_database`): one ``COPY
  (SELECT DISTINCT ...) TO STDOUT`` per such column; ``scrubphi refresh``
  does this by itself.

The lookup holds keyed hashes only (transforms/redact/lookup.py); no value is
written anywhere, and nothing here logs one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO

from scrubphi.api import DEFAULT_CHUNK_SIZE, read_through
from scrubphi.dump.rewriter import Scrubber
from scrubphi.policy.model import Policy, TableName
from scrubphi.transforms.base import ColumnInfo
from scrubphi.transforms.redact.lookup import Lookup, column_kind

__all__ = ["Lookup", "lookup_columns", "lookup_from_database", "lookup_from_dump"]


def lookup_columns(policy: Policy) -> dict[TableName, dict[str, str]]:
    """Per table, the columns that feed the lookup and their kinds."""
    out: dict[TableName, dict[str, str]] = {}
    if policy.scrub is None:
        return out
    for table, rule in policy.scrub.tables.items():
        if rule.action != "columns":
            continue
        kinds = {}
        for name, spec in rule.columns.items():
            kind = column_kind(spec)
            if kind is not None:
                kinds[name] = kind
        if kinds:
            out[table] = kinds
    return out


def lookup_from_dump(
    src: BinaryIO, policy: Policy, key: bytes, *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> Lookup:
    """Read a plain dump once and hash every value of the lookup's columns.

    Raises what ``scrubphi check`` raises for a damaged dump (DumpError).
    """
    lookup = Lookup.new(key)
    wanted = lookup_columns(policy)

    def observe(
        table: TableName,
        names: tuple[str, ...],
        columns: dict[str, ColumnInfo],
        specs: dict[str, str],
        database: str | None,
    ) -> list[tuple[int, Callable[[str | None], str | None]]]:
        kinds = wanted.get(table, {})
        return [(index, _adder(lookup, kinds[name])) for index, name in enumerate(names)
                if name in kinds]

    read_through(src, Scrubber(policy, check_only=True, observe=observe), chunk_size)
    return lookup


def _adder(lookup: Lookup, kind: str) -> Callable[[str | None], str | None]:
    def add(value: str | None) -> str | None:
        if value:
            lookup.add(kind, value)
        return value

    return add


def lookup_from_database(url: str, policy: Policy, key: bytes) -> Lookup:
    """Hash every distinct value of the lookup's columns, read from the database at ``url``.

    Reads in one REPEATABLE READ transaction; raises psycopg's errors (which
    name the table, never a value) when a table or column is missing.
    """
    import psycopg
    from psycopg import sql

    lookup = Lookup.new(key)
    with psycopg.connect(url, autocommit=False, application_name="scrubphi-lookup") as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for table, kinds in sorted(lookup_columns(policy).items()):
            for column, kind in sorted(kinds.items()):
                query = sql.SQL(
                    "COPY (SELECT DISTINCT {col}::text FROM {schema}.{table} "
                    "WHERE {col} IS NOT NULL) TO STDOUT"
                ).format(col=sql.Identifier(column), schema=sql.Identifier(table.schema),
                         table=sql.Identifier(table.name))
                with conn.cursor() as cur, cur.copy(query) as copy:
                    for row in copy.rows():
                        value = row[0]
                        if isinstance(value, str) and value:
                            lookup.add(kind, value)
        conn.rollback()
    return lookup
