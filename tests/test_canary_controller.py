"""The canary controller on a fake clock: every step, every rollback path, the run log.

The controller is driven tick by tick with a fake epoch clock, a callback
router that records every weight change, and the real rollback rules
(``scrubphi.rollback``: ``rules_from_policy`` and ``RollbackMonitor``) fed
by a scripted metric source, so minutes of deploy flow run in milliseconds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from scrubphi.canary import (
    CallbackRouter,
    CanaryController,
    HealthCheckStep,
    PauseStep,
    QueryMetrics,
    RouterError,
    Weights,
    WeightStep,
    canary_from_policy,
)
from scrubphi.errors import PolicyError
from scrubphi.metrics import MemorySource, MetricSourceError
from scrubphi.policy import load_policy, loads_policy
from scrubphi.rollback import rules_from_policy

ROOT = Path(__file__).resolve().parents[1]
T0 = 1_700_000_000.0

FLOW = """\
version: 1
canary:
  steps:
    - health_check: {url: /healthz, timeout: 5s, attempts: 3, interval: 10s}
    - weight: 10
    - pause: 5m
    - weight: 50
    - pause: 5m
    - weight: 100
  analysis: rollback
  rollback_within: 60s
rollback:
  interval: 15s
  missing_data: not_breaching
  rules:
    - {name: error-spike, metric: http_5xx_ratio, above: 1%, for: 1m, action: rollback}
    - {name: slow, metric: latency_p99_ms, above: 2000, for: 1m, action: alert}
    - {name: dead, metric: health_check_failure_ratio, above: 50%, consecutive: 1,
       action: rollback_now}
"""


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Scripted:
    """Canary metrics as a function of (seconds since T0, current canary weight)."""

    def __init__(
        self, clock: FakeClock, values: Callable[[float, int], Mapping[str, float]]
    ) -> None:
        self.clock = clock
        self.values = values
        self.router: CallbackRouter | None = None
        self.starts = 0
        self.fail = False

    def start(self) -> None:
        self.starts += 1

    def sample(self) -> Mapping[str, float]:
        if self.fail:
            raise MetricSourceError("prometheus: connection refused")
        assert self.router is not None
        current = self.router.current()
        return self.values(self.clock() - T0, current.canary if current else 0)


def healthy(_: float, __: int) -> Mapping[str, float]:
    return {"http_5xx_ratio": 0.001, "latency_p99_ms": 120.0, "health_check_failure_ratio": 0.0}


class Harness:
    def __init__(
        self,
        text: str = FLOW,
        values: Callable[[float, int], Mapping[str, float]] = healthy,
        health: Callable[[str, float], tuple[bool, str]] | None = None,
        apply: Callable[[Weights], None] | None = None,
    ) -> None:
        self.clock = FakeClock()
        self.applied: list[tuple[float, Weights]] = []
        self.health_calls: list[float] = []

        def record(weights: Weights) -> None:
            if apply is not None:
                apply(weights)
            self.applied.append((self.clock() - T0, weights))

        def check(url: str, timeout: float) -> tuple[bool, str]:
            self.health_calls.append(self.clock() - T0)
            return health(url, timeout) if health else (True, "HTTP 200")

        self.router = CallbackRouter(record)
        self.metrics = Scripted(self.clock, values)
        self.metrics.router = self.router
        self.sleeps: list[float] = []

        def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)
            self.clock.advance(seconds)

        self.ctrl = CanaryController.from_policy(
            loads_policy(text, "canary.yaml"), self.router, metrics=self.metrics,
            health_check=check, clock=self.clock, sleep=sleep,
        )

    def drive(self, step: float = 15.0, limit: int = 500) -> str:
        self.ctrl.start()
        for _ in range(limit):
            if self.ctrl.state != "running":
                break
            self.clock.advance(step)
            self.ctrl.tick()
        return self.ctrl.state

    def weights(self) -> list[tuple[int, int]]:
        return [(w.stable, w.canary) for _, w in self.applied]


def test_healthy_flow_runs_every_step_in_order_and_promotes() -> None:
    """A healthy canary goes 0 -> 10 -> 50 -> 100 with each pause held for its full length."""
    h = Harness()
    assert h.drive() == "promoted"
    assert h.weights() == [(100, 0), (90, 10), (50, 50), (0, 100)]
    times = [t for t, _ in h.applied]
    assert times[2] - times[1] >= 300 and times[3] - times[2] >= 300
    # the health check step at 15s, then a probe of /healthz at every tick for the whole run
    assert h.health_calls[0] == 15.0 and h.health_calls[-1] >= times[3]
    assert len(h.health_calls) >= (times[3] - 15) / 15
    result = h.ctrl.result()
    assert result.exit_code == 0 and result.rollback_seconds is None
    kinds = [e.kind for e in result.log.events]
    assert kinds.count("pause_started") == 2 and kinds.count("pause_done") == 2
    assert kinds[-1] == "run_finished"


def test_error_spike_rolls_back_first_and_skips_the_rest() -> None:
    """A 5xx ratio over 1% for 1m rolls back: traffic to stable, no later step runs."""
    h = Harness(values=lambda s, w: {**healthy(s, w), "http_5xx_ratio": 0.05 if w else 0.0})
    assert h.drive() == "rolled_back"
    assert h.weights() == [(100, 0), (90, 10), (100, 0)]
    result = h.ctrl.result()
    assert result.exit_code == 11
    assert result.rollback_seconds == 0.0 and result.rollback_in_time is True
    started = result.log.of_kind("rollback_started")[0]
    assert "error-spike" in started.message
    # the 1m window at a 15s interval needs 5 breaching evaluations: the rule fires
    # at the 5th sample after the weight change, inside the first pause
    rollback_t = h.applied[-1][0]
    assert 60 <= rollback_t - h.applied[1][0] <= 90
    # the run is over: more ticks change nothing
    h.clock.advance(3600)
    h.ctrl.tick()
    assert len(h.applied) == 3


def test_rollback_time_is_measured_against_rollback_within() -> None:
    """A switch back that takes 75s is reported as over the 60s budget (exit 12)."""

    h = Harness(values=lambda s, w: {**healthy(s, w), "http_5xx_ratio": 0.05 if w else 0.0})

    def slow_on_rollback(weights: Weights) -> None:
        if weights.canary == 0 and len(h.applied) > 1:
            h.clock.advance(75)

    h.router._apply = lambda w: (slow_on_rollback(w), h.applied.append((h.clock() - T0, w)))[1]
    assert h.drive() == "rolled_back"
    result = h.ctrl.result()
    assert result.rollback_seconds == 75.0 and result.rollback_in_time is False
    assert result.exit_code == 12
    assert "OVER" in result.log.of_kind("rollback_done")[0].message


def test_failed_rollback_attempts_are_retried_inside_the_budget() -> None:
    """The router refuses twice, then succeeds: traffic still ends on stable, retries logged."""
    failures = {"left": 2}

    def flaky(weights: Weights) -> None:
        if weights.canary == 0 and failures["left"] and len(h.applied) > 1:
            failures["left"] -= 1
            raise OSError("nginx is reloading")

    h = Harness(values=lambda s, w: {**healthy(s, w), "http_5xx_ratio": 0.5 if w else 0.0},
                apply=flaky)
    assert h.drive() == "rolled_back"
    assert h.weights()[-1] == (100, 0)
    assert len(h.ctrl.log.of_kind("rollback_retry")) == 2
    assert h.ctrl.result().rollback_seconds == pytest.approx(1.0)


def test_a_rollback_that_cannot_move_traffic_fails_loudly() -> None:
    """If stable cannot get the traffic within rollback_within, the run fails (exit 13)."""

    def broken(weights: Weights) -> None:
        if weights.canary == 0 and len(h.applied) > 1:
            raise OSError("load balancer down")

    h = Harness(values=lambda s, w: {**healthy(s, w), "http_5xx_ratio": 0.5 if w else 0.0},
                apply=broken)
    assert h.drive() == "failed"
    result = h.ctrl.result()
    assert result.exit_code == 13 and "could NOT be moved" in result.reason
    assert sum(h.sleeps) >= 60 - 0.5


def test_health_check_failures_roll_back_before_any_traffic() -> None:
    """Three failed health checks, 10s apart, end the run; the canary never gets a request."""
    h = Harness(health=lambda url, timeout: (False, "HTTP 503"))
    assert h.drive(step=5) == "rolled_back"
    assert h.health_calls == [5.0, 15.0, 25.0]
    assert all(w.canary == 0 for _, w in h.applied)
    assert "health check /healthz failed 3 times" in h.ctrl.result().reason


def test_health_check_passes_on_a_later_attempt() -> None:
    """A canary still starting passes its second attempt and the flow goes on."""
    answers = iter([(False, "ConnectionRefusedError")])
    h = Harness(health=lambda url, timeout: next(answers, (True, "HTTP 200")))
    assert h.drive(step=5) == "promoted"
    assert h.health_calls[:2] == [5.0, 15.0]


def test_rules_only_watch_while_the_canary_has_traffic() -> None:
    """Bad numbers while the canary has 0% (health check phase) do not roll back."""
    h = Harness(values=lambda s, w: {"http_5xx_ratio": 1.0} if w == 0 else healthy(s, w),
                health=lambda url, timeout: (True, "HTTP 200"))
    assert h.drive() == "promoted"


def test_rollback_now_rule_fires_at_once() -> None:
    """A rollback_now rule (consecutive: 1) rolls back at the first bad sample."""
    h = Harness(values=lambda s, w: {**healthy(s, w),
                                     "health_check_failure_ratio": 1.0 if w else 0.0})
    assert h.drive() == "rolled_back"
    assert h.applied[-1][0] - h.applied[1][0] == 15.0
    assert h.ctrl.log.of_kind("decision")[-1].data["action"] == "rollback_now"


def test_an_alerting_rule_holds_the_flow_until_the_progress_deadline() -> None:
    """An alert-only rule (slow p99) never lets the weight go up; the stuck run rolls back."""
    h = Harness(values=lambda s, w: {**healthy(s, w), "latency_p99_ms": 5000.0 if w else 100.0})
    assert h.drive() == "rolled_back"
    assert h.weights() == [(100, 0), (90, 10), (100, 0)]
    actions = [e.data["action"] for e in h.ctrl.log.of_kind("decision")]
    assert "alert" in actions
    reason = h.ctrl.result().reason
    assert reason.startswith("stuck: weight 10%") is False and "progress_deadline" in reason
    assert not h.ctrl.log.of_kind("pause_done")
    # at 10% from 15s; the pause is 5m and the default deadline 10m past it
    assert 15 + 300 + 600 <= h.applied[-1][0] <= 15 + 300 + 600 + 30


def test_a_stuck_run_can_pause_for_a_person_instead() -> None:
    """when_stuck: pause holds the weight and waits; resume lets the flow go on."""
    text = FLOW.replace("  rollback_within: 60s\n",
                        "  rollback_within: 60s\n  progress_deadline: 1m\n  when_stuck: pause\n")
    slow = {"on": True}
    h = Harness(text, values=lambda s, w: {**healthy(s, w),
                                           "latency_p99_ms": 5000.0 if slow["on"] else 100.0})
    h.ctrl.start()
    for _ in range(60):
        h.clock.advance(15)
        status = h.ctrl.tick()
    assert status.state == "running" and status.paused is not None
    assert "stuck" in status.paused and h.weights()[-1] == (90, 10)
    slow["on"] = False
    for _ in range(60):  # still paused: a person decides
        h.clock.advance(15)
        status = h.ctrl.tick()
    assert status.paused is not None and h.weights()[-1] == (90, 10)
    h.ctrl.command("resume", {"by": "alice"})
    for _ in range(200):
        if h.ctrl.state != "running":
            break
        h.clock.advance(15)
        h.ctrl.tick()
    assert h.ctrl.state == "promoted"
    assert [e.message for e in h.ctrl.log.of_kind("resumed")] == ["resumed by alice"]


def test_unavailable_metrics_hold_the_pause_never_pass() -> None:
    """While the metric source fails the pause does not end; it resumes when data returns."""
    h = Harness()
    h.ctrl.start()
    while not h.ctrl.log.of_kind("pause_started"):
        h.clock.advance(15)
        h.ctrl.tick()
    h.metrics.fail = True
    for _ in range(36):  # 9 minutes, almost twice the pause, under inconclusive_limit 10m
        h.clock.advance(15)
        status = h.ctrl.tick()
    assert status.state == "running" and status.action == "inconclusive"
    assert status.pause_left == pytest.approx(300 - 15, abs=15)
    assert h.weights()[-1] == (90, 10)
    h.metrics.fail = False
    for _ in range(200):
        if h.ctrl.state != "running":
            break
        h.clock.advance(15)
        h.ctrl.tick()
    assert h.ctrl.state == "promoted"


def test_inconclusive_time_does_not_count_toward_a_pause() -> None:
    """Argo Rollouts #3850: only conclusive checks count; half inconclusive: twice as long."""
    h = Harness()
    h.ctrl.start()
    while not h.ctrl.log.of_kind("pause_started"):
        h.clock.advance(15)
        h.ctrl.tick()
    started = h.clock() - T0
    n = 0
    while len(h.weights()) < 3:
        n += 1
        h.metrics.fail = n % 2 == 1
        h.clock.advance(15)
        h.ctrl.tick()
    done = h.ctrl.log.of_kind("pause_done")[0]
    assert "300s of conclusive checks" in done.message
    assert h.clock() - T0 - started >= 2 * 300 - 30


def test_the_inconclusive_limit_ends_a_run_that_cannot_be_judged() -> None:
    """Metrics that never come back: rolled back after inconclusive_limit (10m by default)."""
    h = Harness()
    h.metrics.fail = True
    assert h.drive() == "rolled_back"
    reason = h.ctrl.result().reason
    assert "inconclusive_limit 600s" in reason
    assert h.weights() == [(100, 0), (90, 10), (100, 0)]
    assert 600 <= h.applied[-1][0] - h.applied[1][0] <= 630


def test_rerun_after_rollback_starts_clean() -> None:
    """A second start() after a rollback: fresh log and monitor, traffic reset, full flow."""
    bad = {"on": True}
    h = Harness(values=lambda s, w: {**healthy(s, w),
                                   "http_5xx_ratio": 0.05 if (w and bad["on"]) else 0.0})
    assert h.drive() == "rolled_back"
    first_log = h.ctrl.log
    bad["on"] = False
    h.applied.clear()
    assert h.drive() == "promoted"
    assert h.ctrl.log is not first_log
    assert h.ctrl.log.events[0].kind == "run_started"
    assert not h.ctrl.log.of_kind("rollback_started")
    assert h.weights() == [(100, 0), (90, 10), (50, 50), (0, 100)]
    assert h.metrics.starts == 2


def test_a_flow_ending_below_100_is_promoted_to_100() -> None:
    """Reaching the end of the steps means promotion, as in Argo Rollouts."""
    text = FLOW.replace("    - weight: 100\n", "").replace("    - pause: 5m\n  analysis",
                                                          "  analysis")
    h = Harness(text)
    assert h.drive() == "promoted"
    assert h.weights()[-1] == (0, 100)
    assert h.ctrl.log.of_kind("weights")[-1].data["why"] == "promotion"


def test_router_error_on_a_weight_step_puts_traffic_back_on_stable() -> None:
    """nginx refusing the 50% config ends the run as failed, with stable holding all traffic."""

    def refuse_50(weights: Weights) -> None:
        if weights.canary == 50:
            raise RouterError("nginx -t refused the new configuration")

    h = Harness(apply=refuse_50)
    assert h.drive() == "failed"
    assert h.weights()[-1] == (100, 0)
    assert h.ctrl.result().exit_code == 13


def test_abort_by_a_person_rolls_back_now() -> None:
    """abort() in the middle of a pause moves all traffic to stable (exit 14)."""
    h = Harness()
    h.ctrl.start()
    for _ in range(5):
        h.clock.advance(15)
        h.ctrl.tick()
    assert h.router.current() == Weights(90, 10)
    h.ctrl.abort()
    assert h.router.current() == Weights(100, 0)
    assert h.ctrl.result().outcome == "aborted" and h.ctrl.result().exit_code == 14


def test_run_loop_rolls_back_when_interrupted() -> None:
    """Ctrl-C during run() rolls back before the exception leaves the controller."""
    h = Harness()
    calls = {"n": 0}

    def interrupting_sleep(seconds: float) -> None:
        calls["n"] += 1
        h.clock.advance(seconds)
        if calls["n"] == 10:
            raise KeyboardInterrupt

    h.ctrl.sleep = interrupting_sleep
    with pytest.raises(KeyboardInterrupt):
        h.ctrl.run(interval=15)
    assert h.router.current() == Weights(100, 0)
    assert h.ctrl.state == "aborted"


def test_run_loop_reports_each_status() -> None:
    """run() ticks until the end and shows each status to the live display callback."""
    h = Harness()
    seen: list[str] = []
    result = h.ctrl.run(interval=15, on_tick=lambda s: seen.append(s.step_text))
    assert result.outcome == "promoted"
    assert seen[0] == "health_check /healthz" and "pause 5m" in seen and seen[-1] == "done"


def test_run_log_reads_as_text_and_json() -> None:
    """The log is a readable timeline and valid JSON with every step and decision."""
    h = Harness(values=lambda s, w: {**healthy(s, w), "http_5xx_ratio": 0.05 if w else 0.0})
    h.drive()
    result = h.ctrl.result()
    text = result.log.text()
    assert "2023-11-14T22:13:" in text and "rolling back" in text
    doc = json.loads(result.to_json())
    assert doc["outcome"] == "rolled_back" and doc["exit_code"] == 11
    assert {e["kind"] for e in doc["events"]} >= {
        "run_started", "health_check", "weights", "decision",
        "rollback_started", "rollback_done", "run_finished",
    }
    decision = next(e for e in doc["events"] if e["data"].get("action") == "rollback")
    assert decision["data"]["rules"][0]["name"] == "error-spike"


def test_query_metrics_feed_the_rules_from_a_query_source() -> None:
    """QueryMetrics asks a MetricSource per rule metric; no data is left out."""
    clock = FakeClock()
    source = MemorySource()
    source.add("ratio_q", T0 - 1, 0.2)
    metrics = QueryMetrics(source, {"http_5xx_ratio": "ratio_q", "latency_p99_ms": "p99_q"},
                           wall_clock=clock)
    assert dict(metrics.sample()) == {"http_5xx_ratio": 0.2}


# -- the canary: section -------------------------------------------------------


def test_team_flow_file_parses_to_the_agreed_steps() -> None:
    """deploy/canary.yaml is the team's flow: health check, 10%, 5m, 50%, 5m, 100%, 60s."""
    canary = canary_from_policy(load_policy(ROOT / "deploy" / "canary.yaml"))
    assert canary.steps == (
        HealthCheckStep("/healthz", 5.0), WeightStep(10), PauseStep(300.0), WeightStep(50),
        PauseStep(300.0), WeightStep(100),
    )
    assert canary.analysis == "rollback" and canary.rollback_within == 60.0
    # one source of truth: the flow takes the team's rules from rollback/rules.yaml
    rules = rules_from_policy(load_policy(ROOT / "deploy" / "canary.yaml"))
    assert rules == rules_from_policy(load_policy(ROOT / "rollback" / "rules.yaml"))
    assert [r.name for r in rules.rules] == ["error-spike", "slow", "health"]
    demo = load_policy(ROOT / "examples" / "backends" / "canary-demo.yaml")
    assert canary_from_policy(demo).steps[2] == PauseStep(20.0)
    assert {r.metric for r in rules_from_policy(demo).rules} <= {"http_5xx_ratio",
                                                                 "latency_p99_ms"}


@pytest.mark.parametrize(
    ("snippet", "where", "message"),
    [
        ("    - pasue: 5m\n", "canary.yaml:5:7: canary.steps[1].pasue", "unknown step pasue"),
        ("    - weight: 150\n", "canary.yaml:5:7: canary.steps[1].weight", "0 to 100 (weight: 10)"),
        ("    - weight: '10'\n", "canary.yaml:5:7: canary.steps[1].weight", "not a string"),
        ("    - pause: 300\n", "canary.yaml:5:7: canary.steps[1].pause", "duration"),
        ("    - {weight: 10, pause: 1m}\n", "canary.yaml:5:7: canary.steps[1]", "one key"),
        ("    - health_check: {url: healthz}\n", "canary.yaml:5:22: canary.steps[1]"
         ".health_check.url", "starting with /"),
        ("    - health_check: {url: /h, retries: 3}\n", "canary.yaml:5:31: canary.steps[1]"
         ".health_check.retries", "unknown key retries"),
    ],
)
def test_bad_steps_are_refused_with_file_line_column(snippet: str, where: str,
                                                     message: str) -> None:
    """A typo in a step must not silently change what traffic does: exact position."""
    text = ("version: 1\ncanary:\n  steps:\n    - weight: 10\n" + snippet
            + "rollback:\n  rules:\n    - {name: e, metric: m, above: 1, for: 1m, "
            "action: rollback}\n")
    with pytest.raises(PolicyError) as info:
        canary_from_policy(loads_policy(text, "canary.yaml"))
    assert str(info.value).startswith(where), str(info.value)
    assert message in str(info.value)


def test_analysis_rollback_needs_rules_and_top_keys_are_checked() -> None:
    """analysis: rollback without a rollback section, or an unknown key, is a PolicyError."""
    base = "version: 1\ncanary:\n  steps: [{weight: 100}]\n"
    with pytest.raises(PolicyError, match=r"canary.yaml:2:1: canary: analysis: rollback needs"):
        canary_from_policy(loads_policy(base, "canary.yaml"))
    with pytest.raises(PolicyError, match=r"canary.yaml:5:3: canary.rollback_witin: unknown"):
        canary_from_policy(loads_policy(base + "  analysis: none\n  rollback_witin: 60s\n",
                                        "canary.yaml"))
    with pytest.raises(PolicyError, match=r"canary.yaml:5:3: canary.rollback_within: .*dur"):
        canary_from_policy(loads_policy(base + "  analysis: none\n  rollback_within: 60\n",
                                        "canary.yaml"))
    canary = canary_from_policy(loads_policy(base + "  analysis: none\n", "canary.yaml"))
    assert canary.steps == (WeightStep(100),) and canary.rollback_within == 60.0


# -- the CLI without a load balancer ----------------------------------------------


def test_cli_policy_error_exits_3_with_position(tmp_path: Path) -> None:
    """`canary run` on a policy with a typo stops before touching traffic (exit 3)."""
    from click.testing import CliRunner

    from scrubphi.cli.canary import canary

    bad = tmp_path / "canary.yaml"
    bad.write_text(FLOW.replace("- pause: 5m", "- pasue: 5m", 1))
    out = CliRunner().invoke(canary, ["run", "--policy", str(bad), "--stable", "127.0.0.1:1",
                                      "--canary", "127.0.0.1:2", "--nginx-conf-dir",
                                      str(tmp_path / "conf.d")])
    assert out.exit_code == 3
    assert "canary.yaml:6:7: canary.steps[2].pasue: unknown step pasue" in out.output
    assert not (tmp_path / "conf.d").exists()


def test_cli_refuses_rules_the_access_log_cannot_feed(tmp_path: Path) -> None:
    """A rule on a metric nginx's log does not give would never decide: usage error (2)."""
    from click.testing import CliRunner

    from scrubphi.cli.canary import canary

    policy = tmp_path / "canary.yaml"
    # without a health_check step there are no probes to feed the health rule
    policy.write_text(FLOW.replace(
        "    - health_check: {url: /healthz, timeout: 5s, attempts: 3, interval: 10s}\n", ""))
    out = CliRunner().invoke(canary, ["run", "--policy", str(policy), "--stable", "127.0.0.1:1",
                                      "--canary", "127.0.0.1:2", "--nginx-conf-dir",
                                      str(tmp_path / "conf.d"), "--listen", "127.0.0.1:3"])
    assert out.exit_code == 2
    assert "health_check_failure_ratio" in out.output and "--metrics prometheus" in out.output


def test_cli_command_router_rollback_runs_the_command(tmp_path: Path) -> None:
    """`canary rollback --router command` runs the weights command with 100/0."""
    import sys

    from click.testing import CliRunner

    from scrubphi.cli.canary import canary

    target = tmp_path / "weights.txt"
    cmd = (f"{sys.executable} -c \"import sys; open(sys.argv[1], 'w').write(sys.argv[2])\" "
           f"{target} {{stable}}/{{canary}}")
    out = CliRunner().invoke(canary, ["rollback", "--router", "command", "--weights-command",
                                      cmd, "--stable", "127.0.0.1:1", "--canary", "127.0.0.1:2",
                                      "--state-dir", str(tmp_path / "state"), "--json"])
    assert out.exit_code == 0, out.output
    assert target.read_text() == "100/0"
    assert json.loads(out.stdout)["outcome"] == "rolled_back"


# -- people in the loop (fake clock; the CLI's side is in test_canary_durable.py) ---------


def test_commands_from_people_are_obeyed_in_order_and_logged() -> None:
    """pause holds a healthy canary; promote skips the pause; abort ends it (exit 14)."""
    sent: list[tuple[str, dict[str, object]]] = []
    h = Harness()
    h.ctrl.control = lambda: [sent.pop(0)] if sent else []
    h.ctrl.start()
    while h.weights()[-1] != (90, 10):
        h.clock.advance(15)
        h.ctrl.tick()
    sent.append(("pause", {"by": "bob"}))
    for _ in range(40):  # 10 minutes: twice the pause, all of it conclusive
        h.clock.advance(15)
        status = h.ctrl.tick()
    assert status.paused == "paused by bob" and h.weights()[-1] == (90, 10)
    sent.append(("promote", {"by": "bob"}))  # skips the 5m pause at once
    h.clock.advance(15)
    h.ctrl.tick()
    assert h.weights()[-1] == (50, 50)
    sent.append(("abort", {"by": "carol"}))
    h.clock.advance(15)
    h.ctrl.tick()
    assert h.ctrl.state == "aborted" and h.ctrl.result().exit_code == 14
    assert h.weights()[-1] == (100, 0)
    logged = [(e.data["command"], e.data["by"]) for e in h.ctrl.log.of_kind("command")]
    assert logged == [("pause", "bob"), ("promote", "bob"), ("abort", "carol")]
    h.ctrl.command("resume", {"by": "dave"})  # after the end: recorded, not obeyed
    assert h.ctrl.log.of_kind("command")[-1].data["obeyed"] is False


def test_a_paused_canary_is_still_rolled_back_by_its_rules() -> None:
    """Pausing stops the steps, not the watching: a firing rule rolls back while paused."""
    bad = {"on": False}
    h = Harness(values=lambda s, w: {**healthy(s, w),
                                     "http_5xx_ratio": 0.05 if bad["on"] and w else 0.0})
    h.ctrl.start()
    while h.weights()[-1] != (90, 10):
        h.clock.advance(15)
        h.ctrl.tick()
    h.ctrl.command("pause", {"by": "bob"})
    bad["on"] = True
    for _ in range(20):
        if h.ctrl.state != "running":
            break
        h.clock.advance(15)
        h.ctrl.tick()
    assert h.ctrl.state == "rolled_back" and "error-spike" in h.ctrl.result().reason


def test_a_manual_rollback_ends_the_run_as_rolled_back_and_nothing_moves_after() -> None:
    """`canary rollback` by hand: outcome rolled_back (exit 11), never promoted later."""
    h = Harness()
    h.ctrl.start()
    while h.weights()[-1] != (50, 50):
        h.clock.advance(15)
        h.ctrl.tick()
    h.ctrl.command("rollback", {"by": "erin", "applied": True})
    assert h.ctrl.state == "rolled_back" and h.ctrl.result().exit_code == 11
    assert "by hand by erin" in h.ctrl.result().reason
    for _ in range(100):
        h.clock.advance(15)
        h.ctrl.tick()
    assert h.weights()[-1] == (100, 0) and (0, 100) not in h.weights()


def test_no_canary_answers_fail_the_analysis_after_no_data_limit_checks() -> None:
    """A source that says the canary answered nothing (0 canary_answers) rolls back: never ok."""
    h = Harness(values=lambda s, w: {**healthy(s, w), "canary_answers": 0.0 if s > 200 else 5.0})
    assert h.drive() == "rolled_back"
    reason = h.ctrl.result().reason
    assert "no data from the canary" in reason and "3 checks" in reason
    assert len(h.ctrl.log.of_kind("no_data")) == 3
    assert h.weights() == [(100, 0), (90, 10), (100, 0)]
