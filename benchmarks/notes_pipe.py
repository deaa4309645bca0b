#!/usr/bin/env python3
"""A notes-heavy table through the pipe: ``pg_dump | scrubphi | psql`` against ``pg_dump | psql``.

Why: issue 11 asks that a table of clinical notes, redacted with ``{redact:
text}``, not make the weekly refresh pipe slower than 1.25x the plain pipe on
2 cores; ``ehr_bench.py`` has notes among 17 other tables, this one is notes
only, where the free-text scan decides the pace.  The table is what an EHR's
note store looks like (id, patient, written at, author, kind, body); the
policy is what a clinic writes for it: the body redacted with dates shifted
per patient, the timestamp shifted per patient, the author faked.

The bodies are the PhysioNet deid nursing notes when ``shared/corpora`` is
there (``SCRUBPHI_SHARED``, or ``shared/`` beside the checkout), tiled to the
size asked for, else ``redact_bench.py``'s generated clinical notes; each
note gets a patient of its own run of notes (``--notes-per-patient``).

Measured in one run, best of ``--repeat``: ``pg_dump > /dev/null``, the plain
pipe and the scrubbed pipe into fresh databases, and the ratio (goal <= 1.25);
``scrubphi`` alone on the dump file (MB/s, peak RSS).

    python benchmarks/notes_pipe.py                      # 40 MB of notes
    python benchmarks/notes_pipe.py --size-mb 100 --repeat 3 --corpus generated

The source database is kept between runs (named by size and corpus);
``--rebuild`` makes it again.  Prints numbers and names only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import psycopg
from ehr_bench import _db, _psql, time_pipes
from redact_bench import corpus, physionet_notes
from run import scrubphi_command

HERE = Path(__file__).resolve().parent

POLICY = """version: 1
scrub:
  key: file:{key}
  tables:
    public.notes:
      columns:
        id: keep
        patient_id: keep
        written_at: {{date: shift, days: 365, per: patient_id}}
        author: {{fake: name}}
        kind: keep
        body: {{redact: text, dates: shift, days: 365, per: patient_id}}
"""

SCHEMA = """
CREATE TABLE public.notes (
    id bigint PRIMARY KEY,
    patient_id integer NOT NULL,
    written_at timestamp with time zone NOT NULL,
    author text NOT NULL,
    kind text NOT NULL,
    body text NOT NULL
);
CREATE INDEX notes_patient ON public.notes (patient_id, written_at);
"""
KINDS = ["nursing", "progress", "discharge", "radiology", "consult"]
AUTHORS = ["Ann Lee", "Tom Reyes", "Maria Okafor", "Ivan Petrov", "Grace Kim", "Sam Hart"]


def bodies(kind: str, megabytes: float) -> list[str]:
    """Note bodies of about ``megabytes`` MB (UTF-8)."""
    notes = physionet_notes() if kind != "generated" else None
    if not notes:
        return corpus(megabytes)
    out: list[str] = []
    size = 0
    while size < megabytes * 1_000_000:
        for note in notes:
            out.append(note)
            size += len(note.encode("utf-8"))
            if size >= megabytes * 1_000_000:
                break
    return out


def build(base: str, name: str, notes: list[str], per_patient: int, rebuild: bool,
          env: dict[str, str]) -> None:
    with psycopg.connect(_db(base, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                              (name,)).fetchone() is not None
        if exists and not rebuild:
            return
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    rng = random.Random(11)
    with psycopg.connect(_db(base, name)) as conn:
        conn.execute(SCHEMA)
        with conn.cursor().copy(
                "COPY public.notes (id, patient_id, written_at, author, kind, body) "
                "FROM STDIN") as copy:
            for i, body in enumerate(notes):
                copy.write_row((i + 1, i // per_patient + 1,
                                f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} "
                                f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00+00",
                                rng.choice(AUTHORS), rng.choice(KINDS), body))
    _psql(_db(base, name), "-c", "VACUUM ANALYZE", env=env)


def measure(base: str, size_mb: float, kind: str, per_patient: int, repeat: int,
            rebuild: bool, scrubphi: str, env: dict[str, str],
            jobs: int = 1) -> dict[str, Any]:
    notes = bodies(kind, size_mb)
    label = "physionet" if kind != "generated" and physionet_notes() else "generated"
    source = f"scrubphi_bench_notes_{label}_{int(size_mb)}"
    target = source + "_dst"
    build(base, source, notes, per_patient, rebuild, env)
    with tempfile.TemporaryDirectory() as tmp:
        policy = Path(tmp) / "notes_policy.yaml"
        policy.write_text(POLICY.format(key=HERE / "bench.key"), encoding="utf-8")
        best, rss, size = time_pipes(base, source, target, scrubphi, policy, repeat, env, jobs)
    return {
        "jobs": jobs, "corpus": label, "notes": len(notes), "dump_mb": size / 1e6,
        "seconds": best,
        "pipe_ratio": best["scrub pipe"] / best["plain pipe"],
        "scrub_mbps": size / 1e6 / best["scrub alone"],
        "pg_dump_mbps": size / 1e6 / best["pg_dump"], "scrub_rss_mib": rss / 2**20,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dsn", default=os.environ.get("SCRUBPHI_BENCH_DSN",
                                                    "host=127.0.0.1 user=postgres"))
    ap.add_argument("--size-mb", type=float, default=40.0, help="MB of note text (default 40)")
    ap.add_argument("--corpus", choices=["physionet", "generated"], default="physionet",
                    help="physionet (when shared/corpora is there) or generated")
    ap.add_argument("--notes-per-patient", type=int, default=12)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--scrubphi", default=scrubphi_command() or "scrubphi")
    ap.add_argument("--jobs", type=int, default=1, help="scrubphi --jobs N (default 1)")
    ap.add_argument("--json", help="also write the result as JSON to this file")
    args = ap.parse_args(argv)
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as users run it: byte-compiled
    r = measure(args.dsn, args.size_mb, args.corpus, args.notes_per_patient, args.repeat,
                args.rebuild, args.scrubphi, env, args.jobs)
    s = r["seconds"]
    print(f"notes table ({r['corpus']}, {r['notes']:,} notes): dump {r['dump_mb']:.1f} MB, "
          f"best of {args.repeat}, scrubphi --jobs {args.jobs}")
    print(f"  pg_dump > /dev/null   {s['pg_dump']:6.2f} s  ({r['pg_dump_mbps']:.1f} MB/s)")
    print(f"  pg_dump | psql        {s['plain pipe']:6.2f} s")
    print(f"  pg_dump | scrubphi | psql {s['scrub pipe']:6.2f} s  ratio {r['pipe_ratio']:.2f} "
          f"(goal <= 1.25)")
    print(f"  scrubphi alone        {s['scrub alone']:6.2f} s  ({r['scrub_mbps']:.1f} MB/s, "
          f"peak RSS {r['scrub_rss_mib']:.0f} MiB)")
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
