"""A transform that cannot work on its column is a policy error (exit 3), not a coverage gap (5).

Issue 16, item 7: ``{hash: {alphabet: hex}}`` on an integer column exited 5
"coverage failure". It is found against the dump's schema, before any data
row is written, and now exits 3 in ``scrubphi`` and ``scrubphi check``; a
column the policy does not name is still a coverage failure (5).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pg_fixtures import PgServer

pytestmark = pytest.mark.postgres

POLICY = """
version: 1
scrub:
  key: env:SCRUBPHI_KEY
  tables:
    public.visits:
      columns:
        id: {ID}
        patient: {fake: name}
        seen: {SEEN}
"""


def _run(args: list[str], stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    env_key = "misfit-test-key-0123456789abcdef0123"
    import os

    return subprocess.run([sys.executable, "-m", "scrubphi", *args], input=stdin,
                          capture_output=True, env={**os.environ, "SCRUBPHI_KEY": env_key})


@pytest.mark.parametrize(
    ("id_spec", "seen_spec", "code", "words"),
    [
        ("{hash: {alphabet: hex}}", "keep", 3, "cannot write an integer column"),
        ("keep", "null", 3, "null is refused for a NOT NULL column"),
        ("{tokenize: gs1}", "keep", 3, "structured identifiers are text"),
        ("keep", "{generalize: {round: 1}}", 3, "generalize cannot write a date column"),
        ("{hash: {alphabet: hex}}", "", 3, "not in the policy"),
        ("keep", "", 5, "not in the policy"),
    ],
)
def test_exit_codes(pg: PgServer, tmp_path: Path, id_spec: str, seen_spec: str, code: int,
                    words: str) -> None:
    db = pg.create_database("misfit")
    try:
        pg.psql(db, "CREATE TABLE public.visits (id integer PRIMARY KEY, patient text, "
                    "seen date NOT NULL); INSERT INTO public.visits VALUES (1, 'Ann Lee', "
                    "'2020-01-02');")
        dump = pg.pg_dump(db, "--no-owner")
    finally:
        pg.drop_database(db)
    text = POLICY.replace("{ID}", id_spec)
    text = text.replace("{SEEN}", seen_spec) if seen_spec else text.replace(
        "        seen: {SEEN}\n", "")
    policy = tmp_path / "p.yaml"
    policy.write_text(text)
    scrub = _run(["--config", str(policy)], dump)
    assert scrub.returncode == code, scrub.stderr
    assert words in scrub.stderr.decode()
    assert b"Ann Lee" not in scrub.stdout + scrub.stderr
    assert b"COPY public.visits" not in scrub.stdout  # no data row was written
    dump_file = tmp_path / "d.sql"
    dump_file.write_bytes(dump)
    check = _run(["check", "-c", str(policy), "--dump", str(dump_file)], b"")
    assert check.returncode == code, check.stderr
    assert words in check.stderr.decode()


CONSTANTS = """
CREATE TABLE public.c (id integer PRIMARY KEY, s smallint, n numeric(5,2), r real, b boolean,
    d date, u uuid, j jsonb, code character(3), v character varying(4), a integer[]);
INSERT INTO public.c VALUES (1, 7, 1.5, 2.5, true, '2020-01-02', gen_random_uuid(), '{}', 'abc',
    'abcd', '{1}');
"""


@pytest.mark.parametrize(
    ("column", "constant", "words"),
    [
        ("s", "abc", "not an integer"),
        ("s", "40000", "out of the type's range"),
        ("s", "", "not an integer"),
        ("n", "12345", "out of the type's range"),
        ("n", "Infinity", "out of the type's range"),
        ("r", "1e39", "out of the type's range"),
        ("r", "x1", "not a number"),
        ("r", "1e-50", "out of the type's range"),
        ("b", "maybe", "not a boolean"),
        ("d", "2020-13-01", "not a valid date"),
        ("d", "2021-02-29", "not a valid date"),
        ("u", "nope", "not a UUID"),
        ("j", "{oops", "not JSON"),
        ("code", "abcd", "longer than the column allows (3 characters)"),
        ("v", "abcde", "longer than the column allows (4 characters)"),
        ("a", "1", "not an array"),
        ("s", "-32768", None),
        ("n", "-999.99", None),
        ("n", "NaN", None),
        ("r", "-3.4e38", None),
        ("r", "1e-40", None),
        ("b", "off", None),
        ("d", "infinity", None),
        ("u", "{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}", None),
        ("j", '{"a": [1, null]}', None),
        ("code", "ab  ", None),
        ("a", "{1,NULL}", None),
    ],
)
def test_a_constant_the_type_refuses_is_a_policy_error(
        pg: PgServer, tmp_path: Path, column: str, constant: str, words: str | None) -> None:
    """``{value: X}`` used to be written as it was, whatever the column's type: exit 0,
    and psql refused the row mid-restore (the varchar(n) length check the docs promised
    was skipped too). Now a constant the type refuses stops the run before any row."""
    db = pg.create_database("misfit_const")
    dst = pg.create_database("misfit_const_dst")
    try:
        pg.psql(db, CONSTANTS)
        dump = pg.pg_dump(db, "--no-owner")
        names = ["id", "s", "n", "r", "b", "d", "u", "j", "code", "v", "a"]
        lines = [f"        {name}: keep" for name in names if name != column]
        quoted = constant.replace("'", "''")
        policy = tmp_path / "p.yaml"
        policy.write_text("version: 1\nscrub:\n  key: env:SCRUBPHI_KEY\n  tables:\n"
                          "    public.c:\n      columns:\n" + "\n".join(lines)
                          + f"\n        {column}:\n          when:\n            - if: {{id: '2'}}"
                          f"\n              then: keep\n          else: {{value: '{quoted}'}}\n")
        scrub = _run(["--config", str(policy)], dump)
        if words is None:
            assert scrub.returncode == 0, scrub.stderr
            pg.psql(dst, stdin=scrub.stdout, args=["-v", "ON_ERROR_STOP=1",
                                                   "--single-transaction"])
            return
        assert scrub.returncode == 3, scrub.stderr
        err = scrub.stderr.decode()
        assert words in err and f"column {column}:" in err and "public.c" in err
        assert b"COPY public.c" not in scrub.stdout
        top = policy.read_text().replace(f"        {column}:\n          when:\n            - if: "
                                         "{id: '2'}\n              then: keep\n          else: ",
                                         f"        {column}: ")
        assert f"        {column}: {{value: " in top  # the column's own transform now
        policy.write_text(top)
        assert _run(["--config", str(policy)], dump).returncode == 3
    finally:
        pg.drop_database(db)
        pg.drop_database(dst)


@pytest.mark.parametrize("data_only", [False, True])
def test_a_not_null_set_by_alter_table_refuses_null(pg: PgServer, tmp_path: Path,
                                                     data_only: bool) -> None:
    """pg_dump declares a NOT NULL that an inheritance child adds to an inherited column
    with ``ALTER TABLE ONLY child ALTER COLUMN c SET NOT NULL``, not in CREATE TABLE:
    ``null`` there was let through (exit 0) and psql refused every row mid-restore."""
    db = pg.create_database("misfit_setnn")
    try:
        pg.psql(db, "CREATE TABLE public.base (id integer, note text); "
                    "CREATE TABLE public.kid () INHERITS (public.base); "
                    "ALTER TABLE public.kid ALTER note SET NOT NULL; "
                    "INSERT INTO public.kid VALUES (1, 'Ann Lee');")
        dump = pg.pg_dump(db, "--no-owner")
        schema = pg.pg_dump(db, "--no-owner", "--schema-only")
        data = pg.pg_dump(db, "--no-owner", "--data-only")
    finally:
        pg.drop_database(db)
    assert b"SET NOT NULL" in dump
    policy = tmp_path / "p.yaml"
    policy.write_text("version: 1\nscrub:\n  key: env:SCRUBPHI_KEY\n  tables:\n"
                      "    public.base: {columns: {id: keep, note: keep}}\n"
                      "    public.kid: {columns: {id: keep, note: null}}\n")
    if data_only:
        schema_file = tmp_path / "schema.sql"
        schema_file.write_bytes(schema)
        scrub = _run(["--config", str(policy), "--schema", str(schema_file)], data)
    else:
        scrub = _run(["--config", str(policy)], dump)
    assert scrub.returncode == 3, scrub.stderr
    err = scrub.stderr.decode()
    assert "table public.kid, column note: null is refused for a NOT NULL column" in err
    assert b"Ann Lee" not in scrub.stdout + scrub.stderr
    dump_file = tmp_path / "d.sql"
    dump_file.write_bytes(dump)
    check = _run(["check", "-c", str(policy), "--dump", str(dump_file)], b"")
    assert check.returncode == 3, check.stderr
