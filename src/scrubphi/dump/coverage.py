"""Which rule covers each table and column, and the row plan built from it.

Why separate from the rewriter: coverage is the policy's side of failing
closed (a partition takes its partitioned parent's rule, an inheriting
table only the column rules of its parents that name its columns, a typed
table its type's columns; see docs/policy.md#table-rules), and it is the
same for COPY blocks, INSERT statements and ``check --dump``.  The rewriter
asks it for a plan; it never sees a value.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import CoverageError, ScrubPhiError, TransformError
from ..gcutil import gc_paused
from ..policy.conditions import describe_conditions
from ..policy.model import ScrubPolicy, TableName, TableRule, TransformSpec, quote_ident
from ..transforms import build_constant, build_transform, check_constant
from ..transforms.base import BuiltTransform, ColumnInfo, TransformContext
from ..transforms.conditions import build_when
from ..transforms.jsonpath import build_json
from ..transforms.records import check_record
from ..transforms.split import build_split
from .schema import Schema

__all__ = ["Coverage", "Plan", "PlanEntry", "spec_label"]

# A codec plan entry: (field index, fn, per index, cacheable[, kernel description]).
PlanEntry = tuple[Any, ...]


@dataclass
class Plan:
    """How one table's rows are handled: ``mode`` keep, drop or rewrite, and the entries."""

    mode: str
    entries: list[PlanEntry]
    planned: list[tuple[int, str]]
    specs: dict[str, str]


# The parameter each transform is written with in the policy (``{fake: ssn}``).
_MAIN_PARAM = {
    "fake": "provider",
    "tokenize": "alphabet",
    "date": "mode",
    "generalize": "method",
    "value": "value",
}
# Parameters left out of labels when they have their default value.
_DEFAULTS = {"unique": False, "locale": "en_US", "keep_first": 0, "char": "*"}


def spec_label(spec: TransformSpec) -> str:
    """A transform as the policy would write it: ``{fake: ssn, unique: true}``."""
    if spec.kind == "when":
        cases = ", ".join(
            f"{{if: {describe_conditions(conds)}, then: {spec_label(then)}}}"
            for conds, then in spec.params["cases"]
        )
        return f"{{when: [{cases}], else: {spec_label(spec.params['else'])}}}"
    if spec.kind == "split":
        parts = ", ".join(spec_label(part) for part in spec.params["parts"])
        return (f"{{split: {json.dumps(spec.params['sep'])}, parts: [{parts}], "
                f"other: {spec_label(spec.params['other'])}}}")
    if spec.kind == "json":
        inner = ", ".join(f"{path}: {spec_label(sub)}" for path, sub in spec.params["paths"])
        return f"{{json: {{{inner}}}, other_paths: {spec.params['other_paths']}}}"
    params = {k: v for k, v in spec.params.items() if v is not None and _DEFAULTS.get(k) != v}
    if not params:
        return spec.kind

    def show(value: object) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        text = str(value)
        return text if text and text.strip() == text and ":" not in text else json.dumps(text)

    main = _MAIN_PARAM.get(spec.kind)
    if main is not None and main in params:
        head = f"{spec.kind}: {show(params.pop(main))}"
        rest = "".join(f", {k}: {show(v)}" for k, v in sorted(params.items()))
        return "{" + head + rest + "}"
    inner = ", ".join(f"{k}: {show(v)}" for k, v in sorted(params.items()))
    return "{" + f"{spec.kind}: {{{inner}}}" + "}"


class Coverage:
    """The policy's rules resolved against the dump's schema (``schema`` changes per database)."""

    def __init__(self, scrub: ScrubPolicy, ctx: TransformContext, schema: Schema) -> None:
        self.scrub = scrub
        self.ctx = ctx
        self._schema = schema
        #: Problems that are errors of the policy itself (see ``has_misfit``).
        self.misfits: set[str] = set()
        # Plans that compiled without a problem, by table, column order and column info:
        # the schema check and the table's COPY would otherwise build every transform
        # twice (a redactor's word lists and patterns, a name kernel's tables...).
        self._plans: dict[tuple[Any, ...], Plan] = {}

    @property
    def schema(self) -> Schema:
        return self._schema

    @schema.setter
    def schema(self, schema: Schema) -> None:
        """Another database (pg_dumpall): its tables are other tables."""
        self._schema = schema
        self._plans.clear()

    def rule_for(self, table: TableName) -> TableRule | None:
        """The table's own rule, else the rule of the partitioned table it belongs to."""
        rule = self.scrub.tables.get(table)
        if rule is not None:
            return rule
        for ancestor in self.schema.ancestors(table):
            rule = self.scrub.tables.get(ancestor)
            if rule is not None:
                return rule
        return None

    def inherited_specs(self, table: TableName) -> dict[str, TransformSpec]:
        """Column rules of the tables ``table`` inherits from, nearest parent first.

        Only rules that name a column reach an inheriting child, and only for
        the columns it inherits: a parent's whole-table ``keep`` or ``drop``
        says nothing about a child's own columns (a child is a table).
        """
        info = self.schema.tables.get(table)
        has = {c.name for c in info.columns} if info is not None else set()
        specs: dict[str, TransformSpec] = {}
        for ancestor in self.schema.inheritance_ancestors(table):
            rule = self.rule_for(ancestor)
            if rule is None or rule.action != "columns":
                continue
            for name, spec in rule.columns.items():
                if name in has:
                    specs.setdefault(name, spec)
        return specs

    def _rule_and_inherited(
        self, table: TableName
    ) -> tuple[TableRule | None, dict[str, TransformSpec]]:
        """The rule that decides ``table``'s rows, and the parents' column rules it adds to."""
        rule = self.rule_for(table)
        inherited = self.inherited_specs(table) if rule is None or rule.action == "columns" \
            else {}
        if rule is None and inherited:
            # An inheriting table with no rule of its own: its parents' column rules.
            return TableRule(table, "columns", inherited), {}
        return rule, inherited

    def rows_action(self, table: TableName) -> str:
        """``columns``, ``keep`` or ``drop``: what becomes of ``table``'s rows (a table
        the policy does not cover counts as kept; coverage reports it)."""
        rule, _ = self._rule_and_inherited(table)
        if rule is not None:
            return rule.action
        return "drop" if self.scrub.unknown_tables == "drop" else "keep"

    def column_specs(self, table: TableName) -> dict[str, TransformSpec] | None:
        """Each column's transform in ``table``'s rows (``unknown_columns`` for those the
        policy does not name); None when its rows are kept or dropped whole."""
        rule, inherited = self._rule_and_inherited(table)
        if rule is None or rule.action != "columns":
            return None
        specs = {**inherited, **rule.columns}
        info = self.schema.tables.get(table)
        for col in info.columns if info is not None else ():
            if col.generated:
                specs.pop(col.name, None)  # computed again by the target
            elif self.scrub.unknown_columns == "null":
                specs.setdefault(col.name, TransformSpec("null"))
        return specs

    def not_covered(self, table: TableName) -> str:
        """Why ``table`` has no rule; a hint when a parent's whole-table rule cannot reach it."""
        whole = [
            f"{ancestor} ({rule.action})"
            for ancestor in self.schema.inheritance_ancestors(table)
            if (rule := self.rule_for(ancestor)) is not None and rule.action != "columns"
        ]
        hint = ""
        if whole:
            hint = (f"; it inherits from {', '.join(whole)}, whose whole-table rule does not "
                    "reach an inheriting table's columns")
        return f"table {table}: not in the policy (unknown_tables: fail){hint}"

    def compile(
        self,
        table: TableName,
        columns: list[ColumnInfo] | None,
        line: int,
        *,
        strict: bool,
        problems: list[str] | None = None,
        header: tuple[str, ...] | None = None,
    ) -> Plan:
        """Build the row plan for ``table``; problems are collected or raised."""
        order_key = tuple(header) if header is not None else tuple(c.name for c in columns or ())
        cache_key = (table, order_key, tuple(columns) if columns is not None else None)
        cached = self._plans.get(cache_key)
        if cached is not None:
            return cached
        with gc_paused():  # long-lived structures only (gcutil.py)
            return self._compile(table, columns, line, strict=strict, problems=problems,
                                 header=header, cache_key=cache_key)

    def _compile(
        self,
        table: TableName,
        columns: list[ColumnInfo] | None,
        line: int,
        *,
        strict: bool,
        problems: list[str] | None,
        header: tuple[str, ...] | None,
        cache_key: tuple[Any, ...],
    ) -> Plan:
        found: list[str] = [] if problems is None else problems
        before = len(found)
        rule, inherited = self._rule_and_inherited(table)
        if rule is None:
            if self.scrub.unknown_tables == "fail":
                found.append(self.not_covered(table))
                mode = "keep"
            else:
                mode = self.scrub.unknown_tables
            if strict and len(found) > before:
                raise CoverageError(
                    "the policy does not cover this table; no row of it has been written",
                    found[before:],
                    line=line,
                )
            return Plan(mode, [], [], {})
        if rule.action in ("keep", "drop"):
            return Plan(rule.action, [], [], {})
        by_name = {c.name: c for c in columns} if columns is not None else {}
        order = list(header) if header is not None else [c.name for c in columns or ()]
        info = self.schema.tables.get(table)
        known = {c.name for c in info.columns} if info is not None else set(order)
        for missing in sorted(set(rule.columns) - known):
            found.append(
                f"table {table}: the policy names column {quote_ident(missing)}, which the "
                "table does not have"
            )
        column_rules = {**inherited, **rule.columns}
        entries: list[PlanEntry] = []
        planned: list[tuple[int, str]] = []
        specs: dict[str, str] = {}
        for index, name in enumerate(order):
            col = by_name.get(name, ColumnInfo(name=name))
            if col.generated:
                continue  # computed again by the target from the scrubbed columns
            spec = column_rules.get(name)
            if spec is None:
                if self.scrub.unknown_columns == "fail":
                    found.append(
                        f"table {table}, column {quote_ident(name)}: not in the policy "
                        "(unknown_columns: fail)"
                    )
                    continue
                spec = TransformSpec(self.scrub.unknown_columns)
            specs[name] = spec_label(spec)
            if spec.kind == "keep":
                continue
            if spec.kind == "null" and col.not_null:
                self._misfit(
                    found,
                    f"table {table}, column {quote_ident(name)}: null is refused for a NOT NULL "
                    "column (the restore would fail); use a value or a fake",
                )
                continue
            try:
                built = self.build(spec, col)
            except ValueError as exc:
                self._misfit(found, f"table {table}, column {quote_ident(name)}: {exc}")
                continue
            per_index: int | tuple[int, ...] = -1
            if built.per is not None:
                reads = (built.per,) if isinstance(built.per, str) else built.per
                absent = [other for other in reads if other not in order]
                if absent:
                    what = "per column" if isinstance(built.per, str) else "the when transform " \
                        "reads column"
                    self._misfit(
                        found,
                        f"table {table}, column {quote_ident(name)}: {what} "
                        f"{quote_ident(absent[0])} is not in the data",
                    )
                    continue
                indexes = tuple(order.index(other) for other in reads)
                per_index = indexes[0] if isinstance(built.per, str) else indexes
            entries.append(
                (index, _guard(built.fn, spec.kind), per_index, built.cacheable, built.kernel)
            )
            planned.append((index, name))
        if strict and len(found) > before:
            raise CoverageError(
                "the policy does not fit this table; no row of it has been written",
                found[before:],
                line=line,
                misfit=self.has_misfit(found[before:]),
            )
        plan = Plan("rewrite" if entries else "keep", entries, planned, specs)
        if len(found) == before:
            self._plans[cache_key] = plan
        return plan

    def _misfit(self, found: list[str], problem: str) -> None:
        """A problem of the policy itself (a transform that cannot work on its column)."""
        found.append(problem)
        self.misfits.add(problem)

    def has_misfit(self, problems: list[str]) -> bool:
        """Whether any of these problems is a misfit (exit 3 rather than 5)."""
        return any(p in self.misfits or p.split(": ", 1)[-1] in self.misfits for p in problems)

    def build(self, spec: TransformSpec, col: ColumnInfo) -> BuiltTransform:
        if spec.kind == "null":
            return build_constant(None)
        if spec.kind == "value":
            const = str(spec.params.get("value", ""))
            check_constant(const, col)  # a constant the column's type refuses: exit 3
            labels = self.schema.enum_labels(col.type_name)
            if labels is not None and not col.array_dims and const not in labels:
                raise ValueError(f"the constant is not one of the {len(labels)} labels of "
                                 f"enum {col.type_name}")
            attributes = self.schema.composite(col.type_name)
            if attributes is not None and not col.array_dims:
                check_record(const, col.type_name, attributes, check_constant)
            return build_constant(const)
        if spec.kind == "json":
            return build_json(spec, col, self.ctx, build_transform)
        if spec.kind == "when":
            return build_when(spec, col, self.ctx, self.build)
        if spec.kind == "split":
            return build_split(spec, col, self.ctx, self.build)
        return build_transform(spec, col, self.ctx)


def _guard(fn: Callable[..., str | None], kind: str) -> Callable[..., str | None]:
    """Turn a transform's failure on a value into a TransformError without the value.

    The codec adds the row and field; the message names the transform and the
    exception type only, since an exception's text may quote the value.  A value
    nested deeper than the readers recurse (jsonb thousands of levels deep, which
    PostgreSQL stores and the compiled JSON kernel declines past 400 levels; an array
    of a damaged stream past PostgreSQL's six dimensions) is said so.
    """

    def guarded(*args: str | None) -> str | None:
        try:
            return fn(*args)
        except ScrubPhiError:
            raise
        except RecursionError:
            raise TransformError(
                f"the {kind} transform cannot handle this value (nested too deeply to read)"
            ) from None
        except (ValueError, TypeError, ArithmeticError, LookupError) as exc:
            raise TransformError(
                f"the {kind} transform cannot handle this value ({type(exc).__name__})"
            ) from None

    return guarded
