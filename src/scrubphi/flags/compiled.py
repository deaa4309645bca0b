"""A features document compiled into immutable objects, ready to evaluate.

:class:`FeatureCompiler` turns one raw flag of an Unleash features document
(with its segments, and the :class:`PhaseBinding` of a flag that follows a
rollout plan) into a frozen ``_Feature``: its strategies become closures
(``check``) and compiled constraints, its variants and dependencies plain
tuples.  What cannot be evaluated faithfully is decided here, as Yggdrasil
does: an unknown operator or a missing segment makes the whole flag off, an
unknown strategy or a REGEX Rust would reject makes only its strategy false
(kept, with the reason, for ``explain``).

Why apart from :mod:`scrubphi.flags.evaluator`: compiling runs once per
document, evaluating on every request; the evaluator reads these objects and
never builds them, and ``explain`` and ``export`` read them too.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scrubphi.flags.constraints import (
    Constraint,
    RefusedPattern,
    UnsupportedConstraint,
    compile_constraint,
    context_value,
    ip_in,
    parse_ip_networks,
    parse_number,
)
from scrubphi.flags.murmur import STRATEGY_SEED, normalized_hash

__all__ = ["Context", "CustomStrategy", "FeatureCompiler", "PhaseBinding"]

Context = Mapping[str, Any]
#: A custom strategy: ``(parameters, context) -> bool``.
CustomStrategy = Callable[[Mapping[str, Any], Context], bool]

#: Random stickiness draws a number from 1 to this, as Unleash's SDKs do.
RANDOM_MAX = 10_000
ALL_DISABLED = "every strategy of the flag is disabled"


class _Unsupported(Exception):
    """A strategy or flag that cannot be evaluated: the flag is off."""


class _UnknownStrategy(Exception):
    """A strategy nobody registered: that strategy is false, the others still count."""


# --------------------------------------------------------------------------
# Compiled objects
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Override:
    field: str
    values: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Variant:
    name: str
    weight: int
    payload: Mapping[str, Any] | None
    stickiness: str | None
    overrides: tuple[_Override, ...]


@dataclass(frozen=True, slots=True)
class _Strategy:
    check: Callable[[Context], bool]
    constraints: tuple[Constraint, ...]
    variants: tuple[_Variant, ...]
    group_id: str
    stickiness: str | None
    # What the strategy was compiled from, for explain(): its name and
    # parameters, and each constraint's raw object with the id of the segment
    # it came from (None for the strategy's own), in evaluation order.
    name: str = ""
    parameters: Mapping[str, Any] = field(default_factory=dict)
    sources: tuple[tuple[Mapping[str, Any], Any], ...] = ()
    # Why the strategy is always false (unknown strategy, refused REGEX, all disabled).
    broken: str | None = None


@dataclass(frozen=True, slots=True)
class _Dependency:
    feature: str
    enabled: bool
    variants: frozenset[str]


@dataclass(frozen=True, slots=True)
class PhaseBinding:
    """A flag that follows a rollout plan: one compiled strategy list per phase."""

    plan: str
    phase_names: tuple[str, ...]
    raw_phases: tuple[tuple[Mapping[str, Any], ...], ...]


@dataclass(frozen=True, slots=True)
class _Feature:
    name: str
    enabled: bool
    # None when the flag cannot be evaluated (it is then always off).
    strategies: tuple[_Strategy, ...] | None
    variants: tuple[_Variant, ...]
    dependencies: tuple[_Dependency, ...]
    binding: PhaseBinding | None
    phases: tuple[tuple[_Strategy, ...] | None, ...]


@dataclass(frozen=True, slots=True)
class _Snapshot:
    features: Mapping[str, _Feature]
    raw_features: Mapping[str, Mapping[str, Any]]
    segments: Mapping[Any, Mapping[str, Any]]
    version: int


# --------------------------------------------------------------------------
# The compiler
# --------------------------------------------------------------------------


class FeatureCompiler:
    """Compiles raw flags for one client: its random source, host name and custom strategies.

    Strategies close over these (``gradualRolloutRandom`` draws from
    ``randint``, ``applicationHostname`` compares ``hostname``), so a client
    keeps one compiler and compiles every document it installs with it.
    """

    def __init__(
        self,
        randint: Callable[[int, int], int],
        hostname: str,
        custom: Mapping[str, CustomStrategy],
    ) -> None:
        self._randint = randint
        self._hostname = hostname
        self._custom = custom


    def compile_feature(
        self,
        raw: Mapping[str, Any],
        segments: Mapping[Any, Mapping[str, Any]],
        binding: PhaseBinding | None,
    ) -> _Feature:
        """One raw flag compiled; a malformed variant or dependency gives a flag always off."""
        name = str(raw["name"])
        try:
            variants = _compile_variants(raw.get("variants") or [])
            deps = tuple(
                _Dependency(
                    feature=str(d["feature"]),
                    enabled=bool(d.get("enabled", True)),
                    variants=frozenset(str(v) for v in d.get("variants") or []),
                )
                for d in raw.get("dependencies") or []
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            # A malformed variant or dependency: the flag cannot be evaluated.
            return _Feature(name, False, None, (), (), binding, ())
        phases: tuple[tuple[_Strategy, ...] | None, ...] = ()
        if binding is not None:
            phases = tuple(self._strategies(name, p, segments) for p in binding.raw_phases)
        return _Feature(
            name=name,
            enabled=bool(raw.get("enabled", False)),
            strategies=self._strategies(name, raw.get("strategies") or [], segments),
            variants=variants,
            dependencies=deps,
            binding=binding,
            phases=phases,
        )

    def _strategies(
        self,
        flag: str,
        raws: Iterable[Mapping[str, Any]],
        segments: Mapping[Any, Mapping[str, Any]],
    ) -> tuple[_Strategy, ...] | None:
        raws = list(raws)
        try:
            active = [raw for raw in raws if not raw.get("disabled", False)]
            if raws and not active:
                # Unleash shows a flag whose every strategy is disabled as off.
                return (_off_strategy(raws[0], ALL_DISABLED),)
            return tuple(self._strategy(flag, raw, segments) for raw in active)
        except (_Unsupported, UnsupportedConstraint, KeyError, TypeError, ValueError):
            return None

    def _strategy(
        self, flag: str, raw: Mapping[str, Any], segments: Mapping[Any, Mapping[str, Any]]
    ) -> _Strategy:
        params: Mapping[str, Any] = raw.get("parameters") or {}
        sources: list[tuple[Mapping[str, Any], Any]] = [
            (c, None) for c in raw.get("constraints") or []
        ]
        for segment_id in raw.get("segments") or []:
            segment = segments.get(segment_id)
            if segment is None:
                raise _Unsupported("missing segment")
            sources.extend((c, segment_id) for c in segment.get("constraints") or [])
        group_id = _param(params, "groupId") or flag
        stickiness = _param(params, "stickiness")
        name = str(raw.get("name"))
        # Yggdrasil: an unknown operator or a missing segment turns the whole flag off
        # (raised from here), an unknown strategy or a refused REGEX only this strategy.
        try:
            constraints = [compile_constraint(c) for c, _segment in sources]
            check = self._check(name, params, group_id)
        except RefusedPattern:
            return _off_strategy(raw, "a REGEX constraint is refused by Rust's regex crate")
        except _UnknownStrategy:
            return _off_strategy(raw, f"unknown strategy {name!r} (not registered)")
        return _Strategy(
            check=check,
            constraints=tuple(constraints),
            variants=_compile_variants(raw.get("variants") or []),
            group_id=group_id,
            stickiness=stickiness,
            name=name,
            parameters=copy.deepcopy(dict(params)),
            sources=tuple((copy.deepcopy(dict(c)), seg) for c, seg in sources),
        )

    def _check(
        self, name: str, params: Mapping[str, Any], group_id: str
    ) -> Callable[[Context], bool]:
        randint = self._randint
        if name == "default":
            return _always
        if name == "userWithId":
            ids = frozenset(s.strip() for s in (_param(params, "userIds") or "").split(","))
            return lambda ctx: context_value(ctx, "userId") in ids
        if name in ("gradualRolloutUserId", "gradualRolloutSessionId"):
            field = "userId" if name == "gradualRolloutUserId" else "sessionId"
            maybe = _percent(params, "percentage")
            group = _param(params, "groupId")
            if maybe is None or group is None:
                return _never
            share = maybe

            def gradual(ctx: Context) -> bool:
                ident = context_value(ctx, field)
                return ident is not None and share > 0 and normalized_hash(ident, group) <= share

            return gradual
        if name == "gradualRolloutRandom":
            maybe = _percent(params, "percentage")
            if maybe is None:
                return _never
            chance = maybe
            return lambda ctx: chance > 0 and randint(1, 100) <= chance
        if name == "flexibleRollout":
            maybe = _percent(params, "rollout")
            stickiness = _param(params, "stickiness") or "default"
            if maybe is None:
                return _never
            pct = maybe

            if pct <= 0:
                return _never
            if stickiness not in ("default", "random"):
                field_name = stickiness

                def sticky(ctx: Context) -> bool:
                    # context_value inlined: this is the hot path of every rollout.
                    ident = ctx.get(field_name)
                    if ident is None:
                        props = ctx.get("properties")
                        if props:
                            ident = props.get(field_name)
                        if ident is None:
                            return False
                    if ident.__class__ is not str:  # rare: stringify as Unleash does
                        ident = context_value(ctx, field_name) or ""
                    return normalized_hash(ident, group_id, 100, STRATEGY_SEED) <= pct

                return sticky

            def flexible(ctx: Context) -> bool:
                if stickiness == "default":
                    ident = context_value(ctx, "userId") or context_value(ctx, "sessionId")
                    if ident is None:
                        ident = str(randint(1, RANDOM_MAX))
                else:
                    ident = str(randint(1, RANDOM_MAX))
                return normalized_hash(ident, group_id, 100, STRATEGY_SEED) <= pct

            return flexible
        if name == "remoteAddress":
            entries = [e for e in (_param(params, "IPs") or "").split(",") if e.strip()]
            networks, _bad = parse_ip_networks(entries)

            def remote(ctx: Context) -> bool:
                address = context_value(ctx, "remoteAddress")
                return address is not None and ip_in(address, networks)

            return remote
        if name == "applicationHostname":
            hosts = {h.strip().lower() for h in (_param(params, "hostNames") or "").split(",")}
            on = self._hostname in hosts
            return lambda ctx: on
        custom = self._custom.get(name)
        if custom is not None:
            frozen = dict(params)
            return lambda ctx: bool(custom(frozen, ctx))
        raise _UnknownStrategy(name)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _always(_ctx: Context) -> bool:
    return True


def _never(_ctx: Context) -> bool:
    return False


def _live(strategies: tuple[_Strategy, ...] | None) -> bool:
    """Whether a strategy list can let anyone in (not unsupported, not all disabled)."""
    if strategies is None:
        return False
    return not (strategies and strategies[0].broken == ALL_DISABLED)


def _off_strategy(raw: Mapping[str, Any], why: str) -> _Strategy:
    """A strategy that is always false, keeping what it was compiled from for explain()."""
    params = raw.get("parameters")
    return _Strategy(
        check=_never,
        constraints=(),
        variants=(),
        group_id="",
        stickiness=None,
        name=str(raw.get("name")),
        parameters=copy.deepcopy(dict(params)) if isinstance(params, Mapping) else {},
        broken=why,
    )


def _param(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    text = str(value)
    return text if text != "" else None


def _percent(params: Mapping[str, Any], name: str) -> float | None:
    text = _param(params, name)
    return parse_number(text) if text is not None else None


def _compile_variants(raws: Iterable[Mapping[str, Any]]) -> tuple[_Variant, ...]:
    out: list[_Variant] = []
    for raw in raws:
        payload = raw.get("payload")
        out.append(
            _Variant(
                name=str(raw["name"]),
                weight=int(raw.get("weight", 0)),
                payload=dict(payload) if payload is not None else None,
                stickiness=raw.get("stickiness") or None,
                overrides=tuple(
                    _Override(
                        field=str(o["contextName"]),
                        values=frozenset(str(v) for v in o.get("values") or []),
                    )
                    for o in raw.get("overrides") or []
                ),
            )
        )
    return tuple(out)
