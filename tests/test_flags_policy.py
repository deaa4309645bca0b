"""Flags in the policy: validation with positions, plans compiled to nesting cohorts, export.

Protects the promises of a staged rollout: a user let in at 5% stays in at
25% and 100%, each phase lets in its share of users, a plan cannot be
edited into one that reshuffles cohorts, and what scrubphi evaluates is
exactly what an Unleash SDK would evaluate from the exported document.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrubphi.errors import PolicyError
from scrubphi.flags import (
    FlagClient,
    StaticState,
    compile_policy,
    export_unleash,
    load_unleash,
    rollout_plans,
)
from scrubphi.policy import load_policy, loads_policy

REPO = Path(__file__).resolve().parents[1]
TEAM_PLAN = REPO / "flags" / "flags.yaml"

BASE = """\
version: 1
segments:
  internal:
    constraints:
      - {context: email, operator: STR_ENDS_WITH, values: ["@clinic.example"]}
flags:
  new-scheduling:
    enabled: true
    plan: staged-release
rollouts:
  staged-release:
    stickiness: userId
    phases:
      - {name: internal, audience: {segment: internal}, min_duration: 3d}
      - name: five
        percent: 5
        min_duration: 3d
        proceed_when: {error_rate: {below: 0.1%}, min_requests: 1000}
      - {name: quarter, percent: 25}
      - {name: all, percent: 100}
"""


def _client(text: str, phases: dict[str, int | None] | None = None) -> FlagClient:
    return FlagClient.from_policy(loads_policy(text, "p.yaml"), state=StaticState(phases))


def _error(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        compile_policy(loads_policy(text, "p.yaml"))
    return info.value


# --------------------------------------------------------------------------
# The team's plan
# --------------------------------------------------------------------------


def test_team_plan_file_is_valid_and_says_what_the_team_agreed() -> None:
    """flags/flags.yaml: new-scheduling follows internal -> 5% -> 25% -> 100%, fixed userId."""
    policy = load_policy(TEAM_PLAN)
    plans = rollout_plans(policy)
    plan = plans["staged-release"]
    assert [p.name for p in plan.phases] == ["internal", "five", "quarter", "all"]
    assert [p.audience for p in plan.phases] == ["internal", None, None, None]
    assert [p.percent for p in plan.phases] == [None, 5, 25, 100]
    assert plan.stickiness == "userId"
    assert plan.on_failure == "rollback"
    assert all(p.min_duration == 3 * 86400 for p in plan.phases[:3])
    assert plan.phases[1].proceed_when == {"error_rate": {"below": 0.001}, "min_requests": 1000}
    compiled = compile_policy(policy)
    assert compiled.bindings["new-scheduling"].plan == "staged-release"


def test_team_flag_is_off_until_the_plan_starts() -> None:
    """Merged behind a flag that is off: nobody, not even staff, sees it before phase 0."""
    client = FlagClient.from_policy(load_policy(TEAM_PLAN), state=StaticState())
    staff = {"userId": "1", "email": "dr@clinic.example"}
    assert client.is_enabled("new-scheduling", staff) is False
    assert (
        FlagClient.from_policy(load_policy(TEAM_PLAN)).is_enabled("new-scheduling", staff) is False
    )


def test_team_flag_phase_zero_is_internal_only_and_staff_stay_in() -> None:
    """Phase 0 lets in the internal segment only; staff stay in during later phases."""
    state = StaticState({"staged-release": 0})
    client = FlagClient.from_policy(load_policy(TEAM_PLAN), state=state)
    staff = {"userId": "u1", "properties": {"email": "dr@clinic.example"}}
    outsiders = [{"userId": f"user-{i}", "email": f"p{i}@mail.example"} for i in range(2000)]
    assert client.is_enabled("new-scheduling", staff) is True
    assert not any(client.is_enabled("new-scheduling", ctx) for ctx in outsiders)
    for phase in (1, 2, 3):
        state.set("staged-release", phase)
        assert client.is_enabled("new-scheduling", staff) is True


# --------------------------------------------------------------------------
# Nesting cohorts
# --------------------------------------------------------------------------


def test_cohorts_nest_and_shares_hit_their_targets_over_100000_ids() -> None:
    """Over 100,000 ids: 5% is inside 25% inside 100%, each share within 0.5 point of target."""
    state = StaticState()
    client = FlagClient.from_policy(load_policy(TEAM_PLAN), state=state)
    ids = [f"patient-portal-user-{n}" for n in range(100_000)]
    cohorts: list[set[str]] = []
    for phase, target in ((1, 0.05), (2, 0.25), (3, 1.0)):
        state.set("staged-release", phase)
        cohort = {i for i in ids if client.is_enabled("new-scheduling", {"userId": i})}
        assert abs(len(cohort) / len(ids) - target) <= 0.005, (phase, len(cohort))
        cohorts.append(cohort)
    assert cohorts[0] <= cohorts[1] <= cohorts[2]
    assert cohorts[0] and len(cohorts[2]) == len(ids)


@settings(max_examples=40, deadline=None)
@given(
    plan=st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
    percents=st.lists(st.integers(1, 100), min_size=2, max_size=5).map(sorted),
    stickiness=st.sampled_from(["userId", "sessionId", "default", "tenant"]),
)
def test_any_plan_nests(plan: str, percents: list[int], stickiness: str) -> None:
    """For any plan name, stickiness and widening percentages, every phase contains the last."""
    phases = "\n".join(f"      - {{name: p{i}, percent: {p}}}" for i, p in enumerate(percents))
    text = (
        f"version: 1\nflags:\n  f: {{enabled: true, plan: {plan}}}\nrollouts:\n  {plan}:\n"
        f"    stickiness: {stickiness}\n    phases:\n{phases}\n"
    )
    state = StaticState()
    client = FlagClient.from_policy(loads_policy(text), state=state)
    field = "userId" if stickiness == "default" else stickiness
    contexts = [
        {"userId": f"u{n}"} if field == "userId" else {"properties": {field: f"u{n}"}}
        for n in range(400)
    ]
    previous: set[int] = set()
    for index in range(len(percents)):
        state.set(plan, index)
        cohort = {n for n, ctx in enumerate(contexts) if client.is_enabled("f", ctx)}
        assert previous <= cohort
        previous = cohort


def test_plan_strategies_use_a_fixed_group_and_stickiness() -> None:
    """Every percentage phase compiles to flexibleRollout with groupId = plan name."""
    compiled = compile_policy(loads_policy(BASE))
    binding = compiled.bindings["new-scheduling"]
    assert binding.phase_names == ("internal", "five", "quarter", "all")
    for strategies, percent in zip(binding.raw_phases[1:], ("5", "25", "100"), strict=True):
        audience, rollout = strategies
        assert audience["segments"] == [compiled.segment_ids["internal"]]
        assert rollout == {
            "name": "flexibleRollout",
            "parameters": {"rollout": percent, "stickiness": "userId", "groupId": "staged-release"},
            "constraints": [],
        }
    assert binding.raw_phases[0] == (audience,)


def test_state_out_of_range_or_unknown_plan_is_off() -> None:
    """A phase index the plan does not have turns the flag off instead of guessing."""
    assert (
        _client(BASE, {"staged-release": 9}).is_enabled("new-scheduling", {"userId": "1"}) is False
    )
    assert (
        _client(BASE, {"staged-release": 3}).is_enabled("new-scheduling", {"userId": "1"}) is True
    )


# --------------------------------------------------------------------------
# Export and round trip
# --------------------------------------------------------------------------


CONTEXTS: list[dict[str, Any]] = [
    {"userId": f"u{n}", "sessionId": f"s{n}", "properties": {"email": f"x{n}@clinic.example"}}
    for n in range(50)
] + [
    {"userId": f"u{n}", "remoteAddress": f"10.0.0.{n}", "properties": {"plan": "gold"}}
    for n in range(300)
]

RICH_FLAGS = """\
  checkout:
    enabled: true
    strategies:
      - name: flexibleRollout
        parameters: {rollout: 40, stickiness: sessionId}
        constraints:
          - {contextName: plan, operator: IN, values: [gold, silver]}
        variants:
          - {name: a, weight: 1, payload: {type: json, value: {"k": 1}}}
          - {name: b, weight: 3, stickiness: sessionId}
      - name: remoteAddress
        parameters: {IPs: [10.0.0.0/30, "2001:db8::/32"]}
        segments: [internal]
    variants:
      - {name: red, weight: 50, overrides: [{context: userId, values: [u7]}]}
      - {name: blue, weight: 50}
  child:
    enabled: true
    dependencies: [{feature: checkout, variants: [a, b, red, blue]}]
"""
RICH = BASE.replace("rollouts:\n", RICH_FLAGS + "rollouts:\n")


@pytest.mark.parametrize("phase", [None, 0, 1, 2, 3])
def test_export_round_trip(phase: int | None) -> None:
    """policy -> Unleash document -> load_unleash evaluates identically, and re-exports equal."""
    client = _client(RICH, {"staged-release": phase})
    document = client.to_unleash()
    assert json.loads(json.dumps(document)) == document  # plain JSON
    again = load_unleash(document)
    assert again.to_unleash() == document
    for name in ("new-scheduling", "checkout", "child"):
        for ctx in CONTEXTS:
            assert client.is_enabled(name, ctx) == again.is_enabled(name, ctx)
            assert client.get_variant(name, ctx) == again.get_variant(name, ctx)
    assert (
        export_unleash(loads_policy(RICH, "p.yaml"), StaticState({"staged-release": phase}))
        == document
    )


def test_export_shape_matches_unleash() -> None:
    """The exported document has Unleash's field names and segment ids."""
    document = _client(RICH, {"staged-release": 1}).to_unleash()
    features = {f["name"]: f for f in document["features"]}
    assert document["version"] == 2
    assert [s["name"] for s in document["segments"]] == ["internal"]
    strategy = features["checkout"]["strategies"][0]
    assert strategy["parameters"] == {
        "rollout": "40",
        "stickiness": "sessionId",
        "groupId": "checkout",
    }
    assert strategy["constraints"][0]["contextName"] == "plan"
    assert strategy["variants"][0]["payload"] == {"type": "json", "value": '{"k":1}'}
    assert features["checkout"]["strategies"][1]["parameters"]["IPs"] == "10.0.0.0/30,2001:db8::/32"
    assert features["new-scheduling"]["enabled"] is True
    assert _client(RICH).to_unleash()["features"][2]["enabled"] is False  # plan not started


def test_policy_without_flags_is_an_empty_client() -> None:
    """A policy with no flag sections gives a client that knows no flag."""
    client = FlagClient.from_policy(loads_policy("version: 1\n"))
    assert client.feature_names() == []
    assert client.to_unleash() == {"version": 2, "features": [], "segments": []}


def test_enabled_defaults_to_false() -> None:
    """A flag is off unless the policy says enabled: true (fail safe, as Unleash's default)."""
    client = _client("version: 1\nflags:\n  f: {description: x}\n")
    assert client.is_enabled("f") is False


# --------------------------------------------------------------------------
# Validation, with positions
# --------------------------------------------------------------------------


CONSTRAINED = (
    "version: 1\nflags:\n  f:\n    strategies:\n      - name: default\n        constraints:\n"
)


@pytest.mark.parametrize(
    ("text", "line", "column", "path", "message"),
    [
        ("version: 1\nflags:\n  f:\n    enabeld: true\n", 4, 5, "flags.f.enabeld", "unknown key"),
        ("version: 1\nflags:\n  f: {enabled: yes}\n", 3, 7, "flags.f.enabled", "true or false"),
        ("version: 1\nflags:\n  f: {plan: nope}\n", 3, 7, "flags.f.plan", "unknown rollout plan"),
        (
            "version: 1\nflags:\n  f:\n    strategies:\n      - {name: flexible}\n",
            5,
            10,
            "flags.f.strategies[0].name",
            "unknown strategy",
        ),
        (
            CONSTRAINED + "          - {context: v, operator: SEMVER_GT, value: v1.2.3}\n",
            7,
            47,
            "flags.f.strategies[0].constraints[0].value",
            "semantic version",
        ),
        (
            CONSTRAINED + "          - {context: v, operator: REGEX, value: '(a)\\1'}\n",
            7,
            43,
            "flags.f.strategies[0].constraints[0].value",
            "Rust regex",
        ),
        (
            CONSTRAINED + "          - {context: v, operator: LIKE, values: [a]}\n",
            7,
            26,
            "flags.f.strategies[0].constraints[0].operator",
            "unknown operator",
        ),
        (
            CONSTRAINED + "          - {context: n, operator: NUM_GT, value: ten}\n",
            7,
            44,
            "flags.f.strategies[0].constraints[0].value",
            "needs a number",
        ),
        (
            "version: 1\nflags:\n  f:\n    strategies:\n      - name: default\n"
            "        segments: [ghost]\n",
            6,
            20,
            "flags.f.strategies[0].segments[0]",
            "unknown segment",
        ),
        (
            "version: 1\nflags:\n  f:\n    strategies:\n      - name: flexibleRollout\n"
            "        parameters: {rollout: 150}\n",
            6,
            22,
            "flags.f.strategies[0].parameters.rollout",
            "whole percentage",
        ),
        (
            "version: 1\nflags:\n  f: {dependencies: [{feature: g}]}\n",
            3,
            23,
            "flags.f.dependencies[0].feature",
            "unknown flag",
        ),
    ],
)
def test_flag_errors_name_file_line_column_and_path(
    text: str, line: int, column: int, path: str, message: str
) -> None:
    """Every mistake in flags is a PolicyError at the offending key, with the key path."""
    error = _error(text)
    assert (error.file, error.line, error.column, error.path) == ("p.yaml", line, column, path)
    assert message in error.message


def _plan(phases: str, stickiness: str = "userId") -> str:
    return (
        "version: 1\nflags:\n  f: {enabled: true, plan: p}\nrollouts:\n  p:\n"
        f"    stickiness: {stickiness}\n    phases:\n{phases}"
    )


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        (
            _plan(
                "      - {name: a, percent: 5}\n"
                "      - {name: b, percent: 25, stickiness: sessionId}\n"
            ),
            "rollouts.p.phases[1].stickiness",
            "fixed for the whole plan",
        ),
        (
            _plan(
                "      - {name: a, percent: 5}\n      - {name: b, percent: 25, groupId: other}\n"
            ),
            "rollouts.p.phases[1].groupId",
            "group of a plan is its name",
        ),
        (
            _plan("      - {name: a, percent: 5, group_id: q}\n"),
            "rollouts.p.phases[0].group_id",
            "group of a plan is its name",
        ),
        (
            _plan("      - {name: a, percent: 25}\n      - {name: b, percent: 5}\n"),
            "rollouts.p.phases[1].percent",
            "goes down",
        ),
        (_plan("      - {name: a, percent: 5}\n", "random"), "rollouts.p.stickiness", "random"),
        (
            _plan("      - {name: a, percent: 5}\n      - {name: a, percent: 6}\n"),
            "rollouts.p.phases[1].name",
            "used twice",
        ),
        (
            _plan("      - {name: a, percent: 5, min_duration: 3}\n"),
            "rollouts.p.phases[0].min_duration",
            "duration",
        ),
        (
            _plan("      - {name: a, percent: 5, gate: x}\n"),
            "rollouts.p.phases[0].gate",
            "unknown key",
        ),
        (
            _plan("      - {name: a, audience: {segment: nobody}}\n"),
            "rollouts.p.phases[0].audience.segment",
            "unknown segment",
        ),
        (
            _plan("      - {name: a, percent: 5, proceed_when: {error_rate: {under: 1%}}}\n"),
            "rollouts.p.phases[0].proceed_when.error_rate.under",
            "unknown key",
        ),
        (_plan("      - {name: a}\n"), "rollouts.p.phases[0]", "either audience"),
    ],
)
def test_plan_errors_are_refused_at_check_time(text: str, path: str, message: str) -> None:
    """A plan edited into one that would reshuffle cohorts, or a typo in it, is refused."""
    error = _error(text)
    assert error.file == "p.yaml" and error.line is not None and error.column is not None
    assert error.path == path
    assert message in error.message


def test_phase_repeating_the_plans_stickiness_is_accepted() -> None:
    """Restating the plan's own stickiness or group in a phase is harmless and allowed."""
    text = _plan("      - {name: a, percent: 5, stickiness: userId, group_id: p}\n")
    assert compile_policy(loads_policy(text)).plans["p"].phases[0].percent == 5


def test_plan_and_strategies_together_are_refused() -> None:
    """A flag follows a plan or lists strategies: both would make the plan meaningless."""
    text = _plan("      - {name: a, percent: 5}\n").replace(
        "f: {enabled: true, plan: p}", "f: {enabled: true, plan: p, strategies: []}"
    )
    assert "not both" in _error(text).message


def test_errors_never_echo_values() -> None:
    """A bad constraint value is described by type, never echoed (it may be personal data)."""
    text = (
        "version: 1\nflags:\n  f:\n    strategies:\n      - name: default\n        constraints:\n"
        "          - {context: n, operator: NUM_GT, value: 123-45-6789}\n"
    )
    assert "123-45-6789" not in str(_error(text))


def test_policy_examples_in_the_docs_are_valid() -> None:
    """Every YAML example in docs/flags.md passes the check: the docs cannot drift."""
    text = (REPO / "docs" / "flags.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert blocks
    for block in blocks:
        compiled = compile_policy(loads_policy(block, "docs/flags.md"))
        assert compiled.document["features"]


def test_variant_dependency_on_a_flag_without_variants_is_refused() -> None:
    """Unleash's engine ignores the variant list then: a policy saying it is a mistake."""
    text = BASE.replace(
        "rollouts:",
        """\
  parent:
    enabled: true
  child:
    enabled: true
    dependencies: [{feature: parent, variants: [blue]}]
rollouts:""",
    )
    error = _error(text)
    assert "flags.child.dependencies[0].variants" in str(error)
    assert "which has none" in str(error)


def test_lower_case_z_dates_are_accepted_and_written_canonically() -> None:
    """RFC 3339 allows 'z'; the compiled constraint carries the engine's canonical form."""
    text = BASE.replace(
        "rollouts:",
        """\
  dated:
    enabled: true
    strategies:
      - name: default
        constraints: [{context: currentTime, operator: DATE_AFTER, value: "2025-01-01t10:00:00z"}]
rollouts:""",
    )
    client = _client(text)
    assert client.is_enabled("dated", {"currentTime": "2025-01-01T10:00:01z"}) is True
    assert client.is_enabled("dated", {"currentTime": "2025-01-01T09:59:59Z"}) is False
    (feature,) = [f for f in client.to_unleash()["features"] if f["name"] == "dated"]
    assert feature["strategies"][0]["constraints"][0]["value"] == "2025-01-01T10:00:00+00:00"
