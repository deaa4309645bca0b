"""Durable state, one run per router, signals and people, with `scrubphi canary` as a process.

Each test runs ``python -m scrubphi canary run`` against its own real nginx and
the example backends, under load, and does to it what CI systems, systemd,
docker and people do: SIGTERM, SIGHUP, SIGKILL, a second run, ``canary
rollback`` by hand, ``pause``/``resume``/``promote``/``abort``, ``status``.
What must hold: traffic never stays split with nobody watching, every event
is on disk as it happens, and the listener never moves.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nginx_fixtures import Answer, Backends, LoadGenerator, NginxLB, Receiver
from scrubphi.canary import NginxRouter, Weights

FLOW = """\
version: 1
canary:
  steps:
    - health_check: {url: /healthz, timeout: 2s}
    - weight: 10
    - pause: 2s
    - weight: 50
    - pause: %(pause)s
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
    - {name: error-spike, metric: http_5xx_ratio, above: 1%%, for: 1s, action: rollback}
"""


def _poll(what: Callable[[], Any], timeout: float = 60.0, every: float = 0.1) -> Any:
    """Wait until ``what()`` is truthy (generous deadline: the machine may be loaded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"condition not met within {timeout:g}s")


class Canary:
    """One `scrubphi canary` setup: the policy, the router options, the state folder."""

    def __init__(self, lb: NginxLB, v1: str, v2: str, tmp: Path, pause: str = "60s") -> None:
        self.lb = lb
        self.v1, self.v2 = v1, v2
        self.policy = tmp / "canary.yaml"
        self.policy.write_text(FLOW % {"pause": pause})
        self.state_path = lb.conf_dir / "scrubphi-canary.state.json"
        self.state_opts = ["--nginx-conf-dir", str(lb.conf_dir)]
        self.router_opts = [
            "--stable", v1, "--canary", v2, "--listen", lb.listen, *self.state_opts,
            "--nginx-conf", str(lb.conf), "--nginx-prefix", str(lb.prefix),
            "--nginx-bin", lb.binary, "--access-log", str(lb.prefix / "access.log"),
        ]

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "scrubphi", "canary", *args],
                              capture_output=True, text=True, timeout=timeout, check=False)

    def start(self, *extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "scrubphi", "canary", "run", "--policy", str(self.policy),
             *self.router_opts, "--window", "2s", "--interval", "250ms", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def state(self) -> dict[str, Any]:
        try:
            return dict(json.loads(self.state_path.read_text()))
        except (OSError, ValueError):
            return {}

    def at(self, canary: int) -> dict[str, Any]:
        """Wait until the run's state shows the canary at ``canary``% and a step after it."""
        return dict(_poll(lambda: (s := self.state()).get("weights", {}).get("canary") == canary
                          and s.get("state") == "running" and s))

    def events(self) -> list[dict[str, Any]]:
        log = self.state().get("log")
        assert log, self.state()
        return [json.loads(line) for line in Path(log).read_text().splitlines()]

    def served(self) -> Weights | None:
        answer = NginxRouter(stable=self.v1, canary=self.v2, conf_dir=self.lb.conf_dir,
                             listen=self.lb.listen).control()
        if not answer:
            return None
        return Weights(int(str(answer["stable"])), int(str(answer["canary"])))


@pytest.fixture
def setup(nginx_lb: NginxLB, backends: Backends, tmp_path: Path) -> Iterator[Canary]:
    canary = Canary(nginx_lb, backends("v1"), backends("v2"), tmp_path)
    NginxRouter(stable=canary.v1, canary=canary.v2,
                **nginx_lb.router_kwargs()).set_weights(stable=100, canary=0)
    yield canary


@pytest.fixture
def load(nginx_lb: NginxLB, setup: Canary) -> Iterator[LoadGenerator]:
    generator = LoadGenerator("127.0.0.1", nginx_lb.port, budget=30000, limit=180,
                              threads=4, pause=0.03).start()
    try:
        yield generator
    finally:
        generator.stop()


def _only_v1_after(answers: list[Answer], t: float) -> None:
    late = [a for a in answers if a.start > t]
    assert len(late) >= 10 and {a.version for a in late} == {"v1"}, len(late)
    assert all(a.status == 200 for a in answers)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
def test_sigterm_and_sighup_roll_back_like_ctrl_c(setup: Canary, load: LoadGenerator,
                                                  signum: int) -> None:
    """A CI cancel (SIGTERM) or a closed terminal (SIGHUP) at 50%: all traffic back on v1."""
    run = setup.start()
    setup.at(50)
    run.send_signal(signum)
    _, err = run.communicate(timeout=90)
    assert run.returncode == 128 + signum, err
    done = time.time()
    assert setup.served() == Weights(100, 0)
    events = setup.events()
    kinds = [e["kind"] for e in events if e["kind"] != "router_warning"]
    assert kinds[-3:] == ["rollback_started", "rollback_done", "run_finished"], events[-4:]
    assert setup.state()["state"] == "aborted"
    for event in events:
        if event["kind"] == "router_warning":
            print("\n[router_warning]", event["message"])
    time.sleep(1.0)
    _only_v1_after(load.stop(), done)


def test_events_are_on_disk_as_they_happen_and_status_shows_the_rules(
    setup: Canary, load: LoadGenerator,
) -> None:
    """While the run is at 50%, its log on disk already holds every step; status tells it."""
    run = setup.start()
    try:
        setup.at(50)
        kinds = _poll(lambda: (k := [e["kind"] for e in setup.events()])
                      and "pause_started" in k[k.index("health_check"):] and k)
        assert kinds[0] == "run_started" and "weights" in kinds and "decision" in kinds
        out = setup.cli("status", "--json", *setup.state_opts)
        assert out.returncode == 0, out.stderr
        doc = json.loads(out.stdout)
        assert doc["live"] is True and doc["weights"] == {"stable": 50, "canary": 50}
        assert doc["rules"][0]["name"] == "error-spike"
        assert doc["rules"][0]["threshold"] == "above 1%"
        text = setup.cli("status", *setup.state_opts).stdout
        assert "rule error-spike" in text and "rolls back when above 1%" in text
    finally:
        run.send_signal(signal.SIGINT)
        run.communicate(timeout=90)
    assert run.returncode == 130


def test_a_second_run_on_the_same_router_is_refused(setup: Canary, load: LoadGenerator) -> None:
    """One run per router: the second exits 15 and names the first; the first goes on."""
    run = setup.start()
    try:
        first = setup.at(10)
        second = setup.start()
        _, err = second.communicate(timeout=60)
        assert second.returncode == 15, err
        assert "another canary run holds this router" in err and first["run_id"] in err
        assert setup.state()["run_id"] == first["run_id"]
        assert setup.state()["state"] == "running"
    finally:
        run.send_signal(signal.SIGTERM)
        run.communicate(timeout=90)


def test_after_sigkill_rollback_takes_everything_from_the_state(
    setup: Canary, load: LoadGenerator,
) -> None:
    """SIGKILL at 50%: the state says running with nobody holding the lock; `canary rollback`
    with only the folder puts all traffic on v1, on the same listener, and closes the run."""
    run = setup.start()
    setup.at(50)
    run.kill()
    run.communicate(timeout=30)
    assert setup.served() == Weights(50, 50)  # split, nobody watching: what must be undone
    status = json.loads(setup.cli("status", "--json", *setup.state_opts).stdout)
    assert status["state"] == "running" and status["live"] is False
    fragment = setup.lb.conf_dir / "scrubphi-canary.conf"
    listen_before = NginxRouter.listen_of(fragment)
    out = setup.cli("rollback", *setup.state_opts, "--json")
    assert out.returncode == 0, out.stderr
    done = time.time()
    assert setup.served() == Weights(100, 0)
    assert NginxRouter.listen_of(fragment) == listen_before == setup.lb.listen
    assert json.loads(out.stdout)["listen"] == setup.lb.listen
    assert setup.state()["state"] == "rolled_back"
    assert [e["kind"] for e in setup.events()][-3:] == ["recovered", "rollback_done",
                                                        "run_finished"]
    time.sleep(1.0)
    _only_v1_after(load.stop(), done)


def test_a_restarted_run_rolls_the_dead_one_back_first(setup: Canary,
                                                       load: LoadGenerator) -> None:
    """systemd restarting `canary run` after SIGKILL: the orphan is rolled back and recorded."""
    run = setup.start()
    first = setup.at(50)
    run.kill()
    run.communicate(timeout=30)
    again = setup.start()
    try:
        _poll(lambda: setup.state().get("run_id") not in (None, first["run_id"]))
        old_log = [json.loads(line) for line in Path(first["log"]).read_text().splitlines()]
        assert [e["kind"] for e in old_log][-3:] == ["recovered", "rollback_done",
                                                     "run_finished"]
        assert setup.state()["state"] == "running"
    finally:
        again.send_signal(signal.SIGTERM)
        _, err = again.communicate(timeout=90)
    assert "left unfinished" in err


def test_rollback_by_hand_ends_the_running_canary_as_rolled_back(
    setup: Canary, load: LoadGenerator,
) -> None:
    """`canary rollback` at 50%: traffic to v1 at once; the controller records it, never
    promotes afterwards, and exits 11."""
    run = setup.start()
    setup.at(50)
    out = setup.cli("rollback", *setup.state_opts)
    assert out.returncode == 0, out.stderr
    assert setup.served() == Weights(100, 0)
    _, err = run.communicate(timeout=90)
    assert run.returncode == 11, err
    events = setup.events()
    commands = [e for e in events if e["kind"] == "command"]
    assert commands and commands[0]["data"]["command"] == "rollback"
    assert not any(e["kind"] == "weights" and e["data"]["canary"] == 100 for e in events)
    assert setup.state()["state"] == "rolled_back"
    assert "by hand" in setup.state()["reason"]


def test_pause_resume_promote_and_abort_are_obeyed_and_recorded(
    setup: Canary, load: LoadGenerator, receiver: Receiver,
) -> None:
    """Argo-style controls: pause holds 10%, resume goes on, promote --full gives v2 100%;
    abort on a second run rolls back (exit 14).  --webhook posts each step and the end."""
    hook = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    run = setup.start("--webhook", hook)
    try:
        setup.at(10)
        assert setup.cli("pause", *setup.state_opts).returncode == 0
        time.sleep(3.0)  # longer than the 2s pause: still at 10% while paused
        state = setup.state()
        assert state["paused"] and state["weights"]["canary"] == 10
        assert setup.cli("resume", *setup.state_opts).returncode == 0
        setup.at(50)  # the 60s pause at 50% now runs
        assert setup.cli("promote", "--full", *setup.state_opts).returncode == 0
        _, err = run.communicate(timeout=90)
        assert run.returncode == 0, err
    finally:
        if run.poll() is None:
            run.kill()
    assert setup.served() == Weights(0, 100)
    commands = [e["data"]["command"] for e in setup.events() if e["kind"] == "command"]
    assert commands == ["pause", "resume", "promote_full"]
    posted = [(r["notification"], r["event"]["data"].get("canary")) for r in receiver.received]
    assert posted == [("step", 10), ("paused", None), ("step", 50), ("promotion", 100),
                      ("finished", None)]
    second = setup.start()
    setup.at(10)
    assert setup.cli("abort", *setup.state_opts).returncode == 0
    _, err = second.communicate(timeout=90)
    assert second.returncode == 14, err
    assert setup.served() == Weights(100, 0)


def test_rollback_without_a_state_keeps_the_listener(setup: Canary) -> None:
    """No run yet, no --listen: the listen address comes from the router's file, not a default."""
    router = NginxRouter(stable=setup.v1, canary=setup.v2, **setup.lb.router_kwargs())
    assert not setup.state_path.exists()
    router.set_weights(stable=70, canary=30)
    out = setup.cli("rollback", "--stable", setup.v1, "--canary", setup.v2,
                    *setup.state_opts, "--nginx-conf", str(setup.lb.conf), "--nginx-prefix",
                    str(setup.lb.prefix), "--nginx-bin", setup.lb.binary)
    assert out.returncode == 0, out.stderr
    assert setup.served() == Weights(100, 0)
    assert NginxRouter.listen_of(router.path) == setup.lb.listen
    fresh = setup.lb.conf_dir.parent / "empty"
    out = setup.cli("rollback", "--stable", setup.v1, "--canary", setup.v2,
                    "--nginx-conf-dir", str(fresh))
    assert out.returncode == 2 and "give --listen" in out.stderr
    assert not os.path.exists(fresh / "scrubphi-canary.conf")


@pytest.mark.parametrize("same_policy", [True, False], ids=["resumed", "other-policy"])
def test_run_resume_goes_on_from_the_dead_runs_step(
    nginx_lb: NginxLB, backends: Backends, tmp_path: Path, same_policy: bool,
) -> None:
    """SIGKILL at 50%, then `canary run --resume`: the run goes on at its pause (no baseline,
    traffic untouched) and is promoted; with another policy it is rolled back instead."""
    setup = Canary(nginx_lb, backends("v1"), backends("v2"), tmp_path, pause="4s")
    NginxRouter(stable=setup.v1, canary=setup.v2,
                **nginx_lb.router_kwargs()).set_weights(stable=100, canary=0)
    load = LoadGenerator("127.0.0.1", nginx_lb.port, budget=30000, limit=120,
                         threads=4, pause=0.03).start()
    try:
        run = setup.start()
        first = setup.at(50)
        run.kill()
        run.communicate(timeout=30)
        if not same_policy:
            setup.policy.write_text(setup.policy.read_text().replace("above: 1%", "above: 2%"))
        again = setup.start("--resume")
        _, err = again.communicate(timeout=120)
    finally:
        load.stop()
    old = [json.loads(line) for line in Path(first["log"]).read_text().splitlines()]
    new = setup.events()
    if same_policy:
        assert again.returncode == 0, err
        assert "resuming run" in err and old[-1]["kind"] == "recovered"
        assert new[0]["kind"] == "run_started" and new[0]["data"]["resumed_at"] == 4
        applied = [(e["data"]["stable"], e["data"]["canary"]) for e in new
                   if e["kind"] == "weights"]
        assert applied == [(0, 100)]  # straight on from 50%: no baseline back to 100/0
        assert setup.served() == Weights(0, 100)
    else:
        assert "--resume refused: the policy is not the one" in err
        assert [e["kind"] for e in old][-3:] == ["recovered", "rollback_done", "run_finished"]
        assert new[0]["kind"] == "run_started" and "resumed_at" not in new[0]["data"]
        assert again.returncode in (0, 11), err
