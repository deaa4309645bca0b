"""``unique: true`` really is unique: a million rows restored under UNIQUE constraints.

A table of 1,000,000 people with UNIQUE ssn, email, user name and web site is
piped through the real ``pg_dump | scrubphi | psql`` (streamed, never held in
memory) into a second database whose UNIQUE indexes reject any collision.
The inputs are as close to each other as they can be (e-mails, user names and
URLs that differ in one digit; SSNs spread over the whole space, never-issued
beside issued-shaped), so this holds the keyed bijections one-to-one where a
hash would collide first.
"""

from __future__ import annotations

import subprocess
from types import ModuleType

import pytest

from pg_fixtures import PgServer
from scrubphi import scrub_stream
from scrubphi.policy import loads_policy

pytestmark = pytest.mark.postgres

ROWS = 1_000_000
KEY = b"million-unique-test-key-0123456789"

SCHEMA = f"""
CREATE TABLE public.people (
    id integer PRIMARY KEY,
    ssn text NOT NULL UNIQUE,
    email text NOT NULL UNIQUE,
    user_name text NOT NULL UNIQUE,
    website text NOT NULL UNIQUE
);
INSERT INTO public.people
SELECT i, substr(d, 1, 3) || '-' || substr(d, 4, 2) || '-' || substr(d, 6, 4),
       'person' || i || '@mail.test',
       'user' || i,
       'https://www.clinic.test/patients/' || i
FROM (SELECT i, lpad(((i::bigint * 7919) % 1000000000)::text, 9, '0') AS d
      FROM generate_series(1, {ROWS}) AS i) AS s;
"""

POLICY = """
version: 1
scrub:
  tables:
    public.people:
      columns:
        id: keep
        ssn: {fake: ssn, unique: true}
        email: {fake: email, unique: true}
        user_name: {fake: user_name, unique: true}
        website: {fake: url, unique: true}
"""


@pytest.fixture(scope="module")
def million(pg: PgServer) -> str:
    """A database with a million people, each with unique identifiers."""
    db = pg.create_database("million")
    pg.psql(db, SCHEMA)
    return db


def test_million_unique_fakes_restore(pg: PgServer, million: str, codec: ModuleType) -> None:
    """Every unique fake is distinct: the restore under UNIQUE constraints succeeds."""
    target = pg.create_database("million_dst")
    env = pg.client_env()
    with (
        subprocess.Popen(
            [str(pg.bin_dir / "pg_dump"), "--no-owner", "-d", pg.dsn(million)],
            stdout=subprocess.PIPE,
            env=env,
        ) as dump,
        subprocess.Popen(
            [
                str(pg.bin_dir / "psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "--single-transaction",
                "-d",
                pg.dsn(target),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        ) as restore,
    ):
        assert dump.stdout is not None and restore.stdin is not None
        report = scrub_stream(
            dump.stdout, restore.stdin, loads_policy(POLICY, "million.yaml"), codec=codec, key=KEY
        )
        restore.stdin.close()
        stderr = restore.stderr.read() if restore.stderr is not None else b""
        assert dump.wait() == 0
        assert restore.wait() == 0, stderr.decode()[-2000:]
    (table,) = report.tables
    assert table.rows == ROWS
    assert table.columns["ssn"].transformed == ROWS
    counts = pg.query(
        target,
        "SELECT count(*), count(DISTINCT ssn), count(DISTINCT email), count(DISTINCT user_name),"
        " count(DISTINCT website), bool_and(email LIKE '%.example'),"
        " bool_and(website LIKE 'https://%.example/%') FROM public.people",
    )
    assert counts == [(ROWS, ROWS, ROWS, ROWS, ROWS, True, True)]
    # The SSN class is kept: as many never-issued fakes as never-issued originals (area
    # 000, group 00 or serial 0000 among the inputs).
    never = (
        "SELECT count(*) FROM public.people WHERE substr(ssn, 1, 3) IN ('000', '666') "
        "OR substr(ssn, 1, 1) = '9' OR substr(ssn, 5, 2) = '00' OR substr(ssn, 8, 4) = '0000'"
    )
    assert pg.query(target, never) == pg.query(million, never)
    overlap = pg.query(target, "SELECT count(*) FROM public.people WHERE email LIKE '%@mail.test'")
    assert overlap == [(0,)]
    pg.drop_database(target)
