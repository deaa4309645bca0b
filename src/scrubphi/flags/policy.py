"""The policy's ``flags``, ``segments`` and ``rollouts`` sections, validated and compiled.

The loader hands these sections over as plain data that still knows where
each value was written (``PolicySections``); this module checks them as
strictly as the loader checks ``scrub`` (an unknown key, a wrong type or a
bad value is a ``PolicyError`` with file:line:column and key path: a typo
must not silently turn a flag on or off) and compiles them to an Unleash
``/api/client/features`` document.

Here are the flags (strategies, constraints, variants, dependencies) and
segments; the ``rollouts`` section is read by :mod:`scrubphi.flags.plans`,
which also gives a flag that follows a plan its strategy list per phase, and
the typed checks both use are :mod:`scrubphi.flags.sections`.  ``Phase``,
``RolloutPlan`` and ``StaticState`` are importable from here as before.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scrubphi import jsontext
from scrubphi.flags.constraints import (
    OPERATORS,
    RefusedPattern,
    compile_regex,
    parse_date,
    parse_ip_networks,
    parse_number,
    parse_semver,
)
from scrubphi.flags.evaluator import FlagClient, PhaseBinding, RolloutState
from scrubphi.flags.plans import Phase, PlanReader, RolloutPlan, StaticState, bind_plan
from scrubphi.flags.sections import NAME_RE, SectionChecks
from scrubphi.policy.loader import describe_value as _describe
from scrubphi.policy.model import Policy

__all__ = [
    "STRATEGY_PARAMETERS",
    "CompiledFlags",
    "Phase",
    "RolloutPlan",
    "StaticState",
    "compile_policy",
    "export_unleash",
    "rollout_plans",
]

#: Built-in strategies a policy may use, with the parameters each accepts.
STRATEGY_PARAMETERS: Mapping[str, tuple[str, ...]] = {
    "default": (),
    "userWithId": ("userIds",),
    "gradualRolloutUserId": ("percentage", "groupId"),
    "gradualRolloutSessionId": ("percentage", "groupId"),
    "gradualRolloutRandom": ("percentage",),
    "flexibleRollout": ("rollout", "stickiness", "groupId"),
    "remoteAddress": ("IPs",),
    "applicationHostname": ("hostNames",),
}
_REQUIRED_PARAMETERS: Mapping[str, tuple[str, ...]] = {
    "userWithId": ("userIds",),
    "gradualRolloutUserId": ("percentage",),
    "gradualRolloutSessionId": ("percentage",),
    "gradualRolloutRandom": ("percentage",),
    "flexibleRollout": ("rollout",),
    "remoteAddress": ("IPs",),
    "applicationHostname": ("hostNames",),
}
_FLAG_KEYS = (
    "description",
    "enabled",
    "plan",
    "strategies",
    "variants",
    "dependencies",
    "type",
    "impression_data",
)
_FLAG_TYPES = ("release", "experiment", "operational", "kill-switch", "permission")
_STRATEGY_KEYS = ("name", "parameters", "constraints", "segments", "variants", "disabled")
_CONSTRAINT_KEYS = (
    "context",
    "contextName",
    "operator",
    "values",
    "value",
    "caseInsensitive",
    "inverted",
)
_VARIANT_KEYS = ("name", "weight", "payload", "stickiness", "overrides")
_PAYLOAD_TYPES = ("string", "json", "csv", "number")
_DEPENDENCY_KEYS = ("feature", "enabled", "variants")
_SEGMENT_KEYS = ("description", "constraints")


# --------------------------------------------------------------------------
# The compiled result
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledFlags:
    """A policy's flags as an Unleash document plus what the document cannot say."""

    document: Mapping[str, Any]
    bindings: Mapping[str, PhaseBinding]
    plans: Mapping[str, RolloutPlan]
    segment_ids: Mapping[str, int]


# --------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------


def compile_policy(policy: Policy) -> CompiledFlags:
    """Validate the flag sections of ``policy`` and compile them; raises PolicyError."""
    return _Compiler(policy.other).run()


def rollout_plans(policy: Policy) -> dict[str, RolloutPlan]:
    """The validated rollout plans of ``policy``, by name."""
    return dict(compile_policy(policy).plans)


def export_unleash(policy: Policy, state: RolloutState | None = None) -> dict[str, Any]:
    """The policy's flags as an Unleash ``/api/client/features`` document, as they stand."""
    return FlagClient.from_policy(policy, state=state).to_unleash()


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


def _has_variants(feature: Mapping[str, Any]) -> bool:
    """Whether a compiled flag can give a variant other than ``disabled``."""
    if feature.get("variants"):
        return True
    return any(strategy.get("variants") for strategy in feature.get("strategies") or [])


class _Compiler(SectionChecks):
    def __init__(self, sections: Mapping[str, Any]) -> None:
        super().__init__(sections)
        self.segment_ids: dict[str, int] = {}
        self.plans: dict[str, RolloutPlan] = {}

    # -- sections ------------------------------------------------------------

    def run(self) -> CompiledFlags:
        segments = self.compile_segments()
        self.plans = PlanReader(self.sections, self.segment_ids).read()
        flags_raw = self.mapping(self.sections.get("flags"), "flags", "flags")
        features: list[dict[str, Any]] = []
        bindings: dict[str, PhaseBinding] = {}
        for name in sorted(flags_raw, key=str):
            feature, binding = self.compile_flag(name, flags_raw[name])
            features.append(feature)
            if binding is not None:
                bindings[name] = binding
        by_name = {feature["name"]: feature for feature in features}
        for feature in features:
            for index, dep in enumerate(feature.get("dependencies") or []):
                if dep["feature"] not in flags_raw:
                    self.fail(
                        f"depends on unknown flag {dep['feature']!s}",
                        "flags",
                        feature["name"],
                        "dependencies",
                        index,
                        "feature",
                    )
                if dep["feature"] == feature["name"]:
                    self.fail(
                        "a flag cannot depend on itself",
                        "flags",
                        feature["name"],
                        "dependencies",
                        index,
                    )
                if dep.get("variants") and not _has_variants(by_name[dep["feature"]]):
                    self.fail(
                        f"depends on variants of flag {dep['feature']!s}, which has none: "
                        "Unleash's engine then ignores the variant list (the dependency holds "
                        "whenever the flag is on); remove variants here or give that flag some",
                        "flags",
                        feature["name"],
                        "dependencies",
                        index,
                        "variants",
                    )
        document = {"version": 2, "features": features, "segments": segments}
        return CompiledFlags(document, bindings, dict(self.plans), dict(self.segment_ids))

    def compile_segments(self) -> list[dict[str, Any]]:
        raw = self.mapping(self.sections.get("segments"), "segments", "segments")
        out: list[dict[str, Any]] = []
        for number, name in enumerate(sorted(raw, key=str), start=1):
            path = ("segments", name)
            if not isinstance(name, str) or NAME_RE.match(name) is None:
                self.fail("a segment name is letters, digits, _, . and -", *path)
            body = self.mapping(raw[name], f"segment {name}", *path)
            self.keys(body, _SEGMENT_KEYS, "a segment", *path)
            if "description" in body:
                self.text(body["description"], "description", *path, "description")
            constraints = [
                self.constraint(c, *path, "constraints", i)
                for i, c in enumerate(
                    self.seq(body.get("constraints"), "constraints", *path, "constraints")
                )
            ]
            self.segment_ids[name] = number
            out.append({"id": number, "name": name, "constraints": constraints})
        return out

    # -- flags -----------------------------------------------------------------

    def compile_flag(self, name: Any, raw: Any) -> tuple[dict[str, Any], PhaseBinding | None]:
        path = ("flags", name)
        if not isinstance(name, str) or NAME_RE.match(name) is None:
            self.fail("a flag name is letters, digits, _, . and -", *path)
        body = self.mapping(raw, f"flag {name}", *path)
        self.keys(body, _FLAG_KEYS, "a flag", *path)
        feature: dict[str, Any] = {
            "name": name,
            "enabled": False,
            "type": "release",
            "description": None,
            "impressionData": False,
            "strategies": [],
            "variants": [],
        }
        if "enabled" in body:
            feature["enabled"] = self.boolean(body["enabled"], "enabled", *path, "enabled")
        if "description" in body:
            feature["description"] = self.text(
                body["description"], "description", *path, "description"
            )
        if "type" in body and body["type"] not in _FLAG_TYPES:
            self.fail(f"type must be one of {', '.join(_FLAG_TYPES)}", *path, "type")
        feature["type"] = body.get("type", "release")
        if "impression_data" in body:
            feature["impressionData"] = self.boolean(
                body["impression_data"], "impression_data", *path, "impression_data"
            )
        if "plan" in body and "strategies" in body:
            self.fail("a flag follows a plan or lists strategies, not both", *path, "strategies")
        binding: PhaseBinding | None = None
        if "plan" in body:
            plan_name = self.text(body["plan"], "plan", *path, "plan")
            plan = self.plans.get(plan_name)
            if plan is None:
                self.fail(
                    f"unknown rollout plan {plan_name}; defined plans: "
                    f"{', '.join(sorted(self.plans)) or 'none'}",
                    *path,
                    "plan",
                )
            binding = bind_plan(plan, self.segment_ids)
        for index, strategy in enumerate(
            self.seq(body.get("strategies"), "strategies", *path, "strategies")
        ):
            feature["strategies"].append(self.strategy(strategy, name, *path, "strategies", index))
        feature["variants"] = self.variants(body.get("variants"), *path, "variants")
        deps = []
        for index, dep in enumerate(
            self.seq(body.get("dependencies"), "dependencies", *path, "dependencies")
        ):
            dpath = (*path, "dependencies", index)
            dbody = self.mapping(dep, "a dependency", *dpath)
            self.keys(dbody, _DEPENDENCY_KEYS, "a dependency", *dpath)
            entry: dict[str, Any] = {
                "feature": self.text(dbody.get("feature"), "feature", *dpath, "feature")
            }
            if "enabled" in dbody:
                entry["enabled"] = self.boolean(dbody["enabled"], "enabled", *dpath, "enabled")
            if "variants" in dbody:
                entry["variants"] = [
                    self.text(v, "a variant name", *dpath, "variants", i)
                    for i, v in enumerate(
                        self.seq(dbody["variants"], "variants", *dpath, "variants")
                    )
                ]
            deps.append(entry)
        if deps:
            feature["dependencies"] = deps
        return feature, binding

    def strategy(self, raw: Any, flag: str, *path: Any) -> dict[str, Any]:
        body = self.mapping(raw, "a strategy", *path)
        self.keys(body, _STRATEGY_KEYS, "a strategy", *path)
        name = body.get("name")
        if not isinstance(name, str) or name not in STRATEGY_PARAMETERS:
            self.fail(
                f"unknown strategy; allowed: {', '.join(STRATEGY_PARAMETERS)}",
                *path,
                "name",
            )
        params_raw = self.mapping(body.get("parameters"), "parameters", *path, "parameters")
        self.keys(
            params_raw,
            STRATEGY_PARAMETERS[name],
            f"the {name} strategy's parameters",
            *path,
            "parameters",
        )
        for required in _REQUIRED_PARAMETERS.get(name, ()):
            if required not in params_raw:
                self.fail(f"the {name} strategy needs parameters.{required}", *path)
        params: dict[str, str] = {}
        ppath = (*path, "parameters")
        for key, value in params_raw.items():
            if key in ("percentage", "rollout"):
                params[key] = str(self.percent(value, key, *ppath, key))
            elif key in ("userIds", "IPs", "hostNames"):
                items = value if isinstance(value, list) else None
                if items is None:
                    if not isinstance(value, str | int) or isinstance(value, bool):
                        self.fail(f"{key} is a list or a comma-separated string", *ppath, key)
                    items = [s.strip() for s in str(value).split(",")]
                texts = [str(v).strip() for v in items if not isinstance(v, dict | list | bool)]
                if len(texts) != len(items) or not all(texts):
                    self.fail(f"{key} entries must be non-empty strings", *ppath, key)
                if key == "IPs":
                    _nets, bad = parse_ip_networks(texts)
                    if bad:
                        self.fail(f"entry {bad[0] + 1} is not an IP address or CIDR", *ppath, key)
                params[key] = ",".join(texts)
            elif key == "stickiness":
                params[key] = self.stickiness(value, *ppath, key)
            else:
                params[key] = self.text(value, key, *ppath, key)
        if name in ("flexibleRollout", "gradualRolloutUserId", "gradualRolloutSessionId"):
            # Always written out: SDKs disagree on the default (flag name or "").
            params.setdefault("groupId", flag)
        out: dict[str, Any] = {"name": name, "parameters": params}
        out["constraints"] = [
            self.constraint(c, *path, "constraints", i)
            for i, c in enumerate(
                self.seq(body.get("constraints"), "constraints", *path, "constraints")
            )
        ]
        seg_ids = []
        for i, seg in enumerate(self.seq(body.get("segments"), "segments", *path, "segments")):
            if not isinstance(seg, str) or seg not in self.segment_ids:
                known = ", ".join(sorted(self.segment_ids)) or "none"
                self.fail(
                    f"unknown segment; defined segments: {known}",
                    *path,
                    "segments",
                    i,
                )
            seg_ids.append(self.segment_ids[seg])
        if seg_ids:
            out["segments"] = seg_ids
        if "variants" in body:
            out["variants"] = self.variants(body["variants"], *path, "variants")
        if "disabled" in body:
            out["disabled"] = self.boolean(body["disabled"], "disabled", *path, "disabled")
        return out

    def constraint(self, raw: Any, *path: Any) -> dict[str, Any]:
        body = self.mapping(raw, "a constraint", *path)
        self.keys(body, _CONSTRAINT_KEYS, "a constraint", *path)
        if "context" in body and "contextName" in body:
            self.fail("write context or contextName, not both", *path, "contextName")
        ckey = "context" if "context" in body else "contextName"
        context = self.text(body.get(ckey), "context (the context field to test)", *path, ckey)
        operator = body.get("operator")
        if not isinstance(operator, str) or operator not in OPERATORS:
            self.fail(f"unknown operator; allowed: {', '.join(OPERATORS)}", *path, "operator")
        out: dict[str, Any] = {"contextName": context, "operator": operator}
        for flag in ("caseInsensitive", "inverted"):
            out[flag] = self.boolean(body.get(flag, False), flag, *path, flag)
        if OPERATORS[operator]:
            if "value" in body:
                self.fail(f"{operator} takes values: [...], not value", *path, "value")
            values = self.seq(body.get("values"), "values", *path, "values")
            texts = []
            for i, item in enumerate(values):
                if isinstance(item, dict | list) or item is None or isinstance(item, bool):
                    self.fail(
                        f"values are strings or numbers, not {_describe(item)}",
                        *path,
                        "values",
                        i,
                    )
                texts.append(str(item))
            if operator == "IN_CIDR":
                _nets, bad = parse_ip_networks(texts)
                if bad:
                    self.fail("not an IP address or CIDR", *path, "values", bad[0])
            out["values"] = texts
        else:
            if "values" in body:
                self.fail(f"{operator} takes a single value: ..., not values", *path, "values")
            out["value"] = self.single_value(operator, body.get("value"), *path, "value")
        return out

    def single_value(self, operator: str, value: Any, *path: Any) -> str:
        if operator.startswith("NUM_"):
            if isinstance(value, int | float) and not isinstance(value, bool):
                text = repr(value) if isinstance(value, float) else str(value)
            else:
                text = value if isinstance(value, str) else ""
            if parse_number(text) is None:
                self.fail(f"{operator} needs a number, not {_describe(value)}", *path)
            return text
        if operator.startswith("DATE_"):
            if isinstance(value, dt.datetime):
                when = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
                return when.isoformat()
            if isinstance(value, dt.date):
                return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC).isoformat()
            parsed = parse_date(value) if isinstance(value, str) else None
            if parsed is None:
                self.fail(f"{operator} needs an ISO-8601 time such as 2025-01-31T12:00:00Z", *path)
            # Written out in RFC 3339's canonical form: Yggdrasil refuses a lower-case t or z
            # and a time without a zone in a constraint value (the strategy would be false).
            return parsed.isoformat()
        if operator.startswith("SEMVER_"):
            if not isinstance(value, str) or parse_semver(value) is None:
                self.fail(
                    f'{operator} needs a quoted semantic version such as "1.2.3" or '
                    '"2.0.0-beta.1" (no leading v)',
                    *path,
                )
            return value
        # REGEX
        if not isinstance(value, str):
            self.fail(f"REGEX needs a quoted pattern, not {_describe(value)}", *path)
        try:
            compile_regex(value)
        except RefusedPattern:
            self.fail(
                "this regular expression is not valid in Unleash's dialect (Rust regex: "
                "no lookaround, no backreferences); see docs/flags.md",
                *path,
            )
        return value

    def variants(self, raw: Any, *path: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        names: set[str] = set()
        for index, item in enumerate(self.seq(raw, "variants", *path)):
            vpath = (*path, index)
            body = self.mapping(item, "a variant", *vpath)
            self.keys(body, _VARIANT_KEYS, "a variant", *vpath)
            name = self.text(body.get("name"), "name", *vpath, "name")
            if name in names:
                self.fail(f"variant {name} is listed twice", *vpath, "name")
            names.add(name)
            weight = body.get("weight")
            if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
                self.fail("weight must be a whole number, 0 or more", *vpath, "weight")
            variant: dict[str, Any] = {"name": name, "weight": weight}
            if "payload" in body:
                variant["payload"] = self.payload(body["payload"], *vpath, "payload")
            if "stickiness" in body:
                variant["stickiness"] = self.stickiness(body["stickiness"], *vpath, "stickiness")
            overrides = []
            for i, over in enumerate(
                self.seq(body.get("overrides"), "overrides", *vpath, "overrides")
            ):
                opath = (*vpath, "overrides", i)
                obody = self.mapping(over, "an override", *opath)
                self.keys(obody, ("context", "contextName", "values"), "an override", *opath)
                okey = "context" if "context" in obody else "contextName"
                overrides.append(
                    {
                        "contextName": self.text(obody.get(okey), "context", *opath, okey),
                        "values": [
                            str(v)
                            for v in self.seq(obody.get("values"), "values", *opath, "values")
                        ],
                    }
                )
            if overrides:
                variant["overrides"] = overrides
            out.append(variant)
        if out and sum(v["weight"] for v in out) <= 0:
            self.fail("the variants' weights add up to 0: no variant could be chosen", *path)
        return out

    def payload(self, raw: Any, *path: Any) -> dict[str, str]:
        body = self.mapping(raw, "payload", *path)
        self.keys(body, ("type", "value"), "a payload", *path)
        kind = body.get("type")
        if kind not in _PAYLOAD_TYPES:
            self.fail(f"payload type must be one of {', '.join(_PAYLOAD_TYPES)}", *path, "type")
        value = body.get("value")
        if kind == "json" and isinstance(value, dict | list):
            return {"type": kind, "value": json.dumps(value, sort_keys=True, separators=(",", ":"))}
        if isinstance(value, bool) or value is None or isinstance(value, dict | list):
            self.fail(
                f"payload value must be text or a number, not {_describe(value)}",
                *path,
                "value",
            )
        text = str(value)
        if kind == "json":
            try:
                jsontext.loads(text)
            except ValueError:
                self.fail("payload value is not valid JSON", *path, "value")
        if kind == "number" and parse_number(text) is None:
            self.fail("payload value is not a number", *path, "value")
        return {"type": kind, "value": text}
