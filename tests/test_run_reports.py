"""``scrubphi canary report`` and ``scrubphi flags history``: text, JSON and the HTML page.

The HTML pages are opened in a real browser (Debian's headless Chromium
through Selenium, cut off the network): the page must load with nothing
fetched and no script error or policy violation, the plot must be drawn
(plotly's SVG traces, with their points where the axes put the numbers),
and the numbers drawn must be the run log's (the canary) or the audit log's
and Prometheus's (a rollout replayed against a real Prometheus server).
"""

from __future__ import annotations

import datetime as dt
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
from browser_fixtures import offline_browser
from prom_fixtures import PromServer, prometheus_servers

ROOT = Path(__file__).resolve().parents[1]
RUN_LOG = ROOT / "examples" / "runs" / "canary-slow-v2.jsonl"
FLAGS, RULES = ROOT / "flags", ROOT / "rollback"

_WATCH = """
window.__problems = [];
document.addEventListener('securitypolicyviolation',
    e => window.__problems.push('csp ' + e.violatedDirective + ' ' + e.blockedURI));
window.addEventListener('error', e => window.__problems.push('error ' + e.message));
"""


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "scrubphi", *args], capture_output=True,
                          text=True, timeout=120, env=env, check=False)


def _events() -> list[dict[str, Any]]:
    return [json.loads(line) for line in RUN_LOG.read_text().splitlines() if line.strip()]


def _open(driver: Any, page: Path) -> dict[str, Any]:
    """Load ``page`` offline; return the plot's data, layout and what the browser drew."""
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _WATCH})
    driver.get(page.as_uri())
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 60, poll_frequency=0.2).until(lambda d: d.execute_script(
        "const g = document.getElementById('timeline');"
        "return !!(g && g._fullLayout && g.querySelectorAll('.scatterlayer .trace').length);"))
    return dict(driver.execute_script("""
        const g = document.getElementById('timeline');
        const traces = [...g.querySelectorAll('.scatterlayer .trace')];
        const drawn = {};
        g.data.forEach((t, i) => {
          if (!t.meta || !t.meta.series) return;
          const layer = g._fullData[i];
          const ax = g._fullLayout[layer.yaxis.replace('y', 'yaxis')];
          const points = [...(traces.find(el => el.__data__ &&
               el.__data__[0] && el.__data__[0].trace.index === i) || document.createElement('g'))
               .querySelectorAll('path.point')].map(p => {
                 const m = /translate\\(([-\\d.]+),\\s*([-\\d.]+)\\)/
                     .exec(p.getAttribute('transform'));
                 return m ? ax.p2l(parseFloat(m[2])) : null;
               });
          drawn[t.meta.series] = points;
        });
        const lines = [...g.querySelectorAll('.scatterlayer .trace path.js-line')]
            .filter(p => (p.getAttribute('d') || '').length > 10).length;
        return {data: g.data.map(t => ({series: t.meta && t.meta.series, x: t.x, y: t.y})),
                shapes: (g.layout.shapes || []).map(s => ({x: s.x0, color: s.line.color})),
                drawn: drawn, lines: lines, problems: window.__problems,
                resources: performance.getEntriesByType('resource').map(e => e.name),
                report: JSON.parse(document.getElementById('report-data').textContent),
                text: document.body.innerText};
    """))


def _series(page: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in page["data"] if t["series"] == name)


# --------------------------------------------------------------------------
# canary report
# --------------------------------------------------------------------------


def test_canary_report_text_tells_the_decision_weights_alerts_and_every_check() -> None:
    result = _cli("canary", "report", str(RUN_LOG))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    events = _events()
    started = next(e for e in events if e["kind"] == "rollback_started")
    assert f"rollback decided at {started['wall']}" in out
    assert "outcome: rolled_back: rule fired: slow: firing" in out
    assert "stable 50% canary 50%  (weight)" in out and "stable 100% canary 0%  (rollback)" in out
    checks = [e for e in events if e["kind"] in ("check", "decision")]
    assert f"checks: {len(checks)} " in out and "alerts: 1" in out


def test_canary_report_html_in_an_offline_browser_draws_the_run_logs_numbers(
        tmp_path: Path) -> None:
    page_file = tmp_path / "run.html"
    result = _cli("canary", "report", str(RUN_LOG), "--html", "-o", str(page_file))
    assert result.returncode == 0, result.stderr
    events = _events()
    with offline_browser() as driver:
        page = _open(driver, page_file)
    assert page["problems"] == [] and page["resources"] == []
    assert page["lines"] >= 6  # weights, tails, each rule and its threshold
    # weights: every weights event, then all on stable when the rollback was done
    weights = [e for e in events if e["kind"] == "weights"]
    done = next(e for e in events if e["kind"] == "rollback_done")
    canary = _series(page, "weight-canary")
    assert canary["x"] == [e["wall"] for e in weights] + [done["wall"]]
    assert canary["y"] == [e["data"]["canary"] for e in weights] + [0]
    assert page["drawn"]["weight-canary"] == pytest.approx(canary["y"], abs=0.6)
    # each rule: its value at every check and its threshold, as the log has them
    checks = [e for e in events if e["kind"] in ("check", "decision")]
    for rule in ("error-spike", "slow"):
        entries = [next(r for r in e["data"]["rules"] if r["name"] == rule) for e in checks]
        drawn = _series(page, f"rule-{rule}")
        assert drawn["x"] == [e["wall"] for e in checks]
        assert drawn["y"] == [r["number"] for r in entries]
        assert _series(page, f"threshold-{rule}")["y"][0] == entries[-1]["limit"]
        top = max(v for v in drawn["y"] if v is not None) or 1.0
        assert page["drawn"][f"rule-{rule}"] == pytest.approx(drawn["y"], abs=top * 0.01 + 1e-9)
    slow_threshold = _series(page, "threshold-slow")["y"][0]
    assert slow_threshold == 200.0
    # the alert and the decision, at their times
    alert = next(e for e in events if e["kind"] == "decision" and e["data"]["action"] == "alert")
    started = next(e for e in events if e["kind"] == "rollback_started")
    assert {"x": alert["wall"], "color": "#e6a700"} in page["shapes"]
    assert {"x": started["wall"], "color": "#b00020"} in page["shapes"]
    assert f"rollback decided {started['wall'][11:23]}" in page["text"]


def test_canary_report_reads_the_log_file_json_as_the_jsonl(tmp_path: Path) -> None:
    """`canary run --log-file` writes {"outcome", ..., "events"}: the same report."""
    doc = tmp_path / "run.json"
    doc.write_text(json.dumps({"outcome": "rolled_back", "events": _events()}, indent=2))
    from_json, from_jsonl = _cli("canary", "report", str(doc)), _cli("canary", "report",
                                                                       str(RUN_LOG))
    assert from_json.returncode == 0 and from_json.stdout == from_jsonl.stdout


def test_canary_report_refuses_what_is_not_a_run_log(tmp_path: Path) -> None:
    missing = _cli("canary", "report", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 2 and "no such run log" in missing.stderr
    garbage = tmp_path / "bad.jsonl"
    garbage.write_text('{"kind": "run_started", "t": 0, "wall": "x"}\nnot json\n')
    bad = _cli("canary", "report", str(garbage))
    assert bad.returncode == 2 and "bad.jsonl:2: not a JSON event" in bad.stderr
    other = tmp_path / "other.json"
    other.write_text('{"kind": "weights", "t": 0, "wall": "x"}\n')
    assert "starts with a run_started event" in _cli("canary", "report", str(other)).stderr
    both = _cli("canary", "report", str(RUN_LOG), "--html", "--json")
    assert both.returncode == 2 and "not both" in both.stderr


# --------------------------------------------------------------------------
# flags history, replayed against a real Prometheus
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rollout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PromServer, Path, float]]:
    base = tmp_path_factory.mktemp("rollout")
    end = scenario.end_time()
    state = base / "rollouts.json"
    scenario.write_state(state, end)
    with prometheus_servers(base) as start:
        yield start(scenario.openmetrics_text(end)), state, end


Rollout = tuple[PromServer, Path, float]


def _history(rollout: Rollout, *extra: str) -> subprocess.CompletedProcess[str]:
    prom, state, end = rollout
    until = dt.datetime.fromtimestamp(end, dt.UTC).isoformat()
    return _cli("flags", "history", scenario.PLAN, "-c", str(FLAGS), "-c", str(RULES),
                "--state", f"file:{state}", "--source", f"prometheus={prom.url}",
                "--until", until, "--every", "3h", *extra)


def _prom_value(prom: PromServer, query: str, at: float) -> float:
    body = urllib.parse.urlencode({"query": query, "time": f"{at:.3f}"}).encode()
    with urllib.request.urlopen(prom.url + "/api/v1/query", body, timeout=10) as r:
        result = json.load(r)["data"]["result"]
    return float(result[0]["value"][1])


def test_flags_history_text_lists_moves_and_the_gates_verdicts(
        rollout: tuple[PromServer, Path, float]) -> None:
    result = _history(rollout)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "staged-release: five since" in out and "moves: 4" in out
    assert "quarter -> five  by ci (scrubphi gate): gate rollback" in out
    assert "internal: promote: every check passed" in out
    assert "quarter: rollback: error_rate below failed on the flag-on cohort" in out


def test_flags_history_html_in_an_offline_browser_draws_the_moves_and_prometheus_values(
        rollout: tuple[PromServer, Path, float], tmp_path: Path) -> None:
    prom, _state, end = rollout
    page_file = tmp_path / "history.html"
    result = _history(rollout, "--html", "-o", str(page_file))
    assert result.returncode == 0, result.stderr
    with offline_browser() as driver:
        page = _open(driver, page_file)
    assert page["problems"] == [] and page["resources"] == []
    assert page["lines"] >= 4
    start = end - 10 * scenario.DAY
    share = _series(page, "moves")

    def iso(t: float) -> str:
        return dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec="seconds").replace(
            "+00:00", "Z")

    assert share["x"] == [iso(start + day * scenario.DAY) for day, *_ in scenario.MOVES]
    assert share["y"] == [0.0, 5.0, 25.0, 5.0]  # internal is an audience: 0% of everyone
    assert page["drawn"]["moves"] == pytest.approx(share["y"], abs=0.5)
    # the flag-on error rate the page drew is Prometheus's answer to the team's gate query
    on = _series(page, "error_rate-on")
    report = page["report"]["metrics"]["error_rate"]
    assert on["y"] == report["on"]
    query = ('(sum(increase(http_requests_total{flag_new_scheduling="on",code=~"5.."}[%s]))'
             ' or vector(0)) / sum(increase(http_requests_total{flag_new_scheduling="on"}[%s]))')
    checked = 0
    moves = [start + day * scenario.DAY for day, *_ in scenario.MOVES]
    for x, y in zip(on["x"], on["y"], strict=True):
        if y is None:
            continue
        t = dt.datetime.fromisoformat(x.replace("Z", "+00:00")).timestamp()
        began = max(m for m in moves if m <= t)
        window = f"{max(1, int(t - began))}s"
        assert y == pytest.approx(_prom_value(prom, query % (window, window), t), rel=1e-9)
        checked += 1
    assert checked > 40
    top = max(v for v in on["y"] if v is not None)
    assert page["drawn"]["error_rate-on"] == pytest.approx(on["y"], abs=top * 0.01)
    # the verdicts, and the rollback drawn at the audit log's time
    gate = page["report"]["gate"]
    assert "rollback" in gate["action"] and "promote" in gate["action"]
    assert {"x": iso(moves[3]), "color": "#b00020"} in page["shapes"]


def test_flags_history_bad_input_exits_non_zero(rollout: tuple[PromServer, Path, float],
                                                 tmp_path: Path) -> None:
    _prom, state, _end = rollout
    unknown = _cli("flags", "history", "nope", "-c", str(FLAGS), "--state", f"file:{state}")
    assert unknown.returncode == 8 and "unknown rollout plan 'nope'" in unknown.stderr
    no_state = _cli("flags", "history", scenario.PLAN, "-c", str(FLAGS))
    assert no_state.returncode == 2 and "--state is required" in no_state.stderr
    bad_every = _cli("flags", "history", scenario.PLAN, "-c", str(FLAGS), "--state",
                     f"file:{state}", "--every", "5")
    assert bad_every.returncode == 2 and "--every" in bad_every.stderr
    down = _cli("flags", "history", scenario.PLAN, "-c", str(FLAGS), "-c", str(RULES),
                "--state", f"file:{state}", "--source", "prometheus=http://127.0.0.1:9")
    assert down.returncode == 10 and "cannot replay the gate" in down.stderr
    assert "Connection refused" in down.stderr
    no_queries = _cli("flags", "history", scenario.PLAN, "-c", str(FLAGS), "--state",
                      f"file:{state}", "--source", "prometheus=http://127.0.0.1:9")
    assert no_queries.returncode == 10 and "no query for error_rate" in no_queries.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    bad_store = _cli("flags", "history", scenario.PLAN, "-c", str(FLAGS), "--state",
                     f"file:{broken}")
    assert bad_store.returncode == 6 and "not valid JSON" in bad_store.stderr


def test_the_run_log_has_every_check_with_the_values_the_rules_judged() -> None:
    """A run of the real controller (fake clock): one decision or check event per check,
    carrying the sampled values as numbers, so the report plots every one of them."""
    from test_canary_controller import Harness, healthy

    sampled: list[float] = []

    def values(s: float, w: int) -> dict[str, float]:
        ratio = 0.05 if w and s > 200 else 0.002 + s / 1e6
        sampled.append(ratio)
        return {**healthy(s, w), "http_5xx_ratio": ratio}

    h = Harness(values=values)
    assert h.drive() == "rolled_back"
    events = [e.as_dict() for e in h.ctrl.log.events]
    checks = [e for e in events if e["kind"] in ("check", "decision")]
    assert len(checks) == len(sampled) and len(sampled) > 10
    judged = [next(r for r in e["data"]["rules"] if r["name"] == "error-spike")["number"]
              for e in checks]
    assert judged == pytest.approx(sampled, rel=1e-12)
    from scrubphi.canary.report import parse_events

    run = parse_events(events)
    assert [r.value for c in run.checks for r in c.rules if r.name == "error-spike"] == judged
    assert run.outcome == "rolled_back" and run.decision is not None
    assert run.decision["kind"] == "rollback_started"
    assert run.weights[-1][2:] == (100, 0, "rollback")
