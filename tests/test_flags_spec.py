"""The evaluator against Unleash's client specification, and its building blocks.

Every case of every file in ``shared/unleash-client-specification/specifications``
runs, in ``index.json`` order; one mismatch fails that file's test with the
list of failing cases.  The rest protects what the vectors do not pin down:
the hash itself, the REGEX engine, injectable randomness,
threads, fork and delta updates.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from scrubphi.flags import load_unleash
from scrubphi.flags.constraints import (
    RefusedPattern,
    compile_constraint,
    compile_regex,
    parse_semver,
)
from scrubphi.flags.murmur import VARIANT_SEED, murmur3_32, normalized_hash
from shared_paths import UNLEASH_SPEC

SPEC_DIR = UNLEASH_SPEC
INDEX: list[str] = json.loads((SPEC_DIR / "index.json").read_text(encoding="utf-8"))


def _run_file(path: Path) -> tuple[int, list[str]]:
    spec = json.loads(path.read_text(encoding="utf-8"))
    client = load_unleash(spec["state"])
    failures: list[str] = []
    count = 0
    for case in spec.get("tests", []):
        count += 1
        got = client.is_enabled(case["toggleName"], case["context"])
        if got != case["expectedResult"]:
            failures.append(f"{case['description']}: got {got}, want {case['expectedResult']}")
    for case in spec.get("variantTests", []):
        count += 1
        got_variant = client.get_variant(case["toggleName"], case["context"])
        if got_variant != case["expectedResult"]:
            failures.append(
                f"{case['description']}: got {got_variant}, want {case['expectedResult']}"
            )
    return count, failures


@pytest.mark.parametrize("name", INDEX, ids=[n.removesuffix(".json") for n in INDEX])
def test_specification_file(name: str) -> None:
    """Every case of one specification file gives Unleash's expected result."""
    count, failures = _run_file(SPEC_DIR / name)
    assert count > 0
    assert failures == []


def test_index_lists_every_file_and_all_cases_run() -> None:
    """No specification file is skipped: index.json names them all, 279 cases in total."""
    on_disk = sorted(p.name for p in SPEC_DIR.glob("[0-9]*.json"))
    assert sorted(INDEX) == on_disk
    assert len(INDEX) == 22
    assert sum(_run_file(SPEC_DIR / name)[0] for name in INDEX) == 279


# --------------------------------------------------------------------------
# Hash
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "seed", "expected"),
    [
        (b"", 0, 0),
        (b"", 1, 0x514E28B7),
        (b"hello", 0, 0x248BFA47),
        (b"The quick brown fox jumps over the lazy dog", 0, 0x2E4FF723),
        (b"abc", 0, 0xB3DD93FA),
        (b"abcd", 0x9747B28C, 0xF0478627),
    ],
)
def test_murmur3_reference_values(data: bytes, seed: int, expected: int) -> None:
    """MurmurHash3 x86_32 matches published reference values (tails of 0-3 bytes, seeds)."""
    assert murmur3_32(data, seed) == expected


def test_normalized_hash_boundaries_from_the_design() -> None:
    """The bucket values unleash-evaluation.md lists, including the boundary cases."""
    assert normalized_hash("174", "Feature.flexibleRollout.10") == 10
    assert normalized_hash("499", "Feature.flexibleRollout.10") == 32
    assert normalized_hash("122", "AB12A") == 23
    assert normalized_hash("155", "AB12A") == 100
    assert normalized_hash("712", "Feature.Variants.D", 100, VARIANT_SEED) == 1
    assert normalized_hash("537", "Feature.Variants.D", 100, VARIANT_SEED) == 70


def test_non_ascii_ids_hash_as_utf8() -> None:
    """Non-ASCII ids are hashed as UTF-8 (Python SDK, Yggdrasil), not UTF-16 units (Node)."""
    assert normalized_hash("é", "g") == murmur3_32("g:é".encode(), 0) % 100 + 1
    assert normalized_hash("é", "g") != murmur3_32(b"g:\xe9", 0) % 100 + 1


# --------------------------------------------------------------------------
# REGEX dialect
# --------------------------------------------------------------------------


def _regex(pattern: str, text: str, fold: bool = False) -> bool:
    check = compile_constraint(
        {"contextName": "x", "operator": "REGEX", "value": pattern, "caseInsensitive": fold}
    )
    return check({"properties": {"x": text}})


#: (pattern, text, caseInsensitive, Rust regex's answer). The same table runs through
#: Unleash's own engine in test_flags_yggdrasil.py, so both sides agree on every row.
REGEX_CASES: list[tuple[str, str, bool, bool]] = [
    ("^[[:digit:][:upper:]]+$", "AB12", False, True),
    ("^[[:digit:][:upper:]]+$", "ab12", False, False),
    ("[[:alpha:]]", "é", False, False),  # POSIX classes are ASCII
    ("^[[:punct:]]$", "[", False, True),
    ("a(?i)b|c", "C", False, True),  # a flag spans the rest of the group, later alternatives too
    ("(a(?i)b)c", "aBC", False, False),  # ... and ends with its group
    ("^(?i)abc$", "ABC", False, True),
    ("^abc$", "abc\n", False, False),  # $ is the very end of the text
    ("(?m)^abc$", "x\nabc\n", False, True),
    ("abc\\z", "abc", False, True),
    ("(?x) a b  c # comment", "abc", False, True),
    ("\\x{41}\\u0042", "AB", False, True),
    ("\\<cat\\>", "concat", False, False),
    ("(?P<y>\\d{4})-(?<m>\\d\\d)", "2024-05", False, True),
    # \w: letters, marks, decimal digits and connector punctuation (Unicode)
    ("^\\w+$", "héllo", False, True),
    ("^\\w+$", "e\u0301", False, True),  # a combining mark is a word character
    ("^\\w$", "\u203f", False, True),  # connector punctuation
    ("^\\w$", "²", False, False),  # superscript two is not (Python's \w says it is)
    ("^\\w$", "½", False, False),
    ("^\\d$", "٣", False, True),
    # \s: Unicode White_Space
    ("\\s", "\u00a0", False, True),
    ("\\s", "\u2028", False, True),
    ("\\s", "\u0085", False, True),
    ("\\s", "\u001c", False, False),  # Python's \s matches the file separator; Rust's not
    ("\\s", "\u200b", False, False),
    # \b: Unicode word boundaries
    ("\\bfoo\\b", "éfoo", False, False),
    ("\\bfoo\\b", "-foo-", False, True),
    ("(?-u:\\b)foo", "éfoo", False, True),  # ASCII boundary
    # case-insensitive matching: simple case folding, no Turkish special case
    ("(?i)^i$", "İ", False, False),
    ("(?i)^i$", "ı", False, False),
    ("^i$", "İ", True, False),
    ("^I$", "ı", True, False),
    ("(?i)^k$", "\u212a", False, True),  # KELVIN SIGN folds to k
    ("(?i)^s$", "ſ", False, True),  # LONG S folds to s
    ("(?i)^ss$", "ß", False, False),  # no multi-character folding
    ("^straße$", "STRASSE", True, False),
    ("^été$", "ÉTÉ", True, True),
    ("(?i)ÉTÉ", "été", False, True),
    ("^abc$", "ABC", True, True),
    ("^(?-i)abc$", "ABC", True, False),
    # Unicode properties and class set operations
    ("^\\p{L}+$", "héllo", False, True),
    ("^\\p{L}+$", "h3llo", False, False),
    ("^\\pL$", "é", False, True),
    ("^\\p{Greek}+$", "αβγ", False, True),
    ("^[\\p{Greek}&&\\p{Ll}]+$", "αβ", False, True),
    ("^[\\p{Greek}&&\\p{Ll}]+$", "Αβ", False, False),
    ("^[a-z--[aeiou]]+$", "xyz", False, True),
    ("^[[:^alpha:]]+$", "123", False, True),
    ("^a*+$", "aaa", False, True),  # Rust reads this as (a*)+, not as possessive
]


@pytest.mark.parametrize(("pattern", "text", "fold", "expected"), REGEX_CASES)
def test_regex_is_rusts(pattern: str, text: str, fold: bool, expected: bool) -> None:
    """REGEX answers are Rust regex's, including where Python's re answers otherwise."""
    assert _regex(pattern, text, fold) is expected


#: Patterns Rust's regex crate refuses.
REFUSED_PATTERNS = [
    "(?=a)",
    "(?!a)",
    "(?<=a)b",
    "(?<!a)b",
    "(a)\\1",
    "(?P<n>a)(?P=n)",
    "(?>a)",
    "a{",
    "\\Z",
    "(?)",
    "(",
    ")",
    "[a",
    "[z-a]",
    "\\p{NoSuchProperty}",
]


@pytest.mark.parametrize("pattern", REFUSED_PATTERNS)
def test_refused_regex_makes_only_its_strategy_false(pattern: str) -> None:
    """A pattern Rust refuses makes its strategy false; other strategies still count (Yggdrasil)."""
    with pytest.raises(RefusedPattern):
        compile_regex(pattern)
    refused = {
        "name": "default",
        "constraints": [{"contextName": "userId", "operator": "REGEX", "value": pattern}],
    }
    alone = {"features": [{"name": "f", "enabled": True, "strategies": [refused]}]}
    assert load_unleash(alone).is_enabled("f", {"userId": "a"}) is False
    beside = {
        "features": [
            {
                "name": "f",
                "enabled": True,
                "strategies": [refused, {"name": "userWithId", "parameters": {"userIds": "7"}}],
            }
        ]
    }
    client = load_unleash(beside)
    assert client.is_enabled("f", {"userId": "7"}) is True
    assert client.is_enabled("f", {"userId": "a"}) is False
    assert "refused" in client.explain("f", {"userId": "a"})["strategies"][0]["detail"]


# --------------------------------------------------------------------------
# Other operators
# --------------------------------------------------------------------------


def test_semver_precedence() -> None:
    """SemVer 2.0 precedence: pre-releases below the release, numeric below alphanumeric."""
    order = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "2.0.0",
    ]
    keys = [parse_semver(v) for v in order]
    assert all(k is not None for k in keys)
    assert keys == sorted(keys)  # type: ignore[type-var]
    assert parse_semver("1.0.0+build") == parse_semver("1.0.0")
    assert parse_semver("v1.0.0") is None
    assert parse_semver("01.0.0") is None


def test_num_operators_refuse_python_only_spellings() -> None:
    """1_000, nan and inf are not numbers to Unleash, so NUM_* are false for them."""
    check = compile_constraint({"contextName": "n", "operator": "NUM_GT", "value": "1"})
    assert check({"n": "1_000"}) is False
    assert check({"n": "inf"}) is False
    assert check({"n": "1e3"}) is True


def test_top_level_custom_field_is_honoured() -> None:
    """A custom field may sit at the top level of the context as well as in properties."""
    check = compile_constraint(
        {"contextName": "email", "operator": "STR_ENDS_WITH", "values": ["@x"]}
    )
    assert check({"email": "a@x"}) is True
    assert check({"properties": {"email": "a@x"}}) is True
    assert check({}) is False


# --------------------------------------------------------------------------
# Strategies the vectors do not cover, and client behaviour
# --------------------------------------------------------------------------


def _doc(*strategies: dict[str, Any], **feature: Any) -> dict[str, Any]:
    return {
        "version": 2,
        "features": [{"name": "f", "enabled": True, "strategies": list(strategies), **feature}],
    }


def test_random_is_injectable() -> None:
    """Random stickiness and gradualRolloutRandom use the injected randint."""
    doc = _doc({"name": "flexibleRollout", "parameters": {"rollout": "50", "stickiness": "random"}})
    ids = [str(n) for n in range(1, 101)]
    inside = [i for i in ids if normalized_hash(i, "f") <= 50]
    outside = [i for i in ids if normalized_hash(i, "f") > 50]
    assert load_unleash(doc, randint=lambda a, b: int(inside[0])).is_enabled("f") is True
    assert load_unleash(doc, randint=lambda a, b: int(outside[0])).is_enabled("f") is False
    gradual = _doc({"name": "gradualRolloutRandom", "parameters": {"percentage": "30"}})
    assert load_unleash(gradual, randint=lambda a, b: 30).is_enabled("f") is True
    assert load_unleash(gradual, randint=lambda a, b: 31).is_enabled("f") is False


def test_application_hostname_is_case_insensitive() -> None:
    """applicationHostname compares lower-cased names (Node and Yggdrasil)."""
    doc = _doc({"name": "applicationHostname", "parameters": {"hostNames": "Web-1, web-2"}})
    assert load_unleash(doc, hostname="WEB-1").is_enabled("f") is True
    assert load_unleash(doc, hostname="web-3").is_enabled("f") is False


def test_remote_address_ipv6_cidr() -> None:
    """remoteAddress accepts IPv6 and CIDR entries and skips invalid ones."""
    doc = _doc({"name": "remoteAddress", "parameters": {"IPs": "bogus, 2001:db8::/32, 10.0.0.1"}})
    client = load_unleash(doc)
    assert client.is_enabled("f", {"remoteAddress": "2001:db8::1"}) is True
    assert client.is_enabled("f", {"remoteAddress": "10.0.0.1"}) is True
    assert client.is_enabled("f", {"remoteAddress": "10.0.0.2"}) is False


def test_unknown_strategy_is_false_and_the_others_still_count() -> None:
    """An unknown strategy is false; the flag's other strategies still decide (Yggdrasil)."""
    doc = _doc(
        {"name": "canary", "parameters": {"region": "eu"}},
        {"name": "userWithId", "parameters": {"userIds": "7"}},
    )
    client = load_unleash(doc)
    assert client.is_enabled("f", {"userId": "7"}) is True
    assert client.is_enabled("f", {"userId": "8"}) is False
    assert "unknown strategy" in client.explain("f", {"userId": "8"})["strategies"][0]["detail"]
    seen: list[Any] = []

    def canary(params: Any, ctx: Any) -> bool:
        seen.append(params["region"])
        return ctx.get("userId") == "8"

    registered = load_unleash(doc, strategies={"canary": canary})
    assert registered.is_enabled("f", {"userId": "8"}) is True
    assert seen == ["eu"]
    only = _doc({"name": "canary", "parameters": {"region": "eu"}})
    assert load_unleash(only).is_enabled("f", {"userId": "8"}) is False


def test_unknown_operator_and_missing_segment_turn_the_whole_flag_off() -> None:
    """An unknown operator or a missing segment turns the whole flag off (Yggdrasil)."""
    user7 = {"name": "userWithId", "parameters": {"userIds": "7"}}
    bogus = {"contextName": "x", "operator": "BOGUS", "value": "a"}
    op = _doc({"name": "default", "constraints": [bogus]}, user7)
    seg = _doc({"name": "default", "segments": [99]}, user7)
    for doc in (op, seg):
        client = load_unleash(doc)
        assert client.is_enabled("f", {"userId": "7"}) is False
        assert client.explain("f", {"userId": "7"})["decided_by"] == {"kind": "unsupported"}


def test_only_disabled_strategies_mean_off() -> None:
    """Every strategy disabled: off. A disabled strategy beside others is skipped."""
    off = load_unleash(_doc({"name": "default", "disabled": True}))
    assert off.is_enabled("f", {"userId": "1"}) is False
    assert off.get_variant("f", {"userId": "1"})["feature_enabled"] is False
    assert "disabled" in off.explain("f", {"userId": "1"})["reason"] + str(
        off.explain("f", {"userId": "1"})["strategies"]
    )
    exported = off.to_unleash()["features"][0]
    assert exported["enabled"] is False and exported["strategies"] == []
    mixed = load_unleash(
        _doc(
            {"name": "default", "disabled": True},
            {"name": "userWithId", "parameters": {"userIds": "7"}},
        )
    )
    assert mixed.is_enabled("f", {"userId": "7"}) is True
    assert mixed.is_enabled("f", {"userId": "8"}) is False
    assert [s["name"] for s in mixed.to_unleash()["features"][0]["strategies"]] == ["userWithId"]


def test_unknown_flag_returns_default_and_disabled_variant() -> None:
    """An unknown flag gives the caller's default and the disabled variant."""
    client = load_unleash({"features": []})
    assert client.is_enabled("missing", {}, default=True) is True
    assert client.is_enabled("missing") is False
    assert client.get_variant("missing", {}) == {
        "name": "disabled",
        "enabled": False,
        "feature_enabled": False,
    }


def test_delta_events_apply_to_an_existing_client() -> None:
    """apply_delta updates, removes and hydrates flags on a live client."""
    client = load_unleash(_doc({"name": "default"}))
    assert client.is_enabled("f")
    client.apply_delta(
        {
            "events": [
                {"eventId": 2, "type": "feature-removed", "featureName": "f"},
                {
                    "eventId": 1,
                    "type": "feature-updated",
                    "feature": {"name": "g", "enabled": True, "strategies": []},
                },
                {"eventId": 3, "type": "segment-updated", "segment": {"id": 7, "constraints": []}},
            ]
        }
    )
    assert client.feature_names() == ["g"]
    client.apply_delta({"events": [{"eventId": 4, "type": "hydration", "features": []}]})
    assert client.feature_names() == []


def test_static_context_defaults() -> None:
    """appName and environment come from the client unless the caller overrides them."""
    doc = _doc(
        {
            "name": "default",
            "constraints": [
                {"contextName": "environment", "operator": "IN", "values": ["production"]}
            ],
        }
    )
    assert load_unleash(doc).is_enabled("f") is False
    assert load_unleash(doc, environment="production").is_enabled("f") is True
    assert load_unleash(doc).is_enabled("f", {"environment": "production"}) is True


def test_concurrent_evaluation_is_consistent() -> None:
    """Many threads evaluating at once agree with a single thread, and none is lost in counts."""
    spec = json.loads((SPEC_DIR / "13-constraint-operators.json").read_text(encoding="utf-8"))
    client = load_unleash(spec["state"])
    cases = spec["tests"]
    errors: list[str] = []

    def work() -> None:
        for _ in range(20):
            for case in cases:
                if client.is_enabled(case["toggleName"], case["context"]) != case["expectedResult"]:
                    errors.append(case["description"])

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counts = client.exposures()
    assert sum(v["yes"] + v["no"] for v in counts.values()) == 8 * 20 * len(cases)
