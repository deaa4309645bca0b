"""The policy's ``canary:`` section, validated into frozen steps.

Why strict: a canary flow is a promise about production traffic.  A typo such
as ``pasue: 5m`` that was silently ignored would shift 50% of the traffic
without the five minutes of watching the team asked for, so every unknown
key, wrong type or bad value is a :class:`~scrubphi.errors.PolicyError` with
file:line:column and key path (through ``policy.other.error``).

Shape (``docs/canary.md``)::

    canary:
      steps:
        - health_check: {url: /healthz, timeout: 5s, attempts: 3, interval: 1s}
        - weight: 10            # percent of requests sent to the canary
        - pause: 5m             # watch this long before the next step
        - weight: 100
      analysis: rollback        # rollback: the policy's rollback rules run throughout | none
      rollback_within: 60s      # the switch back to stable must finish inside this

Choices a user would care about (as in Argo Rollouts):

* A flow that ends below 100% is completed by the controller: reaching the
  end of the steps means "promote", which sends all traffic to the canary.
* Weights may go down as well as up (a deliberate step back is allowed), but
  must be whole percentages from 0 to 100.
* ``analysis: rollback`` needs a ``rollback:`` section in the policy, and a
  flow without any ``pause`` is accepted: the rules still run on every tick.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from scrubphi.errors import PolicyError
from scrubphi.policy.loader import PolicySections
from scrubphi.policy.loader import describe_value as _kind
from scrubphi.policy.model import Policy
from scrubphi.policy.units import parse_duration

__all__ = [
    "CanaryPolicy",
    "HealthCheckStep",
    "PauseStep",
    "Step",
    "WeightStep",
    "canary_from_policy",
]

_TOP_KEYS = (
    "steps", "analysis", "rollback_within", "no_data_limit", "inconclusive_limit",
    "progress_deadline", "when_stuck", "probe_interval",
)
_STEP_KINDS = ("health_check", "weight", "pause")
_HEALTH_KEYS = ("url", "timeout", "attempts", "interval")
_ANALYSIS = ("rollback", "none")
_DEFAULT_ROLLBACK_WITHIN = 60.0
_WHEN_STUCK = ("rollback", "pause")
_MAX_ATTEMPTS = 100


@dataclass(frozen=True)
class HealthCheckStep:
    """GET ``url`` on the canary; 2xx within ``timeout`` passes, else retry up to ``attempts``."""

    url: str
    timeout: float = 5.0
    attempts: int = 3
    interval: float = 1.0

    def describe(self) -> str:
        return f"health_check {self.url}"


@dataclass(frozen=True)
class WeightStep:
    """Send ``percent`` of requests to the canary and the rest to stable."""

    percent: int

    def describe(self) -> str:
        return f"weight {self.percent}%"


@dataclass(frozen=True)
class PauseStep:
    """Hold the current weight for ``seconds`` while the rules watch."""

    seconds: float

    def describe(self) -> str:
        return f"pause {_fmt_seconds(self.seconds)}"


Step = HealthCheckStep | WeightStep | PauseStep


@dataclass(frozen=True)
class CanaryPolicy:
    """The validated ``canary:`` section."""

    steps: tuple[Step, ...]
    analysis: Literal["rollback", "none"] = "rollback"
    rollback_within: float = _DEFAULT_ROLLBACK_WITHIN
    #: Consecutive checks (one per rules interval) in which the canary answered
    #: no request (or no health probe) that fail the analysis, as in Flagger.
    no_data_limit: int = 3
    #: How long the analysis may stay inconclusive without a break before the
    #: run is stuck (Argo Rollouts' inconclusiveLimit, as a duration).
    inconclusive_limit: float = 600.0
    #: How long a step may stay beyond its own pause length without moving on
    #: (held by a pending, alerting or inconclusive rule) before the run is stuck
    #: (Argo Rollouts' progressDeadlineSeconds).
    progress_deadline: float = 600.0
    #: What a stuck run does: roll back (default) or pause for a human.
    when_stuck: Literal["rollback", "pause"] = "rollback"
    #: Seconds between health probes of the canary for the whole run (flows
    #: with a health_check step); they feed ``health_check_failure_ratio``.
    probe_interval: float = 5.0

    @property
    def health_check(self) -> HealthCheckStep | None:
        """The flow's first health_check step: what the continuous probes ask."""
        return next((s for s in self.steps if isinstance(s, HealthCheckStep)), None)


def _fmt_seconds(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)}m"
    return f"{seconds:g}s"


def canary_from_policy(policy: Policy | PolicySections) -> CanaryPolicy:
    """Validate ``canary:`` of a loaded policy (``load_policy(...)`` or its ``.other``).

    Raises :class:`PolicyError` naming file, line, column and key path.
    """
    sections = policy.other if isinstance(policy, Policy) else policy
    if not isinstance(sections, PolicySections):
        sections = PolicySections(sections)
    if "canary" not in sections:
        raise PolicyError("the policy has no canary: section (see docs/canary.md)")
    return _Parser(sections).parse()


class _Parser:
    def __init__(self, sections: PolicySections) -> None:
        self.s = sections

    def fail(self, message: str, *path: Any) -> PolicyError:
        return self.s.error(message, *path)

    def keys(self, value: Mapping[Any, Any], allowed: tuple[str, ...], *path: Any) -> None:
        for key in value:
            if key not in allowed:
                raise self.fail(f"unknown key {key!s}; allowed: {', '.join(allowed)}", *path, key)

    def duration(self, value: object, *path: Any, positive: bool = True) -> float:
        try:
            seconds = parse_duration(value)
        except ValueError as exc:
            raise self.fail(str(exc), *path) from None
        if positive and seconds <= 0:
            raise self.fail("the duration must be more than zero", *path)
        return seconds

    def parse(self) -> CanaryPolicy:
        section = self.s["canary"]
        if not isinstance(section, dict):
            raise self.fail(
                f"canary is a mapping with {', '.join(_TOP_KEYS)}, not {_kind(section)}",
                "canary",
            )
        self.keys(section, _TOP_KEYS, "canary")
        if "steps" not in section:
            raise self.fail(
                "canary needs steps: a list of health_check, weight and pause", "canary"
            )
        steps_raw = section["steps"]
        if not isinstance(steps_raw, list) or not steps_raw:
            raise self.fail(
                "steps is a non-empty list of {health_check: ...}, {weight: N}, {pause: DURATION}",
                "canary",
                "steps",
            )
        steps = tuple(self.step(item, i) for i, item in enumerate(steps_raw))
        analysis: Literal["rollback", "none"] = "rollback"
        if "analysis" in section:
            value = section["analysis"]
            if value not in _ANALYSIS:
                raise self.fail(
                    "analysis is rollback (the policy's rollback rules run throughout) or none",
                    "canary",
                    "analysis",
                )
            analysis = "rollback" if value == "rollback" else "none"
        if analysis == "rollback" and "rollback" not in self.s:
            where = ("canary", "analysis") if "analysis" in section else ("canary",)
            raise self.fail(
                "analysis: rollback needs a rollback: section with rules in the policy "
                "(or write analysis: none to run the steps without watching)",
                *where,
            )
        within = _DEFAULT_ROLLBACK_WITHIN
        if "rollback_within" in section:
            within = self.duration(section["rollback_within"], "canary", "rollback_within")
        no_data = 3
        if "no_data_limit" in section:
            no_data = section["no_data_limit"]
            if isinstance(no_data, bool) or not isinstance(no_data, int) or not no_data >= 1:
                raise self.fail(
                    "no_data_limit is a whole number of checks, 1 or more (one check per "
                    "rollback.interval)", "canary", "no_data_limit",
                )
        limits = {}
        for key in ("inconclusive_limit", "progress_deadline", "probe_interval"):
            if key in section:
                limits[key] = self.duration(section[key], "canary", key)
        when_stuck: Literal["rollback", "pause"] = "rollback"
        if "when_stuck" in section:
            if section["when_stuck"] not in _WHEN_STUCK:
                raise self.fail(
                    "when_stuck is rollback (default) or pause (hold for a person: "
                    "scrubphi canary resume / promote / abort)", "canary", "when_stuck",
                )
            when_stuck = "pause" if section["when_stuck"] == "pause" else "rollback"
        return CanaryPolicy(
            steps=steps, analysis=analysis, rollback_within=within, no_data_limit=no_data,
            inconclusive_limit=limits.get("inconclusive_limit", 600.0),
            progress_deadline=limits.get("progress_deadline", 600.0),
            when_stuck=when_stuck, probe_interval=limits.get("probe_interval", 5.0),
        )

    def step(self, item: object, index: int) -> Step:
        path = ("canary", "steps", index)
        if not isinstance(item, dict) or len(item) != 1:
            raise self.fail(
                "each step is a mapping with one key: health_check, weight or pause "
                "(e.g. - weight: 10)",
                *path,
            )
        ((kind, value),) = item.items()
        if kind not in _STEP_KINDS:
            raise self.fail(
                f"unknown step {kind!s}; allowed: {', '.join(_STEP_KINDS)}", *path, kind
            )
        here = (*path, kind)
        if kind == "weight":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
                shown = (
                    ""
                    if isinstance(value, int) and not isinstance(value, bool)
                    else (f", not {_kind(value)}")
                )
                raise self.fail(
                    f"weight is a whole percentage of requests from 0 to 100 (weight: 10){shown}",
                    *here,
                )
            return WeightStep(value)
        if kind == "pause":
            return PauseStep(self.duration(value, *here))
        if not isinstance(value, dict):
            raise self.fail(
                f"health_check is a mapping such as {{url: /healthz, timeout: 5s}}, "
                f"not {_kind(value)}",
                *here,
            )
        self.keys(value, _HEALTH_KEYS, *here)
        url = value.get("url")
        if not isinstance(url, str) or not url.startswith("/"):
            raise self.fail(
                "health_check needs url: a path on the canary starting with /, e.g. /healthz",
                *((*here, "url") if "url" in value else here),
            )
        if any(ch.isspace() for ch in url):
            raise self.fail("url must not contain spaces", *here, "url")
        timeout = self.duration(value["timeout"], *here, "timeout") if "timeout" in value else 5.0
        interval = (
            self.duration(value["interval"], *here, "interval") if "interval" in value else 1.0
        )
        attempts = 3
        if "attempts" in value:
            attempts = value["attempts"]
            if (
                isinstance(attempts, bool)
                or not isinstance(attempts, int)
                or not 1 <= attempts <= _MAX_ATTEMPTS
            ):
                raise self.fail(
                    f"attempts is a whole number from 1 to {_MAX_ATTEMPTS}", *here, "attempts"
                )
        return HealthCheckStep(url=url, timeout=timeout, attempts=attempts, interval=interval)
