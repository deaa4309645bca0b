"""The issue 14 scenarios with the team's own files, unscaled, on a fake clock.

``deploy/canary.yaml`` (health check, 10%, 5m, 50%, 5m, 100%) takes its rules
from ``rollback/rules.yaml`` (checks every 15s, ``min_samples: 20``,
``missing_data: breaching``, error-spike for 2m, slow for 5m alert then
rollback, health for 1m).  The controller ticks every second, as the CLI
does, while a scripted v2 answers like the access log and the health probes
would: healthy, killed, slow or with a failing health endpoint from a chosen
weight on.  Hours of deploy run in milliseconds; nothing here is scaled.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from scrubphi.canary import CallbackRouter, CanaryController, canary_from_policy
from scrubphi.policy import load_policy

ROOT = Path(__file__).resolve().parents[1]
T0 = 1_800_000_000.0
RATE = 50.0  # requests per second through nginx


class V2:
    """The canary as the controller sees it: access-log numbers and health probe answers."""

    def __init__(self, clock: list[float], router: CallbackRouter, break_at: int | None,
                 how: str) -> None:
        self.clock = clock
        self.router = router
        self.break_at = break_at
        self.how = how
        self.broken_since: float | None = None
        self.last = clock[0]

    def _state(self) -> str:
        current = self.router.current()
        if (self.broken_since is None and self.break_at is not None and current is not None
                and current.canary == self.break_at):
            self.broken_since = self.clock[0]
        return self.how if self.broken_since is not None else "ok"

    def start(self) -> None:
        self.last = self.clock[0]

    def sample(self) -> Mapping[str, float]:
        state = self._state()
        current = self.router.current()
        share = (current.canary if current else 0) / 100
        since, self.last = self.last, self.clock[0]
        if state == "kill":  # nginx retries every request on v1: no answer from v2
            return {"http_requests": 0.0, "canary_answers": 0.0}
        answers = RATE * share * (self.clock[0] - since)
        p99 = 2500.0 if state == "slow" else 120.0
        return {"http_requests": answers, "canary_answers": answers,
                "http_5xx_ratio": 0.001, "latency_p99_ms": p99}

    def health(self, url: str, timeout: float) -> tuple[bool, str]:
        state = self._state()
        if state == "kill":
            return False, "ConnectionRefusedError"
        if state == "unhealthy":
            return False, "HTTP 503"
        return True, "HTTP 200"


def run_team_flow(break_at: int | None = None, how: str = "ok",
                  limit: float = 3 * 3600) -> tuple[CanaryController, V2, list[tuple[float, int]]]:
    clock = [T0]
    applied: list[tuple[float, int]] = []
    router = CallbackRouter(lambda w: applied.append((clock[0] - T0, w.canary)))
    v2 = V2(clock, router, break_at, how)

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    ctrl = CanaryController.from_policy(
        load_policy(ROOT / "deploy" / "canary.yaml"), router, metrics=v2,
        health_check=v2.health, clock=lambda: clock[0], sleep=sleep,
    )
    ctrl.start()
    while ctrl.state == "running" and clock[0] - T0 < limit:
        sleep(1.0)
        ctrl.tick()
    return ctrl, v2, applied


def test_the_team_files_load_together_and_the_flow_checks_every_15s() -> None:
    """One source of truth: the flow's rules are rollback/rules.yaml's, with the health rule."""
    policy = load_policy(ROOT / "deploy" / "canary.yaml")
    assert canary_from_policy(policy).no_data_limit == 3
    ctrl, _, _ = run_team_flow(limit=60)
    assert ctrl.check_interval == 15.0
    assert ctrl.watch == {"http_5xx_ratio", "latency_p99_ms", "health_check_failure_ratio"}


def test_healthy_v2_is_promoted_after_20_checks_and_two_conclusive_pauses() -> None:
    """min_samples: 20 is five minutes of 15s checks (not 20 ticks); then 5m, 50%, 5m, 100%."""
    ctrl, _, applied = run_team_flow()
    assert ctrl.state == "promoted", ctrl.log.text()
    assert [w for _, w in applied] == [0, 10, 50, 100]
    t10, t50 = applied[1][0], applied[2][0]
    # 20 checks (300s) before the rules can pass, then the 5m pause of conclusive time
    assert 570 <= t50 - t10 <= 660
    assert all("300s of conclusive checks" in e.message
               for e in ctrl.log.of_kind("pause_done"))


@pytest.mark.parametrize("at", [50, 10])
def test_v2_killed_is_rolled_back_within_60s(at: int) -> None:
    """Killed at 50% (was: promoted onto the dead v2) or 10% (was: inconclusive for ever)."""
    ctrl, v2, applied = run_team_flow(at, "kill")
    assert ctrl.state == "rolled_back", ctrl.log.text()
    assert 100 not in [w for _, w in applied]
    assert v2.broken_since is not None
    done = ctrl.log.of_kind("rollback_done")[0]
    assert ctrl._t0 + done.t - v2.broken_since <= 60
    assert ctrl.result().rollback_seconds == 0.0
    # at 10% the team's missing_data: breaching fires the health rule at once; at 50%
    # the probes that get no answer are the first sign
    reason = ctrl.result().reason
    assert "no data from the canary" in reason or "health: firing" in reason, reason


@pytest.mark.parametrize("at", [50, 10])
def test_p99_over_2s_holds_the_flow_then_rolls_back_after_5m(at: int) -> None:
    """From 50% (was: promoted while pending) or 10% (was: raised to 50% while alerting).

    At 50% the rule has ten minutes of good checks behind it: it alerts, holds the
    flow for its 5 minutes and rolls back.  At 10% the evaluations before the canary
    had traffic are missing, which the team's ``missing_data: breaching`` counts as
    breaching: the first slow check fires it.
    """
    ctrl, v2, applied = run_team_flow(at, "slow")
    assert ctrl.state == "rolled_back", ctrl.log.text()
    assert v2.broken_since is not None
    assert [w for t, w in applied if T0 + t >= v2.broken_since] == [0]
    assert "slow" in ctrl.result().reason and "firing" in ctrl.result().reason
    waited = ctrl._t0 + ctrl.log.of_kind("rollback_done")[0].t - v2.broken_since
    if at == 50:
        assert 285 <= waited <= 300 + 45  # the rule's 5 minutes, then the next check
        assert "alert" in [e.data["action"] for e in ctrl.log.of_kind("decision")]
        assert not ctrl.log.of_kind("pause_done")[1:]  # the 50% pause never ended
    else:
        assert waited <= 15


def test_health_endpoint_failing_at_10pct_is_noticed_by_the_probes() -> None:
    """The health check no longer runs only once: failing probes fire the team's health rule."""
    ctrl, v2, applied = run_team_flow(10, "unhealthy")
    assert ctrl.state == "rolled_back", ctrl.log.text()
    assert [w for _, w in applied] == [0, 10, 0]
    assert "health" in ctrl.result().reason
    assert ctrl.log.of_kind("decision")[-1].data["action"] == "rollback_now"
    assert v2.broken_since is not None
    waited = ctrl._t0 + ctrl.log.of_kind("rollback_done")[0].t - v2.broken_since
    assert waited <= 60 + 15
    assert ctrl.log.of_kind("health_probe")[0].data["detail"] == "HTTP 503"


def test_scrubphi_check_loads_the_team_files_together() -> None:
    """flags/, rollback/ and deploy/ in one `scrubphi check`: the reference is not a copy."""
    from click.testing import CliRunner

    from scrubphi.cli import main

    out = CliRunner().invoke(main, ["check", "-c", str(ROOT / "flags"), "-c",
                                    str(ROOT / "rollback"), "-c", str(ROOT / "deploy")])
    assert out.exit_code == 0, out.output
    assert "policy OK: 3 file(s)" in out.output


def test_a_reference_to_a_missing_file_or_section_is_a_policy_error(tmp_path: Path) -> None:
    from scrubphi.errors import PolicyError

    flow = tmp_path / "deploy" / "canary.yaml"
    flow.parent.mkdir()
    text = (ROOT / "deploy" / "canary.yaml").read_text()
    flow.write_text(text.replace("../rollback/rules.yaml", "../nowhere.yaml"))
    with pytest.raises(PolicyError, match=r"canary.yaml:\d+:\d+: rollback.from: "
                                          r"../nowhere.yaml: no such policy file"):
        load_policy(flow)
    (tmp_path / "flags.yaml").write_text("version: 1\nflags: {}\n")
    flow.write_text(text.replace("../rollback/rules.yaml", "../flags.yaml"))
    with pytest.raises(PolicyError, match=r"\.\./flags\.yaml has no rollback: section"):
        load_policy(flow)
    # the check also validates the canary section itself
    flow.write_text(text.replace("when_stuck: rollback", "when_stuck: wait")
                    .replace("../rollback/rules.yaml", str(ROOT / "rollback" / "rules.yaml")))
    with pytest.raises(PolicyError, match=r"canary\.when_stuck: when_stuck is rollback"):
        canary_from_policy(load_policy(flow))
