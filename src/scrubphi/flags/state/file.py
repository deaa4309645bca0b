"""Rollout state in one JSON file: :class:`FileStateStore`, for the processes of a single host.

The file is replaced by atomic rename, moves are serialised with
``fcntl.flock`` on a sidecar lock file, and reads are revalidated with one
``stat()``.  Not for network filesystems, where ``flock`` and rename
atomicity are not guaranteed.

Why a module of its own: the file format, its locking and its atomic writes
are this backend's alone; the model it implements is
:mod:`scrubphi.flags.state.model`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrubphi import jsontext
from scrubphi.fileutil import write_atomic
from scrubphi.flags.state.model import (
    Event,
    ForkAware,
    MoveMixin,
    RolloutState,
    StateConflict,
    StateStoreError,
    check_move_args,
    check_plan,
    never_moved,
    watch_forks,
)

__all__ = ["FileStateStore"]

_FILE_FORMAT = 1



def _dt_out(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dt_in(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


class FileStateStore(MoveMixin, ForkAware):
    """Rollout state in one JSON file, for the worker processes of a single host.

    Writes go to a temporary file in the same directory, are fsynced, and
    replace the state file by ``os.replace`` (atomic on POSIX): a reader sees
    the old or the new file, never half of one.  Moves hold an exclusive
    ``fcntl.flock`` on ``<path>.lock`` while they read, check and write, so
    concurrent moves are serialised across processes.  Reads ``stat()`` the
    file (at most every ``revalidate_ms``, default every read: it costs about
    a microsecond) and re-parse it only when inode, size or mtime changed.

    The directory must be writable by every process that moves a plan; the
    file is created by the first move.  Not for network filesystems, where
    ``flock`` and rename atomicity are not guaranteed.
    """

    def __init__(self, path: str | os.PathLike[str], *, revalidate_ms: float = 0.0) -> None:
        if revalidate_ms < 0:
            raise StateStoreError("revalidate_ms must be >= 0")
        self.path = Path(path)
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._revalidate_s = revalidate_ms / 1000.0
        self._lock = threading.RLock()
        self._sig: tuple[int, int, int] | None = None
        self._doc: dict[str, Any] = self._empty()
        self._states: dict[str, RolloutState] = {}
        self._checked_at = float("-inf")
        self._loaded = False
        watch_forks(self)

    def __repr__(self) -> str:
        return f"<FileStateStore path={os.fspath(self.path)!r}>"

    def _after_fork_in_child(self) -> None:
        self._lock = threading.RLock()

    @staticmethod
    def _empty() -> dict[str, Any]:
        return {"format": _FILE_FORMAT, "plans": {}}

    def _stat_sig(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateStoreError(
                f"cannot stat the rollout state file {os.fspath(self.path)!r} "
                f"({type(exc).__name__})"
            ) from exc
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _read_doc(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return self._empty()
        except OSError as exc:
            raise StateStoreError(
                f"cannot read the rollout state file {os.fspath(self.path)!r} "
                f"({type(exc).__name__})"
            ) from exc
        try:
            doc = jsontext.loads(text)
        except ValueError as exc:
            raise StateStoreError(
                f"the rollout state file {os.fspath(self.path)!r} is not valid JSON "
                f"(line {getattr(exc, 'lineno', '?')})"
            ) from exc
        if (
            not isinstance(doc, dict)
            or doc.get("format") != _FILE_FORMAT
            or not isinstance(doc.get("plans"), dict)
        ):
            raise StateStoreError(
                f"the rollout state file {os.fspath(self.path)!r} is not a scrubphi "
                f"state file of format {_FILE_FORMAT}"
            )
        return doc

    @staticmethod
    def _states_of(doc: Mapping[str, Any]) -> dict[str, RolloutState]:
        out: dict[str, RolloutState] = {}
        for plan, entry in doc["plans"].items():
            out[plan] = RolloutState(
                plan=plan,
                phase=entry.get("phase"),
                started_at=_dt_in(entry.get("started_at")),
                version=int(entry.get("version", 0)),
            )
        return out

    def _fresh(self) -> dict[str, RolloutState]:
        now = time.monotonic()
        if self._loaded and now - self._checked_at < self._revalidate_s:
            return self._states
        with self._lock:
            sig = self._stat_sig()
            if not self._loaded or sig != self._sig:
                doc = self._read_doc()
                # A rename between stat and read only makes the signature stale:
                # the next read sees another change and re-reads.
                self._doc, self._states, self._sig = doc, self._states_of(doc), sig
                self._loaded = True
            self._checked_at = now
            return self._states

    def history(self, plan: str) -> list[Event]:
        """Every move of ``plan``, oldest first."""
        check_plan(plan)
        with self._lock:
            self._checked_at = float("-inf")
            self._fresh()
            entry = self._doc["plans"].get(plan)
        if entry is None:
            return []
        return [
            Event(
                plan=plan,
                from_phase=e.get("from_phase"),
                to_phase=e.get("to_phase"),
                at=_dt_in(e["at"]) or datetime.now(UTC),
                actor=str(e["actor"]),
                reason=str(e["reason"]),
            )
            for e in entry.get("history", [])
        ]

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        try:
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StateStoreError(
                f"cannot open the lock file {os.fspath(self._lock_path)!r} "
                f"({type(exc).__name__})"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _write_doc(self, doc: Mapping[str, Any]) -> None:
        data = json.dumps(doc, indent=1, sort_keys=True).encode("utf-8") + b"\n"
        write_atomic(self.path, data)

    def move(
        self,
        plan: str,
        to_phase: int | None,
        *,
        actor: str,
        reason: str,
        expected_version: int | None = None,
    ) -> RolloutState:
        """Move ``plan`` under the file lock; the state and its event land in one rename.

        With ``expected_version``, a plan whose version moved on raises
        :class:`StateConflict`.  Moving to the current phase records nothing.
        """
        check_move_args(plan, to_phase, actor, reason)
        with self._lock, self._exclusive():
            doc = self._read_doc()
            entry = doc["plans"].get(plan)
            current = (
                never_moved(plan)
                if entry is None
                else RolloutState(
                    plan=plan,
                    phase=entry.get("phase"),
                    started_at=_dt_in(entry.get("started_at")),
                    version=int(entry.get("version", 0)),
                )
            )
            if expected_version is not None and current.version != expected_version:
                raise StateConflict(plan, expected_version, current.version)
            if current.phase == to_phase and current.version > 0:
                return current
            at = datetime.now(UTC)
            new = RolloutState(
                plan=plan, phase=to_phase, started_at=at, version=current.version + 1
            )
            history = [] if entry is None else list(entry.get("history", []))
            history.append(
                {
                    "from_phase": current.phase,
                    "to_phase": to_phase,
                    "at": _dt_out(at),
                    "actor": actor,
                    "reason": reason,
                }
            )
            doc["plans"][plan] = {
                "phase": to_phase,
                "started_at": _dt_out(at),
                "version": new.version,
                "history": history,
            }
            try:
                self._write_doc(doc)
            except OSError as exc:
                raise StateStoreError(
                    f"cannot write the rollout state file {os.fspath(self.path)!r} "
                    f"({type(exc).__name__})"
                ) from exc
            self._checked_at = float("-inf")
            return new
