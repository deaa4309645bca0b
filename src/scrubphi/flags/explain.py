"""``FlagClient.explain``: why a flag is on or off, for people and tools.

Not the hot path: it evaluates every constraint of every strategy it reaches,
without short-circuiting, and is not counted in the exposures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrubphi.flags.compiled import _Feature, _param, _percent, _Snapshot, _Strategy
from scrubphi.flags.constraints import Context, context_value
from scrubphi.flags.evaluator import _disabled
from scrubphi.flags.murmur import STRATEGY_SEED, VARIANT_SEED, normalized_hash

if TYPE_CHECKING:
    from scrubphi.flags.evaluator import FlagClient

__all__ = ["explain"]


def explain(client: FlagClient, name: str, context: Context | None = None) -> dict[str, Any]:
    """Why flag ``name`` is on or off for ``context``: what ``is_enabled`` would answer.

    For people and tools (``scrubphi flags eval``), not for the hot
    path: it evaluates every constraint of every strategy it reaches,
    without short-circuiting, and is **not** counted in the exposures.
    Keys: ``flag``, ``known``, ``enabled`` (``is_enabled``'s answer, False
    for an unknown flag), ``variant`` (``get_variant``'s), ``decided_by``
    (``{"kind": ...}``: ``unknown-flag``, ``plan-not-started``,
    ``flag-disabled``, ``unsupported``, ``dependency``, ``no-strategies``,
    ``strategy`` (with its ``index``) or ``no-match``), ``reason`` (one
    sentence), ``flag_enabled``, ``plan`` (name, phase, index, phases; or
    None), ``dependencies``, ``strategies`` (each with its constraints and
    their results, segment names included) and ``variant_choice``.
    Context values are never copied into the result (only whether each
    field was present), so the result is safe to log.  With ``random``
    stickiness the explanation draws its own random number and may differ
    from another call.
    """
    snap = client._snap
    feature = snap.features.get(name)
    out: dict[str, Any] = {
        "flag": name,
        "known": feature is not None,
        "enabled": False,
        "variant": _disabled(False),
        "flag_enabled": False,
        "plan": None,
        "dependencies": [],
        "strategies": [],
        "variant_choice": None,
    }
    if feature is None:
        out["decided_by"] = {"kind": "unknown-flag"}
        out["reason"] = f"there is no flag named {name!r}: is_enabled returns its default"
        return out
    ctx = client._context(context)
    out["flag_enabled"] = feature.enabled
    strategies = feature.strategies
    prefix = ""
    if feature.binding is not None:
        binding = feature.binding
        index = client._phase_index(binding)
        out["plan"] = {
            "name": binding.plan,
            "phase": None if index is None else binding.phase_names[index],
            "phase_index": index,
            "phases": list(binding.phase_names),
        }
        if index is None:
            out["decided_by"] = {"kind": "plan-not-started", "plan": binding.plan}
            out["reason"] = (
                f"the flag follows rollout plan {binding.plan!r}, which has no live phase "
                "(not started or stopped): off"
            )
            return out
        strategies = feature.phases[index] if feature.phases else None
        prefix = (
            f"plan {binding.plan!r} is in phase {binding.phase_names[index]!r} "
            f"({index + 1} of {len(binding.phase_names)}); "
        )
    if not feature.enabled:
        out["decided_by"] = {"kind": "flag-disabled"}
        out["reason"] = prefix + "the flag is switched off (enabled: false)"
        return out
    if strategies is None:
        out["decided_by"] = {"kind": "unsupported"}
        out["reason"] = prefix + (
            "the flag cannot be evaluated faithfully (unknown operator or missing segment): off"
        )
        return out
    for dep in feature.dependencies:
        met = client._dependency_met(snap, dep, ctx)
        out["dependencies"].append(
            {
                "feature": dep.feature,
                "enabled": dep.enabled,
                "variants": sorted(dep.variants),
                "met": met,
            }
        )
        if not met:
            want = "on" if dep.enabled else "off"
            with_variants = (
                f" with variant {', '.join(sorted(dep.variants))}" if dep.variants else ""
            )
            out["decided_by"] = {"kind": "dependency", "feature": dep.feature}
            out["reason"] = prefix + (
                f"it depends on flag {dep.feature!r} being {want}{with_variants}, "
                "which does not hold: off"
            )
            return out
    if not strategies:
        out["enabled"] = True
        out["decided_by"] = {"kind": "no-strategies"}
        out["reason"] = prefix + "the flag is on and has no strategies: on for everyone"
        out["variant"], out["variant_choice"] = _explain_variant(client, feature, None, ctx)
        return out
    matched: _Strategy | None = None
    for position, strategy in enumerate(strategies):
        trace = _explain_strategy(client, snap, strategy, ctx)
        trace["index"] = position
        out["strategies"].append(trace)
        if trace["result"]:
            matched = strategy
            out["enabled"] = True
            out["decided_by"] = {"kind": "strategy", "index": position}
            detail = f": {trace['detail']}" if trace.get("detail") else ""
            out["reason"] = prefix + (
                f"strategy {position + 1} ({strategy.name}) matched{detail}: on"
            )
            break
    for later in strategies[len(out["strategies"]) :]:
        out["strategies"].append(
            {
                "index": len(out["strategies"]),
                "name": later.name,
                "parameters": dict(later.parameters),
                "evaluated": False,
                "result": False,
                "constraints": [],
            }
        )
    if matched is None:
        out["decided_by"] = {"kind": "no-match"}
        out["reason"] = prefix + (
            f"none of the {len(strategies)} strateg{'y' if len(strategies) == 1 else 'ies'}"
            " matched: off"
        )
        return out
    out["variant"], out["variant_choice"] = _explain_variant(client, feature, matched, ctx)
    return out


def _explain_strategy(
    client: FlagClient, snap: _Snapshot, strategy: _Strategy, ctx: Context
) -> dict[str, Any]:
    constraints: list[dict[str, Any]] = []
    met = True
    for (raw, segment_id), check in zip(strategy.sources, strategy.constraints, strict=True):
        result = check(ctx)
        met = met and result
        field_name = raw.get("contextName")
        entry: dict[str, Any] = {
            "context": field_name,
            "operator": raw.get("operator"),
            "present": isinstance(field_name, str) and context_value(ctx, field_name) is not None,
            "result": result,
        }
        if "values" in raw:
            entry["values"] = list(raw.get("values") or [])
        if raw.get("value") is not None:
            entry["value"] = raw.get("value")
        if raw.get("inverted"):
            entry["inverted"] = True
        if raw.get("caseInsensitive"):
            entry["caseInsensitive"] = True
        if segment_id is not None:
            segment = snap.segments.get(segment_id) or {}
            entry["segment"] = segment.get("name", segment_id)
        constraints.append(entry)
    trace: dict[str, Any] = {
        "name": strategy.name,
        "parameters": dict(strategy.parameters),
        "evaluated": True,
        "constraints": constraints,
        "constraints_met": met,
    }
    if strategy.broken is not None:
        trace["result"] = False
        trace["detail"] = f"{strategy.broken}: this strategy is false"
        return trace
    if not met:
        trace["result"] = False
        failed = sum(1 for c in constraints if not c["result"])
        trace["detail"] = f"{failed} of {len(constraints)} constraints false"
        return trace
    trace["result"] = bool(strategy.check(ctx))
    detail = _explain_check(client, strategy, ctx)
    trace.update(detail)
    if "detail" not in trace:
        trace["detail"] = "" if trace["result"] else f"the {strategy.name} check is false"
    return trace


def _explain_check(client: FlagClient, strategy: _Strategy, ctx: Context) -> dict[str, Any]:
    """The bucket arithmetic behind a rollout strategy (no context value copied)."""
    params = strategy.parameters
    if strategy.name == "flexibleRollout":
        pct = _percent(params, "rollout")
        stickiness = _param(params, "stickiness") or "default"
        if pct is None:
            return {"detail": "rollout is not a number"}
        if stickiness == "random":
            return {"detail": f"random draw against rollout {pct:g}%"}
        if stickiness == "default":
            used = "userId" if context_value(ctx, "userId") else "sessionId"
            ident = client._stickiness_value("default", ctx)
            if ident is None:
                return {"detail": f"no userId or sessionId: random draw against {pct:g}%"}
        else:
            used = stickiness
            ident = context_value(ctx, stickiness)
            if ident is None:
                return {"detail": f"the stickiness field {stickiness} is missing"}
        bucket = normalized_hash(ident, strategy.group_id, 100, STRATEGY_SEED)
        sign = "<=" if bucket <= pct else ">"
        return {
            "bucket": bucket,
            "rollout": pct,
            "stickiness": used,
            "group_id": strategy.group_id,
            "detail": f"bucket {bucket} {sign} rollout {pct:g}% "
            f"(stickiness {used}, group {strategy.group_id})",
        }
    if strategy.name in ("gradualRolloutUserId", "gradualRolloutSessionId"):
        used = "userId" if strategy.name == "gradualRolloutUserId" else "sessionId"
        maybe_pct = _percent(params, "percentage")
        group = _param(params, "groupId")
        ident = context_value(ctx, used)
        if maybe_pct is None or group is None or ident is None:
            return {}
        bucket = normalized_hash(ident, group)
        sign = "<=" if bucket <= maybe_pct else ">"
        return {
            "bucket": bucket,
            "rollout": maybe_pct,
            "stickiness": used,
            "group_id": group,
            "detail": f"bucket {bucket} {sign} {maybe_pct:g}% ({used}, group {group})",
        }
    return {}


def _explain_variant(
    client: FlagClient, feature: _Feature, strategy: _Strategy | None, ctx: Context
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    variant = client._pick(feature, strategy, ctx)
    if strategy is not None and strategy.variants:
        variants, group, sticky, source = (
            strategy.variants,
            strategy.group_id,
            strategy.stickiness,
            "strategy",
        )
    elif feature.variants:
        variants, group, sticky, source = feature.variants, feature.name, None, "feature"
    else:
        return variant, None
    choice: dict[str, Any] = {"source": source, "name": variant["name"]}
    for candidate in variants:
        for override in candidate.overrides:
            found = context_value(ctx, override.field)
            if found is not None and found in override.values:
                choice["override"] = override.field
                return variant, choice
    total = sum(v.weight for v in variants)
    stickiness = (sticky if source == "strategy" else variants[0].stickiness) or "default"
    choice["total_weight"] = total
    choice["stickiness"] = stickiness
    seed = client._stickiness_value(stickiness, ctx)
    if seed is not None and total > 0:
        choice["bucket"] = normalized_hash(seed, group, total, VARIANT_SEED)
    return variant, choice
