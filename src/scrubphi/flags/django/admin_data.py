"""What the admin page shows: flags, plans, phases, history and exposures, as plain data."""

from __future__ import annotations

import logging
from typing import Any

from scrubphi.errors import ScrubPhiError
from scrubphi.flags.django import conf
from scrubphi.flags.plans import Phase, RolloutPlan
from scrubphi.flags.policy import compile_policy
from scrubphi.flags.state import StateStoreError
from scrubphi.policy import load_policy

__all__ = ["overview", "phase_share"]

_log = logging.getLogger("scrubphi.flags.django")


def phase_share(phase: Phase) -> str:
    """Who a phase lets in, in words."""
    if phase.audience is not None:
        return f"segment {phase.audience}"
    return f"{phase.percent}% of users"


def _strategies(feature: dict[str, Any]) -> str:
    strategies = feature.get("strategies") or []
    if not strategies:
        return "everyone" if feature.get("enabled") else "-"
    names = [str(s.get("name")) + (" (disabled)" if s.get("disabled") else "") for s in strategies]
    return ", ".join(names)


def _plan_entry(plan: RolloutPlan, store: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": plan.name,
        "description": plan.description,
        "phases": [
            {"index": p.index, "name": p.name, "share": phase_share(p)} for p in plan.phases
        ],
        "phase": None,
        "phase_index": None,
        "share": None,
        "started_at": None,
        "version": 0,
        "history": [],
        "error": None,
    }
    if store is None:
        entry["error"] = "no state store (SCRUBPHI_STATE is not set): the plan is not running"
        return entry
    try:
        state = store.get(plan.name)
        events = store.history(plan.name)
    except StateStoreError as exc:
        _log.warning("admin page: the rollout state store cannot be read (%s)", exc)
        entry["error"] = f"the state store cannot be read: {exc}"
        return entry
    entry["version"] = state.version
    entry["started_at"] = state.started_at
    if state.phase is not None and 0 <= state.phase < len(plan.phases):
        current = plan.phases[state.phase]
        entry.update(phase=current.name, phase_index=state.phase, share=phase_share(current))

    def name(index: int | None) -> str:
        if index is None:
            return "stopped"
        return plan.phases[index].name if 0 <= index < len(plan.phases) else f"#{index}"

    entry["history"] = [
        {
            "at": e.at,
            "from": "not running" if e.from_phase is None else name(e.from_phase),
            "to": name(e.to_phase),
            "actor": e.actor,
            "reason": e.reason,
        }
        for e in reversed(events)
    ]
    return entry


def overview() -> dict[str, Any]:
    """``flags`` and ``plans`` for the page; ``error`` when the policy cannot be loaded."""
    try:
        compiled = compile_policy(load_policy(*conf.policy_paths()))
        client = conf.get_client()
    except (ScrubPhiError, OSError) as exc:
        return {"flags": [], "plans": [], "error": f"the flag policy cannot be loaded: {exc}"}
    store = conf.get_store()
    plans = {name: _plan_entry(plan, store) for name, plan in sorted(compiled.plans.items())}
    exposures = client.exposures()
    flags = []
    for feature in compiled.document["features"]:
        name = feature["name"]
        binding = compiled.bindings.get(name)
        counts = exposures.get(name) or {}
        flags.append(
            {
                "name": name,
                "description": feature.get("description"),
                "enabled": bool(feature.get("enabled")),
                "plan": plans[binding.plan] if binding is not None else None,
                "strategies": None if binding is not None else _strategies(dict(feature)),
                "yes": counts.get("yes", 0),
                "no": counts.get("no", 0),
                "phase_counts": sorted((counts.get("phases") or {}).items()),
            }
        )
    return {"flags": flags, "plans": list(plans.values()), "error": None}
