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

Each resolution is one :meth:`FlagClient.resolve` (the value, the strategy
that decided it, the plan and phase), without copying the flags, and one
exposure.  ``flag_metadata`` carries ``plan``, ``phase`` and ``strategy``;
booleans carry a variant (the Unleash variant's name, else ``on``/``off``).
When a resolution sees a plan in a new phase, the provider emits
``PROVIDER_CONFIGURATION_CHANGED`` naming the plan's flags
(:meth:`ScrubPhiProvider.check_phases` looks at every plan on demand).  An
evaluation that raises (a state store that cannot be read) resolves to the
caller's default with reason ``ERROR`` and ``GENERAL``.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from openfeature.evaluation_context import EvaluationContext
from openfeature.event import ProviderEventDetails
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagResolutionDetails, FlagValueType, Reason
from openfeature.provider import AbstractProvider, Metadata

from scrubphi import jsontext
from scrubphi.flags.constraints import context_value
from scrubphi.flags.evaluator import FlagClient, Resolution

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


def _reason_of(name: str, params: Mapping[str, Any], targeted: bool) -> Reason:
    key = _PERCENT_PARAM.get(name)
    if key is not None:
        try:
            percent = float(params.get(key, 0))
        except (TypeError, ValueError):
            percent = 0.0
        if percent < 100:
            return Reason.SPLIT
    if targeted or name in _TARGETING_STRATEGIES:
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
    reasons.  Each resolution is one :meth:`FlagClient.resolve` call: no copy
    of the flags, one exposure.  Thread-safe like the client.
    """

    def __init__(self, client: FlagClient) -> None:
        super().__init__()
        self.client = client
        self._lock = threading.Lock()
        self._phases: dict[str, str | None] = {}

    def get_metadata(self) -> Metadata:
        """The provider's name as OpenFeature shows it."""
        return Metadata(name="scrubphi")

    # -- phase moves -----------------------------------------------------------

    def _seen_phase(self, plan: str | None, phase: str | None) -> None:
        """Emit PROVIDER_CONFIGURATION_CHANGED the first time a plan is seen in a new phase."""
        if plan is None:
            return
        with self._lock:
            if plan not in self._phases:
                self._phases[plan] = phase
                return
            before = self._phases[plan]
            if before == phase:
                return
            self._phases[plan] = phase
        flags = [name for name in self.client.feature_names() if self.client.plan_of(name) == plan]
        self.emit_provider_configuration_changed(
            ProviderEventDetails(
                flags_changed=flags,
                message=f"rollout plan {plan!r} moved to {phase or 'no phase (stopped)'}",
                metadata={"plan": plan, "from": before or "", "to": phase or ""},
            )
        )

    def check_phases(self) -> None:
        """Look at every plan now (e.g. from a periodic task) and emit events for moves.

        Resolutions do the same for the plans they touch, so an application
        that resolves flags regularly need not call this.
        """
        for name in self.client.feature_names():
            plan = self.client.plan_of(name)
            if plan is not None:
                self._seen_phase(plan, self.client.current_phase(plan))

    # -- resolution ------------------------------------------------------------

    def _resolve(
        self, flag_key: str, ctx: Mapping[str, Any], default: bool, with_variant: bool
    ) -> Resolution:
        try:
            return self.client.resolve(flag_key, ctx, with_variant=with_variant, default=default)
        except Exception as exc:  # a failing state store, above all
            raise _Error(
                ErrorCode.GENERAL,
                f"flag {flag_key!r} could not be evaluated ({type(exc).__name__})",
            ) from exc

    @staticmethod
    def _metadata(result: Resolution) -> dict[str, str | int | float | bool]:
        metadata: dict[str, str | int | float | bool] = {}
        if result.plan is not None:
            metadata["plan"] = result.plan
            metadata["phase"] = result.phase or ""
        if result.strategy is not None:
            metadata["strategy"] = result.strategy
        return metadata

    def resolve_boolean_details(
        self,
        flag_key: str,
        default_value: bool,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[bool]:
        """``is_enabled``; a known flag that is off is ``False`` (DISABLED or DEFAULT).

        The variant is the Unleash variant's name when the flag gives one,
        else ``on``/``off``.
        """
        ctx = to_unleash_context(evaluation_context)
        try:
            result = self._resolve(flag_key, ctx, default_value, with_variant=True)
        except _Error as err:
            return self._error(default_value, err)
        if not result.known:
            return self._error(default_value, _not_found(flag_key))
        self._seen_phase(result.plan, result.phase)
        metadata = self._metadata(result)
        if not result.enabled:
            reason = Reason.DISABLED if not result.live else Reason.DEFAULT
            return FlagResolutionDetails(
                value=False, reason=reason, variant="off", flag_metadata=metadata
            )
        variant = result.variant or {}
        name = str(variant["name"]) if variant.get("enabled") else "on"
        return FlagResolutionDetails(
            value=True, reason=_on_reason(result), variant=name, flag_metadata=metadata
        )

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
            result = self._resolve(flag_key, ctx, False, with_variant=True)
        except _Error as err:
            return self._error(default_value, err)
        if not result.known:
            return self._error(default_value, _not_found(flag_key))
        self._seen_phase(result.plan, result.phase)
        metadata = self._metadata(result)
        variant = result.variant or {}
        if not result.live:
            return FlagResolutionDetails(
                value=default_value, reason=Reason.DISABLED, flag_metadata=metadata
            )
        if not variant.get("feature_enabled") or not variant.get("enabled"):
            # Off for this context, or on without variants to give a value from.
            return FlagResolutionDetails(
                value=default_value, reason=Reason.DEFAULT, flag_metadata=metadata
            )
        try:
            value = convert(variant, flag_key)
        except _Error as err:
            return self._error(default_value, err)
        reason = _variant_reason(result.variants, variant["name"], ctx, _on_reason(result))
        return FlagResolutionDetails(
            value=value, reason=reason, variant=str(variant["name"]), flag_metadata=metadata
        )

    @staticmethod
    def _error(default_value: T, err: _Error) -> FlagResolutionDetails[T]:
        return FlagResolutionDetails(
            value=default_value,
            reason=Reason.ERROR,
            error_code=err.code,
            error_message=err.message,
        )


def _not_found(flag_key: str) -> _Error:
    return _Error(ErrorCode.FLAG_NOT_FOUND, f"flag {flag_key!r} is not defined")


def _on_reason(result: Resolution) -> Reason:
    """Why a flag that is on is on: STATIC, SPLIT or TARGETING_MATCH."""
    if result.strategy is None:
        return Reason.STATIC
    return _reason_of(result.strategy, result.parameters, result.targeted)


def _variant_reason(
    variants: Sequence[tuple[str, int, tuple[tuple[str, frozenset[str]], ...]]],
    chosen: str,
    ctx: Mapping[str, Any],
    base: Reason,
) -> Reason:
    for name, _weight, overrides in variants:
        for field_name, values in overrides:
            found = context_value(ctx, field_name)
            if found is not None and found in values:
                return Reason.TARGETING_MATCH if name == chosen else base
    if sum(1 for _name, weight, _o in variants if weight > 0) > 1:
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
        parsed = jsontext.loads(value)
    except ValueError as exc:
        raise _Error(
            ErrorCode.PARSE_ERROR,
            f"flag {flag_key!r} variant {variant.get('name')!r}: the json payload does not parse",
        ) from exc
    if not isinstance(parsed, dict | list):
        raise _mismatch(flag_key, variant, "an object or a list (json)")
    return parsed
