"""The flag evaluator: Unleash's client semantics, in process, without a server.

A features document (the body of Unleash's ``/api/client/features``, or a
delta stream of events) is compiled once into immutable objects; evaluating
a flag then touches no I/O, no lock and no shared mutable state except the
exposure counters (per thread, see :mod:`scrubphi.flags.exposure`).  That is
what makes :class:`FlagClient` safe to share between threads and to inherit
across ``fork``: there is no background thread to lose and no on-disk cache
to corrupt.  Replacing the document (:meth:`FlagClient.apply_delta`) swaps a
single attribute, so readers see either the old or the new snapshot.

The algorithm follows ``unleash-evaluation.md`` (our own description of
Unleash's client specification); where SDKs disagree it follows Yggdrasil,
the engine behind Unleash's newer SDKs.  A flag that cannot be evaluated
faithfully (unknown operator, missing segment) is off as a whole; an
unknown strategy or a REGEX Rust would reject makes only its strategy false,
as in Yggdrasil.

Here is the evaluation (:class:`FlagClient`: strategies in order, variants,
dependencies, rollout phases, exposures); how a document becomes the
immutable objects it reads is :mod:`scrubphi.flags.compiled`.
"""

from __future__ import annotations

import copy
import os
import random
import socket
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from scrubphi.flags.compiled import (
    RANDOM_MAX,
    Context,
    CustomStrategy,
    FeatureCompiler,
    PhaseBinding,
    _Dependency,
    _Feature,
    _live,
    _Snapshot,
    _Strategy,
    _Variant,
)
from scrubphi.flags.constraints import context_value
from scrubphi.flags.exposure import ExposureCounter
from scrubphi.flags.murmur import VARIANT_SEED, normalized_hash

if TYPE_CHECKING:
    from scrubphi.policy.model import Policy

__all__ = [
    "CustomStrategy",
    "FlagClient",
    "PhaseBinding",
    "Resolution",
    "RolloutState",
    "load_unleash",
]

_NO_PARAMETERS: Mapping[str, Any] = MappingProxyType({})


class RolloutState(Protocol):
    """Where each rollout plan stands; implemented by the state stores.

    ``phase`` must be cheap (it is called on every evaluation of a flag that
    follows a plan) and safe from any thread.
    """

    def phase(self, plan_name: str, /) -> int | None:
        """The current phase index of ``plan_name``; None when the plan has not started."""
        ...


class Resolution(NamedTuple):
    """One counted evaluation and what decided it (:meth:`FlagClient.resolve`).

    ``live`` is False when the flag is switched off, its plan is not running
    or every strategy is disabled; ``strategy`` is the name of the strategy
    that let the context in (None: no strategies, on for everyone), with its
    ``parameters`` and ``targeted`` (it has constraints or segments);
    ``variants`` are the ``(name, weight, override fields and values)`` the
    variant was chosen from.
    """

    known: bool
    live: bool
    enabled: bool
    variant: dict[str, Any] | None = None
    strategy: str | None = None
    parameters: Mapping[str, Any] = _NO_PARAMETERS
    targeted: bool = False
    variants: tuple[tuple[str, int, tuple[tuple[str, frozenset[str]], ...]], ...] = ()
    plan: str | None = None
    phase: str | None = None


# --------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------


class FlagClient:
    """Evaluate feature flags locally with Unleash's semantics.

    Build one with :func:`load_unleash` or :meth:`from_policy` and share it:
    every method is safe to call from any thread, and a forked child may
    keep using the parent's client.
    """

    def __init__(
        self,
        *,
        app_name: str = "scrubphi",
        environment: str = "default",
        strategies: Mapping[str, CustomStrategy] | None = None,
        randint: Callable[[int, int], int] | None = None,
        hostname: str | None = None,
        state: RolloutState | None = None,
    ) -> None:
        self._static = {"appName": app_name, "environment": environment}
        self._custom: dict[str, CustomStrategy] = dict(strategies or {})
        # Random stickiness and gradualRolloutRandom; injectable for tests.
        # The module-level random is thread-safe and reseeded after fork.
        self._randint = randint or random.randint
        self._hostname = (hostname or os.environ.get("HOSTNAME") or socket.gethostname()).lower()
        self._state = state
        self._exposures = ExposureCounter()
        self._compiler = FeatureCompiler(self._randint, self._hostname, self._custom)
        self._snap = _Snapshot({}, {}, {}, 2)

    # -- construction ------------------------------------------------------

    @classmethod
    def from_policy(
        cls, policy: Policy, *, state: RolloutState | None = None, **options: Any
    ) -> FlagClient:
        """The flags of a policy's ``flags``/``segments``/``rollouts`` sections.

        Raises ``PolicyError`` (file:line:column) for an invalid section.
        ``state`` says where each rollout plan stands; without one every
        plan is "not started" and its flags are off.
        """
        from scrubphi.flags.policy import compile_policy  # a cycle otherwise

        compiled = compile_policy(policy)
        client = cls(state=state, **options)
        client._install(compiled.document, compiled.bindings)
        return client

    def apply_delta(self, document: Mapping[str, Any]) -> None:
        """Apply a features document or a delta stream (``{"events": [...]}``).

        A full document replaces every flag; events are applied in
        ``eventId`` order: ``hydration`` replaces everything,
        ``feature-updated``/``feature-removed`` and
        ``segment-updated``/``segment-removed`` change one entry.  The new
        snapshot replaces the old one in a single assignment.
        """
        if "events" not in document:
            self._install(document, {})
            return
        snap = self._snap
        features = dict(snap.raw_features)
        segments = dict(snap.segments)
        events = sorted(document.get("events") or [], key=lambda e: e.get("eventId", 0))
        for event in events:
            kind = event.get("type")
            if kind == "hydration":
                features = {f["name"]: f for f in event.get("features") or []}
                segments = {s["id"]: s for s in event.get("segments") or []}
            elif kind == "feature-updated":
                feature = event["feature"]
                features[feature["name"]] = feature
            elif kind == "feature-removed":
                features.pop(event.get("featureName"), None)
            elif kind == "segment-updated":
                segment = event["segment"]
                segments[segment["id"]] = segment
            elif kind == "segment-removed":
                segments.pop(event.get("segmentId", event.get("id")), None)
        bindings = {
            name: feature.binding
            for name, feature in snap.features.items()
            if feature.binding is not None and name in features
        }
        self._install(
            {
                "version": 2,
                "features": list(features.values()),
                "segments": list(segments.values()),
            },
            bindings,
        )

    def _install(self, document: Mapping[str, Any], bindings: Mapping[str, PhaseBinding]) -> None:
        raw_features = {f["name"]: copy.deepcopy(f) for f in document.get("features") or []}
        segments = {s["id"]: copy.deepcopy(s) for s in document.get("segments") or []}
        features = {
            name: self._compiler.compile_feature(raw, segments, bindings.get(name))
            for name, raw in raw_features.items()
        }
        version = document.get("version", 2)
        self._snap = _Snapshot(features, raw_features, segments, int(version))

    # -- evaluation ----------------------------------------------------------

    def is_enabled(self, name: str, context: Context | None = None, default: bool = False) -> bool:
        """Whether flag ``name`` is on for ``context``; ``default`` if the flag is unknown."""
        snap = self._snap
        feature = snap.features.get(name)
        if feature is None:
            self._exposures.count(name, default, None, None)
            return default
        ctx = self._context(context)
        enabled, _strategy, phase = self._evaluate(snap, feature, ctx)
        self._exposures.count(name, enabled, phase, None)
        return enabled

    def get_variant(self, name: str, context: Context | None = None) -> dict[str, Any]:
        """The variant of ``name`` for ``context`` in Unleash's shape.

        ``{"name", "enabled", "feature_enabled", "payload"?}``; a flag that is
        off or unknown gives ``{"name": "disabled", "enabled": False,
        "feature_enabled": False}``.
        """
        snap = self._snap
        feature = snap.features.get(name)
        if feature is None:
            self._exposures.count(name, False, None, "disabled")
            return _disabled(False)
        ctx = self._context(context)
        variant, phase = self._variant(snap, feature, ctx)
        self._exposures.count(name, variant["feature_enabled"], phase, variant["name"])
        return variant

    def resolve(
        self,
        name: str,
        context: Context | None = None,
        *,
        with_variant: bool = False,
        default: bool = False,
    ) -> Resolution:
        """``is_enabled`` (and ``get_variant`` with ``with_variant``) plus what decided it.

        One evaluation, counted once in the exposures like the call it
        stands for; no copy of the flags.  For providers such as OpenFeature
        that report a reason and metadata with the value.
        """
        snap = self._snap
        feature = snap.features.get(name)
        if feature is None:
            self._exposures.count(name, default, None, "disabled" if with_variant else None)
            return Resolution(known=False, live=False, enabled=default)
        ctx = self._context(context)
        enabled, strategy, phase = self._evaluate(snap, feature, ctx)
        variant = None
        if with_variant:
            variant = self._pick(feature, strategy, ctx) if enabled else _disabled(False)
            self._exposures.count(name, variant["feature_enabled"], phase, variant["name"])
        else:
            self._exposures.count(name, enabled, phase, None)
        binding = feature.binding
        if enabled:
            live = True
        elif binding is None:
            live = feature.enabled and _live(feature.strategies)
        else:
            index = self._phase_index(binding)
            live = feature.enabled and index is not None and bool(feature.phases)
            live = live and _live(feature.phases[index] if index is not None else None)
        chosen: tuple[_Variant, ...] = ()
        if variant is not None and variant["enabled"]:
            chosen = strategy.variants if strategy is not None and strategy.variants else ()
            chosen = chosen or feature.variants
        return Resolution(
            True,
            live,
            enabled,
            variant,
            None if strategy is None else strategy.name,
            _NO_PARAMETERS if strategy is None else strategy.parameters,
            strategy is not None and bool(strategy.sources),
            tuple(
                (v.name, v.weight, tuple((o.field, o.values) for o in v.overrides))
                for v in chosen
            )
            if chosen
            else (),
            None if binding is None else binding.plan,
            phase,
        )

    def plan_of(self, name: str) -> str | None:
        """The rollout plan flag ``name`` follows (None: none, or no such flag)."""
        feature = self._snap.features.get(name)
        return None if feature is None or feature.binding is None else feature.binding.plan

    def current_phase(self, plan: str) -> str | None:
        """The name of ``plan``'s live phase as this client sees it (None: not running)."""
        for feature in self._snap.features.values():
            if feature.binding is not None and feature.binding.plan == plan:
                index = self._phase_index(feature.binding)
                return None if index is None else feature.binding.phase_names[index]
        return None

    def explain(self, name: str, context: Context | None = None) -> dict[str, Any]:
        """Why flag ``name`` is on or off for ``context``.

        See :func:`scrubphi.flags.explain.explain`.
        """
        from scrubphi.flags.explain import explain

        return explain(self, name, context)

    def _dependency_met(self, snap: _Snapshot, dep: _Dependency, ctx: Context) -> bool:
        parent = snap.features.get(dep.feature)
        if parent is None or parent.dependencies:
            return False
        if dep.variants:
            variant, _ = self._variant(snap, parent, ctx)
            if variant["feature_enabled"] != dep.enabled:
                return False
            # Yggdrasil checks the variant list only against a parent that gave a variant:
            # a parent on without variants satisfies any list.
            return variant["name"] in dep.variants or (
                variant["feature_enabled"] and not variant["enabled"]
            )
        enabled, _, _ = self._evaluate(snap, parent, ctx)
        return enabled == dep.enabled

    def feature_names(self) -> list[str]:
        """Every flag this client knows, sorted."""
        return sorted(self._snap.features)

    def exposures(self) -> dict[str, Any]:
        """Evaluation counts per flag: yes/no, per variant and per rollout phase."""
        return self._exposures.snapshot()

    def exposure_counts(self) -> dict[tuple[str, str | None, str | None, bool], int]:
        """The raw counts keyed (flag, phase, variant, enabled), for metrics exporters."""
        return self._exposures.totals()

    def clear_exposures(self) -> None:
        """Reset the exposure counts to zero."""
        self._exposures.clear()

    def to_unleash(self) -> dict[str, Any]:
        """The flags as an Unleash ``/api/client/features`` document, as they stand now.

        A flag that follows a rollout plan is written with the strategies of
        its current phase (``enabled: false`` when the plan has not started).
        Disabled strategies are left out, and a flag whose every strategy is
        disabled is written ``enabled: false``.
        """
        from scrubphi.flags.export import export_document

        return export_document(self)

    def _context(self, context: Context | None) -> dict[str, Any]:
        # One C-level copy and update on the hot path; a None value (rare)
        # means "missing", so it must not hide the static appName/environment.
        ctx = self._static.copy()
        if not context:
            return ctx
        ctx.update(context)
        if None in ctx.values():
            ctx = self._static.copy()
            ctx.update((k, v) for k, v in context.items() if v is not None)
        return ctx

    def _phase_index(self, binding: PhaseBinding) -> int | None:
        if self._state is None:
            return None
        index = self._state.phase(binding.plan)
        if index is None or not 0 <= index < len(binding.phase_names):
            return None
        return index

    def _evaluate(
        self, snap: _Snapshot, feature: _Feature, ctx: Context
    ) -> tuple[bool, _Strategy | None, str | None]:
        """(enabled, first matching strategy, current phase name)."""
        phase: str | None = None
        strategies = feature.strategies
        if feature.binding is not None:
            index = self._phase_index(feature.binding)
            if index is None:
                return False, None, None
            phase = feature.binding.phase_names[index]
            strategies = feature.phases[index] if feature.phases else None
        if not feature.enabled or strategies is None:
            return False, None, phase
        if feature.dependencies and not self._dependencies_met(snap, feature, ctx):
            return False, None, phase
        if not strategies:
            return True, None, phase
        for strategy in strategies:
            for constraint in strategy.constraints:
                if not constraint(ctx):
                    break
            else:
                if strategy.check(ctx):
                    return True, strategy, phase
        return False, None, phase

    def _dependencies_met(self, snap: _Snapshot, feature: _Feature, ctx: Context) -> bool:
        return all(self._dependency_met(snap, dep, ctx) for dep in feature.dependencies)

    def _variant(
        self, snap: _Snapshot, feature: _Feature, ctx: Context
    ) -> tuple[dict[str, Any], str | None]:
        enabled, strategy, phase = self._evaluate(snap, feature, ctx)
        if not enabled:
            return _disabled(False), phase
        return self._pick(feature, strategy, ctx), phase

    def _pick(self, feature: _Feature, strategy: _Strategy | None, ctx: Context) -> dict[str, Any]:
        """The variant of a flag that is on, chosen by ``strategy`` (the one that matched)."""
        if strategy is not None and strategy.variants:
            chosen = self._choose(
                strategy.variants, strategy.group_id, strategy.stickiness or "default", ctx
            )
        elif feature.variants:
            stickiness = feature.variants[0].stickiness or "default"
            chosen = self._choose(feature.variants, feature.name, stickiness, ctx)
        else:
            return _disabled(True)
        if chosen is None:
            return _disabled(True)
        result: dict[str, Any] = {"name": chosen.name, "enabled": True, "feature_enabled": True}
        if chosen.payload is not None:
            result["payload"] = dict(chosen.payload)
        return result

    def _choose(
        self,
        variants: Sequence[_Variant],
        group_id: str,
        stickiness: str,
        ctx: Context,
    ) -> _Variant | None:
        """Strategy variants hash the strategy's stickiness, feature variants the first
        variant's (Yggdrasil); the caller says which."""
        for variant in variants:
            for override in variant.overrides:
                found = context_value(ctx, override.field)
                if found is not None and found in override.values:
                    return variant
        total = sum(v.weight for v in variants)
        if total <= 0:
            return None
        seed = self._stickiness_value(stickiness, ctx)
        if seed is None:
            seed = str(self._randint(1, RANDOM_MAX))
        target = normalized_hash(seed, group_id, total, VARIANT_SEED)
        acc = 0
        for variant in variants:
            if variant.weight <= 0:
                continue
            acc += variant.weight
            if acc >= target:
                return variant
        return None

    def _stickiness_value(self, stickiness: str, ctx: Context) -> str | None:
        """The identifier to hash; None means "use a random number"."""
        if stickiness == "default":
            return context_value(ctx, "userId") or context_value(ctx, "sessionId")
        if stickiness == "random":
            return None
        return context_value(ctx, stickiness)


def load_unleash(document: Mapping[str, Any], **options: Any) -> FlagClient:
    """A client for an Unleash features document or delta stream.

    ``options`` are :class:`FlagClient`'s keyword arguments (``app_name``,
    ``environment``, ``strategies``, ``randint``, ``hostname``).
    """
    client = FlagClient(**options)
    client.apply_delta(document)
    return client


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _disabled(feature_enabled: bool) -> dict[str, Any]:
    return {"name": "disabled", "enabled": False, "feature_enabled": feature_enabled}
