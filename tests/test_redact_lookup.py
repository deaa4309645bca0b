"""The lookup of structured values: notes lose every value the policy scrubs elsewhere.

A real database whose ``encounters`` notes (dumped before ``patients``, as
pg_dump writes tables in name order) quote patients' and staff's names that
are everyday words ("Hope Walker", "Grace Park"), phone numbers without
separators and bare record numbers: the words a vocabulary keeps and a
pattern misses.  The lookup is built from the real pg_dump output and from
the database, the dump is scrubbed with it (both codecs) and restored with
the real psql, and the restored notes are checked in SQL.  Nothing here
prints a value.
"""

from __future__ import annotations

import io
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from pg_fixtures import PgServer
from scrubphi import scrub_stream
from scrubphi.errors import LookupFileError
from scrubphi.lookup import lookup_columns, lookup_from_database, lookup_from_dump
from scrubphi.policy import loads_policy
from scrubphi.policy.model import TransformSpec
from scrubphi.transforms import build_transform
from scrubphi.transforms.base import ColumnInfo, TransformContext
from scrubphi.transforms.redact import Redactor
from scrubphi.transforms.redact.lookup import Lookup, column_kind

KEY = b"lookup-test-key-0123456789abcdef0123"

# -- the lookup itself --------------------------------------------------------------------


def _lookup() -> Lookup:
    lk = Lookup.new(KEY)
    lk.add("name", "Hope Walker")
    lk.add("first_name", "Grace")
    lk.add("last_name", "Park")
    lk.add("phone", "(617) 555-1234")
    lk.add("id", "48213")
    lk.add("street", "12 Oak Street")
    lk.add("city", "Springfield")
    return lk


def _fake(provider: str, value: str) -> str:
    spec = TransformSpec("fake", {"provider": provider, "unique": False, "locale": "en_US"})
    out = build_transform(spec, ColumnInfo("c", "text"), TransformContext(key=KEY)).fn(value)
    assert out is not None
    return out


def test_file_round_trip_holds_no_value(tmp_path: Path) -> None:
    """Saved 0600, loaded back equal; the bytes hold no value in any case or encoding."""
    lk = _lookup()
    path = tmp_path / "notes.lookup"
    lk.save(str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = path.read_bytes()
    for value in ("hope", "walker", "grace", "park", "6175551234", "48213", "oak", "springfield"):
        assert value.encode() not in data.lower()
    back = Lookup.load(str(path), KEY)
    assert back.sets == lk.sets and back.counts() == lk.counts()


def test_wrong_key_and_damage_are_refused(tmp_path: Path) -> None:
    data = _lookup().to_bytes()
    with pytest.raises(LookupFileError, match="another key"):
        Lookup.from_bytes(data, b"x" * 32)
    with pytest.raises(LookupFileError, match="damaged"):
        Lookup.from_bytes(data[:-5], KEY)
    with pytest.raises(LookupFileError, match="damaged"):
        Lookup.from_bytes(data + b"\0", KEY)
    with pytest.raises(LookupFileError, match="not a scrubphi lookup"):
        Lookup.from_bytes(b"PGDMP", KEY)
    # A count that claims more values than the file holds (a hostile or cut file).
    head = len(b"SCRUBPHI-LOOKUP\x002\n") + 16 + 1 + len("first_name")
    huge = data[:head] + (2**60).to_bytes(8, "big") + data[head + 8:]
    with pytest.raises(LookupFileError, match="damaged"):
        Lookup.from_bytes(huge, KEY)
    # Every single byte changed, and one value's hash removed with its count mended (what
    # someone without the key would do to let a name through the notes): refused.
    for i in range(len(data)):
        flipped = data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]
        with pytest.raises(LookupFileError):
            Lookup.from_bytes(flipped, KEY)
    count_at = head
    count = int.from_bytes(data[count_at:count_at + 8], "big")
    assert count > 0
    fewer = (data[:count_at] + (count - 1).to_bytes(8, "big") + data[count_at + 8:count_at + 8]
             + data[count_at + 16:])
    with pytest.raises(LookupFileError, match="altered"):
        Lookup.from_bytes(fewer, KEY)
    # The first format (no MAC) is refused with what to do.
    with pytest.raises(LookupFileError, match="older format"):
        Lookup.from_bytes(b"SCRUBPHI-LOOKUP\x001\n" + data[len(b"SCRUBPHI-LOOKUP\x002\n"):], KEY)
    with pytest.raises(LookupFileError, match="another key"):
        _lookup().check_key(b"y" * 32)


def test_column_kinds() -> None:
    def fake(p: str) -> TransformSpec:
        return TransformSpec("fake", {"provider": p})

    assert column_kind(fake("first_name")) == "first_name"
    assert column_kind(fake("name")) == "name"
    assert column_kind(fake("phone_number")) == "phone"
    assert column_kind(fake("street_address")) == "street"
    assert column_kind(TransformSpec("tokenize", {"alphabet": "alnum"})) == "id"
    assert column_kind(fake("email")) is None
    assert column_kind(TransformSpec("keep")) is None


# -- the redactor with a lookup --------------------------------------------------------------


@pytest.fixture(scope="module")
def with_lookup() -> Redactor:
    return Redactor(TransformContext(key=KEY), lookup=_lookup())


def test_everyday_word_names_go_when_the_lookup_has_them(with_lookup: Redactor) -> None:
    """Names that are English words: replaced, with the column fakes, only with the lookup."""
    plain = Redactor(TransformContext(key=KEY))
    # Alone and with no context, everyday words stay (a first name and a surname side
    # by side in title case go without the lookup too: test_redact_name_pairs.py).
    alone = "Hope visited. Park called."
    assert plain.redact(alone) == alone
    assert with_lookup.redact(alone) == (f"{_fake('first_name', 'Hope')} visited. "
                                         f"{_fake('last_name', 'Park')} called.")
    text = "Hope Walker and Grace Park visited."
    out = with_lookup.redact(text)
    assert out == (f"{_fake('first_name', 'Hope')} {_fake('last_name', 'Walker')} and "
                   f"{_fake('first_name', 'Grace')} {_fake('last_name', 'Park')} visited.")
    upper = with_lookup.redact("GRACE PARK AT BEDSIDE")
    assert upper == f"{_fake('first_name', 'Grace').upper()} {_fake('last_name', 'Park').upper()}" \
        " AT BEDSIDE"


def test_lower_case_everyday_words_stay(with_lookup: Redactor) -> None:
    """'there is hope', 'walker at bedside': the commonest words in lower case are words."""
    text = "there is hope; walker at bedside, park the car"
    assert with_lookup.redact(text) == text


def test_phones_ids_streets_and_towns_in_any_format(with_lookup: Redactor) -> None:
    out = with_lookup.redact("Call 6175551234 or 617 555 1234 re 48213; lives at 12 Oak Street, "
                             "Springfield.")
    for value in ("6175551234", "617 555 1234", "48213", "Oak Street", "Springfield"):
        assert value not in out
    assert "Call " in out and " re " in out and "; lives at " in out


# -- real pg_dump, real psql ---------------------------------------------------------------------

SCHEMA = r"""
CREATE TABLE public.patients (
    id integer PRIMARY KEY,
    mrn text NOT NULL UNIQUE,
    first_name text NOT NULL,
    last_name text NOT NULL,
    phone text,
    street text,
    city text
);
CREATE TABLE public.staff (id integer PRIMARY KEY, full_name text NOT NULL);
-- An EAV table: the answer is the home town only where the question is CITY.
CREATE TABLE public.answers (id integer PRIMARY KEY, code text, value text);
INSERT INTO public.answers VALUES (1, 'CITY', 'Savoy'), (2, 'LANG', 'English'),
 (3, 'CITY', NULL), (4, NULL, 'Salad');
-- "encounters" sorts before "patients" and "staff": pg_dump writes its notes first.
CREATE TABLE public.encounters (
    id integer PRIMARY KEY,
    patient_id integer REFERENCES public.patients(id),
    note text NOT NULL
);
INSERT INTO public.patients VALUES
 (1, '48213', 'Hope', 'Walker', '617-555-1234', '12 Oak Street', 'Springfield'),
 (2, '55190', 'Grace', 'Park', '(508) 555-0199', '9 Mill Lane', 'Salem'),
 (3, '60027', 'Will', 'Young', '413.555.0142', '77 Elm Road', 'Lenox');
INSERT INTO public.staff VALUES (1, 'Rose Hunter'), (2, 'Mark Price');
INSERT INTO public.encounters VALUES
 (1, 1, 'Hope Walker seen with Dr. Hunter. Call 6175551234. Lives at 12 Oak Street, Springfield.'),
 (2, 2, E'GRACE PARK ADMITTED, RECORD 55190, PHONE 508 555 0199.\nMARK PRICE RN AT BEDSIDE'),
 (3, 3, 'Will Young from Lenox, son at bedside; Rose Hunter updated; there is hope. '
        'Grew up in Savoy; speaks English; ate Salad.');
"""

POLICY = """
version: 1
scrub:
  key: env:SCRUBPHI_TEST_LOOKUP_KEY
  tables:
    public.patients:
      columns:
        id: keep
        mrn: {tokenize: alnum}
        first_name: {fake: first_name}
        last_name: {fake: last_name}
        phone: {fake: phone_number}
        street: {fake: street_address}
        city: {fake: city}
    public.staff:
      columns:
        id: keep
        full_name: {fake: name}
    public.answers:
      columns:
        id: keep
        code: keep
        value:
          when:
            - if: {code: CITY}
              then: {fake: city}
          else: keep
    public.encounters:
      columns:
        id: keep
        patient_id: keep
        note: {redact: text}
"""

SECRETS = ("Hope", "Walker", "Grace", "Park", "GRACE", "PARK", "Will", "Young", "Hunter",
           "Rose", "MARK", "PRICE", "6175551234", "48213", "55190", "508 555 0199", "Oak Street",
           "Springfield", "Lenox", "Savoy")


@pytest.fixture(scope="module")
def source(pg: PgServer) -> Iterator[tuple[str, bytes]]:
    name = pg.create_database("lookup_src")
    pg.psql(name, SCHEMA)
    yield name, pg.pg_dump(name, "--no-owner")
    pg.drop_database(name)


@pytest.fixture(scope="module")
def policy_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lookup") / "policy.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return path


def test_dump_and_database_give_the_same_lookup(
    pg: PgServer, source: tuple[str, bytes]
) -> None:
    policy = loads_policy(POLICY, "policy.yaml")
    assert {str(t): c for t, c in lookup_columns(policy).items()} == {
        "public.patients": {"mrn": "id", "first_name": "first_name", "last_name": "last_name",
                            "phone": "phone", "street": "street", "city": "city"},
        "public.staff": {"full_name": "name"},
    }
    db, dump = source
    from_dump = lookup_from_dump(io.BytesIO(dump), policy, KEY)
    from_db = lookup_from_database(pg.dsn(db), policy, KEY)
    assert from_dump.sets == from_db.sets
    # The EAV answer counts where its row's code picks the city branch, not elsewhere.
    assert from_dump.counts() == {"first_name": 5, "last_name": 5, "street": 3, "city": 4,
                                  "phone": 3, "id": 3}
    assert from_dump.has("city", "savoy") and not from_dump.has("city", "english")
    for form in ("--inserts", "--column-inserts"):
        inserts = lookup_from_dump(io.BytesIO(pg.pg_dump(db, "--no-owner", form)), policy, KEY)
        assert inserts.sets == from_dump.sets, form


def _restored_notes(pg: PgServer, data: bytes) -> tuple[str, list[tuple[int, str]]]:
    db = pg.create_database("lookup_dst")
    pg.psql(db, stdin=data, args=["--single-transaction"])
    return db, [(r[0], r[1]) for r in pg.query(db, "SELECT id, note FROM encounters ORDER BY id")]


def test_notes_lose_every_structured_value(
    pg: PgServer, source: tuple[str, bytes], codec: ModuleType
) -> None:
    """Scrubbed with the lookup and restored: no value of patients or staff is left in a note,
    and each patient's name in its note is that patient's restored (fake) name."""
    _, dump = source
    policy = loads_policy(POLICY, "policy.yaml")
    lookup = lookup_from_dump(io.BytesIO(dump), policy, KEY)
    out = io.BytesIO()
    scrub_stream(io.BytesIO(dump), out, policy, codec=codec, key=KEY, lookup=lookup)
    db, notes = _restored_notes(pg, out.getvalue())
    try:
        for _, note in notes:
            for secret in SECRETS:
                found = re.search(rf"(?<![^\W_]){re.escape(secret)}(?![^\W_])", note)
                assert found is None, f"{SECRETS.index(secret)} left in a note"
        assert "there is hope" in notes[2][1]  # lower-case everyday words stay
        # Only the EAV row's city answer is a town; its other answers are no one's.
        assert "speaks English; ate Salad." in notes[2][1]
        first, last = pg.query(db, "SELECT first_name, last_name FROM patients WHERE id = 1")[0]
        assert notes[0][1].startswith(f"{first} {last} seen with Dr. ")
        upper = pg.query(db, "SELECT first_name, last_name FROM patients WHERE id = 2")[0]
        assert notes[1][1].startswith(f"{upper[0].upper()} {upper[1].upper()} ADMITTED")
    finally:
        pg.drop_database(db)


def test_without_the_lookup_everyday_names_stay(
    pg: PgServer, source: tuple[str, bytes], codec: ModuleType
) -> None:
    """The same run without a lookup leaves names that are everyday words in a note
    written in capitals: the lookup is what removes them (this test fails if the lookup
    stops mattering). ("Hope Walker" in title case goes without it: a first name and
    a surname side by side, test_redact_name_pairs.py.)"""
    _, dump = source
    out = io.BytesIO()
    scrub_stream(io.BytesIO(dump), out, loads_policy(POLICY, "policy.yaml"), codec=codec,
                 key=KEY)
    assert b"GRACE PARK" in out.getvalue()
    assert b"Hope Walker" not in out.getvalue()


def test_cli_lookup_then_scrub(
    pg: PgServer, source: tuple[str, bytes], policy_file: Path, tmp_path: Path
) -> None:
    """`scrubphi lookup` from the dump and from the database, then `scrubphi --lookup`."""
    db, dump = source
    env = {**os.environ, "SCRUBPHI_TEST_LOOKUP_KEY": KEY.decode()}
    dump_path = tmp_path / "src.sql"
    dump_path.write_bytes(dump)
    cli = [sys.executable, "-m", "scrubphi"]
    for how in (["-i", str(dump_path)], ["--from", pg.dsn(db)]):
        lookup_path = tmp_path / "notes.lookup"
        made = subprocess.run([*cli, "lookup", "-c", str(policy_file), *how,
                               "-o", str(lookup_path)], env=env, capture_output=True, check=False)
        assert made.returncode == 0, made.stderr.decode()
        assert b"lookup written: 23 hashed values from 8 column(s)" in made.stderr
        for secret in SECRETS:
            assert secret.encode() not in made.stderr + made.stdout
        run = subprocess.run([*cli, "-c", str(policy_file), "--lookup", str(lookup_path),
                              "-i", str(dump_path)], env=env, capture_output=True, check=False)
        assert run.returncode == 0, run.stderr.decode()
        notes = run.stdout.split(b"COPY public.encounters", 1)[1].split(b"\\.", 1)[0]
        assert b"Walker" not in notes and b"GRACE" not in notes and b"6175551234" not in notes
    # Another key refuses the file with exit 3 and writes nothing.
    other = {**env, "SCRUBPHI_TEST_LOOKUP_KEY": "another-key-0123456789abcdef0123456"}
    out_path = tmp_path / "never.sql"
    refused = subprocess.run([*cli, "-c", str(policy_file), "--lookup", str(tmp_path /
                              "notes.lookup"), "-i", str(dump_path), "-o", str(out_path)],
                             env=other, capture_output=True, check=False)
    assert refused.returncode == 3 and b"another key" in refused.stderr
    assert not out_path.exists()
    usage = subprocess.run([*cli, "lookup", "-c", str(policy_file), "-o", str(out_path)],
                           env=env, capture_output=True, check=False)
    assert usage.returncode == 2 and b"exactly one of --input DUMP and --from URL" in usage.stderr


@pytest.mark.parametrize("jobs", [1, 2])
def test_refresh_builds_the_lookup_itself(
    pg: PgServer, source: tuple[str, bytes], policy_file: Path, jobs: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`scrubphi refresh` (plain and parallel) reads the lookup from the source by itself."""
    from scrubphi.refresh import RefreshOptions, refresh

    monkeypatch.setenv("SCRUBPHI_TEST_LOOKUP_KEY", KEY.decode())
    db, _ = source
    staging = pg.create_database("lookup_stg")
    logs: list[str] = []
    try:
        result = refresh(RefreshOptions(
            source_url=pg.dsn(db), staging_url=pg.dsn(staging), configs=(str(policy_file),),
            jobs=jobs, keep=0, grace_s=0.2, pg_bin=pg.bin_dir, log=logs.append,
        ))
        assert result.ok and result.lookup_values == 23  # the EAV city answer too
        assert any(line.startswith("lookup: 23 hashed values") for line in logs)
        notes = [r[0] for r in pg.query(staging, "SELECT note FROM encounters ORDER BY id")]
        for note in notes:
            for secret in SECRETS:
                assert re.search(rf"(?<![^\W_]){re.escape(secret)}(?![^\W_])", note) is None
        for line in logs:
            for secret in SECRETS:
                assert secret not in line
    finally:
        for (name,) in pg.query("postgres", "SELECT datname FROM pg_database WHERE datname "
                                "LIKE %s", (staging + "%",)):
            pg.drop_database(name)
