#!/usr/bin/env python3
"""Flag evaluation latency: scrubphi's evaluator next to the UnleashClient SDK, in one run.

Why: a flag is asked on every request, often several times, so its cost is
paid per request by every web worker.  The question a team asks before
swapping its Unleash SDK for in-process evaluation from the policy file is
"is it at least as fast?"; this answers it on the same machine, the same
features document and the same contexts, in one process.

Three flags, each a typical shape:

* ``simple``: on, one ``default`` strategy (``is_enabled``);
* ``targeted``: a ``flexibleRollout`` (50%, userId) behind three constraints
  (``IN``, ``NUM_GTE``, ``SEMVER_GTE``) and a segment with two more
  (``STR_ENDS_WITH``, ``NOT_IN``) (``is_enabled``);
* ``variant``: on for everyone, three weighted variants with userId
  stickiness, one with a payload (``get_variant``).

UnleashClient evaluates locally too: the document is handed to it through a
bootstrapped in-memory cache, with ``disable_metrics`` and
``disable_registration``; ``initialize_client`` is never called, so no
scheduler thread runs and nothing touches the network, and ``destroy()``
tears it down at the end.  Both clients answer every context identically
(checked before timing; a mismatch aborts the run).

Each measurement is the best of ``--repeat`` rounds of ``--calls`` calls,
cycling over 1,000 distinct contexts, in microseconds per call; the ratio is
ours / theirs (below 1 means scrubphi is faster).  scrubphi hashes with the C
murmur3 of ``mmh3`` when it is installed (UnleashClient pulls it in); the
``pure`` columns repeat our side in a child process with
``SCRUBPHI_NO_EXTENSIONS=1`` (pure-Python murmur3), the worst case.

Usage::

    pip install UnleashClient            # the 'bench' extra; not a runtime dependency
    PYTHONPATH=src python benchmarks/flags_bench.py [--calls 20000] [--repeat 7] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from scrubphi.flags import FlagClient, load_unleash, murmur

__all__ = ["DOCUMENT", "contexts", "main", "measure", "unleash_client"]

DOCUMENT: dict[str, Any] = {
    "version": 2,
    "segments": [
        {
            "id": 1,
            "name": "staff",
            "constraints": [
                {
                    "contextName": "email",
                    "operator": "STR_ENDS_WITH",
                    "values": ["@clinic.example", "@hospital.example"],
                },
                {"contextName": "country", "operator": "NOT_IN", "values": ["XX", "YY"]},
            ],
        }
    ],
    "features": [
        {
            "name": "simple",
            "enabled": True,
            "type": "release",
            "strategies": [{"name": "default", "parameters": {}, "constraints": []}],
            "variants": [],
        },
        {
            "name": "targeted",
            "enabled": True,
            "type": "release",
            "strategies": [
                {
                    "name": "flexibleRollout",
                    "parameters": {"rollout": "50", "stickiness": "userId", "groupId": "targeted"},
                    "constraints": [
                        {"contextName": "plan", "operator": "IN", "values": ["gold", "silver"]},
                        {"contextName": "age", "operator": "NUM_GTE", "value": "18"},
                        {"contextName": "appVersion", "operator": "SEMVER_GTE", "value": "2.0.0"},
                    ],
                    "segments": [1],
                }
            ],
            "variants": [],
        },
        {
            "name": "variant",
            "enabled": True,
            "type": "experiment",
            "strategies": [
                {
                    "name": "flexibleRollout",
                    "parameters": {"rollout": "100", "stickiness": "default", "groupId": "variant"},
                    "constraints": [],
                }
            ],
            "variants": [
                {"name": "red", "weight": 500, "stickiness": "userId", "weightType": "variable"},
                {
                    "name": "blue",
                    "weight": 300,
                    "stickiness": "userId",
                    "weightType": "variable",
                    "payload": {"type": "json", "value": '{"k": 1}'},
                },
                {"name": "green", "weight": 200, "stickiness": "userId", "weightType": "variable"},
            ],
        },
    ],
}


def contexts(count: int = 1000) -> list[dict[str, Any]]:
    """Distinct request contexts; most pass the constraints so the rollout itself is timed."""
    out: list[dict[str, Any]] = []
    for i in range(count):
        out.append(
            {
                "userId": str(100_000 + i),
                "sessionId": f"s-{i}",
                "properties": {
                    "plan": ("gold", "silver", "free")[i % 3] if i % 7 == 0 else "gold",
                    "age": str(18 + i % 60),
                    "appVersion": f"2.{i % 5}.{i % 3}",
                    "email": f"user{i}@clinic.example",
                    "country": "NO",
                },
            }
        )
    return out


class _MemoryCache:
    """An in-memory cache for UnleashClient: bootstrapped, no file, no network."""

    bootstrapped = True

    def __init__(self, document: Mapping[str, Any]) -> None:
        from UnleashClient.constants import FEATURES_URL

        self._data: dict[str, Any] = {FEATURES_URL: json.dumps(document)}

    def set(self, key: str, value: Any) -> None:
        self._data[key] = value

    def mset(self, data: dict[str, Any]) -> None:
        self._data.update(data)

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def exists(self, key: str) -> bool:
        return key in self._data

    def destroy(self) -> None:
        self._data.clear()


def unleash_client(document: Mapping[str, Any]) -> Any:
    """An UnleashClient evaluating ``document`` locally: no thread, no network, no file."""
    from UnleashClient import UnleashClient
    from UnleashClient.cache import BaseCache

    cache_type = type("MemoryCache", (_MemoryCache, BaseCache), {})
    client = UnleashClient(
        url="http://127.0.0.1:9/unused",  # never contacted: initialize_client is not called
        app_name="scrubphi-bench",
        environment="default",
        disable_metrics=True,
        disable_registration=True,
        cache=cache_type(document),
    )
    if not client.unleash_bootstrapped:
        raise RuntimeError("UnleashClient did not take the bootstrapped document")
    return client


def measure(call: Callable[[Any], Any], inputs: Sequence[Any], calls: int, repeat: int) -> float:
    """Best microseconds per call over ``repeat`` rounds of ``calls`` calls."""
    n = len(inputs)
    rounds = max(1, calls // n)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter_ns()
        for _ in range(rounds):
            for item in inputs:
                call(item)
        elapsed = time.perf_counter_ns() - start
        best = min(best, elapsed / (rounds * n) / 1000.0)
    return best


def _same_answers(ours: FlagClient, theirs: Any, ctxs: Sequence[dict[str, Any]]) -> None:
    for ctx in ctxs:
        for name in ("simple", "targeted"):
            a, b = ours.is_enabled(name, ctx), theirs.is_enabled(name, ctx)
            if a != b:
                raise SystemExit(f"answers differ for {name} (userId {ctx['userId']}): {a} vs {b}")
        va, vb = ours.get_variant("variant", ctx), theirs.get_variant("variant", ctx)
        if (va["name"], va["enabled"]) != (vb["name"], vb["enabled"]):
            raise SystemExit(f"variants differ (userId {ctx['userId']}): {va} vs {vb}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison and print a table (and JSON with ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000, help="calls per round")
    parser.add_argument("--repeat", type=int, default=7, help="rounds; the best is kept")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument(
        "--ours-only", action="store_true", help="skip UnleashClient (profiling our side)"
    )
    parser.add_argument(
        "--no-pure",
        action="store_true",
        help="skip the second run of scrubphi with the pure-Python murmur3 "
        "(SCRUBPHI_NO_EXTENSIONS=1, in a child process)",
    )
    args = parser.parse_args(argv)

    # UnleashClient logs a warning per evaluation of an unknown flag and at
    # start; keep the table readable.
    logging.getLogger("UnleashClient").setLevel(logging.ERROR)
    ctxs = contexts()
    ours = load_unleash(DOCUMENT)
    theirs = None if args.ours_only else unleash_client(DOCUMENT)
    try:
        if theirs is not None:
            _same_answers(ours, theirs, ctxs)
        cases: list[tuple[str, str, Callable[[Any], Callable[[Any], Any]]]] = [
            ("simple", "is_enabled", lambda c: lambda x: c.is_enabled("simple", x)),
            ("targeted", "is_enabled", lambda c: lambda x: c.is_enabled("targeted", x)),
            ("variant", "get_variant", lambda c: lambda x: c.get_variant("variant", x)),
        ]
        rows: list[dict[str, Any]] = []
        for flag, method, make in cases:
            row: dict[str, Any] = {"flag": flag, "call": method}
            row["scrubphi_us"] = measure(make(ours), ctxs, args.calls, args.repeat)
            if theirs is not None:
                row["unleashclient_us"] = measure(make(theirs), ctxs, args.calls, args.repeat)
                row["ratio"] = row["scrubphi_us"] / row["unleashclient_us"]
            rows.append(row)
    finally:
        if theirs is not None:
            theirs.destroy()
    if not args.ours_only and not args.no_pure and murmur.IMPLEMENTATION != "pure":
        for row, pure_us in zip(rows, _pure_run(args.calls, args.repeat), strict=True):
            row["scrubphi_pure_us"] = pure_us
            if "unleashclient_us" in row:
                row["ratio_pure"] = pure_us / row["unleashclient_us"]

    machine = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "nproc": os.cpu_count(),
        "murmur3": murmur.IMPLEMENTATION,
        "unleashclient": _version("UnleashClient"),
        "yggdrasil_engine": _version("yggdrasil-engine"),
    }
    print(
        f"python {machine['python']} ({machine['machine']}, nproc {machine['nproc']}), "
        f"UnleashClient {machine['unleashclient']} (yggdrasil-engine "
        f"{machine['yggdrasil_engine']}), scrubphi murmur3 {machine['murmur3']}; "
        f"best of {args.repeat} x {args.calls} calls"
    )
    print(
        f"{'flag':<10} {'call':<12} {'scrubphi µs':>12} {'Unleash µs':>11} {'ours/theirs':>12}"
        f" {'pure µs':>8} {'pure/theirs':>12}"
    )
    for row in rows:
        cells = [
            f"{row[key]:.2f}" if key in row else "-"
            for key in ("unleashclient_us", "ratio", "scrubphi_pure_us", "ratio_pure")
        ]
        print(
            f"{row['flag']:<10} {row['call']:<12} {row['scrubphi_us']:>12.2f} "
            f"{cells[0]:>11} {cells[1]:>12} {cells[2]:>8} {cells[3]:>12}"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"machine": machine, "rows": rows}, fh, indent=2)
    return 0


def _pure_run(calls: int, repeat: int) -> list[float]:
    """Our timings again in a child that uses the pure-Python murmur3."""
    env = {**os.environ, "SCRUBPHI_NO_EXTENSIONS": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "pure.json")
        subprocess.run(
            [
                sys.executable,
                os.path.abspath(__file__),
                "--ours-only",
                "--calls",
                str(calls),
                "--repeat",
                str(repeat),
                "--json",
                out,
            ],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=600,
        )
        with open(out, encoding="utf-8") as fh:
            result = json.load(fh)
    if result["machine"]["murmur3"] != "pure":
        raise RuntimeError("the child did not use the pure murmur3")
    return [float(row["scrubphi_us"]) for row in result["rows"]]


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


if __name__ == "__main__":
    sys.exit(main())
