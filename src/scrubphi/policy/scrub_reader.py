"""The ``scrub`` section: tables, columns and their transforms, validated into a ScrubPolicy.

Every transform's syntax is read here (words, one-key mappings, the
composite ``json``, ``when`` and ``split``), with an error at the exact
position of what is wrong; each simple transform's options are read by its
function in :mod:`scrubphi.policy.transform_options`, and the transforms
module checks the rest (providers, locales) through ``check_spec``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from scrubphi.policy.conditions import Condition, condition_from_yaml
from scrubphi.policy.model import ScrubPolicy, TableName, TableRule, TransformSpec
from scrubphi.policy.secrets import check_secret_ref
from scrubphi.policy.transform_options import BUILDERS, MASK_DEFAULTS, SpecFactory
from scrubphi.policy.tree import (
    _check_keys,
    _choice,
    _describe,
    _dir_of,
    _error,
    _Node,
    _suggest,
    parse_identifier,
    parse_table_name,
)
from scrubphi.policy.units import parse_size
from scrubphi.transforms.jsonpath import parse_path

__all__ = ["TRANSFORMS"]

#: Column transforms this version accepts.
TRANSFORMS = (
    "keep",
    "null",
    "value",
    "hash",
    "fake",
    "mask",
    "tokenize",
    "date",
    "generalize",
    "json",
    "redact",
    "when",
    "split",
)
#: Transforms policy.md describes that this version refuses rather than ignores.
_RESERVED_TRANSFORMS: tuple[str, ...] = ()
_NEEDS_PARAMETERS = {
    "value": "{value: X}",
    "fake": "{fake: first_name}",
    "tokenize": "{tokenize: digits}",
    "date": "{date: shift, days: 30} or {date: year} or {date: safe_harbor}",
    "generalize": "{generalize: zip3}",
    "redact": "{redact: text}",
}

_SCRUB_KEYS = (
    "key",
    "unknown_tables",
    "unknown_columns",
    "large_objects",
    "statistics",
    "comments",
    "max_row_size",
    "tables",
)
_DEFAULT_KEY_REF = "env:SCRUBPHI_KEY"
_MIN_ROW_SIZE = 1024


# --------------------------------------------------------------------------
# The scrub section
# --------------------------------------------------------------------------


CheckSpec = Callable[[TransformSpec], None]


def _find_check_spec() -> CheckSpec | None:
    """``scrubphi.transforms.check_spec`` if that module provides it yet."""
    try:
        module = importlib.import_module("scrubphi.transforms")
    except ImportError:
        return None
    check = getattr(module, "check_spec", None)
    return check if callable(check) else None


class _ScrubReader:
    """Validate the merged ``scrub`` section into a :class:`ScrubPolicy`."""

    def __init__(self, first_file: str) -> None:
        self.first_file = first_file
        self.check_spec = _find_check_spec()

    def read(self, node: _Node) -> ScrubPolicy:
        _check_keys(node, _SCRUB_KEYS, "scrub")
        entries: dict[str, _Node] = node.value
        key_ref = _DEFAULT_KEY_REF
        base_dir = _dir_of(self.first_file)
        if "key" in entries:
            key_node = entries["key"]
            try:
                key_ref = check_secret_ref(key_node.value)
            except ValueError as exc:
                raise _error(str(exc), key_node.loc, key_node.path) from None
            base_dir = _dir_of(key_node.loc.file)

        def option(name: str, allowed: tuple[str, ...], default: str) -> str:
            if name not in entries:
                return default
            option_node = entries[name]
            if name == "unknown_columns" and option_node.value is None:
                return "null"  # YAML reads the bare word null as null
            return _choice(option_node, allowed, name)

        unknown_tables = option("unknown_tables", ("fail", "drop", "keep"), "fail")
        unknown_columns = option("unknown_columns", ("fail", "null", "keep"), "fail")
        large_objects = option("large_objects", ("drop", "fail", "keep"), "drop")
        statistics = option("statistics", ("drop", "fail"), "drop")
        comments = option("comments", ("keep", "drop", "fail"), "keep")
        max_row_size = ScrubPolicy.max_row_size
        if "max_row_size" in entries:
            size_node = entries["max_row_size"]
            try:
                max_row_size = parse_size(size_node.value)
            except ValueError as exc:
                raise _error(str(exc), size_node.loc, size_node.path) from None
            if max_row_size < _MIN_ROW_SIZE:
                raise _error(
                    f"max_row_size must be at least 1KiB, not {max_row_size} bytes",
                    size_node.loc,
                    size_node.path,
                )
        tables: dict[TableName, TableRule] = {}
        if "tables" in entries:
            tables = self.tables(entries["tables"])
        return ScrubPolicy(
            key_ref=key_ref,
            unknown_tables=unknown_tables,  # type: ignore[arg-type]
            unknown_columns=unknown_columns,  # type: ignore[arg-type]
            large_objects=large_objects,  # type: ignore[arg-type]
            statistics=statistics,  # type: ignore[arg-type]
            comments=comments,  # type: ignore[arg-type]
            max_row_size=max_row_size,
            tables=tables,
            location=node.key_loc,
            base_dir=base_dir,
        )

    def tables(self, node: _Node) -> dict[TableName, TableRule]:
        if not node.is_map:
            raise _error(
                "tables must be a mapping of table name to keep, drop or {columns: ...}, "
                f"not {_describe(node.value)}",
                node.loc,
                node.path,
            )
        tables: dict[TableName, TableRule] = {}
        seen: dict[TableName, _Node] = {}
        for raw, table_node in node.value.items():
            if not isinstance(raw, str):
                raise _error(
                    f"a table name must be text; quote it ({_describe(raw)} here)",
                    table_node.here,
                    table_node.path,
                )
            try:
                name = parse_table_name(raw)
            except ValueError as exc:
                raise _error(f"bad table name: {exc}", table_node.here, table_node.path) from None
            if name in seen:
                raise _error(
                    f"table {name} is defined twice: first at {seen[name].here} "
                    f"(as {seen[name].path[-1]}), again at {table_node.here}",
                    table_node.here,
                    table_node.path,
                )
            seen[name] = table_node
            tables[name] = self.table(name, table_node)
        return tables

    def table(self, name: TableName, node: _Node) -> TableRule:
        if isinstance(node.value, str) and node.value in ("keep", "drop"):
            return TableRule(name, node.value, {}, node.here)  # type: ignore[arg-type]
        if not node.is_map:
            shown = repr(node.value) if isinstance(node.value, str) else _describe(node.value)
            raise _error(
                f"a table is keep, drop or a mapping with columns:, not {shown}"
                f"{_suggest(node.value, ('keep', 'drop'))}",
                node.loc,
                node.path,
            )
        _check_keys(node, ("columns",), f"table {name}")
        if "columns" not in node.value:
            raise _error(
                "a table mapping needs columns: (or write keep or drop for the whole table)",
                node.loc,
                node.path,
            )
        columns_node: _Node = node.value["columns"]
        if not columns_node.is_map:
            raise _error(
                "columns must be a mapping of column name to transform, "
                f"not {_describe(columns_node.value)}",
                columns_node.loc,
                columns_node.path,
            )
        columns: dict[str, TransformSpec] = {}
        seen: dict[str, _Node] = {}
        for raw, column_node in columns_node.value.items():
            if not isinstance(raw, str):
                raise _error(
                    f"a column name must be text; quote it ({_describe(raw)} here)",
                    column_node.here,
                    column_node.path,
                )
            try:
                column = parse_identifier(raw)
            except ValueError as exc:
                raise _error(
                    f"bad column name: {exc}", column_node.here, column_node.path
                ) from None
            if column in seen:
                raise _error(
                    f"column {column} is defined twice: first at {seen[column].here}, "
                    f"again at {column_node.here}",
                    column_node.here,
                    column_node.path,
                )
            seen[column] = column_node
            columns[column] = self.transform(column_node)
        for column, spec in columns.items():
            if spec.kind == "when":
                _check_when_columns(name, column, spec, seen[column], columns)
            per = spec.params.get("per") if spec.kind in ("date", "generalize") else None
            problem = _per_problem(per, column, columns, name) if per is not None else None
            if problem is not None:
                per_node = seen[column].value["per"]
                raise _error(problem, per_node.loc, per_node.path)
        if self.check_spec is not None:
            for column, spec in columns.items():
                if spec.kind in ("json", "when", "split"):
                    continue  # their inner transforms were checked one by one
                try:
                    self.check_spec(spec)
                except ValueError as exc:
                    raise _error(str(exc), seen[column].loc, seen[column].path) from None
        return TableRule(name, "columns", columns, node.here)

    # -- transforms ---------------------------------------------------------

    def transform(self, node: _Node) -> TransformSpec:
        value = node.value
        loc = node.loc

        def spec(kind: str, params: dict[str, Any] | None = None) -> TransformSpec:
            return TransformSpec(kind, params or {}, loc)

        if value is None:
            return spec("null")
        if isinstance(value, str):
            if value in ("keep", "null"):
                return spec(value)
            if value == "hash":
                return spec("hash", {"length": 16, "alphabet": "hex"})
            if value == "mask":
                return spec("mask", MASK_DEFAULTS.copy())
            self._refuse_word(node, value)
        if not isinstance(value, dict):
            raise _error(
                "a transform is a word (keep, null, hash, mask) or a mapping such as "
                f"{{fake: first_name}}, not {_describe(value)}",
                loc,
                node.path,
            )
        named = [key for key in value if key in (*TRANSFORMS, *_RESERVED_TRANSFORMS)]
        for key in named:
            if key in _RESERVED_TRANSFORMS:
                raise _error(_reserved_message(key), value[key].here, value[key].path)
            if key in ("keep", "null"):
                raise _error(
                    f"{key} takes no parameters; write it as a bare word: column: {key}",
                    value[key].here,
                    value[key].path,
                )
        if not named:
            first = next(iter(value), None)
            if first is None:
                raise _error(
                    f"empty transform mapping; allowed transforms: {', '.join(TRANSFORMS)}",
                    loc,
                    node.path,
                )
            raise _error(
                f"unknown transform {first!s}{_suggest(first, TRANSFORMS)}; "
                f"allowed: {', '.join(TRANSFORMS)}",
                value[first].here,
                value[first].path,
            )
        if len(named) > 1:
            raise _error(
                f"one transform per column: both {named[0]} and {named[1]} are given",
                value[named[1]].here,
                value[named[1]].path,
            )
        kind = named[0]
        if kind == "json":
            return self._build_json(node, value, spec)
        if kind == "when":
            return self._build_when(node, value, spec)
        if kind == "split":
            return self._build_split(node, value, spec)
        return BUILDERS[kind](node, value, spec)

    def _build_split(
        self, node: _Node, entries: dict[str, _Node], spec: SpecFactory
    ) -> TransformSpec:
        """``{split: SEP, parts: [T, ...], other: T}`` (see transforms/split.py)."""
        _check_keys(node, ("split", "parts", "other"), "the split transform")
        sep_node = entries["split"]
        if not isinstance(sep_node.value, str) or not sep_node.value:
            raise _error("split takes the separator as text, e.g. split: '  '", sep_node.loc,
                         sep_node.path)
        for needed in ("parts", "other"):
            if needed not in entries:
                raise _error(
                    f"a split transform needs {needed}:" + (
                        " the transform of a value with another number of parts"
                        if needed == "other" else " a list of transforms, one per part"),
                    node.here, node.path)
        parts_node = entries["parts"]
        if not isinstance(parts_node.value, list) or len(parts_node.value) < 2:
            raise _error("parts takes a list of at least two transforms, one per part",
                         parts_node.loc, parts_node.path)
        parts = tuple(self._split_part(child) for child in parts_node.value)
        other = self._split_part(entries["other"])
        return spec("split", {"sep": sep_node.value, "parts": parts, "other": other})

    def _split_part(self, node: _Node) -> TransformSpec:
        child = self.transform(node)
        if child.kind in ("when", "split", "json"):
            raise _error(f"a {child.kind} transform cannot be a part of split", node.loc,
                         node.path)
        if child.params.get("per"):
            raise _error("per is not supported inside split", node.loc, node.path)
        if self.check_spec is not None and child.kind not in ("keep", "null", "value"):
            try:
                self.check_spec(child)
            except ValueError as exc:
                raise _error(str(exc), node.loc, node.path) from None
        return child

    def _build_when(
        self, node: _Node, entries: dict[str, _Node], spec: SpecFactory
    ) -> TransformSpec:
        """``{when: [{if: {COLUMN: TEST, ...}, then: T}, ...], else: T}`` (see conditions.py)."""
        _check_keys(node, ("when", "else"), "the when transform")
        cases_node = entries["when"]
        if not isinstance(cases_node.value, list) or not cases_node.value:
            raise _error(
                "when takes a list of cases, e.g. when: [{if: {code: '75773-1'}, then: "
                "{fake: street_address}}]",
                cases_node.loc,
                cases_node.path,
            )
        if "else" not in entries:
            raise _error(
                "a when transform needs else: the transform of the rows no case matches "
                "(write else: keep to keep them)",
                node.here,
                node.path,
            )
        cases: list[tuple[tuple[Condition, ...], TransformSpec]] = []
        for case in cases_node.value:
            if not case.is_map:
                raise _error(
                    f"a case is a mapping with if: and then:, not {_describe(case.value)}",
                    case.loc,
                    case.path,
                )
            _check_keys(case, ("if", "then"), "a when case")
            for needed in ("if", "then"):
                if needed not in case.value:
                    raise _error(f"a when case needs {needed}:", case.loc, case.path)
            test = case.value["if"]
            if not test.is_map or not test.value:
                raise _error(
                    "if takes a mapping of column names to tests, e.g. if: {code: '75773-1'}",
                    test.loc,
                    test.path,
                )
            conditions: list[Condition] = []
            for raw, cond_node in test.value.items():
                if not isinstance(raw, str):
                    raise _error("a column name must be text; quote it", cond_node.here,
                                 cond_node.path)
                try:
                    column = parse_identifier(raw)
                    conditions.append(condition_from_yaml(column, _plain_value(cond_node)))
                except ValueError as exc:
                    raise _error(str(exc), cond_node.loc, cond_node.path) from None
            cases.append((tuple(conditions), self._when_branch(case.value["then"])))
        otherwise = self._when_branch(entries["else"])
        return spec("when", {"cases": tuple(cases), "else": otherwise})

    def _when_branch(self, node: _Node) -> TransformSpec:
        child = self.transform(node)
        if child.kind == "when":
            raise _error("when transforms do not nest; put every case in one list", node.loc,
                         node.path)
        if self.check_spec is not None and child.kind not in ("keep", "null", "value", "json"):
            try:
                self.check_spec(child)
            except ValueError as exc:
                raise _error(str(exc), node.loc, node.path) from None
        return child

    def _build_json(
        self, node: _Node, entries: dict[str, _Node], spec: SpecFactory
    ) -> TransformSpec:
        _check_keys(node, ("json", "other_paths"), "the json transform")
        inner = entries["json"]
        if not inner.is_map or not inner.value:
            raise _error(
                'json takes a mapping of JSON paths to transforms, e.g. {"$.patient.name": '
                "{fake: name}}",
                inner.loc,
                inner.path,
            )
        paths: list[tuple[str, TransformSpec]] = []
        for path, path_node in inner.value.items():
            if not isinstance(path, str):
                raise _error(
                    "a JSON path must be text, e.g. $.patient.name", path_node.here, path_node.path
                )
            try:
                parse_path(path)
            except ValueError as exc:
                raise _error(str(exc), path_node.here, path_node.path) from None
            child = self.transform(path_node)
            if child.kind == "json":
                raise _error("json transforms do not nest", path_node.loc, path_node.path)
            if child.kind == "date" and child.params.get("per"):
                raise _error(
                    "per is not supported inside json paths", path_node.loc, path_node.path
                )
            if self.check_spec is not None and child.kind not in ("keep", "null", "value"):
                try:
                    self.check_spec(child)
                except ValueError as exc:
                    raise _error(str(exc), path_node.loc, path_node.path) from None
            paths.append((path, child))
        other = "fail"
        if "other_paths" in entries and entries["other_paths"].value is None:
            other = "null"  # YAML reads a bare null as None
        elif "other_paths" in entries:
            other = _choice(entries["other_paths"], ("keep", "null", "fail"), "other_paths")
        return spec("json", {"paths": tuple(paths), "other_paths": other})

    def _refuse_word(self, node: _Node, word: str) -> NoReturn:
        if word in _RESERVED_TRANSFORMS:
            raise _error(_reserved_message(word), node.loc, node.path)
        if word in _NEEDS_PARAMETERS:
            raise _error(
                f"{word} needs parameters: write {_NEEDS_PARAMETERS[word]}", node.loc, node.path
            )
        shown = repr(word) if len(word) <= 40 else "this text"
        raise _error(
            f"unknown transform {shown}{_suggest(word, TRANSFORMS)}; allowed: "
            "keep, null, hash, mask as words, or {value: X}, {hash: {...}}, {fake: PROVIDER}, "
            "{mask: {...}}, {tokenize: digits|alnum|upper}, {date: shift|year|safe_harbor}, "
            "{generalize: zip3}, {redact: text}, {when: [...], else: ...}",
            node.loc,
            node.path,
        )


def _plain_value(node: _Node) -> Any:
    """A node's value as plain Python data (mappings, lists and scalars)."""
    if isinstance(node.value, dict):
        return {key: _plain_value(child) for key, child in node.value.items()}
    if isinstance(node.value, list):
        return [_plain_value(child) for child in node.value]
    return node.value


def _check_when_columns(
    table: TableName, column: str, spec: TransformSpec, node: _Node,
    columns: Mapping[str, TransformSpec],
) -> None:
    """Every column a when transform reads (its tests, its branches' per) is listed."""
    branches = [then for _, then in spec.params["cases"]] + [spec.params["else"]]
    for index, (conditions, _) in enumerate(spec.params["cases"]):
        for condition in conditions:
            if condition.column != column and condition.column not in columns:
                case = node.value["when"].value[index].value["if"]
                raise _error(
                    f"the condition tests column {condition.column}, which is not listed under "
                    f"columns of table {table}; listed: {', '.join(columns)}",
                    case.loc,
                    case.path,
                )
    for branch in branches:
        per = branch.params.get("per") if branch.kind in ("date", "redact", "generalize") \
            else None
        problem = _per_problem(per, column, columns, table) if per is not None else None
        if problem is not None:
            raise _error(problem, node.loc, node.path)


def _per_problem(per: str, column: str, columns: Mapping[str, TransformSpec],
                 table: TableName) -> str | None:
    """Why ``per`` cannot group the values of ``column``, or None: it must be another
    column the table's rule lists."""
    if per == column:
        return ("per must name another column of the table (whose value groups the "
                "shift, e.g. patient_id), not the column itself")
    if per not in columns:
        return (f"per names column {per}, which is not listed under columns of "
                f"table {table}; listed: {', '.join(columns)}")
    return None


def _reserved_message(word: str) -> str:
    return (
        f"the {word} transform is not available yet in this version of scrubphi; "
        "until then give the column another transform; for free text, null or "
        "{value: ...} are the safe choices"
    )
