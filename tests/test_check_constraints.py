"""Table CHECK constraints over transformed columns.

``CHECK (discharged >= admitted)`` with both dates shifted by days keyed by
each date (no ``per``) exited 0 and psql refused rows mid-restore ("violates
check constraint"); so did a format CHECK (``zip ~ '^\\d{5}$'``) over a mask.
scrubphi does not evaluate CHECK expressions; it now warns, naming the
constraint and the columns, when a transform writes new values into a column a
CHECK reads (a table's own CHECKs and its parents' inherited ones). Columns
that all move by one per-row date offset keep the CHECK's truth: no warning.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from pg_fixtures import PgServer
from restore_helpers import restore_error, restored
from scrubphi import scrub_stream
from scrubphi.dump.schema import CheckConstraint, parse_alter_table, parse_create_table
from scrubphi.policy import loads_policy
from scrubphi.policy.model import TableName

KEY = b"check-constraints-test-key-0123456789abcdef"

SETUP = """
CREATE TABLE public.stays (id integer PRIMARY KEY, pid integer, admitted date,
    discharged date, zip text CHECK (zip ~ '^[0-9]{5}$'), age integer,
    CONSTRAINT order_ok CHECK (discharged >= admitted),
    CONSTRAINT adult CHECK (age >= 18) NO INHERIT);
CREATE TABLE public.kid_stays (guardian text) INHERITS (public.stays);
INSERT INTO public.stays SELECT g, g % 5, DATE '2020-01-01' + g, DATE '2020-01-01' + g + 1,
    lpad((g * 137)::text, 5, '0'), 30 FROM generate_series(1, 60) g;
INSERT INTO public.kid_stays SELECT g + 100, g % 5, DATE '2020-01-01' + g,
    DATE '2020-01-02' + g, '02115', 8, 'Ann' FROM generate_series(1, 30) g;
"""

POLICY = """
version: 1
scrub:
  tables:
    public.stays:
      columns:
        id: keep
        pid: keep
        admitted: {SHIFT}
        discharged: {SHIFT}
        zip: {ZIP}
        age: {AGE}
    public.kid_stays:
      columns:
        guardian: {fake: first_name}
"""


def _policy(shift: str, zip_spec: str = "keep", age: str = "keep") -> str:
    return POLICY.replace("{SHIFT}", shift).replace("{ZIP}", zip_spec).replace("{AGE}", age)


@pytest.fixture(scope="module")
def source(pg: PgServer) -> Iterator[str]:
    db = pg.create_database("checks")
    pg.psql(db, SETUP)
    yield db
    pg.drop_database(db)


def _scrub(pg: PgServer, source: str, policy: str, codec: ModuleType,
           *flags: str) -> tuple[bytes, list[str]]:
    dst = io.BytesIO()
    report = scrub_stream(io.BytesIO(pg.pg_dump(source, "--no-owner", *flags)), dst,
                          loads_policy(policy, "p.yaml"), codec=codec, key=KEY, chunk_size=59)
    return dst.getvalue(), report.warnings


def test_check_constraints_are_read() -> None:
    info = parse_create_table("CREATE TABLE public.t (a integer CHECK (a > 0), b date, c date, "
                              "CONSTRAINT o CHECK ((c >= b)) NO INHERIT);", 1)
    assert info is not None
    t = TableName("public", "t")
    assert info.checks == [CheckConstraint(t, "", ("a",), True, 1),
                           CheckConstraint(t, "o", ("c", "b"), False, 1)]
    # NOT VALID binds no row the restore loads
    assert parse_alter_table("ALTER TABLE public.t ADD CONSTRAINT k CHECK ((a < 5)) NOT VALID;",
                             2).keys == []
    assert parse_alter_table("ALTER TABLE public.t ADD CONSTRAINT k CHECK ((a < 5));", 2).keys \
        == [CheckConstraint(t, "k", ("a",), True, 2)]


@pytest.mark.postgres
def test_dates_shifted_apart_are_warned_and_fail_the_restore(pg: PgServer, source: str,
                                                             codec: ModuleType) -> None:
    out, warnings = _scrub(pg, source, _policy("{date: shift, days: 30}"), codec)
    expected = ("CHECK constraint order_ok: column discharged: {date: shift, days: 30}; column "
                "admitted: {date: shift, days: 30}; scrubphi does not evaluate CHECK "
                "expressions: the restore fails at a row whose new values do not pass it (one "
                "date shift per the row's entity, per: COLUMN, moves them together)")
    assert warnings == [f"table public.kid_stays, {expected}", f"table public.stays, {expected}"]
    assert b'violates check constraint "order_ok"' in restore_error(pg, out)


@pytest.mark.postgres
@pytest.mark.parametrize("flags", [(), ("--inserts",)], ids=["copy", "inserts"])
def test_one_offset_per_row_keeps_the_check(pg: PgServer, source: str, codec: ModuleType,
                                            flags: tuple[str, ...]) -> None:
    out, warnings = _scrub(pg, source, _policy("{date: shift, days: 30, per: pid}"), codec,
                           *flags)
    assert warnings == []
    with restored(pg, out):
        pass


@pytest.mark.postgres
def test_a_format_check_over_a_mask_and_no_inherit(pg: PgServer, source: str,
                                                   codec: ModuleType) -> None:
    out, warnings = _scrub(pg, source, _policy("{date: shift, days: 30, per: pid}", "mask",
                                               "{value: 40}"), codec)
    assert sorted(w.split(": column")[0] for w in warnings) == [
        "table public.kid_stays, CHECK constraint stays_zip_check",  # inherited
        "table public.stays, CHECK constraint adult",
        "table public.stays, CHECK constraint stays_zip_check"]
    # the NO INHERIT check binds stays only
    assert [w for w in warnings if "adult" in w] == [
        "table public.stays, CHECK constraint adult: column age: {value: 40}; scrubphi does "
        "not evaluate CHECK expressions: the restore fails at a row whose new values do not "
        "pass it"]
    assert b'violates check constraint "stays_zip_check"' in restore_error(pg, out)


@pytest.mark.postgres
def test_audit_lists_the_restore_warnings(pg: PgServer, source: str, tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(_policy("{date: shift, days: 30}"))
    dump = tmp_path / "d.sql"
    dump.write_bytes(pg.pg_dump(source, "--no-owner"))
    done = subprocess.run([sys.executable, "-m", "scrubphi", "audit", "-c", str(policy),
                           "--dump", str(dump), "--json"], capture_output=True)
    report = json.loads(done.stdout)
    assert [w.split(": column")[0] for w in report["restore_warnings"]] == [
        "table public.kid_stays, CHECK constraint order_ok",
        "table public.stays, CHECK constraint order_ok"]


@pytest.mark.postgres
def test_check_strict_fails_on_warnings(pg: PgServer, source: str, tmp_path: Path) -> None:
    dump = tmp_path / "d.sql"
    dump.write_bytes(pg.pg_dump(source, "--no-owner"))
    for shift, code in (("{date: shift, days: 30}", 3), ("{date: shift, days: 30, per: pid}", 0)):
        policy = tmp_path / "p.yaml"
        policy.write_text(_policy(shift))
        done = subprocess.run([sys.executable, "-m", "scrubphi", "check", "-c", str(policy),
                               "--dump", str(dump), "--strict"], capture_output=True)
        assert done.returncode == code, done.stderr
        assert (b"the policy does not fit the dump (2 problems)" in done.stderr) == bool(code)
