"""``scrubphi audit`` finds kept PHI by name, by date type and by names in values.

Date shifts are reported as not Safe Harbor, and ``audit.reviewed`` in the
policy lets ``--strict`` pass once a person has looked at every finding.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from scrubphi.audit import audit_dump
from scrubphi.cli import EXIT_CODES, main
from scrubphi.errors import PolicyError
from scrubphi.policy import load_policy, loads_policy

# Every column that the issue found kept without a finding, plus two start
# dates whose names say nothing (only their types do).
PERSON_COLUMNS = {
    "first": "text", "last": "text", "maiden": "text", "drivers": "text",
    "passport": "text", "birthplace": "text", "deathdate": "text", "memberid": "text",
    "began": "date", "enrolled": "timestamp with time zone",
}
VALUES = {"text": "X1", "date": "2020-01-02", "timestamp with time zone": "2020-01-02 03:04:05+00"}


def _person_dump() -> bytes:
    cols = ",\n".join(f"    {name} {kind}" for name, kind in PERSON_COLUMNS.items())
    row = "\t".join(["1", *(VALUES[k] for k in PERSON_COLUMNS.values())])
    names = ", ".join(["id", *PERSON_COLUMNS])
    return (f"CREATE TABLE public.person (\n    id integer NOT NULL,\n{cols}\n);\n\n"
            f"COPY public.person ({names}) FROM stdin;\n{row}\n\\.\n\n"
            "--\n-- PostgreSQL database dump complete\n--\n").encode()


def _person_policy(kept: str | None) -> str:
    lines = ["version: 1", "scrub:", "  tables:", "    public.person:", "      columns:",
             "        id: keep"]
    for name, kind in PERSON_COLUMNS.items():
        rule = "keep" if name == kept else ("null" if kind == "text" else "{date: year}")
        lines.append(f"        {name}: {rule}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("kept", list(PERSON_COLUMNS))
def test_each_kept_person_column_is_a_finding(kept: str) -> None:
    """Keeping any one of these columns adds exactly one finding, naming that column."""
    base = audit_dump(io.BytesIO(_person_dump()), loads_policy(_person_policy(None)))
    assert base.findings == 0, base.to_text()
    report = audit_dump(io.BytesIO(_person_dump()), loads_policy(_person_policy(kept)))
    assert report.findings == 1, report.to_text()
    assert [c.column for c in report.kept_phi_like()] == [kept]
    if PERSON_COLUMNS[kept] != "text":
        assert "dates (by type)" in report.to_text()
        assert report.to_dict()["columns"][list(PERSON_COLUMNS).index(kept) + 1][
            "date_by_type"] is True


NAMES_DUMP = b"""CREATE TABLE public.referrals (
    id integer NOT NULL,
    referred_by text,
    status text,
    state text,
    result text
);

COPY public.referrals (id, referred_by, status, state, result) FROM stdin;
1\tMaria Gonzalez\tScheduled\tGeorgia\t4.6 mIU/L
2\tDr. Okafor\tConfirmed\tVirginia\t0.7 mIU/L
3\t\\N\tCancelled\tTexas\tNegative
4\tJohn Whitaker\tScheduled\tNorth Carolina\tTrace
\\.

--
-- PostgreSQL database dump complete
--
"""

NAMES_POLICY = """version: 1
scrub:
  tables:
    public.referrals: keep
"""


def test_kept_text_columns_are_scanned_for_names() -> None:
    """Names in a kept column with an innocent name count; states, units and statuses do not."""
    report = audit_dump(io.BytesIO(NAMES_DUMP), loads_policy(NAMES_POLICY))
    by_name = {c.column: c for c in report.columns}
    assert by_name["referred_by"].residual["name"] == 3
    assert by_name["referred_by"].scanned == 3
    for column in ("status", "state", "result"):
        assert by_name[column].residual["name"] == 0, column
    assert [c.column for c in report.residual_findings()] == ["referred_by"]
    text = report.to_text() + report.to_json()
    assert "referred_by: name 3 of 3 values" in text
    for value in ("Maria", "Gonzalez", "Okafor", "Whitaker", "Georgia"):
        assert value not in text


SHIFT_DUMP = b"""CREATE TABLE public.patients (
    id integer NOT NULL,
    dob date,
    seen_at timestamp without time zone
);

COPY public.patients (id, dob, seen_at) FROM stdin;
1\t1980-05-06\t2024-01-02 03:04:05
\\.

--
-- PostgreSQL database dump complete
--
"""


def _shift_policy(dob: str, extra: str = "") -> str:
    return f"""version: 1
scrub:
  tables:
    public.patients:
      columns:
        id: keep
        dob: {dob}
        seen_at: {{date: shift, days: 30, per: id}}
{extra}"""


def test_date_shift_is_not_safe_harbor() -> None:
    """Shifted dates cover no Safe Harbor kind and are findings; year-only dates cover (C)."""
    shifted = audit_dump(io.BytesIO(SHIFT_DUMP),
                         loads_policy(_shift_policy("{date: shift, days: 30, per: id}")))
    assert shifted.coverage()["dates"] == []
    assert [c.column for c in shifted.shifted_dates()] == ["dob", "seen_at"]
    assert shifted.findings == 2
    data = shifted.to_dict()
    assert data["safe_harbor"]["dates"]["covered_by"] == []
    assert data["date_shifted_not_safe_harbor"] == ["public.patients.dob",
                                                    "public.patients.seen_at"]
    assert "not Safe Harbor" in shifted.to_text()
    year = audit_dump(io.BytesIO(SHIFT_DUMP), loads_policy(_shift_policy("{date: year}")))
    assert year.coverage()["dates"] == ["public.patients.dob ({date: year})"]
    assert year.findings == 1


REVIEWED = """audit:
  reviewed:
    - column: public.patients.seen_at
      reason: visit times are shifted per patient under our Expert Determination (ED-2024-07)
"""


def test_reviewed_findings_pass_strict_and_are_reported(tmp_path: Path) -> None:
    """--strict exits 7 on a finding, 0 once it is reviewed; the reason is in text and JSON."""
    dump = tmp_path / "d.sql"
    dump.write_bytes(SHIFT_DUMP)
    pol = tmp_path / "p.yaml"
    pol.write_text(_shift_policy("{date: year}"))
    runner = CliRunner()
    result = runner.invoke(main, ["audit", "-c", str(pol), "--dump", str(dump), "--strict"])
    assert result.exit_code == EXIT_CODES["findings"], result.output
    pol.write_text(_shift_policy("{date: year}", REVIEWED))
    result = runner.invoke(main, ["audit", "-c", str(pol), "--dump", str(dump), "--strict"])
    assert result.exit_code == 0, result.output
    assert "Reviewed (audit.reviewed in the policy; not counted): 1" in result.output
    assert "public.patients.seen_at: date shift (not Safe Harbor)" in result.output
    assert "reason: visit times are shifted per patient" in result.output
    result = runner.invoke(main, ["audit", "-c", str(pol), "--dump", str(dump), "--json"])
    data = json.loads(result.stdout)
    assert data["findings"] == 0
    assert data["reviewed"] == [{
        "target": "public.patients.seen_at",
        "reason": "visit times are shifted per patient under our Expert Determination "
                  "(ED-2024-07)",
        "found": ["date shift (not Safe Harbor)"]}]


def test_a_reviewed_entry_that_matches_nothing_is_a_finding(tmp_path: Path) -> None:
    """A typo in audit.reviewed would hide nothing it meant to: it counts, with its place."""
    pol = tmp_path / "p.yaml"
    pol.write_text(_shift_policy("{date: year}", REVIEWED.replace("seen_at", "seen_on")))
    report = audit_dump(io.BytesIO(SHIFT_DUMP), load_policy(pol))
    assert report.findings == 2  # seen_at shifted, and the entry naming no column
    assert [r.target for r in report.stale_reviews] == ["public.patients.seen_on"]
    assert f"public.patients.seen_on ({pol}:11:7)" in report.to_text()


@pytest.mark.parametrize(("section", "message", "where"), [
    ("audit:\n  reviewed:\n    - {column: public.t.c}\n", "reason is required", "p.yaml:4:7"),
    ("audit:\n  reviewed:\n    - {column: public.t.c, reason: '  '}\n", "reason is required",
     "p.yaml:4:"),
    ("audit:\n  reviewed:\n    - {column: c, reason: why}\n", "is not schema.table.column",
     "p.yaml:4:"),
    ("audit:\n  reviewd: []\n", "unknown key reviewd", "p.yaml:3:3"),
    ("audit:\n  reviewed:\n    - {column: t.c, object: x, reason: why}\n", "exactly one of",
     "p.yaml:4:7"),
    ("audit:\n  reviewed:\n    - {column: t.c, reason: a}\n    - {column: public.t.c, "
     "reason: b}\n", "reviewed twice", "p.yaml:5:7"),
    ("audit:\n  reviewed: public.t.c\n", "is a list of", "p.yaml:3:3"),
])
def test_reviewed_section_errors(section: str, message: str, where: str) -> None:
    """A bad audit.reviewed entry is a PolicyError at file:line:column when the policy loads."""
    with pytest.raises(PolicyError) as info:
        loads_policy("version: 1\n" + section, "p.yaml")
    text = str(info.value)
    assert message in text and text.startswith(where), text


def test_reviewed_columns_quoted_and_merged(tmp_path: Path) -> None:
    """Quoted names work, and the audit section may live in its own file of a policy folder."""
    (tmp_path / "a.yaml").write_text(_shift_policy("{date: year}"))
    (tmp_path / "b.yaml").write_text("version: 1\naudit:\n  reviewed:\n"
                                     "    - {column: 'public.patients.\"seen_at\"', reason: ok}\n")
    policy = load_policy(tmp_path)
    assert [(r.kind, r.target) for r in policy.reviewed] == [
        ("column", "public.patients.seen_at")]
    report = audit_dump(io.BytesIO(SHIFT_DUMP), policy)
    assert report.findings == 0 and report.reviewed()[0][1] == "ok"
