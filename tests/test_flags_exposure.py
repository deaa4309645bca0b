"""Exposure counts: what the rollout gates read to decide whether a phase is healthy.

Protects that every evaluation is counted once, under the right flag,
variant and phase, that no count is lost between threads, that a forked
worker counts only its own evaluations, and that counting stays cheap.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

from scrubphi.flags import ExposureCounter, FlagClient, StaticState, load_unleash
from scrubphi.policy import loads_policy

DOC: dict[str, Any] = {
    "version": 2,
    "features": [
        {"name": "on", "enabled": True, "strategies": []},
        {"name": "off", "enabled": False, "strategies": []},
        {
            "name": "colour",
            "enabled": True,
            "strategies": [],
            "variants": [
                {
                    "name": "red",
                    "weight": 1,
                    "overrides": [{"contextName": "userId", "values": ["r"]}],
                },
                {
                    "name": "blue",
                    "weight": 1,
                    "overrides": [{"contextName": "userId", "values": ["b"]}],
                },
            ],
        },
        {"name": "child", "enabled": True, "strategies": [], "dependencies": [{"feature": "on"}]},
    ],
}

PLAN = """\
version: 1
flags:
  f: {enabled: true, plan: p}
rollouts:
  p:
    stickiness: userId
    phases:
      - {name: five, percent: 5}
      - {name: all, percent: 100}
"""


def test_yes_and_no_are_counted_per_flag() -> None:
    """Each is_enabled call adds one to yes or no of its flag, unknown flags included."""
    client = load_unleash(DOC)
    for _ in range(3):
        client.is_enabled("on")
    client.is_enabled("off")
    client.is_enabled("ghost", default=True)
    counts = client.exposures()
    assert counts["on"] == {"yes": 3, "no": 0, "variants": {}, "phases": {}}
    assert counts["off"]["no"] == 1
    assert counts["ghost"]["yes"] == 1


def test_variants_are_counted_by_name() -> None:
    """get_variant counts the variant chosen (and yes/no of the flag)."""
    client = load_unleash(DOC)
    client.get_variant("colour", {"userId": "r"})
    client.get_variant("colour", {"userId": "r"})
    client.get_variant("colour", {"userId": "b"})
    client.get_variant("off", {})
    counts = client.exposures()
    assert counts["colour"]["variants"] == {"blue": 1, "red": 2}
    assert counts["colour"]["yes"] == 3
    assert counts["off"]["variants"] == {"disabled": 1}


def test_dependency_parents_are_not_counted() -> None:
    """Evaluating a parent to check a dependency is not an exposure of the parent."""
    client = load_unleash(DOC)
    assert client.is_enabled("child") is True
    assert "on" not in client.exposures()


def test_phases_split_the_counts_of_a_plan_flag() -> None:
    """A plan flag's counts are split by the phase current at evaluation time."""
    state = StaticState({"p": 0})
    client = FlagClient.from_policy(loads_policy(PLAN), state=state)
    ids = [f"u{n}" for n in range(1000)]
    in_five = sum(client.is_enabled("f", {"userId": i}) for i in ids)
    state.set("p", 1)
    for i in ids[:10]:
        client.is_enabled("f", {"userId": i})
    phases = client.exposures()["f"]["phases"]
    assert phases["five"] == {"yes": in_five, "no": 1000 - in_five}
    assert phases["all"] == {"yes": 10, "no": 0}
    assert 0 < in_five < 100


def test_snapshot_is_a_copy_and_clear_resets() -> None:
    """A snapshot does not change under the reader; clear() starts again from zero."""
    client = load_unleash(DOC)
    client.is_enabled("on")
    snap = client.exposures()
    client.is_enabled("on")
    assert snap["on"]["yes"] == 1
    assert client.exposures()["on"]["yes"] == 2
    client.clear_exposures()
    assert client.exposures() == {}


def test_no_count_is_lost_between_threads() -> None:
    """16 threads counting at once: the snapshot adds up to every single evaluation."""
    client = load_unleash(DOC)
    start = threading.Barrier(16)
    snapshots: list[dict[str, Any]] = []

    def work(n: int) -> None:
        start.wait()
        for _ in range(2000):
            client.is_enabled("on")
            client.get_variant("colour", {"userId": "r" if n % 2 else "b"})
        snapshots.append(client.exposures())  # reading while others still count

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = client.exposures()
    assert counts["on"]["yes"] == 16 * 2000
    assert counts["colour"]["variants"] == {"red": 8 * 2000, "blue": 8 * 2000}
    assert all(s["on"]["yes"] <= 16 * 2000 for s in snapshots)


def test_fork_child_counts_only_its_own_evaluations() -> None:
    """A forked worker starts from zero and evaluates as its parent; the parent keeps its counts."""
    client = load_unleash(DOC)
    client.is_enabled("on")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child process
        try:
            before = client.exposures()
            result = client.is_enabled("on")
            after = client.exposures()["on"]["yes"]
            os.write(write, json.dumps([before, result, after]).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as fh:
        before, result, after = json.loads(fh.read())
    os.waitpid(pid, 0)
    assert (before, result, after) == ({}, True, 1)
    assert client.exposures()["on"]["yes"] == 1


def test_counting_is_cheap() -> None:
    """A count costs well under a microsecond or two: cheap enough to leave on."""
    counter = ExposureCounter()
    counter.count("warm", True, None, None)
    n = 200_000
    began = time.perf_counter()
    for _ in range(n):
        counter.count("f", True, "five", None)
    per_call = (time.perf_counter() - began) / n
    assert counter.totals()[("f", "five", None, True)] == n
    assert per_call < 5e-6, per_call
