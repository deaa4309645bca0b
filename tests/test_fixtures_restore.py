"""Every scrubbed fixture restores into a real server of its own major version.

The pg_dump 15.18 fixtures go to the machine's PostgreSQL (15), the 18.6 ones
(which ``SET transaction_timeout``) to a throwaway PostgreSQL 18 cluster. Each
is scrubbed on both codecs and restored with ``psql -v ON_ERROR_STOP=1
--single-transaction``; row counts must match the original and the PHI must
be gone from the restored tables.
"""

from __future__ import annotations

import io
from pathlib import Path
from types import ModuleType

import pytest

from pg_fixtures import PgServer
from scrubphi import scrub_stream
from scrubphi.policy import loads_policy
from shared_paths import PGDUMP_FIXTURES

pytestmark = pytest.mark.postgres

KEY = b"fixture-restore-test-key-0123456789"

POLICY = """
version: 1
scrub:
  statistics: drop
  large_objects: drop
  tables:
    '"Weird Schema"."Pat,ients"':
      columns:
        id: keep
        First Name: {fake: first_name}
        '"a""b"': {mask: {keep_last: 2}}
        notes: {redact: text}
        tags: {fake: word}
        doc:
          json:
            "$.name": {fake: name}
            "$.ssn": {fake: ssn}
          other_paths: null
        photo: null
        dob: {date: safe_harbor, as_of: 2026-01-01}
        full_name: keep
    public.UPPER:
      columns:
        Id: keep
        sp ace: hash
    public.idcol:
      columns:
        id: keep
        v: {tokenize: alnum}
    public.measurements:
      columns:
        id: keep
        city: {fake: city}
        logdate: {date: shift, days: 30}
    "public.new\\nline":
      columns:
        "col\\ttab": {fake: first_name}
        x y: keep
    public.nocols: keep
"""

COUNTS = {
    '"Weird Schema"."Pat,ients"': 3,
    'public."UPPER"': 1,
    "public.idcol": 2,
    "public.measurements": 2,
    'public."new\nline"': 1,
    "public.nocols": 2,
}
PHI = ["Tab\there", "123-45-6789", "Jane", "Boston", "Quincy", "1960-02-29"]

SINGLE_DATABASE = [
    "edge.pg_dump-15.18.sql",
    "edge.pg_dump-15.18.inserts.sql",
    "edge.pg_dump-15.18.column-inserts-rows2.sql",
    "edge.pg_dump-15.18.load-via-root.quote-all.sql",
    "edge.pg_dump-15.18.bytea-escape.sql",
    "edge.pg_dump-18.6.sql",
    "patients.pg_dump-18.6.statistics.sql",
]


def scrubbed(name: str, codec: ModuleType) -> bytes:
    dst = io.BytesIO()
    data = (PGDUMP_FIXTURES / name).read_bytes()
    scrub_stream(io.BytesIO(data), dst, loads_policy(POLICY, "restore.yaml"), codec=codec, key=KEY)
    return dst.getvalue()


def server_for(name: str, pg: PgServer, request: pytest.FixtureRequest) -> PgServer:
    if "18.6" in name:
        server: PgServer = request.getfixturevalue("pg18")
        return server
    return pg


def table_dump(server: PgServer, db: str) -> str:
    """Every restored table's rows as text, for the PHI check."""
    out = []
    for table in COUNTS:
        rows = server.query(db, f"SELECT t::text FROM {table} t")
        out.extend(r[0] for r in rows)
    return "\n".join(out)


@pytest.mark.parametrize("name", SINGLE_DATABASE)
def test_scrubbed_fixture_restores(
    name: str, codec: ModuleType, pg: PgServer, request: pytest.FixtureRequest
) -> None:
    """The scrubbed dump restores in one transaction; counts match; no PHI is left."""
    server = server_for(name, pg, request)
    out = scrubbed(name, codec)
    db = server.create_database("fixture")
    if name.startswith("patients"):  # a dump of one table: its schema is not in it
        server.psql(db, 'CREATE SCHEMA "Weird Schema";')
    server.psql(db, stdin=out, args=["--single-transaction"])
    expected = dict(COUNTS)
    if name.startswith("patients"):
        expected = {'"Weird Schema"."Pat,ients"': 3}
    for table, count in expected.items():
        assert server.query(db, f"SELECT count(*) FROM {table}") == [(count,)], table
    restored = (
        table_dump(server, db)
        if not name.startswith("patients")
        else "\n".join(
            r[0] for r in server.query(db, 'SELECT t::text FROM "Weird Schema"."Pat,ients" t')
        )
    )
    for value in PHI:
        assert value not in restored, value
    # the large object exists (ownership and grants restore) but holds no data
    if "lo_create" in out.decode("utf-8", "replace"):
        rows = server.query(db, "SELECT count(*) FROM pg_largeobject")
        assert rows == [(0,)]
    server.drop_database(db)


def test_scrubbed_cluster_dump_restores(codec: ModuleType, request: pytest.FixtureRequest) -> None:
    """pg_dumpall output, scrubbed, restores into a fresh cluster; each database is scrubbed."""
    server: PgServer = request.getfixturevalue("pg18")
    out = scrubbed("cluster.pg_dumpall-15.18.sql", codec)
    # The cluster dump creates its roles and databases; the role exists already in any cluster,
    # so the dump is restored without ON_ERROR_STOP, as pg_dumpall's documentation does.
    server.drop_database("edge")
    result = server.psql("postgres", stdin=out, args=["-v", "ON_ERROR_STOP=0"], check=False)
    assert result.returncode == 0
    errors = [line for line in result.stderr.decode().splitlines() if "ERROR" in line]
    assert all("already exists" in line for line in errors), errors
    for table, count in COUNTS.items():
        assert server.query("edge", f"SELECT count(*) FROM {table}") == [(count,)], table
    restored = table_dump(server, "edge")
    for value in PHI:
        assert value not in restored, value
    server.drop_database("edge")


def test_fixture_directory_is_complete() -> None:
    """Every fixture file is restored by one of the tests above."""
    names = {p.name for p in Path(PGDUMP_FIXTURES).glob("*.sql") if "pg_dump" in p.name}
    others = {"cluster.pg_dumpall-15.18.sql", "edge.pg_dump-15.18.create.no-dollar.sql"}
    assert names == {*SINGLE_DATABASE, *others}


def test_scrubbed_create_fixture_restores(
    codec: ModuleType, request: pytest.FixtureRequest
) -> None:
    """The -C dump (CREATE DATABASE, \\connect, function bodies as strings) restores scrubbed."""
    server: PgServer = request.getfixturevalue("pg18")
    out = scrubbed("edge.pg_dump-15.18.create.no-dollar.sql", codec)
    server.drop_database("edge")
    server.psql("postgres", stdin=out)
    for table, count in COUNTS.items():
        assert server.query("edge", f"SELECT count(*) FROM {table}") == [(count,)], table
    restored = table_dump(server, "edge")
    for value in PHI:
        assert value not in restored, value
    server.drop_database("edge")
