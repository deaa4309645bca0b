"""Refresh and parity with a role that needs a password, as CI and cron run them.

The shared test server trusts every local connection, which would let a
password bug pass unseen; so these tests start a throwaway PostgreSQL whose
``pg_hba.conf`` demands SCRAM for a real role, ``refresher``, that owns the
databases (not a superuser). They check that libpq's environment reaches
pg_dump/psql/pg_restore (``PGPASSWORD``, ``PGPASSFILE``, ``PGHOST``,
``PGPORT``, ``PGUSER``: the docs' CI example), and that a password given in
a URL never shows on a command line, scrubphi's own included, by reading
``/proc/PID/cmdline`` of every process of the run while it runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pg_fixtures import Throwaway, start_throwaway

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[1]
ROLE = "refresher"
PASSWORD = "Pw-15-s3cr3t-refresh"
BULK_ROWS = 300_000


class AuthServer:
    """The throwaway server, its source and staging, and the refresher's URLs."""

    def __init__(self, server: Throwaway, tmp: Path) -> None:
        self.server = server
        self.tmp = tmp
        self.policy = tmp / "policy.yaml"
        text = (ROOT / "examples" / "phi_fields.yaml").read_text(encoding="utf-8")
        text = text.replace(
            "key: file:example.key", f"key: file:{ROOT / 'examples' / 'example.key'}"
        )
        self.policy.write_text(text + "    public.bulk: keep\n", encoding="utf-8")

    def url(self, db: str, *, password: str | None = None) -> str:
        """A postgresql:// URL for the refresher (with ``password`` in it when given)."""
        auth = ROLE if password is None else f"{ROLE}:{password}"
        return f"postgresql://{auth}@127.0.0.1:{self.server.port}/{db}"

    def staging_db(self, name: str) -> str:
        self.server.query("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.server.query("postgres", f'CREATE DATABASE "{name}" OWNER {ROLE}')
        return name

    def env(self, **extra: str) -> dict[str, str]:
        """The child's environment: no PG* variable of ours unless given."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["PYTHONPATH"] = str(ROOT / "src")
        env.update(extra)
        return env

    def cli(self, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "scrubphi", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


@pytest.fixture(scope="module")
def auth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthServer]:
    server = start_throwaway()
    try:
        server.query("postgres", f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{PASSWORD}'")
        server.query("postgres", f"GRANT pg_read_all_data TO {ROLE}")
        server.query("postgres", f'CREATE DATABASE "src" OWNER {ROLE}')
        server.psql("src", file=ROOT / "examples" / "hospital.sql")
        server.psql(
            "src",
            "CREATE TABLE public.bulk AS SELECT i, md5(i::text) AS h "
            f"FROM generate_series(1, {BULK_ROWS}) AS i",
        )
        # The superuser keeps trust (the fixtures' own connections); everyone else
        # must give a password, checked with SCRAM.
        (server.data_dir / "pg_hba.conf").write_text(
            "local all all trust\n"
            "host all postgres 127.0.0.1/32 trust\n"
            "host all all 127.0.0.1/32 scram-sha-256\n",
            encoding="utf-8",
        )
        server.query("postgres", "SELECT pg_reload_conf()")
        yield AuthServer(server, tmp_path_factory.mktemp("auth"))
    finally:
        server.stop()


def _refresh_args(auth: AuthServer, source: str, staging: str, *extra: str) -> list[str]:
    return [
        "refresh",
        "--from",
        source,
        "--to",
        staging,
        "-c",
        str(auth.policy),
        "--pg-bin",
        str(auth.server.bin_dir),
        "--grace",
        "0.5s",
        "--keep",
        "0",
        "--no-progress",
        *extra,
    ]


def test_without_a_password_the_role_is_refused(auth: AuthServer) -> None:
    """The control: no password anywhere fails, saying which database and why."""
    staging = auth.staging_db("stg_none")
    res = auth.cli(_refresh_args(auth, auth.url("src"), auth.url(staging)), auth.env())
    assert res.returncode == 10, res.stderr
    assert "cannot connect to the staging server" in res.stderr
    assert "no password supplied" in res.stderr


def test_wrong_password_is_named_never_shown(auth: AuthServer) -> None:
    """A wrong password in the URL: libpq's reason, without the password."""
    staging = auth.staging_db("stg_wrong")
    wrong = "Wr0ng-pass-15"
    res = auth.cli(
        _refresh_args(auth, auth.url("src", password=wrong), auth.url(staging, password=wrong)),
        auth.env(),
    )
    assert res.returncode == 10, res.stderr
    assert f'password authentication failed for user "{ROLE}"' in res.stderr
    assert wrong not in res.stderr + res.stdout


def test_pgpassword_reaches_pg_dump_and_psql_and_parity(auth: AuthServer) -> None:
    """PGPASSWORD in the environment, URLs without one: refresh and parity both work."""
    staging = auth.staging_db("stg_pgpassword")
    env = auth.env(PGPASSWORD=PASSWORD)
    res = auth.cli(_refresh_args(auth, auth.url("src"), auth.url(staging)), env)
    assert res.returncode == 0, res.stderr
    res = auth.cli(
        [
            "parity",
            "--source",
            auth.url("src"),
            "--target",
            auth.url(staging),
            "-c",
            str(auth.policy),
            "--pg-bin",
            str(auth.server.bin_dir),
        ],
        env,
    )
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("jobs", ["1", "2"], ids=["plain", "parallel"])
def test_pgpassfile_and_pghost_pguser_from_the_environment(auth: AuthServer, jobs: str) -> None:
    """The docs' CI example: PGPASSFILE; and host, port and user from PGHOST/PGPORT/PGUSER."""
    staging = auth.staging_db(f"stg_passfile_{jobs}")
    passfile = auth.tmp / f"pgpass_{jobs}"
    passfile.write_text(f"127.0.0.1:{auth.server.port}:*:{ROLE}:{PASSWORD}\n", encoding="utf-8")
    passfile.chmod(0o600)
    env = auth.env(
        PGPASSFILE=str(passfile),
        PGHOST="127.0.0.1",
        PGPORT=str(auth.server.port),
        PGUSER=ROLE,
    )
    res = auth.cli(
        _refresh_args(auth, "dbname=src", f"dbname={staging}", "--jobs", jobs), env
    )
    assert res.returncode == 0, res.stderr
    rows = auth.server.query(staging, "SELECT count(*) FROM public.bulk")
    assert rows == [(BULK_ROWS,)]


def _tree(root: int) -> list[int]:
    """``root``'s descendants (children, grandchildren ...) from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out: list[int] = []
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            out.append(child)
            stack.append(child)
    return out


def _cmdline(pid: int) -> bytes | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None


@pytest.mark.parametrize("jobs", ["1", "2"], ids=["plain", "parallel"])
def test_password_in_url_never_on_a_command_line(auth: AuthServer, jobs: str) -> None:
    """URLs with the password: no process of the run shows it in /proc/PID/cmdline.

    Read while the run goes on, for scrubphi itself (once it has started a
    child, i.e. once its options were read) and every process under it:
    pg_dump, psql, pg_restore and parallel mode's workers.
    """
    staging = auth.staging_db(f"stg_url_{jobs}")
    source_url = auth.url("src", password=PASSWORD)
    staging_url = auth.url(staging, password=PASSWORD)
    proc = subprocess.Popen(
        [sys.executable, "-m", "scrubphi",
         *_refresh_args(auth, source_url, staging_url, "--jobs", jobs)],
        env=auth.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    seen: dict[bytes, int] = {}
    own: list[bytes] = []
    leaks: list[bytes] = []
    try:
        while proc.poll() is None:
            pids = _tree(proc.pid)
            for pid in pids:
                line = _cmdline(pid)
                if not line:
                    continue
                name = Path(line.split(b"\0")[0].decode()).name.encode()
                seen[name] = seen.get(name, 0) + 1
                if PASSWORD.encode() in line:
                    leaks.append(name)
            if pids and (line := _cmdline(proc.pid)):
                own.append(line)
                if PASSWORD.encode() in line:
                    leaks.append(b"scrubphi")
            time.sleep(0.01)
        stderr = proc.stderr.read().decode() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
    assert proc.returncode == 0, stderr
    assert leaks == []
    assert PASSWORD not in stderr
    # The test saw what it claims to have checked.
    assert seen.get(b"pg_dump") and own
    assert seen.get(b"psql" if jobs == "1" else b"pg_restore"), seen
    assert any(f"{ROLE}:{'*' * len(PASSWORD)}@".encode() in line for line in own)
    # The URL's password reached the clients through their environment: the run worked.
    assert auth.server.query(staging, "SELECT count(*) FROM public.bulk") == [(BULK_ROWS,)]


def test_any_scrubphi_command_hides_url_passwords_before_its_work(tmp_path: Path) -> None:
    """The hiding runs when the scrubphi package loads, not only in refresh: a scrub still
    waiting for its input (which never reaches refresh's code) shows no password."""
    import subprocess
    import time

    policy = tmp_path / "p.yaml"
    policy.write_text("version: 1\nscrub:\n  tables: {}\n")
    secret = "hunter2-in-a-url"
    argv = ["scrubphi", "--config", str(policy), "--report",
            f"postgresql://u:{secret}@db/x", "-o", os.devnull]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        cmdline = b""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
            if b"postgresql://u:****************@db/x" in cmdline:
                break
            time.sleep(0.05)
        assert secret.encode() not in cmdline
        assert b"postgresql://u:" in cmdline  # the rest of the argument is still shown
        assert proc.poll() is None  # still waiting for its input: no command code ran yet
    finally:
        proc.kill()
        proc.communicate()
