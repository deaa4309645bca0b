"""The bundled EHR example end to end: Synthea-shaped tables, the policy a clinic writes.

``examples/ehr/ehr.sql`` builds 18 tables on the real server (patients,
encounters, EAV observations, notes, devices with GS1 UDIs, imaging with
DICOM UIDs...); ``examples/ehr/ehr_policy.yaml`` uses every kind of transform:
per-patient date shifts, tokenized ids, unique SSN and e-mail fakes, row
conditions, names that agree, birthplace parts, rounded coordinates,
structured identifiers and redacted notes. The real pg_dump writes it, both
codecs scrub it, the real psql restores it, and the result is checked for
what must change (no original identifier survives) and what must hold
(row counts, joins, intervals within one patient, unique constraints).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from pg_fixtures import PgServer
from scrubphi import scrub_stream
from scrubphi.lookup import lookup_from_dump
from scrubphi.policy import load_policy
from scrubphi.policy.secrets import resolve_secret

pytestmark = pytest.mark.postgres

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ehr"
PATIENTS = 60
TABLES = ("patients", "encounters", "observations", "notes", "devices", "imaging_studies",
          "claims", "payer_transitions", "conditions", "medications")
# Original values the generator writes, by shape: none may reach staging.
LEAKS = [
    rb"patient\d+@mail\.example",  # e-mails
    # Towns of the patients' city column (Town1..Town60 for 60 patients), wherever they
    # appear: the lookup built from the dump carries them into the notes. (Notes also
    # name towns no structured column holds; finding those is the redactor's recall,
    # measured on real corpora by benchmarks/redact_eval.py, not asserted here.)
    rb"\bTown([1-9]|[1-5][0-9]|60)\b",
    rb"\b\d+ (Oak|Elm|Pine|Maple) Street\b",  # street addresses
    rb"\b(Jose|Mary|Wei|Fatima|John|Olga|Kwame|Ana|Liam|Priya)\d+\b",  # first names
    rb"\b(Smith|Garcia|Nguyen|Okafor|Kowalski|Haddad|Silva|Brown)\d+\b",  # last names
    rb"\bOwner\d+ Name\d+\b",  # full names
    rb"\bS999\d{5}\b",  # driver's licences
]


@pytest.fixture(scope="module")
def source(pg: PgServer) -> Iterator[str]:
    name = pg.create_database("ehr_example")
    pg.psql(name, file=EXAMPLE / "ehr.sql", args=["-v", f"patients={PATIENTS}"])
    yield name
    pg.drop_database(name)


def _query(pg: PgServer, db: str, sql: str) -> list[list[str]]:
    done = pg.psql(db, f"COPY ({sql}) TO STDOUT")
    return [line.split("\t") for line in done.stdout.decode().splitlines()]


@pytest.fixture(scope="module")
def dump(pg: PgServer, source: str) -> bytes:
    return pg.pg_dump(source, "--no-owner")


def _patient_blocks(dump: bytes) -> bytes:
    """The COPY blocks of the tables about patients (organizations and providers are
    the clinic's own records, kept by the policy)."""
    blocks = re.findall(rb"^COPY public\.(\w+) .*?^\\\.$", dump, re.M | re.S)
    assert len(blocks) >= 18
    kept = {b"organizations", b"providers", b"payers"}
    return b"".join(m.group(0) for m in re.finditer(
        rb"^COPY public\.(\w+) .*?^\\\.$", dump, re.M | re.S) if m.group(1) not in kept)


def test_scrubbed_restored_and_consistent(pg: PgServer, source: str, dump: bytes,
                                          codec: ModuleType) -> None:
    policy = load_policy(EXAMPLE / "ehr_policy.yaml")
    assert policy.scrub is not None
    key = resolve_secret(policy.scrub.key_ref, policy.scrub.base_dir)
    # As `scrubphi refresh` does: the structured columns' values guide the notes' redactor.
    lookup = lookup_from_dump(io.BytesIO(dump), policy, key)
    out = io.BytesIO()
    scrub_stream(io.BytesIO(dump), out, policy, codec=codec, key=key, lookup=lookup)
    data = out.getvalue()
    for pattern in LEAKS:
        assert re.search(pattern, _patient_blocks(dump)), pattern  # the source has it...
        assert not re.search(pattern, _patient_blocks(data)), pattern  # ...staging does not
    staging = pg.create_database("ehr_example_dst")
    try:
        pg.psql(staging, stdin=data, args=["--single-transaction"])  # UNIQUE ssn, email hold
        for table in TABLES:
            count = f"SELECT count(*) FROM public.{table}"
            assert _query(pg, staging, count) == _query(pg, source, count), table
        # Patient ids were tokenized one-to-one everywhere: every event finds its patient.
        orphans = _query(pg, staging, "SELECT count(*) FROM public.encounters e "
                                      "LEFT JOIN public.patients p ON p.id = e.patient_id "
                                      "WHERE p.id IS NULL")
        assert orphans == [["0"]]
        # Dates shifted per patient: an encounter keeps its distance to the birth date.
        gap = ("SELECT e.id, (e.start::date - p.birthdate) FROM public.encounters e "
               "JOIN public.patients p ON p.id = e.patient_id ORDER BY e.id")
        assert _query(pg, staging, gap) == _query(pg, source, gap)
        moved = _query(pg, staging, "SELECT count(*) FROM public.patients p WHERE birthdate "
                                    "IN (SELECT birthdate FROM public.patients)")
        assert moved == [[str(PATIENTS)]]
        # EAV: address answers faked, clinical answers kept.
        answers = _query(pg, staging, "SELECT code, value FROM public.observations "
                                      "WHERE code <> '56799-0' ORDER BY 1, 2 LIMIT 50")
        source_answers = _query(pg, source, "SELECT code, value FROM public.observations "
                                            "WHERE code <> '56799-0' ORDER BY 1, 2 LIMIT 50")
        assert answers == source_answers
        # First names follow the recorded sex; the birthplace keeps state and country.
        rows = _query(pg, staging, "SELECT gender, first, birthplace, lat FROM public.patients")
        assert all(r[2].endswith("  Massachusetts  US") for r in rows)
        # numeric(9,6) pads the rounded latitude back to six places: 42.900000.
        assert all(re.fullmatch(r"-?\d+\.\d0{5}", r[3]) for r in rows)
        from scrubphi.transforms.pooldata import load_pool

        female = set(load_pool("first_name_female", "en_US"))
        male = set(load_pool("first_name_male", "en_US"))
        assert all(r[1] in (female if r[0] == "F" else male) for r in rows)
        # Structured identifiers keep their structure.
        udis = _query(pg, staging, "SELECT udi FROM public.devices")
        assert udis and all(re.fullmatch(r"\(01\)\d{14}\(21\)\w+", u[0]) for u in udis)
        sops = _query(pg, staging, "SELECT sop FROM public.imaging_studies")
        assert sops and all(s[0].startswith("1.2.840.10008.5.1.4.1.1.") for s in sops)
        # The note kept its clinical content.
        notes = _query(pg, staging, "SELECT body FROM public.notes LIMIT 5")
        assert all("BP 132/84" in n[0] and "Metformin 1000 mg PO BID" in n[0] for n in notes)
    finally:
        pg.drop_database(staging)
