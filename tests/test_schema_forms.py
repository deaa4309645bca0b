"""Schema forms that once let raw values through: each dumped by the real pg_dump.

Every PHI value in the source carries the marker ``PHIMARK``, so a leak is a
grep.  The invariant checked for every form and dump flag: a run that exits
0 has no marker in its output (and restores with the real psql); a run that
refuses says why, names the table, and its output cannot be restored.

Forms: inheritance (one parent, several, a column declared again in the
child), typed tables (``OF type``), partitions whose column order differs
from the root's (COPY, ``--inserts``, ``--load-via-partition-root``),
``--data-only`` dumps (refused; scrubbed with ``--schema FILE``), and the
``SET search_path`` layout of pg_dump 10.2 and older with bare names.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from pg_fixtures import PgServer
from scrubphi import scrub_stream
from scrubphi.api import check_dump, load_schema
from scrubphi.errors import CoverageError, DumpError
from scrubphi.policy import loads_policy

pytestmark = pytest.mark.postgres

KEY = b"schema-forms-test-key-0123456789abcdef"
MARK = b"PHIMARK"

SETUP = r"""
CREATE SCHEMA clinic;
CREATE TABLE public.person (id integer PRIMARY KEY, kind text);
CREATE TABLE public.patient (name text, ssn text) INHERITS (public.person);
CREATE TABLE public.tagged (tag text);
CREATE TABLE public.multi (note text, kind text) INHERITS (public.person, public.tagged);
CREATE TYPE public.ptype AS (pid integer, full_name text);
CREATE TABLE public.typed OF public.ptype (PRIMARY KEY (pid));
CREATE TABLE public.visits (id integer, name text, seen date) PARTITION BY RANGE (seen);
CREATE TABLE public.visits_2020 (seen date, name text, id integer);
ALTER TABLE public.visits ATTACH PARTITION public.visits_2020
    FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE TABLE public.visits_2021 PARTITION OF public.visits
    FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
CREATE TABLE clinic.staff (id integer PRIMARY KEY, name text NOT NULL, aliases text[],
                           badge integer);
INSERT INTO public.person VALUES (1, 'plain');
INSERT INTO public.patient VALUES (2, 'kid', 'PHIMARK Alice', 'PHIMARK-123-45-6789');
INSERT INTO public.multi VALUES (3, 'both', 'tag', 'PHIMARK note on Bob');
INSERT INTO public.typed VALUES (4, 'PHIMARK Carol');
INSERT INTO public.visits VALUES (5, 'PHIMARK Dave', '2020-05-05'),
    (6, 'PHIMARK Eve', '2021-02-02');
INSERT INTO clinic.staff VALUES (7, 'PHIMARK Frank', ARRAY['PHIMARK Fr', 'PHIMARK Frankie'],
                                 4711);
"""

POLICY = """
version: 1
scrub:
  tables:
    public.person: {columns: {id: keep, kind: keep}}
    public.tagged: {columns: {tag: keep}}
    public.patient: {columns: {name: {fake: name}, ssn: {fake: ssn}}}
    public.multi: {columns: {note: {value: redacted}}}
    public.typed: {columns: {pid: keep, full_name: {fake: name}}}
    public.visits: {columns: {id: keep, name: {fake: name}, seen: keep}}
    clinic.staff:
      columns: {id: keep, name: {fake: name}, aliases: {fake: first_name},
                badge: {tokenize: digits}}
"""

# The policy of the report that found the leak: the parent is kept whole.
KEEP_PARENT = POLICY.replace(
    "public.person: {columns: {id: keep, kind: keep}}", "public.person: keep"
).replace("public.tagged: {columns: {tag: keep}}", "public.tagged: keep")


@pytest.fixture(scope="module")
def source(pg: PgServer) -> Iterator[str]:
    name = pg.create_database("forms")
    pg.psql(name, SETUP)
    yield name
    pg.drop_database(name)


def scrub(dump: bytes, codec: ModuleType, policy: str = POLICY, **kw: object) -> bytes:
    dst = io.BytesIO()
    scrub_stream(io.BytesIO(dump), dst, loads_policy(policy, "forms.yaml"), codec=codec,
                 key=KEY, chunk_size=97, **kw)  # type: ignore[arg-type]
    return dst.getvalue()


def restore(pg: PgServer, data: bytes) -> str:
    name = pg.create_database("forms_dst")
    pg.psql(name, stdin=data, args=["--single-transaction"])
    return name


@pytest.mark.parametrize("flags", [(), ("--inserts",), ("--column-inserts",)],
                         ids=["copy", "inserts", "column-inserts"])
def test_every_form_scrubbed_and_restorable(
    pg: PgServer, source: str, codec: ModuleType, flags: tuple[str, ...]
) -> None:
    out = scrub(pg.pg_dump(source, "--no-owner", *flags), codec)
    assert MARK not in out
    dst = restore(pg, out)
    # Every row arrived, in the right columns: the kept columns are the source's.
    assert pg.query(dst, "SELECT id, kind FROM ONLY public.multi") == [(3, "both")]
    assert pg.query(dst, "SELECT tag, note FROM public.multi") == [("tag", "redacted")]
    assert pg.query(dst, "SELECT id, kind FROM ONLY public.patient") == [(2, "kid")]
    assert pg.query(dst, "SELECT pid FROM public.typed") == [(4,)]
    assert pg.query(dst, "SELECT id, seen::text FROM public.visits ORDER BY id") == [
        (5, "2020-05-05"), (6, "2021-02-02")]
    assert pg.query(dst, "SELECT count(*) FROM clinic.staff") == [(1,)]


def test_a_keep_parent_does_not_keep_its_children(pg: PgServer, source: str,
                                                   codec: ModuleType) -> None:
    """A child of a kept parent is a table: its own columns need a rule."""
    dump = pg.pg_dump(source, "--no-owner")
    child_free = re.sub(r"    public\.(patient|multi):.*\n", "", KEEP_PARENT)
    with pytest.raises(CoverageError) as info:
        scrub(dump, codec, child_free)
    problems = "\n".join(info.value.uncovered)
    assert "table public.patient: not in the policy" in problems
    assert "public.person (keep)" in problems
    assert "table public.multi: not in the policy" in problems
    problems_checked, _ = check_dump(io.BytesIO(dump), loads_policy(child_free, "p.yaml"))
    assert any("public.patient" in p for p in problems_checked)


def test_child_columns_covered_by_every_parent_or_refused(
    pg: PgServer, source: str, codec: ModuleType
) -> None:
    """Inherited columns take the rules of any parent that names them (not only the first)."""
    dump = pg.pg_dump(source, "--no-owner", "--inserts")
    no_tag = POLICY.replace("public.tagged: {columns: {tag: keep}}", "public.tagged: keep")
    with pytest.raises(CoverageError) as info:
        scrub(dump, codec, no_tag)
    assert any('public.multi, column tag' in p for p in info.value.uncovered)
    # The second parent's rule reaches the child: a fake there changes multi.tag too.
    faked = POLICY.replace("public.tagged: {columns: {tag: keep}}",
                           "public.tagged: {columns: {tag: {value: T}}}")
    out = scrub(dump, codec, faked)
    assert b"INSERT INTO public.multi VALUES (3, 'both', 'T', 'redacted');" in out


def test_redeclared_child_column_keeps_the_parents_place(pg: PgServer, source: str,
                                                          codec: ModuleType) -> None:
    """``multi`` declares ``kind`` again: PostgreSQL keeps it second, and so must a
    positional INSERT, or the note lands on a kept column."""
    dump = pg.pg_dump(source, "--no-owner", "--inserts")
    assert b"INSERT INTO public.multi VALUES (3, 'both', 'tag', 'PHIMARK note on Bob');" in dump
    out = scrub(dump, codec)
    assert b"INSERT INTO public.multi VALUES (3, 'both', 'tag', 'redacted');" in out


def test_typed_table_scrubbed_alike_by_copy_and_inserts(pg: PgServer, source: str,
                                                        codec: ModuleType) -> None:
    copy = scrub(pg.pg_dump(source, "--no-owner"), codec)
    inserts = scrub(pg.pg_dump(source, "--no-owner", "--inserts"), codec)
    row = re.search(rb"\n4\t([^\n]*)\n", copy)
    assert row is not None and MARK not in row.group(1)
    assert b"INSERT INTO public.typed VALUES (4, '" + row.group(1) + b"');" in inserts
    # Without its type (pg_dump -t) a typed table's columns are unknown: refused.
    with pytest.raises(DumpError, match="typed table"):
        scrub(pg.pg_dump(source, "--no-owner", "--inserts", "-t", "public.typed"), codec)


def test_load_via_partition_root_positional_rows_refused(
    pg: PgServer, source: str, codec: ModuleType
) -> None:
    """pg_dump writes a partition's rows into the root in the partition's column order."""
    dump = pg.pg_dump(source, "--no-owner", "--inserts", "--load-via-partition-root")
    with pytest.raises(DumpError) as info:
        scrub(dump, codec)
    assert "public.visits_2020" in str(info.value) and "--column-inserts" in str(info.value)
    # By name it works: the values meet their own columns' rules.
    for flags in (("--column-inserts",), ()):
        out = scrub(pg.pg_dump(source, "--no-owner", "--load-via-partition-root", *flags),
                    codec)
        assert MARK not in out
        dst = restore(pg, out)
        assert pg.query(dst, "SELECT id FROM public.visits ORDER BY id") == [(5,), (6,)]


def test_data_only_dump_refused_without_its_schema(pg: PgServer, source: str,
                                                   codec: ModuleType, tmp_path: Path) -> None:
    data = pg.pg_dump(source, "--no-owner", "--data-only")
    with pytest.raises(DumpError) as info:
        scrub(data, codec)
    assert "--data-only" in str(info.value) and "--schema" in str(info.value)
    problems, _ = check_dump(io.BytesIO(data), loads_policy(POLICY, "p.yaml"))
    assert any("does not create it" in p for p in problems)
    schema_only = pg.pg_dump(source, "--no-owner", "--schema-only")
    policy = loads_policy(POLICY, "p.yaml")
    schema = load_schema(io.BytesIO(schema_only), policy)
    out = scrub(data, codec, schema=schema)
    assert MARK not in out
    # With its schema, a data-only dump scrubs to exactly the full dump's rows: arrays
    # element by element, NOT NULL known, the same fakes and tokens.
    assert copy_blocks(out) == copy_blocks(scrub(pg.pg_dump(source, "--no-owner"), codec))
    # Restored onto the schema, the partition rows got the partitioned parent's rule.
    dst = restore(pg, schema_only)
    pg.psql(dst, stdin=out, args=["--single-transaction"])
    assert pg.query(dst, "SELECT count(*) FROM public.visits") == [(2,)]
    # The same through the CLI.
    (tmp_path / "p.yaml").write_text(POLICY)
    (tmp_path / "key").write_bytes(KEY)
    (tmp_path / "schema.sql").write_bytes(schema_only)
    cli = [sys.executable, "-m", "scrubphi", "--config", str(tmp_path / "p.yaml"),
           "--key", f"file:{tmp_path / 'key'}"]
    refused = subprocess.run(cli, input=data, capture_output=True, check=False)
    assert refused.returncode == 4 and b"--schema FILE" in refused.stderr
    assert MARK not in refused.stdout and MARK not in refused.stderr
    done = subprocess.run([*cli, "--schema", str(tmp_path / "schema.sql")], input=data,
                          capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    assert MARK not in done.stdout


def copy_blocks(dump: bytes) -> dict[bytes, bytes]:
    """Each COPY statement of a dump with its rows."""
    return dict(re.findall(rb"(?m)^(COPY [^\n]*)\n(.*?)^\\\.$", dump, re.S))


def old_layout(dump: bytes) -> bytes:
    """The dump as pg_dump 10.2 and older wrote it: ``SET search_path`` and bare names."""
    text = dump.decode("utf-8")
    text = text.replace("SELECT pg_catalog.set_config('search_path', '', false);\n", "")
    out = []
    for block in re.split(r"(?m)^(?=-- Name: |-- Data for Name: )", text):
        m = re.match(r"-- (?:Data for )?Name: [^;]*; Type: [^;]*; Schema: ([^;]+);", block)
        if m and m.group(1) != "-":
            schema = m.group(1)
            block = f"SET search_path = {schema}, pg_catalog;\n" + re.sub(
                rf"\b{schema}\.(?=[a-z_\"])", "", block)
        out.append(block)
    return "".join(out).encode("utf-8")


def test_old_search_path_layout_resolves_bare_names(pg: PgServer, source: str,
                                                    codec: ModuleType) -> None:
    dump = old_layout(pg.pg_dump(source, "--no-owner", "-t", "clinic.staff", "-t",
                                 "public.person"))
    assert b"SET search_path = clinic, pg_catalog;" in dump and b"COPY staff (" in dump
    out = scrub(dump, codec)
    assert MARK not in out
    dst = pg.create_database("forms_dst")
    pg.psql(dst, "CREATE SCHEMA clinic;")  # pg_dump -t leaves the schema out
    pg.psql(dst, stdin=out, args=["--single-transaction"])
    assert pg.query(dst, "SELECT id FROM clinic.staff") == [(7,)]
    # A policy naming public.staff instead does not cover clinic's table.
    wrong = POLICY.replace("clinic.staff", "public.staff")
    with pytest.raises(CoverageError) as info:
        scrub(dump, codec, wrong)
    assert any("clinic.staff" in p for p in info.value.uncovered)


SCHEMA_TEXT = r"""
CREATE TABLE public.referrals (
    id integer PRIMARY KEY,
    doctor text DEFAULT 'Dr. Gregory House',
    contact text CHECK (contact <> '212-555-0187')
);
COMMENT ON TABLE public.referrals IS 'Imported for patient Jane Whitfield, SSN 123-45-6789';
COMMENT ON COLUMN public.referrals.id IS 'the referral number';
CREATE VIEW public.vip AS SELECT id FROM public.referrals WHERE doctor = 'Gregory House';
INSERT INTO public.referrals VALUES (1, 'Dr. Smith', 'x');
"""

TEXT_POLICY = """
version: 1
scrub:
  comments: COMMENTS
  tables:
    public.referrals: {columns: {id: keep, doctor: {fake: name}, contact: {value: c}}}
"""


@pytest.fixture(scope="module")
def schema_text_db(pg: PgServer) -> Iterator[str]:
    name = pg.create_database("schema_text")
    pg.psql(name, SCHEMA_TEXT)
    yield name
    pg.drop_database(name)


def test_comments_policy_keep_drop_fail(pg: PgServer, schema_text_db: str,
                                        codec: ModuleType) -> None:
    dump = pg.pg_dump(schema_text_db, "--no-owner")
    kept = scrub(dump, codec, TEXT_POLICY.replace("COMMENTS", "keep"))
    assert b"Jane Whitfield" in kept  # keep is the default: comments are the team's text
    dropped = scrub(dump, codec, TEXT_POLICY.replace("COMMENTS", "drop"))
    assert b"Jane Whitfield" not in dropped and b"COMMENT ON" not in dropped
    dst = restore(pg, dropped)
    assert pg.query(dst, "SELECT obj_description('public.referrals'::regclass)") == [(None,)]
    with pytest.raises(DumpError, match="comments: fail"):
        scrub(dump, codec, TEXT_POLICY.replace("COMMENTS", "fail"))
    problems, _ = check_dump(io.BytesIO(dump),
                             loads_policy(TEXT_POLICY.replace("COMMENTS", "fail"), "p.yaml"))
    assert problems == [p for p in problems if "comments: fail" in p] and len(problems) == 1


def test_refresh_schema_check_ignores_comments_only_when_dropped(
    pg: PgServer, schema_text_db: str
) -> None:
    from scrubphi.refresh.verify import check_schema

    source = pg.pg_dump(schema_text_db, "--no-owner", "--schema-only")
    target = pg.create_database("schema_text_dst")
    pg.psql(target, SCHEMA_TEXT.split("COMMENT ON TABLE")[0]
            + "CREATE VIEW public.vip AS SELECT id FROM public.referrals "
              "WHERE doctor = 'Gregory House';")
    restored = pg.pg_dump(target, "--no-owner", "--schema-only")
    assert not check_schema(source, restored).ok
    assert check_schema(source, restored, comments="drop").ok


def test_audit_reports_phi_like_schema_text_by_object(pg: PgServer,
                                                      schema_text_db: str) -> None:
    from scrubphi.audit import audit_dump

    dump = pg.pg_dump(schema_text_db, "--no-owner")
    report = audit_dump(io.BytesIO(dump),
                        loads_policy(TEXT_POLICY.replace("COMMENTS", "keep"), "p.yaml"))
    found = {t.object: t.kinds for t in report.schema_text}
    assert found["COMMENT ON TABLE public.referrals"] == {"name": 1, "ssn": 1}
    assert found["TABLE public.referrals"].get("name") == 1  # the DEFAULT
    assert found["TABLE public.referrals"].get("phone") == 1  # the CHECK
    assert "name" in found["VIEW public.vip"]
    assert "COMMENT ON COLUMN public.referrals.id" not in found
    text = report.to_text() + report.to_json()
    assert "Whitfield" not in text and "123-45-6789" not in text and "House" not in text
    assert report.findings >= 3
