"""The canary end to end with real parts: Debian's nginx, two real backends, real load.

Each scenario starts its own nginx master (``nginx_fixtures``), the example
backends v1 and v2 as processes, and a bounded load generator on loopback;
the controller runs the team's flow with windows scaled to seconds and the
real rollback rules, watching nginx's own access log.  What is protected:

* a healthy v2 reaches 100% (through the CLI, as a user runs it);
* a v2 failing 5% of requests, or a slow one, is rolled back by the right
  rule, and from the moment the rule fires all traffic is on v1 well inside
  rollback_within (the measured time is printed: run with ``-s``);
* no request fails because of a weight change or a reload: no connection
  error at all, and not one non-2xx answer from v1.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from nginx_fixtures import Answer, LoadGenerator, NginxLB
from scrubphi.canary import (
    CanaryController,
    NginxAccessLog,
    NginxRouter,
    RouterError,
    Weights,
    http_health_check,
    routers,
)
from scrubphi.cli.canary import canary as canary_cli
from scrubphi.policy import loads_policy

SCALED = """\
version: 1
canary:
  steps:
    - health_check: {url: /healthz, timeout: 2s}
    - weight: 10
    - pause: 3s
    - weight: 50
    - pause: 3s
    - weight: 100
  analysis: rollback
  rollback_within: 60s
  no_data_limit: 6
  probe_interval: 500ms
rollback:
  interval: 500ms
  missing_data: not_breaching
  min_samples: 2
  rules:
    - {name: error-spike, metric: http_5xx_ratio, above: 1%, for: 1s, action: rollback}
    - {name: slow, metric: latency_p99_ms, above: 200, for: 1s, action: rollback}
"""
WINDOW = 2.0


def _no_request_failed(answers: list[Answer]) -> None:
    errors = [a.error for a in answers if a.error is not None]
    assert errors == [], f"{len(errors)} requests got no HTTP answer: {sorted(set(errors))}"
    bad_v1 = [a.status for a in answers if a.version == "v1" and a.status != 200]
    assert bad_v1 == [], f"{len(bad_v1)} non-2xx answers from v1"
    assert all(a.version in ("v1", "v2") for a in answers)


def _run_flow(lb: NginxLB, v1: str, v2: str) -> tuple[CanaryController, NginxAccessLog,
                                                      list[Answer]]:
    router = NginxRouter(stable=v1, canary=v2, **lb.router_kwargs())
    router.set_weights(stable=100, canary=0)
    log = NginxAccessLog(router.access_log, stable=v1, canary=v2, window=WINDOW)
    ctrl = CanaryController.from_policy(
        loads_policy(SCALED, "scaled.yaml"), router, metrics=log,
        health_check=http_health_check(v2),
    )
    load = LoadGenerator("127.0.0.1", lb.port, budget=8000, limit=40).start()
    try:
        time.sleep(0.5)
        ctrl.run(interval=0.25)
        time.sleep(1.5)  # traffic after the end shows where it all goes now
    finally:
        answers = load.stop()
    return ctrl, log, answers


def _after(answers: list[Answer], t: float) -> list[Answer]:
    return [a for a in answers if a.start > t]


@pytest.mark.parametrize(
    ("v2_args", "rule"),
    [
        pytest.param(("--fail-ratio", "5%"), "error-spike", id="failing-5pct"),
        pytest.param(("--delay", "300ms"), "slow", id="slow"),
    ],
)
def test_bad_canary_is_rolled_back_and_all_traffic_returns_to_v1(
    nginx_lb: NginxLB, backends: Callable[..., str], v2_args: tuple[str, ...], rule: str,
) -> None:
    """A failing or slow v2 is rolled back by its rule; v1 has all traffic within seconds."""
    v1 = backends("v1")
    v2 = backends("v2", *v2_args)
    ctrl, log, answers = _run_flow(nginx_lb, v1, v2)
    result = ctrl.result()
    assert result.outcome == "rolled_back", result.log.text()
    assert result.exit_code == 11
    started = result.log.of_kind("rollback_started")[0]
    assert rule in started.message
    fired_at = ctrl._t0 + started.t
    done_at = ctrl._t0 + result.log.of_kind("rollback_done")[0].t
    # from nginx's own log: the last request nginx sent to v2 arrived at...
    log.poll()
    records = [json.loads(line) for line in log.path.read_text().splitlines()]
    v2_arrivals = [float(r["msec"]) - float(r["request_time"]) for r in records
                   if r["upstream_addr"].split(", ")[-1] == v2]
    last_v2 = max(v2_arrivals)
    measured = max(0.0, last_v2 - fired_at)
    print(f"\n[{rule}] rule fired -> router confirmed all traffic on v1: "
          f"{result.rollback_seconds:.3f}s; last request nginx sent to v2 arrived "
          f"{last_v2 - fired_at:+.3f}s after the rule fired; budget 60s")
    assert result.rollback_seconds is not None and result.rollback_seconds < 5.0
    assert measured < 5.0
    late = _after(answers, done_at)
    assert len(late) >= 50 and {a.version for a in late} == {"v1"}
    assert not any(e.kind == "weights" and e.data.get("canary") == 100
                   for e in result.log.events)
    _no_request_failed(answers)
    if rule == "error-spike":
        assert any(a.version == "v2" and a.status == 500 for a in answers)


def test_healthy_canary_reaches_100_percent_through_the_cli(
    nginx_lb: NginxLB, backends: Callable[..., str], tmp_path: Path,
) -> None:
    """`scrubphi canary run` promotes a healthy v2 to 100% with zero failed requests."""
    v1 = backends("v1")
    v2 = backends("v2")
    policy = tmp_path / "canary.yaml"
    policy.write_text(SCALED)
    args = [
        "run", "--policy", str(policy), "--router", "nginx", "--stable", v1, "--canary", v2,
        "--listen", nginx_lb.listen, "--nginx-conf-dir", str(nginx_lb.conf_dir),
        "--nginx-conf", str(nginx_lb.conf), "--nginx-prefix", str(nginx_lb.prefix),
        "--nginx-bin", nginx_lb.binary, "--window", "2s", "--interval", "250ms", "--json",
    ]
    # all traffic on v1 first, then load, then the canary
    rollback = CliRunner().invoke(canary_cli, ["rollback", *args[5:15], *args[15:19]])
    assert rollback.exit_code == 0, rollback.output
    load = LoadGenerator("127.0.0.1", nginx_lb.port, budget=8000, limit=40).start()
    try:
        time.sleep(0.5)
        outcome = CliRunner().invoke(canary_cli, args)
        promoted_at = time.time()
        time.sleep(1.5)
    finally:
        answers = load.stop()
    assert outcome.exit_code == 0, outcome.output
    doc = json.loads(outcome.stdout)
    assert doc["outcome"] == "promoted"
    applied = [(e["data"]["stable"], e["data"]["canary"]) for e in doc["events"]
               if e["kind"] == "weights"]
    assert applied == [(100, 0), (90, 10), (50, 50), (0, 100)]
    late = _after(answers, promoted_at)
    assert len(late) >= 50 and {a.version for a in late} == {"v2"}
    assert {a.status for a in answers} == {200}
    _no_request_failed(answers)
    print(f"\n[healthy] {len(answers)} requests, none failed; weight changes took "
          + ", ".join(f"{e['data']['seconds']:.3f}s" for e in doc["events"]
                      if e["kind"] == "weights"))


def test_split_clients_keeps_users_on_their_version_as_the_weight_grows(
    nginx_lb: NginxLB, backends: Callable[..., str],
) -> None:
    """With a sticky key a user in the 30% cohort stays on v2 at 30% and at 70%."""
    import http.client

    v1 = backends("v1")
    v2 = backends("v2")
    router = NginxRouter(stable=v1, canary=v2, mode="split_clients",
                         sticky_key="$http_x_user", **nginx_lb.router_kwargs())

    def versions() -> dict[str, str]:
        out = {}
        for i in range(200):
            conn = http.client.HTTPConnection("127.0.0.1", nginx_lb.port, timeout=5)
            conn.request("GET", "/", headers={"X-User": f"user-{i}", "Connection": "close"})
            response = conn.getresponse()
            response.read()
            assert response.status == 200
            out[f"user-{i}"] = response.getheader("X-Version") or ""
            conn.close()
        return out

    router.set_weights(stable=70, canary=30)
    at30 = versions()
    assert versions() == at30  # the same user gets the same version every time
    router.set_weights(stable=30, canary=70)
    at70 = versions()
    on_v2_at30 = {u for u, v in at30.items() if v == "v2"}
    assert 30 <= len(on_v2_at30) <= 90
    assert all(at70[u] == "v2" for u in on_v2_at30)
    assert 100 <= sum(v == "v2" for v in at70.values()) <= 180


def test_config_refused_by_nginx_t_is_put_back_and_nginx_keeps_serving(
    nginx_lb: NginxLB, backends: Callable[..., str],
) -> None:
    """A fragment nginx -t refuses is replaced by the previous one; weights stay as they were."""
    v1 = backends("v1")
    v2 = backends("v2")
    router = NginxRouter(stable=v1, canary=v2, **nginx_lb.router_kwargs())
    router.set_weights(stable=80, canary=20)
    before = router.path.read_text()
    router.render = lambda weights, generation: "upstream broken {\n"
    with pytest.raises(RouterError, match="nginx -t refused"):
        router.set_weights(stable=0, canary=100)
    assert router.path.read_text() == before
    assert router.current() == Weights(80, 20)
    assert (router.control() or {}).get("canary") == 20
    again = NginxRouter(stable=v1, canary=v2, **nginx_lb.router_kwargs())
    assert again.current() == Weights(80, 20)


def _still_accepting(workers: set[tuple[int, int]]) -> list[int]:
    """Those of ``workers`` (pid, start time) that are alive and not shutting down."""
    return [pid for pid, started in workers
            if (stat := routers._proc_stat(pid)) is not None and stat[1] == started
            and routers._proc_title(pid) == "nginx: worker process"]


@pytest.mark.parametrize("watch", [True, False], ids=["proc", "grace"])
def test_set_weights_returns_only_once_the_old_workers_stopped_accepting(
    nginx_lb: NginxLB, backends: Callable[..., str], monkeypatch: pytest.MonkeyPatch,
    watch: bool,
) -> None:
    """nginx keeps the old workers accepting for 100 ms after the new ones start.

    ``set_weights`` waits them out (through /proc, or a fixed grace where /proc
    cannot tell), so from its return every new connection gets the new weights.
    """
    v1 = backends("v1")
    v2 = backends("v2")
    router = NginxRouter(stable=v1, canary=v2, **nginx_lb.router_kwargs())
    router.set_weights(stable=100, canary=0)
    # busy workers are what lets the new generation answer while the old one still accepts
    load = LoadGenerator("127.0.0.1", nginx_lb.port, budget=40000, limit=60).start()
    try:
        for canary in (10, 50, 100, 0) * (6 if watch else 2):
            old = router._accepting_workers()
            assert old, "the fixture's nginx runs here: /proc shows its workers"
            if not watch:
                monkeypatch.setattr(router, "_accepting_workers", lambda: None)
            router.set_weights(stable=100 - canary, canary=canary)
            monkeypatch.undo()
            assert _still_accepting(old) == []
            assert {(router.control() or {}).get("canary") for _ in range(10)} == {canary}
    finally:
        answers = load.stop()
    _no_request_failed(answers)
