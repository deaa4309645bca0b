"""Plain mode against parallel mode of ``scrubphi refresh``, as a ratio in one script.

Builds a source database of ``--tables`` patient-like tables of ``--rows`` rows
each (PHI columns, a unique MRN, a secondary index, a free-text note on one
row in five), then runs the refresh in plain mode and with ``--jobs N``
alternately, ``--repeat`` times each, into throwaway staging databases, and
reports each step's seconds and the ratio plain / parallel of the best runs
(above 1 means parallel is faster). Two policies (``--profile``):

- ``structured``: the structured PHI columns are faked, tokenized and
  generalized, the note is nulled. The server's work (COPY out and in, index
  builds) dominates;
- ``notes``: the same, and the note goes through ``{redact: text}``, the
  slowest transform. The scrubber's work dominates, as in a clinic's
  database of clinical notes.

    python benchmarks/refresh_bench.py                     # both profiles, local 127.0.0.1:5432
    python benchmarks/refresh_bench.py --profile notes --tables 8 --rows 100000 --jobs 2
    python benchmarks/refresh_bench.py --dsn "host=/tmp user=me" --json out.json

The source database is kept between runs (``--keep-source``) because
building it takes longer than a refresh; ``--rebuild`` makes it again.
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
from psycopg.conninfo import conninfo_to_dict, make_conninfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from scrubphi.refresh import RefreshOptions, refresh  # noqa: E402

_TABLE = """
CREATE TABLE public.{t} (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mrn text NOT NULL UNIQUE,
    first_name text,
    last_name text,
    ssn text,
    dob date,
    phone text,
    email text,
    street text,
    city text,
    zip text,
    visits integer,
    created_at timestamptz NOT NULL,
    note text
);
CREATE INDEX ON public.{t} (last_name, first_name);
INSERT INTO public.{t} (mrn, first_name, last_name, ssn, dob, phone, email, street, city, zip,
                        visits, created_at, note)
SELECT 'M' || lpad(g::text, 9, '0'),
       (ARRAY['Ana','Ben','Chloe','Dev','Eve','Farid','Gus','Hana','Ivan','Jo'])[1 + g % 10]
           || (g % 977)::text,
       'Last' || (g % 20011)::text,
       lpad((g * 7919 % 1000000000)::text, 9, '0'),
       date '1930-01-01' + (g * 37 % 30000),
       '555-' || lpad((g * 31 % 10000000)::text, 7, '0'),
       'p' || g || '@example.org',
       (g % 9999) || ' Elm Street',
       'City' || (g % 3000)::text,
       lpad((g * 13 % 99999)::text, 5, '0'),
       g % 40,
       timestamptz '2020-01-01' + g * interval '1 minute',
       CASE WHEN g % 5 = 0 THEN
           'Pt Last' || (g % 20011)::text || ' seen '
           || to_char(date '2024-01-01' + g % 700, 'MM/DD/YYYY')
           || ' for chest pain. Call 617-555-' || lpad((g % 10000)::text, 4, '0')
           || ' with results; MRN: M' || lpad(g::text, 9, '0') || '. Follow up in 2 weeks.'
       END
FROM generate_series(1, {rows}) AS g;
"""

_RULE = """    public.{t}:
      columns:
        id: keep
        mrn: {{tokenize: alnum}}
        first_name: {{fake: first_name}}
        last_name: {{fake: last_name}}
        ssn: {{tokenize: digits}}
        dob: {{date: safe_harbor, as_of: 2026-01-01}}
        phone: {{fake: phone_number}}
        email: {{fake: email}}
        street: {{fake: street_address}}
        city: keep
        zip: {{generalize: zip3}}
        visits: keep
        created_at: keep
        note: {note}
"""


def _dsn(base: str, dbname: str) -> str:
    params = conninfo_to_dict(base)
    params["dbname"] = dbname
    return make_conninfo(**params)


def _admin(base: str) -> psycopg.Connection[Any]:
    return psycopg.connect(_dsn(base, "postgres"), autocommit=True)


def _exists(base: str, name: str) -> bool:
    with _admin(base) as conn:
        return (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            is not None
        )


def build_source(base: str, name: str, tables: int, rows: int) -> None:
    with _admin(base) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(_dsn(base, name), autocommit=True) as conn:
        for i in range(1, tables + 1):
            conn.execute(_TABLE.format(t=f"patients_{i}", rows=rows))
        conn.execute("VACUUM ANALYZE")
        conn.execute(
            f"COMMENT ON DATABASE \"{name}\" IS 'scrubphi refresh benchmark v2 {tables}x{rows}'"
        )


def _comment(base: str, name: str) -> str | None:
    with _admin(base) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (name,),
        ).fetchone()
    return None if row is None else row[0]


def _drop_generations(base: str, staging: str) -> None:
    with _admin(base) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT datname FROM pg_database WHERE datname = %s OR datname LIKE %s",
                (staging, staging + "\\_%"),
            ).fetchall()
        ]
        for n in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{staging}"')


def run_once(base: str, source: str, staging: str, policy: Path, jobs: int) -> dict[str, Any]:
    _drop_generations(base, staging)
    opts = RefreshOptions(
        source_url=_dsn(base, source),
        staging_url=_dsn(base, staging),
        configs=(str(policy),),
        keep=0,
        jobs=jobs,
        grace_s=0.1,
        log=lambda _m: None,
    )
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    result = refresh(opts)
    wall = time.perf_counter() - began
    steps = {s["step"]: s["seconds"] for s in result.steps}
    # The 1-minute load average before and after: on a shared machine, other
    # work running beside the benchmark shows here and explains an outlier.
    load = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return {"jobs": jobs, "wall_s": round(wall, 3), "steps": steps, "loadavg_1m": load}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--dsn", default=os.environ.get("SCRUBPHI_BENCH_DSN", "host=127.0.0.1 user=postgres")
    )
    ap.add_argument("--tables", type=int, default=6)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument(
        "--profile", choices=("structured", "notes", "both"), default="both", help="see above"
    )
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args(argv)

    source = "scrubphi_bench_refresh_src"
    wanted = f"scrubphi refresh benchmark v2 {args.tables}x{args.rows}"
    if args.rebuild or not _exists(args.dsn, source) or _comment(args.dsn, source) != wanted:
        print(f"building {source}: {args.tables} tables x {args.rows} rows ...", file=sys.stderr)
        build_source(args.dsn, source, args.tables, args.rows)
    profiles = ["structured", "notes"] if args.profile == "both" else [args.profile]
    summaries = [_profile(args, source, name) for name in profiles]
    for summary in summaries:
        _print(summary)
    if args.json:
        Path(args.json).write_text(json.dumps(summaries, indent=2) + "\n", encoding="utf-8")
    return 0


def _profile(args: argparse.Namespace, source: str, profile: str) -> dict[str, Any]:
    note = "{redact: text}" if profile == "notes" else "null"
    with tempfile.TemporaryDirectory() as tmp:
        policy = Path(tmp) / "policy.yaml"
        policy.write_text(
            "version: 1\nscrub:\n"
            f"  key: file:{HERE / 'bench.key'}\n  tables:\n"
            + "".join(
                _RULE.format(t=f"patients_{i}", note=note) for i in range(1, args.tables + 1)
            ),
            encoding="utf-8",
        )
        runs: list[dict[str, Any]] = []
        for _ in range(args.repeat):
            for jobs in (1, args.jobs):
                staging = f"scrubphi_bench_refresh_stg{jobs}"
                r = run_once(args.dsn, source, staging, policy, jobs)
                r["profile"] = profile
                print(json.dumps(r), file=sys.stderr)
                runs.append(r)
        for jobs in (1, args.jobs):
            _drop_generations(args.dsn, f"scrubphi_bench_refresh_stg{jobs}")
            with _admin(args.dsn) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "scrubphi_bench_refresh_stg{jobs}"')
    best = {
        jobs: min((r for r in runs if r["jobs"] == jobs), key=lambda r: r["wall_s"])
        for jobs in (1, args.jobs)
    }
    plain, par = best[1], best[args.jobs]
    return {
        "profile": profile,
        "tables": args.tables,
        "rows_per_table": args.rows,
        "jobs": args.jobs,
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
        "plain": plain,
        "parallel": par,
        "ratio_total": round(plain["wall_s"] / par["wall_s"], 3),
        "ratio_restore": round(plain["steps"]["restore"] / par["steps"]["restore"], 3),
        "runs": runs,
    }


def _print(summary: dict[str, Any]) -> None:
    plain, par, jobs = summary["plain"], summary["parallel"], summary["jobs"]
    print(
        f"\nprofile {summary['profile']}: "
        f"{summary['tables']} tables x {summary['rows_per_table']} rows"
    )
    print(f"{'step':<12}{'plain s':>10}{f'--jobs {jobs} s':>14}")
    for step in plain["steps"]:
        print(f"{step:<12}{plain['steps'][step]:>10.2f}{par['steps'].get(step, 0):>14.2f}")
    print(f"{'total':<12}{plain['wall_s']:>10.2f}{par['wall_s']:>14.2f}")
    print(
        f"plain / parallel: total {summary['ratio_total']}x, restore step "
        f"{summary['ratio_restore']}x (best of {summary['repeat']}; above 1 = parallel faster)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
