"""``scrubphi audit``: transforms, Safe Harbor coverage, PHI-like kept columns, residual scan."""

from __future__ import annotations

import io
import json
from pathlib import Path

from click.testing import CliRunner

from scrubphi.audit import SAFE_HARBOR_KINDS, audit_dump, phi_kinds_of_name
from scrubphi.cli import EXIT_CODES, main
from scrubphi.policy import load_policy, loads_policy
from scrubphi.transforms.keyed import DERIVATION

ROOT = Path(__file__).resolve().parents[1]

DUMP = b"""CREATE TABLE public.visits (
    id integer NOT NULL,
    patient_ssn text,
    notes text,
    fax_number text,
    score integer
);

COPY public.visits (id, patient_ssn, notes, fax_number, score) FROM stdin;
1\t123-45-6789\tPt called from (617) 555-2368 on 03/04/2021, wrote jane@mail.test\t617-555-0000\t7
2\t987-65-4321\tBP 120/80, HR 72, E11.9\t\\N\t8
3\t\\N\tSSN 111-22-3333 on file\t\\N\t9
\\.

INSERT INTO public.visits (id, patient_ssn, notes, fax_number, score)
    VALUES (4, NULL, 'mail me: a@b.example', NULL, 1);

--
-- PostgreSQL database dump complete
--
"""

POLICY = """version: 1
scrub:
  tables:
    public.visits:
      columns:
        id: keep
        patient_ssn: {fake: ssn}
        notes: keep
        fax_number: keep
        score: keep
"""


def test_residual_scan_counts_without_values() -> None:
    """Kept text columns are scanned; the report has counts per kind and never a value."""
    report = audit_dump(io.BytesIO(DUMP), loads_policy(POLICY, "a.yaml"))
    notes = next(c for c in report.columns if c.column == "notes")
    assert notes.scanned == 4
    assert notes.residual == {"ssn": 1, "phone": 1, "email": 2, "date": 1, "name": 0,
                              "address": 0}
    fax = next(c for c in report.columns if c.column == "fax_number")
    assert fax.residual["phone"] == 1 and "fax" in fax.kinds
    ssn = next(c for c in report.columns if c.column == "patient_ssn")
    assert ssn.scanned == 0  # transformed columns are not scanned
    text = report.to_text() + report.to_json()
    for value in ["123-45-6789", "555-2368", "jane@mail.test", "03/04/2021", "111-22-3333"]:
        assert value not in text
    assert report.coverage()["ssn"] == ["public.visits.patient_ssn ({fake: ssn})"]
    kept = {c.column for c in report.kept_phi_like()}
    assert kept == {"notes", "fax_number"}
    assert report.findings == 4  # two PHI-like kept columns, two with residual values


def test_example_policy_covers_the_main_kinds() -> None:
    """The bundled example covers names, geography, dates, phone, email, SSN, MRN, plan ids."""
    policy = load_policy(ROOT / "examples" / "phi_fields.yaml")
    with open(ROOT / "examples" / "hospital.sql", "rb") as src:
        report = audit_dump(src, policy)
    coverage = report.coverage()
    for kind in ["names", "geography", "dates", "phone", "email", "ssn", "mrn", "health_plan"]:
        assert coverage[kind], kind
    assert report.problems == []
    assert len(SAFE_HARBOR_KINDS) == 18


def test_column_name_dictionary() -> None:
    """PHI-like names are recognised; things that are merely named are not people."""
    assert "dates" in phi_kinds_of_name("dateOfBirth")
    assert "ssn" in phi_kinds_of_name("SSN")
    assert "geography" in phi_kinds_of_name("home_zip")
    assert "vehicle" in phi_kinds_of_name("vin")
    assert "names" in phi_kinds_of_name("last_name")
    assert "names" not in phi_kinds_of_name("test_name")
    assert phi_kinds_of_name("score") == []


def test_cli_audit_json_and_strict(tmp_path: Path) -> None:
    """audit --json prints the report; --strict exits 7 on findings, 0 without."""
    dump = tmp_path / "d.sql"
    dump.write_bytes(DUMP)
    pol = tmp_path / "p.yaml"
    pol.write_text(POLICY)
    runner = CliRunner()
    result = runner.invoke(main, ["audit", "--config", str(pol), "--dump", str(dump), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["findings"] == 4 and "123-45-6789" not in result.stdout
    result = runner.invoke(main, ["audit", "--config", str(pol), "--dump", str(dump), "--strict"])
    assert result.exit_code == EXIT_CODES["findings"]
    clean = tmp_path / "clean.yaml"
    clean.write_text(
        POLICY.replace("notes: keep", "notes: null").replace("fax_number: keep", "fax_number: null")
    )
    result = runner.invoke(main, ["audit", "--config", str(clean), "--dump", str(dump), "--strict"])
    assert result.exit_code == 0, result.output


def test_audit_json_names_the_keyed_derivation(tmp_path: Path) -> None:
    """The audit's JSON names the keyed derivation, as the run report and --version do.

    Two builds that name different derivations give different fakes under one key, so an
    audit kept beside a scrub run must say which derivation the policy was audited under.
    """
    dump = tmp_path / "d.sql"
    dump.write_bytes(DUMP)
    pol = tmp_path / "p.yaml"
    pol.write_text(POLICY)
    result = CliRunner().invoke(main, ["audit", "--config", str(pol), "--dump", str(dump),
                                       "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["keyed_derivation"] == DERIVATION == "prf2/blake2s-256/hkdf-sha256"
    version = CliRunner().invoke(main, ["--version"])
    assert f"keyed derivation: {data['keyed_derivation']}" in version.output
    report = audit_dump(io.BytesIO(DUMP), loads_policy(POLICY, "a.yaml"))
    assert report.to_dict()["keyed_derivation"] == DERIVATION


def test_clinic_example_policy_covers_its_schema(pg: object) -> None:
    """The clinic example policy covers its schema (real pg_dump) and most Safe Harbor kinds."""
    from pg_fixtures import PgServer
    from scrubphi.api import check_dump

    assert isinstance(pg, PgServer)
    db = pg.create_database("clinic")
    pg.psql(db, file=ROOT / "examples" / "clinic_schema.sql")
    dump = pg.pg_dump(db, "--no-owner", "--schema-only")
    policy = load_policy(ROOT / "examples" / "clinic_policy.yaml")
    problems, _ = check_dump(io.BytesIO(dump), policy)
    assert problems == []
    report = audit_dump(io.BytesIO(dump), policy)
    covered = {kind for kind, cols in report.coverage().items() if cols}
    assert covered >= {
        "names",
        "geography",
        "dates",
        "phone",
        "fax",
        "email",
        "ssn",
        "mrn",
        "health_plan",
        "account",
        "license",
        "device",
        "url",
        "ip",
        "photo",
    }
    assert report.kept_phi_like() == []
