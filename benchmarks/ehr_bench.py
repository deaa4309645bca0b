#!/usr/bin/env python3
"""The realistic profile: an EHR-shaped database scrubbed the way a clinic would.

Why: ``run.py`` measures the benchmark policy, which is what is fast.  This one
measures what users write (issue 13): ``examples/ehr/ehr.sql`` builds a Synthea-shaped
database of 18 tables (patients, encounters, conditions, medications,
observations, claims, notes...) on a real server, and ``examples/ehr/ehr_policy.yaml``
shifts every event date per patient, remaps patient ids one-to-one, makes
SSN and e-mail unique fakes and redacts the notes.  For each size it reports,
measured in the same run:

- ``pg_dump > /dev/null``: how fast the source can be read at all;
- ``pg_dump | psql`` (the plain pipe) and ``pg_dump | scrubphi | psql`` into
  fresh databases, and their ratio (the goal is at most 1.25 on 2 cores);
- ``scrubphi`` alone on the dump file, in MB/s, and its peak RSS; the RSS
  ratio between the largest and the smallest size (constant memory: 1.10).

    python benchmarks/ehr_bench.py                          # 1,000 and 10,000 patients
    python benchmarks/ehr_bench.py --patients 2000,20000 --repeat 3 --json ehr.json

The source databases are kept between runs (named by size); ``--rebuild``
makes them again.  Prints numbers and names only.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from run import scrubphi_command

HERE = Path(__file__).resolve().parent
EHR = HERE.parent / "examples" / "ehr"  # the schema and policy are the bundled EHR example


def _sh(cmd: str, env: dict[str, str]) -> float:
    """Run a shell pipeline with pipefail; its wall time in seconds (raises on failure)."""
    start = time.perf_counter()
    subprocess.run(["bash", "-c", "set -o pipefail; " + cmd], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _child(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Run one command; wall seconds and peak RSS in bytes (os.wait4)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[0]} failed")
    return wall, usage.ru_maxrss * 1024


def _psql(conn: str, *args: str, env: dict[str, str]) -> None:
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", conn, *args], env=env,
                   check=True, stdout=subprocess.DEVNULL)


def _db(base: str, name: str) -> str:
    return f"{base} dbname={name}"


def build(base: str, name: str, patients: int, rebuild: bool, env: dict[str, str]) -> None:
    """Create the source database at this size unless it is there already."""
    exists = subprocess.run(
        ["psql", "-X", "-At", "-d", _db(base, "postgres"), "-c",
         f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        env=env, capture_output=True, text=True, check=True).stdout.strip() == "1"
    if exists and not rebuild:
        return
    _psql(_db(base, "postgres"), "-c", f"DROP DATABASE IF EXISTS {name}", env=env)
    _psql(_db(base, "postgres"), "-c", f"CREATE DATABASE {name}", env=env)
    _psql(_db(base, name), "-v", f"patients={patients}", "-f", str(EHR / "ehr.sql"), env=env)
    _psql(_db(base, name), "-c", "ANALYZE", env=env)


def time_pipes(base: str, source: str, target: str, scrubphi: str, policy: Path,
               repeat: int, env: dict[str, str],
               jobs: int = 1) -> tuple[dict[str, float], int, int]:
    """Best of ``repeat`` (interleaved, so drift hits every command alike) of
    ``pg_dump > /dev/null``, ``pg_dump | psql`` and ``pg_dump | scrubphi | psql`` into a
    fresh ``target``, and of ``scrubphi`` alone on the dump file; its peak RSS and the
    dump's size in bytes."""
    src = shlex.quote(_db(base, source))
    dst = shlex.quote(_db(base, target))
    scrub = f"{shlex.quote(scrubphi)} --jobs {jobs} --config {shlex.quote(str(policy))}"
    restore = f"psql -X -q -v ON_ERROR_STOP=1 --single-transaction -d {dst}"
    best: dict[str, float] = {}
    rss = 0
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "source.sql"
        _sh(f"pg_dump --no-owner -d {src} > {shlex.quote(str(dump))}", env)
        size = dump.stat().st_size
        for _ in range(repeat):
            runs = {
                "pg_dump": f"pg_dump --no-owner -d {src} > /dev/null",
                "plain pipe": f"pg_dump --no-owner -d {src} | {restore}",
                "scrub pipe": f"pg_dump --no-owner -d {src} | {scrub} | {restore}",
            }
            for name, cmd in runs.items():
                if name != "pg_dump":
                    _psql(_db(base, "postgres"), "-c", f"DROP DATABASE IF EXISTS {target}",
                          env=env)
                    _psql(_db(base, "postgres"), "-c", f"CREATE DATABASE {target}", env=env)
                best[name] = min(best.get(name, float("inf")), _sh(cmd, env))
            wall, peak = _child([scrubphi, "--jobs", str(jobs), "--config", str(policy), "-i",
                                 str(dump),
                                 "-o", os.devnull], env)
            best["scrub alone"] = min(best.get("scrub alone", float("inf")), wall)
            rss = max(rss, peak)
        _psql(_db(base, "postgres"), "-c", f"DROP DATABASE IF EXISTS {target}", env=env)
    return best, rss, size


def measure(base: str, patients: int, repeat: int, rebuild: bool, scrubphi: str,
            env: dict[str, str], jobs: int = 1) -> dict[str, Any]:
    source = f"scrubphi_bench_ehr_{patients}"
    build(base, source, patients, rebuild, env)
    target = f"scrubphi_bench_ehr_{patients}_dst"
    policy = EHR / "ehr_policy.yaml"
    best, rss, size = time_pipes(base, source, target, scrubphi, policy, repeat, env, jobs)
    return {
        "patients": patients,
        "jobs": jobs,
        "dump_mb": size / 1e6,
        "seconds": best,
        "pipe_ratio": best["scrub pipe"] / best["plain pipe"],
        "scrub_mbps": size / 1e6 / best["scrub alone"],
        "pg_dump_mbps": size / 1e6 / best["pg_dump"],
        "scrub_rss_mib": rss / 2**20,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dsn", default=os.environ.get("SCRUBPHI_BENCH_DSN",
                                                    "host=127.0.0.1 user=postgres"))
    ap.add_argument("--patients", default="1000,10000", help="sizes, comma-separated")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--scrubphi", default=scrubphi_command() or "scrubphi")
    ap.add_argument("--jobs", type=int, default=1, help="scrubphi --jobs N (default 1)")
    ap.add_argument("--json", help="also write the results as JSON to this file")
    args = ap.parse_args(argv)
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    # As users run it: with byte-compiled modules (a sandbox that sets this would
    # make every run compile scrubphi's modules again, about 0.2 s).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    results = [measure(args.dsn, int(n), args.repeat, args.rebuild, args.scrubphi, env,
                       args.jobs) for n in args.patients.split(",")]
    print(f"scrubphi --jobs {args.jobs}")
    print(f"{'patients':>9} {'dump MB':>8} {'pg_dump':>8} {'plain':>8} {'scrubbed':>9} "
          f"{'ratio':>6} {'scrub MB/s':>10} {'pg_dump MB/s':>12} {'RSS MiB':>8}")
    for r in results:
        s = r["seconds"]
        print(f"{r['patients']:>9} {r['dump_mb']:>8.1f} {s['pg_dump']:>7.2f}s "
              f"{s['plain pipe']:>7.2f}s {s['scrub pipe']:>8.2f}s {r['pipe_ratio']:>6.2f} "
              f"{r['scrub_mbps']:>10.1f} "
              f"{r['pg_dump_mbps']:>12.1f} {r['scrub_rss_mib']:>8.1f}")
    if len(results) > 1:
        print(f"RSS ratio largest/smallest: "
              f"{results[-1]['scrub_rss_mib'] / results[0]['scrub_rss_mib']:.2f} (goal <= 1.10); "
              f"pipe ratio goal <= 1.25")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
