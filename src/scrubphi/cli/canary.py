"""``scrubphi canary``: run a canary flow against a load balancer, or roll back now.

A thin click shell over :mod:`scrubphi.canary` (the lead registers the group
on the main command).  ``run`` shows the step, the weights and every rule's
state live on a terminal (and plain event lines otherwise, for CI logs), then
a summary; ``--json`` prints the whole run log as JSON on stdout.
``rollback`` is for a human who wants out now: all traffic to stable, and how
long that took.  The commands that operate a live run (``status``, ``pause``,
``resume``, ``promote``, ``abort``) are in :mod:`scrubphi.cli.canary_ops`.

Exit codes (docs/canary.md):

====  ==============================================================
0     promoted (run) / all traffic on stable (rollback)
2     usage error
3     policy error (file:line:column)
11    rolled back: a rule fired or the health check failed
12    rolled back, but the switch took longer than rollback_within
13    router error: the load balancer could not be set
14    aborted by a person (``canary rollback`` while it ran is 11/12)
130   interrupted (Ctrl-C); traffic was moved to stable first
====  ==============================================================
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import click

from scrubphi.canary.controller import CanaryController
from scrubphi.canary.nginxlog import NginxAccessLog
from scrubphi.canary.notify import Notifier
from scrubphi.canary.policy import CanaryPolicy, HealthCheckStep, PauseStep, canary_from_policy
from scrubphi.canary.routers import (
    NginxRouter,
    Router,
    RouterError,
    command_router,
    parse_hostport,
)
from scrubphi.canary.runlog import EXIT_CODES, CanaryResult, CanaryStatus, Event
from scrubphi.canary.sources import HEALTH_METRIC, CanaryMetrics, QueryMetrics, http_health_check
from scrubphi.canary.store import GuardedRouter, RunStore, StoreError, who
from scrubphi.cli.signals import Terminated, exit_code, terminations_unwind
from scrubphi.errors import PolicyError
from scrubphi.metrics.exposition import CanaryExporter, MetricsServer, serve
from scrubphi.policy import load_policy, parse_duration
from scrubphi.rollback import rules_from_policy

__all__ = ["canary"]

EXIT_POLICY = 3
EXIT_NO_RUN = 16


def _hostport(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parse_hostport(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if seconds <= 0:
        raise click.BadParameter("must be more than zero")
    return seconds


def _linger_duration(ctx: click.Context, param: click.Parameter, value: str) -> float:
    """A duration that may be zero (``0s``: stop serving as soon as the run ends)."""
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


#: How long ``--serve-metrics`` keeps serving after the run ends, by default: two of
#: Prometheus's default scrape intervals (1m), so at least one scrape sees the final state.
DEFAULT_METRICS_LINGER = "2m"

_STATE_DIR_OPTION = click.option(
    "--state-dir", type=click.Path(file_okay=False, path_type=Path),
    help="where the run's lock, state, run log and commands live [default: "
         "--nginx-conf-dir; required with --router command]")
_ROUTER_KEYS = ("router_kind", "stable", "canary_addr", "listen", "nginx_conf_dir", "nginx_conf",
                "nginx_prefix", "nginx_bin", "access_log", "sticky_key", "weights_command")

_ROUTER_OPTIONS: list[Callable[[Any], Any]] = [
    click.option("--router", "router_kind", type=click.Choice(["nginx", "command"]),
                 default="nginx", show_default=True, help="which load balancer to drive"),
    click.option("--stable", callback=_hostport, metavar="HOST:PORT",
                 help="the version serving now (v1); rollback: taken from the run's state"),
    click.option("--canary", "canary_addr", callback=_hostport,
                 metavar="HOST:PORT", help="the new version (v2); rollback: from the state"),
    click.option("--listen", callback=_hostport, metavar="HOST:PORT",
                 help="nginx: where clients connect [default: the listen address of the "
                      "router's existing file; a first run must give it]"),
    click.option("--nginx-conf-dir", type=click.Path(file_okay=False, path_type=Path),
                 default=Path("/etc/nginx/conf.d"), show_default=True,
                 help="nginx: a folder included in http {}; the router owns "
                      "scrubphi-canary.conf there"),
    click.option("--nginx-conf", type=click.Path(dir_okay=False, path_type=Path),
                 help="nginx: main config file for nginx -t / -s reload (-c)"),
    click.option("--nginx-prefix", type=click.Path(file_okay=False, path_type=Path),
                 help="nginx: prefix folder (-p)"),
    click.option("--nginx-bin", default="nginx", show_default=True,
                 help="nginx: the executable"),
    click.option("--access-log", type=click.Path(dir_okay=False, path_type=Path),
                 help="nginx: JSON access log path [default: NGINX_CONF_DIR/"
                      "scrubphi-canary.access.log]"),
    click.option("--sticky-key", metavar="NGINX_VARS",
                 help="nginx: split by a key (split_clients) instead of weighted round "
                      "robin, e.g. '$cookie_user_id' keeps each user on one version"),
    click.option("--weights-command", metavar="CMD",
                 help="command router: run CMD with {stable} and {canary} filled in"),
    _STATE_DIR_OPTION,
]


def _router_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_ROUTER_OPTIONS):
        func = option(func)
    return func


def _make_router(opts: dict[str, Any]) -> Router:
    if not opts.get("stable") or not opts.get("canary_addr"):
        raise click.UsageError("give --stable HOST:PORT and --canary HOST:PORT")
    if opts["router_kind"] == "command":
        if not opts["weights_command"]:
            raise click.UsageError("--router command needs --weights-command 'CMD {stable} ...'")
        return command_router(opts["weights_command"])
    conf_dir = Path(opts["nginx_conf_dir"])
    listen = opts.get("listen") or NginxRouter.listen_of(conf_dir / "scrubphi-canary.conf")
    if listen is None:
        raise click.UsageError(
            f"no --listen, and {conf_dir / 'scrubphi-canary.conf'} does not exist yet to take it "
            "from: give --listen HOST:PORT (the address clients use)")
    opts["listen"] = listen
    try:
        return NginxRouter(
            stable=opts["stable"], canary=opts["canary_addr"], conf_dir=conf_dir,
            listen=listen, access_log=opts["access_log"],
            mode="split_clients" if opts["sticky_key"] else "weights",
            sticky_key=opts["sticky_key"] or "$remote_addr", nginx=opts["nginx_bin"],
            conf=opts["nginx_conf"], prefix=opts["nginx_prefix"],
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def _state_dir(opts: dict[str, Any]) -> Path:
    if opts.get("state_dir") is not None:
        return Path(opts["state_dir"])
    if opts.get("router_kind") == "command":
        raise click.UsageError("--router command needs --state-dir (where the run's lock, "
                               "state and run log live)")
    return Path(opts.get("nginx_conf_dir") or "/etc/nginx/conf.d")


def _router_settings(opts: dict[str, Any]) -> dict[str, Any]:
    """The router options as JSON (for the state: `canary rollback` rebuilds the router)."""
    out: dict[str, Any] = {}
    for key in _ROUTER_KEYS:
        value = opts.get(key)
        if isinstance(value, Path):
            value = str(value.absolute())
        out[key] = value
    return out


def _with_state(opts: dict[str, Any], state: dict[str, Any] | None) -> dict[str, Any]:
    """Router options from a run's state, where the command line leaves them out.

    An address given on the command line that differs from the run's is refused:
    rolling back "another" canary would move the wrong traffic.
    """
    if state is None or not isinstance(state.get("router"), dict):
        return opts
    saved = state["router"]
    for key in ("stable", "canary_addr", "listen"):
        given = opts.get(key)
        if given and saved.get(key) and given != saved[key]:
            flag = {"canary_addr": "--canary"}.get(key, f"--{key}")
            raise click.UsageError(
                f"{flag} {given} differs from the run in the state ({saved[key]}); "
                "leave it out to use the run's settings")
    merged = dict(opts)
    for key in _ROUTER_KEYS:
        if saved.get(key) is not None and (key not in ("router_kind", "nginx_bin")
                                           or merged.get(key) in (None, "nginx")):
            merged[key] = Path(saved[key]) if key in (
                "nginx_conf_dir", "nginx_conf", "nginx_prefix", "access_log") else saved[key]
    return merged


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


class _Display:
    """Event lines on stderr; on a terminal also one status line redrawn in place."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.status_shown = False

    def _clear(self) -> None:
        if self.status_shown:
            self.stream.write("\r\x1b[K")
            self.status_shown = False

    def event(self, event: Event) -> None:
        if event.kind == "check":
            return  # a check that changed nothing: the status line shows it
        self._clear()
        step = f"step {event.step + 1}: " if event.step is not None else ""
        self.stream.write(f"{event.wall[11:23]} {step}{event.message}\n")
        self.stream.flush()

    def status(self, status: CanaryStatus) -> None:
        if not self.tty:
            return
        step = (f"step {status.step + 1}/{status.steps} {status.step_text}"
                if status.step is not None else "steps done")
        if status.pause_left is not None:
            step += f" ({status.pause_left:.0f}s left)"
        weights = (f"stable {status.weights.stable}% canary {status.weights.canary}%"
                   if status.weights else "weights unknown")
        rules = ", ".join(f"{r['name']} {r['state']} {r['value']}" for r in status.rules)
        line = f"{step} | {weights} | analysis {status.action or '-'}"
        if rules:
            line += f" | {rules}"
        self._clear()
        self.stream.write(line[:200])
        self.stream.flush()
        self.status_shown = True

    def done(self) -> None:
        self._clear()


def _summary(result: CanaryResult) -> str:
    lines = [f"canary {result.outcome}: {result.reason}"]
    if result.rollback_seconds is not None:
        verdict = "within" if result.rollback_in_time else "OVER"
        lines.append(f"all traffic on stable {result.rollback_seconds:.3f}s after the decision "
                     f"({verdict} rollback_within {result.rollback_within:g}s)")
    lines.append(f"exit code {result.exit_code}")
    return "\n".join(lines)


def _metrics_for(policy: Any, controller_watch: frozenset[str] | None, kind: str,
                 prometheus_url: str | None, router: Router, opts: dict[str, Any],
                 window: float) -> CanaryMetrics | None:
    if controller_watch is None:
        return None
    if canary_from_policy(policy).health_check is not None:
        # the controller's own health probes feed it, whatever the metric source
        controller_watch = controller_watch - {HEALTH_METRIC}
    if kind == "nginx-log":
        if not isinstance(router, NginxRouter):
            raise click.UsageError("--metrics nginx-log needs --router nginx; "
                                   "use --metrics prometheus with other routers")
        missing = sorted(controller_watch - set(NginxAccessLog.METRICS))
        if missing:
            raise click.UsageError(
                f"the rollback rules watch {', '.join(missing)}, which nginx's access log "
                f"does not give (it gives {', '.join(NginxAccessLog.METRICS)}, and "
                f"{HEALTH_METRIC} from the health probes of a flow with a health_check "
                "step); use --metrics prometheus with rollback.metrics queries"
            )
        return NginxAccessLog(router.access_log, stable=opts["stable"],
                              canary=opts["canary_addr"], window=window)
    from scrubphi.metrics import PrometheusSource

    rules = rules_from_policy(policy)
    url = prometheus_url or (rules.sources["prometheus"].url
                             if "prometheus" in rules.sources else None)
    if not url:
        raise click.UsageError("--metrics prometheus needs --prometheus-url or "
                               "rollback.sources.prometheus.url in the policy")
    queries: dict[str, str] = {}
    for metric in sorted(controller_watch):
        query = rules.metrics[metric].text("prometheus", interval=f"{rules.interval:g}s") \
            if metric in rules.metrics else None
        if query is None:
            raise click.UsageError(f"metric {metric} has no prometheus query in "
                                   "rollback.metrics")
        queries[metric] = query
    return QueryMetrics(PrometheusSource(url), queries)


@click.group("canary")
def canary() -> None:
    """Deploy a new version behind a load balancer: shift traffic step by step, roll back fast."""


def _recover(store: RunStore, orphan: dict[str, Any], opts: dict[str, Any],
             budget: float = 60.0) -> tuple[bool, str]:
    """Roll back a run whose controller died; record it in that run's log and state."""
    router = _make_router(_with_state(dict(opts), orphan))
    t0 = time.monotonic()
    message = ""
    ok = False
    with store.router_lock():
        while True:
            try:
                router.set_weights(stable=100, canary=0)
                ok = True
                break
            except RouterError as exc:
                message = str(exc)
                if time.monotonic() - t0 >= budget:
                    break
                time.sleep(0.5)
    took = time.monotonic() - t0
    now = time.time()
    wall = _iso(now)
    reason = (f"the controller (pid {orphan.get('pid')}) stopped without finishing; "
              f"rolled back by {who()}")
    events = [{"t": None, "wall": wall, "kind": "recovered", "step": orphan.get("step"),
               "message": reason, "data": {"by": who()}}]
    if ok:
        events.append({"t": None, "wall": wall, "kind": "rollback_done", "step": None,
                       "message": f"all traffic on stable ({took:.3f}s)",
                       "data": {"seconds": took}})
        events.append({"t": None, "wall": wall, "kind": "run_finished", "step": None,
                       "message": f"rolled_back: {reason}", "data": {"outcome": "rolled_back"}})
    if orphan.get("log"):
        with contextlib.suppress(OSError):
            RunStore.append_events(orphan["log"], events)
    if ok:
        store.mark(orphan, state="rolled_back", outcome="rolled_back", reason=reason,
                   weights={"stable": 100, "canary": 0})
    return ok, message or f"all traffic on stable ({took:.3f}s)"


def _iso(epoch: float) -> str:
    import datetime as dt

    return (dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"))


@canary.command("run")
@click.option("-c", "--config", "-p", "--policy", "policies", multiple=True, required=True,
              type=click.Path(exists=False), help="policy file(s) with canary: and rollback:")
@_router_options
@click.option("--metrics", "metrics_kind", type=click.Choice(["nginx-log", "prometheus"]),
              default="nginx-log", show_default=True, help="where the canary's numbers come from")
@click.option("--prometheus-url", help="Prometheus base URL (overrides rollback.sources)")
@click.option("--window", default="60s", show_default=True, callback=_duration,
              help="nginx-log: trailing window for 5xx ratio and p99")
@click.option("--interval", default=None, callback=_duration,
              help="seconds between ticks [default: 1s, or the rules' interval if shorter]")
@click.option("--webhook", "webhooks", multiple=True, metavar="URL",
              help="POST a JSON notification on each step, alert, rollback and promotion")
@click.option("--resume", is_flag=True,
              help="a run left unfinished by a killed controller goes on from its step "
                   "(default: it is rolled back first)")
@click.option("--json", "as_json", is_flag=True, help="print the run log as JSON on stdout")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path),
              help="also write the run log as JSON to this file (atomically) at the end")
@click.option("--serve-metrics", "serve_metrics", metavar="HOST:PORT", callback=_hostport,
              help="serve the controller's metrics for Prometheus at http://HOST:PORT/metrics")
@click.option("--metrics-linger", "metrics_linger", metavar="DURATION",
              default=DEFAULT_METRICS_LINGER, show_default=True, callback=_linger_duration,
              help="with --serve-metrics: keep serving the final state this long after the "
                   "run ends (a rollback stays scrapeable); 0s stops at once, and SIGTERM, "
                   "SIGHUP or Ctrl-C end it early")
def run_cmd(policies: tuple[str, ...], metrics_kind: str, prometheus_url: str | None,
            window: float, interval: float | None, webhooks: tuple[str, ...], resume: bool,
            as_json: bool, log_file: Path | None, serve_metrics: str | None,
            metrics_linger: float, **opts: Any) -> None:
    """Run the policy's canary: flow; exit 0 promoted, 11 rolled back (see docs/canary.md)."""
    try:
        policy = load_policy(*policies)
        canary_policy = canary_from_policy(policy)
        router = _make_router(opts)
        watch: frozenset[str] | None = None
        tick = interval or 1.0
        if canary_policy.analysis == "rollback":
            rules = rules_from_policy(policy)
            watch = frozenset(rule.metric for rule in rules.rules)
            if interval is None:
                tick = min(tick, rules.interval)
        metrics = _metrics_for(policy, watch, metrics_kind, prometheus_url, router, opts,
                               window)
        notifier = Notifier(webhooks) if webhooks else None
    except PolicyError as exc:
        click.echo(f"scrubphi canary: {exc}", err=True)
        sys.exit(EXIT_POLICY)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    store = RunStore(_state_dir(opts))
    try:
        store.acquire()
    except StoreError as exc:
        click.echo(f"scrubphi canary: {exc}", err=True)
        sys.exit(exc.exit_code)
    exporter, server = None, None
    code: int | None = None  # the run's exit code once it ended by itself
    try:
        if serve_metrics is not None:
            exporter, server = _serve_metrics(serve_metrics)
        state = store.read_state()
        resume_at: tuple[int, float] | None = None
        if state is not None and state.get("state") in ("running", "pending"):
            why = _cannot_resume(state, policy, router) if resume else "no --resume"
            if why is None:
                resume_at = _resume_point(state, canary_policy)
                click.echo(f"scrubphi canary: resuming run {state.get('run_id')} at step "
                           f"{resume_at[0] + 1} (its controller, pid {state.get('pid')}, died)",
                           err=True)
                _close_orphan(store, state, f"resumed by {who()} in a new run")
            else:
                click.echo(f"scrubphi canary: run {state.get('run_id')} was left unfinished "
                           f"(its controller, pid {state.get('pid')}, died): rolling it back "
                           f"({why})", err=True)
                ok, message = _recover(store, state, opts)
                click.echo(f"scrubphi canary: {message}", err=True)
                if not ok:
                    sys.exit(EXIT_CODES["router_error"])
        elif resume:
            raise click.UsageError("--resume: no unfinished run in the state to resume")
        code = _run_locked(store, policy, policies, canary_policy, router, metrics, notifier,
                           tick, as_json, log_file, opts, resume_at, exporter)
    finally:
        # The router is free for the next run before the metrics linger.
        store.release()
        if server is not None:
            try:
                if code is not None:
                    _linger(server, metrics_linger)
            finally:
                server.close()
    sys.exit(code)


def _linger(server: MetricsServer, seconds: float) -> None:
    """Keep serving the run's final metrics for ``seconds`` after it ended.

    Why: an operator debugging a rollback needs its final state (the rule that
    fired, the weights, how long the switch took) scrapeable, and the process
    would otherwise end and take the endpoint with it before Prometheus's
    next scrape.  SIGTERM, SIGHUP and Ctrl-C end the wait early (the process
    still exits with the run's code: the run is over, only the serving stops).
    """
    if seconds <= 0:
        return
    click.echo(f"scrubphi canary: the run's final metrics stay at {server.url} for "
               f"{seconds:g}s (--metrics-linger; Ctrl-C or SIGTERM ends this now)", err=True)
    stop: list[int] = []

    def handler(signum: int, frame: object) -> None:
        stop.append(signum)

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
    deadline = time.monotonic() + seconds
    try:
        while not stop:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(left, 0.2))
    except KeyboardInterrupt:
        pass
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _serve_metrics(hostport: str) -> tuple[CanaryExporter, MetricsServer]:
    host, port = parse_hostport(hostport)
    exporter = CanaryExporter()
    try:
        return exporter, serve(exporter.registry, port, host)
    except OSError as exc:
        raise click.BadParameter(f"cannot serve metrics on {hostport}: "
                                 f"{exc.strerror or exc}", param_hint="--serve-metrics") from None


def _cannot_resume(state: dict[str, Any], policy: Any, router: Router) -> str | None:
    """Why the orphan cannot go on (None: it can): another policy, or traffic moved since."""
    if (state.get("policy") or {}).get("digest") != policy.digest:
        return "--resume refused: the policy is not the one the run started with"
    saved = state.get("weights") or {}
    current = router.current()
    if current is None or (current.stable, current.canary) != (saved.get("stable"),
                                                               saved.get("canary")):
        return "--resume refused: the router's weights changed since the run died"
    if not isinstance(state.get("step"), int):
        return "--resume refused: the state has no step to resume at"
    return None


def _resume_point(state: dict[str, Any], canary_policy: CanaryPolicy) -> tuple[int, float]:
    index = int(state["step"]) - 1
    step = canary_policy.steps[index] if 0 <= index < len(canary_policy.steps) else None
    left = state.get("pause_left")
    done = 0.0
    if isinstance(step, PauseStep) and isinstance(left, int | float):
        done = max(0.0, step.seconds - float(left))
    return index, done


def _close_orphan(store: RunStore, orphan: dict[str, Any], reason: str) -> None:
    wall = _iso(time.time())
    if orphan.get("log"):
        with contextlib.suppress(OSError):
            RunStore.append_events(orphan["log"], [
                {"t": None, "wall": wall, "kind": "recovered", "step": orphan.get("step"),
                 "message": reason, "data": {"by": who()}}])
    store.mark(orphan, state="resumed", reason=reason)


def _run_locked(store: RunStore, policy: Any, policies: tuple[str, ...],
                canary_policy: CanaryPolicy, router: Router, metrics: CanaryMetrics | None,
                notifier: Notifier | None, tick: float, as_json: bool, log_file: Path | None,
                opts: dict[str, Any], resume_at: tuple[int, float] | None = None,
                exporter: CanaryExporter | None = None) -> int:
    """Run the flow under the held lock; the run's exit code (an interruption exits here)."""
    display = _Display(sys.stderr)
    store.begin(_router_settings(opts), {"files": [str(Path(p).absolute()) for p in policies],
                                         "digest": policy.digest})

    def on_event(event: Event) -> None:
        store.append(event)
        display.event(event)
        if notifier is not None:
            notifier.event(event, store.run_id or "")
        if exporter is not None:
            exporter.on_event(event)

    def on_tick(status: CanaryStatus) -> None:
        display.status(status)
        store.update(status)
        if exporter is not None:
            exporter.on_tick(status)
            if isinstance(metrics, NginxAccessLog):  # read in the controller's thread
                exporter.on_versions({v: metrics.stats(v) for v in ("stable", "canary")})

    needs_health = any(isinstance(s, HealthCheckStep) for s in canary_policy.steps)
    controller = CanaryController.from_policy(
        policy, GuardedRouter(router, store),
        metrics=metrics if canary_policy.analysis == "rollback" else None,
        health_check=http_health_check(opts["canary_addr"]) if needs_health else None,
        on_event=on_event, control=store.take_commands,
    )
    code: int
    try:
        with terminations_unwind():
            result = controller.run(interval=tick, on_tick=on_tick, resume_at=resume_at)
        code = result.exit_code
    except KeyboardInterrupt as exc:
        result = controller.result()
        code = exit_code(exc)
        display.done()
        store.update(controller.status(), outcome=result.outcome, reason=result.reason,
                     exit_code=code)
        _finish(result, as_json, log_file)
        if notifier is not None:
            notifier.close()
        why = exc.args[0] if isinstance(exc, Terminated) else "interrupted"
        click.echo(f"{why}: all traffic was moved to stable", err=True)
        sys.exit(code)
    display.done()
    store.update(controller.status(), outcome=result.outcome, reason=result.reason,
                 exit_code=code)
    _finish(result, as_json, log_file)
    if notifier is not None:
        notifier.close()
    return code


def _finish(result: CanaryResult, as_json: bool, log_file: Path | None) -> None:
    click.echo(_summary(result), err=True)
    if log_file is not None:
        _write_atomic(log_file, result.to_json() + "\n")
    if as_json:
        click.echo(result.to_json())


@canary.command("rollback")
@_router_options
@click.option("--json", "as_json", is_flag=True, help="print the result as JSON on stdout")
def rollback_cmd(as_json: bool, **opts: Any) -> None:
    """Move ALL traffic to the stable version now, and say how long it took.

    The router's settings (addresses, listen, files) come from the run's state
    when there is one; a running controller records it and ends its run as
    rolled back.  Without a state, --stable and --canary are needed, and the
    listen address is kept from the router's existing file.
    """
    store = RunStore(_state_dir(opts))
    try:
        state = store.read_state()
    except StoreError as exc:
        click.echo(f"scrubphi canary rollback: {exc}", err=True)
        sys.exit(exc.exit_code)
    opts = _with_state(opts, state)
    router = _make_router(opts)
    live = store.live()
    t0 = time.monotonic()
    try:
        if live:
            with store.router_lock():
                store.send("rollback", applied=True)
                router.set_weights(stable=100, canary=0)
        elif state is not None and state.get("state") in ("running", "pending"):
            ok, message = _recover(store, state, opts)
            if not ok:
                raise RouterError(message)
        else:
            with store.router_lock():
                router.set_weights(stable=100, canary=0)
    except RouterError as exc:
        click.echo(f"scrubphi canary rollback: {exc}", err=True)
        sys.exit(exc.exit_code)
    took = time.monotonic() - t0
    click.echo(f"all traffic on stable {opts['stable']} ({took:.3f}s)", err=True)
    if live:
        ended = _await_state(store, lambda st: st.get("state") not in ("running", "pending"),
                             timeout=30.0)
        click.echo("the running controller " + (
            f"ended its run: {ended.get('state')}" if ended else
            "has not confirmed yet (see `scrubphi canary status`)"), err=True)
    if as_json:
        click.echo(json.dumps({"outcome": "rolled_back", "seconds": took,
                               "stable": opts["stable"], "canary": opts["canary_addr"],
                               "listen": opts.get("listen"), "run_was_live": live}))


def _await_state(store: RunStore, done: Callable[[dict[str, Any]], bool],
                 timeout: float) -> dict[str, Any] | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(StoreError):
            state = store.read_state()
            if state is not None and done(state):
                return state
        time.sleep(0.1)
    return None


def _register_report() -> None:
    from scrubphi.cli import canary_ops  # noqa: F401 - registers status, pause, resume...
    from scrubphi.cli.reports import canary_report

    canary.add_command(canary_report)


_register_report()
