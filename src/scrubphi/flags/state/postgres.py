"""Rollout state in PostgreSQL: :class:`PostgresStateStore`, for any number of hosts.

Three small tables in the application's database: each plan's state, the
events (the audit log of moves) and one generation counter that every move
increments.  A move is one transaction that locks the plan's row, so two
workers moving the same plan at once cannot both succeed when they pass
``expected_version``.  Reads are served from an in-process cache that is
revalidated with one single-row query (the counter) at most every
``revalidate_ms`` milliseconds; there is no background thread.

Why a module of its own: the connection handling (lazy, shared by threads,
neutralised after ``fork()``), the migration and the SQL are this backend's
alone; the model it implements is :mod:`scrubphi.flags.state.model`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from typing import Any

from scrubphi.flags.state.model import (
    Event,
    ForkAware,
    MoveMixin,
    RolloutState,
    StateConflict,
    StateStoreError,
    check_move_args,
    check_plan,
    watch_forks,
)

__all__ = ["PostgresStateStore"]

# The logger operators configure for the state stores (docs/flags-django.md).
log = logging.getLogger("scrubphi.flags.state")


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


class PostgresStateStore(MoveMixin, ForkAware):
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
        watch_forks(self)

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

        check_plan(plan)
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

        check_move_args(plan, to_phase, actor, reason)
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
