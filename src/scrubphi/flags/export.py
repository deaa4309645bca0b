"""``FlagClient.to_unleash``: the flags as an Unleash features document, as they stand now."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrubphi.flags.evaluator import FlagClient

__all__ = ["export_document"]


def export_document(client: FlagClient) -> dict[str, Any]:
    """The ``/api/client/features`` document of ``client`` (see ``FlagClient.to_unleash``)."""
    snap = client._snap
    features: list[dict[str, Any]] = []
    for name in sorted(snap.raw_features):
        raw = copy.deepcopy(dict(snap.raw_features[name]))
        binding = snap.features[name].binding
        if binding is not None:
            index = client._phase_index(binding)
            if index is None:
                raw["enabled"] = False
                raw["strategies"] = []
            else:
                raw["strategies"] = copy.deepcopy(list(binding.raw_phases[index]))
        strategies = raw.get("strategies") or []
        active = [st for st in strategies if not st.get("disabled", False)]
        if strategies and not active:
            # Off, as Unleash shows it; an SDK would read an empty list as "on".
            raw["enabled"] = False
        raw["strategies"] = active
        features.append(raw)
    segments = [copy.deepcopy(dict(s)) for _, s in sorted(snap.segments.items(), key=_seg_key)]
    return {"version": 2, "features": features, "segments": segments}


def _seg_key(item: tuple[Any, Mapping[str, Any]]) -> tuple[str, str]:
    key = item[0]
    return (type(key).__name__, f"{key:>20}" if isinstance(key, int) else str(key))
