"""Rollback rules: boundaries as tables of series and expected decisions.

Every rule here is evaluated every 15s (the default interval).  A series is
written as a list of values, one per 15s from t=0; ``GAP`` leaves a sample
out, ``NAN`` is a sample that is not a number.  ``now`` is the time of the
last value unless a row says otherwise.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from scrubphi.errors import PolicyError
from scrubphi.metrics import Series
from scrubphi.policy import load_policy, loads_policy
from scrubphi.rollback import (
    Decision,
    RollbackMonitor,
    RuleSet,
    evaluate,
    rules_from_mapping,
    rules_from_policy,
)

ROOT = Path(__file__).resolve().parents[1]
RULES_FILE = ROOT / "rollback" / "rules.yaml"
GAP = object()
NAN = math.nan
STEP = 15.0


def rules(**rule: Any) -> RuleSet:
    """One rule named ``r`` on metric ``m`` (plus section defaults given as ``_key``)."""
    section = {k[1:]: rule.pop(k) for k in list(rule) if k.startswith("_")}
    body = {"name": "r", "metric": "m", "action": "rollback", **rule}
    section.setdefault("min_samples", 1)
    return rules_from_mapping({"rules": [body], **section})


def series(values: list[Any], start: float = 0.0) -> list[tuple[float, float]]:
    return [(start + i * STEP, v) for i, v in enumerate(values) if v is not GAP]


def decide(rs: RuleSet, values: list[Any], now: float | None = None) -> Decision:
    at = (len(values) - 1) * STEP if now is None else now
    return evaluate(rs, {"m": series(values)}, at)


LOW, HIGH = 0.005, 0.02  # below and above 1%

THRESHOLD_TABLE = [
    # (id, comparison, threshold, value, expected action)
    ("above-exactly-at", "above", "1%", 0.01, "ok"),
    ("above-just-over", "above", "1%", 0.0100001, "rollback"),
    ("above-under", "above", "1%", 0.0099999, "ok"),
    ("above-number-at", "above", 2000, 2000.0, "ok"),
    ("above-number-over", "above", 2000, 2000.001, "rollback"),
    ("below-exactly-at", "below", 5, 5.0, "ok"),
    ("below-just-under", "below", 5, 4.999, "rollback"),
    ("above-infinity", "above", 2000, math.inf, "rollback"),
]


@pytest.mark.parametrize(
    ("comparison", "threshold", "value", "expected"),
    [row[1:] for row in THRESHOLD_TABLE],
    ids=[row[0] for row in THRESHOLD_TABLE],
)
def test_threshold_is_strict(comparison: str, threshold: Any, value: float, expected: str) -> None:
    """`above` is strictly greater and `below` strictly less: the threshold itself passes."""
    rs = rules(**{comparison: threshold, "for": "0s"})
    assert decide(rs, [value]).action == expected


WINDOW_TABLE = [
    # (id, values every 15s, expected action, expected state) for `for: 2m` (9 evaluations)
    ("breach-105s-pending", [LOW] * 3 + [HIGH] * 8, "ok", "pending"),
    ("breach-exactly-120s-fires", [LOW] * 3 + [HIGH] * 9, "rollback", "firing"),
    ("breach-135s-fires", [LOW] * 3 + [HIGH] * 10, "rollback", "firing"),
    ("one-good-evaluation-resets", [HIGH] * 5 + [LOW] + [HIGH] * 8, "ok", "pending"),
    ("good-now", [HIGH] * 12 + [LOW], "ok", "ok"),
    ("breach-over-then-good", [HIGH] * 9 + [LOW] * 2, "ok", "ok"),
]


@pytest.mark.parametrize(
    ("values", "action", "state"),
    [row[1:] for row in WINDOW_TABLE],
    ids=[row[0] for row in WINDOW_TABLE],
)
def test_for_window_boundaries(values: list[Any], action: str, state: str) -> None:
    """`for: 2m` fires exactly when the condition held at every evaluation for 2 minutes."""
    result = decide(rules(above="1%", **{"for": "2m"}), values)
    assert (result.action, result.rule("r").state) == (action, state)


def test_for_window_not_a_multiple_of_the_interval() -> None:
    """`for: 100s` at 15s needs 7 intervals (105s): it never fires before 100s have passed."""
    rs = rules(above="1%", **{"for": "100s"})
    assert rs.rules[0].size == 8
    assert decide(rs, [LOW] + [HIGH] * 7).action == "ok"
    assert decide(rs, [LOW] + [HIGH] * 8).action == "rollback"


def test_window_uses_now_not_the_last_sample() -> None:
    """A breach whose samples stopped is judged at `now`: the later evaluations are missing."""
    values = [HIGH] * 9
    rs = rules(above="1%", _missing_data="not_breaching", **{"for": "2m"})
    assert decide(rs, values, now=8 * STEP).action == "rollback"
    assert decide(rs, values, now=9 * STEP).action == "ok"


MISSING_TABLE = [
    # (id, missing_data, values, expected action) for `for: 2m`
    ("gap-breaching", "breaching", [HIGH] * 4 + [GAP] + [HIGH] * 4, "rollback"),
    ("gap-not-breaching", "not_breaching", [HIGH] * 4 + [GAP] + [HIGH] * 4, "ok"),
    ("gap-inconclusive", "inconclusive", [HIGH] * 4 + [GAP] + [HIGH] * 4, "inconclusive"),
    ("gap-ignore-reaches-back", "ignore", [HIGH] * 5 + [GAP] + [HIGH] * 4, "rollback"),
    ("gap-ignore-not-enough", "ignore", [HIGH] * 4 + [GAP] + [HIGH] * 4, "inconclusive"),
    ("nan-breaching", "breaching", [HIGH] * 4 + [NAN] + [HIGH] * 4, "rollback"),
    ("nan-not-breaching", "not_breaching", [HIGH] * 4 + [NAN] + [HIGH] * 4, "ok"),
    ("nan-inconclusive", "inconclusive", [HIGH] * 4 + [NAN] + [HIGH] * 4, "inconclusive"),
    ("gap-inconclusive-but-good-seen", "inconclusive", [LOW] * 4 + [GAP] + [HIGH] * 4,
     "ok"),
    ("all-missing-breaching", "breaching", [GAP] * 9, "rollback"),
    ("all-missing-inconclusive", "inconclusive", [GAP] * 9, "inconclusive"),
    ("all-nan-ignore", "ignore", [NAN] * 9, "inconclusive"),
]


@pytest.mark.parametrize(
    ("missing", "values", "expected"),
    [row[1:] for row in MISSING_TABLE],
    ids=[row[0] for row in MISSING_TABLE],
)
def test_missing_data(missing: str, values: list[Any], expected: str) -> None:
    """A gap of one sample or a NaN is handled as `missing_data` says, never silently passed."""
    rs = rules(above="1%", missing_data=missing, **{"for": "2m"})
    assert decide(rs, values).action == expected


def test_all_nan_never_passes_with_default_settings() -> None:
    """Defaults (missing_data inconclusive, min_samples 1): NaN and empty results never pass."""
    rs = rules_from_mapping(
        {"rules": [{"name": "r", "metric": "m", "above": 1, "for": "1m", "action": "rollback"}]}
    )
    assert evaluate(rs, {"m": series([NAN] * 10)}, 135.0).action == "inconclusive"
    assert evaluate(rs, {"m": []}, 135.0).action == "inconclusive"
    assert evaluate(rs, {}, 135.0).action == "inconclusive"


MIN_SAMPLES_TABLE = [
    # (id, values, expected action) with min_samples 5 and `for: 30s` (3 evaluations)
    ("four-good-samples", [LOW] * 4, "inconclusive"),
    ("exactly-five-good", [LOW] * 5, "ok"),
    ("five-with-one-nan", [LOW] * 4 + [NAN] + [LOW], "ok"),
    ("four-and-a-nan", [LOW] * 3 + [NAN] + [LOW], "inconclusive"),
    ("few-but-firing", [HIGH] * 3, "rollback"),
]


@pytest.mark.parametrize(
    ("values", "expected"),
    [row[1:] for row in MIN_SAMPLES_TABLE],
    ids=[row[0] for row in MIN_SAMPLES_TABLE],
)
def test_min_samples(values: list[Any], expected: str) -> None:
    """Below min_samples a rule cannot pass; a firing rule still fires (fail safe)."""
    rs = rules(above="1%", min_samples=5, missing_data="not_breaching", **{"for": "30s"})
    assert decide(rs, values).action == expected


COUNT_TABLE = [
    # (id, window, values, expected action)
    ("consecutive-2-of-3", {"consecutive": 3}, [LOW, HIGH, HIGH], "ok"),
    ("consecutive-3", {"consecutive": 3}, [LOW, HIGH, HIGH, HIGH], "rollback"),
    ("consecutive-broken", {"consecutive": 3}, [HIGH, HIGH, LOW, HIGH, HIGH], "ok"),
    ("m-of-n-exactly-m", {"m_of_n": [3, 5]}, [HIGH, LOW, HIGH, LOW, HIGH], "rollback"),
    ("m-of-n-one-short", {"m_of_n": [3, 5]}, [HIGH, LOW, LOW, LOW, HIGH, HIGH], "ok"),
    ("m-of-n-old-breach-out", {"m_of_n": [3, 5]}, [HIGH, LOW, LOW, HIGH, LOW, HIGH], "ok"),
]


@pytest.mark.parametrize(
    ("window", "values", "expected"),
    [row[1:] for row in COUNT_TABLE],
    ids=[row[0] for row in COUNT_TABLE],
)
def test_consecutive_and_m_of_n(window: dict[str, Any], values: list[Any], expected: str) -> None:
    """`consecutive: N` needs the last N; `m_of_n: [M, N]` M of the last N evaluations."""
    assert decide(rules(above="1%", **window), values).action == expected


def test_m_of_n_with_unknowns() -> None:
    """m_of_n fires when the known breaches suffice, and is inconclusive when unknowns decide."""
    rs = rules(above="1%", m_of_n=[3, 5], missing_data="inconclusive")
    assert decide(rs, [HIGH, GAP, HIGH, GAP, HIGH]).action == "rollback"
    assert decide(rs, [HIGH, GAP, LOW, GAP, HIGH]).action == "inconclusive"
    assert decide(rs, [LOW, GAP, LOW, LOW, HIGH]).action == "ok"


ALERT_TABLE = [
    # (id, grace, values, expected action) for alert_then_rollback with `for: 1m` (5 evals)
    ("first-breach-alerts", None, [LOW] * 3 + [HIGH], "alert"),
    ("held-1m-rolls-back", None, [LOW] * 3 + [HIGH] * 5, "rollback"),
    ("grace-fires-alerts", "30s", [LOW] * 3 + [HIGH] * 5, "alert"),
    ("grace-pending-ok", "30s", [LOW] * 3 + [HIGH] * 4, "ok"),
    ("grace-one-short", "30s", [LOW] * 3 + [HIGH] * 6, "alert"),
    ("grace-held-rolls-back", "30s", [LOW] * 3 + [HIGH] * 7, "rollback"),
]


@pytest.mark.parametrize(
    ("grace", "values", "expected"),
    [row[1:] for row in ALERT_TABLE],
    ids=[row[0] for row in ALERT_TABLE],
)
def test_alert_then_rollback(grace: str | None, values: list[Any], expected: str) -> None:
    """Without grace: alert at the first breach, roll back when `for` held; with grace later."""
    extra = {"grace": grace} if grace else {}
    rs = rules(above="1%", action="alert_then_rollback", **{"for": "1m"}, **extra)
    assert decide(rs, values).action == expected


def test_provider_error_is_inconclusive_not_a_pass() -> None:
    """A failed series makes its rule `error` / inconclusive; other rules still decide."""
    rs = rules_from_mapping({"rules": [
        {"name": "a", "metric": "m", "above": "1%", "for": "0s", "action": "rollback"},
        {"name": "b", "metric": "n", "above": "1%", "for": "0s", "action": "rollback_now"},
    ]})
    decision = evaluate(rs, {"m": Series.failed("HTTP 503"), "n": [(0.0, 0.0)]}, 0.0)
    assert decision.action == "inconclusive"
    assert decision.rule("a").state == "error"
    assert "HTTP 503" in decision.explain()
    decision = evaluate(rs, {"m": Series.failed("HTTP 503"), "n": [(0.0, 0.5)]}, 0.0)
    assert decision.action == "rollback_now"


def test_decision_words_and_dict() -> None:
    """The deploy-log text names the rule, state, comparison, threshold, window and values."""
    rs = rules(above="1%", **{"for": "2m"})
    decision = decide(rs, [LOW] * 3 + [HIGH] * 9)
    text = str(decision)
    assert text.startswith("rollback at 1970-01-01T00:02:45+00:00 (because of r)")
    assert "r: firing -> rollback" in text
    assert "m above 1% (strictly greater) at every evaluation for 2m (9 evaluations" in text
    assert "2%, 2%" in text
    data = json.loads(json.dumps(decision.to_dict()))
    assert data["action"] == "rollback"
    rule = data["rules"][0]
    assert (rule["threshold"], rule["comparison"], rule["window"]["evaluations"]) == (
        0.01, "above", 9)
    assert rule["values"][-1] == [165.0, 0.02]


def test_monitor_matches_evaluate_and_stays_bounded() -> None:
    """The monitor fed sample by sample decides exactly what `evaluate` decides on the series."""
    rs = rules(above="1%", min_samples=3, missing_data="not_breaching", **{"for": "1m"})
    values = [LOW] * 50 + [HIGH] * 3 + [GAP] + [HIGH] * 6 + [NAN] + [LOW] * 30 + [HIGH] * 8
    now = [0.0]
    monitor = RollbackMonitor(rs, clock=lambda: now[0])
    points = series(values)
    seen: list[tuple[float, float]] = []
    for i in range(len(values)):
        now[0] = i * STEP
        for p in points:
            if p[0] == now[0]:
                monitor.observe("m", p[0], p[1])
                seen.append(p)
        ticked = monitor.tick()
        assert ticked.to_dict() == evaluate(rs, {"m": seen}, now[0]).to_dict()
        assert len(monitor._points["m"]) <= 7
    assert monitor.last is not None and monitor.last.action == "rollback"


def test_monitor_error_then_recovery() -> None:
    """A source error makes the monitor inconclusive until the next sample arrives."""
    rs = rules(above="1%", **{"for": "0s"})
    monitor = RollbackMonitor(rs, clock=lambda: 30.0)
    monitor.observe("m", 30.0, LOW)
    monitor.observe_error("m", "timeout")
    assert monitor.tick().action == "inconclusive"
    monitor.observe("m", 30.0, LOW)
    assert monitor.tick().action == "ok"


POLICY_ERRORS = [
    # (id, rule yaml lines, expected message fragment, line, column)
    ("unknown-key", "above: 1%\n      for: 2m\n      acton: rollback", "unknown key acton", 8, 7),
    ("two-thresholds", "above: 1%\n      below: 2%\n      for: 2m\n      action: rollback",
     "exactly one threshold", 4, 7),
    ("bad-percent", "above: 120%\n      for: 2m\n      action: rollback", "more than 100%", 6, 7),
    ("no-window", "above: 1%\n      action: rollback", "exactly one window", 4, 7),
    ("bare-number-for", "above: 1%\n      for: 5\n      action: rollback", "a duration", 7, 7),
    ("bad-m-of-n", "above: 1%\n      m_of_n: [5, 3]\n      action: rollback", "1 <= M <= N",
     7, 7),
    ("bad-action", "above: 1%\n      for: 2m\n      action: revert", "action must be one of",
     8, 7),
    ("grace-needs-alert", "above: 1%\n      for: 2m\n      action: rollback\n      grace: 1m",
     "grace only applies", 9, 7),
    ("zero-min-samples", "above: 1%\n      for: 2m\n      action: rollback\n      min_samples: 0",
     "at least 1", 9, 7),
]


@pytest.mark.parametrize(
    ("body", "fragment", "line", "column"),
    [row[1:] for row in POLICY_ERRORS],
    ids=[row[0] for row in POLICY_ERRORS],
)
def test_policy_errors_name_file_line_column(body: str, fragment: str, line: int,
                                             column: int) -> None:
    """A typo in a rule is an error at its file:line:column, never a rule silently off."""
    text = f"version: 1\nrollback:\n  rules:\n    - name: r\n      metric: m\n      {body}\n"
    with pytest.raises(PolicyError) as info:
        rules_from_policy(loads_policy(text, "p.yaml"))
    assert fragment in str(info.value)
    assert str(info.value).startswith(f"p.yaml:{line}:{column}: rollback.rules[0]")


SECTION_ERRORS = [
    ("literal-key", "  sources:\n    datadog: {api_key: abc123}\n",
     "p.yaml:4:15: rollback.sources.datadog.api_key: a secret must be a reference"),
    ("unknown-placeholder", "  metrics:\n    m: {prometheus: 'rate(x[$win])'}\n",
     "p.yaml:4:9: rollback.metrics.m.prometheus: unknown placeholder $win"),
    ("cohort-in-rule-metric", "  metrics:\n    m: {prometheus: 'x{c=\"$cohort\"}'}\n",
     "p.yaml:7:7: rollback.rules[0].metric: metric m uses $cohort"),
    ("bad-missing-data", "  missing_data: pass\n",
     "p.yaml:3:3: rollback.missing_data: missing_data must be one of"),
]


@pytest.mark.parametrize(
    ("extra", "expected"), [row[1:] for row in SECTION_ERRORS],
    ids=[row[0] for row in SECTION_ERRORS],
)
def test_section_errors(extra: str, expected: str) -> None:
    """Section keys are checked as strictly as rules, and secrets are never literals."""
    text = ("version: 1\nrollback:\n  rules:\n    - name: r\n      metric: m\n"
            "      above: 1%\n      for: 2m\n      action: rollback\n")
    lines = text.splitlines(keepends=True)
    text = "".join(lines[:2]) + extra + "".join(lines[2:])
    with pytest.raises(PolicyError) as info:
        rules_from_policy(loads_policy(text, "p.yaml"))
    assert str(info.value).startswith(expected)
    assert "abc123" not in str(info.value)


# -- the team's rules (rollback/rules.yaml) ----------------------------------------


@pytest.fixture(scope="module")
def team() -> RuleSet:
    return rules_from_policy(load_policy(RULES_FILE))


def test_team_rules_file(team: RuleSet) -> None:
    """rollback/rules.yaml holds exactly the team's three triggers, as agreed."""
    got = {(r.name, r.metric, r.comparison, r.threshold, r.duration, r.action) for r in team}
    assert got == {
        ("error-spike", "http_5xx_ratio", "above", 0.01, 120.0, "rollback"),
        ("slow", "latency_p99_ms", "above", 2000.0, 300.0, "alert_then_rollback"),
        ("health", "health_check_failure_ratio", "above", 0.2, 60.0, "rollback_now"),
    }
    assert (team.missing_data, team.min_samples, team.interval) == ("breaching", 20, 15.0)
    for rule in team:
        assert rule.metric in team.metrics and "prometheus" in team.metrics[rule.metric].queries


def _team_series(spike_metric: str, spike: float, spike_evals: int,
                 after: int = 0) -> tuple[dict[str, list[tuple[float, float]]], float]:
    """30 good evaluations of every metric, then ``spike_evals`` of ``spike`` on one."""
    normal = {"http_5xx_ratio": 0.001, "latency_p99_ms": 300.0, "health_check_failure_ratio": 0.0}
    total = 30 + spike_evals + after
    data = {}
    for metric, good in normal.items():
        values = [good] * total
        if metric == spike_metric:
            values[30:30 + spike_evals] = [spike] * spike_evals
        data[metric] = series(values)
    return data, (30 + spike_evals - 1) * STEP


def test_team_5xx_spike_of_90s_does_not_roll_back(team: RuleSet) -> None:
    """A 5xx spike lasting 90 s (7 evaluations) stays pending: no rollback."""
    data, now = _team_series("http_5xx_ratio", 0.05, 7)
    decision = evaluate(team, data, now)
    assert decision.action == "ok"
    assert decision.rule("error-spike").state == "pending"


def test_team_5xx_spike_of_2m_rolls_back(team: RuleSet) -> None:
    """A 5xx spike lasting 2 minutes (9 evaluations, 120 s) rolls back."""
    data, now = _team_series("http_5xx_ratio", 0.05, 9)
    assert evaluate(team, data, now).action == "rollback"


def test_team_slow_p99_alerts_then_rolls_back_at_5m(team: RuleSet) -> None:
    """p99 over 2000 ms alerts from the first breach and rolls back once it has held 5 min."""
    actions = []
    for n in (1, 10, 20, 21):
        data, now = _team_series("latency_p99_ms", 2500.0, n)
        actions.append(evaluate(team, data, now).action)
    assert actions == ["alert", "alert", "alert", "rollback"]


def test_team_health_failures_roll_back_at_once(team: RuleSet) -> None:
    """25% health-check failures for 1 minute (5 evaluations) is rollback_now."""
    data, now = _team_series("health_check_failure_ratio", 0.25, 5)
    assert evaluate(team, data, now).action == "rollback_now"
    data, now = _team_series("health_check_failure_ratio", 0.25, 4)
    assert evaluate(team, data, now).action == "ok"


def test_team_health_in_first_minute_of_a_deploy(team: RuleSet) -> None:
    """Right after a deploy (fewer than min_samples samples) a failing health rule still fires."""
    data = {
        "http_5xx_ratio": series([0.0] * 5),
        "latency_p99_ms": series([100.0] * 5),
        "health_check_failure_ratio": series([0.5] * 5),
    }
    decision = evaluate(team, data, 4 * STEP)
    assert decision.action == "rollback_now"
    assert decision.rule("error-spike").state == "inconclusive"
