"""Build the free-text redactor's lookup of structured values, from a dump or a database.

Why beforehand: a note must lose every name, street, town, phone and record
number that the policy scrubs in its structured columns, whichever table
holds it, but pg_dump writes tables in name order, so ``encounters`` and its
notes stream past before ``patients``.  So the values are gathered first:

* from a plain dump (:func:`lookup_from_dump`): the dump is read once, check
  only (nothing is written), and every value of a column whose transform
  names its kind (``{fake: first_name}``, ``{fake: phone_number}``,
  ``{tokenize: ...}``; see :func:`~scrubphi.transforms.redact.lookup.column_kind`)
  is hashed into the lookup; a ``when`` column's value counts when its row's
  conditions pick a branch that names a kind (an EAV table's home address
  answers, ``{fake: street_address}`` where ``code`` is the address question);
* from the source database (:func:`lookup_from_database`): one ``COPY
  (SELECT DISTINCT ...) TO STDOUT`` per such column; ``scrubphi refresh``
  does this by itself.

The lookup holds keyed hashes only (transforms/redact/lookup.py); no value is
written anywhere, and nothing here logs one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from scrubphi.api import DEFAULT_CHUNK_SIZE, read_through
from scrubphi.dump.rewriter import Scan, Scrubber
from scrubphi.policy.conditions import Condition
from scrubphi.policy.model import Policy, TableName, TransformSpec
from scrubphi.transforms.base import ColumnInfo
from scrubphi.transforms.conditions import when_columns
from scrubphi.transforms.redact.lookup import Lookup, column_kind

__all__ = ["Lookup", "WhenKinds", "lookup_columns", "lookup_from_database", "lookup_from_dump",
           "lookup_when_columns"]


@dataclass(frozen=True)
class WhenKinds:
    """A ``when`` column's lookup kinds: per case (its conditions, each with the position
    of its column in ``tested``), and for ``else``."""

    cases: tuple[tuple[tuple[tuple[int, Condition], ...], str | None], ...]
    otherwise: str | None
    tested: tuple[str, ...]  # the columns the conditions test, in first-use order

    def kind(self, values: Sequence[str | None]) -> str | None:
        """The kind of the branch a row takes, given its original ``tested`` values."""
        for conditions, kind in self.cases:
            if all(c.test(values[i]) for i, c in conditions):
                return kind
        return self.otherwise


def _when_kinds(spec: TransformSpec) -> WhenKinds | None:
    tested = when_columns(spec)
    cases = tuple((tuple((tested.index(c.column), c) for c in conditions), column_kind(then))
                  for conditions, then in spec.params["cases"])
    otherwise = column_kind(spec.params["else"])
    if otherwise is None and all(kind is None for _, kind in cases):
        return None
    return WhenKinds(cases, otherwise, tested)


def lookup_when_columns(policy: Policy) -> dict[TableName, dict[str, WhenKinds]]:
    """Per table, the ``when`` columns with a branch that feeds the lookup."""
    out: dict[TableName, dict[str, WhenKinds]] = {}
    if policy.scrub is None:
        return out
    for table, rule in policy.scrub.tables.items():
        if rule.action != "columns":
            continue
        kinds = {name: k for name, spec in rule.columns.items()
                 if spec.kind == "when" and (k := _when_kinds(spec)) is not None}
        if kinds:
            out[table] = kinds
    return out


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
    wanted_when = lookup_when_columns(policy)

    def observe(
        table: TableName,
        names: tuple[str, ...],
        columns: dict[str, ColumnInfo],
        specs: dict[str, str],
        database: str | None,
    ) -> list[Scan]:
        kinds = wanted.get(table, {})
        scans: list[Scan] = [(index, _adder(lookup, kinds[name]))
                             for index, name in enumerate(names) if name in kinds]
        position = {name: i for i, name in enumerate(names)}
        for name, when in wanted_when.get(table, {}).items():
            if name in position and all(t in position for t in when.tested):
                # A tested column missing from the dump is coverage's error, not ours.
                scans.append((position[name], _when_adder(lookup, when),
                              tuple(position[t] for t in when.tested)))
        return scans

    read_through(src, Scrubber(policy, check_only=True, observe=observe), chunk_size)
    return lookup


def _when_adder(lookup: Lookup, when: WhenKinds) -> Callable[..., str | None]:
    def add(value: str | None, *tested: str | None) -> str | None:
        if value:
            kind = when.kind(tested)
            if kind is not None:
                lookup.add(kind, value)
        return value

    return add


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

    lookup = Lookup.new(key)
    with psycopg.connect(url, autocommit=False, application_name="scrubphi-lookup") as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for table, kinds in sorted(lookup_columns(policy).items()):
            for column, kind in sorted(kinds.items()):
                for value, _ in _distinct(conn, table, column, ()):
                    lookup.add(kind, value)
        for table, whens in sorted(lookup_when_columns(policy).items()):
            for column, when in sorted(whens.items()):
                for value, tested in _distinct(conn, table, column, when.tested):
                    chosen = when.kind(tested)
                    if chosen is not None:
                        lookup.add(chosen, value)
        conn.rollback()
    return lookup


def _distinct(conn: Any, table: TableName, column: str, tested: tuple[str, ...]
              ) -> Iterator[tuple[str, tuple[str | None, ...]]]:
    """Each distinct non-empty value of ``column`` with the ``tested`` columns of its
    rows, all as text (conditions compare text forms, as in the dump)."""
    from psycopg import sql

    query = sql.SQL(
        "COPY (SELECT DISTINCT {cols} FROM {schema}.{table} WHERE {col} IS NOT NULL) TO STDOUT"
    ).format(cols=sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(c))
                                     for c in (column, *tested)),
             col=sql.Identifier(column), schema=sql.Identifier(table.schema),
             table=sql.Identifier(table.name))
    with conn.cursor() as cur, cur.copy(query) as copy:
        for row in copy.rows():
            value = row[0]
            if isinstance(value, str) and value:
                yield value, tuple(row[1:])
