"""Make the screenshots in docs/dashboards.md from real runs: docs/img/*.png.

* ``canary-report.png``: ``scrubphi canary report --html`` of
  ``examples/runs/canary-slow-v2.jsonl``, a real run (nginx, the example
  backends on loopback, a v2 made slow at 50% with SIGUSR1);
* ``rollout-history.png``: ``scrubphi flags history --html`` of the ten-day
  story of ``tests/rollout_scenario.py``, replayed against a real Prometheus
  loaded with its metrics.

Needs Debian's chromium, prometheus and promtool.  Run from the repository:
``PYTHONPATH=src python scripts/report_screenshots.py``.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import rollout_scenario as scenario  # noqa: E402
from prom_fixtures import prometheus_servers  # noqa: E402

IMG = ROOT / "docs" / "img"


def _scrubphi(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "scrubphi", *args], check=True, cwd=ROOT,
                   env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})


def _shot(page: Path, png: Path, height: int) -> None:
    subprocess.run(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
                    f"--window-size=1280,{height}", f"--screenshot={png}", page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    print(f"wrote {png}")


def main() -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        canary = work / "canary.html"
        _scrubphi("canary", "report", "examples/runs/canary-slow-v2.jsonl",
                  "--html", "-o", str(canary))
        _shot(canary, IMG / "canary-report.png", 1100)
        state = work / "rollouts.json"
        scenario.write_state(state, scenario.DOC_END)
        until = dt.datetime.fromtimestamp(scenario.DOC_END, dt.UTC).isoformat()
        with prometheus_servers(work / "prom") as start:
            prom = start(scenario.openmetrics_text(scenario.DOC_END))
            history = work / "history.html"
            _scrubphi("flags", "history", scenario.PLAN, "-c", "flags", "-c", "rollback",
                      "--state", f"file:{state}", "--source",
                      f"prometheus={prom.url}", "--until", until, "--every", "3h", "--html",
                      "-o", str(history))
        _shot(history, IMG / "rollout-history.png", 1450)


if __name__ == "__main__":
    main()
