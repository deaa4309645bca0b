#!/usr/bin/env python3
"""A table dumped with ``--inserts`` against the same table as COPY, in one run.

Why: some teams dump with ``pg_dump --inserts`` (or ``--column-inserts``,
``--rows-per-insert``), and scrubphi rewrites those statements value by value
in Python (the INSERT parser, the literals) where a COPY row is rewritten in C.
This script restores ``gen_dump.py``'s generated ``patients`` table into a
scratch database, dumps it three ways and scrubs each with the benchmark
policy (``benchmarks/policy.yaml``), best of ``--repeat`` runs of the
``scrubphi`` command, and prints MB/s, each form's time as a ratio to COPY's
on the same rows, and ``pg_dump`` writing each form beside it.

    python benchmarks/inserts_bench.py --size 20MB --repeat 3
    python benchmarks/inserts_bench.py --dsn 'host=127.0.0.1 user=postgres'

Prints numbers and names only.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import gen_dump
from run import ensure_dump, restored_db, scrubphi_command

HERE = Path(__file__).resolve().parent

FORMS = [("COPY", []), ("--inserts", ["--inserts"]),
         ("--column-inserts", ["--column-inserts"]),
         ("--rows-per-insert 100", ["--rows-per-insert", "100"])]


def _timed(argv: list[str], env: dict[str, str], out: Path | None = None) -> float:
    start = time.perf_counter()
    with open(out if out is not None else os.devnull, "wb") as fh:
        subprocess.run(argv, env=env, check=True, stdout=fh)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="20MB", help="patients table size (default 20MB)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dsn", default=os.environ.get("SCRUBPHI_BENCH_DSN",
                                                        "host=127.0.0.1 user=postgres"))
    parser.add_argument("--scrubphi", default=scrubphi_command() or "scrubphi")
    parser.add_argument("--data-dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "scrubphi-bench")
    args = parser.parse_args(argv)
    source = ensure_dump(args.data_dir, gen_dump.parse_size(args.size), ("patients",), args.seed)
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as users run it: byte-compiled
    rows = []
    with restored_db(args.dsn, source, env, "scrubphi_inserts_bench") as conn, \
            tempfile.TemporaryDirectory() as tmp:
        for name, flags in FORMS:
            dump = Path(tmp) / f"{len(rows)}.sql"
            pg = ["pg_dump", "--no-owner", *flags, "-t", "public.patients", "-d", conn]
            _timed(pg, env, dump)
            scrub = [args.scrubphi, "--config", str(HERE / "policy.yaml"), "-i", str(dump),
                     "-o", os.devnull]
            best_pg = best_scrub = float("inf")
            for _ in range(args.repeat):
                best_pg = min(best_pg, _timed(pg, env))
                best_scrub = min(best_scrub, _timed(scrub, env))
            rows.append((name, dump.stat().st_size / 1e6, best_scrub, best_pg))
    copy_seconds = rows[0][2]
    print(f"patients table, best of {args.repeat}; ratio: scrub time / COPY's scrub time")
    print(f"{'form':<22} {'MB':>6} {'scrub MB/s':>10} {'ratio':>6} {'pg_dump MB/s':>12}")
    for name, mb, scrub_s, pg_s in rows:
        print(f"{name:<22} {mb:>6.1f} {mb / scrub_s:>10.1f} {scrub_s / copy_seconds:>6.2f} "
              f"{mb / pg_s:>12.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
