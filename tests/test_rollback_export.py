"""`scrubphi rollback export`: the policy's rules as Prometheus rules, shown equivalent.

The generated `promtool test rules` cases replay scenarios (sustained breaches,
short spikes, values exactly at the threshold, gaps, NaNs, no data, flapping,
a seeded random walk) through the library and through Prometheus's own rule
engine (Debian's promtool); they must agree at every evaluation time.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from prometheus_client import CollectorRegistry, Gauge
from ruamel.yaml import YAML

from prom_fixtures import PromServer, prom_query
from scrubphi.cli import main
from scrubphi.metrics.exposition import serve
from scrubphi.policy import load_policy
from scrubphi.rollback import evaluate_rule, rules_from_policy
from scrubphi.rollback.export import prometheus_rule
from scrubphi.rollback.promtest import standard_scenarios

ROOT = Path(__file__).resolve().parents[1]
RULES = str(ROOT / "rollback" / "rules.yaml")
FLAGS = str(ROOT / "flags" / "flags.yaml")
RUNBOOK = "https://runbooks.clinic.example/rollback#{rule}"

# Every setting the rules have, at a 10 s interval: for (also one that is not a multiple of
# the interval), consecutive, m_of_n, above and below, every missing_data, min_samples,
# every action, alert_then_rollback with and without grace, and a threshold of 0.
ALL_SETTINGS = """\
version: 1
rollback:
  interval: 10s
  missing_data: not_breaching
  rules:
    - {name: err, metric: err_ratio, above: 1%, for: 45s, action: rollback, missing_data: breaching}
    - {name: err-quiet, metric: err_ratio, above: 2%, consecutive: 3, action: alert}
    - {name: throughput, metric: rps, below: 50, for: 30s, action: rollback_now,
       missing_data: breaching}
    - {name: slow, metric: p99, above: 2000, for: 1m, action: alert_then_rollback,
       missing_data: breaching}
    - {name: slow.grace, metric: p99, above: 3000, for: 30s, grace: 20s,
       action: alert_then_rollback}
    - {name: flaky, metric: err_ratio, above: 5%, m_of_n: [3, 5], action: rollback,
       missing_data: breaching}
    - {name: flaky_warn, metric: rps, below: 10, m_of_n: [2, 4], action: alert_then_rollback}
    - {name: unknown, metric: p99, above: 2500, for: 20s, action: rollback,
       missing_data: inconclusive, min_samples: 5}
    - {name: skip, metric: rps, below: 20, for: 20s, action: alert, missing_data: ignore}
    - {name: zero, metric: errors, above: 0, for: 0s, action: rollback}
  metrics:
    err_ratio: {prometheus: "sum(rate(e[$interval])) / sum(rate(r[$interval]))"}
    rps: {prometheus: "sum(rate(r[1m]))"}
    p99: {prometheus: "histogram_quantile(0.99, sum by (le) (rate(b[1m])))"}
    errors: {prometheus: "sum(increase(e[1m]))"}
"""


def _export(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["rollback", "export", *args])
    return result.exit_code, result.output


def _write_pair(tmp_path: Path, *configs: str, labels: tuple[str, ...] = ()) -> Path:
    """The rule file and its promtool tests, side by side, as a user would write them."""
    common = [a for c in configs for a in ("-c", c)] + ["--runbook-url", RUNBOOK]
    common += [a for label in labels for a in ("--label", label)]
    code, out = _export(*common, "--format", "prometheus-rules",
                        "-o", str(tmp_path / "scrubphi-rules.yml"))
    assert code == 0, out
    code, out = _export(*common, "--format", "promtool-tests",
                        "-o", str(tmp_path / "scrubphi-tests.yml"))
    assert code == 0, out
    return tmp_path / "scrubphi-tests.yml"


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=120,
                          check=False)


def test_team_rules_export_passes_promtool_check(tmp_path: Path) -> None:
    """The team's rules and gates export to a rule file promtool accepts, with their windows."""
    out = tmp_path / "rules.yml"
    code, text = _export("-c", RULES, "-c", FLAGS, "--format", "prometheus-rules",
                         "--runbook-url", RUNBOOK, "--label", "service=scheduling",
                         "-o", str(out))
    assert code == 0, text
    check = _promtool("check", "rules", str(out))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS: 11 rules found" in check.stdout
    doc = YAML(typ="safe").load(out.read_text())
    rollback, gates = doc["groups"]
    assert (rollback["name"], rollback["interval"]) == ("scrubphi-rollback", "15s")
    alerts = {r["alert"]: r for r in rollback["rules"] if "alert" in r}
    assert {n: (a.get("for"), a["labels"]["action"]) for n, a in alerts.items()} == {
        "ScrubphiErrorSpike": ("2m", "rollback"),
        "ScrubphiSlow": ("5m", "rollback"),
        "ScrubphiSlowBreaching": (None, "alert"),
        "ScrubphiHealth": ("1m", "rollback_now"),
    }
    spike = alerts["ScrubphiErrorSpike"]
    assert spike["expr"].startswith(
        "max(last_over_time(scrubphi:http_5xx_ratio[14999ms])) > 0.01 or ")
    assert "absent(" in spike["expr"]  # missing_data: breaching
    assert spike["labels"] == {"service": "scheduling", "severity": "critical",
                               "action": "rollback", "scrubphi_rule": "error-spike",
                               "metric": "http_5xx_ratio"}
    assert spike["annotations"]["runbook_url"] == (
        "https://runbooks.clinic.example/rollback#error-spike")
    records = {(r["record"], r.get("labels", {}).get("cohort")) for r in gates["rules"]}
    assert records == {("scrubphi:gate_error_rate", "on"), ("scrubphi:gate_error_rate", "off"),
                       ("scrubphi:gate_requests", "on"), ("scrubphi:gate_requests", "off")}
    # what Prometheus cannot express is said where it applies
    text = out.read_text()
    assert "# scrubphi: min_samples: 20 is not expressed" in text
    assert "$window is the fixed window 5m" in text


@pytest.mark.parametrize("which", ["team", "all-settings"])
def test_promtool_agrees_with_the_library_at_every_evaluation(tmp_path: Path,
                                                              which: str) -> None:
    """promtool replays every scenario through the exported rules: the alerts Prometheus
    holds (pending and firing, with labels and annotations) are the library's decisions."""
    if which == "team":
        tests = _write_pair(tmp_path, RULES)
    else:
        (tmp_path / "all.yaml").write_text(ALL_SETTINGS)
        tests = _write_pair(tmp_path, str(tmp_path / "all.yaml"), labels=("team=clinic",))
    text = tests.read_text()
    # the scenarios reach every state, so agreement means something
    assert text.count('alertstate=\\"pending\\"') > 50
    assert text.count('alertstate=\\"firing\\"') > 50
    assert text.count("exp_samples: []") > 20
    run = _promtool("test", "rules", str(tests))
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    assert "SUCCESS" in run.stdout
    if which == "all-settings":
        return
    # one expectation changed: promtool must say so
    at = text.index('alertstate=\\"pending\\"')
    tests.write_text(text[:at] + text[at:].replace("pending", "firing", 1))
    broken = _promtool("test", "rules", str(tests))
    assert broken.returncode == 1 and "FAILED" in broken.stderr


def test_inexpressible_settings_are_commented(tmp_path: Path) -> None:
    """Each setting Prometheus cannot express carries a comment on its own rule."""
    (tmp_path / "all.yaml").write_text(ALL_SETTINGS)
    code, text = _export("-c", str(tmp_path / "all.yaml"), "--format", "prometheus-rules",
                         "--runbook-url", RUNBOOK)
    assert code == 0, text
    assert "# scrubphi: missing_data: inconclusive cannot be expressed" in text
    assert "# scrubphi: missing_data: ignore cannot be expressed" in text
    assert "# scrubphi: min_samples: 5 is not expressed" in text
    assert "# scrubphi: m_of_n: [3, 5] has no pending state" in text
    assert "# for: 45s is 6 evaluations every 10s, so 50s here" in text


def test_min_samples_never_changes_when_a_rule_fires() -> None:
    """The export drops min_samples: over every scenario, the team's rules fire at the same
    evaluations with and without it (it only turns pending or ok into inconclusive)."""
    rules = rules_from_policy(load_policy(RULES))
    compared = 0
    for scenario in standard_scenarios(rules):
        for rule in rules.rules:
            exported, _ = prometheus_rule(rule)
            points = [(k * rules.interval, v)
                      for k, v in enumerate(scenario.values[rule.metric]) if v is not None]
            for k in range(scenario.length):
                now = k * rules.interval
                original = evaluate_rule(rule, points, now)
                nearest = evaluate_rule(exported, points, now)
                assert (original.state == "firing") == (nearest.state == "firing"), (
                    scenario.name, rule.name, now)
                assert original.state in (nearest.state, "inconclusive")
                compared += 1
    assert compared > 1000


@pytest.mark.parametrize(("policy", "args", "code", "message"), [
    ("rollback:\n  rules: [{name: r, metric: m, above: 1, for: 1m, action: rollback}]\n",
     (), 3, "metric m has no prometheus query: add it under rollback.metrics.m.prometheus"),
    ("rollback:\n  rules: [{name: r, metric: m, above: 1, for: 1m, action: rollback}]\n"
     "  metrics: {m: {prometheus: 'sum(x[$window])'}}\n",
     (), 3, "uses $window, which rule r cannot fill"),
    ("rollback:\n  rules: [{name: a-b, metric: m, above: 1, for: 1m, action: rollback},\n"
     "          {name: a_b, metric: m, above: 2, for: 1m, action: alert}]\n"
     "  metrics: {m: {prometheus: 'x'}}\n",
     (), 3, "both give the alert name ScrubphiAB"),
    ("rollback:\n  rules: [{name: a, metric: m.x, above: 1, for: 1m, action: rollback},\n"
     "          {name: b, metric: m_x, above: 2, for: 1m, action: alert}]\n"
     "  metrics: {m.x: {prometheus: 'x'}, m_x: {prometheus: 'y'}}\n",
     (), 3, "metrics m.x and m_x would both be recorded as scrubphi:m_x"),
    ("rollback:\n  rules: [{name: r, metric: m, above: 1, for: 1m, action: rollback}]\n"
     "  metrics: {m: {prometheus: 'x'}}\n",
     ("--label", "severity=low"), 2, "label 'severity' is set by the export itself"),
    ("rollback:\n  rules: [{name: r, metric: m, above: 1, for: 1m, action: rollback}]\n"
     "  metrics: {m: {prometheus: 'x'}}\n",
     ("--gate-window", "5"), 2, "--gate-window"),
])
def test_bad_input_is_a_clear_error(tmp_path: Path, policy: str, args: tuple[str, ...],
                                    code: int, message: str) -> None:
    """A rule the export cannot write, or a bad option, says what and where; nothing is written."""
    path = tmp_path / "p.yaml"
    path.write_text("version: 1\n" + policy)
    out = tmp_path / "out.yml"
    got, text = _export("-c", str(path), "--format", "prometheus-rules", "--runbook-url",
                        RUNBOOK, "-o", str(out), *args)
    assert got == code, text
    assert message in text
    assert not out.exists()


def test_promtool_tests_need_rules(tmp_path: Path) -> None:
    """promtool-tests of a policy without rollback rules is a policy error, not an empty file."""
    code, text = _export("-c", FLAGS, "--format", "promtool-tests", "--runbook-url", RUNBOOK)
    assert code == 3 and "no rollback rules" in text


LIVE = """\
version: 1
rollback:
  interval: 1s
  missing_data: not_breaching
  rules:
    - {name: errors, metric: error_ratio, above: 1%, for: 3s, action: rollback,
       description: 5xx over 1% for 3 seconds}
    - {name: latency, metric: p99, above: 2000, m_of_n: [2, 3], action: alert_then_rollback,
       missing_data: breaching}
  metrics:
    error_ratio: {prometheus: "max(app_error_ratio)"}
    p99: {prometheus: "max(app_p99_ms)"}
"""


def _alert_states(server: PromServer) -> dict[str, str]:
    alerts = prom_query(server, "alerts")["alerts"]
    return {a["labels"]["alertname"]: a["state"] for a in alerts}


def test_exported_rules_load_and_evaluate_in_a_real_prometheus(
        tmp_path: Path, prometheus_server: Callable[..., PromServer]) -> None:
    """A real Prometheus loads the team's export and a 1 s policy's export, evaluates every
    rule without error, and the 1 s alert goes pending, then fires after its 3 s `for`,
    on values it scrapes from an app."""
    (tmp_path / "live.yaml").write_text(LIVE)
    files: dict[str, str] = {}
    # the gates every 5s, not 1m: the test waits for every group's first evaluation
    for name, configs in (("team.yml", ("-c", RULES, "-c", FLAGS, "--gate-interval", "5s")),
                          ("live.yml", ("-c", str(tmp_path / "live.yaml")))):
        code, text = _export(*configs, "--format", "prometheus-rules", "--runbook-url", RUNBOOK)
        assert code == 0, text
        files[name] = text
    registry = CollectorRegistry()
    errors = Gauge("app_error_ratio", "errors", registry=registry)
    p99 = Gauge("app_p99_ms", "latency", registry=registry)
    errors.set(0.001)
    p99.set(100)
    app = serve(registry, 0)
    try:
        config = ("global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                  "rule_files: [team.yml, live.yml]\n"
                  "scrape_configs:\n  - job_name: app\n"
                  f"    static_configs: [{{targets: ['127.0.0.1:{app.port}']}}]\n")
        prom = prometheus_server("", config=config, files=files)
        deadline = time.monotonic() + 40
        groups: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            groups = prom_query(prom, "rules")["groups"]
            if len(groups) == 3 and all(r["health"] != "unknown"  # evaluated at least once
                                        for g in groups for r in g["rules"]):
                break
            time.sleep(0.5)
        assert sorted(g["name"] for g in groups) == ["scrubphi-gates", "scrubphi-rollback",
                                                     "scrubphi-rollback"]
        bad = [(r["name"], r["health"], r.get("lastError")) for g in groups for r in g["rules"]
               if r["health"] != "ok"]
        assert not bad, bad
        assert sum(len(g["rules"]) for g in groups) == 11 + 6
        assert _alert_states(prom).get("ScrubphiErrors") is None
        errors.set(0.05)
        deadline = time.monotonic() + 30
        seen: list[tuple[float, str]] = []
        while time.monotonic() < deadline:
            state = _alert_states(prom).get("ScrubphiErrors", "inactive")
            if not seen or seen[-1][1] != state:
                seen.append((time.monotonic(), state))
            if state == "firing":
                break
            time.sleep(0.2)
        assert [s for _, s in seen] == ["inactive", "pending", "firing"], seen
        assert seen[2][0] - seen[1][0] >= 2.0  # held for its `for: 3s`, give or take a scrape
        firing = next(a for a in prom_query(prom, "alerts")["alerts"]
                      if a["labels"]["alertname"] == "ScrubphiErrors")
        assert firing["labels"]["action"] == "rollback"
        assert firing["annotations"]["runbook_url"] == (
            "https://runbooks.clinic.example/rollback#errors")
        assert float(firing["value"]) == pytest.approx(0.05)
    finally:
        app.close()


def test_the_docs_example_runs(tmp_path: Path) -> None:
    """docs/rollback-and-gates.md's commands run as written (scrubphi as this checkout), and
    the rule it shows is what the export writes."""
    doc = (ROOT / "docs" / "rollback-and-gates.md").read_text()
    block = doc.split("<!-- doc-example: rollback-export", 1)[1].split("```sh\n", 1)[1]
    block = block.split("```", 1)[0].replace("\\\n", " ")
    for folder in ("rollback", "flags"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    commands = [shlex.split(line) for line in block.splitlines() if line.strip()]
    assert [c[0] for c in commands] == ["scrubphi", "promtool", "scrubphi", "promtool"]
    for argv in commands:
        if argv[0] == "scrubphi":
            argv = [sys.executable, "-m", "scrubphi", *argv[1:]]
        run = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=120, check=False)
        assert run.returncode == 0, (argv, run.stdout[-2000:], run.stderr[-2000:])
        if argv[0] == "promtool":
            assert "SUCCESS" in run.stdout
    shown = doc.split("Each rule becomes (the team's `error-spike`):\n\n```yaml\n", 1)[1]
    shown = shown.split("```", 1)[0]
    assert shown in (tmp_path / "scrubphi-rules.yml").read_text()
