"""The weekly refresh against a real server: success, every failure, crash, swap, parallel.

Each failure is injected at its own step through the refresh's hook (a real
lock, a real conflicting table, a real deleted row, a real session holding a
database open) or through a real SIGKILL, and each test checks that staging
is still the very same database (same OID), readable, and holding its old
contents, and that no half-built database is left unmarked.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pg_fixtures import PgServer
from scrubphi.refresh import RefreshError, RefreshOptions, StepProgress, refresh, rollback
from scrubphi.refresh.swap import Admin

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_SQL = ROOT / "examples" / "hospital.sql"
EXAMPLE_POLICY = ROOT / "examples" / "phi_fields.yaml"
OLD_ROWS = 7
_COUNTER = itertools.count()
# The refresh modes every failure is tested in: plain, parallel (--jobs 2) and chunked
# (--chunked --jobs 2: the snapshot's table chunks through the scrubber on Dask workers).
CHUNKED = "chunked"
MODES: list[int | str] = [1, 2, CHUNKED]
MODE_IDS = ["plain", "parallel", "chunked"]


def _mode(jobs: int | str) -> dict[str, Any]:
    """RefreshOptions for a mode of MODES (chunked in units of 100 rows: tables split)."""
    if jobs == CHUNKED:
        return {"jobs": 2, "chunked": True, "chunk_rows": 100}
    return {"jobs": jobs}


def _mode_args(jobs: int | str) -> list[str]:
    if jobs == CHUNKED:
        return ["--jobs", "2", "--chunked", "--chunk-rows", "100000"]
    return ["--jobs", str(jobs)]


def _policy(tmp_path: Path, extra: str = "", drop_line: str | None = None) -> str:
    """The example policy with its key made absolute, plus ``extra`` table rules."""
    text = EXAMPLE_POLICY.read_text(encoding="utf-8")
    text = text.replace("key: file:example.key", f"key: file:{ROOT / 'examples' / 'example.key'}")
    if drop_line is not None:
        text = "\n".join(line for line in text.splitlines() if line.strip() != drop_line) + "\n"
    path = tmp_path / f"phi_fields_{next(_COUNTER)}.yaml"
    path.write_text(text + extra, encoding="utf-8")
    return str(path)


def _fingerprint(pg: PgServer, name: str) -> tuple[int, bool, int]:
    """(OID, accepts connections, rows of its marker table): what 'unchanged' means."""
    rows = pg.query(
        "postgres", "SELECT oid, datallowconn FROM pg_database WHERE datname = %s", (name,)
    )
    assert rows, f"{name} is gone"
    count = pg.query(name, "SELECT count(*) FROM old_generation")[0][0]
    return int(rows[0][0]), bool(rows[0][1]), int(count)


def _leftovers(pg: PgServer, staging: str) -> list[tuple[str, str | None]]:
    rows = pg.query(
        "postgres",
        "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
        "WHERE datname LIKE %s ORDER BY 1",
        (staging + "\\_%",),
    )
    return [(str(a), b) for a, b in rows]


def _sessions(pg: PgServer, db: str) -> int:
    rows = pg.query("postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (db,))
    return int(rows[0][0])


class Env:
    """A source loaded with the example hospital and a staging with old contents."""

    def __init__(self, pg: PgServer, tmp_path: Path) -> None:
        self.pg = pg
        self.tmp = tmp_path
        self.source = pg.create_database("rsrc")
        pg.psql(self.source, file=EXAMPLE_SQL)
        self.staging = pg.create_database("rstg")
        pg.psql(
            self.staging,
            f"CREATE TABLE old_generation (i int); INSERT INTO old_generation "
            f"SELECT generate_series(1, {OLD_ROWS});",
        )
        self.before = _fingerprint(pg, self.staging)

    def options(self, **kw: Any) -> RefreshOptions:
        base: dict[str, Any] = dict(
            source_url=self.pg.dsn(self.source),
            staging_url=self.pg.dsn(self.staging),
            configs=(_policy(self.tmp),),
            grace_s=0.5,
            pg_bin=self.pg.bin_dir,
            log=lambda _msg: None,
        )
        base.update(kw)
        return RefreshOptions(**base)

    def assert_staging_unchanged(self) -> None:
        assert _fingerprint(self.pg, self.staging) == self.before
        names = [n for n, _ in _leftovers(self.pg, self.staging)]
        assert not [n for n in names if "_prev_" in n], names

    def cleanup(self) -> None:
        for name, _ in _leftovers(self.pg, self.staging):
            self.pg.drop_database(name)


@pytest.fixture
def env(pg: PgServer, tmp_path: Path) -> Iterator[Env]:
    e = Env(pg, tmp_path)
    try:
        yield e
    finally:
        e.cleanup()


def test_success_swaps_and_keeps_previous_generation(env: Env, pg: PgServer) -> None:
    """A good run replaces staging, passes every check and keeps the old staging by name."""
    result = refresh(env.options())
    assert result.ok and result.failed_step is None
    assert {c.name: c.ok for c in result.checks} == {
        "row_counts": True,
        "schema": True,
        "constraints": True,
        "phi_spot_check": True,
    }
    assert pg.query(env.staging, "SELECT count(*) FROM public.patients")[0][0] == 50
    spot = next(c for c in result.checks if c.name == "phi_spot_check")
    assert sum(col["sampled"] for col in spot.data["columns"]) > 100
    src_ssn = {r[0] for r in pg.query(env.source, "SELECT ssn FROM public.patients")}
    new_ssn = {r[0] for r in pg.query(env.staging, "SELECT ssn FROM public.patients")}
    assert not (src_ssn - {None}) & new_ssn
    assert result.backup is not None and result.backup.startswith(env.staging + "_prev_")
    assert _fingerprint(pg, result.backup)[2] == OLD_ROWS  # the old staging, intact
    assert not [n for n, _ in _leftovers(pg, env.staging) if "_building_" in n]
    report = result.to_dict()
    assert report["ok"] and [s["step"] for s in report["steps"]][-2:] == ["swap", "prune"]
    assert "scrubphi-refresh" in (
        pg.query(
            "postgres",
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (env.staging,),
        )[0][0]
        or ""
    )


def test_keep_prunes_and_rollback_restores_previous(env: Env, pg: PgServer) -> None:
    """--keep bounds the kept generations; --rollback puts the newest one back as staging."""
    first = refresh(env.options(keep=1))
    gen1_oid = pg.query(
        "postgres", "SELECT oid FROM pg_database WHERE datname = %s", (env.staging,)
    )[0][0]
    time.sleep(1.1)  # generation names carry a one-second timestamp
    second = refresh(env.options(keep=1))
    assert first.backup in second.pruned
    prev = [n for n, _ in _leftovers(pg, env.staging) if "_prev_" in n]
    assert prev == [second.backup]
    outcome = rollback(env.options())
    assert outcome["restored"] == second.backup
    now = pg.query(
        "postgres", "SELECT oid, datallowconn FROM pg_database WHERE datname = %s", (env.staging,)
    )[0]
    assert now == (gen1_oid, True)


def test_bad_policy_coverage_fails_before_anything(env: Env, tmp_path: Path) -> None:
    """A policy missing a column stops at 'coverage' (exit 5); no database is created."""
    opts = env.options(configs=(_policy(tmp_path, drop_line="city: {fake: city}"),))
    with pytest.raises(RefreshError) as info:
        refresh(opts)
    assert info.value.step == "coverage" and info.value.exit_code == 5
    assert "city" in str(info.value)
    env.assert_staging_unchanged()
    assert _leftovers(env.pg, env.staging) == []


@pytest.mark.parametrize("jobs", MODES, ids=MODE_IDS)
def test_pg_dump_failure(env: Env, pg: PgServer, jobs: int) -> None:
    """pg_dump that cannot lock a table fails the 'pg_dump' step (exit 11); staging unchanged."""
    holder = psycopg.connect(pg.dsn(env.source))
    try:

        def hook(name: str, _ctx: dict[str, Any]) -> None:
            if name == "step:restore":
                holder.execute("LOCK TABLE public.claims IN ACCESS EXCLUSIVE MODE")

        with pytest.raises(RefreshError) as info:
            refresh(env.options(hook=hook, lock_wait_timeout="500ms", **_mode(jobs)))
    finally:
        holder.close()
    assert info.value.step == "pg_dump" and info.value.exit_code == 11
    env.assert_staging_unchanged()
    assert _leftovers(pg, env.staging) == []


@pytest.mark.parametrize("jobs", MODES, ids=MODE_IDS)
def test_scrub_error(env: Env, tmp_path: Path, jobs: int) -> None:
    """A row the scrubber refuses (over max_row_size) fails the 'scrub' step (exit 4)."""
    env.pg.query(
        env.source,
        "UPDATE public.patients SET notes = repeat('n', 3000) WHERE id = "
        "(SELECT max(id) FROM public.patients)",
    )
    path = _policy(tmp_path)
    text = (
        Path(path)
        .read_text()
        .replace("unknown_tables: fail", "unknown_tables: fail\n  max_row_size: 1KiB")
    )
    Path(path).write_text(text)
    with pytest.raises(RefreshError) as info:
        refresh(env.options(configs=(path,), **_mode(jobs)))
    assert info.value.step == "scrub" and info.value.exit_code == 4
    env.assert_staging_unchanged()
    assert _leftovers(env.pg, env.staging) == []


@pytest.mark.parametrize("jobs", MODES, ids=MODE_IDS)
def test_psql_failure(env: Env, pg: PgServer, jobs: int) -> None:
    """psql failing (a conflicting table in the new database) fails 'restore' (exit 12)."""

    def hook(name: str, ctx: dict[str, Any]) -> None:
        if name == "building":
            pg.query(ctx["database"], "CREATE TABLE public.patients (x int)")

    with pytest.raises(RefreshError) as info:
        refresh(env.options(hook=hook, **_mode(jobs)))
    assert info.value.step == "restore" and info.value.exit_code == 12
    assert any('relation "patients" already exists' in d for d in info.value.details)
    env.assert_staging_unchanged()
    assert _leftovers(pg, env.staging) == []


@pytest.mark.parametrize("jobs", MODES, ids=MODE_IDS)
def test_verification_failure(env: Env, pg: PgServer, jobs: int) -> None:
    """A row lost after the restore fails 'verify' (exit 13) naming the table; no value shown."""

    def hook(name: str, ctx: dict[str, Any]) -> None:
        if name == "verify":
            pg.query(
                ctx["database"],
                'DELETE FROM clinic."Lab Results" WHERE ctid = '
                '(SELECT min(ctid) FROM clinic."Lab Results")',
            )

    with pytest.raises(RefreshError) as info:
        refresh(env.options(hook=hook, **_mode(jobs)))
    assert info.value.step == "verify" and info.value.exit_code == 13
    assert 'clinic."Lab Results": 190 row(s) streamed, 189 restored' in str(info.value)
    env.assert_staging_unchanged()
    assert _leftovers(pg, env.staging) == []


def test_phi_spot_check_catches_a_leak(env: Env, pg: PgServer) -> None:
    """If original SSNs reach the new database, the spot check fails the run."""
    src_ssn = pg.query(env.source, "SELECT id, ssn FROM public.patients")

    def hook(name: str, ctx: dict[str, Any]) -> None:
        if name == "verify":
            with psycopg.connect(pg.dsn(ctx["database"]), autocommit=True) as conn:
                conn.execute(
                    "ALTER TABLE public.patients DROP CONSTRAINT IF EXISTS patients_ssn_key"
                )
                with conn.cursor() as cur:
                    cur.executemany(
                        "UPDATE public.patients SET ssn = %s WHERE id = %s",
                        [(s, i) for i, s in src_ssn],
                    )
                conn.execute(
                    "ALTER TABLE public.patients ADD CONSTRAINT patients_ssn_key UNIQUE (ssn)"
                )

    with pytest.raises(RefreshError) as info:
        refresh(env.options(hook=hook))
    assert info.value.step == "verify"
    assert "column ssn" in str(info.value) and "phi_spot_check" in str(info.value)
    assert not any(s and s in str(info.value) for _, s in src_ssn)
    env.assert_staging_unchanged()


def test_phi_spot_check_keys_composite_typed_keys_and_mostly_null_columns(
    pg: PgServer, tmp_path: Path
) -> None:
    """Row-aligned through a two-column (int, date) key; a 95%-NULL column still sampled.

    The "new" database holds the source's rows with two columns scrubbed and
    one left as it was: exactly that column is reported, for the full sample.
    """
    from scrubphi.policy import load_policy
    from scrubphi.refresh.verify import check_phi_sample
    from scrubphi.report import TableStats

    ddl = (
        "CREATE TABLE public.visits (clinic int, day date, patient text, memo text, "
        "PRIMARY KEY (clinic, day));"
        "INSERT INTO public.visits SELECT i % 50, date '2020-01-01' + i / 50, 'Patient ' || i, "
        "CASE WHEN i % 20 = 0 THEN 'Memo for ' || i END FROM generate_series(1, 60000) AS i;"
        "ANALYZE public.visits;"
    )
    src, new = pg.create_database("spot_src"), pg.create_database("spot_new")
    try:
        pg.psql(src, ddl)
        pg.psql(new, ddl + "UPDATE public.visits SET patient = md5(patient);")
        policy = tmp_path / "p.yaml"
        policy.write_text(
            "version: 1\nscrub:\n  tables:\n    public.visits:\n      columns:\n"
            "        clinic: keep\n        day: keep\n        patient: {tokenize: alnum}\n"
            "        memo: null\n",
            encoding="utf-8",
        )
        stats = TableStats(table="public.visits", action="columns")
        stats.rows = 60000
        check = check_phi_sample(
            pg.dsn(src), pg.dsn(new), load_policy(str(policy)), [stats], sample=20
        )
    finally:
        pg.drop_database(src)
        pg.drop_database(new)
    got = {c["column"]: (c["mode"], c["sampled"], c["found"]) for c in check.data["columns"]}
    assert got == {"patient": ("row", 20, 0), "memo": ("row", 20, 20)}
    assert not check.ok and check.details == [
        "table public.visits, column memo: 20 of 20 sampled source value(s) found unchanged "
        "in the new database"
    ]


def test_swap_failure_is_undone(env: Env, pg: PgServer) -> None:
    """A session on the new database makes the second rename fail: undone (exit 14)."""
    holders: list[psycopg.Connection[Any]] = []

    def hook(name: str, ctx: dict[str, Any]) -> None:
        if name == "swap:before-rename-incoming":
            holders.append(psycopg.connect(pg.dsn(ctx["incoming"])))

    try:
        with pytest.raises(RefreshError) as info:
            refresh(env.options(hook=hook))
    finally:
        for h in holders:
            h.close()
    assert info.value.step == "swap" and info.value.exit_code == 14
    env.assert_staging_unchanged()
    assert not [n for n, _ in _leftovers(pg, env.staging) if "_building_" in n]


def test_crash_between_renames_is_undone_next_run(env: Env, pg: PgServer) -> None:
    """The state a crash between the two renames leaves is undone by the next run."""
    with psycopg.connect(pg.dsn("postgres"), autocommit=True) as conn:
        admin = Admin(conn, env.staging, log=lambda _m: None)
        incoming = admin.create_building("20000101T000000Z")
        outgoing = f"{env.staging}_prev_20000101T000000Z"
        admin.set_state(
            incoming,
            {
                "state": "swapping",
                "kind": "refresh",
                "staging": env.staging,
                "incoming": incoming,
                "outgoing": outgoing,
                "allowconn": True,
            },
        )
        admin.set_allow_connections(env.staging, False)
        admin.rename(env.staging, outgoing)  # ... and the process dies here
        assert not admin.exists(env.staging)
        done = admin.recover()
    assert any("back to" in d for d in done)
    env.assert_staging_unchanged()
    assert _leftovers(pg, env.staging) == []


@pytest.mark.parametrize("jobs", MODES, ids=MODE_IDS)
def test_sigkill_mid_restore_leaves_staging_and_next_run_cleans(
    env: Env, pg: PgServer, tmp_path: Path, jobs: int
) -> None:
    """SIGKILL during the restore: staging unchanged, half-built database marked, then dropped."""
    pg.psql(
        env.source,
        "CREATE TABLE public.bulk AS SELECT i, md5(i::text) AS h "
        "FROM generate_series(1, 400000) AS i",
    )
    policy = _policy(tmp_path, extra="    public.bulk: keep\n")
    cmd = [
        sys.executable,
        "-c",
        "import sys; from scrubphi.cli.refresh import refresh_command; "
        "refresh_command(sys.argv[1:], prog_name='scrubphi refresh')",
        "--from",
        pg.dsn(env.source),
        "--to",
        pg.dsn(env.staging),
        "--config",
        policy,
        "--pg-bin",
        str(pg.bin_dir),
        "--no-progress",
        *_mode_args(jobs),
    ]
    penv = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    proc = subprocess.Popen(cmd, env=penv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            busy = pg.query(
                "postgres",
                "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE %s "
                "AND query ~* '^COPY (public|\"public\")\\.\"?bulk'",
                (env.staging + "\\_building\\_%",),
            )
            if busy[0][0]:
                break
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.02)
        else:
            pytest.fail("the restore never reached the bulk table")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    env.assert_staging_unchanged()
    left = _leftovers(pg, env.staging)
    assert len(left) == 1 and "_building_" in left[0][0] and "INCOMPLETE" in (left[0][1] or "")
    # psql notices its input ended; parallel mode's workers die with their parent.
    deadline = time.monotonic() + 20
    while _sessions(pg, left[0][0]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _sessions(pg, left[0][0]) == 0
    result = refresh(env.options(configs=(policy,), **_mode(jobs)))
    assert any("dropped unfinished" in r for r in result.recovered)
    assert pg.query(env.staging, "SELECT count(*) FROM public.bulk")[0][0] == 400000


def test_reader_sees_old_or_new_never_partial(env: Env, pg: PgServer) -> None:
    """A reader hammering staging through a swap sees the old or the new data, nothing between."""
    refresh(env.options(keep=0))
    pg.psql(
        env.source,
        "INSERT INTO public.icd_codes SELECT 'Z9' || i, 'test ' || i "
        "FROM generate_series(1, 3) AS i",
    )
    seen: dict[tuple[int, int], int] = {}
    errors: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                with psycopg.connect(pg.dsn(env.staging), connect_timeout=2) as conn:
                    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    row = conn.execute(
                        "SELECT (SELECT count(*) FROM public.icd_codes), "
                        "(SELECT count(*) FROM public.patients)"
                    ).fetchone()
                    assert row is not None
                    key = (int(row[0]), int(row[1]))
                    seen[key] = seen.get(key, 0) + 1
            except psycopg.OperationalError:
                time.sleep(0.01)  # staging is being swapped: not reachable for a moment
            except psycopg.Error as exc:
                errors.append(type(exc).__name__)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        time.sleep(0.3)
        refresh(env.options(keep=0, grace_s=0.2))
        time.sleep(0.3)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert errors == []
    assert set(seen) == {(16, 50), (19, 50)}


def _table_digests(pg: PgServer, db: str) -> dict[str, str]:
    tables = pg.query(
        db,
        "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
    )
    return {
        t: pg.query(
            db,
            f"SELECT md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) FROM {t} AS x",
        )[0][0]
        for (t,) in tables
    }


@pytest.mark.parametrize("jobs", [2, CHUNKED], ids=["parallel", "chunked"])
def test_parallel_mode_gives_the_same_database(env: Env, pg: PgServer, jobs: int | str) -> None:
    """--jobs 2 (directory dump, per-table processes, pg_restore -j) and --chunked (tables
    cut into chunks of 100 rows on Dask workers) equal plain mode, row for row."""
    plain = refresh(env.options())
    plain_digest = _table_digests(pg, env.staging)
    other = pg.create_database("rstg2")
    try:
        opts = env.options(staging_url=pg.dsn(other), **_mode(jobs))
        par = refresh(opts)
        assert par.ok and par.mode == ("parallel" if jobs == 2 else "chunked")
        assert {c.name: c.ok for c in par.checks} == {c.name: c.ok for c in plain.checks}
        assert _table_digests(pg, other) == plain_digest
    finally:
        for name, _ in _leftovers(pg, other):
            pg.drop_database(name)
        pg.drop_database(other)


@pytest.mark.parametrize("jobs", MODES, ids=MODE_IDS)
def test_a_latin1_source_refreshes_through_utf8(pg: PgServer, tmp_path: Path,
                                                 jobs: int | str) -> None:
    """A source database in LATIN1 (legacy clinics' WIN1252 and LATIN1 are common):
    refresh dumps it in UTF-8 (pg_dump --encoding=UTF8, the chunked workers' sessions
    likewise), so the scrubber reads it and the target's server converts back. Before,
    pg_dump wrote the server's encoding and the first accented value stopped the run as
    invalid UTF-8; read as UTF-8 by chance ("\u00c3\u00a9" is "\u00e9" in UTF-8), it
    would have been faked and written back in the wrong encoding."""
    source = f"rlatin_{os.getpid()}_{next(_COUNTER)}"
    staging = pg.create_database("rlstg")
    pg.query("postgres", f"CREATE DATABASE {source} TEMPLATE template0 ENCODING 'LATIN1' "
                         "LC_COLLATE 'C' LC_CTYPE 'C'")
    try:
        pg.psql(source, file=EXAMPLE_SQL)
        # (a session whose text is UTF-8: the server converts it to LATIN1)
        with psycopg.connect(pg.dsn(source) + " client_encoding=UTF8", autocommit=True) as conn:
            conn.execute("UPDATE public.icd_codes SET description = 'Zürich café, Ångström, ñ' "
                         "WHERE code = (SELECT min(code) FROM public.icd_codes)")
            conn.execute("UPDATE public.patients SET first_name = 'José', last_name = 'Müller' "
                         "WHERE id = (SELECT min(id) FROM public.patients)")
            stored = conn.execute("SELECT convert_to(last_name, 'LATIN1') FROM public.patients "
                                  "ORDER BY id LIMIT 1").fetchone()
            assert stored == (b"M\xfcller",)  # one LATIN1 byte for the u with umlaut
        opts = RefreshOptions(source_url=pg.dsn(source), staging_url=pg.dsn(staging),
                              configs=(_policy(tmp_path),), grace_s=0.5, pg_bin=pg.bin_dir,
                              log=lambda _msg: None, **_mode(jobs))
        result = refresh(opts)
        assert result.ok, [c.name for c in result.checks if not c.ok]
        kept = pg.query(staging, "SELECT description FROM public.icd_codes ORDER BY code LIMIT 1")
        assert kept == [("Zürich café, Ångström, ñ",)]
        names = pg.query(staging, "SELECT first_name, last_name FROM public.patients "
                                  "ORDER BY id LIMIT 1")
        assert names and "José" not in names[0] and "Müller" not in names[0]
    finally:
        for name, _ in _leftovers(pg, staging):
            pg.drop_database(name)
        pg.drop_database(staging)
        pg.drop_database(source)


@pytest.mark.parametrize(
    ("server", "dump_options"),
    [("pg", ()), ("pg18", ()), ("pg18", ("--statistics",))],
    ids=["15", "18", "18-statistics"],
)
def test_edge_schema_refreshes_the_same_in_both_modes(
    server: str, dump_options: tuple[str, ...], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """The fixtures' edge-case database (setup.sql) through plain and parallel mode.

    Quoted names with commas, quotes, a tab and a newline, a partitioned
    table, generated and identity columns, a table without columns, a large
    object, control characters and U+2028 in values, on PostgreSQL 15 and 18
    (and 18's ``--statistics``): both modes pass every check and give the
    same tables, with the PHI, the large object's contents and the
    statistics gone.
    """
    from shared_paths import PGDUMP_FIXTURES
    from test_fixtures_restore import COUNTS, KEY, PHI, POLICY

    pg: PgServer = request.getfixturevalue(server)

    setup = (PGDUMP_FIXTURES / "setup.sql").read_text(encoding="utf-8")
    body = "\n".join(
        line for line in setup.splitlines() if line not in ("CREATE DATABASE edge;", "\\c edge")
    )
    source = pg.create_database("edge_src")
    stagings = [pg.create_database("edge_plain"), pg.create_database("edge_par"),
                pg.create_database("edge_chunk")]
    policy = tmp_path / "edge.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    try:
        pg.psql(source, body + "\nANALYZE;")
        digests = []
        for staging, jobs in zip(stagings, (1, 2, CHUNKED), strict=True):
            result = refresh(
                RefreshOptions(
                    source_url=pg.dsn(source),
                    staging_url=pg.dsn(staging),
                    configs=(str(policy),),
                    key=KEY,
                    keep=0,
                    **_mode(jobs),
                    grace_s=0.5,
                    pg_bin=pg.bin_dir,
                    dump_options=dump_options,
                    log=lambda _msg: None,
                )
            )
            assert result.ok and all(c.ok for c in result.checks), result.to_dict()
            counts = {t: pg.query(staging, f"SELECT count(*) FROM {t}")[0][0] for t in COUNTS}
            assert counts == COUNTS
            # large_objects: drop keeps the object, emptied (an OID column still points at it).
            assert pg.query(staging, "SELECT count(*) FROM pg_largeobject_metadata")[0][0] == 1
            assert pg.query(staging, "SELECT count(*) FROM pg_largeobject")[0][0] == 0
            # statistics: drop (pg_dump 18 --statistics carries real values in them).
            assert (
                pg.query(staging, "SELECT count(*) FROM pg_stats WHERE schemaname = 'public'")[0][0]
                == 0
            )
            digests.append(_table_digests(pg, staging))
            text = "\n".join(
                str(v)
                for (v,) in pg.query(
                    staging,
                    'SELECT string_agg(x::text, \' \') FROM "Weird Schema"."Pat,ients" AS x '
                    "UNION ALL SELECT string_agg(x::text, ' ') FROM public.measurements AS x",
                )
            )
            assert [p for p in PHI if p in text] == []
        assert digests[0] == digests[1] == digests[2]
    finally:
        for staging in stagings:
            for name, _ in _leftovers(pg, staging):
                pg.drop_database(name)
            pg.drop_database(staging)
        pg.drop_database(source)


def test_parallel_progress_is_live_while_tables_load(
    env: Env, pg: PgServer, tmp_path: Path
) -> None:
    """--jobs shows rows and bytes while a big table is still loading, not only at its end."""
    pg.psql(
        env.source,
        "CREATE TABLE public.bulk AS SELECT i, md5(i::text) AS h "
        "FROM generate_series(1, 400000) AS i",
    )
    # A transform slow enough that the table takes several progress periods (0.25 s)
    # whatever the machine (unique fakes run in Python): hash runs in C now, and 400,000
    # rows of it took less than one period.
    policy = _policy(
        tmp_path,
        extra=(
            "    public.bulk:\n      columns:\n        i: keep\n"
            "        h: {fake: user_name, unique: true}\n"
        ),
    )
    seen: list[StepProgress] = []
    refresh(env.options(configs=(policy,), jobs=2, progress=seen.append))
    loading = [p for p in seen if p.step == "restore: scrubbing and loading"]
    assert any(p.table == "public.bulk" and 0 < p.rows < 400_000 for p in loading), [
        (p.table, p.rows) for p in loading
    ]
    assert all(a.rows <= b.rows for a, b in itertools.pairwise(loading))
    assert loading[-1].rows >= 400_000 and loading[-1].bytes_in > 0


@pytest.mark.parametrize("jobs", [2, CHUNKED], ids=["parallel", "chunked"])
def test_parallel_copy_failure_names_the_table_never_a_value(
    env: Env, pg: PgServer, jobs: int | str
) -> None:
    """A row the new database refuses in a worker's COPY fails 'restore' (exit 12).

    The server's message quotes the failing row (DETAIL: Failing row contains
    ...); the report keeps the table and the constraint, never a value.
    """
    names = [str(v) for (v,) in pg.query(env.source, "SELECT last_name FROM public.patients")]

    def hook(name: str, ctx: dict[str, Any]) -> None:
        if name == "restore:data":
            pg.query(
                ctx["database"],
                "ALTER TABLE public.patients ADD CONSTRAINT no_rows CHECK (id < 0) NOT VALID",
            )

    with pytest.raises(RefreshError) as info:
        refresh(env.options(hook=hook, **_mode(jobs)))
    assert info.value.step == "restore" and info.value.exit_code == 12
    text = str(info.value)
    assert "public.patients" in text and "no_rows" in text
    assert "Failing row" not in text and not any(n and n in text for n in names)
    env.assert_staging_unchanged()
    assert _leftovers(pg, env.staging) == []


def test_parallel_raw_data_files_leave_the_disk_as_tables_load(
    env: Env, pg: PgServer, tmp_path: Path
) -> None:
    """--jobs: each table's raw (unscrubbed) data file is deleted once its rows are
    committed, before the post-data step; the whole work directory goes at the end."""
    work = tmp_path / "work"
    work.mkdir()
    seen: dict[str, list[str]] = {}

    def data_files() -> list[str]:
        return sorted(p.name for p in work.glob("scrubphi-refresh-*/raw/*.dat"))

    def hook(name: str, ctx: dict[str, Any]) -> None:
        if name in ("restore:pre-data", "restore:post-data"):
            seen[name] = data_files()

    result = refresh(env.options(hook=hook, jobs=2, workdir=work))
    assert result.ok
    loaded = [t for t in (result.scrub or {})["tables"] if t["rows"]]
    assert len(seen["restore:pre-data"]) >= len(loaded) + 1 >= 3  # toc.dat + table data
    assert seen["restore:post-data"] == ["toc.dat"]
    assert list(work.iterdir()) == []


@pytest.mark.parametrize("jobs", [2, CHUNKED], ids=["parallel", "chunked"])
def test_parallel_post_data_failure(env: Env, pg: PgServer, jobs: int | str) -> None:
    """pg_restore -j failing on the post-data section fails 'restore'; staging unchanged."""

    def hook(name: str, ctx: dict[str, Any]) -> None:
        if name == "restore:post-data":
            pg.query(
                ctx["database"], "CREATE INDEX encounters_patient_id_idx ON public.claims (id)"
            )

    with pytest.raises(RefreshError) as info:
        refresh(env.options(hook=hook, **_mode(jobs)))
    assert info.value.step == "restore" and info.value.exit_code == 12
    assert any('"encounters_patient_id_idx" already exists' in d for d in info.value.details)
    env.assert_staging_unchanged()
    assert _leftovers(pg, env.staging) == []


def test_cli_exit_code_and_report(env: Env, pg: PgServer, tmp_path: Path) -> None:
    """The CLI exits with the failed step's code and writes a JSON report saying which step."""
    from click.testing import CliRunner

    from scrubphi.cli.refresh import refresh_command

    report = tmp_path / "r.json"
    bad = _policy(tmp_path, drop_line="city: {fake: city}")
    res = CliRunner().invoke(
        refresh_command,
        [
            "--from",
            pg.dsn(env.source),
            "--to",
            pg.dsn(env.staging),
            "-c",
            bad,
            "--pg-bin",
            str(pg.bin_dir),
            "--report",
            str(report),
        ],
    )
    assert res.exit_code == 5, res.output
    assert "coverage" in res.output and "staging was not changed" in res.output
    import json

    data = json.loads(report.read_text())
    assert data["ok"] is False and data["failed_step"] == "coverage"
    env.assert_staging_unchanged()


def test_cli_quiet_says_nothing_on_success(env: Env, pg: PgServer, tmp_path: Path) -> None:
    """-q: a refresh that succeeds prints nothing (cron mails only failures); without it the
    steps and the result are on stderr."""
    from click.testing import CliRunner

    from scrubphi.cli.refresh import refresh_command

    args = ["--from", pg.dsn(env.source), "--to", pg.dsn(env.staging), "-c",
            _policy(tmp_path), "--pg-bin", str(pg.bin_dir), "--no-lookup"]
    quiet = CliRunner().invoke(refresh_command, [*args, "-q"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.output == ""
    loud = CliRunner().invoke(refresh_command, args)
    assert loud.exit_code == 0, loud.output
    assert "refreshed" in loud.output
