"""``scrubphi canary status|pause|resume|promote|abort``: operating a running canary.

The other half of the ``canary`` group (:mod:`scrubphi.cli.canary` starts a run
and rolls back): these commands talk to the controller of a run that is live,
through its state folder (:class:`~scrubphi.canary.store.RunStore`): ``status``
reads the state it writes, the others append a command to its inbox and wait
up to 30 s for the controller to confirm it in its log, as Argo Rollouts'
``kubectl argo rollouts promote|abort|pause``.  Exit 16 when no run is
recorded or live.  Registered on the group when :mod:`scrubphi.cli.canary` is
imported.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from scrubphi.canary.store import RunStore, StoreError
from scrubphi.cli.canary import (
    _STATE_DIR_OPTION,
    EXIT_NO_RUN,
    _await_state,
    _state_dir,
    canary,
)

__all__ = ["abort_cmd", "pause_cmd", "promote_cmd", "resume_cmd", "status_cmd"]


_STATE_ONLY: list[Callable[[Any], Any]] = [
    click.option("--nginx-conf-dir", type=click.Path(file_okay=False, path_type=Path),
                 default=Path("/etc/nginx/conf.d"), show_default=True,
                 help="the router's folder (the state lives there by default)"),
    _STATE_DIR_OPTION,
]


def _state_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_STATE_ONLY):
        func = option(func)
    return func


def _status_text(state: dict[str, Any], live: bool) -> str:
    weights = state.get("weights") or {}
    lines = [
        f"run {state.get('run_id')}: {state.get('state')}"
        + ("" if live or state.get("state") not in ("running", "pending")
           else " (its controller is gone: `scrubphi canary rollback` or run again)")
        + (f" - {state['reason']}" if state.get("reason") else ""),
        f"  step {state.get('step') or '-'}/{state.get('steps')}: {state.get('step_text')}"
        + (f", {state['pause_left']:.0f}s of conclusive time left"
           if state.get("pause_left") is not None else ""),
        f"  traffic: stable {weights.get('stable', '?')}% canary {weights.get('canary', '?')}%",
        f"  analysis: {state.get('analysis') or '-'}"
        + (f"; {state['hold']}" if state.get("hold") else ""),
    ]
    if state.get("paused"):
        lines.append(f"  PAUSED: {state['paused']}")
    for rule in state.get("rules") or ():
        lines.append(f"  rule {rule.get('name')}: {rule.get('state')}, {rule.get('metric')} = "
                     f"{rule.get('value')} (rolls back when {rule.get('threshold')})")
    lines.append(f"  log: {state.get('log')}  (updated {state.get('updated')})")
    return "\n".join(lines)


@canary.command("status")
@_state_options
@click.option("--watch", is_flag=True, help="redraw every second until the run ends")
@click.option("--json", "as_json", is_flag=True, help="the state as JSON")
def status_cmd(watch: bool, as_json: bool, **opts: Any) -> None:
    """Where the canary run stands: step, weights, each rule against its threshold, time left."""
    store = RunStore(_state_dir(opts))
    while True:
        try:
            state = store.read_state()
        except StoreError as exc:
            click.echo(f"scrubphi canary status: {exc}", err=True)
            sys.exit(exc.exit_code)
        if state is None:
            click.echo(f"scrubphi canary status: no canary run recorded in {store.dir}", err=True)
            sys.exit(EXIT_NO_RUN)
        live = store.live()
        if as_json:
            click.echo(json.dumps({**state, "live": live}, sort_keys=False))
        else:
            click.echo(_status_text(state, live))
        if not watch or state.get("state") not in ("running", "pending"):
            return
        time.sleep(1.0)


def _send(opts: dict[str, Any], command: str, **details: Any) -> None:
    store = RunStore(_state_dir(opts))
    if not store.live():
        click.echo(f"scrubphi canary {command.replace('_', ' ')}: no canary run is live in "
                   f"{store.dir}", err=True)
        sys.exit(EXIT_NO_RUN)
    entry = store.send(command, **details)

    def obeyed(state: dict[str, Any]) -> bool:
        return state.get("state") not in ("running", "pending") or _seen(state, entry["id"])

    state = _await_state(store, obeyed, timeout=30.0)
    if state is None:
        click.echo(f"sent {command}; the controller has not confirmed it within 30s", err=True)
        sys.exit(EXIT_NO_RUN)
    click.echo(f"{command.replace('_', ' ')}: done; run {state.get('state')}, "
               f"step {state.get('step') or '-'}: {state.get('step_text')}"
               + (f", {state['paused']}" if state.get("paused") else ""), err=True)


def _seen(state: dict[str, Any], command_id: str) -> bool:
    log = state.get("log")
    if not log:
        return False
    try:
        with open(log, encoding="utf-8") as fh:
            return any(command_id in line for line in fh if '"command"' in line)
    except OSError:
        return False


@canary.command("pause")
@_state_options
def pause_cmd(**opts: Any) -> None:
    """Hold the running canary where it is (the rules still watch and can still roll back)."""
    _send(opts, "pause")


@canary.command("resume")
@_state_options
def resume_cmd(**opts: Any) -> None:
    """Let a paused canary go on."""
    _send(opts, "resume")


@canary.command("promote")
@_state_options
@click.option("--full", is_flag=True, help="skip every remaining step: 100% to the canary now")
def promote_cmd(full: bool, **opts: Any) -> None:
    """Skip the current step (or, with --full, all of them), as Argo Rollouts' promote."""
    _send(opts, "promote_full" if full else "promote")


@canary.command("abort")
@_state_options
def abort_cmd(**opts: Any) -> None:
    """Roll the running canary back now and end it as aborted (exit 14)."""
    _send(opts, "abort")
