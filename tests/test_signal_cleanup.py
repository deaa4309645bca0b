"""A test run stopped with SIGTERM removes what it started: clusters, servers, folders.

A real pytest run in a child process starts a throwaway PostgreSQL cluster and
a Prometheus server, says where they are, and waits; the test then sends
SIGTERM (what a CI timeout sends) and checks that the run tore everything
down before it exited.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

INNER = '''
import json, os, time
from pathlib import Path

from prom_fixtures import openmetrics


def test_wait_to_be_stopped(pg, prometheus_server, tmp_path):
    prom = prometheus_server(openmetrics({"up": [(time.time() - 7200, 1.0)]}, {}))
    info = {"pg_root": str(pg.root), "pg_port": pg.port, "prom_pid": prom.process.pid,
            "prom_dir": str(prom.log.parent), "tmp": str(tmp_path)}
    Path(os.environ["MARKER"] + ".tmp").write_text(json.dumps(info))
    os.replace(os.environ["MARKER"] + ".tmp", os.environ["MARKER"])
    time.sleep(300)
'''


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _reap(info: dict[str, object]) -> None:
    """Stop what a failed cleanup left (so a failing test leaves nothing either)."""
    pid = int(str(info["prom_pid"]))
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    root = Path(str(info["pg_root"]))
    pidfile = root / "data" / "postmaster.pid"
    if pidfile.exists():
        postmaster = int(pidfile.read_text().split()[0])
        if _alive(postmaster):
            os.kill(postmaster, signal.SIGINT)  # fast shutdown
            deadline = time.monotonic() + 30
            while _alive(postmaster) and time.monotonic() < deadline:
                time.sleep(0.2)
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_stopped_run_cleans_up(tmp_path: Path, signum: int) -> None:
    """After SIGTERM/SIGHUP the cluster, its folder and Prometheus are gone; exit 2."""
    inner = tmp_path / "inner" / "test_inner.py"
    inner.parent.mkdir()
    inner.write_text(INNER)
    marker = tmp_path / "ready.json"
    env = {**os.environ, "SCRUBPHI_TEST_PG": "throwaway", "MARKER": str(marker),
           "PYTHONPATH": os.pathsep.join([str(TESTS), str(ROOT / "src"),
                                          os.environ.get("PYTHONPATH", "")])}
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "pg_fixtures", "-p", "prom_fixtures",
         "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "base"), str(inner)],
        cwd=inner.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while not marker.exists():
            assert run.poll() is None, run.communicate()[0].decode()[-3000:]
            assert time.monotonic() < deadline, "the inner run did not get ready"
            time.sleep(0.2)
        info = json.loads(marker.read_text())
        assert Path(info["pg_root"]).is_dir() and _listening(info["pg_port"])
        assert _alive(info["prom_pid"])
        run.send_signal(signum)
        out = run.communicate(timeout=120)[0].decode()
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    left = {
        "the throwaway cluster's folder": Path(info["pg_root"]).exists(),
        "the throwaway PostgreSQL": _listening(info["pg_port"]),
        "Prometheus": _alive(info["prom_pid"]),
    }
    _reap(info)
    assert run.returncode == 2, out[-3000:]  # pytest's "interrupted", not killed by the signal
    assert not any(left.values()), f"left behind: {[k for k, v in left.items() if v]}"
