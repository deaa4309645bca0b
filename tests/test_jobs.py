"""``--jobs N``: a large COPY block's rows rewritten by worker processes, same output.

Why tested: the workers are forked copies of the block's rewriter and their
results are put back in input order (``scrubphi/dump/row_workers.py``). The
promise is that the output, the report's counts and every error are exactly
those of one process, whatever the number of workers and however the input
is cut into reads, and that a failure (a damaged row, a cut stream, a worker
killed) still fails closed: a clear error naming the line, a non-zero exit,
the poison trailer, and no worker left behind. Both codecs; real pg_dump and
psql for the pipe.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import psutil
import pytest

from bench_modules import bench_module, patients_dump
from pg_fixtures import PgServer
from scrubphi.dump.rewriter import Scrubber
from scrubphi.dump.row_workers import MAX_AUTO_JOBS, auto_jobs
from scrubphi.errors import DumpError
from scrubphi.lookup import lookup_from_dump
from scrubphi.policy import load_policy, loads_policy
from scrubphi.policy.secrets import resolve_secret
from scrubphi.transforms.redact.lookup import Lookup
from shared_paths import PGDUMP_FIXTURES
from test_fixtures_restore import POLICY as FIXTURE_POLICY

ROOT = Path(__file__).resolve().parent.parent
KEY = b"jobs-test-key-0123456789abcdef012"


MIX = bench_module("policy_mix")
NOTES_POLICY = """
version: 1
scrub:
  tables:
    public.notes:
      columns:
        id: keep
        patient_id: {tokenize: digits}
        written_at: {date: shift, days: 365, per: patient_id}
        author: {fake: name}
        body: {redact: text, dates: shift, days: 365, per: patient_id}
"""
NOTES_SCHEMA = (
    "CREATE TABLE public.notes (id integer, patient_id integer, written_at date, "
    "author text, body text);\n"
)


def scrub(data: bytes, policy_text: str, codec: ModuleType, *, jobs: int,
          chunk: int = 1 << 16, after: int = 0, base: str = "jobs.yaml",
          key: bytes | None = KEY, lookup: Lookup | None = None
          ) -> tuple[bytes, dict[str, object]]:
    """The output and the report's tables of a run fed ``chunk`` bytes at a time."""
    policy = loads_policy(policy_text, str(ROOT / base))
    scrubber = Scrubber(policy, codec=codec, key=key, jobs=jobs, parallel_after=after,
                        lookup=lookup)
    out = [scrubber.feed(data[i : i + chunk]) for i in range(0, len(data), chunk)]
    out.append(scrubber.close())
    report = json.loads(scrubber.report.to_json())
    assert not multiprocessing.active_children()
    return b"".join(out), {"tables": report["tables"], "rows": report["rows"]}


def notes_dump(rows: int, *, damaged: int | None = None, cut: bool = False) -> bytes:
    """A pg_dump-shaped dump of clinical notes; row ``damaged`` has a field too few."""
    redact_bench = bench_module("redact_bench")
    bodies = redact_bench.corpus(0.05)
    lines = [
        b"--\n-- PostgreSQL database dump\n--\n\n",
        NOTES_SCHEMA.encode(),
        b"\nCOPY public.notes (id, patient_id, written_at, author, body) FROM stdin;\n",
    ]
    for i in range(rows):
        body = bodies[i % len(bodies)].replace("\\", "\\\\").replace("\n", "\\n")
        body = body.replace("\t", "\\t").replace("\r", "\\r")
        fields = [str(i + 1), str(i // 7 + 1), f"2024-{i % 12 + 1:02d}-{i % 27 + 1:02d}",
                  ["Ann Lee", "Tom Reyes", "Grace Kim"][i % 3], body]
        if i == damaged:
            fields.pop(3)
        lines.append("\t".join(fields).encode() + b"\n")
    if cut:
        return b"".join(lines)
    lines.append(b"\\.\n\n\n--\n-- PostgreSQL database dump complete\n--\n\n")
    return b"".join(lines)


@pytest.fixture(scope="module")
def notes() -> bytes:
    return notes_dump(3000)


@pytest.fixture(scope="module")
def patients() -> bytes:
    return patients_dump(300_000, seed=5)


@pytest.mark.parametrize("name", sorted(p.name for p in PGDUMP_FIXTURES.glob("*.sql")
                                        if p.name != "setup.sql"))
def test_fixture_dumps_same_with_workers(codec: ModuleType, name: str) -> None:
    """Every real pg_dump fixture: 1, 2 and 3 processes, whole reads and 97-byte reads."""
    data = (PGDUMP_FIXTURES / name).read_bytes()
    want = scrub(data, FIXTURE_POLICY, codec, jobs=1)
    for jobs, chunk in ((2, 1 << 16), (2, 97), (3, 13)):
        assert scrub(data, FIXTURE_POLICY, codec, jobs=jobs, chunk=chunk) == want, (jobs, chunk)


@pytest.mark.parametrize(("name", "changes"), MIX.LADDER, ids=[n for n, _ in MIX.LADDER])
def test_policy_mix_same_with_workers(codec: ModuleType, patients: bytes, name: str,
                                      changes: dict[str, str]) -> None:
    """Every transform the benchmark mixes (per-patient shifts, unique fakes, `when`, hash,
    mask): the same bytes and counts from 1 process and from 2 workers."""
    text = MIX.policy_text(changes)
    want = scrub(patients, text, codec, jobs=1, key=None)
    got = scrub(patients, text, codec, jobs=2, chunk=5000, key=None)
    assert got == want, name


@pytest.fixture(scope="module")
def ehr_dump(pg: PgServer) -> Iterator[bytes]:
    name = pg.create_database("jobs_ehr")
    pg.psql(name, file=ROOT / "examples" / "ehr" / "ehr.sql", args=["-v", "patients=40"])
    yield pg.pg_dump(name, "--no-owner")
    pg.drop_database(name)


@pytest.mark.postgres
def test_ehr_example_same_with_workers(codec: ModuleType, ehr_dump: bytes) -> None:
    """The EHR example (18 tables: row conditions, derived names, unique fakes, per-patient
    shifts, notes guided by the dump's lookup), really dumped: the same with 2 workers."""
    path = ROOT / "examples" / "ehr" / "ehr_policy.yaml"
    policy = load_policy(path)
    assert policy.scrub is not None
    key = resolve_secret(policy.scrub.key_ref, policy.scrub.base_dir)
    lookup = lookup_from_dump(io.BytesIO(ehr_dump), policy, key)
    text = path.read_text(encoding="utf-8")
    base = "examples/ehr/ehr_policy.yaml"
    want = scrub(ehr_dump, text, codec, jobs=1, base=base, key=key, lookup=lookup)
    got = scrub(ehr_dump, text, codec, jobs=2, chunk=211, base=base, key=key, lookup=lookup)
    assert got == want
    assert len(want[1]["tables"]) >= 18  # type: ignore[arg-type]


def test_notes_same_with_workers_and_only_after_the_threshold(codec: ModuleType,
                                                              notes: bytes) -> None:
    """Redacted notes: the same output with 2 workers from the first row or after 256 KiB."""
    want = scrub(notes, NOTES_POLICY, codec, jobs=1)
    assert scrub(notes, NOTES_POLICY, codec, jobs=2) == want
    assert scrub(notes, NOTES_POLICY, codec, jobs=2, after=256 << 10) == want
    assert want[1]["rows"] == 3000


def _error(data: bytes, codec: ModuleType, jobs: int) -> tuple[str, bytes]:
    policy = loads_policy(NOTES_POLICY, str(ROOT / "jobs.yaml"))
    scrubber = Scrubber(policy, codec=codec, key=KEY, jobs=jobs, parallel_after=0)
    out = []
    with pytest.raises(DumpError) as info:
        for i in range(0, len(data), 4096):
            out.append(scrubber.feed(data[i : i + 4096]))
        out.append(scrubber.close())
    trailer = scrubber.abort_trailer()
    assert not multiprocessing.active_children()
    return str(info.value), b"".join(out) + trailer


@pytest.mark.parametrize("damaged", [0, 1234, 2999])
def test_damaged_row_in_a_worker_is_the_same_error(codec: ModuleType, damaged: int) -> None:
    """A row a field short, first, in the middle or last: the error one process gives
    (line, table, column), every worker stopped, and the output ends with the trailer."""
    data = notes_dump(3000, damaged=damaged)
    message, out = _error(data, codec, 2)
    assert (message, ) == (_error(data, codec, 1)[0], )
    line = 8 + damaged  # 4 lines of header, the table, a blank line, COPY
    assert f"line {line}" in message and "public.notes" in message, message
    assert out.endswith(b"must not be restored'; END $scrubphi$;\n")


def test_stream_cut_inside_copy_is_the_same_error(codec: ModuleType) -> None:
    data = notes_dump(2000, cut=True)
    message, out = _error(data, codec, 2)
    assert message == _error(data, codec, 1)[0]
    assert "ended inside COPY data" in message
    assert b"scrub FAILED" in out


def test_row_longer_than_the_limit_is_the_same_error(codec: ModuleType) -> None:
    head = notes_dump(500, cut=True)
    data = head + b"501\t1\t2024-01-01\tAnn Lee\t" + b"x" * (3 << 20) + b"\n"
    policy_text = NOTES_POLICY.replace("scrub:\n", "scrub:\n  max_row_size: 1048576\n")
    policy = loads_policy(policy_text, str(ROOT / "jobs.yaml"))
    messages = []
    for jobs in (1, 2):
        scrubber = Scrubber(policy, codec=codec, key=KEY, jobs=jobs, parallel_after=0)
        with pytest.raises(DumpError) as info:
            for i in range(0, len(data), 1 << 16):
                scrubber.feed(data[i : i + (1 << 16)])
        scrubber.abort_trailer()
        messages.append(str(info.value))
    assert messages[0] == messages[1] and "longer than" in messages[0]
    assert not multiprocessing.active_children()


def _cli(*args: str, env: dict[str, str] | None = None, **kw: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "scrubphi", *args],  # type: ignore[call-overload]
                            env={**os.environ, **(env or {})}, **kw)


def test_killed_worker_fails_closed(tmp_path: Path) -> None:
    """A worker killed mid-block (the OOM killer, an operator): exit 4, an error naming
    the line its slab began on, the poison trailer, and the other worker gone too."""
    data = notes_dump(6000)
    policy = tmp_path / "notes.yaml"
    policy.write_text(NOTES_POLICY.replace("scrub:\n", "scrub:\n  key: file:k\n"), "utf-8")
    (tmp_path / "k").write_bytes(KEY)
    out = tmp_path / "out.sql"
    with out.open("wb") as dst:
        proc = _cli("--config", str(policy), "--jobs", "2", stdin=subprocess.PIPE, stdout=dst,
                    stderr=subprocess.PIPE)
        with proc:
            err = _kill_a_worker(proc, data)
    assert "worker process died" in err and "public.notes" in err and "line " in err
    assert out.read_bytes().endswith(b"must not be restored'; END $scrubphi$;\n")


def _kill_a_worker(proc: subprocess.Popen[bytes], data: bytes) -> str:
    """Feed half of ``data``, SIGKILL one of the run's two workers, feed the rest; stderr."""
    assert proc.stdin is not None and proc.stderr is not None
    half = len(data) // 2
    proc.stdin.write(data[:half])
    proc.stdin.flush()
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 60
    workers: list[psutil.Process] = []
    while len(workers) < 2 and time.monotonic() < deadline:
        workers = parent.children()
        time.sleep(0.05)
    assert len(workers) == 2, "the block never went to the workers"
    os.kill(workers[0].pid, signal.SIGKILL)
    try:
        proc.stdin.write(data[half:])
        proc.stdin.close()
    except BrokenPipeError:
        pass
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 4, err
    psutil.wait_procs(workers, timeout=10)
    assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)
    return err


@pytest.mark.parametrize("value", ["0", "65", "two", "-1"])
def test_jobs_option_refuses_nonsense(value: str) -> None:
    proc = _cli("--config", str(ROOT / "examples" / "phi_fields.yaml"), "--jobs", value,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert b"--jobs" in err


def test_jobs_auto_is_the_cores_at_most_four() -> None:
    assert auto_jobs() == max(1, min(len(os.sched_getaffinity(0)), MAX_AUTO_JOBS))


@pytest.mark.postgres
def test_pipe_with_workers_restores_the_same_rows(pg: PgServer, tmp_path: Path) -> None:
    """pg_dump | scrubphi --jobs 2 | psql on a 4.8 MB notes table (past the default
    threshold, so workers really start) restores the same rows as one process."""
    src = pg.create_database("jobs_src")
    dump = notes_dump(12000)
    pg.psql(src, stdin=dump)
    assert len(dump) > 4 << 20
    source = pg.pg_dump(src, "--no-owner")
    policy = tmp_path / "notes.yaml"
    policy.write_text(NOTES_POLICY.replace("scrub:\n", "scrub:\n  key: file:k\n"), "utf-8")
    (tmp_path / "k").write_bytes(KEY)
    restored = []
    for jobs in ("1", "2"):
        proc = _cli("--config", str(policy), "--jobs", jobs, stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = proc.communicate(source, timeout=300)
        assert proc.returncode == 0, err
        dst = pg.create_database("jobs_dst")
        pg.psql(dst, stdin=out, args=["--single-transaction"])
        restored.append(pg.query(dst, "SELECT * FROM public.notes ORDER BY id"))
        pg.drop_database(dst)
    assert len(restored[0]) == 12000
    assert restored[0] == restored[1]
    assert restored[0] != pg.query(src, "SELECT * FROM public.notes ORDER BY id")
