"""scrubphi's evaluator and export next to the official Unleash SDK (``UnleashClient``).

``UnleashClient`` 6 evaluates with Yggdrasil, Unleash's reference engine, so
every answer here is the engine's own: the export of a policy in every phase
of its plan, every strategy form, REGEX, dates, strategy variants,
dependencies and broken strategies.  The SDK runs locally from a bootstrapped
in-memory cache: no thread, no network.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from UnleashClient import UnleashClient
from UnleashClient.cache import BaseCache
from UnleashClient.constants import FEATURES_URL

from scrubphi.flags import FlagClient, StaticState, load_unleash
from scrubphi.policy import loads_policy
from test_flags_spec import REFUSED_PATTERNS, REGEX_CASES


class _MemoryCache(BaseCache):  # type: ignore[misc]
    bootstrapped = True

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._data: dict[str, Any] = {FEATURES_URL: json.dumps(document)}

    def set(self, key: str, value: Any) -> None:
        self._data[key] = value

    def mset(self, data: dict[str, Any]) -> None:
        self._data.update(data)

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def exists(self, key: str) -> bool:
        return key in self._data

    def destroy(self) -> None:
        self._data.clear()


def sdk(document: Mapping[str, Any]) -> Any:
    """The official SDK evaluating ``document`` locally."""
    logging.getLogger("UnleashClient").setLevel(logging.ERROR)
    client = UnleashClient(
        url="http://127.0.0.1:9/unused",  # never contacted: initialize_client is not called
        app_name="scrubphi",
        environment="default",
        disable_metrics=True,
        disable_registration=True,
        cache=_MemoryCache(document),
    )
    assert client.unleash_bootstrapped
    return client


def _contexts(count: int) -> Iterator[dict[str, Any]]:
    """Varied contexts; each has a sessionId, so no variant choice falls back to random."""
    for i in range(count):
        ctx: dict[str, Any] = {"properties": {"tenant": f"t{i % 7}", "plan": "gold"}}
        if i % 5:
            ctx["userId"] = str(i)
        ctx["sessionId"] = f"s{i * 7}"
        if i % 4 == 0:
            ctx["properties"]["email"] = f"u{i}@clinic.example"
        ctx["remoteAddress"] = f"10.0.{i % 4}.{i % 250}"
        ctx["properties"]["version"] = f"1.{i % 5}.0"
        ctx["currentTime"] = f"2025-0{1 + i % 9}-15T12:00:00Z"
        yield ctx


def _variant_key(variant: Mapping[str, Any]) -> tuple[Any, ...]:
    payload = variant.get("payload") or None
    if payload is not None:
        payload = (payload.get("type"), payload.get("value"))
    return (variant["name"], variant["enabled"], variant.get("feature_enabled"), payload)


def _assert_same(ours: FlagClient, theirs: Any, contexts: list[dict[str, Any]]) -> int:
    """Every flag of ``ours``, every context: the same is_enabled and get_variant."""
    checked = 0
    differences: list[str] = []
    for name in ours.feature_names():
        for ctx in contexts:
            a, b = ours.is_enabled(name, ctx), theirs.is_enabled(name, ctx)
            va, vb = ours.get_variant(name, ctx), theirs.get_variant(name, ctx)
            checked += 1
            if a != b or _variant_key(va) != _variant_key(vb):
                differences.append(f"{name} {ctx.get('userId')}: {a}/{va} vs SDK {b}/{vb}")
    assert differences[:5] == []
    return checked


# A policy with every strategy form a policy can write, and a plan.
POLICY = """\
version: 1
segments:
  internal:
    constraints:
      - {context: email, operator: STR_ENDS_WITH, values: ["@clinic.example"]}
flags:
  staged:
    enabled: true
    plan: staged-release
  staged-child:
    enabled: true
    plan: staged-release
    dependencies: [{feature: plain}]
  plain:
    enabled: true
  off:
    enabled: false
  only-disabled:
    enabled: true
    strategies:
      - {name: flexibleRollout, parameters: {rollout: 50, stickiness: userId}, disabled: true}
  disabled-and-live:
    enabled: true
    strategies:
      - {name: default, disabled: true}
      - {name: userWithId, parameters: {userIds: "1, 2, 3, 10, 11"}}
  by-user:
    enabled: true
    strategies:
      - {name: flexibleRollout, parameters: {rollout: 30, stickiness: userId}}
  by-session:
    enabled: true
    strategies:
      - {name: flexibleRollout, parameters: {rollout: 40, stickiness: sessionId, groupId: g}}
  by-default:
    enabled: true
    strategies:
      - {name: flexibleRollout, parameters: {rollout: 100}}
  by-tenant:
    enabled: true
    strategies:
      - {name: flexibleRollout, parameters: {rollout: 50, stickiness: tenant}}
  gradual:
    enabled: true
    strategies:
      - {name: gradualRolloutUserId, parameters: {percentage: 20, groupId: gr}}
      - {name: gradualRolloutSessionId, parameters: {percentage: 20, groupId: gs}}
  addresses:
    enabled: true
    strategies:
      - {name: remoteAddress, parameters: {IPs: "10.0.1.0/24, 10.0.2.7"}}
  operators:
    enabled: true
    strategies:
      - name: default
        constraints:
          - {context: tenant, operator: IN, values: [t1, t2, t3]}
          - {context: version, operator: SEMVER_GTE, value: "1.2.0"}
      - name: default
        constraints:
          - {context: currentTime, operator: DATE_AFTER, value: "2025-05-01t00:00:00z"}
          - {context: tenant, operator: REGEX, value: '^\\w\\d$'}
      - name: default
        constraints:
          - {context: remoteAddress, operator: IN_CIDR, values: [10.0.3.0/24]}
          - {context: tenant, operator: NOT_IN, values: [t3], inverted: true}
      - name: default
        segments: [internal]
  strategy-variants:
    enabled: true
    strategies:
      - name: flexibleRollout
        parameters: {rollout: 100, stickiness: sessionId}
        variants:
          - {name: a, weight: 1, stickiness: userId, payload: {type: string, value: A}}
          - {name: b, weight: 3, stickiness: userId}
  strategy-variants-default:
    enabled: true
    strategies:
      - name: default
        variants:
          - {name: a, weight: 50, stickiness: sessionId}
          - {name: b, weight: 50, stickiness: sessionId}
  feature-variants:
    enabled: true
    variants:
      - name: red
        weight: 50
        stickiness: sessionId
        overrides: [{context: userId, values: ["7"]}]
      - {name: blue, weight: 50, payload: {type: json, value: {"k": 1}}}
  child-of-variants:
    enabled: true
    dependencies: [{feature: feature-variants, variants: [red]}]
  child-of-off:
    enabled: true
    dependencies: [{feature: off, enabled: false}]
rollouts:
  staged-release:
    stickiness: userId
    phases:
      - {name: internal, audience: {segment: internal}}
      - {name: five, percent: 5}
      - {name: quarter, percent: 25}
      - {name: all, percent: 100}
"""


@pytest.mark.parametrize("phase", [None, 0, 1, 2, 3], ids=["stopped", "p0", "p1", "p2", "p3"])
def test_export_agrees_with_the_sdk_in_every_phase(phase: int | None) -> None:
    """The export, read by the official SDK, answers as scrubphi does: every flag, every form."""
    state = StaticState({"staged-release": phase})
    ours = FlagClient.from_policy(loads_policy(POLICY, "p.yaml"), state=state)
    document = ours.to_unleash()
    contexts = list(_contexts(300))
    checked = _assert_same(ours, sdk(document), contexts)
    assert checked == len(ours.feature_names()) * 300
    # The export read back by scrubphi answers the same too.
    _assert_same(load_unleash(document), sdk(document), contexts)
    # Sanity: the run covers on and off answers, so agreement is not vacuous.
    answers = {ours.is_enabled(name, ctx) for name in ("by-user", "operators") for ctx in contexts}
    assert answers == {True, False}


def test_only_disabled_strategies_are_off_for_everyone_in_the_sdk_too() -> None:
    """The issue's flag: every strategy disabled. Off in scrubphi, its CLI and the SDK."""
    ours = FlagClient.from_policy(loads_policy(POLICY, "p.yaml"))
    theirs = sdk(ours.to_unleash())
    contexts = list(_contexts(2000))
    assert not any(ours.is_enabled("only-disabled", c) for c in contexts)
    assert not any(theirs.is_enabled("only-disabled", c) for c in contexts)
    assert ours.explain("only-disabled", contexts[1])["enabled"] is False


def _regex_document(cases: list[tuple[str, str, bool, bool]]) -> dict[str, Any]:
    features = [
        {
            "name": f"r{i}",
            "enabled": True,
            "strategies": [
                {
                    "name": "default",
                    "parameters": {},
                    "constraints": [
                        {
                            "contextName": "x",
                            "operator": "REGEX",
                            "value": pattern,
                            "caseInsensitive": fold,
                        }
                    ],
                }
            ],
        }
        for i, (pattern, _text, fold, _expected) in enumerate(cases)
    ]
    return {"version": 2, "features": features, "segments": []}


def test_regex_table_is_what_unleashs_engine_answers() -> None:
    """The REGEX table of test_flags_spec, through Yggdrasil itself: both sides agree."""
    document = _regex_document(REGEX_CASES)
    theirs, ours = sdk(document), load_unleash(document)
    wrong = []
    for i, (pattern, text, fold, expected) in enumerate(REGEX_CASES):
        ctx = {"properties": {"x": text}}
        got = (theirs.is_enabled(f"r{i}", ctx), ours.is_enabled(f"r{i}", ctx))
        if got != (expected, expected):
            wrong.append(f"{pattern!r} {text!r} fold={fold}: SDK, ours = {got}; want {expected}")
    assert wrong == []


def test_refused_patterns_make_only_their_strategy_false_in_the_sdk_too() -> None:
    """Rust refuses these; the SDK, like scrubphi, keeps the flag's other strategies."""
    user7 = {"name": "userWithId", "parameters": {"userIds": "7"}}
    for pattern in REFUSED_PATTERNS:
        refused = {
            "name": "default",
            "parameters": {},
            "constraints": [{"contextName": "x", "operator": "REGEX", "value": pattern}],
        }
        document = {
            "version": 2,
            "features": [{"name": "f", "enabled": True, "strategies": [refused, user7]}],
        }
        for ctx in ({"userId": "7"}, {"userId": "8", "properties": {"x": "a"}}):
            want = ctx["userId"] == "7"
            assert sdk(document).is_enabled("f", ctx) is want, pattern
            assert load_unleash(document).is_enabled("f", ctx) is want, pattern


def test_broken_strategies_agree_with_the_sdk() -> None:
    """Unknown strategy: that strategy false. Unknown operator, missing segment: flag off."""
    user7 = {"name": "userWithId", "parameters": {"userIds": "7"}}
    forms = {
        "unknown-strategy": {"name": "noSuchStrategy", "parameters": {}},
        "unknown-operator": {
            "name": "default",
            "parameters": {},
            "constraints": [{"contextName": "x", "operator": "BOGUS", "value": "a"}],
        },
        "missing-segment": {"name": "default", "parameters": {}, "segments": [99]},
    }
    features = [
        {"name": name, "enabled": True, "strategies": [broken, user7]}
        for name, broken in forms.items()
    ]
    # A variant dependency on a parent without variants holds whenever the parent is on.
    features.append({"name": "parent", "enabled": True, "strategies": [user7]})
    dependency = {"feature": "parent", "variants": ["x"]}
    features.append({"name": "child", "enabled": True, "dependencies": [dependency]})
    document = {"version": 2, "features": features, "segments": []}
    contexts = [{"userId": "7"}, {"userId": "8", "properties": {"x": "a"}}]
    _assert_same(load_unleash(document), sdk(document), contexts)
    assert load_unleash(document).is_enabled("child", {"userId": "7"}) is True
    assert load_unleash(document).is_enabled("child", {"userId": "8"}) is False
    assert load_unleash(document).is_enabled("unknown-strategy", {"userId": "7"}) is True
    assert load_unleash(document).is_enabled("unknown-operator", {"userId": "7"}) is False


@pytest.mark.parametrize(
    ("value", "now", "expected"),
    [
        ("2025-01-01T00:00:00Z", "2025-06-01t10:00:00z", True),
        ("2025-01-01T00:00:00Z", "2024-06-01T10:00:00.5z", False),
        ("2025-01-01T00:00:00+02:00", "2024-12-31T22:00:01z", True),
    ],
)
def test_lower_case_z_in_current_time(value: str, now: str, expected: bool) -> None:
    """RFC 3339 allows a lower-case z (and t): read as the SDK reads them."""
    document = {
        "version": 2,
        "features": [
            {
                "name": "f",
                "enabled": True,
                "strategies": [
                    {
                        "name": "default",
                        "parameters": {},
                        "constraints": [
                            {"contextName": "currentTime", "operator": "DATE_AFTER", "value": value}
                        ],
                    }
                ],
            }
        ],
    }
    assert load_unleash(document).is_enabled("f", {"currentTime": now}) is expected
    assert sdk(document).is_enabled("f", {"currentTime": now}) is expected


def test_lower_case_z_in_a_policy_date_is_exported_in_the_sdks_form() -> None:
    """A policy's "...z" is accepted and written out as the engine reads it."""
    ours = FlagClient.from_policy(loads_policy(POLICY, "p.yaml"))
    (strategy,) = [
        s
        for f in ours.to_unleash()["features"]
        if f["name"] == "operators"
        for s in f["strategies"]
        if any(c["operator"] == "DATE_AFTER" for c in s.get("constraints", []))
    ]
    (date,) = [c["value"] for c in strategy["constraints"] if c["operator"] == "DATE_AFTER"]
    assert date == "2025-05-01T00:00:00+00:00"
