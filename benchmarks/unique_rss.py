#!/usr/bin/env python3
"""Unique fakes in constant memory: peak RSS of scrubbing 20k vs 2M distinct values.

Why: ``{fake: P, unique: true}`` used to keep every value seen (706 MB at 2M
rows).  It is now a keyed bijection with no state (docs/transforms.md,
``unique: true``), so scrubbing a table of N distinct SSNs and e-mails must
take the same memory for any N.  For each size this writes a pg_dump-shaped
dump of one table (id, a distinct SSN, a distinct e-mail, both ``unique:
true``), runs the ``scrubphi`` CLI on it in a subprocess and reads that
process's peak RSS (``os.wait4``); it prints each size's RSS, MB/s and the
ratio largest / smallest (target: at most 1.10), for each codec asked for.
``--control`` also scrubs the same dumps with ``hash`` instead of the unique
fakes: the growth both share is the codec's read and write buffers (a dump
smaller than one 1 MiB read chunk fills them less), not the fakes.

    python benchmarks/unique_rss.py                       # 20,000 and 2,000,000 rows, compiled
    python benchmarks/unique_rss.py --codec pure --sizes 20000,200000
    python benchmarks/unique_rss.py --json unique.json

Prints numbers and names only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

POLICY = """version: 1
scrub:
  key: env:SCRUBPHI_KEY
  tables:
    public.people:
      columns:
        id: keep
        ssn: {fake: ssn, unique: true}
        email: {fake: email, unique: true}
"""

#: The same table without unique fakes: what the codec's own buffers take at each size.
CONTROL = POLICY.replace("{fake: ssn, unique: true}", "hash").replace(
    "{fake: email, unique: true}", "hash"
)

HEADER = """--
-- PostgreSQL database dump
--

SET statement_timeout = 0;

CREATE TABLE public.people (
    id integer NOT NULL,
    ssn text NOT NULL,
    email text NOT NULL
);

COPY public.people (id, ssn, email) FROM stdin;
"""

TRAILER = """\\.

--
-- PostgreSQL database dump complete
--

"""


def write_dump(out: IO[bytes], rows: int) -> None:
    """``rows`` people with distinct SSNs (spread over the whole space) and e-mails."""
    out.write(HEADER.encode())
    batch: list[str] = []
    for i in range(1, rows + 1):
        d = f"{i * 7919 % 1_000_000_000:09d}"  # 7919 is prime to 10**9: all distinct
        batch.append(f"{i}\t{d[:3]}-{d[3:5]}-{d[5:]}\tpatient{i}@clinic{i % 13}.test\n")
        if len(batch) == 10_000:
            out.write("".join(batch).encode())
            batch.clear()
    out.write("".join(batch).encode())
    out.write(TRAILER.encode())


def measure(dump: Path, policy: Path, codec: str) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one ``scrubphi`` run on ``dump``."""
    env = dict(os.environ)
    env["SCRUBPHI_KEY"] = "unique-rss-benchmark-key-0123456789"
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    if codec == "pure":
        env["SCRUBPHI_NO_EXTENSIONS"] = "1"
    else:
        env.pop("SCRUBPHI_NO_EXTENSIONS", None)
    argv = [sys.executable, "-m", "scrubphi", "--config", str(policy), "-i", str(dump),
            "--no-progress"]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"scrubphi failed on {dump.name} ({codec})")
    return wall, usage.ru_maxrss * 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,2000000", help="rows per run, comma-separated")
    parser.add_argument("--codec", default="compiled", help="compiled, pure or both")
    parser.add_argument("--json", help="also write the results as JSON to this file")
    parser.add_argument("--control", action="store_true",
                        help="also run each size with hash instead of the unique fakes")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    codecs = ["compiled", "pure"] if args.codec == "both" else [args.codec]
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="scrubphi-unique-") as tmp:
        policy = Path(tmp) / "policy.yaml"
        policy.write_text(POLICY, encoding="utf-8")
        control = Path(tmp) / "control.yaml"
        control.write_text(CONTROL, encoding="utf-8")
        runs = [("unique", policy)] + ([("hash", control)] if args.control else [])
        for rows in sizes:
            dump = Path(tmp) / f"people-{rows}.sql"
            with dump.open("wb") as out:
                write_dump(out, rows)
            mb = dump.stat().st_size / 1e6
            for codec in codecs:
                for label, path in runs:
                    wall, rss = measure(dump, path, codec)
                    results.append({"rows": rows, "codec": codec, "policy": label,
                                    "dump_mb": round(mb, 1), "seconds": round(wall, 2),
                                    "mb_per_s": round(mb / wall, 1),
                                    "max_rss_mb": round(rss / 2**20, 1)})
                    print(f"{codec:8s} {label:6s} {rows:>10,} rows  {mb:7.1f} MB  "
                          f"{wall:7.2f} s  {mb / wall:6.1f} MB/s  max RSS {rss / 2**20:6.1f} MB",
                          flush=True)
            dump.unlink()
    for codec in codecs:
        for label, _path in runs:
            mine = [r for r in results if r["codec"] == codec and r["policy"] == label]
            ratio = mine[-1]["max_rss_mb"] / mine[0]["max_rss_mb"]
            print(f"{codec} {label}: RSS ratio {mine[-1]['rows']:,} / {mine[0]['rows']:,} rows"
                  f" = {ratio:.3f}" + (" (target <= 1.10)" if label == "unique" else ""))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
