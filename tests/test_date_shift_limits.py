"""``{date: shift}`` at the ends of PostgreSQL's date and timestamp ranges.

A sentinel date (``5874897-12-30``, the last days ``date`` holds; a timestamp in
294276) shifted forward came out past the end: scrubphi exited 0 and psql refused
the row mid-restore (``date out of range``). Such a date now moves as far the other
way; a text date in a ``format`` near year 9999 stopped the run with "does not match
the date format" (datetime's OverflowError) and now does the same.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from types import ModuleType

import pytest

from pg_fixtures import PgServer
from scrubphi import scrub_stream
from scrubphi.policy import loads_policy
from scrubphi.policy.model import TransformSpec
from scrubphi.transforms import build_transform
from scrubphi.transforms.base import ColumnInfo, TransformContext
from scrubphi.transforms.dates import civil_from_days, days_from_civil, parse_pg_date

KEY = b"date-shift-limits-key-0123456789abcdef"

SETUP = """
CREATE TABLE public.e (id integer PRIMARY KEY, pid integer, d date, ts timestamp,
                       tz timestamptz, dd date[], note text);
INSERT INTO public.e
SELECT g, g % 5,
       CASE WHEN g % 2 = 0 THEN DATE '5874897-12-31' - g % 4 ELSE DATE '4714-11-24 BC' + g % 4 END,
       CASE WHEN g % 2 = 0 THEN TIMESTAMP '294276-12-31 23:59:59' - (g % 4) * interval '1 day'
            ELSE TIMESTAMP '4714-11-24 00:00:00 BC' + (g % 4) * interval '1 day' END,
       CASE WHEN g % 2 = 0 THEN TIMESTAMPTZ '294276-12-31 12:00:00+00' - (g % 4) * interval '1 day'
            ELSE TIMESTAMPTZ '4714-11-24 12:00:00+00 BC' + (g % 4) * interval '1 day' END,
       ARRAY[DATE '5874897-12-31' - g % 4, DATE '4714-11-24 BC' + g % 4],
       CASE WHEN g % 2 = 0 THEN '9999-12-31' ELSE '0001-01-01' END
FROM generate_series(1, 40) g;
"""

POLICY = """
version: 1
scrub:
  tables:
    public.e:
      columns:
        id: keep
        pid: keep
        d: {date: shift, days: 30, per: pid}
        ts: {date: shift, days: 30}
        tz: {date: shift, days: 30, per: pid}
        dd: {date: shift, days: 30}
        note: {date: shift, days: 30, format: '%Y-%m-%d'}
"""


@pytest.fixture(scope="module")
def source(pg: PgServer) -> Iterator[str]:
    name = pg.create_database("shift_limits")
    pg.psql(name, "SET timezone = 'UTC';" + SETUP)
    yield name
    pg.drop_database(name)


def _scrub(dump: bytes, codec: ModuleType) -> bytes:
    dst = io.BytesIO()
    scrub_stream(io.BytesIO(dump), dst, loads_policy(POLICY, "s.yaml"), codec=codec, key=KEY,
                 chunk_size=47)
    return dst.getvalue()


@pytest.mark.postgres
@pytest.mark.parametrize("flags", [(), ("--inserts",)], ids=["copy", "inserts"])
def test_shifted_dates_stay_in_postgresql_range(pg: PgServer, source: str, codec: ModuleType,
                                                flags: tuple[str, ...]) -> None:
    from scrubphi import _impl

    dump = pg.pg_dump(source, "--no-owner", *flags)
    out = _scrub(dump, codec)
    assert out == _scrub(dump, _impl.load("pure"))
    db = pg.create_database("shift_limits_dst")
    try:
        pg.psql(db, stdin=out, args=["-v", "ON_ERROR_STOP=1", "--single-transaction"])
        moved = pg.psql(db, "COPY (SELECT count(*) FROM public.e WHERE d IS NOT NULL AND "
                            "ts IS NOT NULL AND tz IS NOT NULL AND note <> '') TO STDOUT")
    finally:
        pg.drop_database(db)
    assert moved.stdout.strip() == b"40"


_ENDS = {
    "date": ((-4713, 11, 24), (5874897, 12, 31)),
    "timestamp without time zone": ((-4713, 11, 24), (294276, 12, 31)),
    "timestamp with time zone": ((-4713, 11, 24), (294276, 12, 31)),
}


@pytest.mark.parametrize("column", sorted(_ENDS))
@pytest.mark.parametrize("per", [False, True])
def test_a_shift_past_the_end_goes_the_other_way(column: str, per: bool) -> None:
    """The last and first 20 days of each type, shifted by up to 30 days: every output
    is a date the type holds (half of them used to fall past the end)."""
    params: dict[str, object] = {"mode": "shift", "days": 30}
    if per:
        params["per"] = "pid"
    fn = build_transform(TransformSpec("date", params), ColumnInfo("c", column),
                         TransformContext(key=KEY)).fn
    first, last = (days_from_civil(*end) for end in _ENDS[column])
    tail = "" if column == "date" else " 12:00:00" + ("+00" if "with" in column else "")
    for day in [*range(first, first + 20), *range(last - 19, last + 1)]:
        y, m, d = civil_from_days(day)
        value = (f"{1 - y:04d}-{m:02d}-{d:02d}{tail} BC" if y <= 0
                 else f"{y:04d}-{m:02d}-{d:02d}{tail}")
        out = fn(value, str(day)) if per else fn(value)
        ny, nm, nd, _ = parse_pg_date(out)
        moved = days_from_civil(ny, nm, nd)
        assert first <= moved <= last and 1 <= abs(moved - day) <= 30


def test_a_text_date_near_9999_shifts_the_other_way() -> None:
    fn = build_transform(TransformSpec("date", {"mode": "shift", "days": 30,
                                                "format": "%Y-%m-%d"}),
                         ColumnInfo("c", "text"), TransformContext(key=KEY)).fn
    for value in ("9999-12-31", "0001-01-01"):
        out = fn(value)
        assert out != value and abs((date.fromisoformat(out.zfill(10)) -
                                     date.fromisoformat(value)).days) <= 30
