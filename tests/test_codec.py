"""The COPY row codec: every escape and error, on both twins, and the twins against each other.

Why so much: the codec is where a scrubbed dump can silently go wrong.  A
field split in the wrong place shifts PHI into a column that is kept; an
escape decoded differently by the two twins means a machine without a
compiler writes a different dump.  Unit tests pin each rule of PostgreSQL's
COPY text format; Hypothesis checks round trips, and feeds random dump-like
bodies with random split points to both twins, which must agree byte for byte
with each other and with the one-shot result.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scrubphi import _impl
from scrubphi.errors import CodecError
from shared_paths import PGDUMP_FIXTURES

FIXTURE = PGDUMP_FIXTURES / "edge.pg_dump-15.18.sql"

Plan = list[tuple[int, Callable[..., str | None], int, bool]]


def recorder(seen: list[str | None]) -> Callable[[str | None], str | None]:
    """A transform that keeps its input unchanged and remembers it."""

    def record(v: str | None) -> str | None:
        seen.append(v)
        return v

    return record


def upper(v: str | None) -> str | None:
    return None if v is None else v.upper()


def identity(v: str | None) -> str | None:
    return v


# ---------------------------------------------------------------- the chooser


def test_compiled_codec_loaded() -> None:
    """The compiled codec is in use unless SCRUBPHI_NO_EXTENSIONS asked for pure Python.

    Without this a broken build would silently run every test on the pure twin
    only, and ship a slow scrubber.
    """
    if _impl.NO_EXTENSIONS:
        assert _impl.IMPLEMENTATION == "pure"
    else:
        assert _impl.IMPORT_ERROR is None
        assert _impl.IMPLEMENTATION == "compiled"
        assert _impl.CopyRewriter is _impl.load("compiled").CopyRewriter


def test_load_names_each_twin() -> None:
    """load() returns the twin it is asked for, whatever the environment chose."""
    assert _impl.load("pure").IMPLEMENTATION == "pure"
    if not _impl.NO_EXTENSIONS:
        assert _impl.load("compiled").IMPLEMENTATION == "compiled"


# ---------------------------------------------------------------- unescape / escape

UNESCAPES = [
    (b"plain", b"plain"),
    (b"", b""),
    (b"\\\\", b"\\"),
    (b"\\b", b"\b"),
    (b"\\f", b"\f"),
    (b"\\n", b"\n"),
    (b"\\r", b"\r"),
    (b"\\t", b"\t"),
    (b"\\v", b"\v"),
    (b"\\1", b"\x01"),
    (b"\\12", b"\n"),
    (b"\\101", b"A"),
    (b"\\1014", b"A4"),  # at most three octal digits
    (b"\\18", b"\x018"),  # 8 is not octal
    (b"\\777", b"\xff"),  # PostgreSQL keeps the low 8 bits
    (b"\\0", b"\x00"),
    (b"\\x4", b"\x04"),
    (b"\\x41", b"A"),
    (b"\\x414", b"A4"),  # at most two hex digits
    (b"\\xfF", b"\xff"),
    (b"\\x4g", b"\x04g"),
    (b"a\\\\N", b"a\\N"),
    (b"\\\\.", b"\\."),
    (b"\xe2\x80\xa8\xc2\x85", b"\xe2\x80\xa8\xc2\x85"),  # U+2028, U+0085 are data
    (b"\x01\x7f", b"\x01\x7f"),
]


@pytest.mark.parametrize(("raw", "expected"), UNESCAPES)
def test_unescape_field(codec: ModuleType, raw: bytes, expected: bytes) -> None:
    """Every escape PostgreSQL's COPY text format defines decodes to its bytes."""
    assert codec.unescape_field(raw) == expected


def test_unescape_null(codec: ModuleType) -> None:
    """\\N as a whole field is NULL, not the two characters."""
    assert codec.unescape_field(b"\\N") is None


BAD_ESCAPES = [
    b"\\",  # trailing backslash
    b"abc\\",
    b"a\\Nb",  # \N inside a field
    b"\\N\\N",
    b"x\\N",
    b"\\.",  # end-of-data marker inside a field
    b"a\\.",
    b"\\q",
    b"\\8",
    b"\\x",  # \x without hex digits
    b"\\xg",
    b"\\X41",
    b"\\a",
    b"\\ ",
]


@pytest.mark.parametrize("raw", BAD_ESCAPES)
def test_unescape_bad_escape(codec: ModuleType, raw: bytes) -> None:
    """Escapes PostgreSQL would not produce are errors, not guesses."""
    with pytest.raises(CodecError) as info:
        codec.unescape_field(raw)
    assert (info.value.reason, info.value.row, info.value.field) == ("bad escape sequence", 0, 0)


@pytest.mark.parametrize("raw", [b"\r", b"a\rb", b"a\r\\q"])
def test_unescape_literal_cr(codec: ModuleType, raw: bytes) -> None:
    """A raw CR is an error (pg_dump escapes it), reported before any bad escape."""
    with pytest.raises(CodecError) as info:
        codec.unescape_field(raw)
    assert info.value.reason == "literal carriage return"


ESCAPES = [
    (b"", b""),
    (b"plain", b"plain"),
    (b"\\", b"\\\\"),
    (b"\b\f\n\r\t\v", b"\\b\\f\\n\\r\\t\\v"),
    (b"a\\N", b"a\\\\N"),
    (b"\\.", b"\\\\."),
    (b"\x00\x01\x1b\x7f", b"\x00\x01\x1b\x7f"),  # other controls and DEL stay raw
    ("\u2028\x85é😀".encode(), "\u2028\x85é😀".encode()),
]


@pytest.mark.parametrize(("value", "expected"), ESCAPES)
def test_escape_field(codec: ModuleType, value: bytes, expected: bytes) -> None:
    """Output is escaped exactly like PostgreSQL's CopyAttributeOutText."""
    assert codec.escape_field(value) == expected


@given(st.binary(max_size=200))
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_escape_round_trip_bytes(codec: ModuleType, value: bytes) -> None:
    """Any bytes survive escape then unescape, and the escaped form never holds a TAB, LF or CR."""
    escaped = codec.escape_field(value)
    assert not set(escaped) & {9, 10, 13}
    assert codec.unescape_field(escaped) == value


@given(st.text(max_size=100))
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_escape_round_trip_text(codec: ModuleType, value: str) -> None:
    """Any text (U+2028, controls, astral) survives a rewrite as a transform output and back."""
    try:
        encoded = value.encode()
    except UnicodeEncodeError:
        return  # lone surrogates are not text a transform may return; tested separately
    seen: list[str | None] = []
    rewriter = codec.CopyRewriter(1, [(0, lambda v: value, -1, False)], 10_000)
    out, pos, done = rewriter.process(b"x\n", 0)
    assert (pos, done) == (2, False)
    assert codec.unescape_field(out[:-1]) == encoded
    back = codec.CopyRewriter(1, [(0, recorder(seen), -1, False)], 10_000)
    again, _, _ = back.process(out, 0)
    assert seen == [value]
    assert again == out


@given(st.binary(max_size=40).map(lambda b: b.replace(b"x", b"\\")))
@settings(max_examples=500, deadline=None)
def test_unescape_twins_agree(raw: bytes) -> None:
    """Both twins accept and reject the same raw fields, with the same bytes or error."""
    results = []
    for name in _twin_names():
        try:
            results.append(("ok", _impl.load(name).unescape_field(raw)))  # type: ignore[arg-type]
        except CodecError as exc:
            results.append(("err", exc.reason))
    assert all(r == results[0] for r in results)


# ---------------------------------------------------------------- process: rows and errors


def codec_error(exc: pytest.ExceptionInfo[CodecError]) -> tuple[str, int, int]:
    return exc.value.reason, exc.value.row, exc.value.field


def test_process_rewrites_planned_fields_only(codec: ModuleType) -> None:
    """Only planned fields change; others are copied as they came."""
    rw = codec.CopyRewriter(3, [(1, upper, -1, True)], 1000)
    buf = b"1\tab\\tc\t\\x41 raw\\r\n2\t\\N\tx\n"
    out, pos, done = rw.process(buf, 0)
    assert out == b"1\tAB\\tC\t\\x41 raw\\r\n2\t\\N\tx\n"
    assert (pos, done) == (len(buf), False)
    assert rw.rows == 2
    assert rw.counts == [1, 0]


@pytest.mark.parametrize(
    ("line", "reason", "field"),
    [
        (b"1\tok\t\\q", "bad escape sequence", 2),  # in a field no transform reads
        (b"1\ta\\Nb\tx", "bad escape sequence", 1),  # \N only as a whole field
        (b"1\tx\\", "bad escape sequence", 1),  # a backslash at the end of the row
        (b"1\tx\tz\r", "literal carriage return", 2),  # CRLF line endings
        (b"COPY public.t (a, b, c) FROM stdin;", "a row is a COPY statement", -1),
    ],
)
@pytest.mark.parametrize("planned", [True, False], ids=["rewritten", "kept"])
def test_every_row_is_validated_whole(codec: ModuleType, line: bytes, reason: str, field: int,
                                      planned: bool) -> None:
    """Kept fields and kept blocks are held to pg_dump's format too: a damaged stream
    cannot pass as rows because no transform happens to read the damaged field."""
    rw = codec.CopyRewriter(3, [(0, upper, -1, True)] if planned else [], 1000)
    with pytest.raises(CodecError) as exc:
        rw.process(b"1\tgood\tx\n" + line + b"\n", 0)
    got_reason, row, got_field = codec_error(exc)
    assert got_reason.startswith(reason) and (row, got_field) == (1, field)
    assert rw.rows == 0  # nothing of a failed call counts


def test_process_incomplete_line_waits(codec: ModuleType) -> None:
    """The incomplete last line is left for the caller and nothing of it is emitted."""
    rw = codec.CopyRewriter(2, [(1, upper, -1, False)], 1000)
    out, pos, done = rw.process(b"1\ta\n2\tb", 0)
    assert (out, pos, done) == (b"1\tA\n", 4, False)
    out, pos, done = rw.process(b"1\ta\n2\tb\n", pos)
    assert (out, pos, done) == (b"2\tB\n", 8, False)
    assert rw.rows == 2


def test_process_end_of_data(codec: ModuleType) -> None:
    """\\. ends the block: it is emitted with its newline and nothing after it is read."""
    rw = codec.CopyRewriter(2, [(1, upper, -1, False)], 1000)
    buf = b"1\ta\n\\.\nSELECT 1;\n"
    out, pos, done = rw.process(buf, 0)
    assert (out, pos, done) == (b"1\tA\n\\.\n", 7, True)
    assert rw.rows == 1
    assert rw.process(b"\\.\n", 0) == (b"\\.\n", 3, True)
    assert rw.process(b"\\.", 0) == (b"", 0, False)  # not yet a complete line


def test_process_end_of_data_untouched_table(codec: ModuleType) -> None:
    """With an empty plan the rows come back unchanged up to and including \\."""
    rw = codec.CopyRewriter(2, [], 1000)
    buf = b"1\ta\n2\tb\n\\.\nrest"
    assert rw.process(buf, 0) == (b"1\ta\n2\tb\n\\.\n", 11, True)


def test_process_returns_input_when_nothing_changes(codec: ModuleType) -> None:
    """A buffer in which nothing changes is handed back without a copy."""
    rw = codec.CopyRewriter(2, [(1, identity, -1, True)], 1000)
    buf = b"1\ta\n2\t\\x41\n"
    out, pos, _ = rw.process(buf, 0)
    assert out is buf
    assert pos == len(buf)
    assert rw.counts == [0, 0]


def test_unchanged_value_keeps_its_original_escape(codec: ModuleType) -> None:
    """A value the transform returns equal keeps its raw bytes (\\x41 is not rewritten to A)."""
    rw = codec.CopyRewriter(2, [(0, identity, -1, False), (1, upper, -1, False)], 1000)
    out, _, _ = rw.process(b"\\x41\tb\\x41\n", 0)
    assert out == b"\\x41\tBA\n"
    assert rw.counts == [0, 0, 1, 0]


def test_process_null_in_and_out(codec: ModuleType) -> None:
    """None becomes \\N; NULL in and NULL out is no change; counts separate changed and nulled."""
    rw = codec.CopyRewriter(
        3,
        [(0, lambda v: None, -1, True), (1, lambda v: "n" if v is None else v, -1, False)],
        1000,
    )
    out, _, _ = rw.process(b"a\t\\N\tz\n\\N\tb\tz\n", 0)
    assert out == b"\\N\tn\tz\n\\N\tb\tz\n"
    assert rw.counts == [0, 1, 1, 0]


def test_process_escapes_output(codec: ModuleType) -> None:
    """Transform output is escaped, so a TAB or newline in a fake never splits the row."""
    rw = codec.CopyRewriter(2, [(0, lambda v: "a\tb\nc\\d\re\x01\u2028", -1, False)], 1000)
    out, _, _ = rw.process(b"x\ty\n", 0)
    assert out == "a\\tb\\nc\\\\d\\re\x01\u2028\ty\n".encode()


def test_process_u2028_is_not_a_line_break(codec: ModuleType) -> None:
    """U+2028 and U+0085 are data, not row separators (no splitlines())."""
    seen: list[str | None] = []
    rw = codec.CopyRewriter(2, [(1, recorder(seen), -1, False)], 1000)
    buf = "1\ta\u2028b\x85c\n".encode()
    rw.process(buf, 0)
    assert seen == ["a\u2028b\x85c"]
    assert rw.rows == 1


def test_per_value_is_the_original(codec: ModuleType) -> None:
    """fn(value, per_value) gets the decoded ORIGINAL per field, even when that one is rewritten."""
    calls: list[tuple[str | None, str | None]] = []

    def combine(v: str | None, w: str | None) -> str:
        calls.append((v, w))
        return f"{v}|{w}"

    plan: Plan = [(0, upper, -1, True), (1, combine, 0, True), (2, combine, 0, False)]
    rw = codec.CopyRewriter(3, plan, 1000)
    out, _, _ = rw.process(b"a\\tb\tx\t\\N\na\\tb\tx\ty\n", 0)
    assert out == b"A\\tB\tx|a\\tb\tNone|a\\tb\nA\\tB\tx|a\\tb\ty|a\\tb\n"
    # per-field entries are never memoised, even when marked cacheable
    assert calls == [("x", "a\tb"), (None, "a\tb"), ("x", "a\tb"), ("y", "a\tb")]
    assert rw.counts == [2, 0, 2, 0, 2, 0]


def test_plan_order_does_not_matter(codec: ModuleType) -> None:
    """Plan entries in any order splice into the right columns; counts follow the plan's order."""
    plan: Plan = [(3, upper, -1, False), (0, lambda v: None, -1, True), (2, upper, -1, True)]
    rw = codec.CopyRewriter(4, plan, 1000)
    out, _, _ = rw.process(b"a\tb\tc\td\n", 0)
    assert out == b"\\N\tb\tC\tD\n"
    assert rw.counts == [1, 0, 0, 1, 1, 0]


def test_memo_calls_cacheable_fn_once_per_value(codec: ModuleType) -> None:
    """A cacheable transform runs once per distinct raw value; others run every time."""
    calls = {"c": 0, "n": 0}

    def cached(v: str | None) -> str | None:
        calls["c"] += 1
        return None if v == "drop" else upper(v)

    def uncached(v: str | None) -> str | None:
        calls["n"] += 1
        return upper(v)

    rw = codec.CopyRewriter(2, [(0, cached, -1, True), (1, uncached, -1, False)], 1000)
    body = b"a\tb\ndrop\tb\na\tb\ndrop\tb\nA\tb\nA\tb\n"
    out, _, _ = rw.process(body, 0)
    assert out == b"A\tB\n\\N\tB\nA\tB\n\\N\tB\nA\tB\nA\tB\n"
    assert calls == {"c": 3, "n": 6}
    # memo hits are counted like calls
    assert rw.counts == [2, 2, 6, 0]


def test_memo_is_bounded(codec: ModuleType) -> None:
    """The memo is cleared past MEMO_LIMIT distinct values, so memory stays bounded."""
    limit = codec.MEMO_LIMIT
    assert limit == 65536
    calls: list[str | None] = []

    def fn(v: str | None) -> str | None:
        calls.append(v)
        return upper(v)

    rw = codec.CopyRewriter(1, [(0, fn, -1, True)], 1000)
    # Every value twice: half the lookups hit, so the memo is kept (not emptied as one
    # of values that barely repeat) and fills up to the limit.
    body = b"".join(b"v%d\nv%d\n" % (i, i) for i in range(limit))
    rw.process(body, 0)
    assert len(calls) == limit
    assert rw.memo_sizes == [limit]
    rw.process(b"v0\n", 0)  # still cached
    assert len(calls) == limit
    rw.process(b"new\nv0\n", 0)  # the insert that would exceed the limit clears it first
    assert calls[limit:] == ["new", "v0"]
    assert rw.rows == 2 * limit + 3


def test_memo_of_values_that_never_repeat_stays_small(codec: ModuleType) -> None:
    """A column whose values barely repeat (a patients table's SSNs) does not fill its
    memo: judged when it first holds MEMO_PROBATION values (and every MEMO_VERDICT
    lookups), under 1/16 hits it is emptied and on probation again; output and counts
    are unchanged."""
    probation, every = codec.MEMO_PROBATION, codec.MEMO_VERDICT
    assert (probation, every) == (4096, 8192)
    rw = codec.CopyRewriter(1, [(0, upper, -1, True)], 1000)
    sizes = []
    out = []
    for chunk in range(12):
        body = b"".join(b"p%d\n" % i for i in range(chunk * 2000, chunk * 2000 + 2000))
        data, _, _ = rw.process(body, 0)
        out.append(data)
        sizes.append(rw.memo_sizes[0])
    assert b"".join(out) == b"".join(b"P%d\n" % i for i in range(24000))
    assert rw.counts == [24000, 0]
    assert sizes[:2] == [2000, 4000]
    assert max(sizes) <= probation
    assert sizes[2] == 6000 - probation  # emptied when it held 4,096 values, then refilled


def test_memo_that_hits_is_kept(codec: ModuleType) -> None:
    """Values that repeat keep their memo across verdicts, even when none repeats
    before the memo has seen them all (a table that cycles through its patients):
    one call per value."""
    calls: list[str | None] = []

    def fn(v: str | None) -> str | None:
        calls.append(v)
        return upper(v)

    rw = codec.CopyRewriter(1, [(0, fn, -1, True)], 1000)
    body = b"".join(b"id%d\n" % (i % 3000) for i in range(30000))
    rw.process(body, 0)
    assert len(calls) == 3000
    assert rw.memo_sizes == [3000]


@pytest.mark.skipif(_impl.NO_EXTENSIONS, reason="the compiled twin is switched off")
def test_kernel_memo_switches_off_when_values_never_repeat() -> None:
    """Compiled: a kernel's memo whose values do not repeat switches itself off when it
    first holds MEMO_PROBATION values (the kernel is cheaper than a lookup); it stays on
    when they repeat."""
    fast = _impl.load("compiled")
    from scrubphi.policy.model import TransformSpec
    from scrubphi.transforms import build_transform
    from scrubphi.transforms.base import ColumnInfo, TransformContext

    built = build_transform(TransformSpec("hash", {"length": 16, "alphabet": "hex"}),
                            ColumnInfo("ssn", "text"),
                            TransformContext(key=b"k" * 32))
    assert built.kernel is not None
    plan = [(0, built.fn, -1, True, built.kernel)]
    unique = b"".join(b"%09d\n" % i for i in range(5000))
    rw = fast.CopyRewriter(1, plan, 1000)
    out, _, _ = rw.process(unique, 0)
    assert rw.memo_sizes == [-1]
    again = fast.CopyRewriter(1, plan, 1000)
    repeated = b"".join(b"%09d\n" % (i % 100) for i in range(1500))
    out2, _, _ = again.process(repeated, 0)
    assert again.memo_sizes == [100]
    pure = _impl.load("pure").CopyRewriter(1, plan, 1000)
    assert pure.process(unique, 0)[0] == out
    pure = _impl.load("pure").CopyRewriter(1, plan, 1000)
    assert pure.process(repeated, 0)[0] == out2


@pytest.mark.parametrize(
    ("ncols", "line", "found"),
    [
        (3, b"a\tb", 2),
        (3, b"a\tb\tc\td", 4),
        (3, b"a\tb\tc\td\te\t", 6),
        (1, b"a\tb", 2),
        (2, b"", 1),
        (0, b"a", 1),
        (0, b"\t", 2),
    ],
)
def test_wrong_field_count(codec: ModuleType, ncols: int, line: bytes, found: int) -> None:
    """A row with the wrong number of fields stops the run; no row is ever shifted."""
    rw = codec.CopyRewriter(ncols, [], 1000)
    with pytest.raises(CodecError) as info:
        rw.process(b"\t".join([b"ok"] * ncols) + b"\n" + line + b"\n", 0)
    assert codec_error(info) == (f"expected {ncols} fields, found {found}", 1, -1)


def test_zero_columns(codec: ModuleType) -> None:
    """A table without columns has empty lines as rows."""
    rw = codec.CopyRewriter(0, [], 10)
    assert rw.process(b"\n\n\\.\n", 0) == (b"\n\n\\.\n", 5, True)
    assert rw.rows == 2


def test_one_column_empty_line_is_empty_string(codec: ModuleType) -> None:
    """With one column an empty line is one empty string, not NULL."""
    seen: list[str | None] = []
    rw = codec.CopyRewriter(1, [(0, recorder(seen), -1, False)], 10)
    rw.process(b"\n\\N\n", 0)
    assert seen == ["", None]


@pytest.mark.parametrize(
    ("field", "reason"),
    [
        (b"a\\q", "bad escape sequence"),
        (b"a\\", "bad escape sequence"),
        (b"a\\Nb", "bad escape sequence"),
        (b"\\.", "bad escape sequence"),
        (b"a\rb", "literal carriage return"),
        (b"\xff", "invalid UTF-8"),
        (b"\\377", "invalid UTF-8"),  # escapes are decoded before UTF-8 is checked
        (b"\xed\xa0\x80", "invalid UTF-8"),  # an encoded surrogate
        (b"\xc0\xaf", "invalid UTF-8"),  # overlong
        (b"\xe2\x80", "invalid UTF-8"),  # truncated
    ],
)
def test_field_errors(codec: ModuleType, field: bytes, reason: str) -> None:
    """Bad planned fields stop the run with row and field, and nothing of the value."""
    rw = codec.CopyRewriter(3, [(0, upper, -1, False), (2, upper, -1, True)], 1000)
    with pytest.raises(CodecError) as info:
        rw.process(b"a\tb\tc\nx\ty\t" + field + b"\n", 0)
    assert codec_error(info) == (reason, 1, 2)
    assert b"\xff" not in str(info.value).encode() and "\\q" not in str(info.value)
    assert info.value.__context__ is None  # the decode error holding the bytes is not chained


def test_per_field_errors_name_the_per_field(codec: ModuleType) -> None:
    """An undecodable per field is reported at its own index, even when unplanned."""
    rw = codec.CopyRewriter(3, [(0, lambda v, w: v, 2, False)], 1000)
    with pytest.raises(CodecError) as info:
        rw.process(b"a\tb\t\\q\n", 0)
    assert codec_error(info) == ("bad escape sequence", 0, 2)


def test_row_too_long(codec: ModuleType) -> None:
    """A row over the limit is an error whether it is complete or still incomplete."""
    rw = codec.CopyRewriter(1, [], 4)
    assert rw.process(b"abcd\n", 0) == (b"abcd\n", 5, False)
    with pytest.raises(CodecError) as info:
        rw.process(b"abcd\nabcde\n", 0)
    assert codec_error(info) == ("row longer than the limit of 4 bytes", 1, -1)
    assert rw.process(b"ab\nabcd", 0) == (b"ab\n", 3, False)
    with pytest.raises(CodecError) as info:
        rw.process(b"ab\nabcde", 0)
    assert codec_error(info) == ("row longer than the limit of 4 bytes", 1, -1)


def test_fn_exception_propagates_and_object_survives(codec: ModuleType) -> None:
    """An exception from a transform propagates unchanged; counts and rows stay as they were."""

    class Boom(Exception):
        pass

    def fn(v: str | None) -> str | None:
        if v == "bad":
            raise Boom("no")
        return upper(v)

    rw = codec.CopyRewriter(2, [(0, fn, -1, True), (1, lambda v, w: w, 0, False)], 1000)
    assert rw.process(b"a\tb\n", 0)[0] == b"A\ta\n"
    with pytest.raises(Boom):
        rw.process(b"c\td\nbad\te\n", 0)
    assert (rw.rows, rw.counts) == (1, [1, 0, 1, 0])
    assert rw.process(b"c\td\n", 0)[0] == b"C\tc\n"
    assert (rw.rows, rw.counts) == (2, [2, 0, 2, 0])


def test_process_is_not_reentrant(codec: ModuleType) -> None:
    """A transform calling process() on its own rewriter is refused, not left to corrupt state."""
    rewriters: list[Any] = []

    def sneaky(v: str | None) -> str | None:
        rewriters[0].process(b"x\n", 0)
        return v

    rw = codec.CopyRewriter(1, [(0, sneaky, -1, False)], 1000)
    rewriters.append(rw)
    with pytest.raises(RuntimeError, match="not reentrant"):
        rw.process(b"a\n", 0)
    rewriters[0] = codec.CopyRewriter(1, [], 1000)  # the guard is released after the error
    assert rw.process(b"a\n", 0) == (b"a\n", 2, False)


def test_fn_must_return_str_or_none(codec: ModuleType) -> None:
    """A transform returning something else is a programming error, not silently stringified."""
    rw = codec.CopyRewriter(1, [(0, lambda v: 42, -1, True)], 1000)
    with pytest.raises(TypeError, match="transform for field 0 returned int"):
        rw.process(b"a\n", 0)


def test_fn_returning_unencodable_text(codec: ModuleType) -> None:
    """A lone surrogate from a transform is a codec error naming row and field."""
    rw = codec.CopyRewriter(2, [(1, lambda v: "\ud800", -1, False)], 1000)
    with pytest.raises(CodecError) as info:
        rw.process(b"a\tb\n", 0)
    assert codec_error(info) == ("transform returned text that is not encodable as UTF-8", 0, 1)
    assert info.value.__context__ is None


@pytest.mark.parametrize(
    ("ncols", "plan", "error"),
    [
        (-1, [], ValueError),
        (2, [(2, upper, -1, False)], ValueError),
        (2, [(-1, upper, -1, False)], ValueError),
        (2, [(0, upper, 2, False)], ValueError),
        (2, [(0, upper, -2, False)], ValueError),
        (2, [(0, upper, -1, False), (0, upper, -1, False)], ValueError),
        (2, [(0, "upper", -1, False)], TypeError),
    ],
)
def test_bad_plans_are_rejected(
    codec: ModuleType, ncols: int, plan: Sequence[tuple[Any, ...]], error: type[Exception]
) -> None:
    """A plan that points outside the row is refused up front, not at the first row."""
    with pytest.raises(error):
        codec.CopyRewriter(ncols, plan, 1000)


def test_pos_out_of_range(codec: ModuleType) -> None:
    """A position outside the buffer is refused instead of reading out of bounds."""
    rw = codec.CopyRewriter(1, [], 1000)
    for pos in (-1, 3):
        with pytest.raises(ValueError):
            rw.process(b"ab", pos)


# ---------------------------------------------------------------- the fixture's COPY blocks


def fixture_blocks() -> list[tuple[str, int, bytes]]:
    """(table, ncols, body up to and including \\.) of each COPY block pg_dump 15 wrote."""
    data = FIXTURE.read_bytes()
    blocks = []
    pattern = re.compile(
        rb"^-- Data for Name: ([^;]*);[^\n]*\n--\n\nCOPY (.*?) FROM stdin;\n(.*?^\\\.\n)",
        re.S | re.M,
    )
    for m in pattern.finditer(data):
        name, header, body = m.group(1).decode(), m.group(2), m.group(3)
        # A table without columns has no column list; otherwise count the first row's fields.
        ncols = body.split(b"\n", 1)[0].count(b"\t") + 1 if b"(" in header else 0
        blocks.append((name, ncols, body))
    return blocks


BLOCKS = fixture_blocks()


def test_fixture_blocks_found() -> None:
    """The fixture parser sees every COPY block (a silent zero would test nothing)."""
    assert [name for name, _, _ in BLOCKS] == [
        "Pat,ients",
        "UPPER",
        "idcol",
        "measurements_2020",
        "measurements_2021",
        "new line",
        "nocols",
    ]
    assert dict((n, c) for n, c, _ in BLOCKS)["Pat,ients"] == 8


@pytest.mark.parametrize(("name", "ncols", "body"), BLOCKS, ids=[b[0] for b in BLOCKS])
def test_fixture_identity_is_byte_exact(
    codec: ModuleType, name: str, ncols: int, body: bytes
) -> None:
    """Transforming every column to itself reproduces real pg_dump rows byte for byte."""
    plan: Plan = [(i, identity, -1, i % 2 == 0) for i in range(ncols)]
    rw = codec.CopyRewriter(ncols, plan, 1 << 20)
    out, pos, done = rw.process(body + b"trailing", 0)
    assert (out, pos, done) == (body, len(body), True)
    assert rw.counts == [0] * (2 * ncols)


def test_fixture_decodes_real_values(codec: ModuleType) -> None:
    """Escaped tabs, CRLF, backslashes, \\N and \\. as text, controls and U+2028 decode right."""
    _, ncols, body = BLOCKS[0]
    seen: dict[int, list[str | None]] = {i: [] for i in range(ncols)}

    plan: Plan = [(i, recorder(seen[i]), -1, False) for i in range(ncols)]
    rw = codec.CopyRewriter(ncols, plan, 1 << 20)
    rw.process(body, 0)
    assert seen[1] == ["Tab\there", None, "Uni\u2028code\x85 é 😀"]
    assert seen[2] == ["Line1\nLine2\r\nLine3", "\\.", ""]
    assert seen[3] == ["back\\slash \\N lit and \\. dot", "ctrl \b \f v \x01 end", "\\"]
    assert seen[6] == ["\\xdeadbeef00", "\\x", None]


# ---------------------------------------------------------------- differential / split invariance

DIFF_FNS: list[Callable[[str | None], str | None]] = [
    identity,
    upper,
    lambda v: None,
    lambda v: None if v is None else v[::-1],
    lambda v: "" if v is None else v + "\t\\\n\r\x0b\x08\x0c\x7f\u2028é",
    lambda v: v if v is None or len(v) < 3 else None,
    lambda v: "N" if v is None else v[:2],
]


def failing(v: str | None) -> str | None:
    if v is not None and "7" in v:
        raise ValueError("transform refused")
    return upper(v)


def non_str(v: str | None) -> str | None:
    return 1 if v == "Z" else v  # type: ignore[return-value]


def combine(v: str | None, w: str | None) -> str | None:
    if w is None:
        return None
    return f"{v}|{w[:3]}"


FIELD_ALPHABET = st.sampled_from(
    [
        "a",
        "b",
        "Z",
        "7",
        "é",
        "😀",
        "\u2028",
        "\x85",
        "\t",
        "\n",
        "\r",
        "\\",
        "\x01",
        "\x7f",
        "\x0b",
        "\x08",
        "\x0c",
        " ",
        "N",
        ".",
        "x",
    ]
)
RAW_ODDITIES = [
    b"\\101",
    b"\\x41",
    b"\\x4",
    b"\\777",
    b"\\q",
    b"\\",
    b"\r",
    b"\xff",
    b"\xed\xa0\x80",
    b"\\N",
    b"\\.",
    b"\\0",
    b"\\18",
]


@st.composite
def raw_field(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 19))
    if kind == 0:
        return b"\\N"
    text = draw(st.lists(FIELD_ALPHABET, max_size=6).map("".join))
    raw = _pure_escape(text.encode())
    if kind == 1:  # a non-canonical or broken escape, sometimes
        odd = draw(st.sampled_from(RAW_ODDITIES))
        cut = draw(st.integers(0, len(raw)))
        raw = raw[:cut] + odd + raw[cut:]
    return raw


def _pure_escape(value: bytes) -> bytes:
    return _impl.load("pure").escape_field(value)  # type: ignore[no-any-return]


@st.composite
def copy_case(
    draw: st.DrawFn,
) -> tuple[int, list[tuple[int, int, int, bool]], int, bytes, list[int]]:
    ncols = draw(st.integers(0, 5))
    nrows = draw(st.integers(0, 8))
    rows = []
    for _ in range(nrows):
        if ncols == 0:
            fields = [b""] if draw(st.integers(0, 9)) else [b"x"]
            rows.append(fields[0])
            continue
        fields = [draw(raw_field()) for _ in range(ncols)]
        if draw(st.integers(0, 24)) == 0:  # wrong field count, rarely
            fields = fields[:-1] if draw(st.booleans()) else [*fields, b"extra"]
        rows.append(b"\t".join(fields))
    body = b"".join(r + b"\n" for r in rows)
    ending = draw(st.integers(0, 3))
    if ending == 1:
        body += b"\\.\n" + draw(st.binary(max_size=10))
    elif ending == 2:
        body += b"1\tincompl"
    elif ending == 3:
        body += b"\\."
    fields_planned = draw(st.lists(st.integers(0, max(ncols - 1, 0)), unique=True, max_size=ncols))
    plan = []
    nfns = len(DIFF_FNS) + 3
    for f in fields_planned if ncols else []:
        fn_id = draw(st.integers(0, nfns - 1))
        per = draw(st.integers(0, ncols - 1)) if fn_id == nfns - 1 else -1
        plan.append((f, fn_id, per, draw(st.booleans())))
    longest = max((len(line) for line in body.split(b"\n")), default=0)
    limit_kind = draw(st.integers(0, 9))  # mostly no limit in reach, sometimes right at it
    max_row = [longest, max(longest - 1, 0), 8][limit_kind] if limit_kind < 3 else 1 << 20
    splits = sorted(draw(st.lists(st.integers(0, len(body)), max_size=6)))
    return ncols, plan, max_row, body, splits


def build_plan(plan: list[tuple[int, int, int, bool]]) -> Plan:
    fns: list[Callable[..., str | None]] = [*DIFF_FNS, failing, non_str, combine]
    return [(f, fns[i], per, cache) for f, i, per, cache in plan]


def _twin_names() -> list[str]:
    return ["pure"] if _impl.NO_EXTENSIONS else ["pure", "compiled"]


Outcome = tuple[bytes, int, bool, list[int], int, tuple[Any, ...] | None]


def run_stream(
    mod: ModuleType,
    ncols: int,
    plan: Plan,
    max_row: int,
    body: bytes,
    splits: list[int],
    keep_whole: bool,
) -> Outcome:
    """Feed ``body`` in chunks the way the dump rewriter does; collect output or the error."""
    rw = mod.CopyRewriter(ncols, plan, max_row)
    bounds = [0, *splits, len(body)]
    out: list[bytes] = []
    buf = b""
    pos = 0
    consumed = 0  # absolute offset of buf[0] in body
    error: tuple[Any, ...] | None = None
    done = False
    for a, b in itertools.pairwise(bounds):
        buf += body[a:b]
        before = rw.rows
        try:
            chunk, pos, done = rw.process(buf, pos)
        except CodecError as exc:
            error = ("codec", exc.reason, before + exc.row, exc.field)
            break
        except (ValueError, TypeError) as exc:
            error = (type(exc).__name__, str(exc))
            break
        out.append(chunk)
        if done:
            break
        if not keep_whole:
            consumed += pos
            buf = buf[pos:]
            pos = 0
    return b"".join(out), consumed + pos, done, rw.counts, rw.rows, error


def check_case(
    ncols: int,
    plan_ids: list[tuple[int, int, int, bool]],
    max_row: int,
    body: bytes,
    splits: list[int],
) -> None:
    plan = build_plan(plan_ids)
    outcomes = {}
    for name in _twin_names():
        mod = _impl.load(name)  # type: ignore[arg-type]
        one = run_stream(mod, ncols, plan, max_row, body, [], False)
        tail = run_stream(mod, ncols, plan, max_row, body, splits, False)
        whole = run_stream(mod, ncols, plan, max_row, body, splits, True)
        assert tail == whole, name
        if one[5] is None and tail[5] is None:
            assert tail == one, name
        else:
            # errors are the same wherever the input was split; only output before them differs
            assert tail[5] == one[5], name
        outcomes[name] = (one, tail)
    values = list(outcomes.values())
    assert all(v == values[0] for v in values)


@given(copy_case())
@settings(max_examples=400, deadline=None)
def test_twins_agree_on_random_copy_bodies(case: tuple[Any, ...]) -> None:
    """Pure, compiled, one-shot and any chunking give the same bytes, counts and errors."""
    check_case(*case)


@given(st.data())
@settings(max_examples=60, deadline=None)
@example(data=None)
def test_twins_agree_on_fixture_blocks(data: st.DataObject | None) -> None:
    """Real pg_dump rows, random plans and split points: twins and chunkings agree."""
    for _, ncols, body in BLOCKS:
        if data is None:  # the explicit example: every column through a changing transform
            plan = [(i, 4, -1, True) for i in range(ncols)]
            splits = list(range(0, len(body), 7))
        else:
            fields = (
                data.draw(st.lists(st.integers(0, max(ncols - 1, 0)), unique=True, max_size=ncols))
                if ncols
                else []
            )
            plan = [
                (f, data.draw(st.integers(0, len(DIFF_FNS) - 1)), -1, data.draw(st.booleans()))
                for f in fields
            ]
            splits = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=8)))
        check_case(ncols, plan, 1 << 20, body + b"COPY next", splits)


@pytest.mark.parametrize(("name", "ncols", "body"), BLOCKS, ids=[b[0] for b in BLOCKS])
def test_fixture_blocks_every_split_point(name: str, ncols: int, body: bytes) -> None:
    """Every single split point of each real COPY block gives the one-shot output on both twins."""
    plan = [(i, 1 + i % 3, -1, i % 2 == 0) for i in range(ncols)]
    for cut in range(len(body) + 1):
        check_case(ncols, plan, 1 << 20, body, [cut])


def test_transform_error_gets_row_and_field(codec: ModuleType) -> None:
    """A TransformError from a transform becomes a CodecError with the row and field."""
    from scrubphi.errors import TransformError

    def fn(value: str | None) -> str | None:
        if value == "bad":
            raise TransformError("the test transform cannot handle this value")
        return value

    rewriter = codec.CopyRewriter(2, [(1, fn, -1, True)], 1 << 20)
    with pytest.raises(CodecError) as info:
        rewriter.process(b"1\tok\n2\tbad\n", 0)
    assert (info.value.row, info.value.field) == (1, 1)
    assert info.value.reason == "the test transform cannot handle this value"
