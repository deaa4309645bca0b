"""``scrubphi dashboard``: Grafana dashboards generated from the team's policy.

Each dashboard is built with Grafana's Python SDK and checked against the
SDK's own model (decoded and encoded back unchanged); every query in it is
sent to a real Prometheus loaded with ten days of the team's rollout
(``rollout_scenario``), which must accept it, and the cohort panels must show
the flag-on cohort's error spike that the gate rolled back for.  Grafana
itself is not packaged for Debian and cannot be run here (docs/dashboards.md).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import rollout_scenario as scenario
from prom_fixtures import PromServer, prometheus_servers
from scrubphi.dashboards import DashboardError, canary_dashboard, rollout_dashboard, validate
from scrubphi.policy import load_policy
from scrubphi.rollback import rules_from_policy

ROOT = Path(__file__).resolve().parents[1]
FLAGS, RULES, CANARY = ROOT / "flags", ROOT / "rollback", ROOT / "deploy" / "canary.yaml"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "scrubphi", *args], capture_output=True,
                          text=True, timeout=120, env=env, check=False)


def _panels(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["title"]: p for p in doc["panels"] if p["type"] != "row"}


def _exprs(doc: dict[str, Any]) -> list[str]:
    found = [t["expr"] for p in doc["panels"] for t in p.get("targets") or ()]
    found += [a["expr"] for a in doc["annotations"]["list"] if a.get("expr")]
    return found


@pytest.fixture(scope="module")
def prom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PromServer, float]]:
    end = scenario.end_time()
    with prometheus_servers(tmp_path_factory.mktemp("dashprom")) as start:
        yield start(scenario.openmetrics_text(end)), end


def _query_range(prom: PromServer, expr: str, start: float, end: float) -> dict[str, Any]:
    """Grafana's variables as Grafana would fill them, then Prometheus's answer."""
    expr = expr.replace("$__rate_interval", "1h").replace("$phase", "five")
    body = urllib.parse.urlencode({"query": expr, "start": f"{start:.0f}", "end": f"{end:.0f}",
                                   "step": "3600"}).encode()
    try:
        with urllib.request.urlopen(prom.url + "/api/v1/query_range", body, timeout=20) as r:
            return dict(json.load(r))
    except urllib.error.HTTPError as exc:
        return dict(json.load(exc))


def test_rollout_dashboard_compares_cohorts_with_the_gates_thresholds() -> None:
    policy = load_policy(FLAGS, RULES)
    doc = rollout_dashboard(policy, scenario.PLAN)
    panels = _panels(doc)
    error = panels["error_rate: flag on vs flag off"]
    assert [t["legendFormat"] for t in error["targets"]] == ["flag on", "flag off"]
    assert 'flag_new_scheduling="on"' in error["targets"][0]["expr"]
    assert 'flag_new_scheduling="off"' in error["targets"][1]["expr"]
    assert "$window" not in json.dumps(doc) and "$cohort" not in json.dumps(doc)
    steps = error["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [s["value"] for s in steps] == [None, 0.0, 0.001]  # internal max 0, then below 0.1%
    assert error["fieldConfig"]["defaults"]["unit"] == "percentunit"
    latency = panels["flag_latency_p99_ms: flag on vs flag off"]
    assert latency["fieldConfig"]["defaults"]["unit"] == "ms"
    assert "min_requests (200, 1000, 1000)" in panels["requests per cohort"]["description"]
    annotations = {a["name"]: a for a in doc["annotations"]["list"]}
    assert 'scrubphi_rollout_phase{plan="staged-release"}' in annotations["phase changes"]["expr"]
    phase = panels["live phase of staged-release"]
    assert phase["targets"][0]["legendFormat"] == "{{phase}}"
    exposures = panels["flag evaluations per phase and result"]["targets"][0]["expr"]
    assert 'scrubphi_flag_exposures_total{flag=~"new-scheduling"}' in exposures


def test_canary_dashboard_has_weights_versions_every_rule_and_decisions() -> None:
    policy = load_policy(CANARY)
    doc = canary_dashboard(policy)
    panels = _panels(doc)
    assert panels["weights"]["targets"][0]["expr"] == "scrubphi_canary_weight_percent"
    for title in ("5xx ratio per version", "p99 latency per version"):
        assert panels[title]["targets"][0]["legendFormat"] == "{{version}}"
    rules = rules_from_policy(policy)
    for rule in rules.rules:
        panel = next(p for t, p in panels.items() if t.startswith(f"{rule.name}: "))
        assert panel["fieldConfig"]["defaults"]["thresholds"]["steps"][1]["value"] == \
            rule.threshold
        assert panel["targets"][0]["expr"] == f'scrubphi_canary_rule_value{{rule="{rule.name}"}}'
        assert panel["targets"][1]["expr"] == \
            f'scrubphi_canary_rule_threshold{{rule="{rule.name}"}}'
        assert panel["targets"][2]["expr"].replace(" ", "") == \
            rules.metrics[rule.metric].queries["prometheus"].replace(" ", "")
    names = {a["name"] for a in doc["annotations"]["list"]}
    assert names == {"alerts", "rollbacks"}


def test_the_sdks_model_refuses_what_it_does_not_know() -> None:
    doc = rollout_dashboard(load_policy(FLAGS, RULES), scenario.PLAN)
    validate(doc)
    tampered = copy.deepcopy(doc)
    tampered["panels"][1]["colour_of_the_day"] = "blue"
    with pytest.raises(DashboardError, match="does not keep the dashboard"):
        validate(tampered)
    retyped = copy.deepcopy(doc)
    retyped["panels"] = "none"
    with pytest.raises(DashboardError, match="not a Grafana dashboard"):
        validate(retyped)


def test_every_query_is_accepted_by_prometheus_and_shows_the_spike(
        prom: tuple[PromServer, float]) -> None:
    server, end = prom
    start = end - 10 * scenario.DAY
    for doc in (rollout_dashboard(load_policy(FLAGS, RULES), scenario.PLAN),
                canary_dashboard(load_policy(CANARY))):
        for expr in _exprs(doc):
            answer = _query_range(server, expr, start, end)
            assert answer["status"] == "success", (expr, answer)
    error = _panels(rollout_dashboard(load_policy(FLAGS, RULES), scenario.PLAN))[
        "error_rate: flag on vs flag off"]
    on, off = (_query_range(server, t["expr"], start, end)["data"]["result"]
               for t in error["targets"])
    on_values = [float(v) for _t, v in on[0]["values"]]
    off_values = [float(v) for _t, v in off[0]["values"]]
    assert max(on_values) == pytest.approx(0.005, rel=0.05)   # the bug behind the flag
    assert max(off_values) == pytest.approx(0.0005, rel=0.05)  # everyone else


def test_cli_writes_the_dashboards_and_refuses_bad_input(tmp_path: Path) -> None:
    out = tmp_path / "rollout.json"
    ok = _cli("dashboard", "rollout", scenario.PLAN, "-c", str(FLAGS), "-c", str(RULES),
              "-o", str(out))
    assert ok.returncode == 0, ok.stderr
    validate(json.loads(out.read_text()))
    canary = _cli("dashboard", "canary", "-c", str(CANARY))
    assert canary.returncode == 0 and json.loads(canary.stdout)["uid"] == "scrubphi-canary"
    unknown = _cli("dashboard", "rollout", "nope", "-c", str(FLAGS), "-c", str(RULES))
    assert unknown.returncode == 8 and "unknown rollout plan 'nope'" in unknown.stderr
    no_canary = _cli("dashboard", "canary", "-c", str(FLAGS))
    assert no_canary.returncode == 3 and "no canary: section" in no_canary.stderr
    no_cohort = _cli("dashboard", "rollout", scenario.PLAN, "-c", str(FLAGS))
    assert no_cohort.returncode == 2 and "uses $cohort" in no_cohort.stderr
