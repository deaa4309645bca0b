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
# The pure twin computes each Feistel round in Python (tens of microseconds a value):
# it restores 100,000 people, the compiled twin the million.
PURE_ROWS = 100_000
KEY = b"million-unique-test-key-0123456789"

SCHEMA = """
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
      FROM generate_series(1, {rows}) AS i) AS s;
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
def sources(pg: PgServer) -> dict[int, str]:
    """Databases of people with unique identifiers, made once per size when first asked."""
    return {}


def _source(pg: PgServer, sources: dict[int, str], rows: int) -> str:
    if rows not in sources:
        db = pg.create_database(f"people{rows}")
        pg.psql(db, SCHEMA.format(rows=rows))
        sources[rows] = db
    return sources[rows]


def test_million_unique_fakes_restore(
    pg: PgServer, sources: dict[int, str], codec: ModuleType
) -> None:
    """Every unique fake is distinct: the restore under UNIQUE constraints succeeds."""
    rows = PURE_ROWS if codec.__name__.endswith("_pure") else ROWS
    million = _source(pg, sources, rows)
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
    assert table.rows == rows
    assert table.columns["ssn"].transformed == rows
    counts = pg.query(
        target,
        "SELECT count(*), count(DISTINCT ssn), count(DISTINCT email), count(DISTINCT user_name),"
        " count(DISTINCT website), bool_and(email LIKE '%.example'),"
        " bool_and(website LIKE 'https://%.example/%') FROM public.people",
    )
    assert counts == [(rows, rows, rows, rows, rows, True, True)]
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
