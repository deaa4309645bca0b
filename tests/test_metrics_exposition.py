"""The controller's own metrics, scraped by a real Prometheus (Debian's package).

A canary run (the real controller, rules and monitor, on a fake clock) and a
flag client publish through `scrubphi.metrics.exposition` on a loopback port;
Prometheus scrapes it every second, and the values are read back through
Prometheus's HTTP API, so names, labels, types and numbers are what a
dashboard or an alert would see.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from prom_fixtures import PromServer, prom_query
from scrubphi.canary import CallbackRouter, CanaryController, Weights
from scrubphi.flags import FlagClient, StaticState
from scrubphi.metrics.exposition import CanaryExporter, FlagExposureCollector, serve
from scrubphi.policy import loads_policy

T0 = 1_700_000_000.0
SCRAPE_WAIT_S = 20.0

FLOW = """\
version: 1
canary:
  steps:
    - weight: 10
    - pause: 1m
    - weight: 50
    - pause: 1m
  analysis: rollback
  rollback_within: 60s
rollback:
  interval: 15s
  missing_data: not_breaching
  rules:
    - {name: error-spike, metric: http_5xx_ratio, above: 1%, for: 30s, action: rollback}
    - {name: slow, metric: latency_p99_ms, above: 2000, for: 1m, action: alert}
"""

FLAGS = """\
version: 1
flags:
  new-scheduling: {enabled: true, plan: staged-release}
  checkout:
    enabled: true
    strategies: [{name: default}]
    variants: [{name: red, weight: 1}, {name: blue, weight: 1}]
rollouts:
  staged-release:
    stickiness: userId
    phases:
      - {name: five, percent: 5}
      - {name: quarter, percent: 25}
      - {name: all, percent: 100}
"""


def _config(port: int) -> str:
    return (
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: scrubphi\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
    )


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class Values:
    """The canary's metric values, set by the test (the metric source is not the subject)."""

    def __init__(self) -> None:
        self.now: dict[str, float] = {"http_5xx_ratio": 0.001, "latency_p99_ms": 120.0}

    def start(self) -> None:
        pass

    def sample(self) -> Mapping[str, float]:
        return dict(self.now)


def _scraped_after(server: PromServer, t: float) -> None:
    """Wait until Prometheus has scraped the exporter after wall time ``t`` (bounded)."""
    deadline = time.monotonic() + SCRAPE_WAIT_S
    while time.monotonic() < deadline:
        data = prom_query(server, "query", query='timestamp(up{job="scrubphi"})')
        if data["result"] and float(data["result"][0]["value"][1]) > t + 0.001:
            return
        time.sleep(0.2)
    raise AssertionError(f"no successful scrape after {t} within {SCRAPE_WAIT_S}s: "
                         f"{prom_query(server, 'targets')}")


def _values(server: PromServer, query: str, *keys: str) -> dict[tuple[str, ...], float]:
    data = prom_query(server, "query", query=query)
    return {tuple(r["metric"].get(k, "") for k in keys): float(r["value"][1])
            for r in data["result"]}


@pytest.fixture
def scraped(prometheus_server: Callable[..., PromServer]
            ) -> Iterator[tuple[CanaryExporter, PromServer]]:
    exporter = CanaryExporter()
    endpoint = serve(exporter.registry, 0)
    try:
        yield exporter, prometheus_server("", config=_config(endpoint.port))
    finally:
        endpoint.close()


def test_canary_run_metrics_reach_prometheus(scraped: tuple[CanaryExporter, PromServer]) -> None:
    """Weights, step, rule values and thresholds, rule states and the decision, as the run
    goes from 10% healthy to a 5xx spike that rolls back."""
    exporter, prom = scraped
    clock, values = Clock(), Values()
    router = CallbackRouter(lambda weights: None)
    controller = CanaryController.from_policy(
        loads_policy(FLOW), router, metrics=values, clock=clock, on_event=exporter.on_event)

    def tick(seconds: float) -> None:
        clock.now += seconds
        exporter.on_tick(controller.tick())

    exporter.on_tick(controller.start())
    for _ in range(3):
        tick(15)
    assert router.current() == Weights(90, 10)
    t = time.time()
    _scraped_after(prom, t)
    assert _values(prom, "scrubphi_canary_weight_percent", "version") == {
        ("stable",): 90.0, ("canary",): 10.0}
    assert _values(prom, "scrubphi_canary_step") == {(): 2.0}  # the 1m pause
    assert _values(prom, "scrubphi_canary_steps") == {(): 4.0}
    assert _values(prom, "scrubphi_canary_state == 1", "state") == {("running",): 1.0}
    assert _values(prom, "scrubphi_canary_rule_value", "rule", "metric") == {
        ("error-spike", "http_5xx_ratio"): 0.001, ("slow", "latency_p99_ms"): 120.0}
    assert _values(prom, "scrubphi_canary_rule_threshold", "rule", "comparison") == {
        ("error-spike", "above"): 0.01, ("slow", "above"): 2000.0}
    assert _values(prom, "scrubphi_canary_rule_state == 1", "rule", "state") == {
        ("error-spike", "ok"): 1.0, ("slow", "ok"): 1.0}
    assert _values(prom, "scrubphi_canary_decision == 1", "action") == {("ok",): 1.0}
    assert _values(prom, "scrubphi_canary_rollbacks_total") == {(): 0.0}

    values.now["http_5xx_ratio"] = 0.05
    tick(15)
    t = time.time()
    _scraped_after(prom, t)
    assert _values(prom, "scrubphi_canary_rule_state == 1", "rule", "state") == {
        ("error-spike", "pending"): 1.0, ("slow", "ok"): 1.0}
    assert _values(prom, 'scrubphi_canary_rule_value{rule="error-spike"}') == {(): 0.05}
    for _ in range(2):
        tick(15)
    assert controller.state == "rolled_back"
    t = time.time()
    _scraped_after(prom, t)
    assert _values(prom, "scrubphi_canary_weight_percent", "version") == {
        ("stable",): 100.0, ("canary",): 0.0}
    assert _values(prom, "scrubphi_canary_state == 1", "state") == {("rolled_back",): 1.0}
    assert _values(prom, "scrubphi_canary_rule_state == 1", "rule", "state") == {
        ("error-spike", "firing"): 1.0, ("slow", "ok"): 1.0}
    assert _values(prom, "scrubphi_canary_decision == 1", "action") == {("rollback",): 1.0}
    assert _values(prom, "scrubphi_canary_rollbacks_total") == {(): 1.0}
    assert _values(prom, "scrubphi_canary_rollback_seconds") == {(): 0.0}  # the fake clock
    decisions = _values(prom, "scrubphi_canary_decisions_total", "action")
    assert decisions[("rollback",)] == 1.0 and decisions[("ok",)] >= 1.0
    events = _values(prom, "scrubphi_canary_events_total", "kind")
    assert events[("rollback_done",)] == 1.0 and events[("weights",)] == 2.0  # baseline, 10%


def test_flag_exposures_by_variant_and_phase_reach_prometheus(
        scraped: tuple[CanaryExporter, PromServer]) -> None:
    """Exposure counts by flag, result, variant and phase, and each plan's live phase, are
    what the client counted; a phase change shows in both."""
    exporter, prom = scraped
    state = StaticState({"staged-release": 0})
    client = FlagClient.from_policy(loads_policy(FLAGS), state=state)
    exporter.registry.register(FlagExposureCollector(client))
    for i in range(1000):
        client.is_enabled("new-scheduling", {"userId": str(i)})
    for i in range(300):
        client.get_variant("checkout", {"userId": str(i)})
    state.set("staged-release", 1)
    for i in range(1000, 1400):
        client.is_enabled("new-scheduling", {"userId": str(i)})
    t = time.time()
    _scraped_after(prom, t)
    got = _values(prom, "scrubphi_flag_exposures_total", "flag", "result", "variant", "phase")
    counted = client.exposures()
    plan = counted["new-scheduling"]["phases"]
    variants = counted["checkout"]["variants"]
    assert got == {
        ("new-scheduling", "on", "", "five"): float(plan["five"]["yes"]),
        ("new-scheduling", "off", "", "five"): float(plan["five"]["no"]),
        ("new-scheduling", "on", "", "quarter"): float(plan["quarter"]["yes"]),
        ("new-scheduling", "off", "", "quarter"): float(plan["quarter"]["no"]),
        ("checkout", "on", "red", ""): float(variants["red"]),
        ("checkout", "on", "blue", ""): float(variants["blue"]),
    }
    assert 20 < plan["five"]["yes"] < 80 and 60 < plan["quarter"]["yes"] < 140
    assert variants["red"] + variants["blue"] == 300 and min(variants.values()) > 100
    assert _values(prom, "scrubphi_rollout_phase", "plan", "phase") == {
        ("staged-release", "quarter"): 1.0}
    per_phase = _values(prom, "sum by (phase) (scrubphi_flag_exposures_total"
                              '{flag="new-scheduling"})', "phase")
    assert per_phase == {("five",): 1000.0, ("quarter",): 400.0}


def test_canary_run_serves_metrics_option_is_checked() -> None:
    """`--serve-metrics` takes HOST:PORT; anything else is a usage error before any traffic."""
    from scrubphi.cli import main

    result = CliRunner().invoke(main, ["canary", "run", "-c", "x.yaml", "--serve-metrics",
                                       "9464", "--stable", "127.0.0.1:1",
                                       "--canary", "127.0.0.1:2"])
    assert result.exit_code == 2
    assert "--serve-metrics" in result.output and "HOST:PORT" in result.output


def test_metrics_endpoint_answers_text_format() -> None:
    """The endpoint is Prometheus's text format over HTTP, on a loopback port by default."""
    exporter = CanaryExporter()
    endpoint = serve(exporter.registry, 0)
    try:
        assert endpoint.address == "127.0.0.1"
        with urllib.request.urlopen(endpoint.url, timeout=5) as r:
            body: Any = r.read().decode()
            assert r.headers["Content-Type"].startswith("text/plain")
    finally:
        endpoint.close()
    assert 'scrubphi_canary_state{state="pending"} 1.0' in body
    assert "scrubphi_canary_rollback_seconds NaN" in body


def test_the_flags_docs_example_runs(monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """docs/flags.md's exposure example runs as written and prints the lines it shows."""
    root = Path(__file__).resolve().parents[1]
    doc = (root / "docs" / "flags.md").read_text()
    block = doc.split("<!-- doc-example: flag-metrics", 1)[1].split("```python\n", 1)[1]
    block = block.split("```", 1)[0]
    monkeypatch.chdir(root)
    exec(compile(block, "docs/flags.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    shown = [line[2:] for line in block.splitlines() if line.startswith("# scrubphi_")]
    assert len(shown) == 3 and all(line in printed for line in shown), printed


def test_canary_run_serve_metrics_end_to_end(tmp_path: Path) -> None:
    """`scrubphi canary run --serve-metrics` serves the live run (here a command router and a
    2 s pause) and, with `--metrics-linger 0s`, stops serving when the run ends."""
    (tmp_path / "flow.yaml").write_text(
        "version: 1\ncanary:\n  steps: [{weight: 10}, {pause: 2s}, {weight: 100}]\n"
        "  analysis: none\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "scrubphi", "canary", "run", "-c", str(tmp_path / "flow.yaml"),
         "--router", "command", "--weights-command", "true {stable} {canary}",
         "--state-dir", str(tmp_path / "state"), "--stable", "127.0.0.1:1",
         "--canary", "127.0.0.1:2", "--interval", "0.2s",
         "--serve-metrics", f"127.0.0.1:{port}", "--metrics-linger", "0s"],
        env={**os.environ, "PYTHONPATH": str(root / "src")},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                    seen.append(r.read().decode())
            except OSError:
                pass
            time.sleep(0.2)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    during = [b for b in seen if 'scrubphi_canary_weight_percent{version="canary"} 10.0' in b]
    assert during and all('scrubphi_canary_state{state="running"} 1.0' in b for b in during)
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scrape(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return str(r.read().decode())
    except OSError:
        return None


def test_canary_run_keeps_serving_the_rollback_after_the_run(tmp_path: Path) -> None:
    """After a rollback, `--serve-metrics` keeps serving the final state (`--metrics-linger`):
    scraped from the real endpoint once the run is over (its state file holds the outcome and
    exit code), it says rolled back, all traffic on stable, one rollback and how long it took.
    SIGTERM ends the linger at once; the process still exits with the run's code, 11."""
    (tmp_path / "flow.yaml").write_text(
        "version: 1\ncanary:\n  steps:\n    - weight: 10\n"
        "    - health_check: {url: /healthz, timeout: 200ms, attempts: 1}\n"
        "    - weight: 100\n  analysis: none\n")
    port, dead = _free_port(), _free_port()  # nothing listens on `dead`: the check fails
    url = f"http://127.0.0.1:{port}/metrics"
    root = Path(__file__).resolve().parents[1]
    state_file = tmp_path / "state" / "scrubphi-canary.state.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "scrubphi", "canary", "run", "-c", str(tmp_path / "flow.yaml"),
         "--router", "command", "--weights-command", "true {stable} {canary}",
         "--state-dir", str(tmp_path / "state"), "--stable", "127.0.0.1:1",
         "--canary", f"127.0.0.1:{dead}", "--interval", "0.2s",
         "--serve-metrics", f"127.0.0.1:{port}", "--metrics-linger", "60s"],
        env={**os.environ, "PYTHONPATH": str(root / "src")},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        ended: dict[str, Any] = {}
        while time.monotonic() < deadline and not ended:
            time.sleep(0.2)
            try:
                state = json.loads(state_file.read_text())
            except (OSError, ValueError):
                continue
            if state.get("exit_code") is not None:
                ended = state
        assert ended.get("outcome") == "rolled_back" and ended["exit_code"] == 11, ended
        time.sleep(1.0)  # well after the run ended: before the fix the endpoint was gone
        body = _scrape(url)
        assert proc.poll() is None and body is not None, "the endpoint went with the run"
        assert 'scrubphi_canary_state{state="rolled_back"} 1.0' in body
        assert 'scrubphi_canary_weight_percent{version="canary"} 0.0' in body
        assert 'scrubphi_canary_weight_percent{version="stable"} 100.0' in body
        assert "scrubphi_canary_rollbacks_total 1.0" in body
        assert "scrubphi_canary_rollback_seconds NaN" not in body
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert time.monotonic() - t0 < 10
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 11, err
    assert "--metrics-linger" in err and url in err
    assert _scrape(url) is None


def test_metrics_linger_is_a_duration() -> None:
    """`--metrics-linger` takes a duration with its unit (0s allowed); anything else is a usage
    error before any traffic."""
    from scrubphi.cli import main

    result = CliRunner().invoke(main, ["canary", "run", "-c", "x.yaml", "--metrics-linger",
                                       "2"])
    assert result.exit_code == 2 and "--metrics-linger" in result.output


def test_each_versions_window_is_exported_for_the_canary_dashboard() -> None:
    """`on_versions`: requests, 5xx share and p99 per version; NaN when a version had none."""
    from prometheus_client import generate_latest

    from scrubphi.canary.nginxlog import VersionStats

    exporter = CanaryExporter()
    exporter.on_versions({"stable": VersionStats(200, 1, 0.005, 12.0),
                          "canary": VersionStats(0, 0, None, None)})
    text = generate_latest(exporter.registry).decode()
    assert 'scrubphi_canary_version_requests{version="stable"} 200.0' in text
    assert 'scrubphi_canary_version_5xx_ratio{version="stable"} 0.005' in text
    assert 'scrubphi_canary_version_latency_p99_ms{version="stable"} 12.0' in text
    assert 'scrubphi_canary_version_requests{version="canary"} 0.0' in text
    assert 'scrubphi_canary_version_latency_p99_ms{version="canary"} NaN' in text
