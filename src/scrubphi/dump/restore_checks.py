"""Constraints the restore enforces that a column's transform may break.

**Unique keys.** Why: a primary key, a UNIQUE constraint or a unique index needs
its rows to stay distinct after the scrub, or the restore fails where pg_dump writes it, after
the data (``CREATE UNIQUE INDEX`` / ``ADD CONSTRAINT``: "could not create unique
index"), and psql without ``ON_ERROR_STOP`` goes on without the key and exits 0.
Whether distinct values stay distinct is a property of the transform alone:

- **one-to-one**: ``keep``, ``tokenize`` (a keyed permutation of each shape; ``upper``
  only up to case),
  ``{fake: ..., unique: true}`` (a keyed bijection), ``hash`` with at least 64
  bits of output, ``null`` (NULLs are distinct, unless ``NULLS NOT DISTINCT``), and
  a date shift ``per`` a column of the same key (every row of one entity moves by
  the same days);
- **many-to-one by design**: ``{value: X}``, ``mask``, ``generalize: zip3``,
  ``fips_state`` and ``round``, dates to a ``year`` or ``safe_harbor``: two rows
  of a key that differ only there will collide, so the policy is refused (exit 3);
- **may collide**: fakes without ``unique: true``, short hashes, ``noise``, shifts
  keyed by the date itself or by a column outside the key, ``redact``, ``gs1``
  (its dates move), ``tokenize: upper`` (``ab12`` and ``AB12`` meet), ``json`` and
  ``split`` columns: a warning names the column
  and the key, since the restore fails only if two outputs happen to meet.

A key is judged by its columns together: it survives when every column is
one-to-one; it is refused when one is many-to-one.

**Foreign keys.** A foreign key's columns must get the transform of the columns
they refer to (the same spec gives the same output for the same value, in every
table), or the rows no longer join and the restore fails at the key: a policy
that tokenizes ``patients.id`` and keeps ``encounters.patient_id``, or fakes
``ssn`` with ``unique: true`` on one side only, is refused (exit 3), and so is a
key into a table whose rows are dropped.  ``null`` on the referring side is
fine (a NULL refers to nothing); transforms keyed ``per`` another column are a
warning unless that column is paired by the same key.

**CHECK constraints** of domains (``CREATE DOMAIN ssn_t AS text CHECK (VALUE ~
'...')``) and tables (``CHECK (discharged >= admitted)``): scrubphi does not
evaluate their expressions, so a transform that writes new values into a column
they read is a warning naming the constraint (unless every column it reads moves
by one per-row date offset).

**Partition bounds.** pg_dump loads each partition's rows into the partition
itself (``COPY public.encounters_2020``), which checks them against its bounds: a
transform that changes a column of the partition key may move rows out of their
partition, and the restore fails there ("violates partition constraint"; without
``ON_ERROR_STOP`` psql goes on without that partition's rows).  A token on
``PARTITION BY HASH (patient_id)`` moves most rows: refused (exit 3) before the
partition's first row; a date shift on ``PARTITION BY RANGE (seen)`` moves the rows
near a bound: a warning.  Both name the remedy: ``pg_dump
--load-via-partition-root`` loads every row through the partitioned table, which
sends it to the partition of its new value; there, range and list partitions
without a ``DEFAULT`` one get a warning, since a new value may fall outside every
partition.

Names and transforms only, never a value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, MutableSet
from typing import Any, NamedTuple

from ..policy.model import TableName, TransformSpec, quote_ident
from .coverage import Coverage, spec_label
from .schema import CheckConstraint, ForeignKey, Schema, UniqueKey

__all__ = ["KeyVerdict", "check_warnings", "judge_foreign_key", "judge_key",
           "judge_new_keys", "judge_partition_load", "verdict_of"]

ONE, MAYBE, MANY = "one-to-one", "may collide", "many-to-one"
_RANK = {ONE: 0, MAYBE: 1, MANY: 2}

#: A hash of at least this many bits counts as one-to-one (two of a billion rows
#: collide with a chance under 3%; of ten million, under 3 in a million).
_HASH_BITS = 64
_ALPHABET_SIZE = {"hex": 16, "digits": 10, "alnum": 62}
_MANY_KINDS = frozenset({"value", "mask"})


class KeyVerdict(NamedTuple):
    """A unique key against the policy: ``level`` is the worst of its columns."""

    key: UniqueKey
    level: str
    #: (column, transform label, why) of the columns that are not one-to-one.
    columns: tuple[tuple[str, str, str], ...]

    def message(self, table: TableName) -> str:
        """What is wrong and what to write instead: names and transforms only."""
        what = {"PRIMARY KEY": "primary key", "UNIQUE INDEX": "unique index",
                "EXCLUDE": "exclusion constraint"}.get(self.key.kind, "UNIQUE constraint") + \
            f" {quote_ident(self.key.name)}"
        cols = "; ".join(f"column {quote_ident(name)}: {label} {why}"
                         for name, label, why in self.columns)
        if self.level == MANY:
            at = f" (line {self.key.line})" if self.key.line else ""
            tail = (f"two of its rows would become equal and the restore would fail at the "
                    f"key{at}; use tokenize, {{fake: ..., unique: true}} or keep there")
        elif self.key.kind == "EXCLUDE":
            tail = ("the restore fails at the constraint if two rows come to conflict (a shift "
                    "per a column it compares, such as per: room, moves a group together)")
        else:
            tail = ("the restore fails at the key if two outputs meet ({fake: ..., unique: "
                    "true} or tokenize cannot collide)")
        return f"table {table}, {what}: {cols}; {tail}"


def verdict_of(spec: TransformSpec, key: UniqueKey) -> tuple[str, str]:
    """Whether ``spec`` keeps distinct values of ``key``'s column distinct, and why not."""
    kind, params = spec.kind, spec.params
    if kind == "keep":
        return ONE, ""
    if kind == "null":
        if key.nulls_distinct and key.kind != "PRIMARY KEY":
            return ONE, ""
        return MANY, "makes every value NULL, and the key has NULLS NOT DISTINCT"
    if kind in _MANY_KINDS:
        return MANY, "maps many values to one"
    if kind == "tokenize":
        if params.get("alphabet") == "gs1":
            return MAYBE, "moves the dates inside by keyed days, which two values may share"
        if params.get("alphabet") == "upper":
            return MAYBE, "gives values that differ only in case one token"
        return ONE, ""
    if kind == "fake":
        if params.get("unique"):
            return ONE, ""
        return MAYBE, "may give two values the same fake"
    if kind == "hash":
        bits = int(params.get("length", 16)) * math.log2(
            _ALPHABET_SIZE.get(str(params.get("alphabet", "hex")), 16))
        if bits >= _HASH_BITS:
            return ONE, ""
        # Birthday bound: a collision is more likely than not past ~1.18 * sqrt(N) rows.
        rows = int(1.1774 * 2 ** (bits / 2))
        return MAYBE, f"has {bits:.0f} bits: two values likely meet past about {rows:,} rows"
    if kind == "date":
        mode = params.get("mode")
        if mode != "shift":
            return MANY, "keeps only the year"
        per = params.get("per")
        if per is not None and per in key.columns:
            return ONE, ""
        return MAYBE, ("moves each date by keyed days, which two dates may share"
                       if per is None else
                       f"moves dates by the days of {quote_ident(str(per))}, which is not in "
                       "the key")
    if kind == "generalize":
        if params.get("method") == "noise":
            return MAYBE, "adds keyed noise, which may bring two values together"
        return MANY, "maps many values to one"
    if kind == "when":
        leaves = spec.leaves()
        worst = max((verdict_of(leaf, key) for leaf in leaves), key=lambda v: _RANK[v[0]])
        if worst[0] == ONE and len({spec_label(leaf) for leaf in leaves
                                    if leaf.kind != "null"}) > 1:
            return MAYBE, "chooses between transforms whose outputs may meet"
        return worst
    if kind == "redact":
        return MAYBE, "rewrites text, which may make two values equal"
    return MAYBE, "is not known to keep values distinct"


def judge_key(key: UniqueKey, specs: Mapping[str, TransformSpec]) -> KeyVerdict:
    """The key against its table's column transforms (a column not in ``specs`` is kept)."""
    level = ONE
    columns: list[tuple[str, str, str]] = []
    for name in key.columns:
        spec = specs.get(name)
        if spec is None:
            continue
        verdict, why = verdict_of(spec, key)
        if verdict != ONE:
            columns.append((name, spec_label(spec), why))
            if _RANK[verdict] > _RANK[level]:
                level = verdict
    return KeyVerdict(key, level, tuple(columns))


def judge_new_keys(schema: Schema, coverage: Coverage, judged: MutableSet[tuple[Any, ...]],
                   database: str | None) -> tuple[list[str], list[str]]:
    """(problems, warnings) of the schema's keys not in ``judged`` (which they join).

    Problems are keys a column maps many-to-one; warnings, keys whose columns may
    collide.  A key that holds a smaller key of its table which survives
    (``UNIQUE (id, code)`` beside ``PRIMARY KEY (id)``) cannot collide, whatever
    ``code`` becomes; so all of a table's keys known so far are weighed together.
    """
    problems: list[str] = []
    warnings: list[str] = []
    for info in schema.tables.values():
        for fk in info.foreign_keys:
            ident = (database, fk.table, fk.name, fk.columns)
            if ident not in judged:
                judged.add(ident)
                level, message = judge_foreign_key(fk, schema, coverage)
                if level != ONE:
                    (problems if level == MANY else warnings).append(message)
        specs = coverage.column_specs(info.name) if info.unique_keys else None
        if specs is None:
            continue  # no keys, or rows kept or dropped whole
        verdicts = [judge_key(key, specs) for key in info.unique_keys]
        held = [set(v.key.columns) for v in verdicts
                if v.level == ONE and v.key.kind != "EXCLUDE"]
        for verdict in verdicts:
            key = verdict.key
            ident = (database, key.table, key.name, key.columns)
            if ident in judged:
                continue
            judged.add(ident)
            if verdict.level == ONE or (key.kind != "EXCLUDE" and
                                        any(cols <= set(key.columns) for cols in held)):
                continue
            (problems if verdict.level == MANY else warnings).append(verdict.message(key.table))
    return problems, warnings


def judge_foreign_key(fk: ForeignKey, schema: Schema,
                      coverage: Coverage) -> tuple[str, str]:
    """(verdict, message) of a foreign key: whether its rows still join after the scrub."""
    what = f"table {fk.table}, foreign key {quote_ident(fk.name)}"
    if fk.ref_table not in schema.tables or coverage.rows_action(fk.table) == "drop":
        return ONE, ""  # a table the dump does not hold (pg_dump -t), or no row refers
    if coverage.rows_action(fk.ref_table) == "drop":
        return MANY, (f"{what}: the rows of {fk.ref_table} it refers to are dropped; the "
                      "restore would fail at the key (drop the referring rows too, or keep "
                      "the referred ones)")
    ref_columns = fk.ref_columns
    if not ref_columns:  # REFERENCES t: its primary key
        info = schema.tables.get(fk.ref_table)
        primary = [k for k in info.unique_keys if k.kind == "PRIMARY KEY"] if info else []
        ref_columns = primary[0].columns if primary else ()
    if len(ref_columns) != len(fk.columns):
        return ONE, ""  # a primary key not seen: nothing to compare
    mine = coverage.column_specs(fk.table) or {}
    theirs = coverage.column_specs(fk.ref_table) or {}
    pairs = dict(zip(fk.columns, ref_columns, strict=True))
    keep = TransformSpec("keep")
    level, found = ONE, []
    for col, ref in pairs.items():
        a, b = mine.get(col, keep), theirs.get(ref, keep)
        if a.kind == "null":
            continue  # a NULL refers to nothing
        la, lb = spec_label(a), spec_label(b)
        ta, tb = _type_of(schema, fk.table, col), _type_of(schema, fk.ref_table, ref)
        pers = {str(leaf.params["per"]) for leaf in a.leaves() if leaf.params.get("per")}
        if b.kind == "null" or la != lb:
            verdict, why = MANY, f"column {quote_ident(col)}: {la}, but {fk.ref_table}." \
                                 f"{quote_ident(ref)}: {lb}"
        elif ta != tb and not _unchanging(a):
            # integer beside bigint: tokenize and hash write inside each type's range
            verdict, why = MAYBE, (f"column {quote_ident(col)} ({ta}) and {fk.ref_table}."
                                   f"{quote_ident(ref)} ({tb}): {la} writes inside each "
                                   "type's range, so values of the widest lengths may differ")
        elif not all(pairs.get(per) == per for per in pers):
            # keyed per another column: equal only where the key pairs it with itself
            verdict, why = MAYBE, (f"column {quote_ident(col)}: {la} is keyed per a column "
                                   "the key does not pair with itself")
        else:
            continue
        found.append(why)
        level = verdict if _RANK[verdict] > _RANK[level] else level
    if level == ONE:
        return ONE, ""
    at = f" (line {fk.line})" if fk.line else ""
    if level == MANY:
        tail = (f"the rows would no longer join and the restore would fail at the key{at}; "
                "give both sides the same transform")
    else:
        tail = ("the rows join only where both sides' outputs agree (give both columns one "
                "type, or a transform keyed the same way)")
    return level, f"{what}: {'; '.join(found)}; {tail}"


def check_warnings(schema: Schema, coverage: Coverage) -> list[str]:
    """Warnings for CHECK constraints scrubphi does not evaluate, over new values.

    A domain's (``CREATE DOMAIN ... CHECK``) column, and a table's CHECK (its own,
    and its parents' unless ``NO INHERIT``), warn when a column they read gets a
    transform that writes new values (``keep`` and ``null`` do not: a NULL passes
    a CHECK).  A CHECK over columns that all move by the same per-row offset (one
    date shift spec ``per`` the same column: ``CHECK (discharged >= admitted)``)
    keeps its truth and is not warned about.
    """
    warnings: list[str] = []
    for name, info in sorted(schema.tables.items()):
        if info.partitioned:
            continue  # its partitions hold the rows
        specs = coverage.column_specs(name)
        if specs is None:
            continue
        for col in info.columns:
            spec = specs.get(col.name)
            if col.check_domain and not col.generated and spec is not None and \
                    not _unchanging(spec):
                warnings.append(
                    f"table {name}, column {quote_ident(col.name)}: {spec_label(spec)} writes "
                    f"new values of domain {col.check_domain}, whose CHECK constraint scrubphi "
                    "does not evaluate; the restore fails at a row whose new value does not "
                    "pass it")
        own = {c.name for c in info.columns}
        for check in _checks_binding(schema, name):
            reads = [c for c in check.columns if c in own]
            moved = [c for c in reads if c in specs and not _unchanging(specs[c])]
            if not moved or _one_offset_per_row(reads, moved, specs):
                continue
            cols = "; ".join(f"column {quote_ident(c)}: {spec_label(specs[c])}" for c in moved)
            hint = ""
            if len(moved) > 1 and all(specs[c].kind == "date" for c in moved):
                hint = " (one date shift per the row's entity, per: COLUMN, moves them together)"
            warnings.append(
                f"table {name}, CHECK constraint {quote_ident(check.name)}: {cols}; scrubphi "
                "does not evaluate CHECK expressions: the restore fails at a row whose new "
                f"values do not pass it{hint}")
    return warnings


def judge_partition_load(schema: Schema, coverage: Coverage,
                         table: TableName) -> tuple[str, str]:
    """(verdict, message) of loading rows into ``table``: a partition loaded directly
    whose partition key (its parents', up the chain) the policy changes is many-to-one
    (refused); a partitioned table loaded through (``--load-via-partition-root``)
    whose range or list partitions have no ``DEFAULT`` one may fail (a warning)."""
    info = schema.tables.get(table)
    specs = coverage.column_specs(table) if info is not None else None
    if info is None or not specs:
        return ONE, ""
    if info.partitioned:
        moved = _moved_key(info.partition_key, specs)
        if not moved or info.partition_strategy == "hash" or any(
                other.partition_of == table and other.default_partition
                for other in schema.tables.values()):
            return ONE, ""
        return MAYBE, (f"table {table} (PARTITION BY {info.partition_strategy.upper()}), "
                       f"{moved}: a new value may fall outside every partition, and the "
                       "restore fails at its row (\"no partition of relation found\"); a "
                       "DEFAULT partition takes such rows")
    level, found = ONE, []
    for parent_name in schema.ancestors(table):
        parent = schema.tables.get(parent_name)
        moved = _moved_key(parent.partition_key, specs) if parent is not None else ""
        if moved:
            assert parent is not None
            found.append(f"a partition of {parent_name} (PARTITION BY "
                         f"{parent.partition_strategy.upper()}), {moved}")
            # a hash key's new value lands in another partition for most rows
            verdict = MANY if parent.partition_strategy == "hash" else MAYBE
            level = verdict if _RANK[verdict] > _RANK[level] else level
    if level == ONE:
        return ONE, ""
    return level, (
        f"table {table} is {'; and '.join(found)}: pg_dump loads a partition's rows into the "
        "partition itself, and a row whose new values "
        f"{'hash to another partition' if level == MANY else 'leave its bounds'} fails the "
        "restore there (\"violates partition constraint\"); dump with pg_dump "
        "--load-via-partition-root (every row then goes to the partition of its new value), "
        "or keep the column")


def _moved_key(key: tuple[str, ...], specs: Mapping[str, TransformSpec]) -> str:
    """The partition key's columns the policy changes (``null`` too: NULL is in no
    range), as ``column c: spec``; empty when none."""
    return "; ".join(f"column {quote_ident(c)}: {spec_label(specs[c])}" for c in key
                     if c in specs and not all(leaf.kind == "keep" for leaf in specs[c].leaves()))


def _type_of(schema: Schema, table: TableName, column: str) -> str:
    info = schema.tables.get(table)
    col = info.column(column) if info is not None else None
    return col.type_name if col is not None else ""


def _unchanging(spec: TransformSpec) -> bool:
    return all(leaf.kind in ("keep", "null") for leaf in spec.leaves())


def _one_offset_per_row(reads: list[str], moved: list[str],
                        specs: Mapping[str, TransformSpec]) -> bool:
    """Whether every column a CHECK reads moves by one offset a row: all of them under
    one date shift spec keyed ``per`` a column (``discharged >= admitted`` holds)."""
    first = specs[moved[0]]
    return (len(moved) == len(reads) > 1 and first.kind == "date"
            and bool(first.params.get("per"))
            and len({spec_label(specs[c]) for c in moved}) == 1)


def _checks_binding(schema: Schema, table: TableName) -> list[CheckConstraint]:
    """The CHECK constraints a table's rows must pass: its own, its ancestors' inherited."""
    found = list(schema.tables[table].checks)
    for ancestor in dict.fromkeys([*schema.ancestors(table),
                                   *schema.inheritance_ancestors(table)]):
        parent = schema.tables.get(ancestor)
        if parent is not None:
            found.extend(c for c in parent.checks if c.inherit)
    return list(dict.fromkeys(found))
