"""Columns of domains and enums, dumped by the real pg_dump and restored by psql.

A column whose type is a domain (``CREATE DOMAIN ssn_t AS text``) was refused
for every transform but keep, null and value ("fake cannot write a
public.ssn_t column"): a policy could only null it. A domain is now its base
type (domains of domains too), with the domain's NOT NULL and length; a domain
with a CHECK constraint, which scrubphi does not evaluate, gets a warning when
its values change. ``{value: X}`` on an enum column that is not one of its
labels exited 0 and psql refused every row; it is a policy error (exit 3).
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
from restore_helpers import fill, restore_error, restored
from scrubphi import scrub_stream
from scrubphi.dump.schema import Schema, parse_create_type, parse_domain
from scrubphi.policy import loads_policy
from scrubphi.transforms.base import ColumnInfo

KEY = "domains-enums-test-key-0123456789abcdef"

SETUP = """
CREATE DOMAIN public.email_t AS text;
CREATE DOMAIN public.ssn_t AS text CONSTRAINT ssn_shape CHECK (VALUE ~ '^\\d{3}-\\d{2}-\\d{4}$');
CREATE DOMAIN public.code_t AS character varying(6);
CREATE DOMAIN public.code_nn AS public.code_t NOT NULL;
CREATE DOMAIN public.day_t AS date;
CREATE TYPE public.sex_e AS ENUM ('female', 'male', 'unknown');
CREATE TABLE public.patients (id integer PRIMARY KEY, email public.email_t,
    ssn public.ssn_t, code public.code_nn, born public.day_t, visits public.day_t[],
    sex public.sex_e);
INSERT INTO public.patients
SELECT g, 'pat' || g || '@example.org', '123-45-' || lpad(g::text, 4, '0'), 'Q' || g,
       DATE '1960-01-01' + g * 40, ARRAY[DATE '2020-01-01' + g], 'female'
FROM generate_series(1, 25) g;
"""

POLICY = """
version: 1
scrub:
  key: env:SCRUBPHI_KEY
  tables:
    public.patients:
      columns:
        id: keep
        email: {EMAIL}
        ssn: {SSN}
        code: {CODE}
        born: {date: shift, days: 60}
        visits: {date: shift, days: 60}
        sex: {SEX}
"""

GOOD = {"EMAIL": "{fake: email}", "SSN": "{fake: ssn}", "CODE": "{tokenize: alnum}",
        "SEX": "keep"}


def _policy(**changes: str) -> str:
    return fill(POLICY, GOOD, **changes)


@pytest.fixture(scope="module")
def dumps(pg: PgServer) -> Iterator[dict[str, bytes]]:
    db = pg.create_database("domains")
    pg.psql(db, SETUP)
    yield {"copy": pg.pg_dump(db, "--no-owner"),
           "inserts": pg.pg_dump(db, "--no-owner", "--inserts")}
    pg.drop_database(db)


def _restore(pg: PgServer, out: bytes) -> bytes:
    with restored(pg, out, "domains_dst") as db:
        return pg.psql(db, "COPY (SELECT email, ssn, code, born FROM public.patients "
                           "ORDER BY id) TO STDOUT").stdout


def _cli(policy: str, dump: bytes, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    path = tmp_path / "p.yaml"
    path.write_text(policy)
    return subprocess.run([sys.executable, "-m", "scrubphi", "--config", str(path)],
                          input=dump, capture_output=True,
                          env={**os.environ, "SCRUBPHI_KEY": KEY})


def test_domains_resolve_to_their_base_type() -> None:
    schema = Schema()
    parse_domain("CREATE DOMAIN public.a AS character varying(6);", 1, schema)
    parse_domain("CREATE DOMAIN public.b AS public.a NOT NULL;", 2, schema)
    parse_domain("CREATE DOMAIN public.c AS public.b[];", 3, schema)
    parse_domain("ALTER DOMAIN public.c ADD CONSTRAINT k CHECK ((VALUE <> '{}')) NOT VALID;",
                 4, schema)
    assert schema.with_domain(ColumnInfo("x", "public.c", array_dims=1)) == ColumnInfo(
        "x", "character varying", array_dims=2, not_null=True, max_length=6,
        check_domain="public.c")
    assert schema.with_domain(ColumnInfo("x", "text")) == ColumnInfo("x", "text")
    parse_create_type("CREATE TYPE public.e AS ENUM ('a', 'b');", 5, schema)
    assert schema.enum_labels("public.e") == ("a", "b")
    # an old pg_dump's bare names, by the search path
    schema.search_path = ("clinic",)
    parse_domain("CREATE DOMAIN d AS integer;", 6, schema)
    assert schema.with_domain(ColumnInfo("x", "d")).type_name == "integer"
    # ... but a bare built-in name is pg_catalog's, even beside a domain of that name
    parse_domain("CREATE DOMAIN text AS integer;", 7, schema)
    assert schema.with_domain(ColumnInfo("x", "text")).type_name == "text"
    assert schema.with_domain(ColumnInfo("x", "clinic.text")).type_name == "integer"


@pytest.mark.postgres
@pytest.mark.parametrize("form", ["copy", "inserts"])
def test_transforms_write_domain_columns(dumps: dict[str, bytes], pg: PgServer,
                                         codec: ModuleType, form: str) -> None:
    dst = io.BytesIO()
    report = scrub_stream(io.BytesIO(dumps[form]), dst, loads_policy(_policy(), "p.yaml"),
                          codec=codec, key=KEY.encode(), chunk_size=53)
    table = _restore(pg, dst.getvalue())
    rows = [line.split(b"\t") for line in table.splitlines()]
    assert len(rows) == 25
    for i, (email, ssn, code, _) in enumerate(rows, 1):
        assert email != b"pat%d@example.org" % i and ssn != b"123-45-%04d" % i
        assert code != b"Q%d" % i and len(code) == len(b"Q%d" % i)
    # the fake SSNs pass the domain's CHECK, which scrubphi says it did not evaluate
    assert report.warnings == [
        "table public.patients, column ssn: {fake: ssn} writes new values of domain "
        "public.ssn_t, whose CHECK constraint scrubphi does not evaluate; the restore fails "
        "at a row whose new value does not pass it"]


@pytest.mark.postgres
def test_a_check_the_new_values_fail_is_warned_and_fails_the_restore(
        dumps: dict[str, bytes], pg: PgServer, tmp_path: Path) -> None:
    done = _cli(_policy(SSN="mask"), dumps["copy"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert b"scrubphi: warning: table public.patients, column ssn: {mask: {keep_last: 4}} " \
           b"writes new values of domain public.ssn_t" in done.stderr
    assert b'violates check constraint "ssn_shape"' in restore_error(pg, done.stdout)


@pytest.mark.postgres
@pytest.mark.parametrize(("change", "words"), [
    ({"CODE": "null"}, "column code: null is refused for a NOT NULL column"),
    ({"CODE": "{value: ABCDEFG}"}, "column code: the constant is longer than the column "
                                   "allows (6 characters)"),
    ({"SEX": "{value: other}"}, "column sex: the constant is not one of the 3 labels of enum "
                                "public.sex_e"),
    ({"SEX": "{when: [{if: {id: '1'}, then: {value: nope}}], else: keep}"},
     "column sex: the constant is not one of the 3 labels"),
], ids=["domain-not-null", "domain-length", "enum-label", "enum-label-in-when"])
def test_constants_and_nulls_the_type_refuses(dumps: dict[str, bytes], tmp_path: Path,
                                              change: dict[str, str], words: str) -> None:
    done = _cli(_policy(**change), dumps["copy"], tmp_path)
    assert done.returncode == 3, done.stderr
    assert words in done.stderr.decode()
    assert b"COPY public.patients" not in done.stdout
    assert b"other" not in done.stderr and b"nope" not in done.stderr


@pytest.mark.postgres
def test_an_enum_label_restores(dumps: dict[str, bytes], pg: PgServer, tmp_path: Path) -> None:
    done = _cli(_policy(SEX="{value: unknown}"), dumps["inserts"], tmp_path)
    assert done.returncode == 0, done.stderr
    _restore(pg, done.stdout)
