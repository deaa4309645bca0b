"""`scrubphi rollback-check` and `scrubphi gate` against a real Prometheus, via CliRunner.

The data is the team's traffic as counters and a latency histogram, so the
PromQL in rollback/rules.yaml itself is what Prometheus evaluates.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from prom_fixtures import openmetrics
from scrubphi.cli.deploy import gate, rollback_check
from scrubphi.flags.state import FileStateStore

ROOT = Path(__file__).resolve().parents[1]
RULES = str(ROOT / "rollback" / "rules.yaml")
FLAGS = str(ROOT / "flags" / "flags.yaml")
STEP = 15.0
T0 = math.floor((time.time() - 3 * 3600) / STEP) * STEP
MINUTES = 60


def _at(minute: float) -> str:
    return dt.datetime.fromtimestamp(T0 + minute * 60, dt.UTC).isoformat()


def _traffic() -> str:
    """60 minutes: 5xx spike 10-20m, slow 25-40m, health failures 45-50m."""
    series: dict[str, list[tuple[float, float]]] = {}
    counters = {k: 0.0 for k in ("ok", "err", "fast", "slow", "hok", "hfail")}
    for i in range(MINUTES * 4 + 1):
        t = T0 + i * STEP
        minute = i / 4
        counters["ok"] += 100
        counters["err"] += 5 if 10 <= minute < 20 else 0
        slow = 25 <= minute < 40
        counters["fast"] += 0 if slow else 100
        counters["slow"] += 100 if slow else 0
        failing = 45 <= minute < 50
        counters["hok"] += 1 if failing else 4
        counters["hfail"] += 3 if failing else 0
        fast, total = counters["fast"], counters["fast"] + counters["slow"]
        for key, value in {
            'http_requests_total{code="200"}': counters["ok"],
            'http_requests_total{code="500"}': counters["err"],
            'http_request_duration_seconds_bucket{le="0.1"}': fast,
            'http_request_duration_seconds_bucket{le="1.0"}': fast,
            'http_request_duration_seconds_bucket{le="5.0"}': total,
            'http_request_duration_seconds_bucket{le="+Inf"}': total,
            "http_request_duration_seconds_count": total,
            "http_request_duration_seconds_sum": fast * 0.05 + counters["slow"] * 3,
            'health_checks_total{result="ok"}': counters["hok"],
            'health_checks_total{result="fail"}': counters["hfail"],
        }.items():
            series.setdefault(key, []).append((t, value))
    return openmetrics(series, {"http_requests": "counter",
                                "http_request_duration_seconds": "histogram",
                                "health_checks": "counter"})


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


CHECK_TABLE = [
    # (id, minute, exit code, action, deciding rule)
    ("quiet", 8, 0, "ok", None),
    ("5xx-spike-5min", 15, 11, "rollback", "error-spike"),
    ("slow-2min-alerts", 28, 10, "alert", "slow"),
    ("slow-10min-rolls-back", 35, 11, "rollback", "slow"),
    ("health-failing-3min", 48, 12, "rollback_now", "health"),
]


def test_rollback_check_exit_codes(prometheus_server, runner: CliRunner) -> None:  # type: ignore[no-untyped-def]
    """Each scenario exits with its documented code and names the rule that decided."""
    server = prometheus_server(_traffic())
    for name, minute, code, action, rule in CHECK_TABLE:
        result = runner.invoke(rollback_check, [
            "--policy", RULES, "--source", f"prometheus={server.url}", "--now", _at(minute),
            "--json"])
        assert result.exit_code == code, (name, result.output)
        data = json.loads(result.output)
        assert data["action"] == action, name
        if rule:
            assert next(r for r in data["rules"] if r["name"] == rule)["action"] == action
    text = runner.invoke(rollback_check, [
        "--policy", RULES, "--source", f"prometheus={server.url}", "--now", _at(15)]).output
    assert "error-spike: firing -> rollback" in text
    assert "http_5xx_ratio above 1% (strictly greater)" in text


def test_quiet_leaves_the_decision_to_the_exit_code(prometheus_server, runner: CliRunner  # type: ignore[no-untyped-def]
                                                    ) -> None:
    """-q (after the command) prints no explanation; the exit code still decides."""
    server = prometheus_server(_traffic())
    for minute, code in ((8, 0), (15, 11)):
        args = ["--config", RULES, "--source", f"prometheus={server.url}", "--now", _at(minute)]
        loud = runner.invoke(rollback_check, args)
        quiet = runner.invoke(rollback_check, [*args, "-q"])
        assert (loud.exit_code, quiet.exit_code) == (code, code)
        assert loud.output.strip() and quiet.output == ""


def test_rollback_check_provider_down_is_inconclusive(runner: CliRunner) -> None:
    """With Prometheus unreachable the check exits 10 (inconclusive), never 0."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = runner.invoke(rollback_check, [
        "--policy", RULES, "--source", f"prometheus=http://127.0.0.1:{port}", "--now", _at(8)])
    assert result.exit_code == 10
    assert "inconclusive" in result.output and "cannot reach" in result.output


def test_rollback_check_policy_error(tmp_path: Path, runner: CliRunner) -> None:
    """A broken policy exits 3 with file:line:column."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nrollback:\n  rules:\n    - {name: r, metric: m, above: 1%,"
                   " for: 2m, action: revert}\n")
    result = runner.invoke(rollback_check, ["--policy", str(bad), "--source",
                                            "prometheus=http://127.0.0.1:9"])
    assert result.exit_code == 3
    assert "bad.yaml:4:" in result.output and "action must be one of" in result.output


def _cohorts(on_errors: float, off_errors: float) -> str:
    """Two hours of the five-percent phase: 2000 flag-on requests, 20000 flag-off."""
    series: dict[str, list[tuple[float, float]]] = {}
    n = 2 * 60 * 4
    for i in range(n + 1):
        t = T0 + i * STEP
        for cohort, total, errors in (("on", 2000, on_errors), ("off", 20000, off_errors)):
            ok = total * (1 - errors) * i / n
            bad = total * errors * i / n
            series.setdefault(
                f'http_requests_total{{flag_new_scheduling="{cohort}",code="200"}}', []
            ).append((t, ok))
            series.setdefault(
                f'http_requests_total{{flag_new_scheduling="{cohort}",code="500"}}', []
            ).append((t, bad))
    return openmetrics(series, {"http_requests": "counter"})


GATE_TABLE = [
    # (id, on error ratio, off error ratio, minutes after phase start, code, action)
    ("healthy-after-3d", 0.0005, 0.0004, 3 * 24 * 60 + 120, 0, "promote"),
    ("healthy-too-soon", 0.0005, 0.0004, 120, 10, "hold"),
    ("flag-breaks-it", 0.01, 0.0004, 120, 11, "rollback"),
    ("both-bad-not-the-flag", 0.01, 0.02, 3 * 24 * 60 + 120, 10, "hold"),
]


@pytest.mark.parametrize(("on", "off", "age", "code", "action"),
                         [row[1:] for row in GATE_TABLE], ids=[row[0] for row in GATE_TABLE])
def test_gate_against_prometheus(prometheus_server, runner: CliRunner, tmp_path: Path,  # type: ignore[no-untyped-def]
                                 on: float, off: float, age: int, code: int,
                                 action: str) -> None:
    """The gate compares the cohorts from real PromQL and exits 0/10/11; --apply moves state."""
    server = prometheus_server(_cohorts(on, off))
    end = T0 + 2 * 3600
    started = dt.datetime.fromtimestamp(end - age * 60, dt.UTC).isoformat()
    result = runner.invoke(gate, [
        "--policy", FLAGS, "--policy", RULES, "--plan", "staged-release",
        "--source", f"prometheus={server.url}", "--phase", "five", "--started-at", started,
        "--now", dt.datetime.fromtimestamp(end, dt.UTC).isoformat(), "--json"])
    assert result.exit_code == code, result.output
    data = json.loads(result.output)
    assert data["action"] == action
    check = next(c for c in data["checks"] if c["name"] == "error_rate below")
    assert check["value"] == pytest.approx(on, rel=1e-6)
    assert check["off"] == pytest.approx(off, rel=1e-6)
    requests = next(c for c in data["checks"] if c["name"] == "min_requests")
    assert requests["value"] == pytest.approx(2000, abs=1)


def test_gate_apply_moves_the_state_store(prometheus_server, runner: CliRunner,  # type: ignore[no-untyped-def]
                                          tmp_path: Path) -> None:
    """`gate --apply` rolls the plan back in the file state store and records who did it."""
    server = prometheus_server(_cohorts(0.01, 0.0004))
    path = tmp_path / "state.json"
    store = FileStateStore(path)
    store.start("staged-release", actor="test", reason="start")
    store.move("staged-release", 1, actor="test", reason="to five")
    # The phase began when the test's data begins (the store stamps the real time).
    doc = json.loads(path.read_text())
    doc["plans"]["staged-release"]["started_at"] = dt.datetime.fromtimestamp(
        T0, dt.UTC).isoformat()
    path.write_text(json.dumps(doc))
    result = runner.invoke(gate, [
        "--policy", FLAGS, "--policy", RULES, "--plan", "staged-release",
        "--source", f"prometheus={server.url}", "--state", str(path),
        "--apply", "--actor", "ci", "--now",
        dt.datetime.fromtimestamp(T0 + 2 * 3600, dt.UTC).isoformat()])
    assert result.exit_code == 11, result.output
    assert "applied: staged-release is now at phase 0 (version 3)" in result.output
    fresh = FileStateStore(path)
    assert fresh.get("staged-release").phase == 0
    last = fresh.history("staged-release")[-1]
    assert (last.from_phase, last.to_phase, last.actor) == (1, 0, "ci")
    assert last.reason.startswith("gate rollback: error_rate below failed")
