"""The refresh as an on-call operator meets it (issue 15, "Refresh and parity").

Each test is one item: the documented cron value ``--lock-wait-timeout 5m``;
``NOTIFY scrubphi_refresh`` heard by a listener while it can still act; a
SIGKILL during ``--grace`` leaving staging reachable and the next run
cleaning up; ``--rollback`` after a crash between the two renames going
back exactly one generation; an unwritable ``--report`` refused before
anything happens; connection failures that say which database and why; and
``--keep 0`` not claiming a kept generation. Real server, real clients, real
SIGKILL; the libpq environment and password tests are in
``test_refresh_auth.py``.
"""

from __future__ import annotations

import json
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
from click.testing import CliRunner

from pg_fixtures import PgServer
from scrubphi.cli.refresh import parity_command, refresh_command
from scrubphi.refresh import RefreshError, refresh, rollback
from scrubphi.refresh.core import lock_wait_ms
from scrubphi.refresh.swap import Admin
from test_refresh import Env, _fingerprint, _leftovers, _policy

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def env(pg: PgServer, tmp_path: Path) -> Iterator[Env]:
    e = Env(pg, tmp_path)
    try:
        yield e
    finally:
        e.cleanup()


def _cli(env: Env, *extra: str) -> Any:
    return CliRunner().invoke(
        refresh_command,
        [
            "--from",
            env.pg.dsn(env.source),
            "--to",
            env.pg.dsn(env.staging),
            "-c",
            _policy(env.tmp),
            "--pg-bin",
            str(env.pg.bin_dir),
            "--grace",
            "0.5s",
            "--no-progress",
            *extra,
        ],
    )


# -- --lock-wait-timeout -------------------------------------------------------


def test_lock_wait_timeout_takes_scrubphi_durations() -> None:
    """5m, 30s, 500ms (and PostgreSQL's own 5min) become milliseconds for pg_dump."""
    assert lock_wait_ms("5m") == 300_000
    assert lock_wait_ms("30s") == 30_000
    assert lock_wait_ms("500ms") == 500
    assert lock_wait_ms("1h30m") == 5_400_000
    assert lock_wait_ms("5min") == 300_000
    for bad in ("5", "five minutes", "0s", "-1s"):
        with pytest.raises(RefreshError) as info:
            lock_wait_ms(bad)
        assert info.value.step == "preflight" and "--lock-wait-timeout" in str(info.value)


def test_cron_lock_wait_timeout_5m_refreshes(env: Env) -> None:
    """The docs' cron line: ``--lock-wait-timeout 5m`` is accepted and the refresh succeeds."""
    res = _cli(env, "--lock-wait-timeout", "5m", "--keep", "1")
    assert res.exit_code == 0, res.output
    assert "refreshed" in res.output


def test_bad_lock_wait_timeout_is_a_usage_error(env: Env) -> None:
    """A bare number is ambiguous: exit 2 with one line, before anything is touched."""
    res = _cli(env, "--lock-wait-timeout", "5")
    assert res.exit_code == 2, res.output
    assert "--lock-wait-timeout" in res.output and "Traceback" not in res.output
    env.assert_staging_unchanged()
    assert _leftovers(env.pg, env.staging) == []


# -- NOTIFY before connections are disallowed ------------------------------------


def test_listener_hears_notify_while_staging_still_accepts_connections(
    env: Env, pg: PgServer
) -> None:
    """A session that LISTENs scrubphi_refresh gets the notice, can still connect, and leaves.

    It leaves on the notice, so the grace ends early and no session has to be
    terminated.
    """
    heard: list[tuple[str, bool]] = []
    listening = threading.Event()

    def listener() -> None:
        with psycopg.connect(pg.dsn(env.staging), autocommit=True) as conn:
            conn.execute("LISTEN scrubphi_refresh")
            listening.set()
            for note in conn.notifies(timeout=60, stop_after=1):
                allowed = pg.query(
                    "postgres",
                    "SELECT datallowconn FROM pg_database WHERE datname = %s",
                    (env.staging,),
                )[0][0]
                heard.append((note.payload, bool(allowed)))

    thread = threading.Thread(target=listener)
    thread.start()
    assert listening.wait(10)
    began = time.monotonic()
    try:
        result = refresh(env.options(grace_s=30))
    finally:
        thread.join(timeout=60)
    assert heard == [("staging is being replaced; reconnect shortly", True)]
    assert result.ok and result.sessions_ended == 0
    assert time.monotonic() - began < 30  # the grace ended when the listener left


# -- SIGKILL during --grace --------------------------------------------------------


def _refresh_process(env: Env, *extra: str) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-c",
        "import sys; from scrubphi.cli.refresh import refresh_command; "
        "refresh_command(sys.argv[1:], prog_name='scrubphi refresh')",
        "--from",
        env.pg.dsn(env.source),
        "--to",
        env.pg.dsn(env.staging),
        "--config",
        _policy(env.tmp),
        "--pg-bin",
        str(env.pg.bin_dir),
        "--no-progress",
        *extra,
    ]
    penv = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.Popen(cmd, env=penv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_sigkill_during_grace_leaves_staging_reachable_and_next_run_cleans(
    env: Env, pg: PgServer
) -> None:
    """Connections are disallowed only after the grace: a kill during it leaves staging open."""
    holder = psycopg.connect(pg.dsn(env.staging), autocommit=True)
    proc = _refresh_process(env, "--grace", "60s")
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            swapping = [
                name
                for name, comment in _leftovers(pg, env.staging)
                if comment and '"state": "swapping"' in comment
            ]
            if swapping:
                break
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else b""
            time.sleep(0.05)
        else:
            pytest.fail("the refresh never reached its swap")
        time.sleep(1.0)  # well inside the 60 s grace
        assert proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
        holder.close()
    assert proc.returncode == -signal.SIGKILL
    # Staging is the old database, and it accepts new sessions right away.
    env.assert_staging_unchanged()
    with psycopg.connect(pg.dsn(env.staging), connect_timeout=5) as conn:
        assert conn.execute("SELECT count(*) FROM old_generation").fetchone() == (7,)
    result = refresh(env.options())
    assert result.ok
    assert any("its swap was interrupted" in r for r in result.recovered), result.recovered


def test_crash_after_connections_were_disallowed_is_repaired_by_the_next_run(
    env: Env, pg: PgServer
) -> None:
    """The window that is left (connections off, before the first rename): recovered next run."""
    with psycopg.connect(pg.dsn("postgres"), autocommit=True) as conn:
        admin = Admin(conn, env.staging, log=lambda _m: None)
        incoming = admin.create_building("20000101T000000Z")
        admin.set_state(
            incoming,
            {
                "state": "swapping",
                "kind": "refresh",
                "staging": env.staging,
                "incoming": incoming,
                "outgoing": f"{env.staging}_prev_20000101T000000Z",
                "allowconn": True,
            },
        )
        admin.set_allow_connections(env.staging, False)  # ... and the process dies here
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(pg.dsn(env.staging), connect_timeout=5).close()
    result = refresh(env.options())
    assert any("accepts connections again" in r for r in result.recovered), result.recovered
    assert result.backup is not None
    oid, allowed, rows = _fingerprint(pg, result.backup)
    assert (oid, allowed, rows) == (env.before[0], True, env.before[2])


# -- --rollback after a crash between the renames ------------------------------------


def test_rollback_after_crash_between_renames_goes_back_one_generation(
    env: Env, pg: PgServer
) -> None:
    """The crashed refresh is undone, and that is the rollback: no older generation is taken."""
    first = refresh(env.options(keep=2))
    gen1 = pg.query("postgres", "SELECT oid FROM pg_database WHERE datname = %s", (env.staging,))
    assert first.backup is not None
    time.sleep(1.1)  # generation names carry a one-second timestamp
    with psycopg.connect(pg.dsn("postgres"), autocommit=True) as conn:
        admin = Admin(conn, env.staging, log=lambda _m: None)
        ts = "29990101T000000Z"  # sorts after the first refresh's generation
        incoming = admin.create_building(ts)
        outgoing = f"{env.staging}_prev_{ts}"
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
    outcome = rollback(env.options())
    assert outcome["interrupted_refresh_undone"] is True
    assert outcome["restored"] == outgoing
    now = pg.query(
        "postgres", "SELECT oid, datallowconn FROM pg_database WHERE datname = %s", (env.staging,)
    )
    assert now == [(gen1[0][0], True)]  # the first refresh's staging, not the one before it
    names = [n for n, _ in _leftovers(pg, env.staging)]
    assert names == [first.backup]  # the generation before is still kept, untouched
    assert _fingerprint(pg, first.backup)[2] == env.before[2]


# -- --report ------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["missing folder", "a directory"])
def test_unwritable_report_is_refused_before_anything(
    env: Env, tmp_path: Path, where: str
) -> None:
    """Nothing is created or swapped; one clear line; exit 10 (preflight)."""
    path = tmp_path / "no-such-dir" / "r.json" if where == "missing folder" else tmp_path
    res = _cli(env, "--report", str(path))
    assert res.exit_code == 10, res.output
    assert f"cannot write the report to {path}" in res.output
    assert "staging was not changed" in res.output and "Traceback" not in res.output
    env.assert_staging_unchanged()
    assert _leftovers(env.pg, env.staging) == []


# -- connection failures and messages -------------------------------------------------


def test_cannot_connect_says_which_and_why(env: Env, pg: PgServer) -> None:
    """Source, staging server and parity's target: each named, with libpq's reason."""
    res = CliRunner().invoke(
        refresh_command,
        [
            "--from",
            f"host=127.0.0.1 port=1 user=postgres dbname={env.source}",
            "--to",
            pg.dsn(env.staging),
            "-c",
            _policy(env.tmp),
            "--pg-bin",
            str(pg.bin_dir),
        ],
    )
    assert res.exit_code == 10, res.output
    assert (
        f"cannot connect to the source database (database {env.source} on 127.0.0.1:1): "
        "Connection refused"
    ) in res.output
    res = _cli(env, "--maintenance-db", "no_such_db_15")
    assert res.exit_code == 10, res.output
    assert "cannot connect to the staging server (database no_such_db_15 on" in res.output
    assert 'database "no_such_db_15" does not exist' in res.output
    env.assert_staging_unchanged()
    res = CliRunner().invoke(
        parity_command,
        [
            "--source",
            pg.dsn(env.source),
            "--target",
            pg.dsn("no_such_target_15"),
            "--pg-bin",
            str(pg.bin_dir),
        ],
    )
    assert res.exit_code == 10, res.output
    assert "cannot connect to the target database (database no_such_target_15 on" in res.output


def test_keep_0_says_the_previous_generation_was_dropped(env: Env) -> None:
    """--keep 0: no "previous generation kept" for a generation that is gone."""
    res = _cli(env, "--keep", "0")
    assert res.exit_code == 0, res.output
    assert "previous generation dropped (--keep 0)" in res.output
    assert "kept as" not in res.output
    assert _leftovers(env.pg, env.staging) == []
    res = _cli(env, "--keep", "1", "--report", str(env.tmp / "r.json"))
    assert res.exit_code == 0, res.output
    data = json.loads((env.tmp / "r.json").read_text())
    assert f"previous generation kept as {data['backup']}" in res.output
