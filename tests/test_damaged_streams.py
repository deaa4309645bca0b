"""Damaged streams fail closed: a real pg_dump, damaged, through the CLI and psql.

Every PHI value of the source carries ``PHIMARK``.  For each damage the
invariant is the README's: scrubphi exits non-zero, no marked value is in
its output or its messages, and ``psql -v ON_ERROR_STOP=1
--single-transaction`` commits nothing of the output.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pg_fixtures import PgServer

pytestmark = pytest.mark.postgres

MARK = b"PHIMARK"
KEY = b"damaged-streams-test-key-0123456789abcdef"

SETUP = r"""
CREATE TABLE public.allergens (name text);
CREATE TABLE public.codes (code text PRIMARY KEY, label text);
CREATE TABLE public.sessions (id integer, token text);
CREATE TABLE public.patients (id integer PRIMARY KEY, name text NOT NULL, ssn text);
CREATE TABLE public.zz_notes (id integer, body text);
INSERT INTO public.allergens VALUES ('penicillin'), ('latex');
INSERT INTO public.codes VALUES ('E11', 'diabetes'), ('I10', 'hypertension');
INSERT INTO public.sessions VALUES (1, 'PHIMARK-token');
INSERT INTO public.patients
    SELECT g, 'PHIMARK Pat ' || g, 'PHIMARK-' || g FROM generate_series(1, 30) g;
INSERT INTO public.zz_notes VALUES (1, 'PHIMARK saw Dr. Who');
COMMENT ON TABLE public.codes IS 'the code list';
"""

POLICY = """
version: 1
scrub:
  key: file:key
  tables:
    public.allergens: keep
    public.codes: keep
    public.sessions: drop
    public.patients: {columns: {id: keep, name: {fake: name}, ssn: {fake: ssn}}}
    public.zz_notes: {columns: {id: keep, body: {value: note}}}
"""


@pytest.fixture(scope="module")
def dump(pg: PgServer) -> Iterator[bytes]:
    name = pg.create_database("damaged")
    pg.psql(name, SETUP)
    yield pg.pg_dump(name, "--no-owner")
    pg.drop_database(name)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("damaged")
    (path / "policy.yaml").write_text(POLICY)
    (path / "key").write_bytes(KEY)
    return path


def run_cli(workdir: Path, data: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "scrubphi", "--config", str(workdir / "policy.yaml")],
        input=data, capture_output=True, cwd=workdir, check=False,
    )


def assert_fails_closed(pg: PgServer, workdir: Path, data: bytes, message: str) -> None:
    result = run_cli(workdir, data)
    assert result.returncode != 0, "a damaged stream was accepted"
    assert message in result.stderr.decode(), result.stderr
    assert MARK not in result.stdout, "a marked value reached the output"
    assert MARK not in result.stderr, "a marked value reached a message"
    target = pg.create_database("damaged_dst")
    restored = pg.psql(target, stdin=result.stdout, args=["--single-transaction"], check=False)
    assert restored.returncode != 0
    tables = pg.query(target, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
    assert tables == [(0,)], "psql committed part of a failed scrub"
    pg.drop_database(target)


def test_the_undamaged_dump_restores(pg: PgServer, dump: bytes, workdir: Path) -> None:
    result = run_cli(workdir, dump)
    assert result.returncode == 0, result.stderr
    assert MARK not in result.stdout
    target = pg.create_database("damaged_dst")
    pg.psql(target, stdin=result.stdout, args=["--single-transaction"])
    assert pg.query(target, "SELECT count(*) FROM public.patients") == [(30,)]


def _end_of(dump: bytes, table: bytes) -> int:
    """The offset of the ``\\.`` line that ends ``table``'s COPY block."""
    start = dump.index(b"COPY public." + table + b" ")
    return dump.index(b"\n\\.\n", start) + 1


def damage_end_line(table: bytes, replacement: bytes) -> Callable[[bytes], bytes]:
    def damage(dump: bytes) -> bytes:
        at = _end_of(dump, table)
        return dump[:at] + replacement + dump[at + 2:]
    return damage


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        # One byte of a kept or dropped block's "\." changed: what follows must not
        # flow through as rows of the kept table (the next table's raw rows).
        # A one-column table takes any line as a row, up to the next COPY statement.
        (damage_end_line(b"codes", b"\\,"), "bad escape sequence"),
        (damage_end_line(b"codes", b"X."), "expected 2 fields, found 1"),
        (damage_end_line(b"codes", b""), "expected 2 fields, found 1"),
        (damage_end_line(b"allergens", b"X."), "a row is a COPY statement"),
        (damage_end_line(b"allergens", b"\\"), "bad escape sequence"),
        (damage_end_line(b"sessions", b"\\,"), "bad escape sequence"),
        (damage_end_line(b"sessions", b"."), "expected 2 fields, found 1"),
        # CRLF line endings, as psql would restore them: refused before any row leaves.
        (lambda d: d.replace(b"\n", b"\r\n"), "literal carriage return"),
        # A short row in a kept table.
        (lambda d: d.replace(b"E11\tdiabetes\n", b"E11\n"), "expected 2 fields, found 1"),
        # Cut right after a COPY statement's ";" and right after its newline.
        (lambda d: d[: d.index(b"COPY public.patients") + d[d.index(b"COPY public.patients"):]
                     .index(b";") + 1], "right after a COPY statement"),
        (lambda d: d[: d.index(b"COPY public.zz_notes") + d[d.index(b"COPY public.zz_notes"):]
                     .index(b"\n") + 1], "ended inside COPY data"),
        # No "dump complete" line, and no input at all.
        (lambda d: d[: d.index(b"--\n-- PostgreSQL database dump complete")],
         "dump complete"),
        (lambda d: b"", "not a whole pg_dump"),
        # A COPY statement damaged: its rows are read as SQL, and no message quotes them.
        (lambda d: d.replace(b"COPY public.patients", b"CPOY public.patients"),
         "an unknown statement may carry data"),
        (lambda d: d.replace(b"COPY public.patients (id, name, ssn) FROM stdin;\n",
                             b"COPY public.patients (id, name, ssn) FROM stdin;\n\\.\n"),
         "a psql meta-command (backslash) inside an SQL statement"),
        # A data row that reads as a psql meta-command after a damaged COPY statement.
        (lambda d: d.replace(b"COPY public.zz_notes (id, body) FROM stdin;\n1\t",
                             b"COPY public.zz_notes (id, body) FROM stdin;\n\\.\n\\PHIMARK\t"),
         "a backslash command psql does not have"),
        # A pg_dump SELECT with more than its one call.
        (lambda d: d.replace(b"SELECT pg_catalog.set_config('search_path', '', false);",
                             b"SELECT pg_catalog.set_config('search_path', '', false), "
                             b"'PHIMARK' INTO public.leak;"),
         "a SELECT statement that pg_dump does not write"),
    ],
    ids=["kept-end-line-escape", "kept-end-line-letter", "kept-end-line-gone",
         "one-column-end-line-letter", "one-column-end-line-backslash",
         "dropped-end-line-escape", "dropped-end-line-dot", "crlf", "short-kept-row",
         "cut-after-copy-semicolon", "cut-after-copy-newline", "no-dump-complete", "empty",
         "copy-keyword-damaged", "copy-ended-early", "meta-command-from-data",
         "select-with-more"],
)
def test_damaged_stream_fails_closed(pg: PgServer, dump: bytes, workdir: Path,
                                     damage: Callable[[bytes], bytes], message: str) -> None:
    assert_fails_closed(pg, workdir, damage(dump), message)


@pytest.mark.parametrize(("args", "message"), [
    (("-Fc",), "custom-format (-Fc) archive"),
    (("-Ft",), "tar-format (-Ft) archive"),
    (("-Fp", "-Z", "5"), "gzip-compressed"),
])
def test_archives_of_a_real_pg_dump_are_named(pg: PgServer, workdir: Path,
                                              args: tuple[str, ...], message: str) -> None:
    """pg_dump's archive formats and its compressed plain format, piped by mistake: named at
    line 1 with the command to run instead, and nothing restorable written."""
    name = pg.create_database("damaged_archive")
    try:
        pg.psql(name, SETUP)
        data = pg.pg_dump(name, "--no-owner", *args)
    finally:
        pg.drop_database(name)
    result = run_cli(workdir, data)
    assert b"line 1: the input is" in result.stderr
    assert_fails_closed(pg, workdir, data, message)


def test_bit_string_literals_of_inserts_are_understood(pg: PgServer, workdir: Path) -> None:
    name = pg.create_database("bits")
    pg.psql(name, "CREATE TABLE public.codes (code text PRIMARY KEY, label text);"
                  "CREATE TABLE public.flags (id integer, f bit(4), v bit varying, n text);"
                  "INSERT INTO public.flags VALUES (1, B'1010', B'1', 'PHIMARK');")
    policy = POLICY + "    public.flags: {columns: {id: keep, f: keep, v: keep, n: {value: x}}}\n"
    (workdir / "bits.yaml").write_text(policy)
    data = pg.pg_dump(name, "--no-owner", "--inserts")
    assert b"B'1010'" in data
    result = subprocess.run(
        [sys.executable, "-m", "scrubphi", "--config", str(workdir / "bits.yaml")],
        input=data, capture_output=True, cwd=workdir, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert b"INSERT INTO public.flags VALUES (1, B'1010', B'1', 'x');" in result.stdout


def test_swapped_create_table_lines_do_not_shift_insert_values(
    pg: PgServer, dump: bytes, workdir: Path
) -> None:
    """Positional INSERTs follow CREATE TABLE's order: two of its column lines swapped
    would put a patient's name into the kept integer column."""
    name = pg.create_database("damaged_ins")
    pg.psql(name, SETUP)
    data = pg.pg_dump(name, "--no-owner", "--inserts")
    good = b"    id integer NOT NULL,\n    name text NOT NULL,\n"
    assert good in data
    swapped = data.replace(good, b"    name text NOT NULL,\n    id integer NOT NULL,\n")
    assert_fails_closed(pg, workdir, swapped, "does not have its column's type")


def test_every_builtin_type_of_an_insert_dump_passes(pg: PgServer, workdir: Path) -> None:
    """The shape check knows how pg_dump writes each type (a domain over integer bare)."""
    name = pg.create_database("types")
    pg.psql(name, """
        CREATE DOMAIN public.posint AS integer CHECK (VALUE > 0);
        CREATE TYPE public.mood AS ENUM ('ok', 'sad');
        CREATE TABLE public.t (a public.posint, b money, c interval, d uuid, e inet, f bytea,
            g public.mood, h numeric, i real, j double precision, k timestamptz, l time,
            m jsonb, n boolean, o bit(3), p integer[], q date, r text);
        INSERT INTO public.t VALUES (5, 12.5, '1 day', gen_random_uuid(), '10.0.0.1',
            '\\x00ff', 'ok', 'NaN', 'Infinity', -1.5e10, 'infinity', '10:00', '{"a": 1}',
            true, B'101', '{1,2}', '-infinity', 'PHIMARK'), (NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, 2.5, -0.5, 1e-5, '2024-02-29 10:00+01', '23:59:59.5', '[]', false,
            B'000', '{}', '2024-02-29', NULL);
    """)
    columns = ", ".join(f"{c}: keep" for c in "abcdefghijklmnopq")
    (workdir / "types.yaml").write_text(
        POLICY + f"    public.t: {{columns: {{{columns}, r: {{value: x}}}}}}\n")
    result = subprocess.run(
        [sys.executable, "-m", "scrubphi", "--config", str(workdir / "types.yaml")],
        input=pg.pg_dump(name, "--no-owner", "--inserts"), capture_output=True, cwd=workdir,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert MARK not in result.stdout
    target = pg.create_database("types_dst")
    pg.psql(target, stdin=result.stdout, args=["--single-transaction"])
    assert pg.query(target, "SELECT count(*), min(r) FROM public.t") == [(2, "x")]
