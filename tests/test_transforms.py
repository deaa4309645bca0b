"""Tests of scrubphi.transforms: determinism, safe ranges, one-to-one, formats, types."""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import ipaddress
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrubphi.policy.model import TransformSpec
from scrubphi.transforms import FAKE_PROVIDERS, build_transform, check_spec
from scrubphi.transforms.arrays import format_array, map_array, parse_array
from scrubphi.transforms.base import ColumnInfo, TransformContext
from scrubphi.transforms.dates import civil_from_days, days_from_civil
from scrubphi.transforms.keyed import KDF_LABEL, Prf, domain_of
from scrubphi.transforms.zip3 import RESTRICTED_ZIP3

KEY = b"0123456789abcdef0123456789abcdef"
ROOT = Path(__file__).resolve().parent.parent
TEXT = ColumnInfo("c", "text")


def fake(provider: str, unique: bool = False, locale: str = "en_US") -> TransformSpec:
    return TransformSpec("fake", {"provider": provider, "unique": unique, "locale": locale})


def hash_(length: int = 16, alphabet: str = "hex") -> TransformSpec:
    return TransformSpec("hash", {"length": length, "alphabet": alphabet})


def tok(mode: str) -> TransformSpec:
    return TransformSpec("tokenize", {"alphabet": mode})


def shift(days: int = 30, per: str | None = None, fmt: str | None = None) -> TransformSpec:
    return TransformSpec("date", {"mode": "shift", "days": days, "per": per, "format": fmt})


def year(mode: str = "year", as_of: str | None = None, fmt: str | None = None) -> TransformSpec:
    params: dict[str, Any] = {"mode": mode, "format": fmt}
    if mode == "safe_harbor":
        params["as_of"] = as_of
    return TransformSpec("date", params)


ZIP3 = TransformSpec("generalize", {"method": "zip3"})
MASK = TransformSpec("mask", {"keep_last": 4, "keep_first": 0, "char": "*"})


def run(spec: TransformSpec, value: str | None, column: ColumnInfo = TEXT,
        key: bytes = KEY, ctx: TransformContext | None = None) -> str | None:
    built = build_transform(spec, column, ctx or TransformContext(key=key))
    return built.fn(value)


# -- determinism and domain separation -----------------------------------------


KEYED_SPECS = [
    hash_(), hash_(12, "alnum"), hash_(9, "digits"), fake("ssn"), fake("name"),
    fake("email", unique=True), tok("alnum"), tok("digits"), tok("upper"),
]


@pytest.mark.parametrize("spec", KEYED_SPECS, ids=lambda s: s.canonical())
def test_same_key_spec_value_same_output_across_runs_and_columns(spec: TransformSpec) -> None:
    """Same key+spec+value -> same output in a fresh run and in another column (joins survive)."""
    value = "MRN-12345-ab"
    a = run(spec, value)
    b = run(spec, value)
    ctx = TransformContext(key=KEY)
    c = build_transform(spec, ColumnInfo("x", "text"), ctx).fn(value)
    d = build_transform(spec, ColumnInfo("y", "character varying"), ctx).fn(value)
    assert a == b == c == d
    assert a != value


@pytest.mark.parametrize("spec", KEYED_SPECS, ids=lambda s: s.canonical())
def test_other_key_gives_other_output(spec: TransformSpec) -> None:
    """The output depends on the secret: another key gives other outputs for most values."""
    values = [f"MRN-{i:05d}-ab" for i in range(20)]
    same = sum(run(spec, v) == run(spec, v, key=b"another key" * 3) for v in values)
    assert same <= 2


def test_domain_separation_between_specs() -> None:
    """Different specs are unrelated functions, not prefixes or re-encodings of one another."""
    values = [f"value {i}" for i in range(50)]
    h16 = [run(hash_(16), v) for v in values]
    h17 = [run(hash_(17), v) for v in values]
    assert all(a != (b or "")[:16] for a, b in zip(h16, h17, strict=True))
    first = [run(fake("first_name"), v) for v in values]
    first_other_locale_field = [run(fake("last_name"), v) for v in values]
    assert first != first_other_locale_field
    digits = [run(tok("digits"), f"{i:06d}") for i in range(50)]
    alnum = [run(tok("alnum"), f"{i:06d}") for i in range(50)]
    assert sum(a == b for a, b in zip(digits, alnum, strict=True)) <= 2


# -- safe ranges -----------------------------------------------------------------

SAMPLE = [f"v{i}" for i in range(2000)] + ["123456789", "6175551234", "617-555-1234", "+1 617"]


def _luhn_ok(number: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(number)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def test_fake_values_stay_in_safe_ranges() -> None:
    """SSNs 9XX, phones 555-01XX, e-mail/URLs on example.*, IPs in documentation ranges."""
    ctx = TransformContext(key=KEY)

    def outs(provider: str) -> list[str]:
        fn = build_transform(fake(provider), TEXT, ctx).fn
        return [str(fn(v)) for v in SAMPLE]

    for ssn in outs("ssn"):
        assert re.fullmatch(r"9\d\d-(?!00)\d\d-(?!0000)\d{4}|9\d\d(?!00)\d\d(?!0000)\d{4}", ssn)
    for provider in ("phone_number", "fax"):
        for phone in outs(provider):
            assert re.fullmatch(
                r"\(\d{3}\) 555-01\d\d|\d{3}55501\d\d|\d{3}-555-01\d\d|\+1-\d{3}-555-01\d\d",
                phone,
            ), phone
    for email in outs("email"):
        assert re.fullmatch(r"[a-z0-9._]+@example\.(com|org|net)", email)
    nets = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]
    for ip in outs("ipv4"):
        assert any(ipaddress.ip_address(ip) in n for n in nets)
    for ip in outs("ipv6"):
        assert ipaddress.ip_address(ip) in ipaddress.ip_network("2001:db8::/32")
    for url in outs("url"):
        assert re.fullmatch(r"https://[a-z]+\.example\.(com|org|net)/[a-z]+", url)
    for card in outs("credit_card_number"):
        assert card.startswith("400000") and len(card) == 16 and _luhn_ok(card)
    for iban in outs("iban"):
        assert int("".join(str(int(c, 36)) for c in iban[4:] + iban[:4])) % 97 == 1
    for uuid in outs("uuid4"):
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                            uuid)


def test_fake_shapes_follow_digits_only_originals() -> None:
    """Digits-only SSNs and phone numbers get digits-only fakes (fits char(9)/char(10) data)."""
    assert re.fullmatch(r"9\d{8}", str(run(fake("ssn"), "123456789")))
    assert re.fullmatch(r"\d{3}55501\d\d", str(run(fake("phone_number"), "6175551234")))
    assert re.fullmatch(r"1\d{3}55501\d\d", str(run(fake("phone_number"), "16175551234")))
    narrow = ColumnInfo("ssn", "character varying", max_length=9)
    assert re.fullmatch(r"9\d{8}", str(run(fake("ssn"), "123-45-6789", narrow)))


def test_every_provider_builds_and_returns_text() -> None:
    """Each advertised provider produces a non-empty value (pools ship with the package)."""
    ctx = TransformContext(key=KEY)
    for provider in sorted(FAKE_PROVIDERS):
        out = build_transform(fake(provider), TEXT, ctx).fn("x")
        assert isinstance(out, str) and out.strip(), provider


def test_non_unique_fakes_are_cut_to_the_column() -> None:
    """A non-unique fake longer than varchar(n) is truncated (unique ones: tests/test_unique.py)."""
    out = run(fake("company"), "x", ColumnInfo("n", "character varying", max_length=5))
    assert out is not None and len(out) <= 5


# -- tokenize ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["digits", "alnum", "upper"])
def test_tokenize_is_a_bijection_on_all_four_digit_strings(mode: str) -> None:
    """Exhaustive: the 10^4 four-digit strings map onto themselves one-to-one."""
    fn = build_transform(tok(mode), TEXT, TransformContext(key=KEY)).fn
    inputs = [f"{i:04d}" for i in range(10_000)]
    outs = [fn(v) for v in inputs]
    assert sorted(outs) == inputs  # type: ignore[type-var]
    assert sum(a == b for a, b in zip(inputs, outs, strict=True)) < 50


def test_tokenize_alnum_bijective_on_mixed_small_domain() -> None:
    """Exhaustive on 'letter digit - letter' shapes: letters stay letters of the same case."""
    fn = build_transform(tok("alnum"), TEXT, TransformContext(key=KEY)).fn
    letters = "abcdefghijklmnopqrstuvwxyz"
    inputs = [f"{a}{d}-{b.upper()}" for a in letters for d in "0123456789" for b in letters]
    outs = [str(fn(v)) for v in inputs]
    assert len(set(outs)) == len(inputs)
    assert all(re.fullmatch(r"[a-z][0-9]-[A-Z]", o) for o in outs)


def test_tokenize_upper_is_case_insensitive() -> None:
    """upper: letters come out upper-case and ab12 / AB12 (one identifier) agree."""
    fn = build_transform(tok("upper"), TEXT, TransformContext(key=KEY)).fn
    assert fn("ab-12") == fn("AB-12")
    assert re.fullmatch(r"[A-Z]{2}-\d\d", str(fn("ab-12")))


def test_tokenize_digits_keeps_letters() -> None:
    """digits mode permutes digits only; letters, even 'a' and 'A', are kept in place."""
    out = str(run(tok("digits"), "MRN-00a12345-Zx"))
    assert out[:4] == "MRN-" and out[6] == "a" and out[-3:] == "-Zx"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30), st.sampled_from(["digits", "alnum", "upper"]))
def test_tokenize_preserves_format(value: str, mode: str) -> None:
    """Length, separators and character classes are kept for any text."""
    out = run(tok(mode), value)
    assert out is not None and len(out) == len(value)
    for a, b in zip(value, out, strict=True):
        if "0" <= a <= "9":
            assert "0" <= b <= "9"
        elif mode != "digits" and a.isascii() and a.isalpha():
            assert b.isascii() and b.isalpha()
            assert b.isupper() if mode == "upper" else (a.isupper() == b.isupper())
        else:
            assert a == b


@pytest.mark.parametrize("type_name", ["smallint", "integer"])
def test_tokenize_integer_columns_injective_no_leading_zero(type_name: str) -> None:
    """On integers: one-to-one, no leading zero (012 never appears), sign kept, in range."""
    fn = build_transform(tok("digits"), ColumnInfo("id", type_name), TransformContext(key=KEY)).fn
    inputs = [str(i) for i in range(-2000, 20000)]
    outs = [str(fn(v)) for v in inputs]
    assert len(set(outs)) == len(inputs)
    for a, b in zip(inputs, outs, strict=True):
        assert (a.startswith("-")) == (b.startswith("-"))
        digits = b.lstrip("-")
        assert digits == "0" or not digits.startswith("0")
        assert b != "-0"
        assert -32768 <= int(b) <= 32767 or type_name != "smallint"


def test_tokenize_smallint_top_range_stays_in_range() -> None:
    """Exhaustive over five-digit smallints: outputs never leave the type's range."""
    fn = build_transform(tok("digits"), ColumnInfo("id", "smallint"), TransformContext(key=KEY)).fn
    inputs = [str(i) for i in range(10000, 32768)] + [str(-i) for i in range(10000, 32769)]
    outs = [int(str(fn(v))) for v in inputs]
    assert len(set(outs)) == len(inputs)
    assert all(-32768 <= o <= 32767 for o in outs)


def test_tokenize_bigint_edge_fits() -> None:
    """19-digit bigints map to 19-digit bigints inside the range."""
    fn = build_transform(tok("digits"), ColumnInfo("id", "bigint"), TransformContext(key=KEY)).fn
    for v in ("9223372036854775807", "-9223372036854775808", "1000000000000000000"):
        out = int(str(fn(v)))
        assert -(2**63) <= out < 2**63 and len(str(abs(out))) == 19


def test_tokenize_numeric_keeps_trailing_zero_shape() -> None:
    """numeric: equal numbers stay equal (1.5 and 1.50), NaN passes, fraction shape kept."""
    fn = build_transform(tok("digits"), ColumnInfo("n", "numeric"), TransformContext(key=KEY)).fn
    a, b = str(fn("12.5")), str(fn("12.50"))
    assert b == a + "0" and not a.endswith("0") and a[0] != "0"
    assert fn("NaN") == "NaN"
    outs = {str(fn(f"{i}.{j}")) for i in range(10, 30) for j in range(1, 10)}
    assert len(outs) == 20 * 9


# -- dates --------------------------------------------------------------------------


def _days(text: str) -> int:
    y, m, d = (int(x) for x in text[:10].split("-"))
    return days_from_civil(y, m, d)


def test_date_shift_same_offset_per_patient_and_bounded() -> None:
    """All dates of one per value shift by the same non-zero offset within +-days."""
    built = build_transform(shift(30, per="patient_id"), ColumnInfo("d", "date"),
                            TransformContext(key=KEY))
    assert built.per == "patient_id" and not built.cacheable
    offsets = set()
    for patient in range(200):
        a = built.fn("2020-01-10", str(patient))
        b = built.fn("2020-03-01", str(patient))
        assert a is not None and b is not None
        assert _days(b) - _days(a) == _days("2020-03-01") - _days("2020-01-10")
        off = _days(a) - _days("2020-01-10")
        assert 1 <= abs(off) <= 30
        offsets.add(off)
    assert len(offsets) > 30
    assert built.fn(None, "1") is None


def test_date_shift_keeps_time_offset_and_special_values() -> None:
    """Timestamps keep time and UTC offset text; infinity passes; BC dates shift correctly."""
    fn = build_transform(shift(5), ColumnInfo("t", "timestamp with time zone"),
                         TransformContext(key=KEY)).fn
    out = str(fn("2021-06-01 12:34:56.789+05:30"))
    assert out.endswith(" 12:34:56.789+05:30") and out[:10] != "2021-06-01"
    assert fn("infinity") == "infinity" and fn("-infinity") == "-infinity"
    bc = str(fn("0001-01-02 00:00:00+00 BC"))
    assert bc.endswith(" BC") or bc.startswith("0001-")


def test_civil_day_arithmetic_round_trips() -> None:
    """The proleptic Gregorian day count agrees with Python's dates and inverts exactly."""
    for d in (date(1, 1, 1), date(1970, 1, 1), date(2000, 2, 29), date(9999, 12, 31)):
        z = days_from_civil(d.year, d.month, d.day)
        assert z == (d - date(1970, 1, 1)).days
        assert civil_from_days(z) == (d.year, d.month, d.day)
    for z in range(-800_000, -700_000, 997):  # BC territory
        assert days_from_civil(*civil_from_days(z)) == z


def test_date_shift_with_format_on_text() -> None:
    """Text columns need format; the output keeps that format."""
    out = str(run(shift(10, fmt="%m/%d/%Y"), "02/29/1960"))
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", out) and out != "02/29/1960"
    with pytest.raises(ValueError) as info:
        run(shift(10, fmt="%m/%d/%Y"), "1960-02-29 secret")
    assert "secret" not in str(info.value) and "1960" not in str(info.value)


def test_year_and_safe_harbor_boundaries() -> None:
    """year keeps the year only; safe_harbor collapses ages of 90+ (not 89) to as_of.year-90."""
    d = ColumnInfo("dob", "date")
    assert run(year(), "1987-07-04", d) == "1987-01-01"
    ts = ColumnInfo("t", "timestamp with time zone")
    assert run(year(), "1987-07-04 10:00:00+02", ts) == "1987-01-01 00:00:00+02"
    sh = year("safe_harbor", as_of="2024-06-01")
    assert run(sh, "1934-06-02", d) == "1934-01-01"  # 89 years old on 2024-06-01
    assert run(sh, "1934-06-01", d) == "1934-01-01"  # exactly 90: 1934 = 2024 - 90
    assert run(sh, "1933-12-31", d) == "1934-01-01"  # 90: collapsed
    assert run(sh, "1901-01-01", d) == "1934-01-01"
    assert run(sh, "1935-01-01", d) == "1935-01-01"
    assert run(sh, "0044-03-15 BC", d) == "1934-01-01"
    assert run(sh, "1920", ColumnInfo("y", "integer")) == "1934"
    assert run(sh, "1950", ColumnInfo("y", "integer")) == "1950"
    assert run(year("year", fmt="%d.%m.%Y"), "04.07.1987") == "01.01.1987"


def test_safe_harbor_default_as_of_is_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without as_of the floor is today's year - 90 (the one non-reproducible default)."""
    from scrubphi.transforms import dates

    monkeypatch.setattr(dates, "today", lambda: date(2030, 1, 1))
    assert run(year("safe_harbor"), "1900-05-05", ColumnInfo("d", "date")) == "1940-01-01"


# -- zip3, mask ----------------------------------------------------------------------


def test_zip3_generalizes_and_zeroes_restricted_areas() -> None:
    """First three digits kept, shape kept, restricted areas and short values become zeros."""
    assert run(ZIP3, "02139") == "02100"
    assert run(ZIP3, "02139-4307") == "02100-0000"
    assert run(ZIP3, "021394307") == "021000000"
    for area in RESTRICTED_ZIP3:
        assert run(ZIP3, f"{area}45") == "00000"
    assert run(ZIP3, "12") == "00"
    integer = ColumnInfo("zip", "integer")
    assert run(ZIP3, "2139", integer) == "2100"
    assert run(ZIP3, "3601", integer) == "0"
    assert len(RESTRICTED_ZIP3) == 17


def test_mask_keeps_separators_and_masks_short_values_whole() -> None:
    """keep_last counts letters/digits; a value no longer than what is kept is fully masked."""
    assert run(MASK, "123-45-6789") == "***-**-6789"
    assert run(MASK, "4111 1111 1111 1111") == "**** **** **** 1111"
    assert run(MASK, "1234") == "****"
    first = TransformSpec("mask", {"keep_last": 0, "keep_first": 1, "char": "#"})
    assert run(first, "Smith") == "S####"


# -- arrays ---------------------------------------------------------------------------

elements = st.one_of(st.none(), st.text(alphabet=st.characters(exclude_categories=["Cs"]),
                                        max_size=8))
# Nested arrays up to three dimensions, written out (hypothesis's recursive() warns,
# at random, that this extend function does not use its argument).
_flat = st.lists(elements, min_size=1, max_size=4)
arrays_st = st.one_of(
    _flat,
    st.lists(_flat, min_size=1, max_size=3),
    st.lists(st.lists(_flat, min_size=1, max_size=2), min_size=1, max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(arrays_st, st.sampled_from(["", "[0:1]=", "[1:2][3:4]="]))
def test_array_round_trip(items: list[Any], prefix: str) -> None:
    """array_out text parses back to the same elements and an identity map rewrites nothing."""
    text = format_array(prefix, items)
    assert parse_array(text) == (prefix, items)
    assert map_array(text, lambda e: e) == text


def test_array_quoting_and_fixture_text() -> None:
    """Quoting follows array_out (empty, NULL text, specials, spaces); NULL elements stay."""
    text = '{"a b","c,d","e\\"f",NULL,"g\\\\h"}'
    prefix, items = parse_array(text)
    assert items == ["a b", "c,d", 'e"f', None, "g\\h"]
    assert format_array(prefix, ["", "null", "x", "{", "a\tb"]) == '{"","null",x,"{","a\tb"}'
    assert parse_array("{{1,2},{3,4}}")[1] == [["1", "2"], ["3", "4"]]
    assert parse_array("{ a , b c }")[1] == ["a", "b c"]
    assert parse_array("{}")[1] == []
    with pytest.raises(ValueError):
        parse_array("{a,b")


def test_array_column_transforms_each_element() -> None:
    """On array columns keyed transforms apply per element; NULL elements and braces stay."""
    col = ColumnInfo("emails", "text", array_dims=1)
    ctx = TransformContext(key=KEY)
    fn = build_transform(fake("email"), col, ctx).fn
    single = build_transform(fake("email"), TEXT, ctx).fn
    out = str(fn('{"a@x.org",NULL,b@y.org}'))
    _, items = parse_array(out)
    assert items == [single("a@x.org"), None, single("b@y.org")]
    # keep, null and value apply to the whole value.
    assert run(TransformSpec("value", {"value": "{}"}), "{a}", col) == "{}"
    assert run(TransformSpec("keep"), "{a}", col) == "{a}"


# -- types, NULL, checks ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "column"),
    [
        (fake("ssn"), ColumnInfo("c", "integer")),
        (hash_(16, "hex"), ColumnInfo("c", "integer")),
        (hash_(10, "digits"), ColumnInfo("c", "integer")),
        (hash_(5, "digits"), ColumnInfo("c", "smallint")),
        (hash_(), ColumnInfo("c", "date")),
        (tok("alnum"), ColumnInfo("c", "date")),
        (MASK, ColumnInfo("c", "bigint")),
        (shift(), ColumnInfo("c", "text")),
        (shift(), ColumnInfo("c", "integer")),
        (shift(fmt="%Y"), ColumnInfo("c", "date")),
        (ZIP3, ColumnInfo("c", "date")),
        (TransformSpec("null"), ColumnInfo("c", "text", not_null=True)),
        (TransformSpec("value", {"value": "toolong"}), ColumnInfo("c", "character varying",
                                                                    max_length=3)),
        (fake("ssn", unique=True), ColumnInfo("c", "character varying", max_length=5)),
    ],
)
def test_type_refusals(spec: TransformSpec, column: ColumnInfo) -> None:
    """A transform whose output the column's type would refuse fails at build time."""
    with pytest.raises(ValueError):
        build_transform(spec, column, TransformContext(key=KEY))


def test_accepted_non_text_types() -> None:
    """Types with a safe output do build: hash digits into integer, ipv4 into inet, uuid."""
    ctx = TransformContext(key=KEY)
    out = build_transform(hash_(9, "digits"), ColumnInfo("c", "integer"), ctx).fn("7")
    assert out is not None and 0 <= int(out) < 2**31
    build_transform(fake("ipv4"), ColumnInfo("c", "inet"), ctx)
    build_transform(fake("uuid4"), ColumnInfo("c", "uuid"), ctx)
    build_transform(fake("email"), ColumnInfo("c", "public.citext"), ctx)
    build_transform(shift(), ColumnInfo("c", ""), ctx)  # unknown type: ISO dates


ALL_SPECS = [*KEYED_SPECS, MASK, ZIP3, shift(), year(), year("safe_harbor", "2020-01-01"),
             TransformSpec("keep")]


@pytest.mark.parametrize("spec", ALL_SPECS, ids=lambda s: s.canonical())
def test_null_stays_null(spec: TransformSpec) -> None:
    """SQL NULL maps to NULL for every transform but value (which yields its constant)."""
    column = ColumnInfo("d", "date") if spec.kind == "date" else TEXT
    assert run(spec, None, column) is None
    assert run(TransformSpec("value", {"value": "x"}), None) == "x"
    assert run(TransformSpec("null"), "y") is None


def test_char_padding_ignored_by_keyed_transforms() -> None:
    """char(n) values arrive blank-padded; they hash like the same text in a text column."""
    padded = run(hash_(), "abc" + " " * 17, ColumnInfo("c", "character", max_length=20))
    assert padded == run(hash_(), "abc")


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        (fake("firstname"), "first_name"),
        (fake("name", locale="de_DE"), "en_US"),
        (hash_(0), "length"),
        (hash_(8, "base64"), "alphabet"),
        (tok("lower"), "tokenize"),
        (TransformSpec("date", {"mode": "month"}), "shift"),
        (TransformSpec("generalize", {"method": "zip5"}), "zip3"),
        (TransformSpec("mask", {"keep_last": 4, "keep_first": 0, "char": "**"}), "char"),
        (TransformSpec("redact", {}), "redact must be one of text"),
        (year("safe_harbor", as_of="2024-13-01"), "as_of"),
    ],
)
def test_check_spec_errors(spec: TransformSpec, fragment: str) -> None:
    """Static checks name what is allowed (close provider, available locales, modes)."""
    with pytest.raises(ValueError, match=fragment):
        check_spec(spec)


def test_errors_never_carry_values() -> None:
    """Runtime failures (bad date text, bad array) name no part of the value."""
    secret = "Jane Doe 123-45-6789"
    fn = build_transform(shift(), ColumnInfo("d", "date"), TransformContext(key=KEY)).fn
    with pytest.raises(ValueError) as info:
        fn(secret)
    assert "Jane" not in str(info.value) and "6789" not in str(info.value)
    arr = build_transform(hash_(), ColumnInfo("a", "text", array_dims=1),
                          TransformContext(key=KEY)).fn
    with pytest.raises(ValueError) as info2:
        arr("{" + secret)
    assert "Jane" not in str(info2.value)


# -- pools -------------------------------------------------------------------------------


def _load_script() -> Any:
    path = ROOT / "scripts" / "build_pools.py"
    spec = importlib.util.spec_from_file_location("build_pools", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_pools"] = module
    spec.loader.exec_module(module)
    return module


def test_pool_script_is_deterministic_and_matches_shipped_pools() -> None:
    """build_pools.py gives the same pools twice; with the recorded Faker, the shipped ones."""
    import faker  # a test dependency: needed to rebuild the pools

    script = _load_script()
    first = script.build()
    assert first == script.build()
    pools_dir = ROOT / "src" / "scrubphi" / "transforms" / "pools"
    manifest = (pools_dir / "_manifest.txt").read_text(encoding="utf-8")
    for stem, values in first.items():
        shipped = (pools_dir / f"en_US.{stem}.txt").read_text(encoding="utf-8").splitlines()
        assert len(shipped) >= 50 and all(shipped), stem
        if f"faker={faker.VERSION}\n" in manifest:
            assert shipped == values, stem


def test_columns_with_one_spec_share_results_and_the_cache_is_bounded() -> None:
    """A patient id tokenized in many tables is computed once per run (bounded memory)."""
    from scrubphi import transforms as tr

    ctx = TransformContext(key=b"k" * 32)
    spec = TransformSpec("tokenize", {"alphabet": "digits"})
    a = tr.build_transform(spec, ColumnInfo("patient_id", "integer"), ctx)
    b = tr.build_transform(spec, ColumnInfo("id", "integer"), ctx)
    assert a.fn("12345") == b.fn("12345")
    caches = [v for k, v in ctx.shared.items() if k.startswith("results|")]
    assert len(caches) == 1 and caches[0] == {"12345": a.fn("12345")}
    for i in range(tr.SHARED_RESULTS + 5):
        a.fn(str(i))
    assert len(caches[0]) <= tr.SHARED_RESULTS
    text = tr.build_transform(spec, ColumnInfo("mrn", "text"), ctx)
    assert text.fn("9" * 200) == text.fn("9" * 200)
    assert not any("9" * 200 in cache for k, cache in ctx.shared.items()
                   if k.startswith("results|"))  # long values are not kept
    # Unique fakes are stateless functions too: they share results like any other spec.
    unique = TransformSpec("fake", {"provider": "ssn", "unique": True, "locale": "en_US"})
    built = tr.build_transform(unique, ColumnInfo("ssn", "text"), ctx)
    assert built.fn("123-45-6789") is not None
    assert any(k.startswith("results|") and "ssn" in k for k in ctx.shared)



# -- the keyed derivation (prf2) -------------------------------------------------


def test_prf_domain_keys_are_hkdf_expand_of_the_secret() -> None:
    """A domain's BLAKE2s key is HKDF-Expand-SHA256(secret, KDF_LABEL || prefix, 32)."""
    secret = b"s" * 32
    prf = Prf(secret, "fake:provider=ssn")
    prefix = len(b"fake:provider=ssn").to_bytes(4, "big") + b"fake:provider=ssn"
    assert prf.prefix == prefix
    assert prf.key == hmac.digest(secret, KDF_LABEL + prefix + b"\x01", "sha256")
    assert prf.digest(b"123", b"v") == hashlib.blake2s(b"v\x00123", key=prf.key).digest()
    assert prf.subkey(b"u|ssn") == hashlib.blake2s(b"k\x00u|ssn", key=prf.key).digest()
    # Another domain, another key; the secret itself never keys BLAKE2s.
    assert Prf(secret, "fake:provider=email").key != prf.key
    assert prf.key != secret
    # A hash message starts with a domain's 4-byte length: no domain is 4 GiB long.
    assert KDF_LABEL[0] == 0xFF


def test_hash_stays_hmac_sha256_of_the_secret() -> None:
    """``hash`` is HMAC-SHA256 under the secret, whatever the fakes' derivation."""
    secret = b"k" * 32
    spec = TransformSpec("hash", {"length": 64, "alphabet": "hex"})
    built = build_transform(spec, ColumnInfo("c", "text"), TransformContext(key=secret))
    prefix = Prf(secret, domain_of(spec)).prefix
    want = hmac.digest(secret, prefix + b"h\x00\x00\x00" + b"123-45-6789", "sha256").hex()
    assert built.fn("123-45-6789") == want
