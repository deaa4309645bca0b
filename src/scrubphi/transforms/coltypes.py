"""Column type classes, as the transforms need them.

Why: a transform must never write a value the column's type would refuse on
restore (an SSN into ``integer``), so every builder asks which class a
column's type falls into.  Names are pg_dump's (``character varying``,
``timestamp with time zone``); typmods are ignored if a caller left them in.
"""

from __future__ import annotations

import re

from scrubphi.transforms.base import ColumnInfo

__all__ = [
    "DATE_TYPES",
    "INTEGER_RANGES",
    "NUMERIC_TYPES",
    "TEXT_TYPES",
    "base_type",
    "is_integer",
    "is_numeric",
    "is_text",
    "is_unknown",
]

_TYPMOD = re.compile(r"\(\s*\d+(\s*,\s*\d+)?\s*\)")

#: Types whose values are free text.  The empty name is a column whose type the
#: dump did not declare (data-only dumps): treated as text.
TEXT_TYPES = frozenset(
    {"", "text", "character varying", "varchar", "character", "char", "bpchar", "citext", "name"}
)

#: Integer types and the magnitude bounds of their negative and positive values.
INTEGER_RANGES: dict[str, tuple[int, int]] = {
    "smallint": (2**15, 2**15 - 1),
    "integer": (2**31, 2**31 - 1),
    "bigint": (2**63, 2**63 - 1),
    "int2": (2**15, 2**15 - 1),
    "int4": (2**31, 2**31 - 1),
    "int8": (2**63, 2**63 - 1),
    "int": (2**31, 2**31 - 1),
}

NUMERIC_TYPES = frozenset({"numeric", "decimal"})

DATE_TYPES = frozenset(
    {
        "date",
        "timestamp without time zone",
        "timestamp with time zone",
        "timestamp",
        "timestamptz",
    }
)


def base_type(column: ColumnInfo) -> str:
    """The column's type name, lower case, typmod and ``pg_catalog.`` removed.

    Extension types print schema-qualified (``public.citext``); only the last
    part matters for classification.
    """
    name = _TYPMOD.sub("", column.type_name.strip().lower())
    name = " ".join(name.split())
    if name.startswith("pg_catalog."):
        name = name[len("pg_catalog.") :]
    if name.endswith(".citext"):
        name = "citext"
    return name


def is_text(column: ColumnInfo) -> bool:
    """True for text-like columns (and columns of unknown type)."""
    return base_type(column) in TEXT_TYPES


def is_unknown(column: ColumnInfo) -> bool:
    """True when the dump did not say the column's type."""
    return base_type(column) == ""


def is_integer(column: ColumnInfo) -> bool:
    """True for smallint, integer and bigint."""
    return base_type(column) in INTEGER_RANGES


def is_numeric(column: ColumnInfo) -> bool:
    """True for numeric/decimal."""
    return base_type(column) in NUMERIC_TYPES
