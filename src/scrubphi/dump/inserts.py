"""The INSERT forms pg_dump writes, read value by value.

``pg_dump --inserts``, ``--column-inserts``, ``--rows-per-insert=N`` and
``--on-conflict-do-nothing`` write statements of this shape::

    INSERT INTO schema.table [(col, ...)] [OVERRIDING SYSTEM VALUE] VALUES
        (literal, ...)[, (literal, ...)]... [ON CONFLICT DO NOTHING];

where each literal is ``NULL``, ``DEFAULT`` (a generated column), a number,
``true``/``false``, a bit string (``B'1010'``), or a string literal
(``'...'`` with ``''``, raw newlines allowed; backslash escapes only under
``standard_conforming_strings = off`` or in ``E'...'``).  Anything else is
refused: the rewriter fails closed rather than pass a value it did not understand.

The parser records where each literal lies so the rewriter can splice in
only the values that change, leaving every other byte as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from .._impl import codec_function
from ..errors import TransformError
from ..regex_cache import compile_cached

__all__ = [
    "InsertError",
    "InsertStatement",
    "Literal",
    "literal_value",
    "parse_insert",
    "quote_literal",
]

_IDENT = rb'(?:"(?:[^"]|"")*"|[A-Za-z_\x80-\xff][A-Za-z0-9_$\x80-\xff]*)'
_HEAD = compile_cached(
    rb"INSERT\s+INTO\s+(" + _IDENT + rb")(?:\s*\.\s*(" + _IDENT + rb"))?\s*", re.I
)
_COLUMN = compile_cached(rb"\s*(" + _IDENT + rb")\s*([,)])")
_OVERRIDING = compile_cached(rb"OVERRIDING\s+(?:SYSTEM|USER)\s+VALUE\s*", re.I)
_VALUES = compile_cached(rb"VALUES\s*", re.I)
_DEFAULT_VALUES = compile_cached(rb"DEFAULT\s+VALUES\s*;\s*\Z", re.I)
_TAIL = compile_cached(rb"\s*(?:ON\s+CONFLICT\s+DO\s+NOTHING\s*)?;\s*\Z", re.I)
_SPACE = compile_cached(rb"\s*")
_WORD = compile_cached(rb"(?:NULL|DEFAULT|TRUE|FALSE)\b", re.I)
_NUMBER = compile_cached(rb"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_CAST = compile_cached(rb"\s*::\s*" + _IDENT + rb"(?:\s*\.\s*" + _IDENT + rb")?(?:\s*\[\s*\])*")
_PLAIN_STRING = compile_cached(rb"'(?:[^']|'')*'")
_BIT_STRING = compile_cached(rb"[Bb]'[01]*'")
_ESCAPE_STRING = compile_cached(rb"[Ee]'(?:[^'\\]|''|\\.)*'", re.S)
_BACKSLASH_STRING = compile_cached(rb"'(?:[^'\\]|''|\\.)*'", re.S)
_E_ESCAPES = compile_cached(
    rb"\\(x[0-9A-Fa-f]{1,2}|[0-7]{1,3}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.S
)
_SIMPLE_ESCAPES = {b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t"}


class InsertError(ValueError):
    """The statement is not an INSERT form that pg_dump writes (the message says which part)."""


class Literal(NamedTuple):
    """One value of a VALUES row: where it lies and what it means.

    ``kind`` is ``null``, ``default``, ``word`` (true/false/number), ``bits``
    (``B'1010'``, a bit-string constant) or ``string``; ``start``/``end`` cover the
    literal without any ``::cast``.  (A named tuple: a dump's INSERTs make millions.)
    """

    kind: str
    start: int
    end: int
    escaped: bool = False  # backslash escapes were active in this string literal


@dataclass(frozen=True)
class InsertStatement:
    """A parsed INSERT: target, optional column list and the rows' literals."""

    schema: bytes | None
    table: bytes
    columns: tuple[bytes, ...] | None
    rows: tuple[tuple[Literal, ...], ...]
    default_values: bool = False


def parse_insert(text: bytes, *, standard_strings: bool = True) -> InsertStatement:
    """Parse one complete INSERT statement (``text`` ends with ``;``)."""
    m = _HEAD.match(text)
    if m is None:
        raise InsertError("cannot read the target table")
    first, second = m.group(1), m.group(2)
    schema, table = (first, second) if second is not None else (None, first)
    pos = m.end()
    if _DEFAULT_VALUES.match(text, pos):
        return InsertStatement(schema, table, None, (), default_values=True)
    columns: tuple[bytes, ...] | None = None
    if text.startswith(b"(", pos):
        names: list[bytes] = []
        pos += 1
        while True:
            cm = _COLUMN.match(text, pos)
            if cm is None:
                raise InsertError("cannot read the column list")
            names.append(cm.group(1))
            pos = cm.end()
            if cm.group(2) == b")":
                break
        columns = tuple(names)
        pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
    om = _OVERRIDING.match(text, pos)
    if om is not None:
        pos = om.end()
    vm = _VALUES.match(text, pos)
    if vm is None:
        raise InsertError("only INSERT ... VALUES is understood (not INSERT ... SELECT)")
    pos = vm.end()
    fast = _fast_rows(text, pos, standard_strings)
    if fast is not None:
        return InsertStatement(schema, table, columns, fast)
    rows: list[tuple[Literal, ...]] = []
    string_re = _PLAIN_STRING if standard_strings else _BACKSLASH_STRING
    n = len(text)
    while True:
        if not text.startswith(b"(", pos):
            raise InsertError("expected ( to start a row of VALUES")
        pos += 1
        row: list[Literal] = []
        while True:
            pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
            if pos >= n:
                raise InsertError("the statement ends inside a row of VALUES")
            c = text[pos]
            if c == 0x27:  # '
                sm = string_re.match(text, pos)
                if sm is None:
                    raise InsertError("unterminated string literal")
                row.append(Literal("string", pos, sm.end(), not standard_strings))
                pos = sm.end()
            elif c in b"Bb" and text.startswith(b"'", pos + 1):
                bm = _BIT_STRING.match(text, pos)
                if bm is None:
                    raise InsertError("a bit-string literal holds more than 0 and 1")
                row.append(Literal("bits", pos, bm.end()))
                pos = bm.end()
            elif c in b"Ee" and text.startswith(b"'", pos + 1):
                sm = _ESCAPE_STRING.match(text, pos)
                if sm is None:
                    raise InsertError("unterminated string literal")
                row.append(Literal("string", pos, sm.end(), True))
                pos = sm.end()
            else:
                wm = _WORD.match(text, pos)
                if wm is not None:
                    word = wm.group(0).upper()
                    kind = {b"NULL": "null", b"DEFAULT": "default"}.get(word, "word")
                    row.append(Literal(kind, pos, wm.end()))
                    pos = wm.end()
                else:
                    nm = _NUMBER.match(text, pos)
                    if nm is None or nm.end() == pos:
                        raise InsertError("a value in VALUES is not a literal pg_dump writes")
                    row.append(Literal("word", pos, nm.end()))
                    pos = nm.end()
            cast = _CAST.match(text, pos)
            if cast is not None:
                pos = cast.end()
            pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
            if text.startswith(b",", pos):
                pos += 1
                continue
            if text.startswith(b")", pos):
                pos += 1
                break
            raise InsertError("expected , or ) after a value")
        rows.append(tuple(row))
        pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
        if text.startswith(b",", pos):
            pos = _SPACE.match(text, pos + 1).end()  # type: ignore[union-attr]
            continue
        if _TAIL.match(text, pos):
            break
        raise InsertError("unexpected text after the VALUES rows")
    return InsertStatement(schema, table, columns, tuple(rows))


# The values pg_dump writes most, each with what follows it, in one match: a string
# (group s), NULL, DEFAULT, true or false (w), a number (n), an optional cast, then the
# "," or ")" after it (end).  The literal's patterns are _PLAIN_STRING's or
# _BACKSLASH_STRING's, _WORD's and _NUMBER's; the cast is matched as _CAST.match would
# (an atomic group: no other length of it is tried).  Anything else (a bit string, an
# E'' string, a malformed value) is left to parse_insert's value-by-value reading,
# which says what is wrong.
_ITEM_TAIL = rb"))(?>" + _CAST.pattern + rb")?\s*(?P<end>[,)])"
_ITEM_PLAIN = compile_cached(
    rb"\s*(?:(?P<s>" + _PLAIN_STRING.pattern + rb")|(?P<w>(?i:NULL|DEFAULT|TRUE|FALSE)\b)"
    rb"|(?P<n>" + _NUMBER.pattern + _ITEM_TAIL
)
_ITEM_BACKSLASH = compile_cached(
    rb"\s*(?:(?P<s>" + _BACKSLASH_STRING.pattern + rb")|(?P<w>(?i:NULL|DEFAULT|TRUE|FALSE)\b)"
    rb"|(?P<n>" + _NUMBER.pattern + _ITEM_TAIL,
    re.S,
)
_ROW_NEXT = compile_cached(rb"\s*,\s*\(")
_WORD_KINDS = {b"NULL": "null", b"DEFAULT": "default"}
Rows = tuple[tuple[Literal, ...], ...]
# The compiled reader of rows, when the compiled codec is in use.
_C_ROWS: Callable[..., tuple[Rows, int] | None] | None = codec_function("insert_rows")


def _fast_rows(text: bytes, pos: int, standard_strings: bool) -> Rows | None:
    """The rows of VALUES from ``pos`` when every value is one _ITEM_* reads and the
    statement's tail follows them, else None.

    The same rows as parse_insert's value-by-value reading: in C when the compiled
    codec is in use (``_fast.insert_rows``), else :func:`_py_fast_rows`, its twin.
    """
    got = (_py_fast_rows(text, pos, standard_strings) if _C_ROWS is None
           else _C_ROWS(text, pos, standard_strings, Literal))
    if got is None:
        return None
    rows, end = got
    return rows if _TAIL.match(text, end) else None


def _py_fast_rows(text: bytes, pos: int, standard_strings: bool) -> tuple[Rows, int] | None:
    """The rows from ``pos``, one match per value, and where the last one ends (what
    follows is the caller's to check); None where a value is not one _ITEM_* reads."""
    item = _ITEM_PLAIN if standard_strings else _ITEM_BACKSLASH
    escaped = not standard_strings
    rows: list[tuple[Literal, ...]] = []
    while True:
        if not text.startswith(b"(", pos):
            return None
        pos += 1
        row: list[Literal] = []
        while True:
            m = item.match(text, pos)
            if m is None:
                return None
            string, word, _number, end = m.groups()
            if string is not None:
                row.append(Literal("string", *m.span(1), escaped))
            elif word is not None:
                row.append(Literal(_WORD_KINDS.get(word.upper(), "word"), *m.span(2)))
            else:
                row.append(Literal("word", *m.span(3)))
            pos = m.end()
            if end == b")":
                break
        rows.append(tuple(row))
        nxt = _ROW_NEXT.match(text, pos)
        if nxt is None:
            return tuple(rows), pos
        pos = nxt.end() - 1


def literal_value(text: bytes, lit: Literal) -> str | None:
    """The value a literal stands for, in PostgreSQL's text form (None for NULL)."""
    if lit.kind == "null":
        return None
    raw = text[lit.start : lit.end]
    if lit.kind == "word":
        return raw.decode("ascii")
    if lit.kind == "bits":
        return raw[2:-1].decode("ascii")  # B'1010': the bit string's text form is 1010
    if raw[:1] in b"Ee":
        raw = raw[1:]
    body = raw[1:-1].replace(b"''", b"'")
    if lit.escaped:
        body = _E_ESCAPES.sub(_unescape, body)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Raised outside the handler: the decode error's text holds the bytes.
    raise TransformError("invalid UTF-8 in a string literal")


def _unescape(m: re.Match[bytes]) -> bytes:
    esc = m.group(1)
    if esc in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[esc]
    if esc[:1] == b"x":
        return bytes((int(esc[1:], 16),))
    if esc[:1] in b"uU" and len(esc) > 1:
        return chr(int(esc[1:], 16)).encode("utf-8")
    if esc[:1].isdigit():
        return bytes((int(esc, 8) & 0xFF,))
    return esc


def quote_literal(value: str | None, *, standard_strings: bool = True) -> bytes:
    """A literal for ``value``: NULL, or a quoted string as pg_dump would write it."""
    if value is None:
        return b"NULL"
    body = value.replace("'", "''")
    if not standard_strings:
        body = body.replace("\\", "\\\\")
    return ("'" + body + "'").encode("utf-8")
