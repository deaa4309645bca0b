"""``scrubphi flags``: look at, evaluate, export and move feature flags from the shell.

A thin click shell over :mod:`scrubphi.flags`.  The policy says what each
flag and rollout plan *is*; a state store (``--state``) says where each plan
*stands*.  ``list``, ``eval`` and ``export`` only read; ``phase --set`` is the
one command that changes anything, and it does so through the store's move
transaction, so the move lands in the plan's history (the audit log) with
who did it and why.

The group is a plain ``click.group``; the main command registers it with
``main.add_command(flags)``.  It does not import :mod:`scrubphi.cli` (which
imports this module), so the exit codes below repeat the main command's
values.

Exit codes (the main command's, plus 8 and 9):

====  ==============================================================
0     success (``eval`` exits 0 whether the flag is on or off)
1     unexpected internal error (a bug: please report it)
2     usage error (bad options, a malformed ``--context`` or ``--state``)
3     policy error (invalid YAML or flag section: file:line:column)
6     the state store cannot be read or written (database down, bad file)
8     unknown flag, rollout plan or phase
9     state conflict: someone else moved the plan (``--expect-version``)
130   interrupted (143 SIGTERM, 129 SIGHUP: the same cleanup)
====  ==============================================================
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import socket
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NoReturn

import click

from ..errors import PolicyError, ScrubPhiError
from ..flags import FlagClient, RolloutPlan, compile_policy
from ..flags.constraints import BUILTIN_CONTEXT_FIELDS
from ..flags.operate import UnknownName, find_plan, move_phase, phase_index, phase_name
from ..flags.policy import CompiledFlags
from ..flags.state import (
    FileStateStore,
    PostgresStateStore,
    StateConflict,
    StateStore,
    StateStoreError,
)
from ..policy import load_policy
from ..policy.model import Policy
from .signals import Terminated, exit_code

__all__ = ["EXIT_CODES", "EXIT_CONFLICT", "EXIT_UNKNOWN", "flags", "parse_state"]

EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_POLICY = 3
EXIT_IO = 6
EXIT_UNKNOWN = 8
EXIT_CONFLICT = 9
EXIT_INTERRUPTED = 130

EXIT_CODES = {
    "internal": EXIT_INTERNAL,
    "usage": EXIT_USAGE,
    "policy": EXIT_POLICY,
    "state": EXIT_IO,
    "unknown": EXIT_UNKNOWN,
    "conflict": EXIT_CONFLICT,
    "interrupted": EXIT_INTERRUPTED,
}


_Unknown = UnknownName  # a flag, plan or phase the policy does not define (exit 8)


# --------------------------------------------------------------------------
# Shared plumbing
# --------------------------------------------------------------------------


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"scrubphi: error: {message}", err=True)
    sys.exit(code)


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """Map library errors to exit codes; an unexpected one names only its type."""
    try:
        yield
    except click.ClickException:
        raise
    except PolicyError as exc:
        _fail(f"policy: {exc}", EXIT_POLICY)
    except StateConflict as exc:
        _fail(f"state conflict: {exc}", EXIT_CONFLICT)
    except StateStoreError as exc:
        _fail(f"state store: {exc}", EXIT_IO)
    except ScrubPhiError as exc:
        _fail(str(exc), exc.exit_code)
    except OSError as exc:
        _fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), EXIT_IO)
    except Terminated as exc:
        _fail(f"terminated by {exc}", exit_code(exc))
    except KeyboardInterrupt:
        _fail("interrupted", EXIT_INTERRUPTED)
    except Exception as exc:
        if os.environ.get("SCRUBPHI_DEBUG"):
            raise
        _fail(
            f"internal error ({type(exc).__name__}); set SCRUBPHI_DEBUG=1 to see the traceback",
            EXIT_INTERNAL,
        )


def parse_state(spec: str, *, table: str | None = None) -> StateStore:
    """A state store from a ``--state`` value.

    ``file:PATH`` is a :class:`FileStateStore`; ``postgresql://...`` or
    ``postgres://...`` (a libpq URI) and ``postgres:KEY=VALUE ...`` (a libpq
    key/value string) are a :class:`PostgresStateStore`; ``env:NAME`` reads
    one of those from an environment variable, which keeps a database
    password off the command line and out of the shell history.  Raises
    ``click.BadParameter`` for anything else.
    """
    if spec.startswith("env:"):
        name = spec[4:]
        value = os.environ.get(name)
        if not name or not value:
            raise click.BadParameter(
                f"the environment variable {name or '(empty name)'} is not set",
                param_hint="--state",
            )
        if value.startswith("env:"):
            raise click.BadParameter("env: may not point at another env:", param_hint="--state")
        return parse_state(value, table=table)
    options: dict[str, Any] = {} if table is None else {"table": table}
    if spec.startswith(("postgresql://", "postgres://")):
        # Read on every call: a CLI run is short and must see the latest move.
        return PostgresStateStore(spec, revalidate_ms=0, **options)
    if spec.startswith("postgres:") and spec[9:].strip():
        return PostgresStateStore(spec[9:], revalidate_ms=0, **options)
    if spec.startswith("file:") and spec[5:]:
        if table is not None:
            raise click.BadParameter("--state-table is for PostgreSQL stores", param_hint="--state")
        return FileStateStore(spec[5:])
    raise click.BadParameter(
        "expected file:PATH, postgresql://..., postgres:KEY=VALUE... or env:NAME",
        param_hint="--state",
    )


def _describe_state(spec: str | None) -> str | None:
    """The kind of store, never its DSN (which may hold a password)."""
    if spec is None:
        return None
    if spec.startswith("file:"):
        return spec
    if spec.startswith("env:"):
        return spec
    return "postgres"


@contextlib.contextmanager
def _store(spec: str | None, table: str | None) -> Iterator[StateStore | None]:
    if spec is None:
        if table is not None:
            raise click.UsageError("--state-table needs --state")
        yield None
        return
    store = parse_state(spec, table=table)
    try:
        yield store
    finally:
        close = getattr(store, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):
                close()


class _AssumedState:
    """A store's answers with some plans pinned to a phase (``--phase PLAN=PHASE``)."""

    def __init__(self, base: StateStore | None, pinned: Mapping[str, int]) -> None:
        self._base = base
        self._pinned = dict(pinned)

    def phase(self, plan_name: str, /) -> int | None:
        if plan_name in self._pinned:
            return self._pinned[plan_name]
        return self._base.phase(plan_name) if self._base is not None else None


def _load(policies: Sequence[str]) -> tuple[Policy, CompiledFlags]:
    if not policies:
        raise click.UsageError("-c/--config is required (a policy file or folder; may repeat)")
    policy = load_policy(*policies)
    return policy, compile_policy(policy)


_plan = find_plan
_phase_index = phase_index


def _pins(compiled: CompiledFlags, values: Sequence[str]) -> dict[str, int]:
    pins: dict[str, int] = {}
    for value in values:
        plan_name, sep, phase_name = value.partition("=")
        if not sep or not plan_name or not phase_name:
            raise click.BadParameter(f"expected PLAN=PHASE, got {value!r}", param_hint="--phase")
        plan = _plan(compiled, plan_name)
        pins[plan_name] = _phase_index(plan, phase_name)
    return pins


def _context(pairs: Sequence[str]) -> dict[str, Any]:
    """``key=value`` pairs as an Unleash context: known fields on top, others in properties."""
    ctx: dict[str, Any] = {}
    props: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise click.BadParameter(
                "expected key=value (e.g. userId=42 or email=dr@clinic.example)",
                param_hint="--context",
            )
        if key.startswith("properties."):
            key = key[len("properties.") :]
            if not key:
                raise click.BadParameter("expected properties.NAME=value", param_hint="--context")
            props[key] = value
        elif key in BUILTIN_CONTEXT_FIELDS:
            ctx[key] = value
        else:
            props[key] = value
    if props:
        ctx["properties"] = props
    return ctx


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _default_actor() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} (scrubphi flags phase)"


def _policy_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-p",
        "--policy",
        "-c",
        "--config",
        "policies",
        multiple=True,
        metavar="FILE",
        help="Policy file or folder (repeat to merge several).",
    )(func)


def _state_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--state-table",
        metavar="NAME",
        help="Table name prefix of a PostgreSQL store (default scrubphi_rollout).",
    )(func)
    return click.option(
        "--state",
        "state_spec",
        metavar="file:PATH|postgresql://...|env:NAME",
        help="Where the rollout plans stand; without it every plan counts as not started.",
    )(func)


def _pin_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--phase",
        "pins",
        multiple=True,
        metavar="PLAN=PHASE",
        help="Evaluate as if PLAN were in PHASE (overrides --state for that plan; repeatable).",
    )(func)


def _json_out(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=False, default=str))


# --------------------------------------------------------------------------
# The group
# --------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def flags() -> None:
    """Feature flags: list them, explain a decision, export them, move a rollout phase.

    \b
        scrubphi flags list -p flags/flags.yaml --state file:/var/lib/app/rollouts.json
        scrubphi flags eval new-scheduling -p flags/flags.yaml --context userId=42
        scrubphi flags phase staged-release -p flags/flags.yaml --state env:ROLLOUT_DB \\
            --set five --reason "internal week clean"

    Exit codes: 0 ok, 2 usage, 3 policy, 6 state store, 8 unknown flag, plan
    or phase, 9 state conflict.
    """


# -- list ----------------------------------------------------------------------


def _strategy_summary(raw: Mapping[str, Any]) -> str:
    params = raw.get("parameters") or {}
    parts = [str(raw.get("name"))]
    parts.extend(f"{k}={v}" for k, v in params.items())
    constraints = raw.get("constraints") or []
    if constraints:
        parts.append(f"{len(constraints)} constraint{'s' if len(constraints) != 1 else ''}")
    segments = [str(s) for s in raw.get("segments") or []]
    if segments:
        parts.append("segment " + ", ".join(segments))
    variants = raw.get("variants") or []
    if variants:
        parts.append("variants " + ", ".join(str(v.get("name")) for v in variants))
    return " ".join(parts)


def _plan_json(plan: RolloutPlan) -> list[dict[str, Any]]:
    return [
        {
            "name": p.name,
            "index": p.index,
            "audience": p.audience,
            "percent": p.percent,
            "min_duration_s": p.min_duration,
            "proceed_when": dict(p.proceed_when),
        }
        for p in plan.phases
    ]


@flags.command(name="list")
@_policy_option
@_state_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def list_flags(
    policies: tuple[str, ...], state_spec: str | None, state_table: str | None, as_json: bool
) -> None:
    """Every flag: on or off, and its plan and current phase, or its strategies."""
    with _errors(), _store(state_spec, state_table) as store:
        _policy, compiled = _load(policies)
        segment_names = {number: name for name, number in compiled.segment_ids.items()}
        entries: list[dict[str, Any]] = []
        for feature in compiled.document["features"]:
            name = feature["name"]
            entry: dict[str, Any] = {
                "name": name,
                "enabled": feature["enabled"],
                "type": feature.get("type"),
                "description": feature.get("description"),
                "plan": None,
                "strategies": [
                    {
                        **s,
                        "segments": [segment_names.get(i, i) for i in s.get("segments") or []],
                    }
                    for s in feature.get("strategies") or []
                ],
                "variants": [v["name"] for v in feature.get("variants") or []],
                "dependencies": list(feature.get("dependencies") or []),
            }
            binding = compiled.bindings.get(name)
            if binding is not None:
                plan = compiled.plans[binding.plan]
                state = store.get(plan.name) if store is not None else None
                index = state.phase if state is not None else None
                if index is not None and not 0 <= index < len(plan.phases):
                    index = None  # an index the plan does not have: the flag is off
                entry["plan"] = {
                    "name": plan.name,
                    "phase": plan.phases[index].name if index is not None else None,
                    "phase_index": index,
                    "started_at": _iso(state.started_at) if state is not None else None,
                    "version": state.version if state is not None else 0,
                    "stickiness": plan.stickiness,
                    "phases": _plan_json(plan),
                }
                del entry["strategies"]
            entries.append(entry)
        if as_json:
            _json_out({"state": _describe_state(state_spec), "flags": entries})
            return
        if not entries:
            click.echo("no flags in the policy")
            return
        for entry in entries:
            switch = "enabled" if entry["enabled"] else "disabled (enabled: false)"
            click.echo(f"{entry['name']}: {switch}")
            if entry["description"]:
                click.echo(f"  {entry['description']}")
            plan_info = entry["plan"]
            if plan_info is not None:
                phases = plan_info["phases"]
                if plan_info["phase"] is None:
                    where = "not started: the flag is off"
                    if store is None:
                        where += " (no --state given)"
                else:
                    where = (
                        f"phase {plan_info['phase']} ({plan_info['phase_index'] + 1} of "
                        f"{len(phases)}) since {plan_info['started_at']}"
                    )
                click.echo(f"  plan {plan_info['name']}: {where}")
                steps = " -> ".join(
                    p["name"]
                    + (f" ({p['percent']}%)" if p["percent"] is not None else "")
                    + (f" [{p['audience']}]" if p["audience"] is not None else "")
                    for p in phases
                )
                click.echo(f"  phases: {steps}")
            else:
                strategies = entry["strategies"]
                if not strategies:
                    click.echo("  no strategies: on for everyone when enabled")
                for number, raw in enumerate(strategies, start=1):
                    click.echo(f"  {number}. {_strategy_summary(raw)}")
            if entry["variants"]:
                click.echo(f"  variants: {', '.join(entry['variants'])}")
            for dep in entry["dependencies"]:
                want = "on" if dep.get("enabled", True) else "off"
                click.echo(f"  depends on {dep['feature']} being {want}")


# -- eval ------------------------------------------------------------------------


def _constraint_text(entry: Mapping[str, Any]) -> str:
    operand = json.dumps(entry["values"] if "values" in entry else entry.get("value"))
    flags_text = "".join(f" {name}" for name in ("inverted", "caseInsensitive") if entry.get(name))
    where = f" (segment {entry['segment']})" if "segment" in entry else ""
    missing = "" if entry.get("present") else " [not in the context]"
    verdict = "true" if entry["result"] else "false"
    return (
        f"{entry['context']} {entry['operator']} {operand}{flags_text}{where}{missing}: {verdict}"
    )


@flags.command(name="eval")
@click.argument("name")
@_policy_option
@_state_options
@_pin_option
@click.option(
    "--context",
    "pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="A context field (userId, sessionId, remoteAddress, ... or any property); repeat.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
def eval_flag(
    name: str,
    policies: tuple[str, ...],
    state_spec: str | None,
    state_table: str | None,
    pins: tuple[str, ...],
    pairs: tuple[str, ...],
    as_json: bool,
) -> None:
    """Evaluate flag NAME for a context and say why it is on or off.

    Prints the result, the variant, and what decided: the rollout phase, the
    strategy that matched (with the user's bucket for a percentage), or the
    constraint or segment that failed. Exit 0 whether the flag is on or off.
    The evaluation is not counted as an exposure.
    """
    with _errors(), _store(state_spec, state_table) as store:
        policy, compiled = _load(policies)
        ctx = _context(pairs)
        pinned = _pins(compiled, pins)
        state = _AssumedState(store, pinned) if pinned else store
        client = FlagClient.from_policy(policy, state=state)
        if name not in client.feature_names():
            known = ", ".join(client.feature_names()) or "none"
            raise _Unknown(f"unknown flag {name!r}; the policy defines: {known}")
        result = client.explain(name, ctx)
        if as_json:
            _json_out(result)
            return
        click.echo(f"{name}: {'on' if result['enabled'] else 'off'}")
        variant = result["variant"]
        payload = f" payload {json.dumps(variant['payload'])}" if "payload" in variant else ""
        note = ""
        if variant["name"] == "disabled" and variant.get("feature_enabled"):
            note = " (the flag is on and has no variant for this context)"
        click.echo(f"variant: {variant['name']}{payload}{note}")
        click.echo(f"why: {result['reason']}")
        choice = result.get("variant_choice")
        if choice is not None:
            if "override" in choice:
                how = f"override on {choice['override']}"
            elif "bucket" in choice:
                how = (
                    f"bucket {choice['bucket']} of {choice['total_weight']} "
                    f"(stickiness {choice['stickiness']})"
                )
            else:
                how = f"random (stickiness {choice['stickiness']} not in the context)"
            click.echo(f"variant chosen by: {choice['source']} variants, {how}")
        for dep in result["dependencies"]:
            want = "on" if dep["enabled"] else "off"
            click.echo(f"dependency: {dep['feature']} {want}: {'met' if dep['met'] else 'not met'}")
        for trace in result["strategies"]:
            params = " ".join(f"{k}={v}" for k, v in trace["parameters"].items())
            head = f"  {trace['index'] + 1}. {trace['name']}{' ' + params if params else ''}"
            if not trace["evaluated"]:
                click.echo(f"{head}: not reached")
                continue
            verdict = "matched" if trace["result"] else "no"
            detail = f" ({trace['detail']})" if trace.get("detail") else ""
            click.echo(f"{head}: {verdict}{detail}")
            for constraint in trace["constraints"]:
                click.echo(f"       {_constraint_text(constraint)}")


# -- export ------------------------------------------------------------------------


@flags.command(name="export")
@_policy_option
@_state_options
@_pin_option
@click.option(
    "-o",
    "--output",
    "output",
    metavar="FILE",
    help="Write the document here, atomically (default: stdout).",
)
def export_flags(
    policies: tuple[str, ...],
    state_spec: str | None,
    state_table: str | None,
    pins: tuple[str, ...],
    output: str | None,
) -> None:
    """The flags as an Unleash /api/client/features document, as they stand now.

    A flag that follows a plan is written with the strategies of the plan's
    current phase, and as enabled: false when the plan has not started.
    """
    with _errors(), _store(state_spec, state_table) as store:
        policy, compiled = _load(policies)
        pinned = _pins(compiled, pins)
        state = _AssumedState(store, pinned) if pinned else store
        document = FlagClient.from_policy(policy, state=state).to_unleash()
        text = json.dumps(document, indent=2) + "\n"
        if output is None or output == "-":
            click.echo(text, nl=False)
            return
        with click.open_file(output, "w", encoding="utf-8", atomic=True) as fh:
            fh.write(text)


# -- phase ------------------------------------------------------------------------


_phase_name = phase_name


@flags.command(name="phase")
@click.argument("plan_name", metavar="PLAN")
@_policy_option
@_state_options
@click.option("--set", "target", metavar="NAME", help="Move the plan to the phase called NAME.")
@click.option("--stop", is_flag=True, help="Stop the plan: no phase is live, its flags are off.")
@click.option("--reason", metavar="TEXT", help="Why (required with --set/--stop: the audit log).")
@click.option("--actor", metavar="WHO", help="Who moves it (default: user@host).")
@click.option(
    "--expect-version",
    type=click.IntRange(min=0),
    metavar="N",
    help="Move only if the plan is still at version N (exit 9 otherwise).",
)
@click.option("--history", "show_history", is_flag=True, help="Show every move of the plan.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def phase_cmd(
    plan_name: str,
    policies: tuple[str, ...],
    state_spec: str | None,
    state_table: str | None,
    target: str | None,
    stop: bool,
    reason: str | None,
    actor: str | None,
    expect_version: int | None,
    show_history: bool,
    as_json: bool,
) -> None:
    """Show where rollout PLAN stands, or move it to another phase.

    \b
        scrubphi flags phase staged-release -p flags/ --state file:rollouts.json
        scrubphi flags phase staged-release -p flags/ --state file:rollouts.json \\
            --set five --reason "internal: 3 days, no errors" --actor alice
        scrubphi flags phase staged-release -p flags/ --state env:ROLLOUT_DB --history

    The move is one transaction of the state store and is recorded in the
    plan's history with the actor and the reason. Moving to the phase the
    plan is in changes and records nothing. Gates are not checked here: this
    is the operator's manual move.
    """
    with _errors():
        if target is not None and stop:
            raise click.UsageError("give --set NAME or --stop, not both")
        moving = target is not None or stop
        if moving and (reason is None or not reason.strip()):
            raise click.UsageError("--reason is required to move a plan (it is the audit log)")
        if not moving and (reason is not None or actor is not None or expect_version is not None):
            raise click.UsageError("--reason, --actor and --expect-version go with --set or --stop")
        if state_spec is None:
            raise click.UsageError("--state is required (file:PATH, postgresql://... or env:NAME)")
        with _store(state_spec, state_table) as store:
            assert store is not None
            _policy, compiled = _load(policies)
            plan = _plan(compiled, plan_name)
            result: dict[str, Any] = {"plan": plan.name}
            if moving:
                move = move_phase(
                    store,
                    plan,
                    None if stop else target,
                    actor=actor or _default_actor(),
                    reason=reason or "",
                    expected_version=expect_version,
                )
                before, after, changed = move.before, move.after, move.changed
                result["moved"] = changed
                result["from"] = _phase_name(plan, before.phase) if before.version else None
                if not as_json:
                    if not changed:
                        click.echo(
                            f"{plan.name} is already in {_phase_name(plan, after.phase)}; "
                            "nothing recorded"
                        )
                    else:
                        click.echo(
                            f"{plan.name}: {_phase_name(plan, before.phase)} -> "
                            f"{_phase_name(plan, after.phase)} (version {after.version})"
                        )
                        if move.skipped:
                            skipped = ", ".join(move.skipped)
                            click.echo(
                                f"note: skipped phase(s) {skipped}; their gates were not checked",
                                err=True,
                            )
            state = store.get(plan.name)
            result.update(
                {
                    "phase": None if state.phase is None else _phase_name(plan, state.phase),
                    "phase_index": state.phase,
                    "started_at": _iso(state.started_at),
                    "version": state.version,
                    "phases": [p.name for p in plan.phases],
                }
            )
            events = store.history(plan.name) if show_history else []
            if show_history:
                result["history"] = [
                    {
                        "at": _iso(e.at),
                        "from": None if e.from_phase is None else _phase_name(plan, e.from_phase),
                        "to": None if e.to_phase is None else _phase_name(plan, e.to_phase),
                        "actor": e.actor,
                        "reason": e.reason,
                    }
                    for e in events
                ]
            if as_json:
                _json_out(result)
                return
            if not moving:
                where = _phase_name(plan, state.phase)
                since = f" since {_iso(state.started_at)}" if state.started_at else ""
                click.echo(f"{plan.name}: {where}{since} (version {state.version})")
                click.echo(f"phases: {' -> '.join(p.name for p in plan.phases)}")
            if show_history:
                if not events:
                    click.echo("history: no moves yet")
                for e in events:
                    click.echo(
                        f"{_iso(e.at)}  {_phase_name(plan, e.from_phase)} -> "
                        f"{_phase_name(plan, e.to_phase)}  by {e.actor}: {e.reason}"
                    )


def _register_history() -> None:
    from scrubphi.cli.reports import _history_command

    flags.add_command(_history_command())


_register_history()
