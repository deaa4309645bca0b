"""The swap: a verified database takes staging's name, and every way back.

Why renames and comments: ``ALTER DATABASE ... RENAME`` is the only way to
put a whole database in another's place, but it cannot run inside a
transaction block and refuses while anyone is connected to the database.
Two renames are therefore two commits, and a crash can fall between them.
So the plan is written down first, as JSON in the incoming database's
``COMMENT ON DATABASE`` (shared catalog, visible from every database, and
it travels with the database through renames), and :func:`recover` reads it
at the start of the next run and puts staging back as it was.

Names (all on the staging server, beside staging):

``<staging>_building_<ts>``
    being restored; its comment says INCOMPLETE. Dropped by the next run.
``<staging>_prev_<ts>``
    a previous generation of staging, kept until ``--keep`` is exceeded.
``<staging>_rolledback_<ts>``
    what ``--rollback`` took out of service; dropped by the next refresh.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql as pg_sql

from scrubphi import jsontext

from .errors import RefreshError
from .pgtools import ident, safe_error_lines

__all__ = [
    "MAX_STAGING_NAME",
    "Admin",
    "building_name",
    "prev_name",
    "rolledback_name",
    "timestamp",
]

MARK = "scrubphi-refresh"
_TS = r"\d{8}T\d{6}Z"
# The longest name a database may have is 63 bytes; the suffixes need 25.
MAX_STAGING_NAME = 63 - len("_rolledback_") - 16

Hook = Callable[[str, dict[str, Any]], None]
Log = Callable[[str], None]


def timestamp() -> str:
    """UTC, sortable as text: ``20240107T020000Z``."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def building_name(staging: str, ts: str) -> str:
    return f"{staging}_building_{ts}"


def prev_name(staging: str, ts: str) -> str:
    return f"{staging}_prev_{ts}"


def rolledback_name(staging: str, ts: str) -> str:
    return f"{staging}_rolledback_{ts}"


def _pattern(staging: str, kind: str) -> re.Pattern[str]:
    return re.compile(re.escape(staging) + f"_{kind}_({_TS})\\Z")


class Admin:
    """Catalog work on the staging server, through its maintenance database."""

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        staging: str,
        *,
        log: Log,
        hook: Hook | None = None,
    ) -> None:
        self.conn = conn
        self.staging = staging
        self.log = log
        self.hook = hook
        #: Set by :meth:`recover` when it undid a refresh that died between its two
        #: renames: the name the database put back as staging had. Staging is then
        #: as it was before that refresh, which is what ``--rollback`` asks for.
        self.undone_refresh: str | None = None

    # -- small catalog helpers --------------------------------------------
    def _hook(self, name: str, **ctx: Any) -> None:
        if self.hook is not None:
            self.hook(name, ctx)

    def exec(
        self, query: pg_sql.Composed | pg_sql.SQL | str, params: tuple[Any, ...] = ()
    ) -> list[tuple[Any, ...]]:
        cur = self.conn.execute(
            query if not isinstance(query, str) else query.encode(), params or None
        )
        return list(cur.fetchall()) if cur.description is not None else []

    def exists(self, name: str) -> bool:
        return bool(self.exec("SELECT 1 FROM pg_database WHERE datname = %s", (name,)))

    def oid(self, name: str) -> int | None:
        rows = self.exec("SELECT oid FROM pg_database WHERE datname = %s", (name,))
        return int(rows[0][0]) if rows else None

    def allow_connections(self, name: str) -> bool:
        rows = self.exec("SELECT datallowconn FROM pg_database WHERE datname = %s", (name,))
        return bool(rows[0][0]) if rows else True

    def set_allow_connections(self, name: str, allow: bool) -> None:
        self.exec(
            pg_sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
                ident(name), pg_sql.SQL("true" if allow else "false")
            )
        )

    def rename(self, old: str, new: str) -> None:
        self.exec(pg_sql.SQL("ALTER DATABASE {} RENAME TO {}").format(ident(old), ident(new)))

    def drop(self, name: str) -> None:
        """Drop a database, ending its sessions (``WITH (FORCE)``, PostgreSQL 13+)."""
        self.exec(pg_sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident(name)))

    def state(self, name: str) -> dict[str, Any] | None:
        """The refresh state recorded in a database's comment, or None."""
        rows = self.exec(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (name,),
        )
        return _parse_state(rows[0][0]) if rows else None

    def set_state(self, name: str, state: dict[str, Any]) -> None:
        body = dict(state)
        body[MARK] = 1
        self.exec(
            pg_sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                ident(name), pg_sql.Literal(json.dumps(body, sort_keys=True))
            )
        )

    def databases(self) -> list[tuple[str, dict[str, Any] | None]]:
        rows = self.exec(
            "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database ORDER BY 1"
        )
        return [(str(name), _parse_state(comment)) for name, comment in rows]

    def sessions(self, name: str) -> list[int]:
        rows = self.exec(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        return [int(r[0]) for r in rows]

    # -- the building database --------------------------------------------
    def create_building(self, ts: str) -> str:
        """Create ``<staging>_building_<ts>``, marked incomplete before anything goes in.

        Encoding and locale follow staging when it exists, so that the new
        generation sorts and compares text exactly as the old one did.
        """
        name = building_name(self.staging, ts)
        rows = self.exec(
            "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database "
            "WHERE datname = %s",
            (self.staging,),
        )
        if rows:
            enc, collate, ctype = (str(v) for v in rows[0])
            query = pg_sql.SQL(
                "CREATE DATABASE {} TEMPLATE template0 ENCODING {} LC_COLLATE {} LC_CTYPE {}"
            ).format(
                ident(name), pg_sql.Literal(enc), pg_sql.Literal(collate), pg_sql.Literal(ctype)
            )
        else:
            query = pg_sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
                ident(name)
            )
        self.exec(query)
        self.set_state(
            name,
            {
                "state": "building",
                "staging": self.staging,
                "started": ts,
                "note": "INCOMPLETE: a scrubphi refresh is building this database; do not use "
                "it. The next refresh drops it.",
            },
        )
        return name

    # -- recovery -----------------------------------------------------------
    def recover(self) -> list[str]:
        """Finish or undo whatever an earlier run left; returns what was done.

        A half-built database is dropped. A swap that was interrupted is undone
        (staging gets its old database back), because a run that did not
        finish must leave staging as it was.
        """
        done: list[str] = []
        building = _pattern(self.staging, "building")
        for name, state in self.databases():
            if state is None or state.get("staging") != self.staging:
                if building.match(name):
                    self.drop(name)
                    done.append(f"dropped unfinished {name}")
                continue
            phase = state.get("state")
            if phase == "building":
                self.drop(name)
                done.append(f"dropped unfinished {name}")
            elif phase == "swapping":
                done.extend(self._undo_swap(name, state))
        return done

    def _undo_swap(self, name: str, plan: dict[str, Any]) -> list[str]:
        outgoing = plan.get("outgoing")
        allow = bool(plan.get("allowconn", True))
        incoming = str(plan.get("incoming"))
        if name == self.staging:
            # Both renames happened; only the bookkeeping after them was lost.
            state = dict(plan, state="done")
            self.set_state(name, state)
            if outgoing and self.exists(str(outgoing)):
                self.set_allow_connections(str(outgoing), allow)
            self.set_allow_connections(name, True)
            return [f"completed the interrupted swap: {name} is staging"]
        actions: list[str] = []
        refresh = plan.get("kind") != "rollback"
        if outgoing and not self.exists(self.staging) and self.exists(str(outgoing)):
            self.rename(str(outgoing), self.staging)
            actions.append(f"renamed {outgoing} back to {self.staging}")
            if refresh:
                self.undone_refresh = str(outgoing)
        if outgoing and self.exists(self.staging):
            if self.allow_connections(self.staging) != allow:
                actions.append(
                    f"{self.staging} accepts connections again"
                    if allow
                    else f"{self.staging}: ALLOW_CONNECTIONS false restored"
                )
            self.set_allow_connections(self.staging, allow)
        if plan.get("kind") == "rollback":
            # The incoming database was a kept generation: give its name back.
            if name != incoming and not self.exists(incoming):
                self.rename(name, incoming)
            self.set_state(incoming, {"state": "generation", "staging": self.staging})
            self.set_allow_connections(incoming, True)
            actions.append(f"restored {incoming}")
        else:
            self.drop(name)
            actions.append(f"dropped {name} (its swap was interrupted)")
        return actions

    # -- the swap -------------------------------------------------------------
    def notify_and_drain(self, name: str, grace_s: float, *, notice: str) -> int:
        """Give the sessions on ``name`` the grace, then close it and end them.

        Why connections stay allowed during the grace: a process killed while
        it waits (SIGKILL, an OOM kill) runs no cleanup, and a database left
        refusing connections stays so until someone notices. So
        ``ALLOW_CONNECTIONS false`` comes only after the grace, right before
        the remaining sessions are ended and the database renamed: a window
        of milliseconds, which the next run repairs (:meth:`recover`).
        The caller sends ``NOTIFY scrubphi_refresh`` before this.
        """
        pids = self.sessions(name)
        if pids:
            self.log(
                f"notice: {len(pids)} session(s) on {name}; they are ended in {grace_s:g}s "
                f"({notice})"
            )
            self._hook("swap:grace", database=name, sessions=len(pids))
            deadline = time.monotonic() + grace_s
            while pids and time.monotonic() < deadline:
                time.sleep(0.1)
                pids = self.sessions(name)
        self.set_allow_connections(name, False)
        ended = 0
        for pid in self.sessions(name):
            rows = self.exec("SELECT pg_terminate_backend(%s)", (pid,))
            ended += int(bool(rows and rows[0][0]))
        deadline = time.monotonic() + 10
        while self.sessions(name):
            if time.monotonic() > deadline:
                raise RefreshError("swap", f"sessions on {name} did not end after termination")
            time.sleep(0.1)
        return ended

    def swap_in(
        self,
        incoming: str,
        outgoing: str,
        *,
        grace_s: float,
        kind: str = "refresh",
        notify: Callable[[str], None] | None = None,
    ) -> dict[str, Any]:
        """Put ``incoming`` in staging's place; staging (if any) becomes ``outgoing``.

        On failure everything is undone and :class:`RefreshError` ``swap`` is
        raised; a crash is undone by :meth:`recover` from the recorded plan.
        """
        has_staging = self.exists(self.staging)
        allow = self.allow_connections(self.staging) if has_staging else True
        plan: dict[str, Any] = {
            "state": "swapping",
            "kind": kind,
            "staging": self.staging,
            "incoming": incoming,
            "outgoing": outgoing if has_staging else None,
            "allowconn": allow,
            "at": timestamp(),
        }
        try:
            self.set_state(incoming, plan)
        except psycopg.Error as exc:
            raise _swap_error("cannot record the swap plan", exc) from None
        self._hook("swap:planned", incoming=incoming, outgoing=outgoing)
        ended = 0
        if has_staging:
            try:
                if notify is not None:
                    # Before anything else: a LISTENing application hears it while it
                    # can still act on it (connections are still allowed).
                    notify(self.staging)
                ended = self.notify_and_drain(
                    self.staging, grace_s, notice="staging is being replaced by a refresh"
                )
                self._hook("swap:before-rename-staging", incoming=incoming, outgoing=outgoing)
                self.rename(self.staging, outgoing)
            except BaseException as exc:
                self._undo_first(allow)
                if isinstance(exc, psycopg.Error):
                    raise _swap_error(f"cannot take {self.staging} out of service", exc) from None
                raise
        try:
            self._hook("swap:before-rename-incoming", incoming=incoming, outgoing=outgoing)
            self.rename(incoming, self.staging)
        except BaseException as exc:
            if has_staging:
                self.rename(outgoing, self.staging)
                self._undo_first(allow)
            if isinstance(exc, psycopg.Error):
                raise _swap_error(f"cannot rename {incoming} to {self.staging}", exc) from None
            raise
        self._hook("swap:renamed", incoming=incoming, outgoing=outgoing)
        if has_staging:
            self.set_allow_connections(outgoing, allow)
        done = dict(plan, state="done", finished=timestamp())
        self.set_state(self.staging, done)
        return {"sessions_ended": ended, "outgoing": outgoing if has_staging else None}

    def _undo_first(self, allow: bool) -> None:
        if self.exists(self.staging):
            self.set_allow_connections(self.staging, allow)

    # -- generations ------------------------------------------------------
    def generations(self) -> list[str]:
        """Kept previous generations of staging, newest first."""
        pat = _pattern(self.staging, "prev")
        names = [name for name, _ in self.databases() if pat.match(name)]
        return sorted(names, reverse=True)

    def prune(self, keep: int) -> list[str]:
        """Drop generations beyond the newest ``keep`` and any rolled-back database."""
        dropped: list[str] = []
        for name in self.generations()[keep:]:
            self.drop(name)
            dropped.append(name)
        pat = _pattern(self.staging, "rolledback")
        for name, _ in self.databases():
            if pat.match(name):
                self.drop(name)
                dropped.append(name)
        return dropped

    def rollback(
        self, *, grace_s: float, notify: Callable[[str], None] | None = None
    ) -> dict[str, Any]:
        """Put the newest kept generation back in staging's place."""
        gens = self.generations()
        if not gens:
            raise RefreshError("rollback", f"no previous generation of {self.staging} is kept")
        target = gens[0]
        self.set_allow_connections(target, False)
        self.notify_and_drain(target, 0, notice="this generation is being rolled back into place")
        try:
            result = self.swap_in(
                target,
                rolledback_name(self.staging, timestamp()),
                grace_s=grace_s,
                kind="rollback",
                notify=notify,
            )
        except RefreshError as exc:
            self.set_allow_connections(target, True)
            raise RefreshError("rollback", exc.message, details=exc.details) from None
        self.set_allow_connections(self.staging, True)
        return {"restored": target, **result}


def _parse_state(comment: object) -> dict[str, Any] | None:
    if not isinstance(comment, str) or MARK not in comment:
        return None
    try:
        data = jsontext.loads(comment)
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get(MARK) == 1 else None


def _swap_error(message: str, exc: psycopg.Error) -> RefreshError:
    return RefreshError("swap", message, details=safe_error_lines(f"ERROR: {exc}"))
