"""Where each rollout stands: a state store shared by every worker of the app.

A staged rollout plan (``rollouts:`` in the policy) says *which* phases exist;
the state store says *which phase is live now*, since when, and how it got
there.  Every worker process of a web app reads it on (nearly) every request,
and an operator, a CLI or a rollout gate moves it.  Two implementations share
one API:

* :class:`PostgresStateStore` for any number of hosts: three small tables in the
  application's database.  A move is one transaction that locks the plan's
  row, so two workers moving the same plan at once cannot both succeed when
  they pass ``expected_version``.  Reads are served from an in-process cache
  that is revalidated with one single-row query at most every
  ``revalidate_ms`` milliseconds; there is no background thread.
* :class:`FileStateStore` for a single host: one JSON file replaced by atomic
  rename, moves serialised with ``fcntl.flock`` on a sidecar lock file, reads
  revalidated with one ``stat()``.

The history of moves is the audit log: who or what moved a plan, from which
phase to which, when and why.  A phase is an index into the plan's ``phases``
list (0 is the first phase); ``None`` means the plan is not running (never
started, or stopped: the flag is off).

Both stores are fork-safe: a PostgreSQL connection opened before ``fork()`` is
never used by the child (its socket is shared with the parent), and the child
opens its own.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from scrubphi.errors import ScrubPhiError
from scrubphi.fileutil import write_atomic

__all__ = [
    "Event",
    "FileStateStore",
    "PostgresStateStore",
    "RolloutState",
    "StateConflict",
    "StateStore",
    "StateStoreError",
    "open_state_store",
]

log = logging.getLogger(__name__)

_NO_STATE_VERSION = 0
_FILE_FORMAT = 1


class StateStoreError(ScrubPhiError):
    """The state store cannot be read or written (database down, corrupt file, bad argument)."""

    exit_code = 6


class StateConflict(StateStoreError):
    """A move lost a race: the plan's version is no longer the one the caller saw.

    Re-read the state (:meth:`StateStore.get`), decide again, and retry with
    the new ``expected_version`` if the move still makes sense.
    """

    def __init__(self, plan: str, expected: int, actual: int) -> None:
        self.plan = plan
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"rollout {plan!r} is at version {actual}, not the expected {expected}: "
            "someone else moved it; re-read the state and decide again"
        )


@dataclass(frozen=True)
class RolloutState:
    """Where one plan stands now.

    ``phase`` is the index of the live phase, or None when the plan is not
    running.  ``started_at`` is when the current phase (or the stop) began,
    None for a plan that was never moved.  ``version`` counts the moves of
    this plan (0 for a plan never moved); pass it back as ``expected_version``
    to make a move conditional on nobody else having moved it since.
    """

    plan: str
    phase: int | None
    started_at: datetime | None
    version: int

    @property
    def running(self) -> bool:
        """True when a phase is live (the flag follows the plan)."""
        return self.phase is not None


@dataclass(frozen=True)
class Event:
    """One move in the audit log of a plan."""

    plan: str
    from_phase: int | None
    to_phase: int | None
    at: datetime
    actor: str
    reason: str


@runtime_checkable
class StateStore(Protocol):
    """What the flag evaluator, the CLI and the rollout gates need from a store."""

    def phase(self, plan: str) -> int | None:
        """The live phase of ``plan`` (None: not running); cheap enough for every request."""
        ...

    def get(self, plan: str) -> RolloutState:
        """The full current state of ``plan``."""
        ...

    def states(self) -> dict[str, RolloutState]:
        """Every plan the store knows, by name."""
        ...

    def history(self, plan: str) -> list[Event]:
        """Every move of ``plan``, oldest first: the audit log."""
        ...

    def move(
        self,
        plan: str,
        to_phase: int | None,
        *,
        actor: str,
        reason: str,
        expected_version: int | None = None,
    ) -> RolloutState:
        """Move ``plan`` to ``to_phase`` (None stops it) in one atomic step."""
        ...

    def start(
        self, plan: str, *, actor: str, reason: str, expected_version: int | None = None
    ) -> RolloutState:
        """Move ``plan`` to its first phase (0)."""
        ...

    def stop(
        self, plan: str, *, actor: str, reason: str, expected_version: int | None = None
    ) -> RolloutState:
        """Stop ``plan``: no phase is live and the flag is off."""
        ...


# --------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------


def _check_move_args(plan: str, to_phase: int | None, actor: str, reason: str) -> None:
    if not isinstance(plan, str) or not plan:
        raise StateStoreError("a plan name must be a non-empty string")
    if to_phase is not None and (
        isinstance(to_phase, bool) or not isinstance(to_phase, int) or to_phase < 0
    ):
        raise StateStoreError(
            f"rollout {plan!r}: a phase is an index >= 0 into the plan's phases, or None to stop"
        )
    if not isinstance(actor, str) or not actor.strip():
        raise StateStoreError(f"rollout {plan!r}: a move needs an actor (who or what moves it)")
    if not isinstance(reason, str) or not reason.strip():
        raise StateStoreError(f"rollout {plan!r}: a move needs a reason (it is the audit log)")


def _check_plan(plan: str) -> None:
    if not isinstance(plan, str) or not plan:
        raise StateStoreError("a plan name must be a non-empty string")


def _never_moved(plan: str) -> RolloutState:
    return RolloutState(plan=plan, phase=None, started_at=None, version=_NO_STATE_VERSION)


class _MoveMixin:
    """What both stores share: reads from their cache, ``start``/``stop`` via ``move``.

    A store provides ``_fresh()`` (every moved plan's state, revalidated as the
    store does it) and ``move``; the rest is the same for all stores.
    """

    def _fresh(self) -> dict[str, RolloutState]:  # pragma: no cover - overridden
        raise NotImplementedError

    def phase(self, plan: str) -> int | None:
        """The live phase of ``plan``, from the store's revalidated cache."""
        state = self._fresh().get(plan)
        return None if state is None else state.phase

    def get(self, plan: str) -> RolloutState:
        """The current state of ``plan`` (version 0 and no phase if never moved)."""
        _check_plan(plan)
        state = self._fresh().get(plan)
        return _never_moved(plan) if state is None else state

    def states(self) -> dict[str, RolloutState]:
        """Every plan that was ever moved, by name."""
        return dict(self._fresh())

    def move(
        self,
        plan: str,
        to_phase: int | None,
        *,
        actor: str,
        reason: str,
        expected_version: int | None = None,
    ) -> RolloutState:  # pragma: no cover - overridden
        raise NotImplementedError

    def start(
        self, plan: str, *, actor: str, reason: str, expected_version: int | None = None
    ) -> RolloutState:
        """Move ``plan`` to its first phase (0)."""
        return self.move(plan, 0, actor=actor, reason=reason, expected_version=expected_version)

    def stop(
        self, plan: str, *, actor: str, reason: str, expected_version: int | None = None
    ) -> RolloutState:
        """Stop ``plan``: no phase is live and the flag is off."""
        return self.move(
            plan, None, actor=actor, reason=reason, expected_version=expected_version
        )


# Stores that must drop inherited resources in a forked child.
_FORK_WATCH: weakref.WeakSet[_ForkAware] = weakref.WeakSet()


class _ForkAware:
    def _after_fork_in_child(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


def _after_fork_in_child() -> None:
    for store in list(_FORK_WATCH):
        with contextlib.suppress(Exception):
            store._after_fork_in_child()


os.register_at_fork(after_in_child=_after_fork_in_child)


# --------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------

_DDL = """
CREATE TABLE IF NOT EXISTS {state} (
    plan        text PRIMARY KEY,
    phase       integer CHECK (phase >= 0),
    started_at  timestamptz,
    version     bigint NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS {events} (
    id          bigserial PRIMARY KEY,
    plan        text NOT NULL,
    from_phase  integer,
    to_phase    integer,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    reason      text NOT NULL
);
CREATE INDEX IF NOT EXISTS {events_idx} ON {events} (plan, id);
CREATE TABLE IF NOT EXISTS {generation} (
    id          integer PRIMARY KEY CHECK (id = 1),
    generation  bigint NOT NULL
);
INSERT INTO {generation} (id, generation) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
"""

# Any constant: serialises concurrent CREATE TABLE IF NOT EXISTS, which can
# otherwise fail with a unique violation on pg_type when two workers race.
_MIGRATE_LOCK_KEY = 0x5C2B_F1A9


class PostgresStateStore(_MoveMixin, _ForkAware):
    """Rollout state in PostgreSQL, shared by every worker of every host.

    ``dsn`` is a libpq connection string or URI.  Tables are named after
    ``table`` (default ``scrubphi_rollout``): ``<table>_state``,
    ``<table>_events`` and ``<table>_generation``, optionally inside
    ``schema``; they are created on first use (or by :meth:`migrate`, for
    deployments that create tables in a migration step).

    Reads come from an in-process cache of every plan's state, revalidated
    at most every ``revalidate_ms`` milliseconds by reading one counter (a
    single-row primary-key lookup) that every move increments; only when it
    changed are the states re-read.  ``revalidate_ms=0`` checks on every read.
    A worker therefore sees another worker's move within ``revalidate_ms``;
    its own moves are visible at once.  When revalidation fails (database
    unreachable), the last known state keeps being served and a warning is
    logged; a store that never managed a first read raises
    :class:`StateStoreError`.

    One connection per process, opened lazily, shared by threads under a
    lock; a connection inherited through ``fork()`` is neutralised in the
    child (its socket is replaced by ``/dev/null`` before it is closed, so
    the parent's session is not terminated) and a new one is opened.
    """

    def __init__(
        self,
        dsn: str,
        *,
        table: str = "scrubphi_rollout",
        schema: str | None = None,
        revalidate_ms: float = 1000.0,
        connect_timeout: int = 10,
    ) -> None:
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:  # pragma: no cover - psycopg is a dependency of the extra
            raise StateStoreError(
                "PostgresStateStore needs psycopg 3: pip install 'psycopg[binary]'"
            ) from exc
        if revalidate_ms < 0:
            raise StateStoreError("revalidate_ms must be >= 0")
        self._dsn = dsn
        self._table = table
        self._schema = schema
        self._revalidate_s = revalidate_ms / 1000.0
        self._connect_timeout = connect_timeout
        self._lock = threading.RLock()
        self._conn: Any = None
        self._pid = os.getpid()
        self._migrated = False
        self._cache: dict[str, RolloutState] | None = None
        self._generation: int | None = None
        self._checked_at = float("-inf")
        _FORK_WATCH.add(self)

    def __repr__(self) -> str:
        # Never the DSN: it may hold a password.
        return f"<PostgresStateStore table={self._table!r} schema={self._schema!r}>"

    # -- connection -----------------------------------------------------------

    def _names(self) -> dict[str, Any]:
        from psycopg import sql

        def ident(name: str) -> Any:
            if self._schema:
                return sql.Identifier(self._schema, name)
            return sql.Identifier(name)

        return {
            "state": ident(f"{self._table}_state"),
            "events": ident(f"{self._table}_events"),
            "events_idx": sql.Identifier(f"{self._table}_events_plan_idx"),
            "generation": ident(f"{self._table}_generation"),
        }

    def _sql(self, text: str) -> Any:
        from psycopg import sql

        return sql.SQL(text).format(**self._names())

    def _after_fork_in_child(self) -> None:
        self._lock = threading.RLock()
        self._drop_inherited()

    def _drop_inherited(self) -> None:
        """Forget a connection opened by another process without disturbing it."""
        conn, self._conn = self._conn, None
        self._pid = os.getpid()
        if conn is None:
            return
        with contextlib.suppress(Exception):
            fd = conn.fileno()
            devnull = os.open(os.devnull, os.O_RDWR)
            try:
                # The child's copy of the socket now points at /dev/null: the
                # Terminate message libpq sends on close goes nowhere, and the
                # parent's session (same socket, other descriptor table) lives on.
                os.dup2(devnull, fd)
            finally:
                os.close(devnull)
        with contextlib.suppress(Exception):
            conn.close()

    def _close_broken(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def _connection(self) -> Any:
        import psycopg

        if self._pid != os.getpid():
            self._drop_inherited()
        if self._conn is not None and self._conn.closed:
            self._conn = None
        if self._conn is None:
            try:
                self._conn = psycopg.connect(
                    self._dsn, autocommit=True, connect_timeout=self._connect_timeout
                )
            except psycopg.Error as exc:
                raise StateStoreError(
                    f"cannot connect to the rollout state database ({type(exc).__name__})"
                ) from exc
            self._pid = os.getpid()
        if not self._migrated:
            self._migrate(self._conn)
        return self._conn

    def _migrate(self, conn: Any) -> None:
        from psycopg import sql

        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATE_LOCK_KEY,))
            if self._schema:
                conn.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                        sql.Identifier(self._schema)
                    )
                )
            conn.execute(self._sql(_DDL))
        self._migrated = True

    def migrate(self) -> None:
        """Create the tables if they do not exist (idempotent; safe to race)."""
        import psycopg

        with self._lock:
            try:
                conn = self._connection()
                if self._migrated:
                    return
                self._migrate(conn)
            except psycopg.Error as exc:
                self._close_broken()
                raise StateStoreError(
                    f"cannot create the rollout state tables ({type(exc).__name__}: "
                    f"{exc.sqlstate or 'no sqlstate'})"
                ) from exc

    def close(self) -> None:
        """Close this process's connection (a later read opens a new one)."""
        with self._lock:
            if self._pid != os.getpid():
                self._drop_inherited()
            else:
                self._close_broken()

    # -- reading ----------------------------------------------------------------

    def _load_all(self, conn: Any) -> tuple[int, dict[str, RolloutState]]:
        with conn.transaction():
            # The counter is read before the rows: a move committed in between
            # leaves rows newer than the counter, and the next revalidation
            # simply reloads. Never the other way round (old rows, new counter).
            gen_row = conn.execute(self._sql("SELECT generation FROM {generation} WHERE id = 1"))
            generation = int(gen_row.fetchone()[0])
            rows = conn.execute(
                self._sql("SELECT plan, phase, started_at, version FROM {state}")
            ).fetchall()
        states = {
            str(r[0]): RolloutState(
                plan=str(r[0]),
                phase=None if r[1] is None else int(r[1]),
                started_at=r[2],
                version=int(r[3]),
            )
            for r in rows
        }
        return generation, states

    def _fresh(self) -> dict[str, RolloutState]:
        """The cached states, revalidated if the interval has passed."""
        import psycopg

        now = time.monotonic()
        cache = self._cache
        if (
            cache is not None
            and self._pid == os.getpid()
            and now - self._checked_at < self._revalidate_s
        ):
            return cache
        with self._lock:
            now = time.monotonic()
            if (
                self._cache is not None
                and self._pid == os.getpid()
                and now - self._checked_at < self._revalidate_s
            ):
                return self._cache
            try:
                conn = self._connection()
                row = conn.execute(
                    self._sql("SELECT generation FROM {generation} WHERE id = 1")
                ).fetchone()
                generation = int(row[0])
                if self._cache is None or generation != self._generation:
                    generation, states = self._load_all(conn)
                    self._cache, self._generation = states, generation
            except (psycopg.Error, StateStoreError) as exc:
                self._close_broken()
                if self._cache is None:
                    if isinstance(exc, StateStoreError):
                        raise
                    raise StateStoreError(
                        f"cannot read the rollout state ({type(exc).__name__})"
                    ) from exc
                log.warning(
                    "rollout state: revalidation failed (%s); serving the last known state",
                    type(exc).__name__,
                )
            self._checked_at = now
            return self._cache

    def history(self, plan: str) -> list[Event]:
        """Every move of ``plan``, oldest first (read from the database, not cached)."""
        import psycopg

        _check_plan(plan)
        with self._lock:
            try:
                rows = (
                    self._connection()
                    .execute(
                        self._sql(
                            "SELECT plan, from_phase, to_phase, at, actor, reason FROM {events} "
                            "WHERE plan = %s ORDER BY id"
                        ),
                        (plan,),
                    )
                    .fetchall()
                )
            except psycopg.Error as exc:
                self._close_broken()
                raise StateStoreError(
                    f"cannot read the history of rollout {plan!r} ({type(exc).__name__})"
                ) from exc
        return [
            Event(
                plan=str(r[0]),
                from_phase=r[1],
                to_phase=r[2],
                at=r[3],
                actor=str(r[4]),
                reason=str(r[5]),
            )
            for r in rows
        ]

    # -- moving -----------------------------------------------------------------

    def move(
        self,
        plan: str,
        to_phase: int | None,
        *,
        actor: str,
        reason: str,
        expected_version: int | None = None,
    ) -> RolloutState:
        """Move ``plan`` to ``to_phase`` in one transaction; the move and its event commit together.

        The plan's row is locked (``SELECT ... FOR UPDATE``) for the
        transaction, so concurrent moves of one plan run one after the other;
        with ``expected_version`` the second one finds a newer version and
        raises :class:`StateConflict` instead of overwriting a decision it did
        not see.  Moving to the phase the plan is already in changes nothing
        and records nothing (the version check still applies).
        """
        import psycopg

        _check_move_args(plan, to_phase, actor, reason)
        with self._lock:
            try:
                conn = self._connection()
                with conn.transaction():
                    conn.execute(
                        self._sql(
                            "INSERT INTO {state} (plan, phase, started_at, version) "
                            "VALUES (%s, NULL, NULL, 0) ON CONFLICT (plan) DO NOTHING"
                        ),
                        (plan,),
                    )
                    row = conn.execute(
                        self._sql(
                            "SELECT phase, started_at, version FROM {state} "
                            "WHERE plan = %s FOR UPDATE"
                        ),
                        (plan,),
                    ).fetchone()
                    current = RolloutState(
                        plan=plan, phase=row[0], started_at=row[1], version=int(row[2])
                    )
                    if expected_version is not None and current.version != expected_version:
                        raise StateConflict(plan, expected_version, current.version)
                    if current.phase == to_phase and current.version > 0:
                        return current
                    at_row = conn.execute("SELECT clock_timestamp()").fetchone()
                    at = at_row[0]
                    new = RolloutState(
                        plan=plan, phase=to_phase, started_at=at, version=current.version + 1
                    )
                    conn.execute(
                        self._sql(
                            "UPDATE {state} SET phase = %s, started_at = %s, version = %s "
                            "WHERE plan = %s"
                        ),
                        (new.phase, new.started_at, new.version, plan),
                    )
                    conn.execute(
                        self._sql(
                            "INSERT INTO {events} (plan, from_phase, to_phase, at, actor, reason) "
                            "VALUES (%s, %s, %s, %s, %s, %s)"
                        ),
                        (plan, current.phase, to_phase, at, actor, reason),
                    )
                    conn.execute(
                        self._sql(
                            "UPDATE {generation} SET generation = generation + 1 WHERE id = 1"
                        )
                    )
            except psycopg.Error as exc:
                self._close_broken()
                raise StateStoreError(
                    f"cannot move rollout {plan!r} ({type(exc).__name__})"
                ) from exc
            # Our own move is visible to this process at once.
            self._checked_at = float("-inf")
            return new


# --------------------------------------------------------------------------
# File
# --------------------------------------------------------------------------


def _dt_out(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dt_in(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


class FileStateStore(_MoveMixin, _ForkAware):
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
        _FORK_WATCH.add(self)

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
            doc = json.loads(text)
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
        _check_plan(plan)
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
        _check_move_args(plan, to_phase, actor, reason)
        with self._lock, self._exclusive():
            doc = self._read_doc()
            entry = doc["plans"].get(plan)
            current = (
                _never_moved(plan)
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


def open_state_store(config: Mapping[str, Any]) -> StateStore:
    """A store from a settings mapping: ``{"backend": "postgres", "dsn": ...}`` or
    ``{"backend": "file", "path": ...}``; other keys are passed to the constructor
    (``revalidate_ms``, ``table``, ``schema``).
    """
    if not isinstance(config, Mapping):
        raise StateStoreError("the state store settings must be a mapping with a 'backend' key")
    options = dict(config)
    backend = options.pop("backend", None)
    try:
        if backend == "postgres":
            dsn = options.pop("dsn", None)
            if not isinstance(dsn, str) or not dsn:
                raise StateStoreError("the postgres state store needs a 'dsn'")
            return PostgresStateStore(dsn, **options)
        if backend == "file":
            path = options.pop("path", None)
            if not isinstance(path, str | os.PathLike) or not os.fspath(path):
                raise StateStoreError("the file state store needs a 'path'")
            return FileStateStore(path, **options)
    except TypeError as exc:
        raise StateStoreError(
            f"unknown option for the {backend} state store: {sorted(options)}"
        ) from exc
    raise StateStoreError(
        f"unknown state store backend {backend!r}: expected 'postgres' or 'file'"
    )
