"""The INSERT forms' shortcuts, each against what it stands for.

A dump made with ``pg_dump --inserts`` scrubbed at 2 MB/s, twenty times slower
than the same table as COPY: every value was read by several pattern matches,
went to the transform's Python function, and each statement's columns were
classified again.  Now:

* ``_fast_rows`` reads a row's values in one match each (``_py_fast_rows``),
  or in C (``_fast.insert_rows``): the same rows (and, where it gives up, the
  same error) as the value-by-value reading;
* an INSERT's values go through the column's compiled kernel first
  (``kernel_first``): the same bytes as the Python functions, which still
  answer what a kernel declines, and as the pure twin;
* the positional shape check classifies a table's columns once;
* the statement splitter takes a whole plain statement in one match
  (``_SIMPLE_UNIT``): the same units, in buffers cut anywhere, as its
  byte-by-byte scan.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from compiled_twin import requires_compiled_twin
from pg_fixtures import PgServer
from scrubphi import DumpError, Scrubber, _impl
from scrubphi.dump import insert_rows, inserts, lexer
from scrubphi.dump.coverage import Plan
from scrubphi.dump.inserts import InsertError, InsertStatement, parse_insert
from scrubphi.policy import loads_policy
from scrubphi.policy.model import TableName
from scrubphi.transforms import build_transform
from scrubphi.transforms.base import ColumnInfo, TransformContext
from scrubphi.transforms.redact import surrogate_specs

KEY = b"insert-speed-test-key-0123456789"

# Values as pg_dump writes them, and some it never writes (each must be read as the
# value-by-value reading reads it, or refused as it refuses it).
ATOMS = [
    b"'a'", b"'it''s'", b"''", b"'x\\\\y'", b"'\\''", b"NULL", b"null", b"DEFAULT", b"true",
    b"FALSE", b"12", b"-3.5e+2", b".5", b"+7", b"B'101'", b"b''", b"E'a\\nb'", b"e'\\''",
    b"'a'::text", b"'{1,2}'::integer[]", b"1::bigint", b"'x' :: public . t [ ]",
    b"'x'::\"my type\"", b"'a''", b"'", b"NULLX", b"1e", b"abc", b"'a\nb'", b"'\xc3\xa9'",
    b"'a'')'", b"'a'''", b"(", b")", b",", b"-", b"1.", b"'a;b'", b"TRUE ", b" 'x' ",
]
SEPARATORS = [b",", b", ", b" ,", b",\n  ", b"", b" "]
TAILS = [b";", b" ;", b" ON CONFLICT DO NOTHING;", b"\non conflict do nothing ;", b";x", b""]


@st.composite
def statements(draw: st.DrawFn) -> bytes:
    rows = []
    for _ in range(draw(st.integers(1, 3))):
        items = draw(st.lists(st.sampled_from(ATOMS), min_size=1, max_size=6))
        seps = [draw(st.sampled_from(SEPARATORS)) for _ in items[1:]]
        body = items[0] + b"".join(s + i for s, i in zip(seps, items[1:], strict=True))
        rows.append(b"(" + draw(st.sampled_from([b"", b" "])) + body
                    + draw(st.sampled_from([b"", b" "])) + b")")
    glue = draw(st.sampled_from([b",", b", ", b" ,\n\t", b" "]))
    head = draw(st.sampled_from([b"INSERT INTO public.t VALUES ",
                                 b"INSERT INTO t (a, \"b c\") OVERRIDING SYSTEM VALUE VALUES\n"]))
    return head + glue.join(rows) + draw(st.sampled_from(TAILS))


def _read(text: bytes, std: bool, fast: bool) -> InsertStatement | str:
    saved = inserts._fast_rows
    if not fast:
        inserts._fast_rows = lambda *_args: None
    try:
        return parse_insert(text, standard_strings=std)
    except InsertError as exc:
        return f"error: {exc}"
    finally:
        inserts._fast_rows = saved


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=statements(), std=st.booleans())
@example(text=b"INSERT INTO t VALUES ('a'','b');", std=True)
@example(text=b"INSERT INTO t VALUES (1, 'x'::text), (2, NULL);", std=True)
@example(text=b"INSERT INTO t VALUES ('a\\'b', E'c');", std=False)
def test_fast_rows_read_what_the_value_by_value_reading_reads(text: bytes, std: bool) -> None:
    assert _read(text, std, fast=True) == _read(text, std, fast=False)


@requires_compiled_twin
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=statements(), std=st.booleans())
@example(text=b"INSERT INTO t VALUES ('a\\'b', E'c');", std=False)
@example(text=b"INSERT INTO t VALUES ('a\\", std=False)
@example(text=b"INSERT INTO t VALUES (1e+, .e1, -.5E-3, nulls, NULL_);", std=True)
@example(text=b"INSERT INTO public.t VALUES ('a','a'),'a');", std=False)
def test_the_compiled_row_reader_is_the_python_one(text: bytes, std: bool) -> None:
    fast = _impl.load("compiled")
    for pos in range(len(text) + 1):
        got = fast.insert_rows(text, pos, std, inserts.Literal)
        want = inserts._py_fast_rows(text, pos, std)
        assert got == want, pos


def test_fast_rows_read_the_common_forms() -> None:
    """The forms pg_dump writes for ordinary tables take the fast path."""
    for text in (b"INSERT INTO public.p VALUES (1, 'O''Brien', NULL, true, -2.5e3);",
                 b"INSERT INTO p (a, b) VALUES (1, 'x'::text), (2, DEFAULT) "
                 b"ON CONFLICT DO NOTHING;"):
        pos = text.index(b"VALUES") + len(b"VALUES ")
        rows = inserts._fast_rows(text, pos, True)
        assert rows is not None
        assert rows == parse_insert(text).rows
    # a bit string or an E'' string: the value-by-value reading, which knows them
    assert inserts._fast_rows(b"(B'1')", 0, True) is None
    assert inserts._fast_rows(b"(E'a')", 0, True) is None


POLICY = """
version: 1
scrub:
  tables:
    public.people:
      columns:
        id: keep
        name: {fake: name}
        ssn: {tokenize: digits}
        phone: {fake: phone_number}
        email: {fake: email, unique: true}
        city: {fake: city}
        born: {date: shift, days: 365, per: id}
        note: {redact: text}
"""

SETUP = """
CREATE TABLE people (id integer PRIMARY KEY, name text, ssn text, phone text, email text,
                     city text, born date, note text);
INSERT INTO people
SELECT g, 'Name ' || g, lpad((g * 7919 % 1000000000)::text, 9, '0'),
       CASE WHEN g % 7 = 0 THEN '+49 30 ' || g
            ELSE '(617) 555-' || lpad((g % 10000)::text, 4, '0') END,
       'user' || g || CASE WHEN g % 11 = 0 THEN '@exämple.org' ELSE '@example.org' END,
       CASE WHEN g % 5 = 0 THEN 'São Paulo' ELSE 'Town' || (g % 97) END,
       DATE '1950-01-01' + g, 'Seen by Dr. Smith on 3/4, call 617-555-' || lpad(g::text, 4, '0')
FROM generate_series(1, 400) g;
UPDATE people SET name = NULL, city = NULL WHERE id % 13 = 0;
"""


def _dump(pg: PgServer, *extra: str) -> bytes:
    db = pg.create_database("insert_speed")
    try:
        pg.psql(db, SETUP)
        return pg.pg_dump(db, "--no-owner", *extra)
    finally:
        pg.drop_database(db)


def _scrub(data: bytes, codec: ModuleType) -> bytes:
    scrubber = Scrubber(loads_policy(POLICY), codec=codec, key=KEY)
    return scrubber.feed(data) + scrubber.close()


@requires_compiled_twin
def test_inserts_through_the_kernels_are_the_python_functions(
        pg: PgServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real --inserts dump (ASCII and not, NULLs, a per-patient shift, notes): the
    compiled twin's kernels write the pure twin's bytes, and the COPY dump's values."""
    data = _dump(pg, "--inserts")
    compiled = _scrub(data, _impl.load("compiled"))
    pure = _scrub(data, _impl.load("pure"))
    assert compiled == pure
    asked: list[str] = []
    real = _impl.kernel_fn

    def counting(desc: tuple[object, ...] | None, codec: ModuleType | None = None
                 ) -> Callable[[str], str | None] | None:
        fn = real(desc, codec)
        if fn is None:
            return None
        kernel = fn

        def count(value: str) -> str | None:
            asked.append(value)
            return kernel(value)

        return count

    monkeypatch.setattr(insert_rows, "kernel_fn", counting)
    assert _scrub(data, _impl.load("compiled")) == compiled
    assert len(asked) > 1000  # the kernels answered the INSERTs' values
    for raw in (b"Name 17", b"617) 555-0017", b"user17@example.org", b"Town17"):
        assert raw not in compiled


@requires_compiled_twin
def test_kernel_first_asks_python_only_where_the_kernel_declines() -> None:
    fast = _impl.load("compiled")
    built = build_transform(surrogate_specs()["phone"], ColumnInfo("phone", "text"),
                            TransformContext(key=KEY))
    asked: list[str | None] = []

    def python(value: str | None) -> str | None:
        asked.append(value)
        return built.fn(value) if value is not None else None

    entry = (2, python, -1, True, built.kernel)
    first = insert_rows.kernel_first(entry, fast)[1]
    assert first("617-555-0100") == built.fn("617-555-0100") and asked == []
    assert first(None) is None and asked == [None]
    assert first("617\u2011555\u20110100") == built.fn("617\u2011555\u20110100")
    assert asked == [None, "617\u2011555\u20110100"]
    # the pure twin has no kernels; entries reading other columns keep their function
    assert insert_rows.kernel_first(entry, _impl.load("pure")) is entry
    per_entry = (2, python, 0, False, built.kernel)
    assert insert_rows.kernel_first(per_entry, fast) is per_entry


def test_insert_and_copy_dumps_scrub_to_the_same_rows(pg: PgServer) -> None:
    """The real dump as COPY and as --inserts: the same scrubbed values, both codecs."""
    copy_dump = _dump(pg)
    insert_dump = _dump(pg, "--inserts")
    for name in ("compiled", "pure") if _compiled() else ("pure",):
        codec = _impl.load(name)
        copy_rows = _copy_rows(_scrub(copy_dump, codec))
        insert_rows_ = _insert_rows(_scrub(insert_dump, codec))
        assert len(copy_rows) == 400
        assert insert_rows_ == copy_rows, name


def _copy_rows(dump: bytes) -> list[tuple[str | None, ...]]:
    body = dump.split(b"FROM stdin;\n", 1)[1].split(b"\n\\.\n", 1)[0]
    return sorted((tuple(None if f is None else f.decode()
                         for f in map(_impl.unescape_field, line.split(b"\t")))
                   for line in body.split(b"\n")), key=repr)


def _insert_rows(dump: bytes) -> list[tuple[str | None, ...]]:
    rows = []
    for line in dump.split(b"\n"):
        if line.startswith(b"INSERT INTO"):
            stmt = parse_insert(line)
            rows += [tuple(inserts.literal_value(line, lit) for lit in row) for row in stmt.rows]
    return sorted(rows, key=repr)


def _compiled() -> bool:
    try:
        _impl.load("compiled")
    except ImportError:
        return False
    return True


# -- the statement splitter ---------------------------------------------------------------

PIECES = [
    b"INSERT INTO t VALUES (", b"1", b"-2", b"'a;b'", b"'it''s'", b"E'x\\'y'", b"e'z'",
    b"name'q'", b")", b"(", b",", b";", b"\n", b" ", b"-- c;\n", b"/* x; */", b"/", b"$$a;b$$",
    b'"q;"', b"\\connect db\n", b"SET x = 1", b"((1))", b"(((2)))", b"'", b"--", b"*", b"$1",
    b"e", b"E", b"x/*", b"*/", b"\xc3\xa9",
]


class _NoMatch:
    def match(self, *_args: object) -> None:
        return None


def _units(data: bytes, cuts: list[int], std: bool, fast: bool) -> list[object]:
    """Every unit (absolute offsets) of ``data`` fed in pieces, and the state at the end."""
    saved = lexer._SIMPLE_UNIT
    if not fast:
        lexer._SIMPLE_UNIT = _NoMatch()  # type: ignore[assignment]
    try:
        splitter = lexer.SqlSplitter()
        splitter.standard_strings = std
        buf, base, fed = b"", 0, 0
        out: list[object] = []
        for cut in [*cuts, len(data)]:
            buf += data[fed : fed + cut]
            fed += cut
            while True:
                try:
                    unit = splitter.next_unit(buf)
                except DumpError as exc:  # the same error both ways
                    return [*out, f"error: {exc}"]
                if unit is None:
                    break
                out.append((base + unit.start, base + unit.content, base + unit.end, unit.meta))
                splitter.shift(unit.end)
                base += unit.end
                buf = buf[unit.end :]
            if fed >= len(data):
                break
        return [*out, (splitter.state, splitter.scan, splitter.content, splitter.paren)]
    finally:
        lexer._SIMPLE_UNIT = saved


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(st.sampled_from(PIECES), max_size=25),
       cuts=st.lists(st.integers(1, 20), max_size=4), std=st.booleans())
@example(pieces=[b"INSERT INTO t VALUES (", b"'a;b'", b",", b"-2", b")", b";"], cuts=[],
         std=True)
@example(pieces=[b"SET x = 1", b"-- c;\n", b";"], cuts=[3], std=True)
def test_the_splitter_cuts_plain_statements_as_its_scan_does(
        pieces: list[bytes], cuts: list[int], std: bool) -> None:
    data = b"".join(pieces)
    assert _units(data, cuts, std, fast=True) == _units(data, cuts, std, fast=False)


def test_plain_statements_are_taken_in_one_match() -> None:
    """An INSERT as pg_dump writes it is one match; a comment or an E'' string is not."""
    text = b"INSERT INTO public.p VALUES (1, 'a;b', -2, ('x'));\n"
    m = lexer._SIMPLE_UNIT.match(text)
    assert m is not None and m.end() == text.index(b";\n") + 1
    for other in (b"INSERT INTO p VALUES (E'a\\'b');", b"SELECT 1 -- x;\n;",
                  b'INSERT INTO "p;" VALUES (1);', b"SELECT $$;$$;", b"SELECT (((1)));"):
        m = lexer._SIMPLE_UNIT.match(other)
        assert m is None or m.end() < len(other), other


# -- the positional shape check ------------------------------------------------------------

DATE_VALUES = [
    "2020-01-02", "12020-01-02", "2020-01-02 10:00:00+01", "infinity", "-infinity",
    "2020-01-02é", "2020-01-02_", "2020-01-0", "Smith", "", "2020-01-02'", "\u0663" * 4 + "-01-02",
    "2020-01-02x",
]


@pytest.mark.parametrize("value", DATE_VALUES)
@pytest.mark.parametrize("escaped", [False, True])
def test_the_shape_check_reads_dates_as_the_values_say(value: str, escaped: bool) -> None:
    """A date column's value passes exactly when its text starts with an ISO date (or
    infinity) and a word boundary, whether the check reads the statement's bytes or the
    value; a kept text column takes any string."""
    body = value.replace("'", "''")
    literal = ("E'" + body.replace("\\", "\\\\") + "'") if escaped else ("'" + body + "'")
    text = f"INSERT INTO public.p VALUES (1, {literal}, 'x');".encode()
    stmt = parse_insert(text)
    columns = [ColumnInfo("id", "integer"), ColumnInfo("born", "date"),
               ColumnInfo("name", "text")]
    table = TableName("public", "p")
    if re.match(r"(?:\d{4,}-\d\d-\d\d|-?infinity)\b", value):
        insert_rows.check_positional_shapes(columns, stmt, text, 1, table)
    else:
        with pytest.raises(DumpError, match="does not have its column's type"):
            insert_rows.check_positional_shapes(columns, stmt, text, 1, table)


HANG_GUARD = r"""
import sys
from scrubphi.dump import lexer
# A long INSERT of names with apostrophes, not whole yet (the buffer ends before ";"):
# the one-match reading must give up in linear time, not try every way of cutting the
# strings at their quote pairs (2 ** 60 ways here).
buf = b"INSERT INTO t VALUES (" + b", ".join([b"'O''Brien'"] * 60) + b")"
splitter = lexer.SqlSplitter()
assert splitter.next_unit(buf) is None
unit = splitter.next_unit(buf + b";\n")
assert unit is not None and unit.end == len(buf) + 1
print("ok")
"""


def test_a_statement_not_yet_whole_is_read_in_linear_time() -> None:
    """A hang guard (a child process, a generous limit): the splitter's one-match
    reading of plain statements on a buffer that ends inside a long INSERT."""
    done = subprocess.run([sys.executable, "-c", HANG_GUARD], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ), check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


# -- the kernels' share of a statement, in C ----------------------------------------------

BATCH_POLICY = """
version: 1
scrub:
  tables:
    public.p:
      columns:
        id: {tokenize: digits}
        name: {fake: last_name}
        ssn: {tokenize: digits}
        code: {hash: {length: 8}}
        city: {fake: city}
        born: {date: year}
        flag: keep
        note: {value: x}
"""
BATCH_TABLE = (b"CREATE TABLE public.p (\n    id integer,\n    name text,\n    ssn text,\n"
               b"    code text,\n    city text,\n    born date,\n    flag boolean,\n"
               b"    note text\n);\n\n")
# Each column's literals: plain strings, doubled quotes, E'' strings, non-ASCII, NULL,
# DEFAULT, bare words; what a kernel declines goes back to the Python function.
BATCH_VALUES = {
    "id": [b"1", b"42", b"-7", b"NULL", b"DEFAULT", b"'17'", b"123456789012"],
    "text": [b"'Smith'", b"'O''Brien'", b"''", b"'S\xc3\xa3o Paulo'", b"E'a\\\\tb'", b"NULL",
             b"'123-45-6789'", b"'  spaced  '", b"'x'::text", b"'a\\\\b'", b"DEFAULT"],
    "born": [b"'1970-01-02'", b"'infinity'", b"NULL", b"'2001-02-03'::date"],
    "flag": [b"true", b"false", b"NULL"],
}


@st.composite
def batch_dumps(draw: st.DrawFn) -> bytes:
    kinds = ["id", "text", "text", "text", "text", "born", "flag", "text"]
    statements = []
    for _ in range(draw(st.integers(1, 4))):
        rows = []
        for _ in range(draw(st.integers(1, 4))):
            values = [draw(st.sampled_from(BATCH_VALUES[k])) for k in kinds]
            rows.append(b"(" + b", ".join(values) + b")")
        head = draw(st.sampled_from([b"INSERT INTO public.p VALUES ",
                                     b"INSERT INTO public.p (id, name, ssn, code, city, born, "
                                     b"flag, note) VALUES "]))
        statements.append(head + b", ".join(rows) + b";\n")
    return BATCH_TABLE + b"".join(statements) + b"\n--\n-- PostgreSQL database dump complete\n--\n"


def _scrub_and_count(data: bytes, codec: ModuleType, std: bool) -> tuple[bytes, object]:
    if not std:
        data = b"SET standard_conforming_strings = off;\n" + data
    scrubber = Scrubber(loads_policy(BATCH_POLICY), codec=codec, key=KEY)
    try:
        out = scrubber.feed(data) + scrubber.close()
    except DumpError as exc:
        return b"error: " + str(exc).encode(), None
    return out, [t.to_dict() for t in scrubber.report.tables]


@requires_compiled_twin
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=batch_dumps(), std=st.booleans())
def test_the_kernels_share_of_a_statement_is_the_pure_twins(data: bytes, std: bool) -> None:
    """Statements of every literal form through the compiled codec (the kernels' share
    in C, all rows at once) and the pure one: the same bytes and the same counts."""
    assert _scrub_and_count(data, _impl.load("compiled"), std) == \
        _scrub_and_count(data, _impl.load("pure"), std)


@requires_compiled_twin
def test_the_kernels_share_is_taken_in_c(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the compiled codec, the plain values of a statement never reach the Python
    functions one by one; a doubled quote, an E'' string and non-ASCII text do."""
    data = (BATCH_TABLE + b"INSERT INTO public.p VALUES (1, 'Smith', '123', 'c', 'Town', "
            b"'1970-01-02', true, 'n'), (2, 'O''Brien', E'4\\\\t5', 'S\xc3\xa3o', 'Oslo', "
            b"NULL, false, NULL);\n\n--\n-- PostgreSQL database dump complete\n--\n")
    pure = _scrub_and_count(data, _impl.load("pure"), True)[0]
    asked: list[str | None] = []
    real = insert_rows.insert_plan

    def spied(entry: tuple[Any, ...]) -> tuple[Any, ...]:
        fn = entry[1]

        def spy(value: str | None, *more: str | None) -> str | None:
            asked.append(value)
            return fn(value, *more)  # type: ignore[no-any-return]

        return (entry[0], spy, *entry[2:])

    def spying(plan: Plan, codec: ModuleType) -> tuple[Plan, object]:
        ready, batch = real(plan, codec)
        return Plan(ready.mode, [spied(e) for e in ready.entries], ready.planned,
                    ready.specs), batch

    monkeypatch.setattr("scrubphi.dump.insert_statements.insert_plan", spying)
    out, _ = _scrub_and_count(data, _impl.load("compiled"), True)
    assert out == pure
    # row 2's name, ssn and code: a doubled quote, an escape, non-ASCII; the value column
    # has no kernel (row 1's "n"; row 2's NULL); row 1's plain values and the NULLs of
    # kernel columns stay in C
    assert sorted(v for v in asked if v is not None) == sorted(
        ["O'Brien", "4\\t5", "S\u00e3o", "n"])
    assert asked.count(None) == 1


SHAPE_COLUMNS = [ColumnInfo("n", "integer"), ColumnInfo("f", "boolean"),
                 ColumnInfo("d", "date"), ColumnInfo("t", "time without time zone"),
                 ColumnInfo("b", "bit(4)"), ColumnInfo("s", "text"),
                 ColumnInfo("x", "public.mytype"), ColumnInfo("a", "integer", array_dims=1)]
SHAPE_LITERALS = [
    b"1", b"-2.5e3", b".5", b"true", b"FALSE", b"NULL", b"DEFAULT", b"'NaN'",
    b"'-Infinity'", b"'x'", b"'2020-01-02'", b"'12020-01-02 10:00'", b"'infinity'",
    b"'-infinity'", b"'2020-01-02\xc3\xa9'", b"'2020-01-02_'", b"'2020-1-02'", b"'10:30'",
    b"'10:30:00+01'", b"'1:30'", b"E'2020-01-02'", b"E'10:30'", b"B'1010'", b"'{1,2}'",
    b"'O''Brien'", b"''",
]


# What each column of SHAPE_COLUMNS takes, drawn three times as often as any literal.
SHAPE_VALID = [
    [b"1", b"-2.5e3", b".5", b"'NaN'"], [b"true", b"FALSE"],
    [b"'2020-01-02'", b"'infinity'", b"'12020-01-02 10:00'"], [b"'10:30'", b"'10:30:00+01'"],
    [b"B'1010'"], [b"'x'", b"''", b"'O''Brien'"], [b"1", b"'x'"], [b"'{1,2}'", b"NULL"],
]
SHAPE_ROWS = st.tuples(*[st.sampled_from(valid * 3 + SHAPE_LITERALS) for valid in SHAPE_VALID])


@requires_compiled_twin
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(SHAPE_ROWS, min_size=1, max_size=3))
def test_the_compiled_shape_check_accepts_only_what_the_check_accepts(
        rows: list[tuple[bytes, ...]]) -> None:
    text = (b"INSERT INTO public.p VALUES "
            + b", ".join(b"(" + b", ".join(r) + b")" for r in rows) + b";")
    stmt = parse_insert(text)
    table = TableName("public", "p")
    fast = _impl.load("compiled")
    shapes = insert_rows._shapes(tuple(SHAPE_COLUMNS))
    saved = insert_rows._C_SHAPES
    try:
        insert_rows._C_SHAPES = None
        try:
            insert_rows.check_positional_shapes(SHAPE_COLUMNS, stmt, text, 1, table)
            python_ok = True
        except DumpError:
            python_ok = False
    finally:
        insert_rows._C_SHAPES = saved
    if fast.insert_shapes_ok(text, stmt.rows, shapes):
        assert python_ok  # C accepts only what the check accepts
    # and with C in front, the check's verdict is the same
    try:
        insert_rows.check_positional_shapes(SHAPE_COLUMNS, stmt, text, 1, table)
        assert python_ok
    except DumpError:
        assert not python_ok


@requires_compiled_twin
def test_the_compiled_shape_check_takes_what_pg_dump_writes() -> None:
    fast = _impl.load("compiled")
    text = (b"INSERT INTO public.p VALUES (1, true, '2020-01-02', '10:30:00', B'1010', "
            b"'x', 'y', '{1}'), (-2.5, false, 'infinity', '23:59', NULL, '', DEFAULT, NULL);")
    stmt = parse_insert(text)
    assert fast.insert_shapes_ok(text, stmt.rows, insert_rows._shapes(tuple(SHAPE_COLUMNS)))
