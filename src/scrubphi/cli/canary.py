"""``scrubphi canary``: run a canary flow against a load balancer, or roll back now.

A thin click shell over :mod:`scrubphi.canary` (the lead registers the group
on the main command).  ``run`` shows the step, the weights and every rule's
state live on a terminal (and plain event lines otherwise, for CI logs), then
a summary; ``--json`` prints the whole run log as JSON on stdout.
``rollback`` is for a human who wants out now: all traffic to stable, and how
long that took.

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

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import click

from scrubphi.canary.controller import (
    CanaryController,
    CanaryMetrics,
    CanaryResult,
    CanaryStatus,
    Event,
    QueryMetrics,
    http_health_check,
)
from scrubphi.canary.nginxlog import NginxAccessLog
from scrubphi.canary.policy import HealthCheckStep, canary_from_policy
from scrubphi.canary.routers import (
    NginxRouter,
    Router,
    RouterError,
    command_router,
    parse_hostport,
)
from scrubphi.canary.sources import HEALTH_METRIC
from scrubphi.errors import PolicyError, ScrubPhiError
from scrubphi.policy import load_policy, parse_duration
from scrubphi.rollback import rules_from_policy

__all__ = ["canary"]

EXIT_POLICY = 3
EXIT_INTERRUPTED = 130


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


_ROUTER_OPTIONS: list[Callable[[Any], Any]] = [
    click.option("--router", "router_kind", type=click.Choice(["nginx", "command"]),
                 default="nginx", show_default=True, help="which load balancer to drive"),
    click.option("--stable", required=True, callback=_hostport, metavar="HOST:PORT",
                 help="the version serving now (v1)"),
    click.option("--canary", "canary_addr", required=True, callback=_hostport,
                 metavar="HOST:PORT", help="the new version (v2)"),
    click.option("--listen", default="127.0.0.1:8080", show_default=True, callback=_hostport,
                 metavar="HOST:PORT", help="nginx: where clients connect"),
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
]


def _router_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_ROUTER_OPTIONS):
        func = option(func)
    return func


def _make_router(opts: dict[str, Any]) -> Router:
    if opts["router_kind"] == "command":
        if not opts["weights_command"]:
            raise click.UsageError("--router command needs --weights-command 'CMD {stable} ...'")
        return command_router(opts["weights_command"])
    try:
        return NginxRouter(
            stable=opts["stable"], canary=opts["canary_addr"], conf_dir=opts["nginx_conf_dir"],
            listen=opts["listen"], access_log=opts["access_log"],
            mode="split_clients" if opts["sticky_key"] else "weights",
            sticky_key=opts["sticky_key"] or "$remote_addr", nginx=opts["nginx_bin"],
            conf=opts["nginx_conf"], prefix=opts["nginx_prefix"],
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


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


@canary.command("run")
@click.option("--policy", "policies", multiple=True, required=True,
              type=click.Path(exists=False), help="policy file(s) with canary: and rollback:")
@_router_options
@click.option("--metrics", "metrics_kind", type=click.Choice(["nginx-log", "prometheus"]),
              default="nginx-log", show_default=True, help="where the canary's numbers come from")
@click.option("--prometheus-url", help="Prometheus base URL (overrides rollback.sources)")
@click.option("--window", default="60s", show_default=True, callback=_duration,
              help="nginx-log: trailing window for 5xx ratio and p99")
@click.option("--interval", default=None, callback=_duration,
              help="seconds between ticks [default: 1s, or the rules' interval if shorter]")
@click.option("--json", "as_json", is_flag=True, help="print the run log as JSON on stdout")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path),
              help="also write the run log as JSON to this file (atomically)")
def run_cmd(policies: tuple[str, ...], metrics_kind: str, prometheus_url: str | None,
            window: float, interval: float | None, as_json: bool, log_file: Path | None,
            **opts: Any) -> None:
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
    except PolicyError as exc:
        click.echo(f"scrubphi canary: {exc}", err=True)
        sys.exit(EXIT_POLICY)
    display = _Display(sys.stderr)
    needs_health = any(isinstance(s, HealthCheckStep) for s in canary_policy.steps)
    controller = CanaryController.from_policy(
        policy, router, metrics=metrics if canary_policy.analysis == "rollback" else None,
        health_check=http_health_check(opts["canary_addr"]) if needs_health else None,
        on_event=display.event,
    )
    try:
        result = controller.run(interval=tick, on_tick=display.status)
    except KeyboardInterrupt:
        display.done()
        result = controller.result()
        _finish(result, as_json, log_file)
        click.echo("interrupted: all traffic was moved to stable", err=True)
        sys.exit(EXIT_INTERRUPTED)
    display.done()
    _finish(result, as_json, log_file)
    sys.exit(result.exit_code)


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
    """Move ALL traffic to the stable version now, and say how long it took."""
    router = _make_router(opts)
    t0 = time.monotonic()
    try:
        router.set_weights(stable=100, canary=0)
    except RouterError as exc:
        click.echo(f"scrubphi canary rollback: {exc}", err=True)
        sys.exit(exc.exit_code)
    except ScrubPhiError as exc:  # pragma: no cover - routers raise RouterError
        click.echo(f"scrubphi canary rollback: {exc}", err=True)
        sys.exit(exc.exit_code)
    took = time.monotonic() - t0
    click.echo(f"all traffic on stable {opts['stable']} ({took:.3f}s)", err=True)
    if as_json:
        click.echo(json.dumps({"outcome": "rolled_back", "seconds": took,
                               "stable": opts["stable"], "canary": opts["canary_addr"]}))
