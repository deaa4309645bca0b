"""Differential tests of the compiled transform kernels against the Python transforms.

The compiled codec runs a C twin ("kernel") of the hot transforms on a memo
miss instead of calling the Python function.  These tests hold every kernel to
its Python reference, value by value: same output bytes, or the kernel
declines (returns None) and the codec calls the Python function instead.
They also hold the building blocks (SHA-256 on both code paths, HMAC,
SipHash-2-4) to their references, and the whole codec to the pure twin on
rows and on the benchmark's data.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import io
import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiled_twin import requires_compiled_twin
from scrubphi import _impl, load_policy, scrub_stream
from scrubphi.errors import TransformError
from scrubphi.policy.model import TransformSpec
from scrubphi.transforms import build_transform
from scrubphi.transforms.base import BuiltTransform, ColumnInfo, TransformContext
from scrubphi.transforms.keyed import Prf
from scrubphi.transforms.tokenize import siphash24
from scrubphi.transforms.zip3 import RESTRICTED_ZIP3

pytestmark = requires_compiled_twin  # (see compiled_twin.py)

ROOT = Path(__file__).resolve().parent.parent
KEY = b"0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def fast() -> ModuleType:
    """The compiled codec module (a failure to import fails the tests)."""
    return _impl.load("compiled")


def _fake(provider: str) -> TransformSpec:
    return TransformSpec("fake", {"provider": provider, "locale": "en_US"})


def _unique(provider: str) -> TransformSpec:
    return TransformSpec("fake", {"provider": provider, "unique": True, "locale": "en_US"})


TEXT = ColumnInfo("c", "text")
# (spec, column) pairs that get a kernel; ids name what each protects.
KERNEL_CASES: list[tuple[str, TransformSpec, ColumnInfo]] = [
    *[
        (f"fake-{p}", _fake(p), TEXT)
        for p in (
            "first_name", "last_name", "first_name_female", "first_name_male", "name", "email",
            "phone_number", "fax", "ssn",
            "street_address", "city", "state", "state_abbr", "company", "word", "user_name",
            "sentence", "license_plate",
        )
    ],
    ("fake-ssn-compact", _fake("ssn"), ColumnInfo("c", "character varying", max_length=9)),
    ("fake-company-truncated", _fake("company"),
     ColumnInfo("c", "character varying", max_length=7)),
    ("fake-sentence-trunc", _fake("sentence"), ColumnInfo("c", "character varying", max_length=5)),
    ("fake-phone-bpchar", _fake("phone_number"), ColumnInfo("c", "character", max_length=20)),
    *[
        (f"unique-{p}", _unique(p), TEXT)
        for p in ("ssn", "email", "url", "user_name", "phone_number", "zipcode", "license_plate",
                  "credit_card_number", "iban", "vin", "uuid4", "ipv4", "ipv6")
    ],
    ("unique-ipv6-varchar", _unique("ipv6"), ColumnInfo("c", "character varying", max_length=20)),
    ("unique-ipv4-inet", _unique("ipv4"), ColumnInfo("c", "inet")),
    ("unique-uuid-uuid", _unique("uuid4"), ColumnInfo("c", "uuid")),
    ("unique-ssn-compact", _unique("ssn"), ColumnInfo("c", "character varying", max_length=10)),
    ("unique-ssn-bpchar", _unique("ssn"), ColumnInfo("c", "character", max_length=11)),
    ("unique-email-varchar", _unique("email"), ColumnInfo("c", "character varying", max_length=40)),
    ("unique-url-varchar", _unique("url"), ColumnInfo("c", "character varying", max_length=30)),
    *[
        (f"tokenize-{m}", TransformSpec("tokenize", {"alphabet": m}), TEXT)
        for m in ("digits", "alnum", "upper")
    ],
    ("tokenize-bpchar", TransformSpec("tokenize", {"alphabet": "alnum"}),
     ColumnInfo("c", "character", max_length=12)),
    *[
        (f"tokenize-{t}", TransformSpec("tokenize", {"alphabet": "digits"}), ColumnInfo("c", t))
        for t in ("smallint", "integer", "bigint")
    ],
    *[
        (f"hash-{a}-{n}", TransformSpec("hash", {"alphabet": a, "length": n}), TEXT)
        # One HMAC block up to 18 symbols (digits: a 64-bit modulus), several beyond.
        for a in ("hex", "digits", "alnum") for n in (1, 16, 18, 19, 33, 256)
    ],
    ("hash-integer", TransformSpec("hash", {"alphabet": "digits", "length": 9}),
     ColumnInfo("c", "integer")),
    ("hash-truncated", TransformSpec("hash", {"alphabet": "alnum", "length": 16}),
     ColumnInfo("c", "character varying", max_length=6)),
    ("mask-default", TransformSpec("mask", {"keep_first": 0, "keep_last": 4, "char": "*"}), TEXT),
    ("mask-both-ends", TransformSpec("mask", {"keep_first": 2, "keep_last": 2, "char": "#"}),
     ColumnInfo("c", "character", max_length=10)),
    ("year-safe-harbor", TransformSpec("date", {"mode": "safe_harbor", "as_of": "2024-06-01"}),
     ColumnInfo("c", "date")),
    ("year-plain", TransformSpec("date", {"mode": "year"}), ColumnInfo("c", "date")),
    ("year-timestamp", TransformSpec("date", {"mode": "safe_harbor", "as_of": "2024-06-01"}),
     ColumnInfo("c", "timestamp without time zone")),
    ("year-timestamptz", TransformSpec("date", {"mode": "year"}),
     ColumnInfo("c", "timestamp with time zone")),
    ("zip3", TransformSpec("generalize", {"method": "zip3"}), TEXT),
    ("shift-date", TransformSpec("date", {"mode": "shift", "days": 365}), ColumnInfo("c", "date")),
    ("shift-timestamptz", TransformSpec("date", {"mode": "shift", "days": 3}),
     ColumnInfo("c", "timestamp with time zone")),
]


def _built(spec: TransformSpec, column: ColumnInfo) -> BuiltTransform:
    return build_transform(spec, column, TransformContext(key=KEY))


# Values: the kinds of text the kernels branch on, and the ones they must decline.
_PRINTABLE = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
_DIGITS = st.text("0123456789", min_size=1, max_size=20)
_LETTERS = st.text("abcxyzABCXYZ", min_size=1, max_size=20)
_SHAPED = st.from_regex(
    r"\A(\+1|1)?[ (]?[0-9]{3}[) -]?[0-9]{3}-?[0-9]{4}( x[0-9]{1,4})?\Z|"
    r"\A[0-9]{3}-[0-9]{2}-[0-9]{4}\Z|\A[A-Z]{3}-[0-9]{8}\Z|\A[0-9]{5}(-[0-9]{4})?\Z|"
    r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9:]{8})?\Z|\A *[0-9]{9,11} *\Z|"
    r"\A[a-zA-Z0-9._@-]{0,12}@[a-z0-9.-]{0,12}\Z|\A[a-z]{1,5}://[a-z.:@]{0,8}[/?#a-z0-9=]{0,10}\Z"
)
_UNICODE = st.text(max_size=30)
# Tokenize domains past 2**124 (the 256-bit kernel) and past 2**248 (declined): long
# e-mail local parts and identifiers.
_BIG = st.from_regex(r"\A[a-zA-Z0-9]{20,60}([.@-][a-z0-9]{0,20}){0,3}\Z")
# The own shapes of the unique card, IBAN, VIN, UUID and IP constructions, and near misses.
_IDS = st.one_of(
    st.from_regex(r"\A[0-9]{0,19}\Z|\A([0-9]{4}[ -]){1,4}[0-9]{1,4}\Z"),
    st.from_regex(r"\A[A-Z]{2}[0-9]{2}[A-Z0-9 ]{6,42}\Z"),
    st.from_regex(r"\A[0-9A-HJ-NPR-Z]{8}[0-9X][0-9A-HJ-NPR-Z]{8}\Z"),
    st.uuids().map(str), st.uuids(version=4).map(str), st.uuids().map(lambda u: str(u).upper()),
    st.ip_addresses().map(str), st.ip_addresses(v=6).map(lambda a: a.exploded),
    st.tuples(st.ip_addresses(), st.integers(0, 130)).map(lambda t: f"{t[0]}/{t[1]}"),
    st.sampled_from(["::", "::1", "1::", "::ffff:1.2.3.4", "::1.2.3.4", "01.2.3.4", "1.2.3.256",
                     "fe80::1%eth0", "1:0:0:2::3", "::ffff:102:304", "1::2::3", ":1::", "1.2.3.4/",
                     "1:2:3:4:5:6:1.2.3.4", "10.0.0.1/024", "1.2.3.4/33", "::/0"]),
)
_LONG = st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=900, max_size=2000)
_INTEGERS = st.one_of(
    st.integers(-(2**63), 2**63 - 1).map(str),
    st.from_regex(r"\A *[-+]{0,2}0*[0-9]{1,20} *\Z"),
)
# Person names: one sex, both, none; every case; what the name kernel must decline.
_NAMES = st.sampled_from([
    "Mary", "MARY", "mary", "mARY", "John", "JOHN", "john", "Andrea", "andrea", "Kim", "x", "Y",
    "Smith", "SMITH", "mcdonald", "Margaret", "Liam", "O'Connell", "Mary-Kate", "Zoë", "Ann Lee",
    # Full names: plain words, and what the name kernel leaves to Python (titles, particles,
    # suffixes, initials, commas, hyphens, double or outer blanks, five words).
    "John Smith", "MARY ANN JONES", "mary jones", "Ann Van Dyke", "Dr John Smith",
    "John Smith Jr", "J Smith", "Smith, John", "Anna Retterer-Moore", "John  Smith", " John Smith",
    "John Smith ", "Al Bo Cy Di Ed", "Jo Ed Al Bo", "Van Smith", "John de", "Mary Mr",
    # Synthea writes digits after names; title case starts again after a digit.
    "Jose871", "JOSE871 HERMANN103", "ab1cd", "A1", "9a", "123", "Owner1 Name1", "12 Smith",
])
# Timestamps as pg_dump writes them (offsets of two, four and six digits), and near misses.
_STAMPS = st.one_of(
    st.from_regex(r"\A[0-9]{4}-[01][0-9]-[0-3][0-9]( [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?)?"
                  r"([+-][0-9]{2}(:[0-9]{2}){0,2})?( BC)?\Z"),
    st.sampled_from(["2018-12-01-12-05", "2018-12-01xyz", "2018-12-01  BC", "2018-12-01+5",
                     "2018-12-01 :05:05:05", "2018-12-01 09:20+05:30:1"]),
)
VALUES = st.one_of(
    _PRINTABLE, _DIGITS, _LETTERS, _NAMES, _SHAPED, _UNICODE, _LONG, _INTEGERS, _STAMPS, _BIG,
    _IDS,
    st.sampled_from(["", " ", "-", "  12345  ", "0000-01-01", "1899-13-40", "infinity", "9" * 19]),
)


def _reference(fn: Callable[..., str | None], value: str) -> bytes | None:
    """The Python transform's output as bytes, or None when it raises."""
    try:
        out = fn(value)
    except (ValueError, TypeError, ArithmeticError, LookupError):
        return None
    assert out is not None
    return out.encode("utf-8")


@pytest.mark.parametrize(("spec", "column"), [c[1:] for c in KERNEL_CASES],
                         ids=[c[0] for c in KERNEL_CASES])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=VALUES)
def test_kernel_matches_python_transform(
    fast: ModuleType, spec: TransformSpec, column: ColumnInfo, value: str
) -> None:
    """Every kernel's output equals the Python transform's for any value it accepts.

    A kernel may decline (None: the codec calls the Python function); it must
    never produce different bytes, nor accept a value the Python function rejects.
    """
    built = _built(spec, column)
    assert built.kernel is not None
    raw = fast.escape_field(value.encode("utf-8"))
    got = fast._kernel_apply(built.kernel, raw)
    if got is None:
        return
    assert got == _reference(built.fn, value)


@pytest.mark.parametrize(("spec", "column"), [c[1:] for c in KERNEL_CASES],
                         ids=[c[0] for c in KERNEL_CASES])
def test_kernel_accepts_typical_values(
    fast: ModuleType, spec: TransformSpec, column: ColumnInfo
) -> None:
    """Kernels do handle ordinary values themselves (else the speed-up silently vanishes)."""
    built = _built(spec, column)
    typical = {
        "year": ["1950-08-14", "2001-12-31", "1800-01-01"] + (
            ["2018-12-01 09:20:04", "2018-12-01 09:20:04.5+05:30", "2018-12-01 09:20:04-08"]
            if column.type_name.startswith("timestamp") else []),
        "zip3": ["02139", "03601-1234", "12", "90210"],
        "tokint": ["1", "42", "-7", "30000", "0"],
        "hash": ["123-45-6789", "MRN-1", "Smith"],
        "mask": ["4111 1111 1111 1111", "123-45-6789", "ab"],
        "shift": ["1950-08-14", "2000-02-29", "2024-12-31 23:59:59.5+05:30", "1987-06-15"],
        # Past 2**64 (two SipHash blocks per round): "ABC...V12" is about 2**110.
        # Past 2**124 (256-bit numbers): 30 letters are about 2**141, 52 about 2**244.
        "tokenize": ["MRN-08603354", "732-18-7247", "ab12cd", "Q", "ABCDEFGHIJKLMNOPQRSTUV12",
                     "abcdefghijklmnopqrstuvwxyzabcd", "x" * 52, "9" * 70],
        "unique": ["123-45-6789", "000000000", "j.smith@mail.org", "http://x.org/a?b=1", "Q",
                   "jonathan.richardson@gmail.com",
                   "maximilianalexanderrichardso@x"],  # 28 letters: about 2**132
    }.get(built.kernel[0] if built.kernel else "", ["Smith", "(555) 123-4567", "123-45-6789"])
    if spec.params.get("provider") in ("first_name", "last_name", "first_name_female",
                                       "first_name_male"):
        typical = ["Smith", "MARY", "john", "Andrea", "x", "Jose871"]  # one word, any case
    typical = {
        "credit_card_number": ["4111 1111 1111 1111", "4000-0000-0000-0002", "12"],
        "iban": ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000"],
        "vin": ["1HGCM82633A004352", "JH4KA7561PC008269"],
        "uuid4": ["0f8fad5b-d9cb-469f-a165-70867728950e", "00000000-0000-1000-8000-000000000000"],
        "ipv4": ["192.0.2.1", "10.0.0.0/8", "2001:db8::1"],
        "ipv6": ["2001:db8::1", "::ffff:192.0.2.1", "fe80::1/64", "10.1.2.3"],
    }.get(spec.params.get("provider", "") if spec.params.get("unique") else "", typical)
    if spec.params.get("provider") == "ipv6" and column.max_length is not None:
        typical = ["10.1.2.3", "192.0.2.1/24"]  # a permuted IPv6 address may not fit
    if spec.params.get("provider") == "name":
        typical = ["John Smith", "MARY ANN JONES", "mary jones", "Ann Lee Kim Ro",
                   "Jose871 Hermann103"]
    for value in typical:
        got = fast._kernel_apply(built.kernel, value.encode())
        assert got is not None, "a kernel declined an ordinary value"
        assert got == _reference(built.fn, value)


def test_kernels_only_where_output_is_reproducible() -> None:
    """Strftime formats, arrays with per, numeric tokenize and fakes without a twin get none."""
    ctx = TransformContext(key=KEY)
    arrays = ColumnInfo("c", "text", array_dims=1)
    per_shift = TransformSpec("date", {"mode": "shift", "days": 30, "per": "pid"})
    assert build_transform(per_shift, ColumnInfo("c", "date", array_dims=1), ctx).kernel is None
    assert build_transform(_unique("uuid4"), arrays, ctx).kernel[0] == "array"  # type: ignore[index]
    numeric = ColumnInfo("c", "numeric")
    assert build_transform(TransformSpec("tokenize", {"alphabet": "digits"}), numeric,
                           ctx).kernel is None
    shifted = TransformSpec("date", {"mode": "shift", "days": 30, "format": "%d.%m.%Y"})
    assert build_transform(shifted, TEXT, ctx).kernel is None  # strftime formats: Python
    assert build_transform(_fake("uuid4"), TEXT, ctx).kernel is None


_DATES = st.one_of(
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
                  r"([+-][0-9]{2}(:[0-9]{2})?)?)?( BC)?\Z"),
    st.dates().map(str), st.datetimes().map(str), VALUES,
)


def _apply_shift(fast: ModuleType, built: BuiltTransform, value: str,
                 per: str | None) -> bytes | None:
    """The compiled shift kernel on ``value`` (and ``per``'s value), None if it declines."""
    raw = fast.escape_field(value.encode("utf-8"))
    if per is None:
        return fast._kernel_apply(built.kernel, raw)
    return fast._kernel_apply(
        built.kernel, raw, fast.escape_field(per.encode()))


@pytest.mark.parametrize("days", [1, 30, 365, 3650])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=_DATES, per=st.one_of(st.none(), _PRINTABLE, _DIGITS, _UNICODE))
def test_shift_per_kernel_matches_python_transform(
    fast: ModuleType, days: int, value: str, per: str | None
) -> None:
    """The date shift keyed by a per value (one HMAC per entity, cached in C) gives the
    Python transform's bytes for every value and per value it accepts."""
    spec = TransformSpec("date", {"mode": "shift", "days": days, "per": "pid"})
    built = _built(spec, ColumnInfo("c", "timestamp without time zone"))
    assert built.kernel is not None and built.kernel[0] == "shift"
    got = _apply_shift(fast, built, value, per)
    if got is None:
        return
    try:
        expected = built.fn(value, per)
    except ValueError:
        expected = None
    assert expected is not None and got == expected.encode()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(st.one_of(st.just("\\N"), st.sampled_from(["1", "2", "3", "é"])),
                               _DATES), max_size=40))
def test_codec_shift_per_matches_pure_twin(fast: ModuleType,
                                           rows: list[tuple[str, str]]) -> None:
    """Rows of one table, dates shifted per patient: compiled codec == pure codec."""
    spec = TransformSpec("date", {"mode": "shift", "days": 90, "per": "pid"})
    built = _built(spec, ColumnInfo("c", "date"))
    stamp = _built(spec, ColumnInfo("c", "timestamp without time zone"))
    # Two columns of one spec share the per offsets in the compiled codec.
    plan = [(1, built.fn, 0, False, built.kernel), (2, stamp.fn, 0, False, stamp.kernel)]
    lines = [f"{pid}\t" + fast.escape_field(d.encode()).decode() + "\t"
             + fast.escape_field((d + " 10:00:00").encode()).decode() for pid, d in rows]
    data = "".join(line + "\n" for line in lines).encode("utf-8") + b"\\.\n"

    def run(codec: ModuleType) -> object:
        rw = codec.CopyRewriter(3, plan, 1 << 20)
        try:
            return rw.process(data, 0), rw.rows, rw.counts
        except Exception as exc:  # compared: both twins must fail alike
            return ("error", type(exc).__name__, str(exc))

    assert run(fast) == run(_impl.load("pure"))


def _through(codec: ModuleType, plan: list[Any], raw: bytes) -> tuple[Any, int]:
    """Three columns of COPY rows through one rewriter: (process's result, rows)."""
    rw = codec.CopyRewriter(3, plan, 1 << 20)
    return rw.process(raw, 0), rw.rows


def test_codec_shift_per_cache_evictions_keep_the_pure_twins_bytes(fast: ModuleType) -> None:
    """More patients than the per-offset cache holds, revisited in a shuffled order
    (buckets fill, ways are replaced round-robin): compiled codec == pure codec."""
    import random

    spec = TransformSpec("date", {"mode": "shift", "days": 365, "per": "pid"})
    built = _built(spec, ColumnInfo("c", "date"))
    plan = [(1, built.fn, 0, False, built.kernel), (2, built.fn, 0, False, built.kernel)]
    pids = [str(i) for i in range(40_000)] * 2
    random.Random(7).shuffle(pids)
    days = [f"20{i % 24:02d}-{i % 12 + 1:02d}-{i % 28 + 1:02d}" for i in range(len(pids))]
    data = "".join(f"{pid}\t{d}\t{d}\n" for pid, d in zip(pids, days, strict=True))
    raw = data.encode() + b"\\.\n"

    got = _through(fast, plan, raw)
    assert got == _through(_impl.load("pure"), plan, raw)
    assert got[1] == len(pids)


def test_codec_shift_per_cache_bypass_keeps_the_pure_twins_bytes(fast: ModuleType) -> None:
    """A patients table (every row its own per value) turns the per-offset cache off
    after its first verdict and on again 65,536 look-ups later; the same patients
    seen again afterwards, with a second spec on the same per column, still get the
    pure twin's bytes: the cache is speed only."""
    spec = TransformSpec("date", {"mode": "shift", "days": 365, "per": "pid"})
    built = _built(spec, ColumnInfo("c", "date"))
    other = _built(TransformSpec("date", {"mode": "shift", "days": 30, "per": "pid"}),
                   ColumnInfo("c", "date"))
    plan = [(1, built.fn, 0, False, built.kernel), (2, other.fn, 0, False, other.kernel)]
    pids = [str(i) for i in range(80_000)] + [str(i) for i in range(0, 80_000, 4)]
    data = "".join(f"{pid}\t2020-0{i % 9 + 1}-1{i % 10}\t1999-12-31\n"
                   for i, pid in enumerate(pids))
    raw = data.encode() + b"\\.\n"

    got = _through(fast, plan, raw)
    assert got == _through(_impl.load("pure"), plan, raw)
    lines = got[0][0].decode().splitlines()
    shifted = {line.split("\t")[0]: line.split("\t")[2] for line in lines[:80_000]}
    for line in lines[80_000:-1]:  # a revisited patient: the same 1999-12-31 shift
        pid, _, dob = line.split("\t")
        assert dob == shifted[pid]


def test_restricted_zip3_lists_agree(fast: ModuleType) -> None:
    """The C list of restricted ZIP areas is the Python one."""
    assert fast.RESTRICTED_ZIP3 == RESTRICTED_ZIP3


@pytest.mark.parametrize("hardware", [True, False], ids=["sha-ni", "portable"])
@settings(max_examples=200, deadline=None)
@given(key=st.binary(max_size=130), msg=st.binary(max_size=300))
def test_hmac_sha256_matches_hmac_module(
    fast: ModuleType, hardware: bool, key: bytes, msg: bytes
) -> None:
    """The C HMAC-SHA256 (SHA extensions and portable block function) equals hmac.digest."""
    try:
        fast._select_sha(hardware)
        assert fast._hmac_sha256(key, msg) == hmac.digest(key, msg, "sha256")
    finally:
        fast._select_sha(True)


def test_siphash_reference_vectors(fast: ModuleType) -> None:
    """SipHash-2-4 in both twins gives the paper's test vectors (key 00..0f)."""
    key = bytes(range(16))
    assert siphash24(key, b"") == 0x726FDB47DD0E0E31
    assert siphash24(key, bytes(range(15))) == 0xA129CA6149BE45E5
    assert fast._siphash24(key, b"") == 0x726FDB47DD0E0E31
    assert fast._siphash24(key, bytes(range(15))) == 0xA129CA6149BE45E5


@settings(max_examples=200, deadline=None)
@given(key=st.binary(min_size=16, max_size=16), msg=st.binary(max_size=40))
def test_siphash_twins_agree(fast: ModuleType, key: bytes, msg: bytes) -> None:
    """C and Python SipHash-2-4 agree on any key and message."""
    assert fast._siphash24(key, msg) == siphash24(key, msg)


def test_prf_reference_vectors(fast: ModuleType) -> None:
    """Keyed BLAKE2s-256 in C gives the BLAKE2 reference KAT (key 00..1f, message 00..)."""
    key = bytes(range(32))
    assert fast._prf_blake2s(key, b"").hex() == (
        "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49")
    assert fast._prf_blake2s(key, bytes(range(255))).hex() == (
        "3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd")


@settings(max_examples=300, deadline=None)
@given(key=st.binary(min_size=1, max_size=32), msg=st.binary(max_size=300))
def test_prf_twins_agree(fast: ModuleType, key: bytes, msg: bytes) -> None:
    """The C keyed BLAKE2s (one block, several, none) equals hashlib's (the pure twin's)."""
    assert fast._prf_blake2s(key, msg) == hashlib.blake2s(msg, key=key).digest()


@settings(max_examples=200, deadline=None)
@given(k1=st.binary(min_size=1, max_size=32), m1=st.binary(max_size=100),
       k2=st.binary(min_size=1, max_size=32), m2=st.binary(max_size=100))
def test_prf_pairs_agree(fast: ModuleType, k1: bytes, m1: bytes, k2: bytes, m2: bytes) -> None:
    """The codec's interleaved pair of BLAKE2s digests equals two of hashlib's."""
    assert fast._prf_blake2s_pair(k1, m1, k2, m2) == (
        hashlib.blake2s(m1, key=k1).digest(), hashlib.blake2s(m2, key=k2).digest())


@settings(max_examples=300, deadline=None)
@given(h=st.binary(min_size=32, max_size=32), block=st.binary(min_size=64, max_size=64),
       t=st.integers(min_value=0, max_value=2**64 - 1), last=st.booleans())
def test_blake2s_vector_compression_is_the_scalar_one(
    fast: ModuleType, h: bytes, block: bytes, t: int, last: bool
) -> None:
    """The SSE2 compression (x86) and the scalar rounds (other CPUs) agree on any chain
    value, block, counter and last flag: the scalar path stays tested on x86 too."""
    vector, scalar = fast._b2s_compress_twins(h, block, t, last)
    assert vector == scalar


def test_blake2s_uses_vectors_on_x86(fast: ModuleType) -> None:
    """On x86-64 the build takes the vector compression (the speed it was written for),
    elsewhere the scalar one."""
    import platform

    assert fast.B2S_VECTOR is (platform.machine().lower() in ("x86_64", "amd64"))


@settings(max_examples=100, deadline=None)
@given(secret=st.binary(min_size=16, max_size=64), domain=st.text(max_size=80),
       tag=st.sampled_from([b"v", b"d", b"p", b"g", b"k"]), data=st.binary(max_size=120))
def test_prf_digest_is_the_c_primitive_under_the_domain_key(
    fast: ModuleType, secret: bytes, domain: str, tag: bytes, data: bytes
) -> None:
    """``Prf.digest`` is BLAKE2s under ``Prf.key`` of tag || 0 || data, as the kernels hash it."""
    prf = Prf(secret, domain)
    assert fast._prf_blake2s(prf.key, tag + b"\x00" + data) == prf.digest(data, tag)


# -- the codec as a whole -----------------------------------------------------------

_CODEC_COLUMNS: list[tuple[TransformSpec, ColumnInfo]] = [
    (TransformSpec("tokenize", {"alphabet": "alnum"}), TEXT),
    (_fake("email"), TEXT),
    (TransformSpec("date", {"mode": "safe_harbor", "as_of": "2024-06-01"}),
     ColumnInfo("c", "date")),
    (TransformSpec("generalize", {"method": "zip3"}), TEXT),
    (_fake("last_name"), ColumnInfo("c", "character varying", max_length=4)),
    (_unique("email"), ColumnInfo("c", "character varying", max_length=30)),
]

_FIELD = st.one_of(
    st.just("\\N"), _SHAPED, _PRINTABLE.map(lambda s: s.replace("\\", "\\\\")),
    st.sampled_from(["a\\tb", "caf\\303\\251", "\\x41BC", "", "1950-08-14", "02139"]),
)


def _plan(with_kernels: bool) -> list[tuple[Any, ...]]:
    entries: list[tuple[Any, ...]] = []
    for i, (spec, column) in enumerate(_CODEC_COLUMNS):
        built = _built(spec, column)
        entry: tuple[Any, ...] = (i + 1, built.fn, -1, built.cacheable)
        entries.append((*entry, built.kernel) if with_kernels else entry)
    return entries


def _guarded_run(codec: ModuleType, plan: list[tuple[Any, ...]], data: bytes) -> object:
    rw = codec.CopyRewriter(len(_CODEC_COLUMNS) + 1, plan, 1 << 20)
    try:
        out = rw.process(data, 0)
    except Exception as exc:  # compared, not hidden: both twins must fail alike
        return ("error", type(exc).__name__)
    return (out, rw.rows, rw.counts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(_FIELD, min_size=6, max_size=6), max_size=30))
def test_codec_with_kernels_matches_pure_twin(
    fast: ModuleType, rows: list[list[str]]
) -> None:
    """Compiled codec with kernels == pure codec (output, rows, counts, errors).

    Rows repeat values so memo hits, misses and kernel runs all happen.
    """
    lines = [f"{n}\t" + "\t".join(r) for n, r in enumerate(rows + rows[:3])]
    data = "".join(line + "\n" for line in lines).encode("utf-8") + b"\\.\n"
    pure = _impl.load("pure")
    expected = _guarded_run(pure, _plan(False), data)
    assert _guarded_run(pure, _plan(True), data) == expected
    assert _guarded_run(fast, _plan(True), data) == expected


def _gen_dump() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "scrubphi_bench_gen_dump", ROOT / "benchmarks" / "gen_dump.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench_dump() -> Iterator[bytes]:
    """A 3 MB patients-only benchmark dump, as ``benchmarks/gen_dump.py`` writes it."""
    gen = _gen_dump()
    buf = io.BytesIO()
    gen.write_dump(buf, 3_000_000, tables=("patients",))
    yield buf.getvalue()


def test_benchmark_dump_is_byte_identical_between_twins(
    fast: ModuleType, bench_dump: bytes
) -> None:
    """The benchmark's patients table scrubs to the same bytes compiled and pure."""
    policy = load_policy(ROOT / "benchmarks" / "policy.yaml")
    outs = []
    for codec in (fast, _impl.load("pure")):
        dst = io.BytesIO()
        scrub_stream(io.BytesIO(bench_dump), dst, policy, codec=codec)
        outs.append(dst.getvalue())
    assert outs[0] == outs[1]
    assert outs[0] != bench_dump


def _many_rows(count: int) -> bytes:
    """Mostly distinct values (so kernel memos switch off), NULLs, escapes, long and
    non-ASCII values, for four fake columns."""
    rng = random.Random(7)
    lines = []
    for n in range(count):
        fields = [str(n)]
        for _col in range(4):
            pick = rng.random()
            if pick < 0.05:
                fields.append("\\N")
            elif pick < 0.08:
                fields.append("Jos\\303\\251 " + str(rng.randrange(10**6)))
            elif pick < 0.10:
                fields.append("x" * rng.randrange(60, 200))
            elif pick < 0.12:
                fields.append("  " + str(rng.randrange(10**10)).zfill(10) + "  ")
            else:
                fields.append(f"({rng.randrange(1000):03d}) {rng.randrange(10**7):07d}")
        lines.append("\t".join(fields))
    return ("\n".join(lines) + "\n\\.\n").encode("utf-8")


@pytest.mark.parametrize("hardware", [True, False], ids=["sha-ni", "portable"])
def test_codec_pairs_digests_like_the_pure_twin(fast: ModuleType, hardware: bool) -> None:
    """Past the memo's give-up point fakes' digests run in pairs; output is the pure twin's."""
    columns = [
        (_fake("phone_number"), TEXT),
        (_fake("email"), TEXT),
        (_fake("street_address"), ColumnInfo("c", "character", max_length=40)),
        (_fake("ssn"), ColumnInfo("c", "character varying", max_length=9)),
    ]
    plan = []
    for i, (spec, column) in enumerate(columns):
        built = _built(spec, column)
        plan.append((i + 1, built.fn, -1, built.cacheable, built.kernel))
    data = _many_rows(20_000)
    pure = _impl.load("pure")
    expected = pure.CopyRewriter(5, plan, 1 << 20)
    want = expected.process(data, 0)
    try:
        fast._select_sha(hardware)
        got_rw = fast.CopyRewriter(5, plan, 1 << 20)
        got = got_rw.process(data, 0)
    finally:
        fast._select_sha(True)
    assert got == want
    assert got_rw.counts == expected.counts


@pytest.mark.parametrize("item", ["a\tb", "back\\slash", "line\nbreak", "bell\x07", "plain"])
def test_kernel_output_that_needs_escaping_is_escaped(fast: ModuleType, item: str) -> None:
    """Kernel output is copied raw only when no pool item has a byte COPY escapes."""
    kernel = ("fake", False, -1, (KEY, b"t", ("pool", (item,))))
    plan = [(1, lambda v: None if v is None else item, -1, True, kernel)]
    data = b"1\tx\n2\t\\N\n3\ty\n4\tx\n\\.\n"  # a miss, NULL, a miss, a memo hit
    want = _impl.load("pure").CopyRewriter(2, plan, 1 << 20).process(data, 0)
    got = fast.CopyRewriter(2, plan, 1 << 20).process(data, 0)
    assert got == want
    assert want[0].count(b"\n") == 5
    assert got[0].split(b"\n")[0].split(b"\t") == [b"1", _impl.load("pure").escape_field(
        item.encode())]


# Array text as pg_dump writes it and as people type it: quoted and unquoted elements,
# NULL in any case, blanks around items, nesting, and what the kernel must decline
# (bounds prefixes, malformed text, elements its element kernel declines).
_ELEMENT = st.one_of(
    st.sampled_from(["a", "Mary", "x@y.org", "1950-08-14", "123-45-6789", "NULL", "null", "",
                     "a b", "x,y", "{", "}", "Jose871", "02139", "42"]),
    st.text(st.characters(min_codepoint=32, max_codepoint=126, exclude_characters='\\"'),
            max_size=12),
)


def _item(draw: Callable[..., Any], depth: int) -> str:
    kind = draw(st.integers(0, 4 if depth < 2 else 3))
    element = draw(_ELEMENT)
    if kind == 0:
        return '"' + element + '"'
    if kind == 4:
        return _level(draw, depth + 1)
    return element.strip(" ") or "x"


def _level(draw: Callable[..., Any], depth: int) -> str:
    items = [_item(draw, depth) for _ in range(draw(st.integers(0, 4)))]
    sep = draw(st.sampled_from([",", ", ", " , "]))
    return draw(st.sampled_from(["{", " {", "{ "])) + sep.join(items) + "}"


@st.composite
def _arrays(draw: Callable[..., Any]) -> str:
    text = _level(draw, 0)
    return draw(st.sampled_from([text, text + " ", "[1:2]=" + text, text[:-1], text + "x"]))


ARRAY_CASES: list[tuple[str, TransformSpec, ColumnInfo]] = [
    ("email", _fake("email"), ColumnInfo("c", "text", array_dims=1)),
    ("first_name", _fake("first_name"), ColumnInfo("c", "text", array_dims=1)),
    ("sentence", _fake("sentence"), ColumnInfo("c", "text", array_dims=2)),
    ("tokenize", TransformSpec("tokenize", {"alphabet": "digits"}),
     ColumnInfo("c", "text", array_dims=1)),
    ("hash", TransformSpec("hash", {"length": 8, "alphabet": "alnum"}),
     ColumnInfo("c", "character varying", max_length=5, array_dims=1)),
    ("mask", TransformSpec("mask", {"keep_last": 2, "keep_first": 0, "char": "*"}),
     ColumnInfo("c", "text", array_dims=1)),
    ("unique-ssn", _unique("ssn"), ColumnInfo("c", "text", array_dims=1)),
    ("char-padded", _fake("last_name"), ColumnInfo("c", "character", max_length=12,
                                                   array_dims=1)),
    ("year", TransformSpec("date", {"mode": "year"}), ColumnInfo("c", "date", array_dims=1)),
    ("shift", TransformSpec("date", {"mode": "shift", "days": 30}),
     ColumnInfo("c", "date", array_dims=1)),
]


@pytest.mark.parametrize(("spec", "column"), [c[1:] for c in ARRAY_CASES],
                         ids=[c[0] for c in ARRAY_CASES])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.one_of(_arrays(), VALUES))
def test_array_kernel_matches_python_transform(
    fast: ModuleType, spec: TransformSpec, column: ColumnInfo, value: str
) -> None:
    """The element kernel on every element gives map_array's bytes (quoting, NULLs,
    nesting, blanks normalised) for every array text it accepts, and declines the rest."""
    built = _built(spec, column)
    assert built.kernel is not None and built.kernel[0] == "array"
    got = fast._kernel_apply(built.kernel, fast.escape_field(value.encode("utf-8")))
    if got is None:
        return
    assert got == _reference(built.fn, value)


@pytest.mark.parametrize(("spec", "column"), [c[1:] for c in ARRAY_CASES],
                         ids=[c[0] for c in ARRAY_CASES])
def test_array_kernel_accepts_typical_arrays(
    fast: ModuleType, spec: TransformSpec, column: ColumnInfo
) -> None:
    built = _built(spec, column)
    if column.type_name == "date":
        value = '{1950-08-14,NULL,"2001-12-31"}'
    elif spec.params.get("provider") in ("first_name", "last_name"):
        value = '{Mary,john,NULL,"Smith"}'  # one word each: the name kernels' domain
    else:
        value = '{"Mary Smith",john,NULL,"123-45-6789"}'
    if column.array_dims == 2:
        value = "{{" + value[1:-1] + "},{a,b,c,d}}"
    got = fast._kernel_apply(built.kernel, value.encode())
    assert got is not None, "the array kernel declined an ordinary array"
    assert got == _reference(built.fn, value)


@settings(max_examples=200, deadline=None)
@given(bits=st.integers(1, 400), data=st.data(), key=st.binary(min_size=16, max_size=16))
def test_permutation_rounds_same_with_the_compiled_siphash(
    fast: ModuleType, bits: int, data: st.DataObject, key: bytes
) -> None:
    """Domains the kernels leave to Python use the codec's SipHash in their rounds:
    the permutation is the written-out SipHash's, value for value."""
    from scrubphi.transforms import tokenize

    n = data.draw(st.integers(1, 2**bits))
    x = data.draw(st.integers(0, n - 1))
    perm = tokenize.Permutation(key, n)
    saved = tokenize._SIPHASH
    try:
        tokenize._SIPHASH = fast._siphash24
        compiled = perm(x)
        tokenize._SIPHASH = tokenize.siphash24
        written_out = perm(x)
    finally:
        tokenize._SIPHASH = saved
    assert compiled == written_out


@settings(max_examples=150, deadline=None)
@given(bits=st.integers(2, 256), data=st.data(), key=st.binary(min_size=16, max_size=16))
def test_big_permutation_matches_python(
    fast: ModuleType, bits: int, data: st.DataObject, key: bytes
) -> None:
    """The 256-bit Feistel (domains past 2**124, up to 2**248) is ``Permutation``'s,
    with the written-out SipHash as the reference; bigger domains are declined."""
    from scrubphi.transforms import tokenize

    n = data.draw(st.integers(2 ** (bits - 1) + 1, 2**bits))
    x = data.draw(st.integers(0, n - 1))
    got = fast._permute_big(key, n, x)
    if got is None:
        assert n >= 2**248
        return
    saved = tokenize._SIPHASH
    try:
        tokenize._SIPHASH = tokenize.siphash24
        assert got == tokenize.Permutation(key, n)(x)
    finally:
        tokenize._SIPHASH = saved


# JSON paths: documents of the kinds the kernel reads (objects, arrays, strings, integers,
# true, false, null, with or without blanks) and the ones it leaves to Python (floats, -0,
# duplicate keys, escapes), under policies it runs and ones it declines at some node.
_JSON_KEYS = st.sampled_from(["a", "b", "c", "d", "a b", "e"])
_JSON_SCALARS = st.one_of(
    st.sampled_from(["Jane Doe", "123-45-6789", "", "2021-03-04", "j.doe@mail.org", "a'b",
                     "x", "44", 'q"uote', "back\\slash", "é"]),
    st.integers(-(10**20), 10**20), st.booleans(), st.none(), st.floats(allow_nan=False),
)
_JSON_DOCS = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(_JSON_KEYS, inner, max_size=4)),
    max_leaves=12,
)
_JSON_INNER = st.sampled_from([
    TransformSpec("keep", {}), TransformSpec("null", {}), TransformSpec("value", {"value": "x"}),
    TransformSpec("value", {"value": "44"}), TransformSpec("value", {"value": 'q"\\z\n'}),
    _fake("ssn"), _fake("name"), _unique("email"), TransformSpec("tokenize", {"alphabet": "alnum"}),
    TransformSpec("hash", {"alphabet": "hex", "length": 8}),
    TransformSpec("mask", {"keep_first": 0, "keep_last": 2, "char": '"'}),
    TransformSpec("date", {"mode": "year"}),
])
_JSON_PATHS = st.sampled_from(["$", "$.a", "$.a.b", "$.a[0]", "$.a[-1]", "$.a[*]", "$.*", "$.*.b",
                               "$['a b']", "$.c[*].d", "$.c[1].d", "$[*]", "$.a.*", "$.b"])


def _json_built(paths: list[tuple[str, TransformSpec]], other: str) -> BuiltTransform:
    from scrubphi.transforms.jsonpath import build_json

    spec = TransformSpec("json", {"paths": tuple(paths), "other_paths": other})
    return build_json(spec, ColumnInfo("c", "jsonb"), TransformContext(key=KEY), build_transform)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paths=st.lists(st.tuples(_JSON_PATHS, _JSON_INNER), min_size=1, max_size=4),
       other=st.sampled_from(["keep", "null", "fail"]), doc=_JSON_DOCS,
       compact=st.booleans())
def test_json_kernel_matches_python_transform(
    fast: ModuleType, paths: list[tuple[str, TransformSpec]], other: str, doc: Any,
    compact: bool
) -> None:
    """The json kernel writes what the Python function writes, or declines (it never
    accepts a document the Python function rejects: other_paths: fail, not JSON...)."""
    import json

    built = _json_built(paths, other)
    assert built.kernel is not None
    text = json.dumps(doc, separators=(",", ":") if compact else None, ensure_ascii=False)
    got = fast._kernel_apply(built.kernel, fast.escape_field(text.encode("utf-8")))
    if got is None:
        return
    try:
        want = built.fn(text)
    except (TransformError, ValueError):
        pytest.fail("the kernel accepted a document the Python function rejects")
    assert want is not None and got == want.encode("utf-8")


def test_json_kernel_accepts_typical_documents(fast: ModuleType) -> None:
    built = _json_built([("$.patient.ssn", _fake("ssn")), ("$.patient.name", _fake("name")),
                         ("$.notes", TransformSpec("value", {"value": ""})),
                         ("$.visits[*].date", TransformSpec("date", {"mode": "year"})),
                         ("$.codes", TransformSpec("keep", {}))], "null")
    for text in ['{"notes": "called back", "patient": {"ssn": "123-45-6789", "name": '
                 '"Jane Doe", "age": 44}, "codes": ["E11.9", "I10"]}',
                 '{"patient": {"name": null}, "visits": [{"date": "2021-03-04"}, '
                 '{"date": "2021-04-05"}]}', '{}', '[]', 'null']:
        got = fast._kernel_apply(built.kernel, text.encode())
        assert got is not None, "the json kernel declined an ordinary document"
        assert got == built.fn(text).encode()  # type: ignore[union-attr]


def test_json_kernel_only_for_paths_it_can_follow() -> None:
    """A path that descends (..) or a transform without a kernel keeps the Python function."""
    assert _json_built([("$..email", _fake("email"))], "keep").kernel is None
    # (fips_state has none: its values repeat, the memo answers them)
    assert _json_built([("$.a", TransformSpec("generalize", {"method": "fips_state"}))],
                       "keep").kernel is None
    assert _json_built([("$.a", TransformSpec("tokenize", {"alphabet": "oid", "keep_arcs": 4}))],
                       "keep").kernel is not None
    assert _json_built([("$.a", _fake("email"))], "keep").kernel is not None


@settings(max_examples=300, deadline=None)
@given(bits=st.integers(1, 124), data=st.data(), key=st.binary(min_size=16, max_size=16))
def test_shape_permutation_matches_python(
    fast: ModuleType, bits: int, data: st.DataObject, key: bytes
) -> None:
    """The tokenize kernels' Feistel up to 2**124 (one SipHash block a round below 2**64,
    two beyond, reduced by precomputed reciprocals) is ``Permutation``'s, value for value."""
    from scrubphi.transforms import tokenize

    n = data.draw(st.integers(max(2, 2 ** (bits - 1)), 2**bits))
    x = data.draw(st.one_of(st.integers(0, n - 1), st.sampled_from([0, n - 1])))
    got = fast._permute_shape(key, n, x)
    saved = tokenize._SIPHASH
    try:
        tokenize._SIPHASH = tokenize.siphash24
        assert got == tokenize.Permutation(key, n)(x)
    finally:
        tokenize._SIPHASH = saved


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days=st.integers(1, 3650), value=_DATES,
       per=st.one_of(st.none(), _DIGITS, _PRINTABLE))
def test_shift_offset_any_days_matches_python_transform(
    fast: ModuleType, days: int, value: str, per: str | None
) -> None:
    """The offset (the digest modulo 2 * days, read a word at a time in C) is
    ``keyed.offset_in``'s for every allowed number of days, with and without ``per``."""
    spec = TransformSpec("date", {"mode": "shift", "days": days, "per": "pid"})
    built = _built(spec, ColumnInfo("c", "date"))
    assert built.kernel is not None and built.kernel[0] == "shift"
    got = _apply_shift(fast, built, value, per)
    if got is None:
        return
    assert got == built.fn(value, per).encode()


# Slots whose domain crosses 2**124 (26 letters are 2**122.2) where the kernel switches to
# 256-bit numbers, and long local parts whose slots are folded in 64-bit chunks.
_NEAR_124 = st.from_regex(
    r"\A[a-zA-Z]{18,28}[0-9]{0,6}([._-][a-z0-9]{0,4})?(@[a-z]{1,9}\.[a-z]{2,3})?\Z"
)


@pytest.mark.parametrize("spec", [
    TransformSpec("tokenize", {"alphabet": "alnum"}),
    TransformSpec("tokenize", {"alphabet": "upper"}),
    TransformSpec("tokenize", {"alphabet": "digits"}),
    _unique("email"),
], ids=["alnum", "upper", "digits", "unique-email"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.one_of(_NEAR_124, st.text("0123456789", min_size=18, max_size=45)))
def test_tokenize_kernel_near_the_256_bit_switch(
    fast: ModuleType, spec: TransformSpec, value: str
) -> None:
    """Around 2**124 the text kernel hands over to the 256-bit one at the same point
    as before, and both give the Python transform's bytes."""
    built = _built(spec, TEXT)
    assert built.kernel is not None
    got = fast._kernel_apply(built.kernel, fast.escape_field(value.encode()))
    if got is None:
        return
    assert got == _reference(built.fn, value)
