"""Plain mode against chunked mode of ``scrubphi refresh``, on two databases, in one run.

- ``large``: one table of ``--rows`` patient-like rows (PHI columns, a unique
  MRN, a secondary index; ``benchmarks/refresh_bench.py``'s table) beside two
  small ones: the usual clinic database, dominated by one table of notes or
  observations, which plain and parallel mode can only scrub on one core;
- ``many``: ``--tables`` tables sharing the same number of rows.

Each database is refreshed in plain mode and with ``--chunked --jobs N``
(the embedded Dask cluster), alternately, ``--repeat`` times, under the
``structured`` policy of refresh_bench (PHI faked, tokenized, generalized).
It prints each mode's best run, the ratio plain / chunked (above 1: chunked
is faster), and the inputs of the arithmetic in docs/refresh.md:

- the per-worker rate of a unit (source COPY out, scrub, target COPY in), from
  chunked mode's per-unit report: bytes of COPY text / the unit's seconds;
- the target server's ingest rate alone: the large table's COPY text, held
  in memory, loaded into an empty table of the same shape with one ``COPY``.

    python benchmarks/chunked_bench.py                      # 127.0.0.1:5432, 600,000 rows
    python benchmarks/chunked_bench.py --rows 400000 --jobs 2 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from refresh_bench import (  # noqa: E402
    _RULE,
    _TABLE,
    _admin,
    _comment,
    _drop_generations,
    _dsn,
    _exists,
)

from scrubphi.refresh import RefreshOptions, refresh  # noqa: E402

# refresh_bench's rows, with products that stay in range past 270,000 rows.
_BIG_TABLE = _TABLE.replace("(g * 37 % 30000)", "(g::bigint * 37 % 30000)::int").replace(
    "g * ", "g::bigint * "
)


def _build(base: str, name: str, sizes: list[int], label: str) -> None:
    if _exists(base, name) and _comment(base, name) == label:
        return
    print(f"building {name}: {sizes} rows ...", file=sys.stderr)
    with _admin(base) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(_dsn(base, name), autocommit=True) as conn:
        for i, rows in enumerate(sizes, 1):
            conn.execute(_BIG_TABLE.format(t=f"patients_{i}", rows=rows))
        conn.execute("VACUUM ANALYZE")
        conn.execute(f"COMMENT ON DATABASE \"{name}\" IS '{label}'")


def _once(base: str, source: str, policy: Path, mode: str, jobs: int) -> dict[str, Any]:
    staging = f"scrubphi_bench_chunked_stg_{mode}"
    _drop_generations(base, staging)
    opts = RefreshOptions(
        source_url=_dsn(base, source),
        staging_url=_dsn(base, staging),
        configs=(str(policy),),
        keep=0,
        jobs=jobs if mode == "chunked" else 1,
        chunked=mode == "chunked",
        grace_s=0.1,
        log=lambda _m: None,
    )
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    result = refresh(opts)
    wall = time.perf_counter() - began
    out: dict[str, Any] = {
        "mode": mode,
        "wall_s": round(wall, 3),
        "steps": {s["step"]: s["seconds"] for s in result.steps},
        "loadavg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    units = (result.scrub or {}).get("units")
    if units:
        secs = sum(u["seconds"] for u in units)
        out["units"] = len(units)
        out["unit_mb_per_s"] = round(sum(u["bytes_in"] for u in units) / secs / 1e6, 2)
    out["restore_mb_per_s"] = round(
        (result.scrub or {}).get("bytes_in", 0) / out["steps"]["restore"] / 1e6, 2
    )
    _drop_generations(base, staging)  # drops every generation, leaves an empty staging
    with _admin(base) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{staging}" WITH (FORCE)')
    return out


def _ingest(base: str, source: str) -> dict[str, float]:
    """The target server's COPY ingest alone: the big table's text, from memory, one COPY."""
    with psycopg.connect(_dsn(base, source), autocommit=True) as conn:
        parts: list[bytes] = []
        began = time.perf_counter()
        with conn.cursor() as cur, cur.copy("COPY public.patients_1 TO STDOUT") as copy:
            parts.extend(bytes(b) for b in copy)
        out_s = time.perf_counter() - began
        data = b"".join(parts)
        conn.execute("DROP TABLE IF EXISTS public.ingest_probe")
        conn.execute(
            "CREATE TABLE public.ingest_probe (LIKE public.patients_1)"
        )
        began = time.perf_counter()
        with conn.cursor() as cur, cur.copy(
            "COPY public.ingest_probe (id, mrn, first_name, last_name, ssn, dob, phone, email, "
            "street, city, zip, visits, created_at, note) FROM STDIN"
        ) as copy:
            for i in range(0, len(data), 1 << 20):
                copy.write(data[i : i + (1 << 20)])
        in_s = time.perf_counter() - began
        conn.execute("DROP TABLE public.ingest_probe")
    mb = len(data) / 1e6
    return {"mb": round(mb, 1), "copy_out_mb_per_s": round(mb / out_s, 1),
            "copy_in_mb_per_s": round(mb / in_s, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--dsn", default=os.environ.get("SCRUBPHI_BENCH_DSN", "host=127.0.0.1 user=postgres")
    )
    ap.add_argument("--rows", type=int, default=600_000)
    ap.add_argument("--tables", type=int, default=8)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args(argv)
    small = max(1, args.rows // 50)
    shapes = {
        "large": [args.rows, small, small],
        "many": [args.rows // args.tables] * args.tables,
    }
    summaries = []
    for shape, sizes in shapes.items():
        source = f"scrubphi_bench_chunked_{shape}"
        _build(args.dsn, source, sizes, f"scrubphi chunked benchmark v1 {sizes}")
        with tempfile.TemporaryDirectory() as tmp:
            policy = Path(tmp) / "policy.yaml"
            policy.write_text(
                "version: 1\nscrub:\n"
                f"  key: file:{HERE / 'bench.key'}\n  tables:\n"
                + "".join(
                    _RULE.format(t=f"patients_{i}", note="null")
                    for i in range(1, len(sizes) + 1)
                ),
                encoding="utf-8",
            )
            runs = []
            for _ in range(args.repeat):
                for mode in ("plain", "chunked"):
                    r = _once(args.dsn, source, policy, mode, args.jobs)
                    print(json.dumps({"shape": shape, **r}), file=sys.stderr)
                    runs.append(r)
        best = {m: min((r for r in runs if r["mode"] == m), key=lambda r: r["wall_s"])
                for m in ("plain", "chunked")}
        summary = {
            "shape": shape,
            "rows": sizes,
            "jobs": args.jobs,
            "cpus": os.cpu_count(),
            "plain": best["plain"],
            "chunked": best["chunked"],
            "ratio_total": round(best["plain"]["wall_s"] / best["chunked"]["wall_s"], 3),
            "ratio_restore": round(
                best["plain"]["steps"]["restore"] / best["chunked"]["steps"]["restore"], 3
            ),
            "runs": runs,
        }
        if shape == "large":
            summary["ingest"] = _ingest(args.dsn, source)
        summaries.append(summary)
    for s in summaries:
        p, c = s["plain"], s["chunked"]
        print(f"\n{s['shape']}: tables of {s['rows']} rows; --chunked --jobs {s['jobs']}, "
              f"{s['cpus']} cpus; best of {len(s['runs']) // 2}")
        print(f"  plain   {p['wall_s']:>8.2f} s (restore {p['steps']['restore']:.2f} s, "
              f"{p['restore_mb_per_s']} MB/s)")
        print(f"  chunked {c['wall_s']:>8.2f} s (restore {c['steps']['restore']:.2f} s, "
              f"{c['restore_mb_per_s']} MB/s; {c.get('units')} units, "
              f"{c.get('unit_mb_per_s')} MB/s per unit)")
        print(f"  plain / chunked: total {s['ratio_total']}x, restore {s['ratio_restore']}x")
        if "ingest" in s:
            print(f"  server alone: COPY out {s['ingest']['copy_out_mb_per_s']} MB/s, "
                  f"COPY in {s['ingest']['copy_in_mb_per_s']} MB/s ({s['ingest']['mb']} MB)")
    if args.json:
        Path(args.json).write_text(json.dumps(summaries, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
