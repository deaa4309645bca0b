"""The whole pipeline on a real server: real pg_dump, scrubphi, real psql.

A database full of PHI is dumped with the real ``pg_dump``, scrubbed (on
both codecs), restored with ``psql -v ON_ERROR_STOP=1 --single-transaction``
into a second database, and compared in SQL.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from types import ModuleType

import pytest

from pg_fixtures import PgServer
from scrubphi import DumpError, Scrubber, scrub_stream
from scrubphi.policy import loads_policy
from scrubphi.policy.model import Policy
from scrubphi.transforms.unique import never_issued

pytestmark = pytest.mark.postgres

KEY = b"round-trip-test-key-0123456789abcdef"

SCHEMA = r"""
CREATE SCHEMA clinic;
CREATE TABLE public.patients (
    id integer PRIMARY KEY,
    mrn text NOT NULL UNIQUE,
    first_name text NOT NULL,
    last_name text NOT NULL,
    ssn text UNIQUE,
    email text UNIQUE,
    phone character varying(20),
    dob date,
    zip text,
    insurance_member_id text,
    notes text NOT NULL DEFAULT '',
    tags text[],
    full_name text GENERATED ALWAYS AS (first_name || ' ' || last_name) STORED
);
CREATE TABLE public.encounters (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id integer NOT NULL REFERENCES public.patients(id),
    admitted_at timestamp without time zone NOT NULL,
    discharged_on date,
    diagnosis_code text NOT NULL
);
CREATE TABLE public.claims (
    id integer PRIMARY KEY,
    member_ssn text NOT NULL,
    amount numeric(10,2) NOT NULL
);
CREATE TABLE clinic."Lab Results" (
    "Patient ID" integer REFERENCES public.patients(id),
    "Test Name" text,
    "Result, Value" text,
    "Collected At" timestamp with time zone
);
CREATE TABLE public.icd_codes (code text PRIMARY KEY, description text);
CREATE TABLE public.sessions (id integer PRIMARY KEY, token text);

INSERT INTO public.patients (id, mrn, first_name, last_name, ssn, email, phone, dob, zip,
                             insurance_member_id, notes, tags)
SELECT i,
       'MRN-' || lpad(i::text, 7, '0'),
       (ARRAY['Alice','Bob','Carol','Dmitri','Eve','Fatima','Gus','Hana','Ivan','Jo'])[1 + i % 10],
       (ARRAY['Smith','Jones','Nguyen','Garcia','O''Brien','Kowalski','Tan'])[1 + i % 7],
       CASE WHEN i % 50 = 0 THEN NULL
            ELSE lpad((100 + i % 700)::text, 3, '0') || '-' || lpad((1 + i % 98)::text, 2, '0')
                 || '-' || lpad((1000 + i)::text, 4, '0') END,
       'patient' || i || '@mail.test',
       '(617) 555-' || lpad((i % 10000)::text, 4, '0'),
       date '1930-01-01' + (i * 37) % 30000,
       lpad(((i * 7919) % 99999)::text, 5, '0'),
       'INS' || (i * 31337),
       CASE WHEN i % 3 = 0 THEN E'Pt called\tback; line2\nok \\ done' ELSE '' END,
       ARRAY['tag ' || i, 'x,y', NULL]
FROM generate_series(1, 1500) AS i;

INSERT INTO public.encounters (patient_id, admitted_at, discharged_on, diagnosis_code)
SELECT 1 + (i % 1500), timestamp '2020-01-01 08:30:00' + i * interval '5 hours',
       date '2020-01-01' + (i * 5 / 24) + 2, 'E11.' || (i % 9)
FROM generate_series(1, 4000) AS i;

INSERT INTO public.claims (id, member_ssn, amount)
SELECT i, p.ssn, (i % 900) + 0.5
FROM generate_series(1, 1200) AS i JOIN public.patients p ON p.id = 1 + (i * 7) % 1500
WHERE p.ssn IS NOT NULL;

INSERT INTO clinic."Lab Results"
SELECT 1 + i % 1500, 'A1c', (5 + i % 4) || '.' || (i % 10) || '%',
       timestamptz '2021-03-04 10:00:00+00' + i * interval '1 day'
FROM generate_series(1, 800) AS i;

INSERT INTO public.icd_codes VALUES ('E11.0', 'Type 2 diabetes'), ('E11.1', 'with ketoacidosis');
INSERT INTO public.sessions VALUES (1, 'secret-session-token');
"""

POLICY = """
version: 1
scrub:
  tables:
    public.patients:
      columns:
        id: keep
        mrn: {tokenize: alnum}
        first_name: {fake: first_name}
        last_name: {fake: last_name}
        ssn: {fake: ssn, unique: true}
        email: {fake: email, unique: true}
        phone: {fake: phone_number}
        dob: {date: shift, days: 180, per: id}
        zip: {generalize: zip3}
        insurance_member_id: hash
        notes: {value: ""}
        tags: {mask: {keep_last: 1}}
    public.encounters:
      columns:
        id: keep
        patient_id: keep
        admitted_at: {date: shift, days: 180, per: patient_id}
        discharged_on: {date: shift, days: 180, per: patient_id}
        diagnosis_code: keep
    public.claims:
      columns:
        id: keep
        member_ssn: {fake: ssn, unique: true}
        amount: keep
    clinic.Lab Results:
      columns:
        Patient ID: keep
        Test Name: keep
        Result, Value: keep
        Collected At: {date: shift, days: 30}
    public.icd_codes: keep
    public.sessions: drop
"""


@pytest.fixture(scope="module")
def source(pg: PgServer) -> Iterator[tuple[str, bytes]]:
    """A database full of PHI and its real pg_dump."""
    name = pg.create_database("rt_src")
    pg.psql(name, SCHEMA)
    yield name, pg.pg_dump(name, "--no-owner")
    pg.drop_database(name)


def scrub(dump: bytes, codec: ModuleType, key: bytes = KEY) -> bytes:
    dst = io.BytesIO()
    scrub_stream(io.BytesIO(dump), dst, policy(), codec=codec, key=key, chunk_size=65536)
    return dst.getvalue()


def policy() -> Policy:
    return loads_policy(POLICY, "roundtrip.yaml")


def restore(pg: PgServer, data: bytes, *, check: bool = True) -> tuple[str, int]:
    name = pg.create_database("rt_dst")
    result = pg.psql(name, stdin=data, args=["--single-transaction"], check=check)
    return name, result.returncode


def rows(pg: PgServer, db: str, sql: str) -> list[tuple[object, ...]]:
    return pg.query(db, sql)


def test_scrubbed_dump_restores_and_keeps_its_shape(
    pg: PgServer, source: tuple[str, bytes], codec: ModuleType
) -> None:
    """Counts equal, PHI changed row by row, kept columns identical, keys and joins hold."""
    src, dump = source
    out = scrub(dump, codec)
    dst, _ = restore(pg, out)

    for table in [
        "public.patients",
        "public.encounters",
        "public.claims",
        'clinic."Lab Results"',
        "public.icd_codes",
    ]:
        assert rows(pg, src, f"SELECT count(*) FROM {table}") == rows(
            pg, dst, f"SELECT count(*) FROM {table}"
        ), table
    assert rows(pg, dst, "SELECT count(*) FROM public.sessions") == [(0,)]

    cols = (
        "id, mrn, first_name, last_name, ssn, email, phone, dob, zip, "
        "insurance_member_id, notes, tags, full_name"
    )
    before = {r[0]: r for r in rows(pg, src, f"SELECT {cols} FROM public.patients")}
    after = {r[0]: r for r in rows(pg, dst, f"SELECT {cols} FROM public.patients")}
    assert before.keys() == after.keys()
    for pid, old in before.items():
        new = after[pid]
        for i in (1, 4, 5, 6, 7, 9):  # mrn, ssn, email, phone, dob, member id: always change
            if old[i] is not None:
                assert new[i] != old[i], (pid, i)
            else:
                assert new[i] is None
        assert new[10] == ""  # notes: constant
        assert new[8] == old[8][:3] + "00" or new[8] == "00000"  # zip3
        assert new[12] == f"{new[2]} {new[3]}"  # generated column recomputed from fakes
        assert len(new[1]) == len(old[1]) and new[1][:3].isalpha() and new[1][3] == "-"
        if old[4] is not None:  # unique: a keyed permutation keeping format and SSA class
            assert len(new[4]) == len(old[4]) and (new[4][3] == "-") == (old[4][3] == "-")
            assert never_issued(int(new[4].replace("-", ""))) == never_issued(
                int(old[4].replace("-", ""))
            )
        assert new[5].endswith(".example")  # unique e-mail: under the reserved name

    # unique columns stayed unique (the restore enforced it; count to be explicit)
    assert rows(pg, dst, "SELECT count(DISTINCT ssn) = count(ssn) FROM public.patients") == [
        (True,)
    ]
    # the same SSN in two tables got the same fake: the join survives exactly
    join = "SELECT count(*) FROM public.claims c JOIN public.patients p ON p.ssn = c.member_ssn"
    assert rows(pg, dst, join) == rows(pg, src, join)
    assert rows(pg, src, join)[0][0] > 1000
    # per-patient date shift keeps intervals between a patient's dates
    interval = (
        "SELECT e.id, e.discharged_on - e.admitted_at::date FROM public.encounters e ORDER BY e.id"
    )
    assert rows(pg, dst, interval) == rows(pg, src, interval)
    # kept tables and columns are identical
    kept = "SELECT code, description FROM public.icd_codes ORDER BY code"
    assert rows(pg, dst, kept) == rows(pg, src, kept)
    lab = (
        'SELECT "Patient ID", "Test Name", "Result, Value" FROM clinic."Lab Results" ORDER BY 1, 3'
    )
    assert rows(pg, dst, lab) == rows(pg, src, lab)
    # foreign keys are valid after restore
    assert rows(pg, dst, "SELECT count(*) FROM pg_constraint WHERE NOT convalidated") == [(0,)]


def test_runs_are_reproducible_and_key_dependent(
    source: tuple[str, bytes], codec: ModuleType
) -> None:
    """Two runs are byte-identical; another key gives other output."""
    _src, dump = source
    first = scrub(dump, codec)
    assert scrub(dump, codec) == first
    assert scrub(dump, codec, key=b"another-key-entirely-0123456789") != first


def test_compiled_and_pure_agree(source: tuple[str, bytes]) -> None:
    """The two codecs give byte-identical output on a real dump."""
    from scrubphi import _impl

    _src, dump = source
    pure = scrub(dump, _impl.load("pure"))
    if not _impl.NO_EXTENSIONS:
        assert scrub(dump, _impl.load("compiled")) == pure


def _mid_kept_row(dump: bytes) -> int:
    """An offset inside the second row of a kept table's COPY block."""
    header_end = dump.index(b"\n", dump.index(b"COPY public.icd_codes"))
    second = dump.index(b"\n", header_end + 1) + 1
    return second + 3


@pytest.mark.parametrize("where", ["rewritten-table", "kept-table-mid-row"])
def test_failed_scrub_cannot_be_restored(
    pg: PgServer, source: tuple[str, bytes], codec: ModuleType, where: str
) -> None:
    """A truncated dump makes scrubphi fail and the psql restore fail and roll back.

    A kept table's rows are validated whole, so no part of the cut row is
    passed on; the trailer ends the COPY block, so psql leaves it before the
    poison, however the input was cut.
    """
    _src, dump = source
    if where == "kept-table-mid-row":
        cut = dump[: _mid_kept_row(dump)]
        assert not cut.endswith(b"\n")
    else:
        cut = dump[: dump.index(b"COPY public.patients") + 5000]
    scrubber = Scrubber(policy(), codec=codec, key=KEY)
    out = scrubber.feed(cut)
    with pytest.raises(Exception, match="ended inside COPY data"):
        scrubber.close()
    out += scrubber.abort_trailer()
    if where == "kept-table-mid-row":
        # Half a row is never passed on: the block holds the whole rows, then ends.
        whole = cut[cut.rindex(b"COPY public.icd_codes") : cut.rindex(b"\n") + 1]
        block = out[out.rindex(b"COPY public.icd_codes") :]
        assert block.startswith(whole + b"\n\\.\n")
    dst, code = restore(pg, out, check=False)
    assert code != 0
    assert rows(pg, dst, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]


@pytest.mark.parametrize("encoding", ["LATIN1", "WIN1252", "EUC_JP"])
def test_a_dump_in_another_encoding_is_refused_at_its_set(
    pg: PgServer, source: tuple[str, bytes], codec: ModuleType, encoding: str
) -> None:
    """``pg_dump --encoding=LATIN1`` writes ``SET client_encoding = 'LATIN1'`` and then
    bytes the scrubber would read as UTF-8 ("\u00c3\u00a9" is "\u00e9"): refused at that
    statement, naming the encoding and the fix, before any row; its trailer makes the
    restore fail. The same database dumped in UTF-8 scrubs and restores."""
    name, _dump = source
    dump = pg.pg_dump(name, "--no-owner", f"--encoding={encoding}")
    line = dump[: dump.index(b"SET client_encoding")].count(b"\n") + 1
    scrubber = Scrubber(policy(), codec=codec, key=KEY)
    with pytest.raises(DumpError) as info:
        scrubber.feed(dump)
    assert info.value.line == line
    assert encoding in str(info.value) and "--encoding=UTF8" in str(info.value)
    out = scrubber.abort_trailer()
    assert b"COPY" not in out
    _dst, code = restore(pg, out, check=False)
    assert code != 0
    utf8 = pg.pg_dump(name, "--no-owner", "--encoding=UTF8")
    restore(pg, scrub(utf8, codec))


@pytest.mark.parametrize(
    "form",
    [("--inserts",), ("--column-inserts", "--rows-per-insert=7", "--on-conflict-do-nothing")],
    ids=["inserts", "column-inserts-rows7-on-conflict"],
)
def test_insert_forms_restore_to_the_same_data_as_copy(
    pg: PgServer, source: tuple[str, bytes], codec: ModuleType, form: tuple[str, ...]
) -> None:
    """The same database dumped as COPY and as INSERTs scrubs and restores to identical tables."""
    src, dump = source
    copy_db, _ = restore(pg, scrub(dump, codec))
    insert_dump = pg.pg_dump(src, "--no-owner", *form)
    assert b"INSERT INTO public.patients" in insert_dump
    insert_db, _ = restore(pg, scrub(insert_dump, codec))
    for table in [
        "public.patients",
        "public.encounters",
        "public.claims",
        'clinic."Lab Results"',
        "public.icd_codes",
        "public.sessions",
    ]:
        query = f"SELECT * FROM {table} AS t ORDER BY t::text"
        assert rows(pg, insert_db, query) == rows(pg, copy_db, query), table
