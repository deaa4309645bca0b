"""An OpenFeature provider backed by a scrubphi :class:`~scrubphi.flags.FlagClient`.

Install the extra (``pip install 'scrubphi[openfeature]'``) and register it::

    from openfeature import api
    from scrubphi.flags.openfeature import ScrubPhiProvider

    api.set_provider(ScrubPhiProvider(client))
    api.get_client().get_boolean_value("new-scheduling", False, ctx)

Mapping between the two worlds:

* Context: the OpenFeature ``targeting_key`` is Unleash's ``userId``
  (an explicit ``userId`` attribute wins); ``sessionId``, ``remoteAddress``,
  ``environment``, ``appName`` and ``currentTime`` stay top-level; every other
  attribute goes to ``properties`` as a string (booleans ``true``/``false``,
  datetimes ISO 8601, lists and mappings as JSON).
* Boolean flags are ``is_enabled``.  String, integer, float and object flags
  are the variant's payload (``get_variant``): ``string``/``csv`` payloads
  for strings (a variant without a payload gives its name), ``number`` for
  integers and floats, ``json`` (an object or a list) for objects.  Any
  other combination is ``TYPE_MISMATCH`` and the caller's default.
* Reasons: ``DISABLED`` (the flag is off, or its rollout plan is not
  running), ``DEFAULT`` (on, but no strategy matched this context: a boolean
  is ``False``, other types get the caller's default), ``STATIC`` (on for
  everyone: no strategies, or an unconstrained ``default``/100% strategy),
  ``TARGETING_MATCH`` (a constrained, segment, user-list or address
  strategy matched, or a variant override), ``SPLIT`` (a percentage below
  100% or a weighted choice between variants).  An unknown flag is
  ``FLAG_NOT_FOUND`` with reason ``ERROR`` and the caller's default.

Finding the reason evaluates the flag's strategies one by one on small
clients compiled from the client's current document (cached), so it costs
more than a bare ``is_enabled``; the value itself always comes from the
client, and exposure counts see exactly one evaluation per resolution.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagResolutionDetails, FlagValueType, Reason
from openfeature.provider import AbstractProvider, Metadata

from scrubphi.flags.constraints import context_value
from scrubphi.flags.evaluator import FlagClient, load_unleash

__all__ = ["ScrubPhiProvider", "to_unleash_context"]

T = TypeVar("T")

_TOP_LEVEL = ("userId", "sessionId", "remoteAddress", "environment", "appName", "currentTime")
_PERCENT_PARAM = {
    "flexibleRollout": "rollout",
    "gradualRolloutUserId": "percentage",
    "gradualRolloutSessionId": "percentage",
    "gradualRolloutRandom": "percentage",
}
_TARGETING_STRATEGIES = frozenset({"userWithId", "remoteAddress", "applicationHostname"})
_CACHE_LIMIT = 512


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def to_unleash_context(evaluation_context: EvaluationContext | None) -> dict[str, Any]:
    """An OpenFeature evaluation context as an Unleash context (see the module docs)."""
    if evaluation_context is None:
        return {}
    ctx: dict[str, Any] = {}
    properties: dict[str, str] = {}
    if evaluation_context.targeting_key:
        ctx["userId"] = str(evaluation_context.targeting_key)
    for key, value in evaluation_context.attributes.items():
        if value is None:
            continue
        if key == "properties" and isinstance(value, Mapping):
            properties.update((str(k), _text(v)) for k, v in value.items() if v is not None)
        elif key in _TOP_LEVEL:
            ctx[key] = _text(value)
        else:
            properties[key] = _text(value)
    if properties:
        ctx["properties"] = properties
    return ctx


def _strategy_reason(strategy: Mapping[str, Any]) -> Reason:
    name = strategy.get("name")
    params = strategy.get("parameters") or {}
    key = _PERCENT_PARAM.get(str(name))
    if key is not None:
        try:
            percent = float(params.get(key, 0))
        except (TypeError, ValueError):
            percent = 0.0
        if percent < 100:
            return Reason.SPLIT
    if strategy.get("constraints") or strategy.get("segments") or name in _TARGETING_STRATEGIES:
        return Reason.TARGETING_MATCH
    return Reason.STATIC


class _Error(Exception):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ScrubPhiProvider(AbstractProvider):
    """OpenFeature's ``AbstractProvider`` over a scrubphi ``FlagClient``.

    The client keeps its own semantics (Unleash's), its rollout state and
    its exposure counts; this class only translates contexts, values and
    reasons.  Thread-safe like the client.
    """

    def __init__(self, client: FlagClient) -> None:
        super().__init__()
        self.client = client
        self._lock = threading.Lock()
        self._probes: dict[str, FlagClient] = {}

    def get_metadata(self) -> Metadata:
        """The provider's name as OpenFeature shows it."""
        return Metadata(name="scrubphi")

    # -- analysis ------------------------------------------------------------

    def _feature(self, flag_key: str) -> tuple[Mapping[str, Any], list[Any]]:
        document = self.client.to_unleash()
        for feature in document.get("features") or []:
            if feature.get("name") == flag_key:
                return feature, list(document.get("segments") or [])
        raise _Error(ErrorCode.FLAG_NOT_FOUND, f"flag {flag_key!r} is not defined")

    def _probe(self, strategy: Mapping[str, Any], segments: list[Any]) -> FlagClient:
        """A client holding only ``strategy`` (and the segments it may use), cached."""
        key = json.dumps([strategy, segments], sort_keys=True, default=str)
        with self._lock:
            probe = self._probes.get(key)
        if probe is None:
            probe = load_unleash(
                {
                    "version": 2,
                    "features": [
                        {"name": "probe", "enabled": True, "strategies": [dict(strategy)]}
                    ],
                    "segments": segments,
                }
            )
            with self._lock:
                if len(self._probes) >= _CACHE_LIMIT:
                    self._probes.clear()
                self._probes[key] = probe
        return probe

    def _matched(
        self, feature: Mapping[str, Any], segments: list[Any], ctx: Mapping[str, Any]
    ) -> Mapping[str, Any] | None:
        """The first strategy that is on for ``ctx`` (None: no strategies, always on)."""
        strategies: list[Mapping[str, Any]] = [
            s for s in feature.get("strategies") or [] if not s.get("disabled")
        ]
        if not strategies:
            return None
        for strategy in strategies:
            if self._probe(strategy, segments).is_enabled("probe", ctx):
                return strategy
        # Random stickiness can answer differently on a second evaluation:
        # the first percentage strategy is what most plausibly let it in.
        for strategy in strategies:
            if _strategy_reason(strategy) is Reason.SPLIT:
                return strategy
        return strategies[0]

    def _on_reason(
        self, feature: Mapping[str, Any], segments: list[Any], ctx: Mapping[str, Any]
    ) -> tuple[Reason, Mapping[str, Any] | None]:
        strategy = self._matched(feature, segments, ctx)
        return (Reason.STATIC if strategy is None else _strategy_reason(strategy)), strategy

    # -- resolution ------------------------------------------------------------

    def resolve_boolean_details(
        self,
        flag_key: str,
        default_value: bool,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[bool]:
        """``is_enabled``; a known flag that is off is ``False`` (DISABLED or DEFAULT)."""
        ctx = to_unleash_context(evaluation_context)
        try:
            feature, segments = self._feature(flag_key)
        except _Error as err:
            return self._error(default_value, err)
        enabled = self.client.is_enabled(flag_key, ctx, default=default_value)
        if not feature.get("enabled", True):
            return FlagResolutionDetails(value=False, reason=Reason.DISABLED)
        if not enabled:
            return FlagResolutionDetails(value=False, reason=Reason.DEFAULT)
        reason, _ = self._on_reason(feature, segments, ctx)
        return FlagResolutionDetails(value=True, reason=reason)

    def resolve_string_details(
        self,
        flag_key: str,
        default_value: str,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[str]:
        """The variant's ``string``/``csv`` payload (or its name when it has none)."""
        return self._resolve_variant(flag_key, default_value, evaluation_context, _as_string)

    def resolve_integer_details(
        self,
        flag_key: str,
        default_value: int,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[int]:
        """The variant's ``number`` payload, which must be a whole number."""
        return self._resolve_variant(flag_key, default_value, evaluation_context, _as_int)

    def resolve_float_details(
        self,
        flag_key: str,
        default_value: float,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[float]:
        """The variant's ``number`` payload."""
        return self._resolve_variant(flag_key, default_value, evaluation_context, _as_float)

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: Sequence[FlagValueType] | Mapping[str, FlagValueType],
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[Sequence[FlagValueType] | Mapping[str, FlagValueType]]:
        """The variant's ``json`` payload, an object or a list."""
        return self._resolve_variant(flag_key, default_value, evaluation_context, _as_object)

    def _resolve_variant(
        self,
        flag_key: str,
        default_value: T,
        evaluation_context: EvaluationContext | None,
        convert: Any,
    ) -> FlagResolutionDetails[T]:
        ctx = to_unleash_context(evaluation_context)
        try:
            feature, segments = self._feature(flag_key)
        except _Error as err:
            return self._error(default_value, err)
        variant = self.client.get_variant(flag_key, ctx)
        if not feature.get("enabled", True):
            return FlagResolutionDetails(value=default_value, reason=Reason.DISABLED)
        if not variant.get("feature_enabled"):
            return FlagResolutionDetails(value=default_value, reason=Reason.DEFAULT)
        reason, strategy = self._on_reason(feature, segments, ctx)
        if not variant.get("enabled"):
            # On, but the flag has no variants to give a value from.
            return FlagResolutionDetails(value=default_value, reason=Reason.DEFAULT)
        try:
            value = convert(variant, flag_key)
        except _Error as err:
            return self._error(default_value, err)
        variants = (strategy or {}).get("variants") or feature.get("variants") or []
        reason = _variant_reason(variants, variant["name"], ctx, reason)
        return FlagResolutionDetails(value=value, reason=reason, variant=str(variant["name"]))

    @staticmethod
    def _error(default_value: T, err: _Error) -> FlagResolutionDetails[T]:
        return FlagResolutionDetails(
            value=default_value,
            reason=Reason.ERROR,
            error_code=err.code,
            error_message=err.message,
        )


def _variant_reason(
    variants: Sequence[Mapping[str, Any]], chosen: str, ctx: Mapping[str, Any], base: Reason
) -> Reason:
    for variant in variants:
        for override in variant.get("overrides") or []:
            found = context_value(ctx, str(override.get("contextName", "")))
            if found is not None and found in (override.get("values") or []):
                return Reason.TARGETING_MATCH if variant.get("name") == chosen else base
    if sum(1 for v in variants if (v.get("weight") or 0) > 0) > 1:
        return Reason.SPLIT
    return base


def _payload(variant: Mapping[str, Any]) -> tuple[str | None, str | None]:
    payload = variant.get("payload")
    if not isinstance(payload, Mapping):
        return None, None
    return str(payload.get("type")), str(payload.get("value"))


def _mismatch(flag_key: str, variant: Mapping[str, Any], wanted: str) -> _Error:
    kind, _ = _payload(variant)
    return _Error(
        ErrorCode.TYPE_MISMATCH,
        f"flag {flag_key!r} variant {variant.get('name')!r} has a "
        f"{kind or 'missing'} payload, not {wanted}",
    )


def _as_string(variant: Mapping[str, Any], flag_key: str) -> str:
    kind, value = _payload(variant)
    if kind is None:
        return str(variant["name"])
    if kind in ("string", "csv") and value is not None:
        return value
    raise _mismatch(flag_key, variant, "a string")


def _number(variant: Mapping[str, Any], flag_key: str, wanted: str) -> float:
    kind, value = _payload(variant)
    if kind == "number" and value is not None:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            return number
        raise _Error(
            ErrorCode.PARSE_ERROR,
            f"flag {flag_key!r} variant {variant.get('name')!r}: the number payload does not parse",
        )
    raise _mismatch(flag_key, variant, wanted)


def _as_int(variant: Mapping[str, Any], flag_key: str) -> int:
    number = _number(variant, flag_key, "an integer")
    if not number.is_integer():
        raise _mismatch(flag_key, variant, "an integer (it has a fraction)")
    return int(number)


def _as_float(variant: Mapping[str, Any], flag_key: str) -> float:
    return _number(variant, flag_key, "a float")


def _as_object(variant: Mapping[str, Any], flag_key: str) -> Any:
    kind, value = _payload(variant)
    if kind != "json" or value is None:
        raise _mismatch(flag_key, variant, "an object (json)")
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        raise _Error(
            ErrorCode.PARSE_ERROR,
            f"flag {flag_key!r} variant {variant.get('name')!r}: the json payload does not parse",
        ) from exc
    if not isinstance(parsed, dict | list):
        raise _mismatch(flag_key, variant, "an object or a list (json)")
    return parsed
