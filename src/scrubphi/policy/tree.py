"""The positioned YAML tree every policy section is validated on, and its small checks.

Why a module of its own: the loader builds the tree from files (ruamel.yaml,
merging, references), the ``scrub`` section's reader and the other
sections' readers validate it; all of them report errors the same way (file,
line, column, key path, what is allowed, never the value written), through
these helpers.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scrubphi.errors import PolicyError
from scrubphi.policy.model import Location, TableName

__all__ = ["describe_value", "parse_identifier", "parse_table_name"]

_PathT = tuple[Any, ...]


class _Index(int):
    """A list position in a key path (shown ``[0]``), unlike an integer mapping key."""

    __slots__ = ()


# --------------------------------------------------------------------------
# Positioned tree
# --------------------------------------------------------------------------


@dataclass(eq=False)
class _Node:
    """A YAML value with where it starts, where its key is and its key path.

    ``value`` is ``dict[Any, _Node]`` for a mapping, ``list[_Node]`` for a
    sequence, or a plain Python scalar (str, int, float, bool, None, date).
    """

    value: Any
    loc: Location
    key_loc: Location | None
    path: _PathT

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def here(self) -> Location:
        """Where a problem with this entry *as a whole* is best reported."""
        return self.key_loc or self.loc


def _path_str(path: _PathT) -> str:
    out = ""
    for part in path:
        if isinstance(part, _Index):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _error(message: str, loc: Location, path: _PathT) -> PolicyError:
    return PolicyError(
        message,
        file=loc.file,
        line=loc.line,
        column=loc.column,
        path=_path_str(path) or None,
    )


def describe_value(value: Any) -> str:
    """Name a value's YAML type without echoing it (it may be a pasted secret).

    Every policy section's validator uses it, so no error message ever quotes
    what was written.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dt.date):
        return "a date"
    return type(value).__name__


_describe = describe_value


def _suggest(word: object, allowed: Iterable[str]) -> str:
    if not isinstance(word, str):
        return ""
    import difflib  # only an error's suggestion needs it (start-up)

    close = difflib.get_close_matches(word, list(allowed), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def parse_identifier(text: str) -> str:
    """One name part: literal text, or ``"..."`` with ``""`` for a quote inside.

    Unquoted names are taken literally (not case-folded): the policy names
    tables as pg_dump prints them, and ``Lab Results`` is meant as written.
    """
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        inner = text[1:-1]
        if re.fullmatch(r'(?:[^"]|"")*', inner) is None:
            raise ValueError(f'{text!r}: inside a quoted name each " must be doubled ("")')
        name = inner.replace('""', '"')
    else:
        if '"' in text:
            raise ValueError(
                f'{text!r}: a name containing " must be quoted as a whole, '
                'with "" for each " inside'
            )
        if text != text.strip():
            raise ValueError(
                f"{text!r} has leading or trailing spaces; to mean them, quote the name: "
                f"'\"{text}\"'"
            )
        name = text
    if name == "":
        raise ValueError("empty name")
    if "\x00" in name:
        raise ValueError("a name cannot contain the NUL character")
    return name


def parse_table_name(text: str) -> TableName:
    """``schema.table`` as PostgreSQL prints it; no dot means schema ``public``.

    The split is at the first dot outside double quotes; each side follows
    :func:`parse_identifier`.  ``clinic.Lab Results``, ``clinic."Lab Results"``
    and ``public."a.b"`` all work.
    """
    quoted = False
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == "." and not quoted:
            return TableName(parse_identifier(text[:index]), parse_identifier(text[index + 1 :]))
    if quoted:
        raise ValueError(f"{text!r}: a double quote is not closed")
    return TableName("public", parse_identifier(text))


def _check_keys(node: _Node, allowed: Iterable[str], what: str) -> None:
    allowed = tuple(allowed)
    for key, child in node.value.items():
        if key not in allowed:
            raise _error(
                f"unknown key {key!s} in {what}{_suggest(key, allowed)}; "
                f"allowed: {', '.join(allowed)}",
                child.here,
                child.path,
            )


def _choice(node: _Node, allowed: tuple[str, ...], what: str) -> str:
    value = node.value
    if not isinstance(value, str) or value not in allowed:
        shown = repr(value) if isinstance(value, str) and len(value) <= 40 else _describe(value)
        raise _error(
            f"{what} must be one of {', '.join(allowed)}, not {shown}{_suggest(value, allowed)}",
            node.loc,
            node.path,
        )
    return value


def _int(node: _Node, low: int, high: int | None, what: str) -> int:
    value = node.value
    bounds = f"from {low} to {high}" if high is not None else f"{low} or more"
    if type(value) is not int or value < low or (high is not None and value > high):
        shown = str(value) if type(value) is int else _describe(value)
        raise _error(f"{what} must be a whole number {bounds}, not {shown}", node.loc, node.path)
    return value


def _bool(node: _Node, what: str) -> bool:
    if not isinstance(node.value, bool):
        raise _error(
            f"{what} must be true or false, not {_describe(node.value)}", node.loc, node.path
        )
    return node.value


def _dir_of(file: str) -> str:
    if file.startswith("<") and file.endswith(">"):
        return "."
    return os.path.dirname(os.path.abspath(file))
