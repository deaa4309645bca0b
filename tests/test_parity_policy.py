"""Parity that knows the policy, on a realistic volume: per-patient shifts, non-unique fakes.

A clinic's database at a realistic scale: 4,000 patients, 40,000 encounters
whose 4,330 admission times a per-patient shift spreads over tens of
thousands, and 703 last names that a non-unique fake folds into fewer. A
correct refresh passes parity (the loose comparison without the policy
fails it, which is what issue 15 reported); each way of breaking a refresh
fails it, at the column and property that broke.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pg_fixtures import PgServer
from scrubphi.cli.refresh import parity_command
from scrubphi.policy import load_policy
from scrubphi.refresh import RefreshOptions, parity, refresh
from scrubphi.refresh.parity import ParityReport
from scrubphi.refresh.pgtools import PgTools

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[1]

CLINIC = """
CREATE TABLE public.patients (
    id integer PRIMARY KEY,
    first_name text NOT NULL,
    last_name text NOT NULL,
    member_id text,
    dob date,
    city text,
    created_at timestamptz NOT NULL
);
INSERT INTO public.patients
SELECT g, 'First' || (g * 7 % 211), 'Last' || (g * 13 % 703),
       CASE WHEN g % 9 = 0 THEN NULL ELSE lpad((g * 7919 % 1000003)::text, 8, '0') END,
       date '1940-01-01' + (g * 37 % 25000), 'City' || (g % 97),
       timestamptz '2020-03-01 00:00:00+00' + g * interval '97 minutes'
FROM generate_series(1, 4000) AS g;
CREATE TABLE public.encounters (
    id integer PRIMARY KEY,
    patient_id integer NOT NULL REFERENCES public.patients,
    admitted_at timestamp NOT NULL,
    discharged_on date,
    diagnosis_code text NOT NULL,
    attending text
);
INSERT INTO public.encounters
SELECT g, 1 + (g * 7919 % 4000),
       timestamp '2023-01-01 08:00'
           + (g::bigint * 104729 % 4330)::int * interval '2 hours 7 minutes',
       CASE WHEN g % 7 = 0 THEN NULL
            ELSE date '2023-01-01' + (g::bigint * 104729 % 4330)::int / 12 + g % 5 END,
       (ARRAY['I10', 'E11.9', 'J45', 'M54.5', 'R07.9'])[1 + g % 5],
       (ARRAY['Maria Lopez', 'John Smith', 'Wei Chen', 'Aisha Khan', 'Peter Brown',
              'Olga Ivanova', 'Sam Taylor', 'Nina Patel'])[1 + g % 8]
FROM generate_series(1, 40000) AS g;
CREATE TABLE public.audit_log (id integer, at timestamptz);
INSERT INTO public.audit_log SELECT g, now() FROM generate_series(1, 50) AS g;
ANALYZE;
"""

POLICY = """version: 1
scrub:
  key: file:{key}
  tables:
    public.audit_log: drop
    public.patients:
      columns:
        id: keep
        first_name: {{fake: first_name}}
        last_name: {{fake: last_name}}
        member_id: {{tokenize: digits}}
        dob: {{date: shift, days: 30, per: id}}
        city: {{fake: city}}
        created_at: keep
    public.encounters:
      columns:
        id: keep
        patient_id: keep
        admitted_at: {{date: shift, days: 180, per: patient_id}}
        discharged_on: {{date: shift, days: 180, per: patient_id}}
        diagnosis_code: keep
        attending: {{fake: name}}
"""


class Clinic:
    def __init__(self, pg: PgServer, source: str, staging: str, policy: Path) -> None:
        self.pg, self.source, self.staging, self.policy = pg, source, staging, policy

    def parity(self, target: str | None = None, **kw: object) -> ParityReport:
        return parity(
            self.pg.dsn(self.source),
            self.pg.dsn(target or self.staging),
            policy=load_policy(str(self.policy)),
            tools=PgTools(self.pg.bin_dir),
            **kw,  # type: ignore[arg-type]
        )


@pytest.fixture(scope="module")
def clinic(pg: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clinic]:
    policy = tmp_path_factory.mktemp("parity") / "clinic.yaml"
    policy.write_text(POLICY.format(key=ROOT / "examples" / "example.key"), encoding="utf-8")
    source = pg.create_database("ppol_src")
    staging = pg.create_database("ppol_stg")
    pg.psql(source, CLINIC)
    result = refresh(
        RefreshOptions(
            source_url=pg.dsn(source),
            staging_url=pg.dsn(staging),
            configs=(str(policy),),
            keep=0,
            grace_s=0.1,
            pg_bin=pg.bin_dir,
            log=lambda _m: None,
        )
    )
    assert result.ok
    try:
        yield Clinic(pg, source, staging, policy)
    finally:
        for (name,) in pg.query(
            "postgres", "SELECT datname FROM pg_database WHERE datname LIKE %s", (staging + "\\_%",)
        ):
            pg.drop_database(str(name))
        pg.drop_database(staging)
        pg.drop_database(source)


def _column(report: ParityReport, table: str, column: str) -> dict[str, object]:
    col = next(c for c in report.columns if c.table == table and c.column == column)
    return col.to_dict()


def _failures(report: ParityReport) -> set[tuple[str, str, str]]:
    """(table, column, property) of every comparison that failed; rows as column '*'."""
    out = {(t.table, "*", "rows") for t in report.tables if not t.ok}
    for c in report.columns:
        for comp in c.compared:
            if not comp.ok:
                out.add((c.table, c.column, comp.property))
    return out


def test_correct_refresh_passes_and_says_what_it_compared(clinic: Clinic) -> None:
    """The shifts and fakes change distinct counts by design; parity passes, exactly."""
    report = clinic.parity()
    assert report.ok, report.to_text()
    assert report.tolerance == 0
    admitted = _column(report, "public.encounters", "admitted_at")
    # The volumes of issue 15: thousands of admission times spread far wider.
    assert admitted["source_distinct"] == 4330
    assert int(admitted["target_distinct"]) > 4 * 4330  # type: ignore[call-overload]
    assert {c["property"] for c in admitted["compared"]} == {  # type: ignore[attr-defined]
        "non_null",
        "pairs(patient_id)",
        "intervals(patient_id)",
    }
    assert "distinct" in admitted["not_compared"]  # type: ignore[operator]
    last = _column(report, "public.patients", "last_name")
    assert last["source_distinct"] == 703
    assert int(last["target_distinct"]) < 703  # type: ignore[call-overload]
    assert [(c["property"], c["expect"]) for c in last["compared"]] == [  # type: ignore[attr-defined]
        ("non_null", "equal"),
        ("distinct", "at_most"),
    ]
    member = _column(report, "public.patients", "member_id")
    assert [(c["property"], c["expect"]) for c in member["compared"]] == [  # type: ignore[attr-defined]
        ("non_null", "equal"),
        ("distinct", "equal"),
    ]
    kept = _column(report, "public.encounters", "diagnosis_code")
    assert {c["property"] for c in kept["compared"]} == {  # type: ignore[attr-defined]
        "non_null",
        "distinct",
        "content",
    }
    dropped = next(t for t in report.tables if t.table == "public.audit_log")
    assert dropped.ok and dropped.target_rows == 0
    text = report.to_text()
    assert "pairs(patient_id)=" in text and "distinct<=" in text and "content=" in text


def test_loose_comparison_without_the_policy_fails_the_same_refresh(clinic: Clinic) -> None:
    """What issue 15 saw: distinct counts at 5% fail every correct refresh without the policy."""
    report = parity(
        clinic.pg.dsn(clinic.source),
        clinic.pg.dsn(clinic.staging),
        tools=PgTools(clinic.pg.bin_dir),
        schema=False,
    )
    assert report.tolerance == 0.05
    failed = {(t, c) for t, c, _ in _failures(report)}
    assert ("public.encounters", "admitted_at") in failed
    assert ("public.patients", "last_name") in failed


BREAKAGES = {
    "kept column changed": (
        "UPDATE public.encounters SET diagnosis_code = 'J45' WHERE id = 1",
        {("public.encounters", "diagnosis_code", "content")},
    ),
    "row lost": (
        "DELETE FROM public.encounters WHERE id = 2",
        {("public.encounters", "*", "rows")},
    ),
    "dates shifted per row, not per patient": (
        "UPDATE public.encounters SET admitted_at = admitted_at + (id % 3) * interval '1 day'",
        {("public.encounters", "admitted_at", "intervals(patient_id)")},
    ),
    "one-to-one tokenize collapsed": (
        "UPDATE public.patients SET member_id = '00000000' WHERE id % 2 = 0 "
        "AND member_id IS NOT NULL",
        {("public.patients", "member_id", "distinct")},
    ),
    "fake that is not a function of the value": (
        "UPDATE public.patients SET last_name = 'Fake' || id",
        {("public.patients", "last_name", "distinct")},
    ),
    "NULLs introduced in a transformed column": (
        "UPDATE public.encounters SET attending = NULL WHERE id % 10 = 0",
        {("public.encounters", "attending", "non_null")},
    ),
    "dropped table not emptied": (
        "INSERT INTO public.audit_log VALUES (1, now())",
        {("public.audit_log", "*", "rows")},
    ),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_broken_refresh_fails_at_the_broken_property(
    clinic: Clinic, pg: PgServer, breakage: str
) -> None:
    """A copy of the good staging, broken one way: parity fails there and nowhere else."""
    statement, expected = BREAKAGES[breakage]
    copy = pg.create_database("ppol_broken")
    try:
        pg.query("postgres", f'DROP DATABASE "{copy}"')
        pg.query("postgres", f'CREATE DATABASE "{copy}" TEMPLATE "{clinic.staging}"')
        pg.psql(copy, statement)
        report = clinic.parity(copy, schema=False)
    finally:
        pg.drop_database(copy)
    assert not report.ok
    failures = _failures(report)
    # The broken property fails, and nothing outside the broken table (a lost row
    # also changes the table's column counts: those fail with it).
    assert expected <= failures
    assert {t for t, _, _ in failures} == {t for t, _, _ in expected}


def test_cli_json_says_per_column_what_it_compared_and_no_value(clinic: Clinic) -> None:
    """``parity -c --json``: exit 0, per column compared / not_compared, no source value."""
    pg = clinic.pg
    res = CliRunner().invoke(
        parity_command,
        [
            "--source",
            pg.dsn(clinic.source),
            "--target",
            pg.dsn(clinic.staging),
            "-c",
            str(clinic.policy),
            "--pg-bin",
            str(pg.bin_dir),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["ok"] and data["policy"] and data["tolerance"] == 0, data["tolerance"]
    for col in data["columns"]:
        assert col["compared"], col["column"]
        assert all(c["ok"] for c in col["compared"])
    values = {
        str(v)
        for row in pg.query(
            clinic.source, "SELECT last_name, member_id FROM public.patients WHERE id <= 300"
        )
        for v in row
        if v is not None
    }
    assert not [v for v in values if v in res.output]


def test_tolerance_allows_a_changed_source_and_skips_contents(
    clinic: Clinic, pg: PgServer
) -> None:
    """--tolerance: a few rows more in production still pass; kept contents are not compared."""
    copy = pg.create_database("ppol_drift")
    try:
        pg.query("postgres", f'DROP DATABASE "{copy}"')
        pg.query("postgres", f'CREATE DATABASE "{copy}" TEMPLATE "{clinic.source}"')
        pg.psql(
            copy,
            "INSERT INTO public.encounters SELECT 40000 + g, g, timestamp '2024-06-01', NULL, "
            "'I10', 'Wei Chen' FROM generate_series(1, 20) AS g",
        )
        exact = parity(
            pg.dsn(copy),
            pg.dsn(clinic.staging),
            policy=load_policy(str(clinic.policy)),
            tools=PgTools(pg.bin_dir),
            schema=False,
        )
        loose = parity(
            pg.dsn(copy),
            pg.dsn(clinic.staging),
            policy=load_policy(str(clinic.policy)),
            tools=PgTools(pg.bin_dir),
            schema=False,
            tolerance=0.01,
        )
    finally:
        pg.drop_database(copy)
    assert ("public.encounters", "*", "rows") in _failures(exact)
    assert loose.ok, loose.to_text()
    kept = _column(loose, "public.encounters", "diagnosis_code")
    assert "content" in kept["not_compared"]  # type: ignore[operator]


def test_servers_in_other_time_zones_compare_kept_values_equal(
    clinic: Clinic, pg: PgServer
) -> None:
    """A staging whose TimeZone differs prints kept timestamptz values differently: still equal."""
    copy = pg.create_database("ppol_tz")
    try:
        pg.query("postgres", f'DROP DATABASE "{copy}"')
        pg.query("postgres", f'CREATE DATABASE "{copy}" TEMPLATE "{clinic.staging}"')
        pg.query("postgres", f"ALTER DATABASE \"{copy}\" SET TimeZone = 'Pacific/Auckland'")
        report = clinic.parity(copy, schema=False)
    finally:
        pg.drop_database(copy)
    assert report.ok, report.to_text()
    created = _column(report, "public.patients", "created_at")
    assert ("content", "equal", True) in [
        (c["property"], c["expect"], c["ok"]) for c in created["compared"]  # type: ignore[attr-defined]
    ]


RULES_POLICY = """version: 1
scrub:
  key: env:SCRUBPHI_KEY
  tables:
    public.t:
      columns:
        gender: keep
        patient_id: keep
        amount: {generalize: {noise: 5}, per: patient_id}
        rounded: {generalize: {round: 10}}
        uid: {tokenize: oid}
        mrn: {tokenize: alnum}
        first:
          when: [{if: {gender: F}, then: {fake: first_name_female}}]
          else: {fake: first_name}
        answer: {when: [{if: {gender: F}, then: null}], else: keep}
        birthplace: {split: "  ", parts: [{fake: city}, keep, keep], other: {redact: text}}
        country: {split: "  ", parts: [keep, keep], other: null}
        note: {redact: text}
"""


def test_rules_for_branching_split_and_per_transforms(tmp_path: Path) -> None:
    """What parity expects of when, split, per-noise and partial tokenize: never more
    than the transform keeps (a wrong expectation would fail every correct refresh)."""
    from scrubphi.refresh.parity_rules import column_rule

    path = tmp_path / "rules.yaml"
    path.write_text(RULES_POLICY, encoding="utf-8")
    scrub = load_policy(str(path)).scrub
    assert scrub is not None
    specs = dict(next(iter(scrub.tables.values())).columns)
    got = {
        name: (rule.non_null, rule.distinct)
        for name, spec in specs.items()
        for rule in [column_rule(spec, None, 100, specs, {}, {})]
    }
    assert got == {
        "gender": ("equal", "equal"),
        "patient_id": ("equal", "equal"),
        "amount": ("equal", None),  # noise per patient: equal values may part
        "rounded": ("equal", "at_most"),
        "uid": ("equal", "at_most"),  # oid keeps arcs: not a permutation of the whole
        "mrn": ("equal", "equal"),
        "first": ("equal", None),  # the branch depends on another column
        "answer": (None, None),  # a branch nulls values
        "birthplace": ("equal", None),  # its other part is redacted text
        "country": (None, "at_most"),  # other: null may null a value
        "note": ("equal", None),
    }
