"""Connection strings, client binaries and safe error text for the refresh.

Why a module of its own: every step talks to PostgreSQL twice over (psycopg
for catalog work, the real ``pg_dump``/``psql``/``pg_restore`` for data), and
the same three rules apply everywhere: a client program connects exactly
where psycopg connects in this process (the same connection string, the same
libpq environment: ``PGPASSFILE``, ``PGPASSWORD``, ``PGHOST``, ``PGSERVICE``
...), a password never appears on a command line (``ps`` shows those to every
user), and a server message that may quote a row (``DETAIL: Key
(ssn)=(...)``, ``CONTEXT: COPY ..., line 5: "..."``) never reaches a terminal
or a log.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import conninfo as pg_conninfo
from psycopg import sql as pg_sql

from .errors import RefreshError

__all__ = [
    "DUMP_ENCODING",
    "PgTools",
    "client_env",
    "client_invocation",
    "connect",
    "connect_reason",
    "dbname_of",
    "describe_target",
    "ident",
    "run_argv",
    "run_client",
    "safe_error_lines",
    "with_dbname",
]

def with_dbname(url: str, dbname: str) -> str:
    """The same server and credentials as ``url``, connected to ``dbname``."""
    return pg_conninfo.make_conninfo(url, dbname=dbname)


def dbname_of(url: str) -> str:
    """The database a connection string names (an explicit one is required)."""
    try:
        params = pg_conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise RefreshError(
            "preflight", f"not a valid connection string ({type(exc).__name__})"
        ) from None
    name = params.get("dbname")
    if not name:
        raise RefreshError("preflight", "the connection string must name a database")
    return str(name)


def ident(name: str) -> pg_sql.Identifier:
    """A quoted identifier for ``psycopg.sql`` composition."""
    return pg_sql.Identifier(name)


def client_env() -> dict[str, str]:
    """The environment for pg_dump/psql/pg_restore children: this process's own.

    Why all of it: psycopg's connections in this process read libpq's
    variables (``PGPASSFILE``, ``PGPASSWORD``, ``PGHOST``, ``PGUSER``,
    ``PGSERVICE``, ``PGSSLMODE`` ...), so the client programs must see the
    same ones to reach the same server as the same user; the connection
    string they are given (``-d``) overrides them exactly as it does here.
    """
    env = dict(os.environ)
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    return env


def describe_target(url: str) -> str:
    """``database clinic on db.example:5432``: names only, never the password."""
    try:
        params = pg_conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "an invalid connection string"
    db = params.get("dbname") or os.environ.get("PGDATABASE") or "(default)"
    host = (
        params.get("host") or params.get("hostaddr") or os.environ.get("PGHOST") or "local socket"
    )
    port = params.get("port") or os.environ.get("PGPORT")
    where = f"{host}:{port}" if port else str(host)
    return f"database {db} on {where}"


_FAILED_AT = re.compile(r".*failed:\s*(.*)$")


def connect_reason(exc: BaseException) -> str:
    """Why a connection failed, from libpq's message: the reason after ``failed:``.

    A connection error comes before any query, so it quotes no row; libpq
    never prints a password. Only the reason is kept (``Connection refused``,
    ``FATAL:  password authentication failed for user "x"``, ``fe_sendauth:
    no password supplied``); a connection string that cannot be parsed is
    named as such and not echoed (it may hold a password).
    """
    if isinstance(exc, psycopg.ProgrammingError):
        return "not a valid connection string"
    reasons: list[str] = []
    for raw in str(exc).splitlines():
        line = raw.strip()
        if not line or line.startswith("Is the server running"):
            continue
        match = _FAILED_AT.search(line)
        text = (match.group(1) if match else line).strip()
        text = re.sub(r"^(FATAL|ERROR):\s+", r"\1: ", text)
        if text and text not in reasons:
            reasons.append(text[:200])
    return "; ".join(reasons[:3]) or type(exc).__name__


def connect(
    url: str, *, step: str = "preflight", role: str = "database"
) -> psycopg.Connection[tuple[Any, ...]]:
    """An autocommit connection; a failure is a :class:`RefreshError` of ``step``.

    ``role`` says which database this is (``source``, ``staging server``,
    ``new database``...): the message names it, where it is and why the
    connection failed.
    """
    try:
        return psycopg.connect(url, autocommit=True, application_name="scrubphi-refresh")
    except psycopg.ProgrammingError:
        raise RefreshError(
            step, f"cannot connect to the {role}: not a valid connection string"
        ) from None
    except psycopg.Error as exc:
        raise RefreshError(
            step,
            f"cannot connect to the {role} ({describe_target(url)}): {connect_reason(exc)}",
        ) from None


@dataclass(frozen=True)
class PgTools:
    """Where the PostgreSQL client programs are: ``bin_dir`` or ``$PATH``."""

    bin_dir: Path | None = None

    def exe(self, name: str) -> str:
        """The absolute path of one client program, or a preflight error."""
        if self.bin_dir is not None:
            path = self.bin_dir / name
            if path.exists():
                return str(path)
            raise RefreshError("preflight", f"{name} not found in {self.bin_dir}")
        found = shutil.which(name)
        if found is None:
            raise RefreshError("preflight", f"{name} not found on PATH (use --pg-bin)")
        return found


# Words after which a quoted string is an object's name, not a value.
_NAME_WORDS = (
    "relation",
    "table",
    "column",
    "constraint",
    "database",
    "role",
    "schema",
    "index",
    "type",
    "function",
    "sequence",
    "extension",
    "user",
    "view",
    "trigger",
    "file",
    "server",
    "operator",
    "collation",
    "language",
    "tablespace",
    "host",
)
_QUOTED = re.compile(r'(\b\w+\s+)?"(?:[^"\\]|\\.)*"')
_KEYVALUE = re.compile(r"\)=\(.*?\)( already exists| is not present| is still referenced)?")
_CONTEXT_LINE = re.compile(r"^(?:[\w.:/<>-]+:\s*)*?(DETAIL|CONTEXT|LINE \d+|HINT|QUERY|STATEMENT):")
_KEEP_LINE = re.compile(r"(ERROR|FATAL|PANIC|error|fatal)\b:?")


def safe_error_lines(text: str, *, limit: int = 5) -> list[str]:
    """Error lines of a client's stderr with anything that may be a value removed.

    Only lines that carry an error keep; DETAIL/CONTEXT/LINE lines, which quote
    rows and statements, are dropped; a quoted string survives only after a
    word that says it names an object (``relation "public.patients"``).
    """
    out: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or not _KEEP_LINE.search(line):
            continue
        if _CONTEXT_LINE.match(line):
            continue

        def repl(m: re.Match[str]) -> str:
            word = (m.group(1) or "").strip().lower()
            if word in _NAME_WORDS:
                return m.group(0)
            return (m.group(1) or "") + '"…"'

        line = _QUOTED.sub(repl, line)
        line = _KEYVALUE.sub(")=(…)", line)
        if line not in out:
            out.append(line[:300])
        if len(out) >= limit:
            break
    return out


def run_client(argv: Sequence[str], env: dict[str, str], step: str, what: str) -> bytes:
    """Run a client program to its end; its stdout, or a :class:`RefreshError` of ``step``.

    The error says ``what`` exited with which code, with the error lines of
    its stderr made safe (no quoted values, no DETAIL or CONTEXT lines).
    """
    proc = subprocess.run(
        list(argv), capture_output=True, env=env, stdin=subprocess.DEVNULL, check=False
    )
    if proc.returncode != 0:
        raise RefreshError(
            step,
            f"{what} exited with {proc.returncode}",
            details=safe_error_lines(proc.stderr.decode("utf-8", "replace")),
        )
    return proc.stdout


def run_argv(argv: Sequence[str]) -> list[str]:
    """``argv`` with connection strings hidden, for messages (they may hold a password)."""
    return [a if "=" not in a and "://" not in a else "<dsn>" for a in argv]


# Connection parameters that are secrets: never on a command line.
_SECRET_PARAMS = ("password", "sslpassword")

#: pg_dump's option for every dump the scrubber reads: the scrubber reads UTF-8 (and
#: refuses a dump in another encoding), and the server converts from its own, so a
#: LATIN1 or WIN1252 source refreshes like a UTF-8 one; psql's session takes the
#: dump's ``SET client_encoding`` and the target server converts back.  (A source in
#: SQL_ASCII converts nothing: its bytes are read as they are.)  Before the caller's
#: own options, so an explicit ``--encoding`` among them wins, and is refused by the
#: scrubber if it is not UTF-8.
DUMP_ENCODING = "--encoding=UTF8"


def client_invocation(url: str) -> tuple[list[str], dict[str, str]]:
    """Arguments and environment that point a client at ``url``.

    The connection string goes in ``-d`` without its password, which goes in
    ``PGPASSWORD`` instead: a command line is world-readable in ``ps``, an
    environment is not. Everything else in the environment passes through
    (see :func:`client_env`), so ``PGPASSFILE``, ``PGPASSWORD`` and the other
    libpq variables work for the client programs as they do for psycopg.
    """
    params = pg_conninfo.conninfo_to_dict(url)
    env = client_env()
    if params.get("sslpassword"):
        raise RefreshError(
            "preflight",
            "sslpassword in a connection string would show on the client programs' command "
            "lines; give the key without a passphrase or through PGSSLKEY",
        )
    password = params.get("password")
    if password:
        env["PGPASSWORD"] = str(password)
    rest = {
        k: str(v) for k, v in params.items() if v is not None and k not in _SECRET_PARAMS
    }
    return ["-d", pg_conninfo.make_conninfo(**rest)], env
