"""``unique: true`` really is unique: a million rows restored under UNIQUE constraints.

A table of 1,000,000 people with UNIQUE ssn, email, user name and full name is
piped through the real ``pg_dump | scrubphi | psql`` (streamed, never held in
memory) into a second database whose UNIQUE indexes reject any collision.
The names are only a few thousand in the fake pools, so this also proves that
unique fakes widen their output space instead of repeating.
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
    full_name text NOT NULL UNIQUE
);
INSERT INTO public.people
SELECT i,
       lpad((i / 1000000)::text, 3, '0') || '-' || lpad((i / 10000 % 100)::text, 2, '0') || '-'
           || lpad((i % 10000)::text, 4, '0'),
       'person' || i || '@mail.test',
       'user' || i,
       'Person Number ' || i
FROM generate_series(1, {ROWS}) AS i;
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
        full_name: {fake: name, unique: true}
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
        " count(DISTINCT full_name), min(ssn) >= '900' FROM public.people",
    )
    assert counts == [(ROWS, ROWS, ROWS, ROWS, ROWS, True)]
    overlap = pg.query(target, "SELECT count(*) FROM public.people WHERE email LIKE '%@mail.test'")
    assert overlap == [(0,)]
    pg.drop_database(target)
