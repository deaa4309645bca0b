"""Rollout gates as pure calls on the team's staged-release plan (flags/flags.yaml)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from scrubphi.flags import FlagClient, StaticState, rollout_plans
from scrubphi.flags.state import FileStateStore, RolloutState, StateConflict
from scrubphi.gates import PhaseMetrics, apply, collect, decide
from scrubphi.metrics import MemorySource
from scrubphi.policy import load_policy, loads_policy
from scrubphi.rollback import rules_from_policy

ROOT = Path(__file__).resolve().parents[1]
PLAN = rollout_plans(load_policy(ROOT / "flags" / "flags.yaml"))["staged-release"]
START = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
DAY = 86400.0


def state(phase: int | None, version: int = 2) -> RolloutState:
    return RolloutState("staged-release", phase, START, version)


GATE_TABLE = [
    # (id, phase, days since start, metrics, action, target)
    ("internal-no-errors-3d", 0, 3, {"error_rate": {"on": 0.0}, "requests": 200}, "promote", 1),
    ("internal-3-requests-3d", 0, 3, {"error_rate": {"on": 0.0}, "requests": 3}, "hold", None),
    ("internal-no-count-3d", 0, 3, {"error_rate": {"on": 0.0}}, "hold", None),
    ("internal-one-error", 0, 1, {"error_rate": {"on": 0.0001}, "requests": 300}, "rollback",
     None),
    ("internal-too-soon", 0, 2.999, {"error_rate": {"on": 0.0}}, "hold", None),
    ("five-at-threshold", 1, 3, {"error_rate": {"on": 0.001}, "requests": 1000}, "rollback", 0),
    ("five-just-under", 1, 3, {"error_rate": {"on": 0.00099}, "requests": 1000}, "promote", 2),
    ("five-999-requests", 1, 3, {"error_rate": {"on": 0.0}, "requests": 999}, "hold", None),
    ("five-bad-few-requests", 1, 1, {"error_rate": {"on": 0.5}, "requests": 10}, "hold", None),
    ("five-bad-early", 1, 1, {"error_rate": {"on": 0.01, "off": 0.0001}, "requests": 5000},
     "rollback", 0),
    ("five-both-bad", 1, 4, {"error_rate": {"on": 0.01, "off": 0.02}, "requests": 5000},
     "hold", None),
    ("five-no-value", 1, 4, {"requests": 5000}, "hold", None),
    ("five-nan", 1, 4, {"error_rate": {"on": float("nan")}, "requests": 5000}, "hold", None),
    ("five-provider-error", 1, 4, {"error_rate": {"on": None, "error": "HTTP 503"},
                                   "requests": 5000}, "hold", None),
    ("quarter-good", 2, 3, {"error_rate": {"on": 0.0002, "off": 0.0003}, "requests": 40000},
     "promote", 3),
    ("last-phase", 3, 30, {}, "hold", None),
]


@pytest.mark.parametrize(("phase", "days", "metrics", "action", "target"),
                         [row[1:] for row in GATE_TABLE], ids=[row[0] for row in GATE_TABLE])
def test_gate_table(phase: int, days: float, metrics: dict, action: str,  # type: ignore[type-arg]
                    target: int | None) -> None:
    """Thresholds (below is strict, max inclusive), min_requests, min_duration, cohorts."""
    decision = decide(PLAN, state(phase), metrics, START.timestamp() + days * DAY)
    assert (decision.action, decision.target) == (action, target), decision.explain()


def test_gate_explains_values_and_thresholds() -> None:
    """The reasons carry the values, the comparison and the threshold."""
    decision = decide(PLAN, state(1), {"error_rate": {"on": 0.002, "off": 0.0001},
                                       "requests": 1500}, START.timestamp() + DAY)
    text = str(decision)
    assert text.startswith("rollback: staged-release (phase five)")
    assert "flag on 0.2% is not < 0.1% (flag off: 0.01%)" in text
    assert "1500 flag-on requests in the phase (given), 1000 needed" in text
    assert decision.to_dict()["checks"][1]["threshold"] == 0.001


def test_not_running_holds() -> None:
    """A plan that is not running is never started by a gate."""
    assert decide(PLAN, state(None), {}, START).action == "hold"


def test_on_failure_pause_holds_and_apply_moves_nothing(tmp_path: Path) -> None:
    """on_failure: pause turns a failure into a hold marked failed; apply leaves the state."""
    text = (ROOT / "flags" / "flags.yaml").read_text().replace("on_failure: rollback",
                                                               "on_failure: pause")
    plan = rollout_plans(loads_policy(text))["staged-release"]
    decision = decide(plan, state(1), {"error_rate": {"on": 0.5}, "requests": 5000},
                      START.timestamp() + DAY)
    assert (decision.action, decision.failed) == ("hold", True)
    store = FileStateStore(tmp_path / "s.json")
    assert apply(decision, store, plan, actor="ci") is None
    assert store.get("staged-release").version == 0


def test_apply_promotes_with_expected_version(tmp_path: Path) -> None:
    """apply moves through the store with the version decided on; a stale decision conflicts."""
    store = FileStateStore(tmp_path / "s.json")
    store.start("staged-release", actor="op", reason="go")
    current = store.get("staged-release")
    decision = decide(PLAN, current, {"error_rate": {"on": 0.0}, "requests": 500},
                      current.started_at.timestamp() + 3 * DAY)  # type: ignore[union-attr]
    moved = apply(decision, store, PLAN, actor="ci")
    assert moved is not None and moved.phase == 1
    assert store.history("staged-release")[-1].reason.startswith("gate promote")
    with pytest.raises(StateConflict):
        apply(decision, store, PLAN, actor="ci")


def test_collect_reads_exposures_and_memory_metrics() -> None:
    """min_requests comes from FlagClient.exposures() of the live phase; values per cohort."""
    policy = load_policy(ROOT / "flags" / "flags.yaml", ROOT / "rollback" / "rules.yaml")
    client = FlagClient.from_policy(policy, state=StaticState({"staged-release": 1}))
    for i in range(1200):
        client.is_enabled("new-scheduling", {"userId": str(i)})
    on = client.exposures()["new-scheduling"]["phases"]["five"]["yes"]
    assert 0 < on < 1200
    queries = dict(rules_from_policy(policy).metrics)
    source = MemorySource({"error_rate:on": [(START.timestamp() + DAY, 0.0002)],
                           "error_rate:off": [(START.timestamp() + DAY, 0.0001)]})
    from scrubphi.rollback import MetricQuery

    queries["error_rate"] = MetricQuery("error_rate", {"memory": "error_rate:$cohort"})
    metrics = collect(PLAN, state(1), START.timestamp() + DAY, source=source, queries=queries,
                      exposures=client.exposures(), flag="new-scheduling")
    assert metrics.requests == on and metrics.requests_from.startswith("exposures")
    assert (metrics.values["error_rate"].on, metrics.values["error_rate"].off) == (0.0002, 0.0001)
    assert isinstance(metrics, PhaseMetrics)


NOT_NUMBERS: list[object] = [float("nan"), float("inf"), float("-inf"), "1500", "lots", True,
                             [1500], {"n": 1}]


@pytest.mark.parametrize("bad", NOT_NUMBERS, ids=repr)
def test_non_numbers_hold_and_never_raise(bad: object) -> None:
    """NaN, infinities, strings and other non-numbers hold with a reason; decide never raises.

    As requests, as the flag-on value and as the flag-off value, on a phase whose
    other checks all pass (so only the bad value can stop a promote).
    """
    at = START.timestamp() + 4 * DAY
    good = {"error_rate": {"on": 0.0002, "off": 0.0003}, "requests": 5000}
    as_requests = decide(PLAN, state(1), {**good, "requests": bad}, at)
    assert as_requests.action == "hold", as_requests.explain()
    assert "min_requests unknown" in as_requests.explain()
    as_on = decide(PLAN, state(1), {**good, "error_rate": {"on": bad}}, at)
    assert as_on.action == "hold", as_on.explain()
    assert "error_rate below unknown" in as_on.explain()
    bare = decide(PLAN, state(1), {"error_rate": bad, "requests": 5000}, at)
    assert bare.action == "hold", bare.explain()
    # An unknown flag-off value only loses the comparison with the control.
    as_off = decide(PLAN, state(1), {**good, "error_rate": {"on": 0.0002, "off": bad}}, at)
    assert as_off.action == "promote", as_off.explain()
    assert "flag off: unknown" in as_off.explain()
    json.dumps(as_on.to_dict(), allow_nan=False)  # the report stays valid JSON


def test_minus_infinity_error_rate_never_promotes() -> None:
    """-Inf is not "below 0.1%" nor "max 0": the gate holds in every phase."""
    for phase in (0, 1, 2):
        decision = decide(PLAN, state(phase), {"error_rate": {"on": float("-inf")},
                                               "requests": 50000}, START.timestamp() + 9 * DAY)
        assert decision.action == "hold", decision.explain()
        assert "not a finite number" in decision.explain()


def test_every_gated_phase_of_the_team_plan_has_min_requests() -> None:
    """Without min_requests a phase promotes on a handful of requests (the internal phase did)."""
    gated = [p for p in PLAN.phases[:-1] if p.proceed_when]
    assert len(gated) == 3
    for phase in gated:
        assert int(phase.proceed_when.get("min_requests", 0)) >= 200, phase.name
