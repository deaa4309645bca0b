"""Durable canary state beside the router: one run per router, a run log on disk, commands.

Why on disk, next to the router's own file: a canary run moves production
traffic for minutes, and whatever ends the controller (a CI cancel's SIGTERM,
systemd, docker, a timeout's SIGKILL) must not leave traffic split with
nobody watching and no record.  The folder is the router's (nginx's
``conf.d`` by default), so every process that can move the traffic finds
the same lock and the same state.  Files (``NAME`` is ``scrubphi-canary``):

* ``NAME.lock`` — held (``flock``) by the live controller for its whole run:
  a second ``canary run`` on the same router is refused, and the kernel drops
  the lock when the holder dies, however it dies.
* ``NAME.router.lock`` — held around each weight change, by the controller
  and by a person's ``canary rollback``, so the two never interleave.
* ``NAME.state.json`` — the run as of its last tick (written atomically):
  run id, pid, router settings, step, weights, every rule's value against its
  threshold.  A state that says ``running`` while nobody holds the lock is an
  orphan: its controller died.
* ``NAME.runs/RUN_ID.jsonl`` — the run log, one JSON event per line, appended
  and fsynced as each event happens.
* ``NAME.commands.jsonl`` — what people asked (pause, resume, promote, abort,
  rollback), appended by ``scrubphi canary pause`` and friends; the controller
  reads what was added since its run began.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import getpass
import json
import os
import secrets
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from scrubphi import jsontext
from scrubphi.canary.controller import Preempted
from scrubphi.canary.routers import Router, Weights
from scrubphi.canary.runlog import CanaryStatus, Event
from scrubphi.errors import ScrubPhiError
from scrubphi.fileutil import write_atomic

__all__ = ["GuardedRouter", "RunLocked", "RunStore", "StoreError", "who"]


class StoreError(ScrubPhiError):
    """The state folder cannot be used (unwritable, damaged state)."""

    exit_code = 2


class RunLocked(StoreError):
    """Another canary run holds this router."""

    exit_code = 15


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def who() -> str:
    """``user@host pid N``: who sent a command or ran a rollback, for the run log."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


class RunStore:
    """The state folder of one router; see the module docstring."""

    def __init__(self, directory: str | os.PathLike[str], name: str = "scrubphi-canary") -> None:
        self.dir = Path(directory)
        self.name = name
        self.lock_path = self.dir / f"{name}.lock"
        self.router_lock_path = self.dir / f"{name}.router.lock"
        self.state_path = self.dir / f"{name}.state.json"
        self.commands_path = self.dir / f"{name}.commands.jsonl"
        self.runs_dir = self.dir / f"{name}.runs"
        self._lock: IO[bytes] | None = None
        self._log: IO[str] | None = None
        self._commands_offset = 0
        self.run_id: str | None = None
        self._state: dict[str, Any] = {}

    # -- the run lock ----------------------------------------------------------

    def acquire(self) -> None:
        """Hold this router for one run; RunLocked names the run that holds it."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            fh = open(self.lock_path, "a+b")  # noqa: SIM115 - held for the whole run
        except OSError as exc:
            raise StoreError(f"cannot use state folder {self.dir}: {exc.strerror}") from exc
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            state = self.read_state() or {}
            raise RunLocked(
                f"another canary run holds this router: run {state.get('run_id', '?')} "
                f"(pid {state.get('pid', '?')}, started {state.get('started', '?')}); "
                f"see `scrubphi canary status --state-dir {self.dir}`"
            ) from None
        self._lock = fh

    def release(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._lock is not None:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def live(self) -> bool:
        """True when a controller holds the run lock now."""
        try:
            with open(self.lock_path, "a+b") as fh:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    return True
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
                return False
        except OSError:
            return False

    @contextlib.contextmanager
    def router_lock(self) -> Iterator[None]:
        """Around one weight change: the controller's and a person's never interleave."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.router_lock_path, "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    # -- state and run log -----------------------------------------------------

    def read_state(self) -> dict[str, Any] | None:
        """The last state written, or None when there is none."""
        try:
            data = jsontext.loads(self.state_path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot read {self.state_path}: {exc}") from exc
        return data if isinstance(data, dict) else None

    def orphan(self) -> dict[str, Any] | None:
        """The state of a run whose controller died (running, nobody holds the lock)."""
        state = self.read_state()
        if state is None or state.get("state") not in ("running", "pending"):
            return None
        return None if self.live() else state

    def begin(self, router: Mapping[str, Any], policy: Mapping[str, Any]) -> str:
        """Start a run's record: a new run id, its log file, commands from now on."""
        assert self._lock is not None, "acquire() first"
        self.run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ-") + secrets.token_hex(3)
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.runs_dir / f"{self.run_id}.jsonl"
        self._log = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 - open for the run
        try:
            self._commands_offset = self.commands_path.stat().st_size
        except FileNotFoundError:
            self._commands_offset = 0
        self._state = {
            "run_id": self.run_id, "pid": os.getpid(), "by": who(), "started": _now_iso(),
            "state": "running", "router": dict(router), "policy": dict(policy),
            "log": str(log_path),
        }
        self._write()
        return self.run_id

    def append(self, event: Event) -> None:
        """One event to the run log, on disk before the call returns."""
        if self._log is None:
            return
        self._log.write(json.dumps(event.as_dict(), sort_keys=False) + "\n")
        self._log.flush()
        os.fsync(self._log.fileno())

    def update(self, status: CanaryStatus, **extra: Any) -> None:
        """The state as of this tick (atomically replaced)."""
        self._state.update(status.as_dict())
        self._state.update(extra)
        self._state["updated"] = _now_iso()
        self._write()

    def _write(self) -> None:
        try:
            write_atomic(self.state_path, (json.dumps(self._state, indent=2) + "\n").encode(),
                         prefix=f".{self.name}.state.")
        except OSError as exc:
            raise StoreError(f"cannot write {self.state_path}: {exc.strerror}") from exc

    @staticmethod
    def append_events(log_path: str | os.PathLike[str], events: list[dict[str, Any]]) -> None:
        """Add events to a finished or orphaned run's log (a recovery, a manual rollback)."""
        with open(log_path, "a", encoding="utf-8") as fh:
            for event in events:
                fh.write(json.dumps(event) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def mark(self, saved: dict[str, Any], **changes: Any) -> None:
        """Rewrite a state read from disk with ``changes`` (an orphan's end)."""
        self._state = {**saved, **changes, "updated": _now_iso()}
        self._write()

    # -- commands --------------------------------------------------------------

    def send(self, command: str, **details: Any) -> dict[str, Any]:
        """Append a person's command for the live controller; returns it (with its id)."""
        entry = {"id": secrets.token_hex(4), "command": command, "at": _now_iso(),
                 "by": who(), **details}
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.commands_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        return entry

    def _read_commands(self) -> tuple[list[tuple[str, dict[str, Any]]], int]:
        try:
            with open(self.commands_path, "rb") as fh:
                fh.seek(self._commands_offset)
                data = fh.read()
        except FileNotFoundError:
            return [], self._commands_offset
        end = data.rfind(b"\n") + 1
        out: list[tuple[str, dict[str, Any]]] = []
        for line in data[:end].splitlines():
            with contextlib.suppress(ValueError):
                entry = jsontext.loads(line)
                if isinstance(entry, dict) and isinstance(entry.get("command"), str):
                    out.append((entry["command"], entry))
        return out, self._commands_offset + end

    def peek_commands(self) -> list[tuple[str, dict[str, Any]]]:
        """Commands not taken yet, left in place."""
        return self._read_commands()[0]

    def take_commands(self) -> list[tuple[str, dict[str, Any]]]:
        """Commands sent since the last call (since the run began, the first time)."""
        out, self._commands_offset = self._read_commands()
        return out


class GuardedRouter(Router):
    """A router whose weight changes take the router lock and yield to a person's rollback.

    A forward change (canary above 0) is not applied when a ``rollback`` or
    ``abort`` command is waiting: it raises :class:`Preempted` and the
    controller obeys the command instead.  A change back to stable always goes.
    """

    def __init__(self, inner: Router, store: RunStore) -> None:
        self.inner = inner
        self.store = store

    def set_weights(self, *, stable: int, canary: int) -> None:
        with self.store.router_lock():
            if canary > 0 and any(name in ("rollback", "abort")
                                  for name, _ in self.store.peek_commands()):
                raise Preempted(f"not moving to canary={canary}%: a person asked to roll back")
            self.inner.set_weights(stable=stable, canary=canary)

    def current(self) -> Weights | None:
        return self.inner.current()

    def describe(self) -> str:
        return self.inner.describe()

    @property
    def warning(self) -> str | None:
        """The inner router's warning about its last change, if it has one."""
        value = getattr(self.inner, "warning", None)
        return value if isinstance(value, str) else None
