"""Generalisation and structured identifiers (issue 16, items 4 and 5), on real pg_dump output.

Synthea-shaped columns: coordinates (double precision and numeric), a county
FIPS code, ``birthplace`` as "Town  State  Country", a device's GS1 UDI and an
imaging study's DICOM UID. Each gets the transform that keeps what is safe
and changes what identifies; both codecs, COPY and INSERT forms, restored with
the real psql.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pg_fixtures import PgServer
from scrubphi import scrub_stream
from scrubphi.errors import PolicyError
from scrubphi.policy import loads_policy
from scrubphi.policy.model import TransformSpec
from scrubphi.transforms import build_transform
from scrubphi.transforms.base import ColumnInfo, TransformContext

KEY = b"generalize-test-key-0123456789abcdef"

SETUP = """
CREATE TABLE public.patients (
    id integer PRIMARY KEY, lat double precision, lon numeric(9,6), county_fips text,
    fips_int integer, income integer, birthplace text NOT NULL, weight numeric(5,1));
INSERT INTO public.patients VALUES
  (1, 42.3601234, -71.058912, '25025', 25025, 48211,
   'Boston  Massachusetts  US', 81.4),
  (2, 40.7127753, -74.005941, '36061', 36061, 123456,
   'New York  New York  US', 60.0),
  (3, NULL, NULL, NULL, NULL, NULL, 'Somewhere unknown', NULL);
CREATE TABLE public.devices (id integer PRIMARY KEY, udi text, study_uid text);
INSERT INTO public.devices VALUES
  (1, '(01)00844588003288(17)141120(10)7654321D(21)10987654d321',
   '1.2.840.113619.2.55.3.604688119.969.1268071029.320'),
  (2, '(01)00844588003288(17)141120(10)ABC(21)XYZ',
   '1.2.840.113619.2.55.3.604688119.969.1268071029.321');
"""

POLICY = """
version: 1
scrub:
  tables:
    public.patients:
      columns:
        id: keep
        lat: {generalize: {round: 0.01}}
        lon: {generalize: {noise: 0.05}, per: id}
        county_fips: {generalize: fips_state}
        fips_int: {generalize: fips_state}
        income: {generalize: {round: 1000}}
        weight: {generalize: {noise: 2}}
        birthplace: {split: "  ", parts: [{fake: city}, keep, keep], other: {redact: text}}
    public.devices:
      columns:
        id: keep
        udi: {tokenize: gs1, days: 20}
        study_uid: {tokenize: oid, keep_arcs: 4}
"""


@pytest.fixture(scope="module")
def source(pg: PgServer) -> Iterator[str]:
    name = pg.create_database("generalize")
    pg.psql(name, SETUP)
    yield name
    pg.drop_database(name)


def scrub(dump: bytes, codec: ModuleType, policy: str = POLICY) -> bytes:
    dst = io.BytesIO()
    scrub_stream(io.BytesIO(dump), dst, loads_policy(policy, "g.yaml"), codec=codec, key=KEY,
                 chunk_size=53)
    return dst.getvalue()


def rows(pg: PgServer, data: bytes, table: str) -> dict[int, list[str]]:
    name = pg.create_database("generalize_dst")
    try:
        pg.psql(name, stdin=data, args=["--single-transaction"])
        done = pg.psql(name, f"COPY (SELECT * FROM public.{table} ORDER BY id) TO STDOUT")
        out = {}
        for line in done.stdout.decode().splitlines():
            fields = line.split("\t")
            out[int(fields[0])] = fields
        return out
    finally:
        pg.drop_database(name)


@pytest.mark.postgres
@pytest.mark.parametrize("flags", [(), ("--inserts",)], ids=["copy", "inserts"])
def test_generalised_and_restorable(pg: PgServer, source: str, codec: ModuleType,
                                    flags: tuple[str, ...]) -> None:
    out = scrub(pg.pg_dump(source, "--no-owner", *flags), codec)
    patients = rows(pg, out, "patients")
    one, two, three = patients[1], patients[2], patients[3]
    assert one[1] == "42.36" and two[1] == "40.71"
    assert abs(Decimal(one[2]) - Decimal("-71.058912")) <= Decimal("0.05")
    assert one[2] != "-71.058912"
    assert one[3] == "25000" and two[3] == "36000" and one[4] == "25000"
    assert one[5] == "48000" and two[5] == "123000"
    assert abs(Decimal(one[7]) - Decimal("81.4")) <= 2
    town, state, country = one[6].split("  ")
    assert town != "Boston" and (state, country) == ("Massachusetts", "US")
    assert two[6].split("  ")[1:] == ["New York", "US"]
    assert three[1:6] == ["\\N"] * 5 and "Somewhere" in three[6]  # other: words stay
    devices = rows(pg, out, "devices")
    udi = devices[1][1]
    assert re.fullmatch(r"\(01\)00844588003288\(17\)\d{6}\(10\)\w{8}\(21\)\w{12}", udi)
    assert "7654321D" not in udi and "10987654d321" not in udi
    assert devices[1][2].startswith("1.2.840.113619.")
    assert devices[1][2] != "1.2.840.113619.2.55.3.604688119.969.1268071029.320"
    # Two UIDs sharing everything but the last arc still share the image of it.
    assert devices[1][2].rsplit(".", 1)[0] == devices[2][2].rsplit(".", 1)[0]


@pytest.mark.postgres
def test_codec_output_equals_the_pure_twins(pg: PgServer, source: str,
                                            codec: ModuleType) -> None:
    from scrubphi import _impl

    dump = pg.pg_dump(source, "--no-owner")  # one dump: its \restrict key is random
    assert scrub(dump, codec) == scrub(dump, _impl.load("pure"))


def _fn(spec: TransformSpec, column: ColumnInfo) -> Callable[..., Any]:
    return build_transform(spec, column, TransformContext(key=KEY)).fn


def test_noise_is_bounded_keyed_and_per_entity() -> None:
    spec = TransformSpec("generalize", {"method": "noise", "amount": "0.5", "per": None})
    fn = _fn(spec, ColumnInfo("c", "numeric"))
    values = [f"{i / 100:.2f}" for i in range(1000, 2000)]
    outs = [fn(v) for v in values]
    pairs = list(zip(outs, values, strict=True))
    assert all(abs(Decimal(o) - Decimal(v)) <= Decimal("0.5") for o, v in pairs)
    assert sum(o != v for o, v in pairs) > 900
    assert all(len(o.split(".")[1]) == 2 for o in outs)  # the value's decimals kept
    per = TransformSpec("generalize", {"method": "noise", "amount": "3", "per": "pid"})
    pfn = _fn(per, ColumnInfo("c", "integer"))
    deltas = {int(pfn(str(v), "patient-1")) - v for v in (100, 200, 300)}
    assert len(deltas) == 1  # one patient, one offset
    others = {int(pfn("100", f"patient-{i}")) - 100 for i in range(40)}
    assert len(others) > 3 and all(abs(d) <= 3 for d in others)


def test_round_keeps_specials_and_refuses_text() -> None:
    fn = _fn(TransformSpec("generalize", {"method": "round", "amount": "0.1"}),
             ColumnInfo("c", "double precision"))
    assert fn("NaN") == "NaN" and fn("Infinity") == "Infinity"
    assert fn("1.25") == "1.2" and fn("1.35") == "1.4"
    with pytest.raises(ValueError, match="not a number"):
        fn("about 3")


def test_structured_identifier_fallbacks() -> None:
    oid = _fn(TransformSpec("tokenize", {"alphabet": "oid", "keep_arcs": 2}), ColumnInfo("c"))
    out = oid("2.25.329800735698586629295641978511506172918")
    assert out.startswith("2.25.") and out != "2.25.329800735698586629295641978511506172918"
    assert not out.split(".")[2].startswith("0")
    shaped = oid("ab-12")
    assert re.fullmatch(r"[a-z]{2}-\d{2}", shaped) and shaped != "ab-12"
    gs1 = _fn(TransformSpec("tokenize", {"alphabet": "gs1", "days": 30}), ColumnInfo("c"))
    plain = gs1("+H123PROD1/$$3141120LOT")
    assert len(plain) == len("+H123PROD1/$$3141120LOT") and plain != "+H123PROD1/$$3141120LOT"
    # Day 00 ("end of the month") stays; a real date moves by at most `days`.
    assert gs1("(17)141100(21)A1").startswith("(17)141100(21)")


BASE = """
version: 1
scrub:
  tables:
    public.t:
      columns:
        id: keep
        c: {X}
"""


@pytest.mark.parametrize(
    ("transform", "message"),
    [
        ("{generalize: {round: 0}}", "round must be a positive number"),
        ("{generalize: {round: abc}}", "round must be a positive number"),
        ("{generalize: {noise: 1, round: 1}}", "one of round"),
        ("{generalize: {noise: 1}, per: nope}", "per names column nope"),
        ("{generalize: {round: 1}, per: id}", "unknown key per"),
        ("{generalize: county}", "zip3, fips_state"),
        ("{tokenize: oid, keep_arcs: -1}", "keep_arcs"),
        ("{tokenize: gs1, days: 0}", "days"),
        ("{tokenize: digits, days: 3}", "unknown key days"),
        ("{split: ' ', parts: [keep]}", "needs other"),
        ("{split: ' ', parts: [keep], other: keep}", "at least two"),
        ("{split: '', parts: [keep, keep], other: keep}", "separator"),
        ("{split: ' ', parts: [keep, {date: shift, days: 3, per: id}], other: keep}",
         "per is not supported inside split"),
        ("{split: ' ', parts: [keep, {fake: nonsense}], other: keep}", "unknown fake provider"),
    ],
)
def test_policy_errors(transform: str, message: str) -> None:
    with pytest.raises(PolicyError) as info:
        loads_policy(BASE.replace("{X}", transform), "bad.yaml")
    assert message in str(info.value)
    assert "bad.yaml:" in str(info.value)


def test_round_writes_no_negative_zero() -> None:
    """A negative value that rounds to zero is written 0.00 (it was ``00.00``)."""
    fn = build_transform(TransformSpec("generalize", {"method": "round", "amount": "0.01"}),
                         ColumnInfo("lat", "numeric"), TransformContext(key=KEY)).fn
    assert [fn(v) for v in ("-0.004", "-0", "-0.0049", "-0.005", "-0.006")] == \
        ["0.00", "0.00", "0.00", "0.00", "-0.01"]


_ROUND_STEPS = ["0.01", "0.5", "1000", "1", "0.001", "2.5", "0.03", "7", "0.000001",
                "12345678901234.5", 0.25, 10]
_NUMBER_TEXT = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.builds(lambda i, f, sign: f"{sign}{i}.{f}", st.integers(0, 10**20).map(str),
              st.text("0123456789", max_size=40), st.sampled_from(["", "-", "+"])),
    st.integers(-10**25, 10**25).map(str),
    st.sampled_from(["-0", "0", "-0.004", "0.005", "0.015", "-0.015", ".5", "5.", " 3.14 ",
                     "-.5", "1e5", "NaN", "Infinity", "", "-", "1.2.3", "00012.50",
                     "1_000", "0x10", "99999999999999999.995", "-2.5", "3.5"]),
)


def _compiled() -> ModuleType:
    """The compiled twin; the test is skipped without it (the pure twin has no kernels:
    its functions are the reference the kernels are held to)."""
    from scrubphi import _impl

    if _impl.NO_EXTENSIONS:
        pytest.skip("the pure twin has no kernels (its functions are the reference)")
    return _impl.load("compiled")


def _unchanged(spec: TransformSpec, column: str) -> bool:
    """Whether the build refuses the spec on the column as one that changes no value."""
    try:
        build_transform(spec, ColumnInfo("c", column), TransformContext(key=KEY))
    except ValueError as exc:
        assert "unchanged" in str(exc)
        return True
    return False


def _kernel_built(spec: TransformSpec, column: ColumnInfo, name: str) -> Any:
    """The transform, asserted to have a kernel of this name (the tests' subject)."""
    built = build_transform(spec, column, TransformContext(key=KEY))
    assert built.kernel is not None and built.kernel[0] == name
    return built


def _kernel_agrees(built: Any, value: str, per: str | None = None) -> bytes | None:
    """The kernel's bytes for ``value`` (keyed by ``per``, ``\\N`` for NULL, when given),
    asserted equal to the Python function's text; None where the kernel declines."""
    fast = _compiled()
    if per is None:
        got = fast._kernel_apply(built.kernel, value.encode())
    else:
        got = fast._kernel_apply(built.kernel, value.encode(), per.encode())
    if got is not None:
        want = built.fn(value) if per is None else built.fn(value, None if per == "\\N" else per)
        assert got.decode() == want
    return got


@pytest.mark.parametrize("column", ["numeric", "double precision", "integer", "text"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(step=st.sampled_from(_ROUND_STEPS), value=_NUMBER_TEXT)
def test_round_kernel_equals_the_python_transform(column: str, step: object,
                                                  value: str) -> None:
    """The compiled round kernel (exact 128-bit arithmetic) writes what Decimal does, ties
    to even, negative zero, integer columns' truncation and every step included, or
    declines (exponents, NaN, more digits than it takes) to the Python function."""
    spec = TransformSpec("generalize", {"method": "round", "amount": step})
    assume(not _unchanged(spec, column))
    _kernel_agrees(_kernel_built(spec, ColumnInfo("c", column), "round"), value)


def test_round_kernel_takes_coordinates() -> None:
    """Coordinates and amounts as PostgreSQL writes them are in the kernel's domain."""
    built = _kernel_built(TransformSpec("generalize", {"method": "round", "amount": 0.01}),
                          ColumnInfo("lat", "double precision"), "round")
    values = ["42.3601234", "-71.058912", "0", "-0.0001", "179.999999", "1e-05", "123456.5"]
    got = [_kernel_agrees(built, v) for v in values]
    assert got == [b"42.36", b"-71.06", b"0.00", b"0.00", b"180.00", None, b"123456.50"]


_ARC = st.one_of(st.integers(0, 10**20).map(str), st.sampled_from(["0", "00", "01", "007", "9"]))
_OID_TEXT = st.one_of(
    st.lists(_ARC, min_size=1, max_size=36).map(".".join),
    st.builds(lambda tail: "1.2.840.113619.2.55.3." + ".".join(tail),
              st.lists(st.integers(0, 10**12).map(str), min_size=1, max_size=8)),
    st.text("0123456789. ab-", max_size=40),
    st.sampled_from(["", ".", " 1.2.3 ", "1..2", "1.2.", ".1", "1. 2", "x",
                     "2.25.329800735698586629295641978511506172918"]),
)


@pytest.mark.parametrize("keep", [0, 1, 4, 31])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=_OID_TEXT)
def test_oid_kernel_equals_the_python_transform(keep: int, value: str) -> None:
    """The compiled `{tokenize: oid}` (kept arcs, each later arc's keyed integer
    tokenize, zero-led arcs and non-OIDs by the alnum tokenize) writes the Python
    transform's text, or declines (an arc past 18 digits, past 32 arcs)."""
    _kernel_agrees(_kernel_built(TransformSpec("tokenize", {"alphabet": "oid", "keep_arcs": keep}),
                                 ColumnInfo("uid", "text"), "oid"), value)


@pytest.mark.parametrize("value", ["2.25.329800735698586629295641978511506172918",
                                   "2.25.3298007356985866", "1.2.840.113619", "1.2", "7"])
def test_an_oid_of_keep_arcs_arcs_or_fewer_is_not_kept_whole(value: str) -> None:
    """A UUID-derived UID (``2.25.<uuid>``, DICOM's own recommendation) has three arcs:
    under the default ``keep_arcs: 4`` it passed unchanged, in both codecs. The last arc
    is never kept now; the arcs before it stay."""
    built = build_transform(TransformSpec("tokenize", {"alphabet": "oid", "keep_arcs": 4}),
                            ColumnInfo("uid", "text"), TransformContext(key=KEY))
    out = built.fn(value)
    assert out != value
    assert out.rsplit(".", 1)[0] == value.rsplit(".", 1)[0] or "." not in value
    assert len(out) == len(value)
    from scrubphi import _impl

    if not _impl.NO_EXTENSIONS:
        got = _impl.load("compiled")._kernel_apply(built.kernel, value.encode())
        assert got is None or got.decode() == out


def test_oid_kernel_takes_dicom_uids() -> None:
    """DICOM UIDs as an imaging table holds them are in the kernel's domain."""
    built = _kernel_built(TransformSpec("tokenize", {"alphabet": "oid", "keep_arcs": 4}),
                          ColumnInfo("uid", "text"), "oid")
    uid = "1.2.840.113619.2.55.3.604688119.969.1268071029.320"
    got = _kernel_agrees(built, uid)
    assert got is not None
    assert got.startswith(b"1.2.840.113619.") and got != uid.encode()


_AIS = ["01", "02", "10", "11", "12", "13", "15", "16", "17", "21", "240", "8004", "011", "1",
        "12345"]
_ELEMENT = st.one_of(st.sampled_from(["", "00844588003288", "141120", "141100", "140230",
                                      "991231", "500101", "240229", "230229", "ABC12", "x-y"]),
                     st.integers(0, 999999).map(lambda i: f"{i:06d}"),
                     st.text("0123456789ABxy-()", max_size=14))
_GS1_TEXT = st.one_of(
    st.builds(lambda pre, items: pre + "".join(f"({ai}){data}" for ai, data in items),
              st.sampled_from(["", "", " ", "x"]),
              st.lists(st.tuples(st.sampled_from(_AIS), _ELEMENT), min_size=1, max_size=5)),
    st.text("()0123456789 abAB-", max_size=30),
)


@pytest.mark.parametrize("days", [1, 30, 100_000])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=_GS1_TEXT)
def test_gs1_kernel_equals_the_python_transform(days: int, value: str) -> None:
    """The compiled `{tokenize: gs1}` (AIs and GTINs kept, date elements moved by their
    keyed offset, day 00 kept, other elements and values without AIs tokenized) writes
    the Python transform's text, or declines (an invalid date, where Python raises)."""
    _kernel_agrees(_kernel_built(TransformSpec("tokenize", {"alphabet": "gs1", "days": days}),
                                 ColumnInfo("udi", "text"), "gs1"), value)


@pytest.mark.parametrize("days", [30, 400])
def test_a_gs1_date_stays_in_the_century_its_yy_reads_in(days: int) -> None:
    """YY reads as 1951 to 2050: an expiry of 2050-12-31 moved 10 days on was written
    ``510110``, read back as 1951 (and 1951-01-01 moved back as 2050). Such a date moves
    as far the other way, in both codecs."""
    from datetime import date, timedelta

    from scrubphi import _impl

    built = build_transform(TransformSpec("tokenize", {"alphabet": "gs1", "days": days}),
                            ColumnInfo("udi", "text"), TransformContext(key=KEY))
    fast = None if _impl.NO_EXTENSIONS else _impl.load("compiled")

    def read(yymmdd: str) -> date:
        yy = int(yymmdd[:2])
        return date(2000 + yy if yy <= 50 else 1900 + yy, int(yymmdd[2:4]), int(yymmdd[4:]))

    start = [date(2050, 12, 31) - timedelta(days=i) for i in range(40)]
    start += [date(1951, 1, 1) + timedelta(days=i) for i in range(40)]
    for day in start:
        element = day.strftime("%y%m%d")
        value = f"(01)00844588003288(17){element}(10)L1"
        out = built.fn(value)
        moved = read(out[len("(01)00844588003288(17)"):][:6])
        assert 1 <= abs((moved - day).days) <= days, (element, out)
        if fast is not None:
            got = fast._kernel_apply(built.kernel, value.encode())
            assert got is None or got.decode() == out


def test_gs1_kernel_takes_device_udis() -> None:
    built = _kernel_built(TransformSpec("tokenize", {"alphabet": "gs1", "days": 30}),
                          ColumnInfo("udi", "text"), "gs1")
    udi = "(01)00844588003288(17)141120(10)7654321D(21)10987654d321"
    got = _kernel_agrees(built, udi)
    assert got is not None
    assert got.startswith(b"(01)00844588003288(17)") and got != udi.encode()


@pytest.mark.parametrize("column", ["numeric", "integer", "text"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(amount=st.sampled_from(["0.05", "3", "0.5", "1000", "0.001", "2.5", 0.25, "0.0000001"]),
       value=_NUMBER_TEXT, per=st.sampled_from([None, "12", "abc", "\\N"]))
def test_noise_kernel_equals_the_python_transform(column: str, amount: object, value: str,
                                                  per: str | None) -> None:
    """The compiled noise kernel (the offset keyed by the value, the per value or a NULL
    per value, in steps of the value's last decimal) writes the Python transform's text,
    or declines to it."""
    params: dict[str, Any] = {"method": "noise", "amount": amount}
    if per is not None:
        params["per"] = "pid"
    assume(not _unchanged(TransformSpec("generalize", params), column))
    _kernel_agrees(_kernel_built(TransformSpec("generalize", params), ColumnInfo("c", column),
                                 "noise"), value, per)


@pytest.mark.parametrize("spec", [{"alphabet": "alnum"}, {"alphabet": "gs1", "days": 30},
                                  {"alphabet": "oid", "keep_arcs": 4}])
def test_a_value_of_thousands_of_letters_is_tokenized(spec: dict[str, Any]) -> None:
    """The Feistel round wrote its block number in one byte: past 255 blocks (about
    7,000 letters, a pasted note in an identifier column, a hostile lot number) it
    raised ValueError and stopped the run. Such a value is tokenized like any other."""
    fn = _fn(TransformSpec("tokenize", spec), ColumnInfo("c", "text"))
    value = ("(10)" if spec["alphabet"] == "gs1" else "") + "Lot" + "ab9" * 2600
    out = fn(value)
    assert len(out) == len(value) and out != value

    def shape(text: str) -> str:
        return re.sub(r"[A-Z]", "A", re.sub(r"[a-z]", "a", re.sub(r"\d", "9", text)))

    assert shape(out) == shape(value)
