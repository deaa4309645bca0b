"""Traffic routers: where the canary controller turns a weight into real traffic.

A router has two calls, ``set_weights(stable=, canary=)`` and ``current()``,
so the controller does not care which load balancer sits in front of the two
versions.  Two routers ship:

* :class:`NginxRouter` writes an nginx configuration fragment (``http``
  context, for a ``conf.d`` folder), checks the whole configuration with
  ``nginx -t``, and applies it with a graceful reload (``nginx -s reload``):
  the master starts new workers with the new weights while old workers finish
  the requests they are serving, and the listening sockets never close, so no
  request is dropped.  The fragment is replaced atomically (``os.replace``)
  and put back when ``nginx -t`` refuses it.  Because ``nginx -s reload``
  returns before the new workers serve (and succeeds even when the master
  later fails to apply the file), the router then asks nginx itself: a
  loopback-only location ``/.scrubphi-canary`` answers with the generation of
  the configuration that served the request (and the worker's pid), and
  ``set_weights`` returns only once the new generation answers several fresh
  connections in a row *and* every worker of the previous generation has
  stopped accepting connections.  The second condition matters: nginx's
  master starts the new workers, sleeps 100 ms, and only then tells the old
  ones to quit, so for that long both generations accept and a new
  connection may still get the old weights.  The router finds the old
  workers through ``/proc`` (children of the master titled
  ``nginx: worker process``) before the reload and waits until each has
  exited or retitled itself ``... is shutting down`` (which nginx does as it
  closes its listening sockets).  Where ``/proc`` cannot tell (nginx in
  another pid namespace), it waits a fixed :data:`RELOAD_GRACE` instead.
  Two modes: ``weights`` (one upstream, weighted round robin: exact
  proportions) or ``split_clients`` on a key such as ``$cookie_user_id``
  (user stickiness; cohorts nest: the users in 10% are inside 50%).
* :class:`CallbackRouter` calls a function, for any other load balancer
  (HAProxy's runtime API, a cloud target group, a service mesh).
  :func:`command_router` wraps a shell command the same way.

The fragment configures a JSON access log (``log_format scrubphi_canary``)
with ``$msec``, ``$status``, ``$request_time``, ``$upstream_addr``,
``$upstream_status`` and ``$upstream_response_time``; it never logs the
request URI or headers, which can carry patient identifiers.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import json
import os
import re
import secrets
import shlex
import socket
import subprocess
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from scrubphi import jsontext
from scrubphi.errors import ScrubPhiError
from scrubphi.fileutil import write_atomic

__all__ = [
    "LOG_FORMAT_NAME",
    "RELOAD_GRACE",
    "CallbackRouter",
    "NginxRouter",
    "Router",
    "RouterError",
    "Weights",
    "command_router",
    "parse_hostport",
    "resolve_addresses",
]

LOG_FORMAT_NAME = "scrubphi_canary"
CONTROL_PATH = "/.scrubphi-canary"
#: Seconds to wait after a confirmed reload when the old workers cannot be
#: watched through /proc: well past the 100 ms nginx's master sleeps between
#: starting the new workers and retiring the old ones.
RELOAD_GRACE = 0.5
_WORKER_TITLE = "nginx: worker process"
_HEADER_RE = re.compile(r"^# scrubphi-canary: stable=(\d+) canary=(\d+) generation=(\w+)$", re.M)
_STICKY_KEY_RE = re.compile(r"[$A-Za-z0-9_{}:.\-]+")


class RouterError(ScrubPhiError):
    """The load balancer could not be set to the weights asked for."""

    exit_code = 13


@dataclass(frozen=True)
class Weights:
    """Percent of requests for each version; the two always add up to 100."""

    stable: int
    canary: int

    def __post_init__(self) -> None:
        for name, value in (("stable", self.stable), ("canary", self.canary)):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
                raise ValueError(f"{name} weight must be a whole percentage 0..100")
        if self.stable + self.canary != 100:
            raise ValueError("stable and canary weights must add up to 100")

    def __str__(self) -> str:
        return f"stable={self.stable}% canary={self.canary}%"


class Router(ABC):
    """Where the controller sends its weights.

    ``set_weights`` returns only once the load balancer routes new requests
    with the new weights (that is what a rollback's duration measures), and
    raises :class:`RouterError` when it cannot.
    """

    @abstractmethod
    def set_weights(self, *, stable: int, canary: int) -> None:
        """Route ``stable``% of new requests to stable and ``canary``% to the canary."""

    @abstractmethod
    def current(self) -> Weights | None:
        """The weights last applied, or None when nothing is known yet."""

    def describe(self) -> str:
        """A short name for logs and the live display."""
        return type(self).__name__


class CallbackRouter(Router):
    """Call ``apply(Weights)`` for every change; any exception becomes a RouterError."""

    def __init__(
        self,
        apply: Callable[[Weights], None],
        *,
        initial: Weights | None = None,
        name: str = "callback",
    ) -> None:
        self._apply = apply
        self._current = initial
        self._name = name

    def set_weights(self, *, stable: int, canary: int) -> None:
        weights = Weights(stable, canary)
        try:
            self._apply(weights)
        except RouterError:
            raise
        except Exception as exc:
            raise RouterError(
                f"{self._name} router failed to apply {weights}: {type(exc).__name__}"
            ) from exc
        self._current = weights

    def current(self) -> Weights | None:
        return self._current

    def describe(self) -> str:
        return self._name


def command_router(template: str, *, timeout: float = 30.0) -> CallbackRouter:
    """A router that runs ``template`` with ``{stable}`` and ``{canary}`` filled in.

    The command is split like a shell line (no shell runs it); a non-zero exit
    status or a timeout is a RouterError.  Example:
    ``set-lb-weights --v1 {stable} --v2 {canary}``.
    """
    argv = shlex.split(template)
    if not argv:
        raise ValueError("the weights command is empty")

    def apply(weights: Weights) -> None:
        args = [a.format(stable=weights.stable, canary=weights.canary) for a in argv]
        try:
            done = subprocess.run(args, capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RouterError(f"weights command failed to run: {type(exc).__name__}") from exc
        if done.returncode != 0:
            raise RouterError(f"weights command exited with status {done.returncode}")

    return CallbackRouter(apply, name=f"command {argv[0]}")


def parse_hostport(text: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[V6]:PORT`` into (host, port); ValueError says what is allowed."""
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:(\d+)|([^:\s\[\]]+):(\d+)", text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:8001 or [::1]:8001)")
    host = match.group(1) or match.group(3)
    port = int(match.group(2) or match.group(4))
    if not 0 < port < 65536:
        raise ValueError(f"{text!r}: port must be 1..65535")
    return host, port


def _fmt_hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def resolve_addresses(hostport: str) -> frozenset[str]:
    """Every form in which nginx may write ``hostport`` in ``$upstream_addr``."""
    host, port = parse_hostport(hostport)
    out = {_fmt_hostport(host, port)}
    try:
        for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
            out.add(_fmt_hostport(str(info[4][0]), port))
    except OSError:
        pass
    return frozenset(out)


class NginxRouter(Router):
    """Reweight an nginx in front of stable and canary (see the module docstring).

    ``conf_dir`` is a folder the main configuration includes inside ``http {}``
    (Debian's ``/etc/nginx/conf.d`` is); the router owns one file there,
    ``scrubphi-canary.conf``.  ``conf`` and ``prefix`` are passed to nginx as
    ``-c`` and ``-p`` for ``nginx -t`` and ``nginx -s reload`` (None: nginx's
    defaults), so the same router drives a system nginx or one run by a user.
    """

    def __init__(
        self,
        *,
        stable: str,
        canary: str,
        conf_dir: str | os.PathLike[str],
        listen: str = "127.0.0.1:8080",
        access_log: str | os.PathLike[str] | None = None,
        mode: Literal["weights", "split_clients"] = "weights",
        sticky_key: str = "$remote_addr",
        nginx: str = "nginx",
        conf: str | os.PathLike[str] | None = None,
        prefix: str | os.PathLike[str] | None = None,
        confirm_timeout: float = 15.0,
        confirmations: int = 3,
        file_name: str = "scrubphi-canary.conf",
    ) -> None:
        parse_hostport(stable)
        parse_hostport(canary)
        if resolve_addresses(stable) & resolve_addresses(canary):
            raise ValueError("stable and canary must be different addresses")
        self.listen_host, self.listen_port = parse_hostport(listen)
        if mode not in ("weights", "split_clients"):
            raise ValueError("mode is weights or split_clients")
        if not _STICKY_KEY_RE.fullmatch(sticky_key) or "$" not in sticky_key:
            raise ValueError(
                "sticky_key is an nginx variable expression such as $remote_addr or "
                "$cookie_user_id (letters, digits, _ { } : . - only)"
            )
        self.stable = stable
        self.canary = canary
        self.conf_dir = Path(conf_dir)
        self.path = self.conf_dir / file_name
        #: While this file exists every request goes to stable, whatever the
        #: weights: the rollback switch that needs no reload (see set_weights).
        self.flag = self.conf_dir / (Path(file_name).stem + ".stable-only")
        #: What the last rollback could not do beyond the switch itself (a
        #: reload nginx refused because of another file), for the run log.
        self.warning: str | None = None
        #: Whether nginx's workers see the flag (None: not tried yet).  The first
        #: switch to all-stable of a run (its baseline, before any traffic moves)
        #: tries it; a folder the workers cannot search makes it False, and
        #: rollbacks then go by reload only, with a warning.
        self.flag_works: bool | None = None
        self.flag_timeout = 5.0
        self._flag_denied = False
        self.access_log = Path(
            access_log if access_log is not None else self.conf_dir / "scrubphi-canary.access.log"
        ).absolute()
        self.mode = mode
        self.sticky_key = sticky_key
        self.nginx = nginx
        self.conf = os.fspath(conf) if conf is not None else None
        self.prefix = os.fspath(prefix) if prefix is not None else None
        self.confirm_timeout = confirm_timeout
        self.confirmations = confirmations
        self._current: Weights | None = self._read_current()

    # -- Router -----------------------------------------------------------

    def describe(self) -> str:
        return f"nginx ({self.mode}) {self.path}"

    def current(self) -> Weights | None:
        if self.flag.exists():
            return Weights(100, 0)
        return self._current

    def set_weights(self, *, stable: int, canary: int) -> None:
        """Apply ``stable``/``canary``; return once new requests follow them.

        All traffic to stable (a rollback) first creates the flag file that the
        serving configuration tests on every request (``if (-f ...)``, a stat per
        request, no reload): from then on every new request goes to the stable
        upstream, whatever any other file in nginx's configuration says.  nginx
        confirms it through the control location.  Only then is the fragment
        rewritten and reloaded as usual; when that fails (``nginx -t`` refuses
        an unrelated broken file) the rollback still holds through the flag,
        and :attr:`warning` says what failed.  Any other change reloads first
        and removes the flag after.
        """
        self.warning = None
        if canary == 0 and stable == 100 and self._flag_switch():
            try:
                self._apply(Weights(100, 0))
            except RouterError as exc:
                self.warning = (f"all traffic is on stable through {self.flag.name}, but the "
                                f"configuration could not be reloaded: {exc}")
                self._current = Weights(100, 0)
            return
        self._apply(Weights(stable, canary))
        if canary == 0 and stable == 100:
            # the serving configuration had no flag test yet (a first run): try the
            # switch now, while all traffic is on stable anyway, so that it is known
            # to work before any traffic moves
            self._flag_switch()
            return
        if self.flag.exists():
            try:
                self.flag.unlink()
            except OSError as exc:
                raise RouterError(f"cannot remove {self.flag}: {exc.strerror}") from exc
            self._confirm_flag(False, time.monotonic() + self.confirm_timeout)

    def _flag_switch(self) -> bool:
        """Create the flag and confirm nginx routes by it; False when the serving config
        has no flag test (written by an older scrubphi) or nginx does not answer."""
        if self.flag_works is False:
            return False
        answer = self.control()
        if not answer or "stable_only" not in answer:
            return False
        try:
            self.conf_dir.mkdir(parents=True, exist_ok=True)
            write_atomic(self.flag, b"all traffic on stable (scrubphi canary rollback)\n",
                         prefix=".scrubphi-canary-flag.")
        except OSError as exc:
            self.warning = f"cannot write {self.flag}: {exc.strerror}; rolling back by reload"
            return False
        try:
            self._confirm_flag(True, time.monotonic() + self.flag_timeout)
        except RouterError:
            with contextlib.suppress(OSError):
                self.flag.unlink()
            if self._flag_denied:
                # nginx answered, again and again, that it does not see the flag
                self.flag_works = False
                self.warning = (f"nginx's workers do not see {self.flag} (its folder must be "
                                "searchable by nginx's worker user): rollbacks need a reload, "
                                "which another broken file in nginx's configuration can block")
            else:
                self.warning = (f"nginx did not confirm the switch by {self.flag} within "
                                f"{self.flag_timeout:g}s: rolled back by reload instead")
            return False
        self.flag_works = True
        return True

    def _confirm_flag(self, on: bool, deadline: float) -> None:
        streak = 0
        denied = 0  # answers that saw the opposite, after a moment for the file to appear
        self._flag_denied = False
        while streak < self.confirmations:
            answer = self.control()
            if answer and answer.get("stable_only") == int(on):
                streak += 1
            else:
                streak = 0
                denied += 1 if answer and answer.get("stable_only") == int(not on) else 0
            self._flag_denied = denied >= 10 and streak == 0
            if streak >= self.confirmations:
                return
            if time.monotonic() >= deadline:
                raise RouterError(f"nginx did not {'start' if on else 'stop'} routing by "
                                  f"{self.flag} in time")
            time.sleep(0.01)

    def _apply(self, weights: Weights) -> None:
        generation = secrets.token_hex(6)
        text = self.render(weights, generation)
        try:
            previous = self.path.read_bytes() if self.path.exists() else None
        except OSError as exc:
            raise RouterError(f"cannot read {self.path}: {exc.strerror}") from exc
        self._write(text.encode())
        ok, message = self._nginx("-t")
        if not ok:
            self._restore(previous)
            raise RouterError(f"nginx -t refused the new configuration: {message}")
        retiring = self._accepting_workers()
        ok, message = self._nginx("-s", "reload")
        if not ok:
            raise RouterError(f"nginx -s reload failed: {message}")
        deadline = time.monotonic() + self.confirm_timeout
        self._confirm(generation, deadline)
        self._await_retired(retiring, deadline)
        self._current = weights

    @staticmethod
    def listen_of(path: str | os.PathLike[str]) -> str | None:
        """The ``listen`` address of an existing fragment (None when there is none)."""
        try:
            text = Path(path).read_text()
        except OSError:
            return None
        match = re.search(r"^\s*listen\s+([^;\s]+);", text, re.M)
        return match.group(1) if match else None

    # -- configuration ------------------------------------------------------

    def render(self, weights: Weights, generation: str) -> str:
        """The fragment for ``weights``: log format, upstream(s), the listening server."""
        log_fields = {
            "msec": "$msec",
            "status": "$status",
            "request_time": "$request_time",
            "upstream_addr": "$upstream_addr",
            "upstream_status": "$upstream_status",
            "upstream_response_time": "$upstream_response_time",
            "upstream_header_time": "$upstream_header_time",
            "method": "$request_method",
        }
        log_json = "{" + ",".join(f'"{k}":"{v}"' for k, v in log_fields.items()) + "}"
        control = json.dumps(
            {"generation": generation, "stable": weights.stable, "canary": weights.canary},
            separators=(",", ":"),
        )[:-1] + ',"stable_only":$scrubphi_canary_hold,"worker":$pid}'
        flag_test = [
            "        set $scrubphi_canary_hold 0;",
            f'        if (-f "{self.flag.absolute()}") {{',
            "            set $scrubphi_canary_hold 1;",
            "        }",
        ]
        lines = [
            f"# scrubphi-canary: stable={weights.stable} canary={weights.canary} "
            f"generation={generation}",
            "# Written by scrubphi canary; the next weight change replaces this file.",
            f"log_format {LOG_FORMAT_NAME} escape=json '{log_json}';",
            "",
        ]
        if self.mode == "weights":
            lines += [
                "upstream scrubphi_canary_backend {",
                self._server_line(self.stable, weights.stable),
                self._server_line(self.canary, weights.canary),
                "}",
                "upstream scrubphi_canary_stable {",
                f"    server {self.stable};",
                "}",
            ]
            target = "scrubphi_canary_backend"
        else:
            rule = (
                ["    * canary;"]
                if weights.canary == 100
                else ([f"    {weights.canary}% canary;"] if weights.canary else [])
                + ["    * stable;"]
            )
            lines += [
                f'split_clients "{self.sticky_key}" $scrubphi_canary_pick {{',
                *rule,
                "}",
                "upstream scrubphi_canary_stable {",
                f"    server {self.stable};",
                "}",
                "upstream scrubphi_canary_canary {",
                f"    server {self.canary};",
                f"    server {self.stable} backup;  # a failed attempt is retried on stable",
                "}",
            ]
            target = "scrubphi_canary_$scrubphi_canary_pick"
        lines += [
            "",
            "server {",
            f"    listen {_fmt_hostport(self.listen_host, self.listen_port)};",
            f'    access_log "{self.access_log}" {LOG_FORMAT_NAME};',
            f"    location = {CONTROL_PATH} {{",
            "        access_log off;",
            "        allow 127.0.0.1;",
            "        allow ::1;",
            "        deny all;",
            "        default_type application/json;",
            *flag_test,
            f"        return 200 '{control}';",
            "    }",
            "    location / {",
            f"        set $scrubphi_canary_target {target};",
            "        # the rollback switch: while the flag file exists, all to stable (no reload)",
            f'        if (-f "{self.flag.absolute()}") {{',
            "            set $scrubphi_canary_target scrubphi_canary_stable;",
            "        }",
            "        proxy_pass http://$scrubphi_canary_target;",
            "        # a request nginx could not get an answer for from one version (refused,",
            "        # reset, timed out before any byte was sent to the client) is retried on",
            "        # the other; nginx never retries a POST that reached an upstream",
            "        proxy_next_upstream error timeout;",
            "        proxy_next_upstream_tries 2;",
            "        proxy_connect_timeout 3s;",
            "        proxy_set_header Host $host;",
            "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
            "        proxy_set_header X-Forwarded-Proto $scheme;",
            "    }",
            "}",
            "",
        ]
        return "\n".join(lines)

    @staticmethod
    def _server_line(address: str, weight: int) -> str:
        # nginx refuses weight=0: a version with no traffic stays listed (so the
        # upstream keeps its shape) but is marked down.
        return f"    server {address} weight=1 down;" if weight == 0 else (
            f"    server {address} weight={weight};"
        )

    def _read_current(self) -> Weights | None:
        try:
            match = _HEADER_RE.search(self.path.read_text())
        except OSError:
            return None
        if match is None:
            return None
        try:
            return Weights(int(match.group(1)), int(match.group(2)))
        except ValueError:
            return None

    def _write(self, data: bytes) -> None:
        try:
            self.conf_dir.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, data, prefix=".scrubphi-canary.")
        except OSError as exc:
            raise RouterError(f"cannot write {self.path}: {exc.strerror}") from exc

    def _restore(self, previous: bytes | None) -> None:
        if previous is None:
            with contextlib.suppress(OSError):
                self.path.unlink()
        else:
            self._write(previous)

    def _nginx(self, *args: str) -> tuple[bool, str]:
        argv = [self.nginx, "-e", "stderr"]
        if self.prefix is not None:
            argv += ["-p", self.prefix]
        if self.conf is not None:
            argv += ["-c", self.conf]
        argv += list(args)
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return False, f"{argv[0]}: {type(exc).__name__}"
        lines = [ln for ln in done.stderr.splitlines() if "[emerg]" in ln or "[error]" in ln]
        return done.returncode == 0, "; ".join(lines[-3:]) or f"exit status {done.returncode}"

    def _control_host(self) -> str:
        host = self.listen_host
        try:
            if ipaddress.ip_address(host).is_unspecified:
                return "::1" if ":" in host else "127.0.0.1"
        except ValueError:
            pass
        return host

    def control(self, timeout: float = 2.0) -> dict[str, object] | None:
        """What the serving configuration says about itself (None when nginx does not answer)."""
        conn = http.client.HTTPConnection(self._control_host(), self.listen_port, timeout=timeout)
        try:
            conn.request("GET", CONTROL_PATH, headers={"Connection": "close"})
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                return None
            data = jsontext.loads(body)
            return data if isinstance(data, dict) else None
        except (OSError, http.client.HTTPException, ValueError):
            return None
        finally:
            conn.close()

    def _confirm(self, generation: str, deadline: float) -> None:
        streak = 0
        while True:
            answer = self.control()
            streak = streak + 1 if answer and answer.get("generation") == generation else 0
            if streak >= self.confirmations:
                return
            if time.monotonic() >= deadline:
                raise RouterError(
                    f"nginx did not serve the new configuration within {self.confirm_timeout:g}s "
                    "after the reload (see nginx's error log)"
                )
            time.sleep(0.01 if streak else 0.02)

    # -- the previous generation's workers -----------------------------------

    def _accepting_workers(self) -> set[tuple[int, int]] | None:
        """(pid, start time) of the workers accepting connections now; None: cannot tell.

        The control location names the worker that answered; its parent is the
        master, whose children titled exactly ``nginx: worker process`` accept.
        """
        answer = self.control()
        worker = answer.get("worker") if answer else None
        if not isinstance(worker, int):
            return None
        seen = _proc_stat(worker)
        if seen is None or _proc_title(worker) != _WORKER_TITLE:
            return None
        master = seen[0]
        accepting: set[tuple[int, int]] = set()
        try:
            entries = [int(name) for name in os.listdir("/proc") if name.isdigit()]
        except OSError:
            return None
        for pid in entries:
            stat = _proc_stat(pid)
            if stat is not None and stat[0] == master and _proc_title(pid) == _WORKER_TITLE:
                accepting.add((pid, stat[1]))
        return accepting or None

    def _await_retired(self, workers: set[tuple[int, int]] | None, deadline: float) -> None:
        """Return once none of ``workers`` accepts connections any more."""
        if workers is None:
            time.sleep(RELOAD_GRACE)
            return
        while True:
            left = {
                (pid, started) for pid, started in workers
                if (stat := _proc_stat(pid)) is not None and stat[1] == started
                and _proc_title(pid) == _WORKER_TITLE
            }
            if not left:
                return
            if time.monotonic() >= deadline:
                raise RouterError(
                    f"{len(left)} nginx worker(s) of the previous configuration still accept "
                    f"connections {self.confirm_timeout:g}s after the reload "
                    "(see nginx's error log)"
                )
            time.sleep(0.01)


def _proc_stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time in clock ticks) of ``pid`` from /proc; None when gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    # the command name is in parentheses and may hold spaces: split after the last ')'
    fields = raw[raw.rfind(b")") + 2:].split()
    try:
        return int(fields[1]), int(fields[19])
    except (IndexError, ValueError):
        return None


def _proc_title(pid: int) -> str | None:
    """The process title (nginx rewrites its argv to name its role); None when gone."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    return raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()

