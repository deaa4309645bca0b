"""The real-PostgreSQL test infrastructure works, including where no server runs.

Every end-to-end test of scrubphi stands on these fixtures; if the throwaway
path were broken, the suite would only notice on a machine without a local
server, which is exactly where nobody is looking.
"""

from __future__ import annotations

import importlib.util
import io
import re
import socket
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from pg_fixtures import (
    PgServer,
    PsqlError,
    connect_existing,
    find_server,
    start_throwaway,
)
from shared_paths import PGDUMP_FIXTURES

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[1]
# ../shared, SCRUBPHI_SHARED or the in-repo tests/data/shared: see shared_paths.
FIXTURES = PGDUMP_FIXTURES
_SCHEMA = """
CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL, born date);
INSERT INTO t VALUES (1, 'Tab\tand ''quote''', '1960-02-29'), (2, 'plain', NULL);
"""


def _port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        return s.connect_ex((host, port)) == 0


def _client_major(server: PgServer, exe: str) -> int:
    out = subprocess.run(
        [server.bin_dir / exe, "--version"], capture_output=True, check=True, text=True
    ).stdout
    m = re.search(r"\(PostgreSQL\) (\d+)", out)
    assert m is not None, out
    return int(m.group(1))


def test_throwaway_cluster_dump_and_restore() -> None:
    """An explicitly started throwaway cluster takes SQL, dumps it, restores it, then vanishes.

    This is the path CI machines without a local server depend on (initdb as a
    non-root user on a free loopback port), exercised even where 5432 answers.
    """
    server = start_throwaway()
    try:
        assert server.host == "127.0.0.1"
        assert _port_open(server.host, server.port)
        src = server.create_database("src")
        server.psql(src, _SCHEMA)
        dump = server.pg_dump(src, "--no-owner")
        assert b"COPY public.t (id, name, born) FROM stdin;\n" in dump
        assert b"1\tTab\\tand 'quote'\t1960-02-29\n2\tplain\t\\N\n\\.\n" in dump
        dst = server.create_database("dst")
        server.psql(dst, stdin=dump, args=["--single-transaction"])
        assert server.query(dst, "SELECT id, name, born::text FROM t ORDER BY id") == [
            (1, "Tab\tand 'quote'", "1960-02-29"),
            (2, "plain", None),
        ]
        root = server.root
        assert root.is_dir()
    finally:
        server.stop()
    assert not root.exists()
    assert not _port_open(server.host, server.port)


def test_pg18_fixture_restores_a_pg_dump_18_fixture(pg18: PgServer) -> None:
    """``pg18`` is a real 18 server with 18's clients: a pg_dump 18.6 file restores into it.

    pg_dump 18 writes ``SET transaction_timeout``, which older servers reject, so
    restoring the shared 18.6 fixtures needs exactly this.
    """
    assert pg18.version == 18
    assert _client_major(pg18, "psql") == 18
    assert _client_major(pg18, "pg_dump") == 18
    db = pg18.create_database("edge18")
    pg18.psql(db, file=FIXTURES / "edge.pg_dump-18.6.sql")
    tables = pg18.query(
        db,
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')",
    )
    assert tables[0][0] > 0
    assert b"Dumped by pg_dump version 18." in pg18.pg_dump(db, "--schema-only")


def test_pg_fixture_clients_match_the_server(pg: PgServer) -> None:
    """The ``pg`` fixture's psql and pg_dump have the server's major version.

    A newer pg_dump against an older server, or the reverse, changes the very
    output the scrubber is tested on.
    """
    assert pg.version >= 13
    assert _client_major(pg, "psql") == pg.version
    assert _client_major(pg, "pg_dump") == pg.version
    db = pg.create_database("ver")
    assert f"Dumped from database version {pg.version}.".encode() in pg.pg_dump(db)


def test_pg_fixture_query_psql_and_errors(pg: PgServer) -> None:
    """query() binds parameters; psql stops at the first error and reports it.

    Restore tests rely on ON_ERROR_STOP: a broken dump must fail, not half-load.
    """
    db = pg.create_database("errs")
    pg.psql(db, "CREATE TABLE n (v int);")
    assert pg.query(db, "SELECT %s::int + %s::int", (2, 3)) == [(5,)]
    assert pg.query(db, "INSERT INTO n VALUES (1)") == []
    with pytest.raises(PsqlError) as info:
        pg.psql(db, "INSERT INTO n VALUES ('x');\nINSERT INTO n VALUES (2);\n")
    assert "invalid input syntax" in str(info.value)
    assert pg.query(db, "SELECT v FROM n ORDER BY v") == [(1,)]
    proc = pg.psql(db, "SELECT nope;", check=False)
    assert proc.returncode != 0
    with pytest.raises(ValueError):
        pg.psql(db, "SELECT 1", stdin=b"SELECT 1")


def test_created_databases_are_dropped_on_close(pg: PgServer) -> None:
    """Databases made through the fixture vanish when it closes: no litter on a shared server."""
    other = connect_existing(pg.dsn())
    assert other is not None
    assert other.version == pg.version
    name = other.create_database("Litter Check")
    assert name.startswith("litter_check_")
    exists = "SELECT count(*) FROM pg_database WHERE datname = %s"
    assert pg.query("postgres", exists, (name,)) == [(1,)]
    other.close()
    assert pg.query("postgres", exists, (name,)) == [(0,)]


def test_explicit_server_that_does_not_answer_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SCRUBPHI_TEST_PG naming a dead server fails loudly instead of silently falling back."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    monkeypatch.setenv("SCRUBPHI_TEST_PG", f"127.0.0.1:{dead_port}")
    with pytest.raises(RuntimeError, match="does not answer"):
        find_server()


# -- the data that these tools make: the bundled example and the benchmark dumps --


def _load_script(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _copy_blocks(dump: bytes) -> list[bytes]:
    """Every COPY statement with its rows, in order (version-independent content)."""
    return re.findall(rb"^COPY .*?^\\\.$", dump, flags=re.M | re.S)


def test_committed_hospital_example_is_what_its_script_makes(pg: PgServer, tmp_path: Path) -> None:
    """examples/hospital.sql is not stale: make_hospital.py rebuilds the same rows.

    The README's first command scrubs this file; if the script and the file
    drifted apart, nobody could regenerate the example after a schema change.
    """
    make_hospital = _load_script(REPO / "examples" / "make_hospital.py")
    name = pg.create_database("hospital")
    make_hospital.build(pg.dsn("postgres"), name)
    out = tmp_path / "hospital.sql"
    make_hospital.dump(pg.dsn("postgres"), name, out, str(pg.bin_dir / "pg_dump"))
    committed = (REPO / "examples" / "hospital.sql").read_bytes()
    fresh = out.read_bytes()
    assert len(_copy_blocks(committed)) == 7
    assert _copy_blocks(fresh) == _copy_blocks(committed)


def test_committed_hospital_example_restores(pg: PgServer) -> None:
    """The bundled dump restores in one transaction, with the shape the policy describes.

    Claims carry the same SSNs as patients: the example exists to show that a
    consistent fake keeps that join working.
    """
    db = pg.create_database("hospital_restore")
    pg.psql(db, file=REPO / "examples" / "hospital.sql", args=["--single-transaction"])
    assert pg.query(db, "SELECT count(*) FROM public.patients") == [(50,)]
    joined = pg.query(
        db,
        "SELECT count(*) FILTER (WHERE p.ssn = c.member_ssn), count(c.member_ssn) "
        "FROM public.claims c JOIN public.encounters e ON e.id = c.encounter_id "
        "JOIN public.patients p ON p.id = e.patient_id",
    )
    assert joined[0][0] == joined[0][1] > 0
    assert pg.query(db, 'SELECT count(*) > 0 FROM clinic."Lab Results"') == [(True,)]


def test_benchmark_dump_is_deterministic_sized_and_restorable(pg: PgServer) -> None:
    """gen_dump writes the same bytes for the same seed, at least the asked size, valid for psql.

    Benchmark ratios compare runs on the same bytes; a dump psql rejects
    would make the pipeline benchmark meaningless.
    """
    gen_dump = _load_script(REPO / "benchmarks" / "gen_dump.py")
    size = gen_dump.parse_size("400KB")
    assert size == 400_000
    first, second, other = io.BytesIO(), io.BytesIO(), io.BytesIO()
    n = gen_dump.write_dump(first, size, seed=3)
    gen_dump.write_dump(second, size, seed=3)
    gen_dump.write_dump(other, size, seed=4)
    assert first.getvalue() == second.getvalue() != other.getvalue()
    assert n == len(first.getvalue())
    assert size <= n < size * 1.5
    blocks = _copy_blocks(first.getvalue())
    rows = [block.count(b"\n") - 1 for block in blocks]
    assert [b.split(b" ", 2)[1] for b in blocks] == [b"public.patients", b"public.vitals"]
    db = pg.create_database("bench")
    pg.psql(db, stdin=first.getvalue(), args=["--single-transaction"])
    counts = pg.query(
        db, "SELECT (SELECT count(*) FROM public.patients), (SELECT count(*) FROM public.vitals)"
    )
    assert list(counts[0]) == rows
    assert all(r > 0 for r in rows)
