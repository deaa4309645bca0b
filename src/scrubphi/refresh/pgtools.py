"""Connection strings, client binaries and safe error text for the refresh.

Why a module of its own: every step talks to PostgreSQL twice over (psycopg
for catalog work, the real ``pg_dump``/``psql``/``pg_restore`` for data), and
the same three rules apply everywhere: connect to exactly the database named,
never let ``PG*`` environment variables redirect a client, and never let a
server message that may quote a row (``DETAIL: Key (ssn)=(...)``, ``CONTEXT:
COPY ..., line 5: "..."``) reach a terminal or a log.
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
    "PgTools",
    "client_env",
    "client_invocation",
    "connect",
    "dbname_of",
    "ident",
    "run_argv",
    "run_client",
    "safe_error_lines",
    "with_dbname",
]

# Variables that would silently send a client to another database or server.
_PG_ENV_DROP = ("PGSERVICE", "PGSERVICEFILE", "PGOPTIONS", "PGDATABASE")


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
    """The environment for pg_dump/psql/pg_restore children."""
    env = {k: v for k, v in os.environ.items() if k not in _PG_ENV_DROP}
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    return env


def connect(url: str, *, step: str = "preflight") -> psycopg.Connection[tuple[Any, ...]]:
    """An autocommit connection; a failure is a :class:`RefreshError` of ``step``."""
    try:
        return psycopg.connect(url, autocommit=True, application_name="scrubphi-refresh")
    except psycopg.Error as exc:
        lines = safe_error_lines(str(exc))
        raise RefreshError(step, "cannot connect to the database", details=lines) from None


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


# libpq connection parameters and the environment variables that carry them.
_ENV_OF = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "dbname": "PGDATABASE",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "passfile": "PGPASSFILE",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "channel_binding": "PGCHANNELBINDING",
    "gssencmode": "PGGSSENCMODE",
}


def client_invocation(url: str) -> tuple[list[str], dict[str, str]]:
    """Arguments and environment that point a client at ``url``.

    Why not ``-d URL``: a command line is world-readable in ``ps``, and the
    URL may hold a password; libpq reads the same parameters from the
    environment. Parameters without a variable go in ``-d`` (without the
    password).
    """
    params = pg_conninfo.conninfo_to_dict(url)
    env = client_env()
    for var in _ENV_OF.values():
        if var != "PGCONNECT_TIMEOUT":
            env.pop(var, None)
    rest: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        target = _ENV_OF.get(key)
        if target is not None:
            env[target] = str(value)
        else:
            rest[key] = str(value)
    args: list[str] = []
    if rest:
        rest["dbname"] = str(params.get("dbname") or "")
        args = ["-d", pg_conninfo.make_conninfo(**rest)]
    return args, env
