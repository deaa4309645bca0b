"""docs/debugging-in-production.md: every command on the page runs, and says what the page says.

Each ```sh block of the page is run with bash (``set -euo pipefail``) in a
folder that has what the page promises: the team's policy files (``flags/``,
``rollback/``, ``deploy/``, ``examples/``), ``rollouts.json`` (the state
store after the ten days of ``rollout_scenario``), ``$PROM`` (a real
Prometheus loaded with those days' metrics), and ``$PROD_URL``/``$STAGING_URL``
(two PostgreSQL databases: production played by ``examples/hospital.sql``,
staging empty until the page refreshes it).  ``scrubphi`` on ``PATH`` runs
this checkout.  The blocks run in order in one environment (a later block may
use a file an earlier one wrote).  A ```text block right after a ```sh block
is an excerpt of its output: each of its lines must appear in what the
commands printed.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import rollout_scenario as scenario
from pg_fixtures import PgServer
from prom_fixtures import prometheus_servers

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "debugging-in-production.md"
_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```\n", re.S | re.M)


def blocks() -> list[tuple[str, str, str | None, int]]:
    """(heading, script, expected output or None, line) for every ```sh block."""
    text = DOC.read_text(encoding="utf-8")
    found = list(_BLOCK.finditer(text))
    out = []
    for i, m in enumerate(found):
        if m.group(1) != "sh":
            continue
        expected = None
        if i + 1 < len(found) and found[i + 1].group(1) == "text" and \
                not text[m.end():found[i + 1].start()].strip():
            expected = found[i + 1].group(2)
        heading = [h for h in re.findall(r"^## (.+)$", text[:m.start()], re.M)][-1:] or ["top"]
        out.append((heading[0], m.group(2), expected, text[:m.start()].count("\n") + 1))
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory, pg: PgServer) -> Iterator[
        tuple[Path, dict[str, str]]]:
    work = tmp_path_factory.mktemp("debugging")
    for name in ("flags", "rollback", "deploy", "examples"):
        (work / name).symlink_to(ROOT / name)
    scenario.write_state(work / "rollouts.json", scenario.DOC_END)
    bin_dir = work / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "scrubphi"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m scrubphi "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    if pg.query("postgres", "SELECT 1 FROM pg_database WHERE datname = 'repro_4711'"):
        pg.drop_database("repro_4711")  # left by a run that was killed
    prod = pg.create_database("doc_prod")
    pg.psql(prod, file=ROOT / "examples" / "hospital.sql")
    staging = pg.create_database("doc_staging")
    with prometheus_servers(work / "prom") as start:
        prom = start(scenario.openmetrics_text(scenario.DOC_END))
        env = {
            "PATH": f"{bin_dir}:{pg.bin_dir}:/usr/bin:/bin",
            "PYTHONPATH": str(ROOT / "src"),
            "HOME": str(work),
            "PROM": prom.url,
            "PROD_URL": pg.dsn(prod),
            "STAGING_URL": pg.dsn(staging),
            **{k: v for k, v in pg.client_env().items() if k.startswith("PG")},
        }
        try:
            yield work, env
        finally:
            rows = pg.query("postgres", "SELECT datname FROM pg_database WHERE datname LIKE %s "
                            "OR datname = 'repro_4711'", (staging + "%",))
            for (name,) in rows:
                pg.drop_database(str(name))
            pg.drop_database(prod)


def test_the_page_has_a_command_for_every_pattern() -> None:
    headings = {h for h, *_ in blocks()}
    for needed in ("Why does this user get the flag", "What did the rollback rules see",
                   "What did a canary run do", "Does staging still match",
                   "Reproduce a production bug", "What never to copy"):
        assert any(h.startswith(needed) for h in headings), needed


def test_every_command_runs_and_prints_what_the_page_says(
        workdir: tuple[Path, dict[str, str]]) -> None:
    work, env = workdir
    for heading, script, expected, line in blocks():
        result = subprocess.run(["bash", "-c", "set -euo pipefail\n" + script], cwd=work,
                                env=env, capture_output=True, text=True, timeout=300,
                                check=False)
        where = f"{DOC.name}:{line} ({heading})"
        assert result.returncode == 0, f"{where}: exit {result.returncode}\n" \
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        if expected is not None:
            printed = " ".join(result.stdout.split())
            for want in expected.splitlines():
                want = " ".join(want.split())
                if want and want != "...":
                    assert want in printed, f"{where}: {want!r} not in:\n{result.stdout[-4000:]}"
    assert os.path.exists(work / "rollout.html") and os.path.exists(work / "canary-run.html")
