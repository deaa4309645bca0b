"""PostgreSQL array text form: parse, map each element, write back.

Why: an array column (``text[]``) holds one value per element; a transform
such as ``{fake: email}`` must replace each element, not the braces.  The
writer follows ``array_out``: an element is double-quoted when it is empty,
equals ``NULL`` in any case, or contains ``{ } , " \\`` or white space, and
inside quotes ``"`` and ``\\`` are backslash-escaped.  A bounds prefix
(``[0:2]={...}``) is kept as it is.  The delimiter is ``,`` (every type but
``box``, which scrubphi does not transform).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["format_array", "map_array", "parse_array"]

# array_isspace(): the characters array_in skips and array_out quotes.
_SPACE = frozenset(" \t\n\r\v\f")
_NEEDS_QUOTE = frozenset('{},"\\') | _SPACE

# A parsed array: nested lists of str (element text) or None (NULL).
Nested = list[Any]


def parse_array(text: str) -> tuple[str, Nested]:
    """Split array text into its bounds prefix (``''`` or ``'[1:2]='``) and nested elements.

    Raises ``ValueError`` (without the value) when the text is not an array.
    """
    i = 0
    n = len(text)
    prefix = ""
    if text.startswith("["):
        eq = text.find("=")
        if eq < 0:
            raise ValueError("malformed array literal: bounds without '='")
        prefix = text[: eq + 1]
        i = eq + 1
    while i < n and text[i] in _SPACE:
        i += 1
    if i >= n or text[i] != "{":
        raise ValueError("malformed array literal: missing '{'")
    result, i = _parse_level(text, i)
    while i < n and text[i] in _SPACE:
        i += 1
    if i != n:
        raise ValueError("malformed array literal: junk after closing '}'")
    return prefix, result


def _parse_level(text: str, i: int) -> tuple[Nested, int]:
    """Parse one ``{...}`` level starting at ``text[i] == '{'``; return it and the next index."""
    n = len(text)
    i += 1
    items: Nested = []
    while True:
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n:
            raise ValueError("malformed array literal: unterminated")
        c = text[i]
        if c == "}" and not items:
            return items, i + 1
        if c == "{":
            sub, i = _parse_level(text, i)
            items.append(sub)
        elif c == '"':
            i += 1
            buf: list[str] = []
            while True:
                if i >= n:
                    raise ValueError("malformed array literal: unterminated quoted element")
                c = text[i]
                if c == "\\":
                    if i + 1 >= n:
                        raise ValueError("malformed array literal: dangling backslash")
                    buf.append(text[i + 1])
                    i += 2
                elif c == '"':
                    i += 1
                    break
                else:
                    buf.append(c)
                    i += 1
            items.append("".join(buf))
        else:
            buf = []
            escaped = False
            last_kept = 0  # length of buf up to the last escaped or non-space char
            while i < n:
                c = text[i]
                if c == "\\":
                    if i + 1 >= n:
                        raise ValueError("malformed array literal: dangling backslash")
                    buf.append(text[i + 1])
                    escaped = True
                    last_kept = len(buf)
                    i += 2
                    continue
                if c in ",}":
                    break
                if c in '{"':
                    raise ValueError("malformed array literal: unexpected character")
                buf.append(c)
                if c not in _SPACE:
                    last_kept = len(buf)
                i += 1
            word = "".join(buf[:last_kept])
            if not escaped and word.upper() == "NULL":
                items.append(None)
            elif not word and not escaped:
                raise ValueError("malformed array literal: empty unquoted element")
            else:
                items.append(word)
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n:
            raise ValueError("malformed array literal: unterminated")
        if text[i] == ",":
            i += 1
            continue
        if text[i] == "}":
            return items, i + 1
        raise ValueError("malformed array literal: expected ',' or '}'")


def _quote(element: str) -> str:
    """Write one element as array_out does."""
    if (
        element == ""
        or element.upper() == "NULL"
        or any(c in _NEEDS_QUOTE for c in element)
    ):
        return '"' + element.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return element


def format_array(prefix: str, items: Nested) -> str:
    """Write nested elements back in array_out's text form."""
    return prefix + _format_level(items)


def _format_level(items: Nested) -> str:
    parts = []
    for item in items:
        if item is None:
            parts.append("NULL")
        elif isinstance(item, list):
            parts.append(_format_level(item))
        else:
            parts.append(_quote(item))
    return "{" + ",".join(parts) + "}"


def _map_level(items: Nested, fn: Callable[[str], str | None]) -> Nested:
    out: Nested = []
    for item in items:
        if item is None:
            out.append(None)
        elif isinstance(item, list):
            out.append(_map_level(item, fn))
        else:
            out.append(fn(item))
    return out


def map_array(text: str, fn: Callable[[str], str | None]) -> str:
    """Apply ``fn`` to every non-NULL element of an array's text form."""
    prefix, items = parse_array(text)
    return format_array(prefix, _map_level(items, fn))
