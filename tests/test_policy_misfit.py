"""A transform that cannot work on its column is a policy error (exit 3), not a coverage gap (5).

Issue 16, item 7: ``{hash: {alphabet: hex}}`` on an integer column exited 5
"coverage failure". It is found against the dump's schema, before any data
row is written, and now exits 3 in ``scrubphi`` and ``scrubphi check``; a
column the policy does not name is still a coverage failure (5).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pg_fixtures import PgServer

pytestmark = pytest.mark.postgres

POLICY = """
version: 1
scrub:
  key: env:SCRUBPHI_KEY
  tables:
    public.visits:
      columns:
        id: {ID}
        patient: {fake: name}
        seen: {SEEN}
"""


def _run(args: list[str], stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    env_key = "misfit-test-key-0123456789abcdef0123"
    import os

    return subprocess.run([sys.executable, "-m", "scrubphi", *args], input=stdin,
                          capture_output=True, env={**os.environ, "SCRUBPHI_KEY": env_key})


@pytest.mark.parametrize(
    ("id_spec", "seen_spec", "code", "words"),
    [
        ("{hash: {alphabet: hex}}", "keep", 3, "cannot write an integer column"),
        ("keep", "null", 3, "null is refused for a NOT NULL column"),
        ("{tokenize: gs1}", "keep", 3, "structured identifiers are text"),
        ("keep", "{generalize: {round: 1}}", 3, "generalize cannot write a date column"),
        ("{hash: {alphabet: hex}}", "", 3, "not in the policy"),
        ("keep", "", 5, "not in the policy"),
    ],
)
def test_exit_codes(pg: PgServer, tmp_path: Path, id_spec: str, seen_spec: str, code: int,
                    words: str) -> None:
    db = pg.create_database("misfit")
    try:
        pg.psql(db, "CREATE TABLE public.visits (id integer PRIMARY KEY, patient text, "
                    "seen date NOT NULL); INSERT INTO public.visits VALUES (1, 'Ann Lee', "
                    "'2020-01-02');")
        dump = pg.pg_dump(db, "--no-owner")
    finally:
        pg.drop_database(db)
    text = POLICY.replace("{ID}", id_spec)
    text = text.replace("{SEEN}", seen_spec) if seen_spec else text.replace(
        "        seen: {SEEN}\n", "")
    policy = tmp_path / "p.yaml"
    policy.write_text(text)
    scrub = _run(["--config", str(policy)], dump)
    assert scrub.returncode == code, scrub.stderr
    assert words in scrub.stderr.decode()
    assert b"Ann Lee" not in scrub.stdout + scrub.stderr
    assert b"COPY public.visits" not in scrub.stdout  # no data row was written
    dump_file = tmp_path / "d.sql"
    dump_file.write_bytes(dump)
    check = _run(["check", "-c", str(policy), "--dump", str(dump_file)], b"")
    assert check.returncode == code, check.stderr
    assert words in check.stderr.decode()
