"""Multiranges shifted like ranges; constants checked on composite, range and multirange columns.

Found by dumping an EHR-shaped table with the real pg_dump (PostgreSQL 14+ keeps
a patient's stays in one ``datemultirange``; hand-rolled schemas keep an address
in a composite type) and restoring the scrubbed dump with psql:

- ``{date: shift}`` on a ``datemultirange`` was refused ("a date transform needs a
  date, timestamp or text column"): a policy could only keep the stays or null
  them. Every range of the value now moves by one keyed offset (the ``per``
  value's, the same days as that patient's dates).
- ``{value: x}`` on a composite column (``home public.addr``), a range or a
  multirange exited 0, and psql refused the first row ("malformed record
  literal", "malformed range literal"). Such a constant is now refused before any
  row (exit 3), naming the type and, for a record, the attribute; never the value.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pg_fixtures import PgServer
from restore_helpers import fill, restored
from scrubphi import scrub_stream
from scrubphi.policy import loads_policy
from scrubphi.policy.model import TransformSpec
from scrubphi.transforms import build_transform
from scrubphi.transforms.base import ColumnInfo, TransformContext
from scrubphi.transforms.dates import days_from_civil, parse_pg_date, range_constant_fits
from scrubphi.transforms.records import record_fields

KEY = "multirange-test-key-0123456789abcdef"


def _fn(type_name: str, per: bool = False) -> object:
    params = {"mode": "shift", "days": 30, **({"per": "pid"} if per else {})}
    return build_transform(TransformSpec("date", params), ColumnInfo("c", type_name),
                           TransformContext(key=KEY.encode())).fn


def _days(bound: str) -> int:
    y, m, d, _ = parse_pg_date(bound.strip('"'))
    return days_from_civil(y, m, d)


@pytest.mark.parametrize(("type_name", "value"), [
    ("datemultirange", "{[2020-01-01,2020-01-05),[2021-03-01,2021-03-09)}"),
    ("datemultirange", "{[2020-01-01,2020-01-05),[2021-03-01,)}"),
    ("datemultirange", "{(,2020-01-05),[2021-03-01,infinity)}"),
    ("tsmultirange", '{["2020-01-02 10:00:00","2020-01-03 09:30:00"),'
                     '["2020-02-01 00:00:00","2020-02-02 00:00:00"]}'),
    ("tstzmultirange", '{["2020-01-02 10:00:00+00","2020-01-02 11:00:00+00")}'),
])
def test_every_range_moves_by_one_offset(type_name: str, value: str) -> None:
    out = _fn(type_name)(value)  # type: ignore[operator]
    assert out[0] == "{" and out[-1] == "}"
    moves = set()
    for before, after in zip(value[1:-1].split(","), out[1:-1].split(","), strict=True):
        inner_b, inner_a = before.strip("[]()"), after.strip("[]()")
        assert before.replace(inner_b, "") == after.replace(inner_a, "")  # brackets kept
        if inner_b in ("", "infinity"):
            assert inner_a == inner_b
            continue
        moves.add(_days(inner_a) - _days(inner_b))
    assert len(moves) == 1 and 1 <= abs(moves.pop()) <= 30


def test_a_multirange_moves_with_its_patient() -> None:
    stays, date_fn = _fn("datemultirange", per=True), _fn("date", per=True)
    for pid in ("1", "2", "77"):
        out = stays("{[2020-05-01,2020-05-09),[2020-07-01,2020-07-02)}", pid)  # type: ignore[operator]
        assert out[2:12] == date_fn("2020-05-01", pid)  # type: ignore[operator]
    assert _fn("datemultirange")("{}") == "{}"  # type: ignore[operator]
    assert _fn("datemultirange")(None) is None  # type: ignore[operator]


@pytest.mark.parametrize("value", ["empty", "{[2020-01-01,2020-01-05),}", "[2020-01-01,)",
                                   "{[2020-01-01,2020-01-05) x}"])
def test_what_is_not_a_multirange_fails_without_the_value(value: str) -> None:
    with pytest.raises(ValueError, match="not a multirange") as failed:
        _fn("datemultirange")(value)  # type: ignore[operator]
    assert value not in str(failed.value)


@pytest.mark.parametrize(("const", "multi", "fits"), [
    ("empty", False, True), ("[2020-01-01,2020-01-05)", False, True),
    (" [2020-01-01, 2020-01-05) ", False, True), ("x", False, False),
    ("[2021-02-29,)", False, False), ("[2020-02-29,)", False, True),
    ("{}", True, True), ("{ }", True, True),
    ("{[2020-01-01,2020-01-05), [2021-01-01,)}", True, True),
    ("empty", True, False), ("[2020-01-01,)", True, False), ("{[2020-13-01,)}", True, False),
    ('{["2020-01-01 10:00","2020-01-01 11:00")}', True, True), ("{,}", True, False),
])
def test_range_constants(const: str, multi: bool, fits: bool) -> None:
    assert range_constant_fits(const, multi) is fits


@pytest.mark.parametrize(("text", "fields"), [
    ("(a,b,c)", ["a", "b", "c"]), ("(,,)", [None, None, None]), ("()", [None]),
    ('("1 Oak St, Apt 2",Boston,)', ["1 Oak St, Apt 2", "Boston", None]),
    ('("",x)', ["", "x"]), ('("say ""hi""",\\,)', ['say "hi"', ","]),
    (" (a) ", ["a"]), ("x", None), ("(a", None), ("(a,b) c", None), ('("a,b)', None),
    ("(a\\", None),
])
def test_record_fields(text: str, fields: list[str | None] | None) -> None:
    assert record_fields(text) == fields


def _written(field: str | None) -> str:
    """A field as PostgreSQL's record_out writes it."""
    if field is None:
        return ""
    if field == "" or any(c in field for c in '",\\() \t\n'):
        return '"' + field.replace("\\", "\\\\").replace('"', '""') + '"'
    return field


@given(st.lists(st.none() | st.text(max_size=8), min_size=1, max_size=5))
def test_record_fields_read_what_postgres_writes(fields: list[str | None]) -> None:
    assert record_fields("(" + ",".join(_written(f) for f in fields) + ")") == fields


SETUP = """
CREATE TYPE public.addr AS (street text, city text, zip character varying(5));
CREATE TABLE public.patients (id integer PRIMARY KEY, home public.addr,
    stays datemultirange, periods tstzmultirange, history datemultirange[], admitted date,
    visit daterange);
INSERT INTO public.patients
SELECT g, ROW(g || ' Oak Street', 'Boston', '02139')::public.addr,
       datemultirange(daterange(DATE '2020-01-01' + g, DATE '2020-01-05' + g),
                      daterange(DATE '2021-03-01' + g, DATE '2021-03-01' + 2 * g)),
       CASE WHEN g % 4 = 0 THEN '{}'::tstzmultirange
            ELSE tstzmultirange(tstzrange(TIMESTAMPTZ '2022-01-01 08:00+00'
                                          + g * interval '5 hours', NULL)) END,
       ARRAY[datemultirange(daterange(DATE '2019-01-01' + g, DATE '2019-02-01' + g))],
       DATE '2020-01-01' + g, daterange(DATE '2020-06-01' + g, DATE '2020-06-03' + g)
FROM generate_series(1, 30) g;
"""

POLICY = """
version: 1
scrub:
  key: env:SCRUBPHI_KEY
  tables:
    public.patients:
      columns:
        id: keep
        home: {HOME}
        stays: {STAYS}
        periods: {date: shift, days: 30}
        history: {date: shift, days: 30, per: id}
        admitted: {date: shift, days: 30, per: id}
        visit: {VISIT}
"""

GOOD = {"HOME": "{value: '(\"1 Main Street\",Springfield,)'}",
        "STAYS": "{date: shift, days: 30, per: id}", "VISIT": "keep"}

LENGTHS = ("COPY (SELECT id, lower(stays) - admitted, upper(stays) - lower(stays), "
           "(SELECT array_agg(upper(r) - lower(r)) FROM unnest(stays) r), "
           "upper(periods) IS NULL, isempty(periods), upper(history[1]) - lower(history[1]) "
           "FROM public.patients ORDER BY id) TO STDOUT")


@pytest.fixture(scope="module")
def source(pg: PgServer) -> Iterator[str]:
    db = pg.create_database("multirange")
    pg.psql(db, "SET timezone = 'UTC';" + SETUP)
    yield db
    pg.drop_database(db)


@pytest.mark.postgres
@pytest.mark.parametrize("flags", [(), ("--inserts",)], ids=["copy", "inserts"])
def test_multiranges_restore_shifted_with_their_lengths(pg: PgServer, source: str,
                                                        codec: ModuleType,
                                                        flags: tuple[str, ...]) -> None:
    dump = pg.pg_dump(source, "--no-owner", *flags)
    dst = io.BytesIO()
    scrub_stream(io.BytesIO(dump), dst, loads_policy(fill(POLICY, GOOD), "p.yaml"),
                 codec=codec, key=KEY.encode(), chunk_size=53)
    query = "COPY (SELECT stays, home FROM public.patients ORDER BY id) TO STDOUT"
    with restored(pg, dst.getvalue(), "multirange_dst") as db:
        lengths = pg.psql(db, LENGTHS).stdout
        moved = pg.psql(db, query).stdout.splitlines()
    # every stay keeps its length and its place after the shifted admission
    assert lengths == pg.psql(source, LENGTHS).stdout
    original = pg.psql(source, query).stdout.splitlines()
    assert not {m.split(b"\t")[0] for m in moved} & {o.split(b"\t")[0] for o in original}
    assert {m.split(b"\t")[1] for m in moved} == {b'("1 Main Street",Springfield,)'}


def _cli(policy: str, dump: bytes, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    path = tmp_path / "p.yaml"
    path.write_text(policy)
    return subprocess.run([sys.executable, "-m", "scrubphi", "--config", str(path)],
                          input=dump, capture_output=True,
                          env={**os.environ, "SCRUBPHI_KEY": KEY})


@pytest.mark.postgres
@pytest.mark.parametrize(("change", "words"), [
    ({"HOME": "{value: Xq}"}, "column home: the constant is not a record, written as (...) "
                              "(composite type public.addr)"),
    ({"HOME": "{value: '(Xq,Boston)'}"}, "column home: the constant has 2 field(s); composite "
                                         "type public.addr has 3"),
    ({"HOME": "{value: '(Xq,Boston,Xq0000)'}"}, "column home: the constant is longer than the "
                                                "column allows (5 characters), at attribute zip "
                                                "of composite type public.addr"),
    ({"HOME": "{when: [{if: {id: '1'}, then: {value: Xq}}], else: null}"},
     "column home: the constant is not a record"),
    ({"STAYS": "{value: Xq}"}, "column stays: the constant is not a multirange of dates "
                               "(datemultirange column)"),
    ({"VISIT": "{value: '[2021-02-29,Xq)'}"}, "column visit: the constant is not a range of "
                                              "dates (daterange column)"),
], ids=["not-a-record", "too-few-fields", "field-too-long", "in-when", "multirange", "range"])
def test_constants_the_type_refuses_stop_before_any_row(pg: PgServer, source: str,
                                                         tmp_path: Path, change: dict[str, str],
                                                         words: str) -> None:
    for flags in ((), ("--inserts",)):
        done = _cli(fill(POLICY, GOOD, **change), pg.pg_dump(source, "--no-owner", *flags),
                    tmp_path)
        assert done.returncode == 3, done.stderr
        assert words in done.stderr.decode()
        assert b"Oak Street" not in done.stdout  # no row written
        assert b"Xq" not in done.stderr


@pytest.mark.postgres
def test_constants_the_type_takes_restore(pg: PgServer, source: str, tmp_path: Path) -> None:
    done = _cli(fill(POLICY, GOOD, STAYS="{value: '{[2020-01-01,2020-01-05), [2021-01-01,)}'}",
                     VISIT="{value: empty}"), pg.pg_dump(source, "--no-owner", "--inserts"),
                tmp_path)
    assert done.returncode == 0, done.stderr
    with restored(pg, done.stdout, "multirange_dst") as db:
        rows = pg.psql(db, "COPY (SELECT DISTINCT stays, visit FROM public.patients) TO "
                           "STDOUT").stdout
    assert rows == b"{[2020-01-01,2020-01-05),[2021-01-01,)}\tempty\n"
