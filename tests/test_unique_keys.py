"""Unique keys against the transforms of their columns.

pg_dump writes primary keys, UNIQUE constraints and unique indexes after the
data. A transform that maps many values to one (``{value: X}``, ``round``,
``mask``, a date to its year) on such a column exited 0, and the restore failed
at ``CREATE UNIQUE INDEX`` ("could not create unique index"): psql without
``ON_ERROR_STOP`` went on and exited 0 too, leaving staging without the key.
Now the policy is refused (exit 3): by ``check --dump`` and by a scrub with
``--schema`` before any row, by a streaming scrub at the key (the output then
ends with the abort trailer). A transform that only *may* collide (a fake
without ``unique: true``, a short hash) is a warning naming the key.
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
from scrubphi.dump.restore_checks import MANY, MAYBE, ONE, judge_key, verdict_of
from scrubphi.dump.schema import (
    ForeignKey,
    Schema,
    UniqueKey,
    parse_alter_table,
    parse_create_table,
    parse_unique_index,
)
from scrubphi.errors import CoverageError
from scrubphi.policy import loads_policy
from scrubphi.policy.model import TableName, TransformSpec

KEY = "unique-keys-test-key-0123456789abcdef"
T = TableName("public", "p")

SETUP = """
CREATE TABLE public.patients (id integer PRIMARY KEY, mrn text UNIQUE, email text,
                              ssn text, dob date, code text, UNIQUE (id, code));
CREATE UNIQUE INDEX patients_email_lower ON public.patients (lower(email));
CREATE TABLE public.visits (patient_id integer REFERENCES public.patients, seen date,
                            note text, UNIQUE (patient_id, seen));
CREATE TABLE public.parted (id integer, region text, code text, PRIMARY KEY (id, region),
                            UNIQUE (code, region)) PARTITION BY LIST (region);
CREATE TABLE public.parted_a PARTITION OF public.parted FOR VALUES IN ('a');
INSERT INTO public.patients
SELECT g, 'MRN' || g, 'p' || g || '@example.org', lpad(g::text, 9, '0'),
       DATE '1950-01-01' + g, 'C' || g FROM generate_series(1, 30) g;
INSERT INTO public.visits SELECT g % 30 + 1, DATE '2020-01-01' + g, 'Ann Lee called'
FROM generate_series(1, 90) g;
INSERT INTO public.parted SELECT g, 'a', 'K' || g FROM generate_series(1, 10) g;
"""

POLICY = """
version: 1
scrub:
  key: env:SCRUBPHI_KEY
  tables:
    public.patients:
      columns:
        id: {ID}
        mrn: {MRN}
        email: {EMAIL}
        ssn: {tokenize: digits}
        dob: {date: year}
        code: {PCODE}
    public.visits:
      columns:
        patient_id: {PID}
        seen: {SEEN}
        note: {redact: text}
    public.parted:
      columns:
        id: keep
        region: keep
        code: {CODE}
"""

GOOD = {"MRN": "{tokenize: alnum}", "EMAIL": "{fake: email, unique: true}",
        "SEEN": "{date: shift, days: 30, per: patient_id}", "CODE": "{tokenize: alnum}",
        "PCODE": "keep", "ID": "keep", "PID": "keep"}


def _policy(**changes: str) -> str:
    return fill(POLICY, GOOD, **changes)


@pytest.fixture(scope="module")
def source(pg: PgServer) -> Iterator[str]:
    db = pg.create_database("unique_keys")
    pg.psql(db, SETUP)
    yield db
    pg.drop_database(db)


@pytest.fixture(scope="module")
def dumps(pg: PgServer, source: str) -> dict[str, bytes]:
    return {"full": pg.pg_dump(source, "--no-owner"),
            "inserts": pg.pg_dump(source, "--no-owner", "--inserts"),
            "schema": pg.pg_dump(source, "--no-owner", "--schema-only"),
            "data": pg.pg_dump(source, "--no-owner", "--data-only")}


def _unique_indexes(pg: PgServer, db: str) -> bytes:
    return pg.psql(db, "COPY (SELECT count(*) FROM pg_index WHERE indisunique AND "
                       "indrelid::regclass::text NOT LIKE 'pg_%') TO STDOUT").stdout.strip()


def _cli(args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "scrubphi", *args], input=stdin,
                          capture_output=True, env={**os.environ, "SCRUBPHI_KEY": KEY})


def _scrub(dump: bytes, policy: str, codec: ModuleType) -> tuple[bytes, list[str]]:
    dst = io.BytesIO()
    report = scrub_stream(io.BytesIO(dump), dst, loads_policy(policy, "p.yaml"), codec=codec,
                          key=KEY.encode(), chunk_size=61)
    return dst.getvalue(), report.warnings


# -- what the schema says -------------------------------------------------------------


def test_keys_are_read_from_every_form_pg_dump_and_people_write() -> None:
    alter = parse_alter_table(
        'ALTER TABLE ONLY public.p ADD CONSTRAINT "p, key" UNIQUE NULLS NOT DISTINCT '
        '(email, "Odd, col");', 1)
    assert alter.keys == [UniqueKey(T, "p, key", "UNIQUE", ("email", '"Odd, col"'[1:-1]),
                                    False, 1)]
    pk = parse_alter_table("ALTER TABLE ONLY public.p ADD CONSTRAINT p_pkey PRIMARY KEY (id);",
                           2).keys
    assert [(k.kind, k.columns) for k in pk] == [("PRIMARY KEY", ("id",))]
    # a constraint made from an index already read: no new key
    assert parse_alter_table("ALTER TABLE ONLY public.p ADD CONSTRAINT k PRIMARY KEY USING "
                             "INDEX ix;", 3).keys == []
    fk = parse_alter_table("ALTER TABLE ONLY public.p ADD CONSTRAINT f FOREIGN KEY (a, b) "
                           "REFERENCES public.q(id, c) ON DELETE CASCADE;", 3).keys
    assert fk == [ForeignKey(T, "f", ("a", "b"), TableName("public", "q"), ("id", "c"), 3)]
    index = parse_unique_index("CREATE UNIQUE INDEX ix ON ONLY public.p USING btree "
                               "(lower(email), mrn, lower(email)) WHERE active;", 4)
    assert index == UniqueKey(T, "ix", "UNIQUE INDEX", ("email", "mrn"), True, 4)
    assert parse_unique_index("CREATE INDEX ix ON public.p (mrn);", 5) is None
    info = parse_create_table("CREATE TABLE public.p (id int PRIMARY KEY, b text UNIQUE, "
                              "c int REFERENCES public.q, UNIQUE (b, c), FOREIGN KEY (b) "
                              "REFERENCES public.r (x));", 6)
    assert info is not None
    assert [(k.kind, k.columns) for k in info.unique_keys] == [
        ("PRIMARY KEY", ("id",)), ("UNIQUE", ("b",)), ("UNIQUE", ("b", "c"))]
    assert [(k.columns, k.ref_table.name, k.ref_columns) for k in info.foreign_keys] == [
        (("c",), "q", ()), (("b",), "r", ("x",))]
    schema = Schema()
    schema.add(info)
    schema.add_key(pk[0])
    schema.add_key(pk[0])
    assert len(schema.tables[T].unique_keys) == 4


_KEY = UniqueKey(T, "k", "UNIQUE", ("c", "pid"))


@pytest.mark.parametrize(("kind", "params", "level"), [
    ("keep", {}, ONE),
    ("null", {}, ONE),
    ("value", {"value": "x"}, MANY),
    ("mask", {"keep_last": 4}, MANY),
    ("tokenize", {"alphabet": "digits"}, ONE),
    ("tokenize", {"alphabet": "oid"}, ONE),
    ("tokenize", {"alphabet": "gs1"}, MAYBE),
    ("tokenize", {"alphabet": "upper"}, MAYBE),
    ("fake", {"provider": "email", "unique": True}, ONE),
    ("fake", {"provider": "email", "unique": False}, MAYBE),
    ("hash", {"length": 16, "alphabet": "hex"}, ONE),
    ("hash", {"length": 11, "alphabet": "alnum"}, ONE),
    ("hash", {"length": 9, "alphabet": "digits"}, MAYBE),
    ("date", {"mode": "year"}, MANY),
    ("date", {"mode": "safe_harbor"}, MANY),
    ("date", {"mode": "shift", "days": 30, "per": "pid"}, ONE),
    ("date", {"mode": "shift", "days": 30, "per": "other"}, MAYBE),
    ("date", {"mode": "shift", "days": 30}, MAYBE),
    ("generalize", {"method": "zip3"}, MANY),
    ("generalize", {"method": "round", "step": "1"}, MANY),
    ("generalize", {"method": "noise", "amount": "1"}, MAYBE),
    ("redact", {"mode": "text"}, MAYBE),
])
def test_each_transform_is_judged(kind: str, params: dict[str, object], level: str) -> None:
    assert verdict_of(TransformSpec(kind, params), _KEY)[0] == level


def test_a_key_is_as_weak_as_its_weakest_column() -> None:
    unique = TransformSpec("fake", {"provider": "email", "unique": True})
    fake = TransformSpec("fake", {"provider": "email", "unique": False})
    year = TransformSpec("date", {"mode": "year"})
    assert judge_key(_KEY, {"c": unique}).level == ONE  # pid not named: kept
    assert judge_key(_KEY, {"c": unique, "pid": fake}).level == MAYBE
    assert judge_key(_KEY, {"c": year, "pid": fake}).level == MANY
    nulls = UniqueKey(T, "k", "UNIQUE", ("c",), nulls_distinct=False)
    assert judge_key(nulls, {"c": TransformSpec("null")}).level == MANY
    # a when transform: one-to-one branches that differ may meet; null branches never
    when = TransformSpec("when", {"cases": [({}, TransformSpec("null"))], "else": unique})
    assert judge_key(_KEY, {"c": when}).level == ONE
    mixed = TransformSpec("when", {"cases": [({}, TransformSpec("keep"))], "else": unique})
    assert judge_key(_KEY, {"c": mixed}).level == MAYBE
    constant = TransformSpec("when", {"cases": [({}, TransformSpec("value", {"value": "x"}))],
                                      "else": unique})
    assert judge_key(_KEY, {"c": constant}).level == MANY


# -- against real dumps ---------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(("change", "where"), [
    ({"MRN": '{value: "X"}'}, "table public.patients, UNIQUE constraint patients_mrn_key: "
                              "column mrn: {value: X} maps many values to one"),
    ({"CODE": "{mask: {keep_last: 1}}"}, "table public.parted, UNIQUE constraint "
                                         "parted_code_region_key: column code: {mask: "
                                         "{keep_last: 1}}"),
    ({"EMAIL": "{mask: {keep_last: 3}}"}, "unique index patients_email_lower: column email"),
], ids=["value", "mask-partitioned", "index-expression"])
def test_a_many_to_one_transform_on_a_key_is_refused(
        dumps: dict[str, bytes], tmp_path: Path, change: dict[str, str], where: str) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(_policy(**change))
    dump_file = tmp_path / "d.sql"
    dump_file.write_bytes(dumps["full"])
    check = _cli(["check", "-c", str(policy), "--dump", str(dump_file)])
    assert check.returncode == 3, check.stderr
    assert where in check.stderr.decode()
    # the schema alone finds it too (pg_dump --schema-only | scrubphi check --dump -)
    schema_check = _cli(["check", "-c", str(policy), "--dump", "-"], dumps["schema"])
    assert schema_check.returncode == 3 and where in schema_check.stderr.decode()
    for form in ("full", "inserts"):
        scrub = _cli(["--config", str(policy)], dumps[form])
        err = scrub.stderr.decode()
        assert scrub.returncode == 3, err
        assert where in err and "breaks a key of the dump" in err
        assert scrub.stdout.rstrip().endswith(b"END $scrubphi$;")  # the abort trailer
        assert b"MRN1\t" not in scrub.stdout + scrub.stderr and b"'MRN1'" not in scrub.stdout
    # with the schema given first (a --data-only dump), before any row is written
    schema_file = tmp_path / "schema.sql"
    schema_file.write_bytes(dumps["schema"])
    early = _cli(["--config", str(policy), "--schema", str(schema_file)], dumps["data"])
    assert early.returncode == 3 and where in early.stderr.decode()
    assert b"COPY public." not in early.stdout


@pytest.mark.postgres
def test_the_streaming_scrub_fails_after_the_keys(dumps: dict[str, bytes],
                                                  codec: ModuleType) -> None:
    with pytest.raises(CoverageError) as info:
        _scrub(dumps["full"], _policy(MRN='{value: "X"}'), codec)
    assert info.value.exit_code == 3
    assert info.value.uncovered == [
        "table public.patients, UNIQUE constraint patients_mrn_key: column mrn: {value: X} "
        "maps many values to one; two of its rows would become equal and the restore would "
        f"fail at the key (line {_line_of(dumps['full'], _MRN_KEY)})"
        "; use tokenize, {fake: ..., unique: true} or keep there"]


_MRN_KEY = b"ALTER TABLE ONLY public.patients\n    ADD CONSTRAINT patients_mrn_key"


def _line_of(dump: bytes, text: bytes) -> int:
    return dump[: dump.index(text)].count(b"\n") + 1


@pytest.mark.postgres
def test_a_key_holding_a_surviving_key_cannot_collide(dumps: dict[str, bytes], pg: PgServer,
                                                      source: str, codec: ModuleType) -> None:
    """UNIQUE (id, code) beside PRIMARY KEY (id): code may become one value."""
    out, warnings = _scrub(dumps["full"], _policy(PCODE='{value: "X"}'), codec)
    assert warnings == []
    with restored(pg, out) as db:
        assert _unique_indexes(pg, db) == _unique_indexes(pg, source)


@pytest.mark.postgres
def test_a_fake_that_may_collide_is_a_warning(dumps: dict[str, bytes], tmp_path: Path,
                                              pg: PgServer) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(_policy(EMAIL="{fake: email}", SEEN="{date: shift, days: 30}"))
    scrub = _cli(["--config", str(policy)], dumps["full"])
    err = scrub.stderr.decode()
    assert scrub.returncode == 0, err
    assert ("scrubphi: warning: table public.patients, unique index patients_email_lower: "
            "column email: {fake: email} may give two values the same fake") in err
    assert ("UNIQUE constraint visits_patient_id_seen_key: column seen: {date: shift, days: 30}"
            " moves each date by keyed days") in err
    assert "@example.org" not in err
    quiet = _cli(["-q", "--config", str(policy)], dumps["full"])
    assert quiet.returncode == 0 and b"warning" not in quiet.stderr
    dump_file = tmp_path / "d.sql"
    dump_file.write_bytes(dumps["full"])
    check = _cli(["check", "-c", str(policy), "--dump", str(dump_file)])
    assert check.returncode == 0 and "may give two values the same fake" in \
        check.stderr.decode()
    # The warning is earned: 90 visit dates shifted by days keyed by each date collide
    # within a patient, and the restore fails at the key it named.
    assert b'unique index "visits_patient_id_seen_key"' in restore_error(pg, scrub.stdout)


@pytest.mark.postgres
@pytest.mark.parametrize("form", ["full", "inserts"])
def test_one_to_one_transforms_restore_every_key(dumps: dict[str, bytes], pg: PgServer,
                                                 source: str, codec: ModuleType,
                                                 form: str) -> None:
    out, warnings = _scrub(dumps[form], _policy(), codec)
    assert warnings == []
    with restored(pg, out) as db:
        assert _unique_indexes(pg, db) == _unique_indexes(pg, source) == b"9"


# -- foreign keys ---------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(("change", "words"), [
    ({"ID": "{tokenize: digits}"},
     "table public.visits, foreign key visits_patient_id_fkey: column patient_id: keep, but "
     "public.patients.id: {tokenize: digits}; the rows would no longer join"),
    ({"PID": "{tokenize: digits}"}, "column patient_id: {tokenize: digits}, but "
                                    "public.patients.id: keep"),
    ({"ID": "{tokenize: digits}", "PID": "{tokenize: alnum}"},
     "column patient_id: {tokenize: alnum}, but public.patients.id: {tokenize: digits}"),
], ids=["parent-only", "child-only", "different"])
def test_a_foreign_key_whose_sides_differ_is_refused(
        dumps: dict[str, bytes], tmp_path: Path, change: dict[str, str], words: str) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(_policy(**change))
    scrub = _cli(["--config", str(policy)], dumps["full"])
    assert scrub.returncode == 3, scrub.stderr
    assert words in scrub.stderr.decode()
    check = _cli(["check", "-c", str(policy), "--dump", "-"], dumps["schema"])
    assert check.returncode == 3 and words in check.stderr.decode()


@pytest.mark.postgres
def test_a_key_into_dropped_rows_is_refused(dumps: dict[str, bytes], tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    text = _policy()
    start, end = text.index("    public.patients:\n"), text.index("    public.visits:\n")
    policy.write_text(text[:start] + "    public.patients: drop\n" + text[end:])
    check = _cli(["check", "-c", str(policy), "--dump", "-"], dumps["schema"])
    assert check.returncode == 3
    assert ("table public.visits, foreign key visits_patient_id_fkey: the rows of "
            "public.patients it refers to are dropped") in check.stderr.decode()


@pytest.mark.postgres
@pytest.mark.parametrize("child", ["{tokenize: digits}", "null"])
def test_both_sides_alike_restore_and_join(dumps: dict[str, bytes], pg: PgServer, source: str,
                                           codec: ModuleType, child: str) -> None:
    out, warnings = _scrub(dumps["full"], _policy(ID="{tokenize: digits}", PID=child), codec)
    assert warnings == []
    with restored(pg, out) as db:
        joined = pg.psql(db, "COPY (SELECT count(*) FROM public.visits v JOIN public.patients "
                             "p ON p.id = v.patient_id) TO STDOUT").stdout.strip()
    assert joined == (b"90" if child != "null" else b"0")


@pytest.mark.postgres
def test_refresh_refuses_a_broken_key_before_it_creates_anything(
        pg: PgServer, source: str, tmp_path: Path) -> None:
    staging = pg.create_database("unique_keys_staging")
    try:
        policy = tmp_path / "p.yaml"
        policy.write_text(_policy(ID="{tokenize: digits}"))
        done = _cli(["refresh", "--from", pg.dsn(source), "--to", pg.dsn(staging), "-c",
                     str(policy), "--pg-bin", str(pg.bin_dir)])
        err = done.stderr.decode()
        assert done.returncode == 3, err
        assert "step policy" in err and "foreign key visits_patient_id_fkey" in err
        assert "staging was not changed" in err
        made = pg.query("postgres", "SELECT datname FROM pg_database WHERE datname LIKE %s",
                        (staging + "%",))
        assert made == [(staging,)]
    finally:
        pg.drop_database(staging)


def test_pg_dumpall_names_the_database_of_a_broken_key(codec: ModuleType) -> None:
    from shared_paths import PGDUMP_FIXTURES
    from test_dump import SCRUB_EDGE

    data = (PGDUMP_FIXTURES / "cluster.pg_dumpall-15.18.sql").read_bytes()
    text = SCRUB_EDGE.replace("    public.idcol: keep\n",
                              "    public.idcol: {columns: {id: {value: '1'}, v: keep}}\n")
    with pytest.raises(CoverageError) as info:
        scrub_stream(io.BytesIO(data), io.BytesIO(), loads_policy(text, "p.yaml"), codec=codec,
                     key=KEY.encode())
    assert info.value.exit_code == 3
    assert [p.split(": {value")[0] for p in info.value.uncovered] == [
        "database edge: table public.idcol, primary key idcol_pkey: column id"]


@pytest.mark.postgres
def test_integer_referring_to_bigint_with_tokens_is_warned(pg: PgServer, codec: ModuleType) -> None:
    """PostgreSQL lets a bigint column refer to an integer one; tokenize keeps each type's
    range, so a 10-digit id gets one token as integer and another as bigint."""
    db = pg.create_database("unique_keys_types")
    try:
        pg.psql(db, "CREATE TABLE public.parent (id integer PRIMARY KEY); CREATE TABLE "
                    "public.child (pid bigint REFERENCES public.parent); INSERT INTO "
                    "public.parent VALUES (1500000000), (2000000001), (12); INSERT INTO "
                    "public.child VALUES (1500000000), (2000000001), (12);")
        dump = pg.pg_dump(db, "--no-owner")
    finally:
        pg.drop_database(db)
    policy = ("version: 1\nscrub:\n  tables:\n    public.parent: {columns: {id: {tokenize: "
              "digits}}}\n    public.child: {columns: {pid: {tokenize: digits}}}\n")
    out, warnings = _scrub(dump, policy, codec)
    assert warnings == [
        "table public.child, foreign key child_pid_fkey: column pid (bigint) and "
        "public.parent.id (integer): {tokenize: digits} writes inside each type's range, so "
        "values of the widest lengths may differ; the rows join only where both sides' "
        "outputs agree (give both columns one type, or a transform keyed the same way)"]
    assert b"child_pid_fkey" in restore_error(pg, out)  # the warning is earned


def test_a_key_into_a_table_the_dump_does_not_hold_is_not_judged(codec: ModuleType) -> None:
    """pg_dump -t child keeps the child's foreign key; the parent is not in the dump."""
    dump = (b"--\n-- PostgreSQL database dump\n--\n\n"
            b"CREATE TABLE public.child (pid integer, note text);\n\n"
            b"COPY public.child (pid, note) FROM stdin;\n1\tx\n\\.\n\n"
            b"ALTER TABLE ONLY public.child\n    ADD CONSTRAINT child_pid_fkey FOREIGN KEY (pid) "
            b"REFERENCES public.parent(id);\n\n--\n-- PostgreSQL database dump complete\n--\n\n")
    policy = ("version: 1\nscrub:\n  tables:\n    public.child: {columns: {pid: {tokenize: "
              "digits}, note: keep}}\n")
    out, warnings = _scrub(dump, policy, codec)
    assert warnings == [] and b"child_pid_fkey" in out
