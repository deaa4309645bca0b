"""``scrubphi parity`` against a real server: shape compared by aggregates, never values."""

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
from scrubphi.refresh.pgtools import PgTools

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[1]
POLICY = str(ROOT / "examples" / "phi_fields.yaml")


@pytest.fixture(scope="module")
def pair(pg: PgServer) -> Iterator[tuple[str, str]]:
    """The example hospital as production, and a staging refreshed from it."""
    source = pg.create_database("psrc")
    pg.psql(source, file=ROOT / "examples" / "hospital.sql")
    staging = pg.create_database("pstg")
    refresh(
        RefreshOptions(
            source_url=pg.dsn(source),
            staging_url=pg.dsn(staging),
            configs=(POLICY,),
            keep=0,
            grace_s=0.1,
            pg_bin=pg.bin_dir,
            log=lambda _m: None,
        )
    )
    try:
        yield source, staging
    finally:
        for (name,) in pg.query(
            "postgres", "SELECT datname FROM pg_database WHERE datname LIKE %s", (staging + "\\_%",)
        ):
            pg.drop_database(str(name))


def test_scrubbed_staging_keeps_production_shape(pg: PgServer, pair: tuple[str, str]) -> None:
    """With the policy, a scrubbed staging matches: same schema, rows, nulls, distinct counts."""
    source, staging = pair
    report = parity(
        pg.dsn(source), pg.dsn(staging), policy=load_policy(POLICY), tools=PgTools(pg.bin_dir)
    )
    assert report.ok, report.to_text()
    assert report.schema_ok
    ssn = next(c for c in report.columns if c.table == "public.patients" and c.column == "ssn")
    assert ssn.source_distinct == ssn.target_distinct == 48
    assert len(report.tables) == 7


def test_mismatch_is_found_and_json_reports_it(pg: PgServer, pair: tuple[str, str]) -> None:
    """Without the policy, dropped rows and nulled columns are mismatches (exit 8, JSON)."""
    source, staging = pair
    res = CliRunner().invoke(
        parity_command,
        [
            "--source",
            pg.dsn(source),
            "--target",
            pg.dsn(staging),
            "--json",
            "--pg-bin",
            str(pg.bin_dir),
        ],
    )
    assert res.exit_code == 8, res.output
    data = json.loads(res.output)
    bad_tables = {t["table"] for t in data["tables"] if not t["ok"]}
    bad_columns = {(c["table"], c["column"]) for c in data["columns"] if not c["ok"]}
    assert bad_tables == {"public.sessions"}
    assert ("public.contacts", "phones") in bad_columns
    assert ("public.patients", "notes") in bad_columns  # one constant: distinct 33 -> 1


def test_output_holds_no_value(pg: PgServer, pair: tuple[str, str]) -> None:
    """Neither the table nor the JSON contains any value of the source's PHI columns."""
    source, staging = pair
    values = {
        str(v)
        for row in pg.query(source, "SELECT ssn, email, last_name, mrn FROM public.patients")
        for v in row
        if v is not None
    }
    for extra in ([], ["--json"]):
        res = CliRunner().invoke(
            parity_command,
            [
                "--source",
                pg.dsn(source),
                "--target",
                pg.dsn(staging),
                "-c",
                POLICY,
                "--pg-bin",
                str(pg.bin_dir),
                *extra,
            ],
        )
        assert res.exit_code == 0, res.output
        assert not [v for v in values if v in res.output]


def test_tolerance_decides(pg: PgServer, pair: tuple[str, str]) -> None:
    """A staging that lost a tenth of a column's distinct values passes at 20%, fails at 5%."""
    source, _staging = pair
    other = pg.create_database("ptol")
    try:
        pg.psql(other, "CREATE TABLE t (v int)")
        pg.psql(
            source,
            "CREATE TABLE IF NOT EXISTS t (v int); TRUNCATE t; "
            "INSERT INTO t SELECT generate_series(1, 100)",
        )
        pg.psql(
            other,
            "INSERT INTO t SELECT generate_series(1, 90) UNION ALL SELECT generate_series(1, 10)",
        )
        src_url = pg.dsn(source)
        loose = parity(src_url, pg.dsn(other), tolerance=0.2, schema=False)
        strict = parity(src_url, pg.dsn(other), tolerance=0.05, schema=False)
        col = lambda r: next(c for c in r.columns if c.table == "public.t")  # noqa: E731
        assert col(loose).ok and not col(strict).ok
        assert (col(strict).source_distinct, col(strict).target_distinct) == (100, 90)
    finally:
        pg.psql(source, "DROP TABLE IF EXISTS t")
        pg.drop_database(other)
