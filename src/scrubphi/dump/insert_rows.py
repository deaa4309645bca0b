"""INSERT statements rewritten row by row, and checked against their table's columns.

The parser (:mod:`scrubphi.dump.inserts`) says where each literal lies; here a
planned value that changes is spliced in as a new literal, and the values of
an INSERT without a column list are checked to have their columns' shapes
before anything is matched to columns by position.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from types import ModuleType
from typing import Any

from .._impl import codec_function, kernel_fn
from ..errors import DumpError, TransformError
from ..policy.model import TableName, quote_ident
from ..regex_cache import compile_cached
from ..report import TableStats
from ..transforms.base import ColumnInfo
from ..transforms.coltypes import DATE_TYPES, TEXT_TYPES, base_type, is_integer, is_numeric
from .coverage import Plan, PlanEntry
from .inserts import InsertStatement, literal_value, quote_literal

__all__ = [
    "InsertKernels",
    "check_positional_shapes",
    "insert_plan",
    "kernel_first",
    "rewrite_insert",
]


def kernel_first(entry: PlanEntry, codec: ModuleType) -> PlanEntry:
    """A plan entry whose values go through the transform's compiled kernel first.

    Why: the COPY codec runs a column's kernel in C and calls the Python function
    only where the kernel declines a value; an INSERT's values went to the Python
    function one by one, so a dump made with ``--inserts`` scrubbed many times
    slower.  The kernel's output is the function's (the twins' contract), so the
    values are the same.  Entries that read other columns (``per``, ``when``)
    stay as they are.  ``codec``: the Scrubber's twin (the pure one has no kernels).
    """
    kernel = kernel_fn(entry[4], codec) if _one_column(entry) else None
    return entry if kernel is None else _with_kernel(entry, kernel)


def _one_column(entry: PlanEntry) -> bool:
    """Whether an entry's function reads its own column only, and has a kernel's
    description (what a kernel can stand for)."""
    return len(entry) >= 5 and not isinstance(entry[2], tuple) and entry[2] < 0


def _with_kernel(entry: PlanEntry, kernel: Callable[[str], str | None]) -> PlanEntry:
    """The entry with ``kernel`` tried before its function (see :func:`kernel_first`)."""
    python: Callable[[str | None], str | None] = entry[1]

    def first(value: str | None) -> str | None:
        if value is None:
            return python(value)
        out = kernel(value)
        return python(value) if out is None else out

    return (entry[0], first, *entry[2:])


#: The entries ``rewrite_insert`` gives the codec's kernels in one call a statement: the
#: batch function, the entries' positions in the plan, their kernels, their columns.
InsertKernels = tuple[Callable[..., Any], list[int], list[Any], list[int]]


def insert_plan(plan: Plan, codec: ModuleType) -> tuple[Plan, InsertKernels | None]:
    """An INSERT's plan: each entry :func:`kernel_first` would give a kernel has it
    tried first, and the same kernels, for all rows of a statement at once, go to the
    codec's ``insert_kernels`` (None when there are none, or with the pure twin)."""
    kernels = [kernel_fn(e[4], codec) if _one_column(e) else None for e in plan.entries]
    entries = [e if k is None else _with_kernel(e, k)
               for e, k in zip(plan.entries, kernels, strict=True)]
    ready = Plan(plan.mode, entries, plan.planned, plan.specs)
    positions = [p for p, k in enumerate(kernels) if k is not None]
    batch = codec_function("insert_kernels", codec) if positions else None
    if batch is None:
        return ready, None
    return ready, (batch, positions, [kernels[p] for p in positions],
                   [plan.entries[p][0] for p in positions])


def rewrite_insert(
    text: bytes,
    stmt: InsertStatement,
    names: tuple[str, ...],
    plan: Plan,
    stats: TableStats,
    line: int,
    table: TableName,
    *,
    standard_strings: bool,
    kernels: InsertKernels | None = None,
) -> bytes:
    """The statement with each planned value that changes replaced by its new literal.

    Every other byte stays as it was; counts go to ``stats``. A transform's
    error becomes a DumpError naming the statement's line, table and column.
    ``kernels`` (:func:`insert_plan`): the entries whose values the compiled
    codec rewrites first, all rows at once; what it declines comes back here.
    """
    std = standard_strings
    rows = stmt.rows
    changes: list[tuple[int, int, bytes]] = []
    in_c: frozenset[int] = frozenset()
    left: set[tuple[int, int]] = set()
    if kernels is not None and all(len(row) == len(names) for row in rows):
        batch, positions, fns, columns = kernels
        done, kept, transformed, todo = batch(text, rows, fns, columns)
        changes = done
        for p, k, t in zip(positions, kept, transformed, strict=True):
            col = stats.columns[names[plan.entries[p][0]]]
            col.kept += k
            col.transformed += t
        in_c = frozenset(positions)
        left = {(r, positions[j]) for r, j in todo}
    for r, row in enumerate(rows):
        if len(row) != len(names):
            raise DumpError(
                f"expected {len(names)} values in a row of VALUES, found {len(row)}",
                line=line + text.count(b"\n", 0, row[0].start if row else 0),
                table=str(table),
            )
        for at, entry in enumerate(plan.entries):
            if at in in_c and (r, at) not in left:
                continue  # the kernel's, above
            index, fn, per = entry[0], entry[1], entry[2]
            lit = row[index]
            kind = lit.kind
            if kind == "default":
                continue  # the target computes it (a generated column or a default)
            value: str | None
            try:
                if kind == "string" and not lit.escaped:
                    # (literal_value's commonest case, inline: 'text' with '' for ')
                    raw = text[lit.start + 1 : lit.end - 1]
                    if 39 in raw:
                        raw = raw.replace(b"''", b"'")
                    try:
                        value = raw.decode("utf-8")
                    except UnicodeDecodeError:
                        value = literal_value(text, lit)  # raises what it raises
                else:
                    value = literal_value(text, lit)
                if isinstance(per, tuple):  # a when transform reads several columns
                    result = fn(value, *[literal_value(text, row[p]) for p in per])
                elif per >= 0:
                    result = fn(value, literal_value(text, row[per]))
                else:
                    result = fn(value)
            except TransformError as exc:
                raise DumpError(
                    exc.reason,
                    line=line + text.count(b"\n", 0, lit.start),
                    table=str(table),
                    column=quote_ident(names[index]),
                ) from None
            col = stats.columns[names[index]]
            if result == value:
                col.kept += 1
                continue
            if result is None:
                col.nulled += 1
            else:
                col.transformed += 1
            if result is not None and std:
                # (quote_literal's commonest case, inline)
                literal = ("'" + result.replace("'", "''") + "'").encode("utf-8")
            else:
                literal = quote_literal(result, standard_strings=std)
            changes.append((lit.start, lit.end, literal))
    if not changes:
        return text
    if len(changes) > 1:
        changes.sort()
    pieces: list[bytes] = []
    last = 0
    for begin, finish, literal in changes:
        pieces.append(text[last:begin])
        pieces.append(literal)
        last = finish
    pieces.append(text[last:])
    return b"".join(pieces)


# Built-in types pg_dump writes bare besides the integers and numeric (coltypes).
_FLOAT_TYPES = frozenset({"real", "double precision", "oid"})
_TIME_TYPES = frozenset({"time without time zone", "time with time zone"})
# Built-in types pg_dump always quotes (user types, domains and enums are not checked:
# a domain over integer is written bare; a column of unknown type is not checked either).
_STRING_TYPES = (TEXT_TYPES - {""}) | {
    "uuid", "inet", "cidr", "macaddr", "bytea", "json", "jsonb", "interval", "money", "xml",
}
_ISO_DATE = compile_cached(r"(?:\d{4,}-\d\d-\d\d|-?infinity)\b")
# The same on a plain literal's bytes, stricter: ASCII digits, and nothing but an ASCII
# non-word byte after it (so a match here is a match of _ISO_DATE on the value).
_ISO_DATE_BYTES = compile_cached(
    rb"(?:[0-9]{4,}-[0-9][0-9]-[0-9][0-9]|-?infinity)(?![\w\x80-\xff])")
_ISO_TIME = compile_cached(r"\d\d:\d\d")


def check_positional_shapes(
    columns: list[ColumnInfo], stmt: InsertStatement, text: bytes, line: int, table: TableName
) -> None:
    """Each value of an INSERT without a column list has its column's shape.

    Why: such a statement is matched to columns by the order of CREATE TABLE,
    so a damaged CREATE TABLE (two column lines swapped) would put a name
    into a kept integer or date column.  pg_dump writes numbers and booleans
    bare, dates quoted in ISO form and bit strings as ``B'...'``: a value of
    another shape means the order is not the one the values were written
    in.  Two text columns swapped cannot be told apart this way.
    """
    shapes = _shapes(tuple(columns))
    if _C_SHAPES is not None and _C_SHAPES(text, stmt.rows, shapes):
        return  # (in C: every value surely has its shape; else the reading below decides)
    for row in stmt.rows:
        for shape, lit, col in zip(shapes, row, columns, strict=False):
            kind = lit.kind
            if not shape or kind == "null" or kind == "default":
                continue
            if shape == _STRING:
                ok = kind == "string"
            elif shape == _NUMBER:
                ok = (kind == "word" and _NUMBER_BYTES.match(text, lit.start, lit.end)
                      is not None) or (kind == "string" and literal_value(text, lit) in (
                          "NaN", "Infinity", "-Infinity"))
            elif shape == _BOOLEAN:
                ok = kind == "word" and text[lit.start : lit.end].lower() in (b"true", b"false")
            elif shape == _DATE:
                # (on the statement's bytes first: an ISO date there is one in the value)
                ok = kind == "string" and (
                    (not lit.escaped and _ISO_DATE_BYTES.match(text, lit.start + 1, lit.end)
                     is not None) or bool(_ISO_DATE.match(literal_value(text, lit) or "")))
            elif shape == _TIME:
                ok = kind == "string" and bool(_ISO_TIME.match(literal_value(text, lit) or ""))
            else:  # _BITS
                ok = kind == "bits"
            if not ok:
                raise DumpError(
                    "a value of an INSERT without a column list does not have its column's "
                    "type (a damaged CREATE TABLE or INSERT?): values cannot be matched to "
                    "columns; refusing",
                    line=line + text.count(b"\n", 0, lit.start),
                    table=str(table),
                    column=quote_ident(col.name),
                )


# The compiled twin of the check's accepting path (_fast.insert_shapes_ok), when in use.
_C_SHAPES: Callable[..., bool] | None = codec_function("insert_shapes_ok")
# What shape check_positional_shapes asks of a column's values (0: none; _fast_insert.pxi
# reads the same codes).
_NUMBER, _BOOLEAN, _DATE, _TIME, _BITS, _STRING = range(1, 7)
# A number as pg_dump writes it bare, on the statement's bytes.
_NUMBER_BYTES = compile_cached(rb"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\Z")


@lru_cache(maxsize=256)
def _shapes(columns: tuple[ColumnInfo, ...]) -> tuple[int, ...]:
    """Each column's shape, once per table (a dump's INSERTs are many, its tables few)."""
    shapes: list[int] = []
    for col in columns:
        kind = base_type(col)
        if col.array_dims:
            shapes.append(0)
        elif is_integer(col) or is_numeric(col) or kind in _FLOAT_TYPES:
            shapes.append(_NUMBER)
        elif kind == "boolean":
            shapes.append(_BOOLEAN)
        elif kind in DATE_TYPES:
            shapes.append(_DATE)
        elif kind in _TIME_TYPES:
            shapes.append(_TIME)
        elif kind in ("bit", "bit varying"):
            shapes.append(_BITS)
        elif kind in _STRING_TYPES:
            shapes.append(_STRING)
        else:
            shapes.append(0)
    return tuple(shapes)
