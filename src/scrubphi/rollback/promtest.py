"""``promtool test rules`` cases that hold the exported alerts to the library's decisions.

A *scenario* is the value of every watched metric at each evaluation
(``None``: no data, NaN: a NaN sample).  For each scenario the library
evaluates every rule (:func:`~scrubphi.rollback.engine.evaluate_rule`, the
code ``rollback-check`` runs) at every evaluation time, and the expected state
of each exported alert (inactive, pending, firing) is derived from that
result; the generated test file feeds the same values to Prometheus's rule
engine as the recorded series ``scrubphi:METRIC`` and asserts, at every
evaluation time, the ``ALERTS`` series (pending and firing) and, where an
alert changes, its labels and annotations.  ``promtool test rules FILE``
passing means Prometheus and the library agree at every evaluation.

The library is asked about the rule as exported (:func:`prometheus_rule`:
settings Prometheus cannot express replaced by the nearest it can, as the
export's comments say), and only from the first evaluation at which
Prometheus has made as many evaluations as the longest window looks at (the
library counts evaluations before the first as missing data; Prometheus never
made them).
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scrubphi.rollback.engine import RuleResult, evaluate_rule
from scrubphi.rollback.export import (
    ExportedAlert,
    ExportOptions,
    alert_annotations,
    alert_labels,
    alerts_for,
    duration_text,
    prometheus_rule,
    recorded_name,
)
from scrubphi.rollback.policy import Rule, RuleSet

__all__ = ["Scenario", "alert_states", "promtool_tests", "standard_scenarios"]

Value = float | None


@dataclass(frozen=True)
class Scenario:
    """Values per metric at evaluations 0, 1, 2, ... (every ``interval`` from time 0)."""

    name: str
    values: Mapping[str, Sequence[Value]]
    check_from: int = 0

    @property
    def length(self) -> int:
        return max((len(v) for v in self.values.values()), default=0)


def _lookback(rule: Rule) -> int:
    """Evaluations the library looks at for ``rule`` as exported."""
    return rule.size + rule.grace_evals


def _good_bad(rule: Rule) -> tuple[float, float]:
    t = rule.threshold
    low, high = (t / 2, t * 2) if t > 0 else (t - 1, t + 1)
    return (low, high) if rule.comparison == "above" else (high, low)


def standard_scenarios(rules: RuleSet, *, seed: int = 19) -> list[Scenario]:
    """Scenarios for every rule: a sustained breach, short spikes, a value exactly at the
    threshold, gaps and NaNs inside a breach, no data at all, flapping, and a seeded random
    walk over all of these."""
    exported = [prometheus_rule(r)[0] for r in rules.rules]
    if not exported:
        return []
    warm = max(_lookback(r) for r in exported)
    rng = random.Random(seed)
    background: dict[str, float] = {}
    for rule in exported:
        background.setdefault(rule.metric, _good_bad(rule)[0])
    out: list[Scenario] = []
    for rule in exported:
        good, bad = _good_bad(rule)
        tokens = {"g": good, "b": bad, "t": rule.threshold, "n": math.nan, "m": None}
        n, long = rule.size, _lookback(rule)
        half = max(1, n // 2)
        patterns = {
            "sustained": "b" * (long + 3) + "g" * 4,
            "short": ("b" * (n - 1) + "g" * 3) * 2,
            "exact": "b" * half + "t" + "b" * (long + 1) + "g" * 2,
            "gap": "b" * half + "m" + "b" * (long + 1) + "n" + "b" * (long + 1) + "g" * 2,
            "nodata": "m" * (long + 2) + "g" * 3 + "n" * (long + 2) + "g" * 2,
            "flapping": "bg" * (n + 1) + "bbg" * (n + 1),
            "random": "".join(rng.choice("gbbbtmn") for _ in range(3 * long + 6)),
        }
        for label, pattern in patterns.items():
            series: dict[str, list[Value]] = {}
            total = warm + len(pattern)
            for metric, value in background.items():
                series[metric] = [value for _ in range(total)]
            focal: list[Value] = [good] * warm
            focal += [tokens[c] for c in pattern]
            series[rule.metric] = focal
            out.append(Scenario(f"{rule.name}/{label}", series, check_from=warm - 1))
    return out


def _series(values: Sequence[Value], interval: float) -> list[tuple[float, float]]:
    return [(k * interval, v) for k, v in enumerate(values) if v is not None]


def _state(alert: ExportedAlert, result: RuleResult) -> str:
    """The state Prometheus must show for ``alert`` when the library says ``result``."""
    if alert.kind == "breaching":
        return "firing" if result.action in ("alert", "rollback", "rollback_now") else "inactive"
    if alert.kind == "grace":
        if result.action == "rollback":
            return "firing"
        return "pending" if result.state in ("pending", "firing") else "inactive"
    if result.state == "firing":
        return "firing"
    if result.state == "pending" and alert.evaluations > 1:
        return "pending"
    if result.state in ("ok", "pending"):
        return "inactive"
    raise ValueError(f"rule {result.name} is {result.state} at an evaluation: the exported "
                     "rule should never be")


def alert_states(rules: RuleSet, scenario: Scenario) -> list[tuple[float, dict[str, str]]]:
    """Per evaluation time from ``check_from``: every exported alert's expected state."""
    exported = [prometheus_rule(r)[0] for r in rules.rules]
    out: list[tuple[float, dict[str, str]]] = []
    for k in range(scenario.check_from, scenario.length):
        now = k * rules.interval
        states: dict[str, str] = {}
        for rule in exported:
            series = _series(scenario.values.get(rule.metric, ()), rules.interval)
            result = evaluate_rule(rule, series, now)
            for alert in alerts_for(rule):
                states[alert.name] = _state(alert, result)
        out.append((now, states))
    return out


def _value_text(value: Value) -> str:
    if value is None:
        return "_"
    if math.isnan(value):
        return "NaN"
    return repr(float(value))


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def promtool_tests(rules: RuleSet, scenarios: Sequence[Scenario], rule_file: str,
                   options: ExportOptions) -> str:
    """The ``promtool test rules`` file (YAML) for ``scenarios`` against ``rule_file``."""
    interval = duration_text(rules.interval)
    alerts: dict[str, tuple[ExportedAlert, Rule]] = {}
    for original in rules.rules:
        for alert in alerts_for(prometheus_rule(original)[0]):
            alerts[alert.name] = (alert, original)
    lines = [
        "# promtool test rules cases generated by `scrubphi rollback export --format "
        "promtool-tests`:",
        "# the expected alerts at every evaluation are the library's decisions on the same "
        "values.",
        f"rule_files: [{_q(rule_file)}]",
        f"evaluation_interval: {interval}",
        "tests:",
    ]
    lookback = duration_text(rules.interval - 0.001)
    for scenario in scenarios:
        lines += [f"  - name: {_q(scenario.name)}", f"    interval: {interval}",
                  "    input_series:"]
        for metric, values in scenario.values.items():
            lines += [f"      - series: {_q(recorded_name(metric))}",
                      f"        values: {_q(' '.join(_value_text(v) for v in values))}"]
        expected = alert_states(rules, scenario)
        lines.append("    promql_expr_test:")
        for now, states in expected:
            lines += [
                "      - expr: " + _q("count by (alertname, alertstate) "
                                      f"(last_over_time(ALERTS[{lookback}]))"),
                f"        eval_time: {duration_text(now)}",
                "        exp_samples:" + ("" if any(s != "inactive" for s in states.values())
                                          else " []"),
            ]
            for name, state in sorted(states.items()):
                if state != "inactive":
                    labels = "{alertname=" + _q(name) + ", alertstate=" + _q(state) + "}"
                    lines += [f"          - labels: {_q(labels)}", "            value: 1"]
        lines.append("    alert_rule_test:")
        previous: dict[str, str] = {}
        for now, states in expected:
            for name, state in sorted(states.items()):
                firing = state == "firing"
                if name in previous and (previous[name] == "firing") == firing:
                    continue
                alert, original = alerts[name]
                lines += [f"      - eval_time: {duration_text(now)}",
                          f"        alertname: {_q(name)}",
                          "        exp_alerts:" + ("" if firing else " []")]
                if firing:
                    lines.append("          - exp_labels:")
                    lines += [f"              {k}: {_q(v)}"
                              for k, v in alert_labels(alert, options).items()]
                    lines.append("            exp_annotations:")
                    lines += [f"              {k}: {_q(v)}" for k, v in
                              alert_annotations(alert, options, original).items()]
            previous = states
    return "\n".join(lines) + "\n"
