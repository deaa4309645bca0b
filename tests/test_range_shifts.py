"""``{date: shift}`` on daterange, tsrange and tstzrange columns.

An admission's stay (``daterange``) or an encounter's period (``tstzrange``)
holds a patient's dates, but a date transform on such a column was refused
("a date transform needs a date, timestamp or text column"): a policy could only
keep the dates or null them. Both bounds now move by one keyed offset (the
``per`` value's, as for dates, else the range's), so the stay keeps its length
and its bounds their order. An exclusion constraint over shifted ranges gets a
warning: ranges shifted by different offsets may come to overlap.
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

from pg_fixtures import PgServer
from restore_helpers import restore_error, restored
from scrubphi import scrub_stream
from scrubphi.dump.restore_checks import ONE, verdict_of
from scrubphi.dump.schema import UniqueKey, parse_alter_table
from scrubphi.policy import loads_policy
from scrubphi.policy.model import TableName, TransformSpec
from scrubphi.transforms import build_transform
from scrubphi.transforms.base import ColumnInfo, TransformContext
from scrubphi.transforms.dates import days_from_civil, parse_pg_date

KEY = "range-shift-test-key-0123456789abcdef"
SHIFT = {"mode": "shift", "days": 30}


def _fn(type_name: str, per: bool = False) -> object:
    params = {**SHIFT, "per": "pid"} if per else SHIFT
    return build_transform(TransformSpec("date", params), ColumnInfo("c", type_name),
                           TransformContext(key=KEY.encode())).fn


def _day(text: str) -> int:
    y, m, d, _ = parse_pg_date(text.strip('"'))
    return days_from_civil(y, m, d)


@pytest.mark.parametrize(("type_name", "value"), [
    ("daterange", "[2020-01-02,2020-02-01)"),
    ("daterange", "[2020-01-02,)"),
    ("daterange", "(,2020-01-02)"),
    ("daterange", "[2020-01-02,infinity)"),
    ("daterange", "[0044-03-15 BC,0044-04-15 BC)"),
    ("tsrange", '["2020-01-02 10:00:00","2020-01-03 09:30:00.25")'),
    ("tstzrange", '["2020-01-02 10:00:00+00","2020-01-02 11:00:00+00"]'),
    ("daterange", "[5874897-12-01,5874897-12-31)"),
])
def test_both_bounds_move_by_one_offset(type_name: str, value: str) -> None:
    fn = _fn(type_name)
    out = fn(value)  # type: ignore[operator]
    assert out[0] == value[0] and out[-1] == value[-1]
    old, new = value[1:-1].split(","), out[1:-1].split(",")
    moves = set()
    for before, after in zip(old, new, strict=True):
        if before in ("", "infinity"):
            assert after == before
            continue
        assert parse_pg_date(after.strip('"'))[3] == parse_pg_date(before.strip('"'))[3]
        moves.add(_day(after) - _day(before))
    assert len(moves) == 1 and 1 <= abs(moves.pop()) <= 30


def test_a_range_shifts_with_its_entity() -> None:
    """``per``: the range's bounds move by the days its patient's dates move."""
    rng, date_fn = _fn("daterange", per=True), _fn("date", per=True)
    for pid in ("1", "2", "77"):
        lower = rng("[2020-05-01,2020-05-09)", pid)[1:11]  # type: ignore[operator]
        assert lower == date_fn("2020-05-01", pid)  # type: ignore[operator]
    assert _fn("daterange")("empty") == "empty"  # type: ignore[operator]
    assert _fn("daterange")(None) is None  # type: ignore[operator]


def test_other_date_modes_on_ranges_are_refused() -> None:
    with pytest.raises(ValueError, match="a range of dates takes date: shift"):
        build_transform(TransformSpec("date", {"mode": "year"}),
                        ColumnInfo("c", "daterange"), TransformContext(key=KEY.encode()))


def test_exclusion_constraints_are_read_and_judged() -> None:
    keys = parse_alter_table("ALTER TABLE ONLY public.b ADD CONSTRAINT b_excl EXCLUDE USING "
                             "gist (room WITH =, during WITH &&);", 1).keys
    assert keys == [UniqueKey(TableName("public", "b"), "b_excl", "EXCLUDE",
                              ("room", "during"), True, 1)]
    per_room = TransformSpec("date", {**SHIFT, "per": "room"})
    assert verdict_of(per_room, keys[0])[0] == ONE


SETUP = """
CREATE TABLE public.stays (id integer PRIMARY KEY, pid integer, admitted date,
    stay daterange, period tstzrange, local tsrange, history daterange[]);
INSERT INTO public.stays
SELECT g, g % 7, DATE '2021-03-01' + g,
       daterange(DATE '2021-03-01' + g, DATE '2021-03-05' + g * 2),
       tstzrange(TIMESTAMPTZ '2021-03-01 08:00+00' + g * interval '3 hours',
                 TIMESTAMPTZ '2021-03-02 09:30+00' + g * interval '3 hours', '[]'),
       CASE WHEN g % 5 = 0 THEN 'empty'::tsrange
            ELSE tsrange(TIMESTAMP '2021-03-01 08:00' + g * interval '1 day', NULL) END,
       ARRAY[daterange(DATE '2019-01-01' + g, DATE '2019-02-01' + g), NULL]
FROM generate_series(1, 40) g;
CREATE TABLE public.rooms (id integer PRIMARY KEY, during tstzrange,
    EXCLUDE USING gist (during WITH &&));
INSERT INTO public.rooms SELECT g, tstzrange(TIMESTAMPTZ '2024-01-01 00:00+00' + g * interval
    '1 day', TIMESTAMPTZ '2024-01-01 00:00+00' + (g + 1) * interval '1 day') FROM
    generate_series(1, 40) g;
"""

POLICY = """
version: 1
scrub:
  key: env:SCRUBPHI_KEY
  tables:
    public.stays:
      columns:
        id: keep
        pid: keep
        admitted: {date: shift, days: 30, per: pid}
        stay: {date: shift, days: 30, per: pid}
        period: {date: shift, days: 30}
        local: {date: shift, days: 30}
        history: {date: shift, days: 30}
    public.rooms:
      columns:
        id: keep
        during: ROOMS
"""

LENGTHS = ("COPY (SELECT id, admitted - lower(stay), upper(stay) - lower(stay), "
           "upper(period) - lower(period), isempty(local), upper(history[1]) - "
           "lower(history[1]) FROM public.stays ORDER BY id) TO STDOUT")


@pytest.fixture(scope="module")
def source(pg: PgServer) -> Iterator[str]:
    db = pg.create_database("ranges")
    pg.psql(db, "SET timezone = 'UTC';" + SETUP)
    yield db
    pg.drop_database(db)


@pytest.mark.postgres
@pytest.mark.parametrize("flags", [(), ("--inserts",)], ids=["copy", "inserts"])
def test_ranges_restore_shifted_with_their_lengths(pg: PgServer, source: str,
                                                   codec: ModuleType,
                                                   flags: tuple[str, ...]) -> None:
    dump = pg.pg_dump(source, "--no-owner", *flags)
    dst = io.BytesIO()
    scrub_stream(io.BytesIO(dump), dst, loads_policy(POLICY.replace("ROOMS", "keep"), "p.yaml"),
                 codec=codec, key=KEY.encode(), chunk_size=41)
    with restored(pg, dst.getvalue()) as db:
        lengths = pg.psql(db, LENGTHS).stdout
        moved = pg.psql(db, "COPY (SELECT stay FROM public.stays ORDER BY id) TO STDOUT").stdout
    assert lengths == pg.psql(source, LENGTHS).stdout  # lengths and stay-in-admission kept
    original = pg.psql(source, "COPY (SELECT stay FROM public.stays ORDER BY id) TO STDOUT")
    assert not set(moved.splitlines()) & set(original.stdout.splitlines())


@pytest.mark.postgres
def test_shifted_ranges_under_an_exclusion_constraint_are_warned(
        pg: PgServer, source: str, tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY.replace("ROOMS", "{date: shift, days: 30}"))
    done = subprocess.run([sys.executable, "-m", "scrubphi", "--config", str(policy)],
                          input=pg.pg_dump(source, "--no-owner"), capture_output=True,
                          env={**os.environ, "SCRUBPHI_KEY": KEY})
    assert done.returncode == 0, done.stderr
    assert b"scrubphi: warning: table public.rooms, exclusion constraint rooms_during_excl: " \
           b"column during: {date: shift, days: 30}" in done.stderr
    assert b'could not create exclusion constraint "rooms_during_excl"' in \
        restore_error(pg, done.stdout)
