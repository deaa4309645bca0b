"""The OpenFeature provider, driven through the real openfeature-sdk API.

Values, reasons and error codes are checked as an application sees them
(``api.get_client().get_*_details``), on an Unleash document and on a
policy whose rollout plan moves through its phases.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from openfeature import api
from openfeature.client import OpenFeatureClient
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason

from scrubphi.flags import FlagClient, StaticState, load_unleash
from scrubphi.flags.openfeature import ScrubPhiProvider, to_unleash_context
from scrubphi.policy import loads_policy

DOCUMENT: dict[str, Any] = {
    "version": 2,
    "segments": [
        {
            "id": 1,
            "name": "internal",
            "constraints": [
                {"contextName": "email", "operator": "STR_ENDS_WITH",
                 "values": ["@clinic.example"]}
            ],
        }
    ],
    "features": [
        {"name": "static-on", "enabled": True, "strategies": []},
        {"name": "default-strategy", "enabled": True, "strategies": [{"name": "default"}]},
        {"name": "off", "enabled": False, "strategies": []},
        {
            "name": "internal-only",
            "enabled": True,
            "strategies": [{"name": "default", "segments": [1]}],
        },
        {
            "name": "tenant",
            "enabled": True,
            "strategies": [
                {
                    "name": "default",
                    "constraints": [
                        {"contextName": "tenant", "operator": "IN", "values": ["acme"]}
                    ],
                }
            ],
        },
        {
            "name": "half",
            "enabled": True,
            "strategies": [
                {
                    "name": "flexibleRollout",
                    "parameters": {"rollout": "50", "stickiness": "userId", "groupId": "half"},
                }
            ],
        },
        {
            "name": "colour",
            "enabled": True,
            "strategies": [{"name": "default"}],
            "variants": [
                {"name": "red", "weight": 50, "stickiness": "userId",
                 "payload": {"type": "string", "value": "#f00"},
                 "overrides": [{"contextName": "userId", "values": ["vip"]}]},
                {"name": "blue", "weight": 50, "stickiness": "userId",
                 "payload": {"type": "string", "value": "#00f"}},
            ],
        },
        {
            "name": "limits",
            "enabled": True,
            "strategies": [{"name": "default"}],
            "variants": [
                {"name": "only", "weight": 1000,
                 "payload": {"type": "json", "value": '{"max": 3, "tags": ["a"]}'}},
            ],
        },
        {
            "name": "batch-size",
            "enabled": True,
            "strategies": [{"name": "default"}],
            "variants": [
                {"name": "only", "weight": 1000, "payload": {"type": "number", "value": "250"}},
            ],
        },
        {
            "name": "ratio",
            "enabled": True,
            "strategies": [{"name": "default"}],
            "variants": [
                {"name": "only", "weight": 1000, "payload": {"type": "number", "value": "0.25"}},
            ],
        },
        {
            "name": "no-payload",
            "enabled": True,
            "strategies": [{"name": "default"}],
            "variants": [{"name": "plain", "weight": 1000}],
        },
        {
            "name": "strategy-variants",
            "enabled": True,
            "strategies": [
                {
                    "name": "default",
                    "constraints": [
                        {"contextName": "tenant", "operator": "IN", "values": ["acme"]}
                    ],
                    "variants": [
                        {"name": "acme", "weight": 1000,
                         "payload": {"type": "string", "value": "for acme"}}
                    ],
                }
            ],
        },
    ],
}


@pytest.fixture
def flag_client() -> FlagClient:
    """The evaluator over the test document."""
    return load_unleash(DOCUMENT)


@pytest.fixture
def of_client(flag_client: FlagClient) -> Iterator[OpenFeatureClient]:
    """An OpenFeature client whose default provider is scrubphi's."""
    api.set_provider(ScrubPhiProvider(flag_client))
    yield api.get_client()
    api.clear_providers()


def _ctx(key: str | None = None, **attributes: Any) -> EvaluationContext:
    return EvaluationContext(targeting_key=key, attributes=attributes)


def test_provider_is_registered_with_its_name(of_client: OpenFeatureClient) -> None:
    """The SDK accepts the provider and reports its name."""
    assert api.get_provider_metadata().name == "scrubphi"
    assert of_client.get_boolean_value("static-on", False) is True


@pytest.mark.parametrize(
    ("flag", "ctx", "value", "reason"),
    [
        ("static-on", _ctx("u1"), True, Reason.STATIC),
        ("default-strategy", _ctx(), True, Reason.STATIC),
        ("off", _ctx("u1"), False, Reason.DISABLED),
        ("internal-only", _ctx("u1", email="ann@clinic.example"), True, Reason.TARGETING_MATCH),
        ("internal-only", _ctx("u1", email="bob@else.example"), False, Reason.DEFAULT),
        ("tenant", _ctx(tenant="acme"), True, Reason.TARGETING_MATCH),
        ("tenant", _ctx(tenant="globex"), False, Reason.DEFAULT),
    ],
)
def test_boolean_reasons(
    of_client: OpenFeatureClient, flag: str, ctx: EvaluationContext, value: bool, reason: Reason
) -> None:
    """Each way a flag can be on or off maps to its OpenFeature reason."""
    details = of_client.get_boolean_details(flag, not value, ctx)
    assert (details.value, details.reason, details.error_code) == (value, reason, None)


def test_percentage_rollout_is_split_and_matches_the_evaluator(
    of_client: OpenFeatureClient, flag_client: FlagClient
) -> None:
    """A 50% rollout answers like the evaluator for every user, with reason SPLIT when on."""
    seen = set()
    for i in range(200):
        details = of_client.get_boolean_details("half", False, _ctx(f"user-{i}"))
        assert details.value is flag_client.is_enabled("half", {"userId": f"user-{i}"})
        assert details.reason == (Reason.SPLIT if details.value else Reason.DEFAULT)
        seen.add(details.value)
    assert seen == {True, False}


def test_unknown_flag_is_flag_not_found(of_client: OpenFeatureClient) -> None:
    """An undefined flag returns the caller's default with FLAG_NOT_FOUND, for every type."""
    b = of_client.get_boolean_details("nope", True)
    s = of_client.get_string_details("nope", "fallback")
    o = of_client.get_object_details("nope", {"k": 1})
    assert (b.value, b.error_code, b.reason) == (True, ErrorCode.FLAG_NOT_FOUND, Reason.ERROR)
    assert (s.value, s.error_code) == ("fallback", ErrorCode.FLAG_NOT_FOUND)
    assert (o.value, o.error_code) == ({"k": 1}, ErrorCode.FLAG_NOT_FOUND)


def test_string_variants_split_and_override(
    of_client: OpenFeatureClient, flag_client: FlagClient
) -> None:
    """A weighted variant choice is SPLIT (and equals get_variant); an override is
    TARGETING_MATCH."""
    values = set()
    for i in range(100):
        details = of_client.get_string_details("colour", "none", _ctx(f"u{i}"))
        expected = flag_client.get_variant("colour", {"userId": f"u{i}"})
        assert details.variant == expected["name"]
        assert details.value == expected["payload"]["value"]
        assert details.reason == Reason.SPLIT
        values.add(details.value)
    assert values == {"#f00", "#00f"}
    vip = of_client.get_string_details("colour", "none", _ctx("vip"))
    assert (vip.value, vip.variant, vip.reason) == ("#f00", "red", Reason.TARGETING_MATCH)


def test_strategy_variants_follow_the_matched_strategy(of_client: OpenFeatureClient) -> None:
    """Variants of a constrained strategy resolve with TARGETING_MATCH; no match is DEFAULT."""
    hit = of_client.get_string_details("strategy-variants", "x", _ctx(tenant="acme"))
    miss = of_client.get_string_details("strategy-variants", "x", _ctx(tenant="other"))
    assert (hit.value, hit.reason) == ("for acme", Reason.TARGETING_MATCH)
    assert (miss.value, miss.reason, miss.error_code) == ("x", Reason.DEFAULT, None)


def test_typed_payloads(of_client: OpenFeatureClient) -> None:
    """number payloads resolve as integers and floats, json payloads as objects."""
    assert of_client.get_integer_details("batch-size", 1).value == 250
    assert of_client.get_float_details("batch-size", 1.0).value == 250.0
    assert of_client.get_float_details("ratio", 1.0).value == 0.25
    obj = of_client.get_object_details("limits", {})
    assert (obj.value, obj.reason) == ({"max": 3, "tags": ["a"]}, Reason.STATIC)
    plain = of_client.get_string_details("no-payload", "d")
    assert (plain.value, plain.variant) == ("plain", "plain")


@pytest.mark.parametrize(
    ("method", "flag", "default"),
    [
        ("get_integer_details", "ratio", 7),
        ("get_integer_details", "colour", 7),
        ("get_string_details", "batch-size", "d"),
        ("get_object_details", "batch-size", {"d": 1}),
        ("get_float_details", "limits", 1.5),
        ("get_integer_details", "no-payload", 7),
    ],
)
def test_type_mismatch(of_client: OpenFeatureClient, method: str, flag: str, default: Any) -> None:
    """Asking a flag for a type its payload does not hold gives TYPE_MISMATCH and the default."""
    details = getattr(of_client, method)(flag, default, _ctx("u1"))
    assert details.value == default
    assert details.error_code == ErrorCode.TYPE_MISMATCH
    assert details.reason == Reason.ERROR


def test_disabled_and_no_variant_flags_give_the_default_for_values(
    of_client: OpenFeatureClient,
) -> None:
    """A disabled flag is DISABLED; an on flag without variants has no value: DEFAULT."""
    off = of_client.get_string_details("off", "d")
    novar = of_client.get_string_details("static-on", "d")
    assert (off.value, off.reason, off.error_code) == ("d", Reason.DISABLED, None)
    assert (novar.value, novar.reason, novar.error_code) == ("d", Reason.DEFAULT, None)


def test_exposures_count_one_evaluation_per_resolution(
    of_client: OpenFeatureClient, flag_client: FlagClient
) -> None:
    """Finding the reason must not inflate the client's exposure counts (rollout gates read
    them)."""
    flag_client.clear_exposures()
    for _ in range(3):
        of_client.get_boolean_value("internal-only", False, _ctx("u", email="a@clinic.example"))
    of_client.get_string_value("colour", "x", _ctx("u"))
    counts = flag_client.exposures()
    assert counts["internal-only"]["yes"] == 3
    assert counts["internal-only"]["no"] == 0
    assert sum(counts["colour"]["variants"].values()) == 1


def test_context_translation() -> None:
    """targeting_key is userId; built-in fields stay top level; the rest become string
    properties."""
    from datetime import UTC, datetime

    ctx = to_unleash_context(
        EvaluationContext(
            "u-1",
            {
                "sessionId": "s-9",
                "remoteAddress": "10.0.0.1",
                "beta": True,
                "age": 42,
                "joined": datetime(2024, 1, 2, tzinfo=UTC),
                "tags": ["a", "b"],
                "properties": {"tenant": "acme"},
            },
        )
    )
    assert ctx == {
        "userId": "u-1",
        "sessionId": "s-9",
        "remoteAddress": "10.0.0.1",
        "properties": {
            "beta": "true",
            "age": "42",
            "joined": "2024-01-02T00:00:00+00:00",
            "tags": json.dumps(["a", "b"]),
            "tenant": "acme",
        },
    }
    assert to_unleash_context(None) == {}


POLICY = """\
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
      - {name: internal, audience: {segment: internal}}
      - {name: five, percent: 5}
      - {name: all, percent: 100}
"""


def test_rollout_plan_phases_map_to_reasons() -> None:
    """Not started: DISABLED; audience phase: TARGETING_MATCH; 5%: SPLIT; 100%: STATIC."""
    state = StaticState()
    client = FlagClient.from_policy(loads_policy(POLICY, "flags.yaml"), state=state)
    api.set_provider(ScrubPhiProvider(client))
    try:
        of = api.get_client()
        insider = _ctx("1", email="ann@clinic.example")
        d = of.get_boolean_details("new-scheduling", False, insider)
        assert (d.value, d.reason) == (False, Reason.DISABLED)
        state.set("staged-release", 0)
        d = of.get_boolean_details("new-scheduling", False, insider)
        assert (d.value, d.reason) == (True, Reason.TARGETING_MATCH)
        state.set("staged-release", 1)
        reasons = {
            of.get_boolean_details("new-scheduling", False, _ctx(str(i))).reason
            for i in range(200)
        }
        assert reasons == {Reason.SPLIT, Reason.DEFAULT}
        state.set("staged-release", 2)
        d = of.get_boolean_details("new-scheduling", False, _ctx("7"))
        assert (d.value, d.reason) == (True, Reason.STATIC)
    finally:
        api.clear_providers()


def _until(condition: Any, timeout: float = 5.0) -> None:
    """OpenFeature runs event handlers on its own thread pool: wait for them."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the event did not arrive"
        time.sleep(0.01)


def test_metadata_boolean_variant_and_phase_move_events() -> None:
    """flag_metadata carries plan and phase, booleans carry a variant, and a phase move
    reaches OpenFeature's event handlers as PROVIDER_CONFIGURATION_CHANGED."""
    from openfeature.event import EventDetails, ProviderEvent

    state = StaticState({"staged-release": 0})
    client = FlagClient.from_policy(loads_policy(POLICY, "flags.yaml"), state=state)
    provider = ScrubPhiProvider(client)
    api.set_provider(provider)
    events: list[EventDetails] = []
    api.add_handler(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, events.append)
    try:
        of = api.get_client()
        insider = _ctx("1", email="ann@clinic.example")
        d = of.get_boolean_details("new-scheduling", False, insider)
        assert d.flag_metadata == {
            "plan": "staged-release",
            "phase": "internal",
            "strategy": "default",
        }
        assert (d.value, d.variant) == (True, "on")
        assert of.get_boolean_details("new-scheduling", False, _ctx("2")).variant == "off"
        state.set("staged-release", 2)
        d = of.get_boolean_details("new-scheduling", False, _ctx("2"))
        assert d.flag_metadata["phase"] == "all" and d.value is True
        _until(lambda: len(events) == 1)
        assert events[0].flags_changed == ["new-scheduling"]
        assert events[0].metadata == {"plan": "staged-release", "from": "internal", "to": "all"}
        of.get_boolean_details("new-scheduling", False, _ctx("3"))
        state.set("staged-release", None)
        provider.check_phases()
        _until(lambda: len(events) == 2)
        assert events[1].metadata["to"] == ""  # one event per move: none for the third call
    finally:
        api.remove_handler(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, events.append)
        api.clear_providers()


def test_boolean_variant_is_the_unleash_variant(
    of_client: OpenFeatureClient, flag_client: FlagClient
) -> None:
    """A flag with variants: the boolean's variant is the one get_variant gives."""
    names = set()
    for i in range(20):
        details = of_client.get_boolean_details("colour", False, _ctx(f"u{i}"))
        assert details.value is True
        assert details.variant == flag_client.get_variant("colour", {"userId": f"u{i}"})["name"]
        names.add(details.variant)
    assert names == {"red", "blue"}


def test_a_failing_state_store_resolves_to_the_default_with_error(tmp_path: Any) -> None:
    """A state store that cannot be read: the provider itself answers the caller's default,
    reason ERROR, code GENERAL; nothing propagates to the application."""
    from scrubphi.flags.state import FileStateStore

    path = tmp_path / "rollouts.json"
    path.write_text("{ not json", encoding="utf-8")
    client = FlagClient.from_policy(loads_policy(POLICY, "flags.yaml"), state=FileStateStore(path))
    provider = ScrubPhiProvider(client)
    for default in (True, False):
        d = provider.resolve_boolean_details("new-scheduling", default, _ctx("1"))
        assert (d.value, d.reason, d.error_code) == (default, Reason.ERROR, ErrorCode.GENERAL)
    s = provider.resolve_string_details("new-scheduling", "fallback", _ctx("1"))
    assert (s.value, s.reason) == ("fallback", Reason.ERROR)


def test_resolution_does_not_copy_the_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    """A resolution is one evaluation: it never rebuilds the flag document (at 400 flags
    that copy made it 1,460x slower than is_enabled; benchmarks measure speed, this
    test checks the structure that made it slow)."""
    features = [
        {
            "name": f"f{i}",
            "enabled": True,
            "strategies": [
                {
                    "name": "flexibleRollout",
                    "parameters": {"rollout": "50", "stickiness": "userId", "groupId": f"f{i}"},
                    "constraints": [
                        {"contextName": "tenant", "operator": "IN", "values": ["acme", "x"]}
                    ],
                }
            ],
        }
        for i in range(400)
    ]
    client = load_unleash({"version": 2, "features": features})
    provider = ScrubPhiProvider(client)
    ctx = EvaluationContext("42", {"tenant": "acme"})
    expected = client.is_enabled("f200", to_unleash_context(ctx))

    def no_copy(*_args: Any, **_kw: Any) -> Any:
        raise AssertionError("resolution rebuilt the whole flag document")

    calls: list[str] = []
    resolve = type(client).resolve

    def counted(self: Any, name: str, *args: Any, **kw: Any) -> Any:
        calls.append(name)
        return resolve(self, name, *args, **kw)

    monkeypatch.setattr(client, "to_unleash", no_copy)
    monkeypatch.setattr(type(client), "resolve", counted)
    details = provider.resolve_boolean_details("f200", not expected, ctx)
    assert details.value is expected
    assert calls == ["f200"]
