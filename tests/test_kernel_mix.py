"""Twin tests for the kernel paths made cheaper for the policy mixes (issue 13).

What changed inside the compiled kernels, output unchanged by construction:

- ``tokenize`` on text writes the slots of a number past 2**64 from one 128-bit
  division a chunk of up to 13 slots, and the 256-bit kernel (domains past
  2**124) reads its slots into 64-bit chunks and writes them the same way;
- integer ``tokenize`` looks a (sign, digits) shape up once per kernel;
- the date shift reads ``YYYY-MM-DD`` without a loop and writes it from a
  two-digit table, and every decimal writer (``_put_uint``) too.

Each is held to the Python transform value by value (``_kernel_apply``), and the
integer tokenize's shape cache also through the codec against the pure twin on
rows that revisit shapes, so a stale cached shape would show.
"""

from __future__ import annotations

import random
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiled_twin import requires_compiled_twin
from scrubphi import _impl
from scrubphi.policy.model import TransformSpec
from scrubphi.transforms import build_transform
from scrubphi.transforms.base import BuiltTransform, ColumnInfo, TransformContext

pytestmark = requires_compiled_twin  # (see compiled_twin.py)

KEY = b"0123456789abcdef0123456789abcdef"
TEXT = ColumnInfo("c", "text")
SETTINGS = settings(max_examples=250, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def fast() -> ModuleType:
    return _impl.load("compiled")


def _built(spec: TransformSpec, column: ColumnInfo = TEXT) -> BuiltTransform:
    return build_transform(spec, column, TransformContext(key=KEY))


def _reference(built: BuiltTransform, value: str) -> bytes | None:
    try:
        out = built.fn(value)
    except (ValueError, TypeError, ArithmeticError, LookupError):
        return None
    assert out is not None
    return out.encode("utf-8")


def _same(fast: ModuleType, built: BuiltTransform, value: str) -> bytes | None:
    """The kernel's bytes, asserted equal to the Python transform's (None: it declined)."""
    assert built.kernel is not None
    got = fast._kernel_apply(built.kernel, fast.escape_field(value.encode("utf-8")))
    if got is not None:
        assert got == _reference(built, value), value
    return got


# Mixed digit and letter slots with literals between them, from a few slots (one
# 64-bit number) past 2**64 and 2**124 up to past 2**248 (declined): every chunk
# boundary of the 128-bit and 256-bit writers falls somewhere in these.
_MIXED = st.text(st.sampled_from("0123456789abcxyzABCXYZ.-@_ "), min_size=1, max_size=70)
_WIDE = st.from_regex(r"\A[a-zA-Z0-9]{10,60}([.@_-][a-zA-Z0-9]{0,12}){0,4}\Z")
# 2**248 is about 26**52.8 and 10**74.7: lengths around the bound, letters and digits.
_NEAR_248 = st.one_of(
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=50, max_size=56),
    st.text("0123456789", min_size=70, max_size=78),
    st.tuples(st.text("ABCXYZ", min_size=40, max_size=50),
              st.text("0123456789", min_size=5, max_size=25)).map("-".join),
)
_TOKEN_VALUES = st.one_of(_MIXED, _WIDE, _NEAR_248)


@pytest.mark.parametrize("mode", ["digits", "alnum", "upper"])
@SETTINGS
@given(value=_TOKEN_VALUES)
def test_tokenize_chunked_digits_match_python(fast: ModuleType, mode: str, value: str) -> None:
    """Text tokenize, any width up to the 256-bit kernel's bound: the Python bytes."""
    _same(fast, _built(TransformSpec("tokenize", {"alphabet": mode})), value)


@pytest.mark.parametrize("provider", ["email", "url", "user_name"])
@SETTINGS
@given(value=st.one_of(_TOKEN_VALUES, st.emails()))
def test_unique_parts_match_python(fast: ModuleType, provider: str, value: str) -> None:
    """Unique fakes tokenize their parts with the same kernels: the Python bytes."""
    spec = TransformSpec("fake", {"provider": provider, "unique": True, "locale": "en_US"})
    _same(fast, _built(spec), value)


def test_tokenize_accepts_every_width_up_to_the_bound(fast: ModuleType) -> None:
    """From one slot to past 2**248: the kernel runs (else the speed-up silently goes) up
    to the bound, declines past it, and agrees with Python wherever it runs."""
    built = _built(TransformSpec("tokenize", {"alphabet": "alnum"}))
    for n in range(1, 60):
        for value in ("z" * n, "9" * n, ("a1" * n)[:n], "Q" + "-x9" * n):
            got = _same(fast, built, value)
            if len(value) <= 50:
                assert got is not None, value


@SETTINGS
@given(value=st.one_of(st.from_regex(r"\A[0-9]{3}-?[0-9]{2}-?[0-9]{4}\Z"),
                       st.integers(0, 999_999_999).map(lambda v: f"{v:09d}")))
def test_unique_ssn_matches_python(fast: ModuleType, value: str) -> None:
    """The unique SSN writes its digits with ``_put_uint``: the Python bytes."""
    spec = TransformSpec("fake", {"provider": "ssn", "unique": True, "locale": "en_US"})
    assert _same(fast, _built(spec), value) is not None


@pytest.mark.parametrize("length", [1, 2, 3, 9, 10, 17, 18])
@settings(max_examples=150, deadline=None)
@given(value=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30))
def test_hash_digits_match_python(fast: ModuleType, length: int, value: str) -> None:
    """``hash`` in digits, zero-padded by ``_put_uint``: the Python bytes."""
    _same(fast, _built(TransformSpec("hash", {"alphabet": "digits", "length": length})), value)


_YMD = st.one_of(
    st.dates().map(str),
    st.datetimes().map(lambda d: d.isoformat(sep=" ")),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),
    st.from_regex(r"\A[0-9 :/.a-z-]{10,14}\Z"),
    st.sampled_from(["0001-01-01", "9999-12-31", "0000-06-01", "2000-02-29", "1900-02-29",
                     "2024-1-01", "2024-01-1x", "2024/01/01", "20a4-01-01", "2024-01-01 BC"]),
)


@pytest.mark.parametrize("days", [1, 30, 365, 3650])
@SETTINGS
@given(value=_YMD)
def test_shift_reads_and_writes_dates_like_python(fast: ModuleType, days: int,
                                                  value: str) -> None:
    """The date shift's reader and two-digit writer, years 1 to 9999: the Python bytes."""
    spec = TransformSpec("date", {"mode": "shift", "days": days})
    _same(fast, _built(spec, ColumnInfo("c", "timestamp without time zone")), value)


@SETTINGS
@given(value=_YMD)
def test_year_matches_python(fast: ModuleType, value: str) -> None:
    """``date: year`` writes its year with ``_put_uint``: the Python bytes."""
    _same(fast, _built(TransformSpec("date", {"mode": "year"}), ColumnInfo("c", "date")), value)


_INTS = st.one_of(
    st.integers(-(2**31), 2**31 - 1).map(str),
    st.integers(-(2**63), 2**63 - 1).map(str),
    st.from_regex(r"\A *[-+]?0*[0-9]{1,19} *\Z"),
)


@pytest.mark.parametrize("type_name", ["smallint", "integer", "bigint"])
@SETTINGS
@given(values=st.lists(_INTS, min_size=1, max_size=30))
def test_integer_tokenize_shape_cache_matches_python(fast: ModuleType, type_name: str,
                                                     values: list[str]) -> None:
    """One kernel over many values (its per-sign, per-width shapes looked up once):
    each value's bytes are the Python transform's."""
    built = _built(TransformSpec("tokenize", {"alphabet": "digits"}), ColumnInfo("c", type_name))
    for value in values:
        _same(fast, built, value)


def test_codec_integer_tokenize_matches_pure_twin(fast: ModuleType) -> None:
    """Rows whose ids take every sign and width, revisited in shuffled order, through one
    compiled rewriter (its cached shapes live as long as it does): the pure twin's bytes."""
    built = _built(TransformSpec("tokenize", {"alphabet": "digits"}), ColumnInfo("c", "bigint"))
    r = random.Random(13)
    widths = [r.randrange(1, 19) for _ in range(20_000)]
    ids = [str(r.choice([-1, 1]) * r.randrange(10 ** (w - 1) if w > 1 else 0, 10**w))
           for w in widths]
    ids += ids[:5_000]
    r.shuffle(ids)
    data = "".join(f"{v}\t{i}\n" for i, v in enumerate(ids)).encode() + b"\\.\n"
    plan = [(0, built.fn, -1, True, built.kernel)]

    def run(codec: ModuleType) -> object:
        rw = codec.CopyRewriter(2, plan, 1 << 20)
        return rw.process(data, 0), rw.rows, rw.counts

    assert run(fast) == run(_impl.load("pure"))


def test_blocks_share_one_table_of_per_offsets(fast: ModuleType) -> None:
    """Two COPY blocks (two rewriters) shifting dates per patient under one spec use one
    process-wide table of offsets (each table used to compute every patient's offset
    again), and the shifts equal the pure twin's: an offset cached by the first block
    is the one the second block writes."""
    key = bytes(range(32))  # a spec this process has not seen
    built = build_transform(TransformSpec("date", {"mode": "shift", "days": 300, "per": "p"}),
                            ColumnInfo("d", "date"), TransformContext(key=key))
    other = build_transform(TransformSpec("date", {"mode": "shift", "days": 301, "per": "p"}),
                            ColumnInfo("d", "date"), TransformContext(key=key))
    plan = [(1, built.fn, 0, False, built.kernel)]
    rows = [f"{p}\t20{p % 90 + 10:02d}-0{p % 9 + 1}-1{p % 9}\n" for p in range(300)]
    blocks = ["".join(rows[:200]).encode() + b"\\.\n", "".join(rows[100:]).encode() + b"\\.\n"]
    before = fast.per_tables()
    outs = []
    for codec in (fast, _impl.load("pure")):
        for data in blocks:
            outs.append(codec.CopyRewriter(2, plan, 1 << 20).process(data, 0)[0])
    assert fast.per_tables() == before + 1  # the second block found the first one's table
    assert outs[:2] == outs[2:]
    codec_other = fast.CopyRewriter(2, [(1, other.fn, 0, False, other.kernel)], 1 << 20)
    codec_other.process(blocks[0], 0)
    assert fast.per_tables() == before + 2  # another spec (days), another table
