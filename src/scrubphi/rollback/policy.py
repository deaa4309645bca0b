"""The policy's ``rollback`` section: rules, defaults, metric queries and sources.

Parsed as strictly as the loader parses ``scrub``: an unknown key, a wrong
type or a bad value is a :class:`~scrubphi.errors.PolicyError` with
file:line:column and key path, because a typo in a rollback rule must not
silently turn it off.

Windows are turned into counts of evaluations here, once: a rule is
evaluated every ``interval`` (default 15s) and ``for: 2m`` means the
condition held at each of the ``ceil(120 / 15) + 1 = 9`` evaluations from
two minutes ago to now, exactly as a Prometheus alerting rule goes from
pending to firing when ``now - active_since >= for``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from string import Template
from typing import Any, Literal

from scrubphi.policy.loader import SectionReader
from scrubphi.policy.loader import describe_value as _describe
from scrubphi.policy.model import Location, Policy
from scrubphi.policy.secrets import check_secret_ref
from scrubphi.policy.units import parse_duration, parse_percent

__all__ = [
    "ACTIONS",
    "COMPARISONS",
    "DEFAULT_INTERVAL",
    "MISSING_DATA",
    "PROVIDERS",
    "MetricQuery",
    "Rule",
    "RuleSet",
    "SourceConfig",
    "rules_from_mapping",
    "rules_from_policy",
]

Comparison = Literal["above", "below"]
COMPARISONS: tuple[str, ...] = ("above", "below")
ACTIONS: tuple[str, ...] = ("alert", "rollback", "alert_then_rollback", "rollback_now")
MISSING_DATA: tuple[str, ...] = ("breaching", "not_breaching", "ignore", "inconclusive")
PROVIDERS: tuple[str, ...] = ("prometheus", "datadog", "memory")
DEFAULT_INTERVAL = 15.0
DEFAULT_MISSING_DATA = "inconclusive"
DEFAULT_MIN_SAMPLES = 1

_SECTION_KEYS = ("rules", "missing_data", "min_samples", "interval", "metrics", "sources")
_RULE_KEYS = (
    "name",
    "description",
    "metric",
    "above",
    "below",
    "for",
    "consecutive",
    "m_of_n",
    "action",
    "grace",
    "missing_data",
    "min_samples",
)
_METRIC_KEYS = ("description", *PROVIDERS)
_SOURCE_KEYS: Mapping[str, tuple[str, ...]] = {
    "prometheus": ("url",),
    "datadog": ("url", "api_key", "app_key"),
}
_PLACEHOLDERS = ("cohort", "window", "interval", "plan", "phase")
_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*\Z")


@dataclass(frozen=True)
class MetricQuery:
    """The query text of one named metric, per provider.

    Queries may use ``$interval`` (the rules' evaluation interval, e.g.
    ``15s``), and for rollout gate metrics ``$cohort`` (``on``/``off``),
    ``$window`` (how long the phase has run, e.g. ``259200s``), ``$plan``
    and ``$phase``; write ``$$`` for a literal dollar.
    """

    name: str
    queries: Mapping[str, str]
    description: str | None = None

    def text(self, provider: str, **values: str) -> str | None:
        """The query for ``provider`` with the placeholders filled; None if it has none."""
        raw = self.queries.get(provider)
        if raw is None:
            if provider == "memory":
                raw = self.name
            else:
                return None
        return Template(raw).safe_substitute(values)

    def per_cohort(self, provider: str) -> bool:
        """True when the query distinguishes the flag-on and flag-off cohorts."""
        raw = self.queries.get(provider)
        return raw is not None and "cohort" in Template(raw).get_identifiers()


@dataclass(frozen=True)
class SourceConfig:
    """Settings of one provider from ``rollback.sources`` (secrets as references)."""

    provider: str
    url: str | None = None
    api_key: str | None = None
    app_key: str | None = None
    base_dir: str = "."


@dataclass(frozen=True)
class Rule:
    """One rollback rule, with its window already counted in evaluations.

    ``need`` of the last ``size`` evaluations must breach for the rule to
    fire (``need == size`` for ``for`` and ``consecutive``).  ``grace_evals``
    extra evaluations are needed before an ``alert_then_rollback`` rule with
    ``grace`` rolls back.
    """

    name: str
    metric: str
    comparison: Comparison
    threshold: float
    window_kind: Literal["for", "consecutive", "m_of_n"]
    need: int
    size: int
    action: str
    missing_data: str
    min_samples: int
    interval: float
    percent: bool = False
    duration: float | None = None
    grace: float | None = None
    grace_evals: int = 0
    description: str | None = None
    location: Location | None = field(default=None, compare=False)

    def breaches(self, value: float) -> bool:
        """``above`` is strictly greater, ``below`` strictly less: at the threshold is fine."""
        return value > self.threshold if self.comparison == "above" else value < self.threshold

    @property
    def span(self) -> float:
        """Seconds from the oldest evaluation the rule looks at to now."""
        return (self.size + self.grace_evals - 1) * self.interval


@dataclass(frozen=True)
class RuleSet:
    """The whole ``rollback`` section: rules, defaults, metric queries, sources."""

    rules: tuple[Rule, ...]
    interval: float = DEFAULT_INTERVAL
    missing_data: str = DEFAULT_MISSING_DATA
    min_samples: int = DEFAULT_MIN_SAMPLES
    metrics: Mapping[str, MetricQuery] = field(default_factory=dict)
    sources: Mapping[str, SourceConfig] = field(default_factory=dict)

    def __iter__(self) -> Any:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def lookback(self) -> float:
        """Seconds of history a check needs: the longest window, and min_samples intervals."""
        longest = max(
            (
                r.span + r.interval * (r.size if r.missing_data == "ignore" else 0)
                for r in self.rules
            ),
            default=0.0,
        )
        samples = max((r.min_samples for r in self.rules), default=0) * self.interval
        return max(longest + self.interval, samples)


class _Reader(SectionReader):
    def base_dir(self, *path: Any) -> str:
        base = getattr(self.sections, "base_dir", None)
        return base(*path) if base is not None else "."

    def mapping(self, value: Any, what: str, *path: Any) -> dict[Any, Any]:
        if not isinstance(value, dict):
            self.fail(f"{what} must be a mapping, not {_describe(value)}", *path)
        return value

    def keys(
        self, value: Mapping[Any, Any], allowed: tuple[str, ...], what: str, *path: Any
    ) -> None:
        for key in value:
            if key not in allowed:
                self.fail(
                    f"unknown key {key!s} in {what}; allowed: {', '.join(allowed)}", *path, key
                )

    def text(self, value: Any, what: str, *path: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{what} must be a non-empty string, not {_describe(value)}", *path)
        return value

    def count(self, value: Any, what: str, low: int, *path: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            self.fail(f"{what} must be a whole number, {low} or more", *path)
        return value

    def duration(self, value: Any, *path: Any) -> float:
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(str(exc), *path)

    def choice(self, value: Any, allowed: tuple[str, ...], what: str, *path: Any) -> str:
        if value not in allowed:
            self.fail(f"{what} must be one of {' | '.join(allowed)}", *path)
        return str(value)

    # -- the section ---------------------------------------------------------

    def run(self) -> RuleSet:
        raw = self.sections.get("rollback")
        if raw is None:
            return RuleSet(())
        body = self.mapping(raw, "rollback", "rollback")
        self.keys(body, _SECTION_KEYS, "rollback", "rollback")
        interval = DEFAULT_INTERVAL
        if "interval" in body:
            interval = self.duration(body["interval"], "rollback", "interval")
            if interval <= 0:
                self.fail("interval must be more than 0s", "rollback", "interval")
        missing = DEFAULT_MISSING_DATA
        if "missing_data" in body:
            missing = self.choice(
                body["missing_data"], MISSING_DATA, "missing_data", "rollback", "missing_data"
            )
        min_samples = DEFAULT_MIN_SAMPLES
        if "min_samples" in body:
            min_samples = self._min_samples(body["min_samples"], "rollback", "min_samples")
        metrics = self.metrics(body.get("metrics"))
        sources = self.sources(body.get("sources"))
        rules_raw = body.get("rules")
        if not isinstance(rules_raw, list) or not rules_raw:
            self.fail(
                "rules must be a list of at least one rule",
                "rollback",
                *(("rules",) if "rules" in body else ()),
            )
        rules: list[Rule] = []
        seen: set[str] = set()
        for index, rule_raw in enumerate(rules_raw):
            rule = self.rule(index, rule_raw, interval, missing, min_samples, metrics)
            if rule.name in seen:
                self.fail(
                    f"rule name {rule.name} is used twice", "rollback", "rules", index, "name"
                )
            seen.add(rule.name)
            rules.append(rule)
        return RuleSet(tuple(rules), interval, missing, min_samples, metrics, sources)

    def _min_samples(self, value: Any, *path: Any) -> int:
        return self.count(
            value, "min_samples (at least 1: with 0 an empty result could pass)", 1, *path
        )

    def rule(
        self,
        index: int,
        raw: Any,
        interval: float,
        missing: str,
        min_samples: int,
        metrics: Mapping[str, MetricQuery],
    ) -> Rule:
        path = ("rollback", "rules", index)
        body = self.mapping(raw, "a rule", *path)
        self.keys(body, _RULE_KEYS, "a rule", *path)
        name = self.text(body.get("name"), "every rule needs a name, which", *path, "name")
        if _NAME_RE.match(name) is None:
            self.fail("a rule name is letters, digits, _, . and -", *path, "name")
        metric = self.text(body.get("metric"), "metric", *path, "metric")
        if (
            metric in metrics
            and metrics[metric].queries
            and any(metrics[metric].per_cohort(p) for p in PROVIDERS)
        ):
            self.fail(
                f"metric {metric} uses $cohort, which only rollout gate metrics may: "
                "a rollback rule watches one series",
                *path,
                "metric",
            )
        given = [c for c in COMPARISONS if c in body]
        if len(given) != 1:
            self.fail("give exactly one threshold: above: X or below: X", *path)
        comparison: Comparison = "above" if given[0] == "above" else "below"
        threshold, percent = self.threshold(body[comparison], *path, comparison)
        windows = [w for w in ("for", "consecutive", "m_of_n") if w in body]
        if len(windows) != 1:
            self.fail(
                "give exactly one window: for: 2m (held at every evaluation), "
                "consecutive: N (evaluations) or m_of_n: [M, N]",
                *path,
            )
        kind = windows[0]
        duration: float | None = None
        if kind == "for":
            duration = self.duration(body["for"], *path, "for")
            need = size = math.ceil(duration / interval - 1e-9) + 1
        elif kind == "consecutive":
            need = size = self.count(body["consecutive"], "consecutive", 1, *path, "consecutive")
        else:
            pair = body["m_of_n"]
            if (
                not isinstance(pair, list)
                or len(pair) != 2
                or any(isinstance(x, bool) or not isinstance(x, int) for x in pair)
                or not 1 <= pair[0] <= pair[1]
            ):
                self.fail("m_of_n must be [M, N] with whole numbers 1 <= M <= N", *path, "m_of_n")
            need, size = int(pair[0]), int(pair[1])
        action = self.choice(body.get("action"), ACTIONS, "action", *path, "action")
        grace: float | None = None
        grace_evals = 0
        if "grace" in body:
            if action != "alert_then_rollback":
                self.fail("grace only applies to action: alert_then_rollback", *path, "grace")
            if kind == "m_of_n":
                self.fail(
                    "grace applies to for and consecutive windows, not m_of_n", *path, "grace"
                )
            grace = self.duration(body["grace"], *path, "grace")
            if grace <= 0:
                self.fail(
                    "grace must be more than 0s (leave it out to roll back when the window fires)",
                    *path,
                    "grace",
                )
            grace_evals = math.ceil(grace / interval - 1e-9)
        rule_missing = missing
        if "missing_data" in body:
            rule_missing = self.choice(
                body["missing_data"], MISSING_DATA, "missing_data", *path, "missing_data"
            )
        rule_min = min_samples
        if "min_samples" in body:
            rule_min = self._min_samples(body["min_samples"], *path, "min_samples")
        description = None
        if "description" in body:
            description = self.text(body["description"], "description", *path, "description")
        return Rule(
            name=name,
            metric=metric,
            comparison=comparison,
            threshold=threshold,
            window_kind=kind,  # type: ignore[arg-type]
            need=need,
            size=size,
            action=action,
            missing_data=rule_missing,
            min_samples=rule_min,
            interval=interval,
            percent=percent,
            duration=duration,
            grace=grace,
            grace_evals=grace_evals,
            description=description,
            location=self.where(*path),
        )

    def threshold(self, value: Any, *path: Any) -> tuple[float, bool]:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):
                self.fail("a threshold must be a finite number", *path)
            return float(value), False
        if isinstance(value, str) and value.strip().endswith("%"):
            try:
                return parse_percent(value), True
            except ValueError as exc:
                self.fail(str(exc), *path)
        self.fail(
            f"a threshold is a number (2000) or a percentage (1%, 0.5%), not {_describe(value)}",
            *path,
        )

    def metrics(self, raw: Any) -> dict[str, MetricQuery]:
        if raw is None:
            return {}
        body = self.mapping(raw, "metrics", "rollback", "metrics")
        out: dict[str, MetricQuery] = {}
        for name, spec in body.items():
            path = ("rollback", "metrics", name)
            if not isinstance(name, str) or _NAME_RE.match(name) is None:
                self.fail("a metric name is letters, digits, _, . and -", *path)
            entry = self.mapping(spec, f"metric {name}", *path)
            self.keys(entry, _METRIC_KEYS, f"metric {name}", *path)
            queries: dict[str, str] = {}
            for provider in PROVIDERS:
                if provider not in entry:
                    continue
                text = self.text(entry[provider], f"the {provider} query", *path, provider)
                template = Template(text)
                if not template.is_valid():
                    self.fail(
                        "a $ in a query starts a placeholder ($cohort, $window, "
                        "$interval, $plan, $phase); write $$ for a literal $",
                        *path,
                        provider,
                    )
                for ident in template.get_identifiers():
                    if ident not in _PLACEHOLDERS:
                        self.fail(
                            f"unknown placeholder ${ident}; allowed: "
                            + ", ".join("$" + p for p in _PLACEHOLDERS),
                            *path,
                            provider,
                        )
                queries[provider] = text
            if not queries:
                self.fail(f"give a query for at least one of {', '.join(PROVIDERS)}", *path)
            description = None
            if "description" in entry:
                description = self.text(entry["description"], "description", *path, "description")
            out[name] = MetricQuery(name, queries, description)
        return out

    def sources(self, raw: Any) -> dict[str, SourceConfig]:
        if raw is None:
            return {}
        body = self.mapping(raw, "sources", "rollback", "sources")
        self.keys(body, tuple(_SOURCE_KEYS), "sources", "rollback", "sources")
        out: dict[str, SourceConfig] = {}
        for provider, spec in body.items():
            path = ("rollback", "sources", provider)
            entry = self.mapping(spec, f"source {provider}", *path)
            self.keys(entry, _SOURCE_KEYS[provider], f"source {provider}", *path)
            url = self.text(entry["url"], "url", *path, "url") if "url" in entry else None
            keys: dict[str, str] = {}
            for key in ("api_key", "app_key"):
                if key in entry:
                    try:
                        keys[key] = check_secret_ref(entry[key])
                    except ValueError as exc:
                        self.fail(str(exc), *path, key)
            out[provider] = SourceConfig(
                provider, url, keys.get("api_key"), keys.get("app_key"), self.base_dir(*path)
            )
        return out


def rules_from_policy(policy: Policy) -> RuleSet:
    """The validated ``rollback`` section of ``policy`` (empty when it has none)."""
    return _Reader(policy.other).run()


def rules_from_mapping(section: Mapping[str, Any]) -> RuleSet:
    """Parse a ``rollback`` section given as plain data (errors name key paths only)."""
    return _Reader({"rollback": section}).run()
