"""Chunked refresh (``--chunked``, ``--scheduler``) against a real server and real Dask.

The failures every mode shares (a lock, a scrub error, psql, verification,
SIGKILL mid-restore, a refused row, post-data) and the row-for-row
comparison with plain mode are in ``test_refresh.py``, parametrized over the
modes. Here: what only chunked mode promises.

- no unscrubbed byte reaches the disk: a watcher reads every file of the
  work folder and the temp folder while a refresh runs, and finds the
  source's marker values in parallel mode's raw dump (so it can see them)
  but never in chunked mode;
- an external Dask cluster (a real ``dask scheduler`` and two ``dask
  worker`` processes on loopback, which read the key from their own
  environment): a worker SIGKILLed while it streams a chunk is replaced, the
  chunk's transaction is rolled back and the chunk runs again elsewhere, and
  the result equals plain mode's; a worker holding another key fails the
  run without showing a key; an unreachable scheduler stops it in preflight;
- progress per table and chunk, and the report per unit.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
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
from scrubphi.refresh import RefreshError, RefreshOptions, StepProgress, refresh

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_KEY = ROOT / "examples" / "example.key"
MARK = "Zyqxmark"
BULK_ROWS = 300_000

_POLICY = """\
version: 1
scrub:
  key: file:{key}
  unknown_tables: fail
  tables:
    public.people:
      columns:
        id: keep
        name: {{fake: user_name, unique: true}}
        ssn: {{tokenize: digits}}
"""


def _source(pg: PgServer, rows: int) -> str:
    db = pg.create_database("chsrc")
    pg.psql(
        db,
        "CREATE TABLE public.people (id int PRIMARY KEY, name text UNIQUE, ssn text);"
        f"INSERT INTO public.people SELECT i, '{MARK}' || i, lpad(i::text, 9, '0') "
        f"FROM generate_series(1, {rows}) AS i; ANALYZE public.people;",
    )
    return db


def _leftovers(pg: PgServer, staging: str) -> list[str]:
    rows = pg.query(
        "postgres", "SELECT datname FROM pg_database WHERE datname LIKE %s", (staging + "\\_%",)
    )
    return [str(r[0]) for r in rows]


def _drop_all(pg: PgServer, *names: str) -> None:
    for name in names:
        for left in _leftovers(pg, name):
            pg.drop_database(left)
        pg.drop_database(name)


def _digest(pg: PgServer, db: str) -> str:
    return str(
        pg.query(
            db,
            "SELECT md5(string_agg(x::text, E'\\n' ORDER BY x.id)) FROM public.people AS x",
        )[0][0]
    )


class _Watcher:
    """Reads every file under some folders, again and again, looking for a marker."""

    def __init__(self, *folders: Path) -> None:
        self.folders = folders
        self.hits: set[str] = set()
        self.scans = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop)

    def _loop(self) -> None:
        needle = MARK.encode()
        while not self.stop.is_set():
            for folder in self.folders:
                for dirpath, _dirs, files in os.walk(folder):
                    for name in files:
                        path = os.path.join(dirpath, name)
                        with contextlib.suppress(OSError), open(path, "rb") as fh:
                            if needle in fh.read():
                                self.hits.add(os.path.relpath(path, folder))
            self.scans += 1

    def __enter__(self) -> _Watcher:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join(30)


@pytest.fixture
def policy(tmp_path: Path) -> str:
    path = tmp_path / "people.yaml"
    path.write_text(_POLICY.format(key=EXAMPLE_KEY), encoding="utf-8")
    return str(path)


def _cli(pg: PgServer, source: str, staging: str, policy: str, *args: str,
         env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    cmd = [
        sys.executable, "-c",
        "import sys; from scrubphi.cli.refresh import refresh_command; "
        "refresh_command(sys.argv[1:], prog_name='scrubphi refresh')",
        "--from", pg.dsn(source), "--to", pg.dsn(staging), "--config", policy,
        "--pg-bin", str(pg.bin_dir), "--no-progress", "--keep", "0", "--grace", "200ms", *args,
    ]
    return subprocess.run(cmd, env=env, capture_output=True, timeout=600, check=False)


def test_no_unscrubbed_byte_on_disk(pg: PgServer, tmp_path: Path, policy: str) -> None:
    """Work folder and TMPDIR hold the source's values in parallel mode, never in chunked."""
    source = _source(pg, 100_000)
    stagings = [pg.create_database("chstg_par"), pg.create_database("chstg_chunk")]
    try:
        seen = {}
        for staging, args in zip(
            stagings,
            (["--jobs", "2"], ["--jobs", "2", "--chunked", "--chunk-rows", "20000"]),
            strict=True,
        ):
            work, tmp = tmp_path / f"work-{staging}", tmp_path / f"tmp-{staging}"
            work.mkdir()
            tmp.mkdir()
            env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), TMPDIR=str(tmp))
            with _Watcher(work, tmp) as watcher:
                done = _cli(pg, source, staging, policy, *args, "--workdir", str(work), env=env)
            assert done.returncode == 0, done.stderr.decode()
            assert MARK.encode() not in done.stderr
            assert watcher.scans > 3
            seen[args[-1]] = watcher.hits
            assert pg.query(staging, "SELECT count(*) FROM public.people")[0][0] == 100_000
        # The watcher sees the raw dump of parallel mode: it would see a leak.
        assert any(hit.endswith(".dat") for hit in seen["2"]), seen
        assert seen["20000"] == set()
        assert _digest(pg, stagings[0]) == _digest(pg, stagings[1])
    finally:
        _drop_all(pg, *stagings)
        pg.drop_database(source)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A real ``dask scheduler`` and two ``dask worker`` processes (with nannies) on loopback.

    The workers get the key in their own environment (``SCRUBPHI_WORKER_KEY``),
    as they would on another host; the coordinator sends only its HMAC.
    """
    tmp_path = tmp_path_factory.mktemp("dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT / "src"),
        SCRUBPHI_WORKER_KEY=EXAMPLE_KEY.read_text(encoding="utf-8").rstrip("\n"),
        DASK_DISTRIBUTED__WORKER__MEMORY__SPILL="False",
    )
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    procs = [subprocess.Popen(
        [*dask, "--host", "127.0.0.1", "--port", str(port), "--no-dashboard",
         "--dashboard-address", "127.0.0.1:0"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path,
    )]
    try:
        for _ in range(2):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads",
                 "1", "--no-dashboard", "--local-directory", str(tmp_path)],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path,
            ))
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address, env
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_external_cluster_worker_killed_mid_chunk(
    pg: PgServer, policy: str, dask_cluster: tuple[str, dict[str, str]]
) -> None:
    """--scheduler: a worker SIGKILLed mid-chunk; the chunk is retried, the result is exact."""
    address, _env = dask_cluster
    source = _source(pg, BULK_ROWS)
    plain_db, chunk_db = pg.create_database("chstg_plain"), pg.create_database("chstg_dask")
    killed: list[int] = []

    def killer(building: str, stop: threading.Event) -> None:
        with psycopg.connect(pg.dsn("postgres"), autocommit=True) as conn:
            while not stop.is_set() and not killed:
                row = conn.execute(
                    "SELECT application_name FROM pg_stat_activity WHERE datname = %s "
                    "AND application_name LIKE 'scrubphi-chunk-%%' AND state = 'active' "
                    "AND query ~ '^COPY .*FROM STDIN'",
                    (building,),
                ).fetchone()
                if row:
                    pid = int(str(row[0]).rsplit("-", 1)[1])
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                time.sleep(0.005)

    stop = threading.Event()
    threads: list[threading.Thread] = []

    def hook(name: str, ctx: dict[str, Any]) -> None:
        if name == "restore:data":
            t = threading.Thread(target=killer, args=(ctx["database"], stop))
            t.start()
            threads.append(t)

    base = dict(source_url=pg.dsn(source), configs=(policy,), keep=0, grace_s=0.2,
                pg_bin=pg.bin_dir, log=lambda _m: None)
    try:
        refresh(RefreshOptions(staging_url=pg.dsn(plain_db), **base))  # type: ignore[arg-type]
        result = refresh(RefreshOptions(  # type: ignore[arg-type]
            staging_url=pg.dsn(chunk_db), scheduler=address, chunk_rows=BULK_ROWS // 4,
            worker_key="env:SCRUBPHI_WORKER_KEY", hook=hook, **base,
        ))
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    try:
        assert killed, "no worker was caught streaming a chunk"
        assert result.ok and all(c.ok for c in result.checks)
        units = (result.scrub or {})["units"]
        assert sorted(u["chunk"] for u in units) == [1, 2, 3, 4]
        assert sum(u["rows"] for u in units) == BULK_ROWS
        assert killed[0] not in {u["worker_pid"] for u in units}
        assert _digest(pg, chunk_db) == _digest(pg, plain_db)
    finally:
        _drop_all(pg, plain_db, chunk_db)
        pg.drop_database(source)


def test_external_cluster_worker_with_another_key_fails_the_run(
    pg: PgServer, policy: str, tmp_path: Path, dask_cluster: tuple[str, dict[str, str]]
) -> None:
    """A worker whose key (read on its host) is not the coordinator's: exit 4, no key shown."""
    other = tmp_path / "other.key"
    other.write_text("another-key-of-enough-length-0123456789\n", encoding="utf-8")
    source = _source(pg, 1000)
    staging = pg.create_database("chstg_key")
    try:
        with pytest.raises(RefreshError) as info:
            refresh(RefreshOptions(
                source_url=pg.dsn(source), staging_url=pg.dsn(staging), configs=(policy,),
                scheduler=dask_cluster[0], worker_key=f"file:{other}", grace_s=0.2,
                pg_bin=pg.bin_dir, log=lambda _m: None,
            ))
        assert info.value.step == "scrub" and info.value.exit_code == 4
        assert "key differs from the coordinator's" in str(info.value)
        assert "another-key" not in str(info.value)
        assert EXAMPLE_KEY.read_text(encoding="utf-8").strip() not in str(info.value)
        assert _leftovers(pg, staging) == []
    finally:
        _drop_all(pg, staging)
        pg.drop_database(source)


def test_unreachable_scheduler_stops_the_run_in_preflight(
    pg: PgServer, policy: str, tmp_path: Path
) -> None:
    """--scheduler naming no Dask scheduler: exit 10 at preflight, nothing created."""
    source = _source(pg, 10)
    staging = pg.create_database("chstg_nosched")
    report = tmp_path / "r.json"
    try:
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
        address = f"tcp://127.0.0.1:{_free_port()}"
        done = _cli(pg, source, staging, policy, "--scheduler", address,
                    "--report", str(report), env=env)
        assert done.returncode == 10, done.stderr.decode()
        err = done.stderr.decode()
        assert f"preflight: cannot reach the Dask scheduler at {address}" in err
        assert "staging was not changed" in err
        assert json.loads(report.read_text())["failed_step"] == "preflight"
        assert _leftovers(pg, staging) == []
    finally:
        _drop_all(pg, staging)
        pg.drop_database(source)


def test_progress_per_chunk_and_report_per_unit(pg: PgServer, policy: str) -> None:
    """Each unit shows as it commits (table, chunk k/n, running totals); the report lists
    every unit with its key range and counts, and no value."""
    source = _source(pg, 1000)
    staging = pg.create_database("chstg_progress")
    seen: list[StepProgress] = []
    try:
        result = refresh(RefreshOptions(
            source_url=pg.dsn(source), staging_url=pg.dsn(staging), configs=(policy,),
            chunked=True, jobs=2, chunk_rows=250, keep=0, grace_s=0.2, pg_bin=pg.bin_dir,
            progress=seen.append, log=lambda _m: None,
        ))
        chunks = [p for p in seen if p.step == "restore: chunks"]
        assert sorted(p.table or "" for p in chunks) == [
            f"public.people chunk {k}/4" for k in range(1, 5)
        ]
        assert [p.rows for p in chunks] == sorted(p.rows for p in chunks)
        assert chunks[-1].rows == 1000 and chunks[-1].bytes_in > 0
        units = (result.scrub or {})["units"]
        assert [(u["chunk"], u["of"], u["range"]) for u in units] == [
            (1, 4, "id ..251"), (2, 4, "id 251..501"), (3, 4, "id 501..751"),
            (4, 4, "id 751.."),
        ]
        assert [u["rows"] for u in units] == [250] * 4
        assert all(u["stats"]["columns"]["name"]["transformed"] == 250 for u in units)
        text = json.dumps(result.to_dict())
        assert MARK not in text
        assert result.to_dict()["scrub"]["tables"][0]["rows"] == 1000
    finally:
        _drop_all(pg, staging)
        pg.drop_database(source)
