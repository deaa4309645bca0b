"""PostgreSQL's record text, as a composite type's value is written: ``("12 Oak St",Boston,)``.

Read only to check a ``{value: X}`` constant on a composite column before any row
is written: PostgreSQL refuses a record with too few or too many fields ("malformed
record literal") and a field its attribute's type refuses, and psql would stop the
restore there after scrubphi had exited 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from scrubphi.transforms.base import ColumnInfo

_SPACE = " \t\n\r\f\v"


def record_fields(text: str) -> list[str | None] | None:
    """The fields of a record literal as PostgreSQL's ``record_in`` reads them (None for
    a NULL field: nothing between its commas); None when ``text`` is not one."""
    i, n = 0, len(text)
    while i < n and text[i] in _SPACE:
        i += 1
    if i >= n or text[i] != "(":
        return None
    i += 1
    fields: list[str | None] = []
    while True:
        if i < n and text[i] in ",)":
            fields.append(None)
        else:
            buf: list[str] = []
            quoted = False
            while i < n:
                c = text[i]
                if c == "\\":
                    if i + 1 >= n:
                        return None
                    buf.append(text[i + 1])
                    i += 2
                elif c == '"':
                    if quoted and i + 1 < n and text[i + 1] == '"':
                        buf.append('"')
                        i += 2
                    else:
                        quoted = not quoted
                        i += 1
                elif not quoted and c in ",)":
                    break
                else:
                    buf.append(c)
                    i += 1
            if quoted or i >= n:
                return None
            fields.append("".join(buf))
        if i >= n:
            return None
        i += 1
        if text[i - 1] == ")":
            break
    while i < n and text[i] in _SPACE:
        i += 1
    return fields if i == n else None


def check_record(const: str, type_name: str, attributes: Sequence[ColumnInfo],
                 check_field: Callable[[str, ColumnInfo], None]) -> None:
    """Refuse a constant that is not a record of ``attributes`` (their number, and each
    field by ``check_field``); the message names the type and the attribute, never the
    constant."""
    fields = record_fields(const)
    if fields is None:
        raise ValueError(f"the constant is not a record, written as (...) (composite type "
                         f"{type_name})")
    if len(fields) != len(attributes):
        raise ValueError(f"the constant has {len(fields)} field(s); composite type "
                         f"{type_name} has {len(attributes)}")
    for field, attribute in zip(fields, attributes, strict=True):
        if field is None:
            continue
        try:
            check_field(field, attribute)
        except ValueError as exc:
            raise ValueError(f"{exc}, at attribute {attribute.name} of composite type "
                             f"{type_name}") from None
