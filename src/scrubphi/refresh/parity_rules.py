"""What each transform of the policy preserves, as parity compares it.

Why per transform: a scrubbed staging is not supposed to look like
production everywhere. A per-patient date shift moves each patient's dates
by its own offset, so a column's distinct count grows (4,330 admission
times become 38,548); a non-unique fake maps several names to one, so it
shrinks. Holding those to production's numbers fails every correct refresh.
What a transform *does* keep is exact, and a refresh that broke it is
wrong: a kept column is the same data; every transform but ``value`` turns
NULL into NULL and a value into a value; a one-to-one transform (keep,
tokenize, ``unique: true`` fakes, a long hash) keeps the distinct count; any
transform that depends on the value alone cannot create distinct values
(distinct at most the source's); a per-patient shift is one-to-one within
each patient, so the distinct (patient, date) pairs are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..dump.coverage import Coverage, spec_label
from ..policy.model import Policy, TableName, TableRule, TransformSpec
from ..transforms.base import ColumnInfo

__all__ = ["ColumnRule", "Expectations", "TableExpectation", "expectations"]

EQUAL = "equal"
AT_MOST = "at_most"
ALL_NULL = "all_null"
NONE_NULL = "none_null"
AT_MOST_ONE = "at_most_one"

# Transforms whose output depends on the value alone (and the key), unless they
# name a per column: they cannot make two equal values differ, so the distinct
# count can only stay or shrink. (redact and json are left out: free text and
# documents are rewritten in ways this check does not vouch for.)
_FUNCTION_OF_VALUE = frozenset(
    {"fake", "hash", "mask", "tokenize", "generalize", "keep", "value", "null", "date", "split"}
)
# Tokenize alphabets that permute the value as a whole (oid and gs1 keep parts).
_ONE_TO_ONE_TOKENIZE = frozenset({"digits", "alnum", "upper"})
# Expected collisions of a hash over the source's distinct values below which
# its distinct count is compared for equality (birthday bound n^2 / 2S).
_HASH_COLLISION_BOUND = 1e-6
_HASH_ALPHABETS = {"hex": 16, "digits": 10, "alnum": 62}


@dataclass(frozen=True)
class ColumnRule:
    """One column's transform and the properties parity compares for it.

    ``non_null``: equal, all_null or none_null. ``distinct``: equal, at_most,
    at_most_one or None (not compared, ``why`` says why). ``content``: the
    column's values compared as a multiset (kept columns). ``pair_with``: a
    per-shift's grouping column; ``pairs`` is equal or at_most; ``intervals``:
    each date's distance to its group's first date is kept (a shift moves a
    whole group at once), compared as a multiset.
    """

    transform: str
    non_null: str | None
    distinct: str | None
    content: bool = False
    pair_with: str | None = None
    pairs: str | None = None
    intervals: bool = False
    why: str = ""


@dataclass(frozen=True)
class TableExpectation:
    """``mode`` keep, drop or columns, and the rules of its columns."""

    mode: str
    columns: dict[str, ColumnRule]
    note: str = ""


def _hash_one_to_one(spec: TransformSpec, column: ColumnInfo | None, distinct: int) -> bool:
    length = int(spec.params.get("length", 16))
    if column is not None and column.max_length is not None:
        length = min(length, column.max_length)
    base = _HASH_ALPHABETS.get(str(spec.params.get("alphabet", "hex")), 10)
    # digits may lose a leading zero in a number column: count one digit less.
    space = float(base) ** (length - 1 if base == 10 else length)
    return distinct * distinct / (2 * space) < _HASH_COLLISION_BOUND


def _value_function(spec: TransformSpec) -> bool:
    """Whether the output depends on the value alone (every branch and part)."""
    if spec.kind == "split":
        return all(_value_function(leaf) for leaf in spec.leaves())
    return spec.kind in _FUNCTION_OF_VALUE and not spec.params.get("per")


def _keeps_nulls(spec: TransformSpec) -> bool:
    """Whether NULL stays NULL and a value stays a value (no null or value leaf)."""
    return all(leaf.kind not in ("null", "value") for leaf in spec.leaves())


def _one_to_one(spec: TransformSpec, column: ColumnInfo | None, distinct: int) -> bool:
    if spec.kind == "keep":
        return True
    if spec.kind == "tokenize":
        return spec.params.get("alphabet") in _ONE_TO_ONE_TOKENIZE
    if spec.kind == "fake":
        return bool(spec.params.get("unique"))
    if spec.kind == "hash":
        return _hash_one_to_one(spec, column, distinct)
    return False


def column_rule(
    spec: TransformSpec,
    column: ColumnInfo | None,
    distinct: int,
    specs: dict[str, TransformSpec],
    infos: dict[str, ColumnInfo],
    distincts: dict[str, int],
) -> ColumnRule:
    """The properties ``spec`` keeps on a column with ``distinct`` source values.

    ``specs``, ``infos`` and ``distincts`` describe the table's other columns
    (for a per-shift's grouping column).
    """
    label = spec_label(spec)
    kind = spec.kind
    if column is not None and column.generated:
        return ColumnRule(label, None, None, why="generated: computed again from other columns")
    if kind == "keep":
        return ColumnRule(label, EQUAL, EQUAL, content=True)
    if kind == "null":
        return ColumnRule(label, ALL_NULL, None, why="nulled by the policy")
    if kind == "value":
        return ColumnRule(label, NONE_NULL, AT_MOST_ONE, why="one constant for every row")
    nulls = EQUAL if _keeps_nulls(spec) else None
    if kind == "when":
        return ColumnRule(
            label,
            nulls,
            None,
            why="each row's transform depends on the row's values"
            + ("" if nulls else "; a branch may turn values into NULLs or NULLs into values"),
        )
    per = spec.params.get("per")
    if kind == "date" and spec.params.get("mode") == "shift" and per:
        per_spec = specs.get(str(per))
        pairs: str | None = None
        if per_spec is not None and _one_to_one(
            per_spec, infos.get(str(per)), distincts.get(str(per), 0)
        ):
            pairs = EQUAL
        elif per_spec is not None and _value_function(per_spec) and _keeps_nulls(per_spec):
            pairs = AT_MOST
        why = f"each {per} has its own shift, so distinct dates grow or shrink"
        if pairs is None:
            why += f"; ({per}, date) pairs not compared: {per}'s transform may merge groups"
        typed = column is not None and not column.array_dims and (
            column.type_name == "date" or column.type_name.startswith("timestamp")
        )
        return ColumnRule(
            label,
            EQUAL,
            None,
            pair_with=str(per) if pairs else None,
            pairs=pairs,
            intervals=pairs == EQUAL and typed and spec.params.get("format") is None,
            why=why,
        )
    why_nulls = "" if nulls else "; a part may turn values into NULLs"
    if per:
        return ColumnRule(
            label, nulls, None, why=f"the transform depends on {per} too{why_nulls}"
        )
    if _one_to_one(spec, column, distinct):
        return ColumnRule(label, EQUAL, EQUAL, why="one-to-one")
    if _value_function(spec):
        reason = {
            "fake": "a fake that is not unique may give several values one fake",
            "hash": "a hash this short may give several values one hash",
        }.get(kind, "the transform coarsens by design")
        return ColumnRule(label, nulls, AT_MOST, why=reason + why_nulls)
    # redact (free text; dates in it may shift per row) and json documents.
    return ColumnRule(
        label, nulls, None, why="rewritten text: its distinct count may change" + why_nulls
    )


class Expectations:
    """The policy's rule for every table and column, resolved as the scrubber resolves it.

    A partition takes its partitioned parent's rule, an inheriting table its
    parents' column rules, a column the policy does not name follows
    ``unknown_columns`` and a table ``unknown_tables`` (docs/policy.md).
    """

    def __init__(self, policy: Policy, source_schema: bytes) -> None:
        import io

        from ..api import load_schema
        from ..transforms.base import TransformContext

        assert policy.scrub is not None
        self.scrub = policy.scrub
        self.schema = load_schema(io.BytesIO(source_schema), policy)
        self.coverage = Coverage(self.scrub, TransformContext(b""), self.schema)

    def table(self, table: TableName, distincts: dict[str, int]) -> TableExpectation:
        """The expectation for ``table``, whose source columns have ``distincts`` values."""
        rule = self.coverage.rule_for(table)
        inherited = (
            self.coverage.inherited_specs(table)
            if rule is None or rule.action == "columns"
            else {}
        )
        if rule is None and inherited:
            rule = TableRule(table, "columns", inherited)
            inherited = {}
        note = ""
        mode: str
        if rule is None:
            mode = self.scrub.unknown_tables
            note = f"not in the policy (unknown_tables: {mode})"
            if mode == "fail":
                mode = "keep"
        else:
            mode = rule.action
        info = self.schema.tables.get(table)
        infos = {c.name: c for c in info.columns} if info is not None else {}
        if mode == "drop":
            return TableExpectation("drop", {}, note or "dropped by the policy")
        specs: dict[str, TransformSpec] = {}
        for name in distincts:
            if mode == "keep":
                specs[name] = TransformSpec("keep")
                continue
            assert rule is not None
            spec = {**inherited, **rule.columns}.get(name)
            if spec is None:
                unknown = self.scrub.unknown_columns
                spec = TransformSpec("keep" if unknown == "fail" else unknown)
            specs[name] = spec
        columns = {
            name: column_rule(spec, infos.get(name), distincts[name], specs, infos, distincts)
            for name, spec in specs.items()
        }
        return TableExpectation(mode, columns, note)


def expectations(policy: Policy | None, source_schema: bytes) -> Expectations | None:
    """The policy's expectations, or None without a policy (or without a ``scrub`` section)."""
    if policy is None or policy.scrub is None:
        return None
    return Expectations(policy, source_schema)
