"""Feature flags: Unleash-compatible local evaluation, from a policy or a features document.

``load_unleash(document)`` and ``FlagClient.from_policy(policy, state=...)``
build a :class:`FlagClient`; ``is_enabled`` and ``get_variant`` evaluate
flags in process with Unleash's semantics (strategies, constraints,
segments, variants, dependencies), and ``exposures()`` counts the results
for rollout gates.  See ``docs/flags.md``.
"""

from __future__ import annotations

from scrubphi.flags.evaluator import CustomStrategy, FlagClient, RolloutState, load_unleash
from scrubphi.flags.exposure import ExposureCounter
from scrubphi.flags.plans import Phase, RolloutPlan, StaticState
from scrubphi.flags.policy import CompiledFlags, compile_policy, export_unleash, rollout_plans

__all__ = [
    "CompiledFlags",
    "CustomStrategy",
    "ExposureCounter",
    "FlagClient",
    "Phase",
    "RolloutPlan",
    "RolloutState",
    "StaticState",
    "compile_policy",
    "export_unleash",
    "load_unleash",
    "rollout_plans",
]
