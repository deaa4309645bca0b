"""A resumable statement splitter for psql scripts, as psql itself splits them.

It finds where each SQL statement or psql meta-command ends without being
fooled by string literals (``'...'`` with ``''``, ``E'...'`` with backslash
escapes), quoted identifiers, dollar quotes (``$$``, ``$tag$``), comments
(``--`` and nested ``/* */``) or parentheses (a ``;`` inside parentheses does
not end a statement, as in psql).  It never changes a byte: it only tells the
rewriter where units begin and end, so that everything it does not rewrite
passes through byte for byte.

The splitter works on the caller's buffer and keeps its scan state between
calls, so a statement that arrives over many chunks is scanned once.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import DumpError
from ..regex_cache import compile_cached

__all__ = ["SqlSplitter", "Unit"]

# Bytes that can change the scanner's state outside quotes and comments.
_SPECIAL = compile_cached(rb"[-/'\"$\\;()]")
_NON_SPACE = compile_cached(rb"\S")
_IDENT_BYTE = compile_cached(rb"[A-Za-z0-9_$\x80-\xff]")
_DOLLAR_TAG = compile_cached(rb"\$(?:[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*)?\$")
_DOLLAR_TAG_PREFIX = compile_cached(rb"\$(?:[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*)?\Z")

_NORMAL, _SQUOTE, _EQUOTE, _DQUOTE, _DOLLAR, _LINE_COMMENT, _BLOCK_COMMENT = range(7)

# A whole plain statement in one match (what most units of a dump are: pg_dump's
# INSERTs, SETs, ALTERs): bytes that change nothing, "-" and "/" that start no
# comment, string literals not preceded by E or e, and parentheses two deep, up to
# the ";".  Anything else (a comment, a quoted identifier, a dollar quote, an E''
# string, a backslash outside a string, deeper parentheses, a statement not yet
# whole in the buffer) is left to the byte-by-byte scan of next_unit.
_PLAIN = rb"(?:[^-/'\"$\\;()]|-(?!-)|/(?!\*))"
# (atomic, and its body possessive: a quote pair is always read as one quote, as the
# scan reads it, so a statement that is not whole yet fails in linear time instead of
# trying every way of cutting its strings at their quote pairs)
_STRING = rb"(?<![Ee])(?>'(?:[^']|'')*+')"
_INNER = rb"\((?:" + _PLAIN + rb"|" + _STRING + rb")*\)"
_SIMPLE_UNIT = compile_cached(
    rb"(?:" + _PLAIN + rb"|" + _STRING + rb"|\((?:" + _PLAIN + rb"|" + _STRING + rb"|" + _INNER
    + rb")*\))*;"
)


@dataclass(frozen=True)
class Unit:
    """One complete unit of the script, as offsets into the scanned buffer.

    ``start``..``end`` covers the unit including the comments and white space
    before it; ``content`` is the offset of its first byte that is neither;
    ``meta`` is true for a psql meta-command line (``\\connect ...``), whose
    ``end`` includes the newline.  For a statement, ``end`` is just past the
    ``;``.
    """

    start: int
    content: int
    end: int
    meta: bool


class SqlSplitter:
    """Splits a growing buffer into units; ``next_unit`` resumes where it stopped."""

    def __init__(self) -> None:
        self.standard_strings = True
        self.reset(0)

    def reset(self, start: int) -> None:
        """Start a new unit at ``start`` (after a unit ended or the buffer moved)."""
        self.start = start
        self.scan = start
        self.state = _NORMAL
        self.paren = 0
        self.depth = 0
        self.tag = b""
        self.content = -1

    def shift(self, delta: int) -> None:
        """The caller dropped ``delta`` bytes from the front of its buffer."""
        self.start -= delta
        self.scan -= delta
        if self.content >= 0:
            self.content -= delta

    def pending_content(self) -> bool:
        """True when the unit being scanned has more than white space and comments."""
        return self.content >= 0

    def next_unit(self, buf: bytes, line_of: int = 0) -> Unit | None:
        """Return the next complete unit in ``buf`` or None when more input is needed.

        ``line_of`` is only used for error messages: the line number of
        ``self.start``.
        """
        n = len(buf)
        i = self.scan
        if self.state == _NORMAL and self.paren == 0 and self.standard_strings:
            m = _SIMPLE_UNIT.match(buf, i)
            if m is not None:
                end = m.end()
                if self.content < 0:
                    self.content = _NON_SPACE.search(buf, i, end).start()  # type: ignore[union-attr]
                unit = Unit(self.start, self.content, end, False)
                self.reset(end)
                return unit
        while i < n:
            state = self.state
            if state == _NORMAL:
                m = _SPECIAL.search(buf, i)
                stop = m.start() if m else n
                if self.content < 0 and stop > i:
                    ns = _NON_SPACE.search(buf, i, stop)
                    if ns:
                        self.content = ns.start()
                if m is None:
                    i = n
                    break
                i = stop
                c = buf[i]
                if c == 0x2D:  # '-'
                    if i + 1 >= n:
                        break
                    if buf[i + 1] == 0x2D:
                        self.state = _LINE_COMMENT
                        i += 2
                        continue
                    self._mark_content(i)
                    i += 1
                elif c == 0x2F:  # '/'
                    if i + 1 >= n:
                        break
                    if buf[i + 1] == 0x2A:
                        self.state = _BLOCK_COMMENT
                        self.depth = 1
                        i += 2
                        continue
                    self._mark_content(i)
                    i += 1
                elif c == 0x27:  # '\''
                    self._mark_content(i)
                    escaped = not self.standard_strings or (
                        i > 0
                        and buf[i - 1] in b"Ee"
                        and (i < 2 or not _IDENT_BYTE.match(buf, i - 2))
                    )
                    self.state = _EQUOTE if escaped else _SQUOTE
                    i += 1
                elif c == 0x22:  # '"'
                    self._mark_content(i)
                    self.state = _DQUOTE
                    i += 1
                elif c == 0x24:  # '$'
                    self._mark_content(i)
                    if i > 0 and _IDENT_BYTE.match(buf, i - 1):
                        i += 1
                        continue
                    m2 = _DOLLAR_TAG.match(buf, i)
                    if m2 is None:
                        if _DOLLAR_TAG_PREFIX.match(buf, i):
                            break  # the tag may continue in the next chunk
                        i += 1
                        continue
                    self.tag = m2.group(0)
                    self.state = _DOLLAR
                    i = m2.end()
                elif c == 0x5C:  # backslash: a psql meta-command
                    if self.content >= 0:
                        raise DumpError(
                            "a psql meta-command (backslash) inside an SQL statement is not "
                            "supported",
                            line=line_of + buf.count(b"\n", self.start, i),
                        )
                    nl = buf.find(b"\n", i)
                    if nl < 0:
                        break
                    unit = Unit(self.start, i, nl + 1, True)
                    self.reset(nl + 1)
                    return unit
                elif c == 0x3B:  # ';'
                    self._mark_content(i)
                    i += 1
                    if self.paren == 0:
                        unit = Unit(self.start, self.content, i, False)
                        self.reset(i)
                        return unit
                elif c == 0x28:  # '('
                    self._mark_content(i)
                    self.paren += 1
                    i += 1
                else:  # ')'
                    self._mark_content(i)
                    if self.paren > 0:
                        self.paren -= 1
                    i += 1
            elif state == _SQUOTE:
                j = buf.find(b"'", i)
                if j < 0 or j + 1 >= n:
                    i = n if j < 0 else j
                    break
                if buf[j + 1] == 0x27:
                    i = j + 2
                else:
                    self.state = _NORMAL
                    i = j + 1
            elif state == _EQUOTE:
                m3 = _EQUOTE_STOP.search(buf, i)
                if m3 is None:
                    i = n
                    break
                j = m3.start()
                if buf[j] == 0x5C:
                    if j + 1 >= n:
                        i = j
                        break
                    i = j + 2
                    continue
                if j + 1 >= n:
                    i = j
                    break
                if buf[j + 1] == 0x27:
                    i = j + 2
                else:
                    self.state = _NORMAL
                    i = j + 1
            elif state == _DQUOTE:
                j = buf.find(b'"', i)
                if j < 0 or j + 1 >= n:
                    i = n if j < 0 else j
                    break
                if buf[j + 1] == 0x22:
                    i = j + 2
                else:
                    self.state = _NORMAL
                    i = j + 1
            elif state == _DOLLAR:
                j = buf.find(self.tag, i)
                if j < 0:
                    # keep the last len(tag)-1 bytes: the closing tag may be split
                    i = max(i, n - len(self.tag) + 1)
                    break
                self.state = _NORMAL
                i = j + len(self.tag)
            elif state == _LINE_COMMENT:
                j = buf.find(b"\n", i)
                if j < 0:
                    i = n
                    break
                self.state = _NORMAL
                i = j + 1
            else:  # block comment, nested as in PostgreSQL
                m4 = _BLOCK_TOKENS.search(buf, i)
                if m4 is None:
                    i = max(i, n - 1)
                    break
                tok = m4.group(0)
                if tok == b"*/":
                    self.depth -= 1
                    i = m4.end()
                    if self.depth == 0:
                        self.state = _NORMAL
                elif tok == b"/*":
                    self.depth += 1
                    i = m4.end()
                elif m4.end() >= n:
                    i = m4.start()  # a lone '/' at the end may start '/*'
                    break
                else:
                    i = m4.end()
        self.scan = i
        return None

    def _mark_content(self, i: int) -> None:
        if self.content < 0:
            self.content = i

    def describe_state(self) -> str:
        """Where an unfinished unit stands, for the truncated-input message."""
        return {
            _NORMAL: "an SQL statement",
            _SQUOTE: "a string literal",
            _EQUOTE: "a string literal",
            _DQUOTE: "a quoted identifier",
            _DOLLAR: "a dollar-quoted string",
            _LINE_COMMENT: "a comment",
            _BLOCK_COMMENT: "a comment",
        }[self.state]


_BLOCK_TOKENS = compile_cached(rb"\*/|/\*?")
_EQUOTE_STOP = compile_cached(rb"['\\]")
