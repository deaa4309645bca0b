"""The COPY row codec in pure Python: the reference twin of ``_fast.pyx``.

Why two: the compiled codec is what makes scrubbing fast, but a machine
without a compiler must still be able to scrub, and a second, simpler
implementation is what the differential tests hold the compiled one to.  Both
twins must agree byte for byte on output, counts and errors; a change of
behaviour touches both in the same commit.

The format is PostgreSQL's COPY text format: a row is a line ending in
``\\n``, fields are separated by TAB, ``\\N`` as a whole field is NULL, and
data bytes are backslash-escaped.  Only the fields named in the plan are ever
unescaped and decoded; every other byte is copied as it came.

Nothing here puts a cell's value into an error: errors carry a reason, the
0-based row index within the buffer and the field index.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from scrubphi.errors import CodecError, TransformError

__all__ = [
    "IMPLEMENTATION",
    "MEMO_LIMIT",
    "MEMO_PROBATION",
    "MEMO_VERDICT",
    "CopyRewriter",
    "check_line",
    "escape_field",
    "unescape_field",
]

IMPLEMENTATION = "pure"

#: A per-column memo is cleared when it holds this many entries, so memory stays bounded.
MEMO_LIMIT = 65536
#: A memo is judged on its hit rate every MEMO_VERDICT lookups, and when it first holds
#: MEMO_PROBATION values (again after it was emptied): under 1/16 hits since the last
#: verdict it is emptied (the compiled twin does the same, and switches a kernel's memo
#: off under 1/4), so values that never repeat never fill more than MEMO_PROBATION.
MEMO_PROBATION = 4096
MEMO_VERDICT = 8192

_NULL = b"\\N"
_END_OF_DATA = b"\\."

# ``\\`` followed by: 1..3 octal digits | x and 1..2 hex digits | any one byte | nothing at all.
_ESCAPE_RE = re.compile(rb"\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|(.)|\Z)", re.DOTALL)
_SIMPLE = {
    ord("\\"): b"\\",
    ord("b"): b"\b",
    ord("f"): b"\f",
    ord("n"): b"\n",
    ord("r"): b"\r",
    ord("t"): b"\t",
    ord("v"): b"\v",
}
# The bytes CopyAttributeOutText escapes; ``\\`` must be replaced first.
_OUT_ESCAPES = (
    (b"\\", b"\\\\"),
    (b"\b", b"\\b"),
    (b"\f", b"\\f"),
    (b"\n", b"\\n"),
    (b"\r", b"\\r"),
    (b"\t", b"\\t"),
    (b"\v", b"\\v"),
)
_OUT_SPECIAL = re.compile(rb"[\\\b\f\n\r\t\v]")

# Memo flags: what a transform did to a value.
_SAME = 0
_CHANGED = 1
_NULLED = 2


class _BadEscape(Exception):
    """Internal signal from the substitution callback; never escapes this module."""


def _replace_escape(match: re.Match[bytes]) -> bytes:
    octal, hexa, other = match.group(1, 2, 3)
    if octal is not None:
        # PostgreSQL keeps the low 8 bits of an octal escape such as \777.
        return bytes((int(octal, 8) & 0xFF,))
    if hexa is not None:
        return bytes((int(hexa, 16),))
    if other is not None:
        simple = _SIMPLE.get(other[0])
        if simple is not None:
            return simple
    raise _BadEscape


def _unescape(raw: bytes, row: int, field: int) -> bytes | None:
    """Strictly unescape one raw field; ``None`` for ``\\N``.

    A raw CR is checked before escapes so both twins report the same error
    when a field has both problems.
    """
    if raw == _NULL:
        return None
    if b"\r" in raw:
        raise CodecError("literal carriage return", row, field)
    if b"\\" not in raw:
        return raw
    try:
        return _ESCAPE_RE.sub(_replace_escape, raw)
    except _BadEscape:
        pass
    raise CodecError("bad escape sequence", row, field)


#: Longest field the compiled twin tests a when condition on (its kernels' KMAX_IN).
_KMAX_IN = 1024


def _const_bytes(const: str | None) -> tuple[bytes, bool]:
    """A null or value constant as COPY writes it, and whether it is NULL."""
    return (_NULL if const is None else escape_field(const.encode("utf-8")), const is None)


def _plain(raw: bytes) -> bool:
    """Printable ASCII without backslash (the compiled twin's ``_fast_domain``)."""
    return len(raw) <= _KMAX_IN and all(32 <= c <= 126 and c != 92 for c in raw)


def _when_const(reads: tuple[int, ...], kernel: tuple[Any, ...], fields: list[bytes]
                ) -> tuple[bytes, bool] | None:
    """The constant of the null or value branch a when transform's conditions choose on
    the raw fields, as the compiled twin's ``_when_action`` chooses it; None where it
    would not choose (a tested field that is not printable ASCII: the function decides)
    or chooses another branch."""
    _, cases, otherwise = kernel
    chosen = otherwise
    for conds, branch in cases:
        ok = True
        for position, op, args in conds:
            raw = fields[reads[position]]
            isnull = raw == _NULL
            if not isnull and not _plain(raw):
                return None
            if op == 0:
                hit = isnull
            elif op == 1:
                hit = not isnull
            elif isnull:
                hit = False
            elif op == 4:
                hit = bool(args[0](raw.decode("ascii")))
            else:
                hit = (raw in args) != (op == 3)
            if not hit:
                ok = False
                break
        if ok:
            chosen = branch
            break
    if chosen[0] == "kernel" and len(chosen) == 2 and chosen[1][0] == "const":
        return _const_bytes(chosen[1][3][0])
    return None


def _decode(raw: bytes, row: int, field: int) -> str | None:
    """Unescape and decode one field as strict UTF-8 (``None`` for NULL)."""
    data = _unescape(raw, row, field)
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Raised outside the handler so the decode error (which holds the data) is not chained.
    raise CodecError("invalid UTF-8", row, field)


_ESCAPABLE = frozenset(b"\\bfnrtv01234567")
_HEX = frozenset(b"0123456789abcdefABCDEF")
_COPY_HEAD = b"COPY "
_COPY_TAIL = b" FROM stdin;"


def check_line(line: bytes, row: int) -> None:
    """Validate one whole COPY row as pg_dump writes it, whatever the plan.

    Every block (kept, dropped or rewritten) is checked so that a damaged
    end-of-data line cannot turn what follows into rows: no raw carriage
    return (CRLF line endings), no line that is a COPY statement (the
    previous block's ``\\.`` is missing), and every backslash starts an
    escape that ``_unescape`` accepts (``\\N`` only as a whole field).  The
    field count is checked by the caller.
    """
    cr = line.find(b"\r")
    if cr >= 0:
        raise CodecError("literal carriage return", row, line.count(b"\t", 0, cr))
    if line.startswith(_COPY_HEAD) and line.endswith(_COPY_TAIL):
        raise CodecError(
            "a row is a COPY statement: the end-of-data line before it is missing or damaged",
            row,
        )
    k = line.find(b"\\")
    n = len(line)
    while k >= 0:
        nxt = line[k + 1] if k + 1 < n else -1
        if nxt in _ESCAPABLE or (nxt == 0x78 and k + 2 < n and line[k + 2] in _HEX) or (
            nxt == 0x4E and (k == 0 or line[k - 1] == 9) and (k + 2 == n or line[k + 2] == 9)
        ):
            k = line.find(b"\\", k + 2)
            continue
        raise CodecError("bad escape sequence", row, line.count(b"\t", 0, k))


def escape_field(value: bytes) -> bytes:
    """Escape bytes the way PostgreSQL's CopyAttributeOutText does.

    Backslash and BS FF LF CR TAB VT become two-character escapes; every other
    byte, other control characters and DEL included, is written raw.
    """
    if _OUT_SPECIAL.search(value) is None:
        return value
    for old, new in _OUT_ESCAPES:
        value = value.replace(old, new)
    return value


def unescape_field(raw: bytes) -> bytes | None:
    """Strictly unescape one raw COPY field; ``None`` for ``\\N``.

    Raises ``CodecError`` (row 0, field 0) on a bad escape or a raw CR.
    """
    return _unescape(raw, 0, 0)


def _encode_output(out: str, row: int, field: int) -> bytes:
    try:
        return out.encode("utf-8")
    except UnicodeEncodeError:
        pass
    raise CodecError("transform returned text that is not encodable as UTF-8", row, field)


class CopyRewriter:
    """Rewrites the rows of one COPY block, changing only the planned fields.

    ``plan`` holds ``(field_index, fn, per_index, cacheable)``: ``fn(value)``
    when ``per_index`` is -1, otherwise ``fn(value, per_value)`` with the
    decoded original value of field ``per_index``; a tuple of indexes gives
    ``fn(value, *values)`` (a ``when`` transform).  ``fn`` gets ``str`` or
    ``None`` (NULL) and returns ``str`` or ``None``.  With ``cacheable`` (and no
    per field) results are memoised by the raw field bytes.  An entry may carry
    a 5th element, ``BuiltTransform.kernel``, which only the compiled twin uses.
    """

    __slots__ = ("_busy", "_consts", "_counts", "_judge", "_max_row", "_ncols", "_plan",
                 "_rows", "_whens")

    def __init__(
        self,
        ncols: int,
        plan: Sequence[
            tuple[int, Callable[..., str | None], int | tuple[int, ...], bool]
            | tuple[int, Callable[..., str | None], int | tuple[int, ...], bool,
                    tuple[Any, ...] | None]
        ],
        max_row: int,
    ) -> None:
        ncols = int(ncols)
        max_row = int(max_row)
        if ncols < 0:
            raise ValueError("ncols must not be negative")
        if max_row < 0:
            raise ValueError("max_row must not be negative")
        entries: list[
            tuple[int, int, Callable[..., str | None], int, dict[bytes, Any] | None,
                  tuple[int, ...]]
        ] = []
        seen: set[int] = set()
        consts: dict[int, tuple[bytes, bool]] = {}
        whens: dict[int, tuple[tuple[int, ...], tuple[Any, ...]]] = {}
        for index, entry in enumerate(plan):
            # A 5th element, the transform's kernel description, is for the compiled twin
            # (and for null and value: the constant, written as the compiled twin writes it).
            field, fn, per_spec, cacheable = entry[:4]
            kernel = entry[4] if len(entry) > 4 else None
            if kernel is not None and kernel[0] == "const" and not isinstance(per_spec, tuple) \
                    and int(per_spec) == -1:
                const = kernel[3][0]
                consts[int(field)] = _const_bytes(const)
            elif kernel is not None and kernel[0] == "when" and isinstance(per_spec, tuple):
                whens[int(field)] = (tuple(int(p) for p in per_spec), kernel)
            field = int(field)
            reads: tuple[int, ...] = ()
            if isinstance(per_spec, tuple):
                reads = tuple(int(p) for p in per_spec)
                if not reads or any(not 0 <= p < ncols for p in reads):
                    raise ValueError(f"plan per-field indexes out of range for {ncols} fields")
                per = -2
            else:
                per = int(per_spec)
            if not 0 <= field < ncols:
                raise ValueError(f"plan field index {field} out of range for {ncols} fields")
            if field in seen:
                raise ValueError(f"plan field index {field} appears twice")
            seen.add(field)
            if not -2 <= per < ncols or (per == -2 and not reads):
                raise ValueError(f"plan per-field index {per} out of range for {ncols} fields")
            if not callable(fn):
                raise TypeError(
                    f"plan entry for field {field} has a transform that is not callable"
                )
            memo: dict[bytes, Any] | None = {} if (cacheable and per == -1) else None
            entries.append((field, index, fn, per, memo, reads))
        # Fields are handled left to right whatever the plan's order (so are errors);
        # counts stay indexed by plan entry.
        entries.sort(key=lambda e: e[0])
        self._ncols = ncols
        self._max_row = max_row
        self._plan = entries
        self._consts = consts
        self._whens = whens
        self._rows = 0
        self._counts = [0] * (2 * len(entries))
        # Per plan entry: [lookups, hits, passed a verdict since last emptied] of its memo.
        self._judge = [[0, 0, 0] for _ in entries]
        self._busy = False

    @property
    def rows(self) -> int:
        """Rows rewritten so far by successful ``process`` calls (``\\.`` not counted)."""
        return self._rows

    @property
    def memo_sizes(self) -> list[int]:
        """Per plan entry: the values its memo holds now, or -1 when it has none."""
        out = [0] * len(self._plan)
        for _field, i, _fn, _per, memo, _reads in self._plan:
            out[i] = -1 if memo is None else len(memo)
        return out

    @property
    def counts(self) -> list[int]:
        """Per plan entry i: ``[2*i]`` values changed, ``[2*i+1]`` values made NULL."""
        return list(self._counts)

    def _too_long(self, row: int) -> CodecError:
        return CodecError(f"row longer than the limit of {self._max_row} bytes", row)

    def process(self, buf: bytes, pos: int) -> tuple[bytes, int, bool]:
        """Rewrite every complete line of ``buf[pos:]``.

        Returns ``(output, next_pos, done)``: ``done`` when the ``\\.`` line was
        reached (it is part of the output and ``next_pos`` is just after it),
        otherwise ``next_pos`` is the start of the first incomplete line, which
        the caller keeps and feeds again with more data.  Counts and ``rows``
        change only when the call succeeds.
        """
        n = len(buf)
        if not 0 <= pos <= n:
            raise ValueError("pos out of range")
        if self._busy:
            # The compiled twin keeps per-call state on the object; refuse in both.
            raise RuntimeError("CopyRewriter.process is not reentrant")
        self._busy = True
        try:
            return self._process(buf, pos)
        finally:
            self._busy = False

    def _process(self, buf: bytes, pos: int) -> tuple[bytes, int, bool]:
        n = len(buf)
        start = pos
        max_row = self._max_row
        ncols = self._ncols
        plan = self._plan
        consts = self._consts
        whens = self._whens
        counts = list(self._counts)
        judge = self._judge
        out: list[bytes] = []
        pending = pos  # input from here on has not been copied to ``out`` yet
        row = 0
        done = False
        find = buf.find
        while True:
            nl = find(b"\n", pos)
            if nl < 0:
                if n - pos > max_row:
                    raise self._too_long(row)
                break
            if nl - pos > max_row:
                raise self._too_long(row)
            line = buf[pos:nl]
            if line == _END_OF_DATA:
                pos = nl + 1
                done = True
                break
            check_line(line, row)
            if ncols == 0:
                if line:
                    found = line.count(b"\t") + 1
                    raise CodecError(f"expected 0 fields, found {found}", row)
                row += 1
                pos = nl + 1
                continue
            fields = line.split(b"\t")
            if len(fields) != ncols:
                raise CodecError(f"expected {ncols} fields, found {len(fields)}", row)
            # Rewritten fields go to a copy made on the first change: per fields
            # must see the original values.
            new_fields: list[bytes] | None = None
            decoded: dict[int, str | None] = {}
            for field, i, fn, per, memo, reads in plan:
                raw = fields[field]
                const = consts.get(field) if consts else None
                if const is None and whens and field in whens:
                    # a when column whose conditions choose a null or value branch on the
                    # raw fields, as the compiled twin chooses it
                    const = _when_const(*whens[field], fields)
                if const is not None:
                    # null and value: the constant, unless the field already is it, without
                    # reading the field (invalid UTF-8 in a nulled column is no error), as the
                    # compiled twin does; a field with a backslash that is not the constant's
                    # bytes goes to the function, which compares decoded text.
                    escaped, nulls = const
                    if raw == escaped:
                        continue
                    if nulls or b"\\" not in raw or raw == _NULL:
                        if new_fields is None:
                            new_fields = fields.copy()
                        new_fields[field] = escaped
                        counts[2 * i + nulls] += 1
                        continue
                if memo is not None:
                    hit = memo.get(raw)
                    tally = judge[i]
                    tally[0] += 1
                    if hit is not None:
                        tally[1] += 1
                    if tally[0] >= MEMO_VERDICT or (not tally[2] and len(memo) >= MEMO_PROBATION):
                        if tally[1] * 16 < tally[0]:
                            memo.clear()  # values barely repeat: on probation again
                            tally[2] = 0
                        else:
                            tally[2] = 1
                        tally[0] = tally[1] = 0
                    if hit is not None:
                        flag, escaped = hit
                        if flag != _SAME:
                            if new_fields is None:
                                new_fields = fields.copy()
                            new_fields[field] = escaped
                            counts[2 * i + flag - 1] += 1
                        continue
                value = decoded[field] if field in decoded else _decode(raw, row, field)
                decoded[field] = value
                try:
                    if per == -1:
                        result = fn(value)
                    elif per == -2:
                        for p in reads:
                            if p not in decoded:
                                decoded[p] = _decode(fields[p], row, p)
                        result = fn(value, *[decoded[p] for p in reads])
                    else:
                        if per in decoded:
                            per_value = decoded[per]
                        else:
                            per_value = decoded[per] = _decode(fields[per], row, per)
                        result = fn(value, per_value)
                except TransformError as exc:
                    raise CodecError(exc.reason, row, field) from None
                if result is None:
                    if value is None:
                        flag, escaped = _SAME, raw
                    else:
                        flag, escaped = _NULLED, _NULL
                elif not isinstance(result, str):
                    raise TypeError(
                        f"transform for field {field} returned {type(result).__name__},"
                        " expected str or None"
                    )
                elif value is not None and result == value:
                    flag, escaped = _SAME, raw
                else:
                    flag = _CHANGED
                    escaped = escape_field(_encode_output(result, row, field))
                if memo is not None:
                    if len(memo) >= MEMO_LIMIT:
                        memo.clear()
                    memo[raw] = (flag, escaped)
                if flag != _SAME:
                    if new_fields is None:
                        new_fields = fields.copy()
                    new_fields[field] = escaped
                    counts[2 * i + flag - 1] += 1
            if new_fields is not None:
                out.append(buf[pending:pos])
                out.append(b"\t".join(new_fields))
                out.append(b"\n")
                pending = nl + 1
            row += 1
            pos = nl + 1
        self._rows += row
        self._counts = counts
        if not out:
            if start == 0 and pos == n and type(buf) is bytes:
                return buf, pos, done
            return bytes(buf[start:pos]), pos, done
        out.append(buf[pending:pos])
        return b"".join(out), pos, done
