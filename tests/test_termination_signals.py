"""SIGTERM and SIGHUP end a scrub the way Ctrl-C does: cleaned up, said, and marked.

A CI job's cancellation, ``timeout`` and a closed terminal send SIGTERM or
SIGHUP. Their default action ended scrubphi at once: ``-o FILE`` left its hidden
``.FILE.*.partial`` behind, stdout stopped mid-row without the trailer that makes
``psql --single-transaction`` roll back, and nothing was said. Now the signal
unwinds like Ctrl-C: the partial file is removed, the stream ends with the abort
trailer, stderr says ``terminated by SIGTERM`` and the exit status is 128 + the
signal, as a shell reports it.

The dump is fed through a pipe that the test holds open, so the signal always
arrives while scrubphi waits for the rest of a COPY block: no timing guesses.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from scrubphi.cli.signals import Terminated, exit_code

KEY = "signals-test-key-0123456789abcdef"

HEAD = b"""CREATE TABLE public.people (id integer, name text);
COPY public.people (id, name) FROM stdin;
"""
POLICY = """version: 1
scrub:
  key: env:SCRUBPHI_KEY
  tables:
    public.people:
      columns:
        id: keep
        name: {fake: name}
"""


def _start(tmp_path: Path, *args: str, session: bool = False) -> subprocess.Popen[bytes]:
    policy = tmp_path / "p.yaml"
    policy.write_text(POLICY)
    return subprocess.Popen(
        [sys.executable, "-m", "scrubphi", "--config", str(policy), *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "SCRUBPHI_KEY": KEY}, start_new_session=session)


def _feed_and_wait(proc: subprocess.Popen[bytes], until: object) -> None:
    """Send the header and enough rows to pass the first read (from a thread: the
    output pipe may fill meanwhile), and wait for ``until``."""
    assert proc.stdin is not None
    stdin = proc.stdin

    def feed() -> None:
        with contextlib.suppress(BrokenPipeError):  # (the signal may come first)
            stdin.write(HEAD + b"".join(b"%d\tAnna Smith\n" % i for i in range(200_000)))
            stdin.flush()

    threading.Thread(target=feed, daemon=True).start()
    deadline = time.monotonic() + 60
    while not until() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.02)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
def test_a_file_output_is_removed(tmp_path: Path, sig: signal.Signals) -> None:
    out = tmp_path / "out" / "staging.sql"
    out.parent.mkdir()
    proc = _start(tmp_path, "-o", str(out))
    _feed_and_wait(proc, lambda: any(out.parent.iterdir()))
    assert next(p.name for p in out.parent.iterdir()).endswith(".partial")
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, err
    assert list(out.parent.iterdir()) == []  # neither the output nor the partial file
    assert err.decode().strip().splitlines()[-1] == f"scrubphi: error: terminated by {sig.name}"
    assert b"Anna" not in err


def test_row_workers_end_with_the_process_group(tmp_path: Path) -> None:
    """``--jobs 2`` under ``timeout`` or a CI runner, which signal the whole group: the
    workers (which inherit the handler) end quietly and the run ends as above."""
    out = tmp_path / "out" / "staging.sql"
    out.parent.mkdir()
    proc = _start(tmp_path, "--jobs", "2", "-o", str(out), session=True)

    def workers() -> list[str]:
        return subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                              text=True).stdout.split()

    _feed_and_wait(proc, lambda: len(workers()) >= 2)
    kids = workers()
    assert len(kids) >= 2  # the rows are being rewritten in the workers
    os.killpg(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert list(out.parent.iterdir()) == []
    assert err.decode().strip().splitlines() == ["scrubphi: error: terminated by SIGTERM"]
    deadline = time.monotonic() + 10
    while any(os.path.exists(f"/proc/{k}") for k in kids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(os.path.exists(f"/proc/{k}") for k in kids)


def test_a_stream_ends_with_the_abort_trailer(tmp_path: Path) -> None:
    proc = _start(tmp_path)
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    got: list[bytes] = []

    def some_output() -> bool:
        chunk = proc.stdout.read() if proc.stdout is not None else None
        if chunk:
            got.append(chunk)
        return bool(got)

    _feed_and_wait(proc, some_output)
    proc.send_signal(signal.SIGTERM)
    os.set_blocking(proc.stdout.fileno(), True)
    rest, err = proc.communicate(timeout=60)
    stream = b"".join(got) + rest
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert stream.startswith(b"CREATE TABLE public.people")
    assert stream.rstrip().endswith(b"must not be restored'; END $scrubphi$;")
    assert b"terminated by SIGTERM" in err


def test_exit_codes() -> None:
    assert exit_code(Terminated(signal.SIGTERM)) == 143
    assert exit_code(KeyboardInterrupt()) == 130
    wrapped = RuntimeError("abort")
    wrapped.__context__ = Terminated(signal.SIGHUP)
    assert exit_code(wrapped) == 129
