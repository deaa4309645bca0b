"""The compiled unique fakes' and tokenize's caches against the pure twin (issue 13).

The kernels keep state between values: a unique e-mail's domain (a URL's host)
is memoised in a small direct-mapped table, the shapes' round keys in a table
cleared when half full, and the 256-bit Feistel network's SipHash state after
the key.  ``KernelFn`` keeps that state between calls as the codec does, so
these tests feed one kernel many values, repeating hosts and shapes, crowding
the tables past their sizes, and hold every answer to the Python transform's.
"""

from __future__ import annotations

import io
import random
import string
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench_modules import bench_module, patients_dump
from compiled_twin import requires_compiled_twin
from scrubphi import _impl, scrub_stream
from scrubphi.policy import loads_policy
from scrubphi.policy.model import TransformSpec
from scrubphi.transforms import build_transform
from scrubphi.transforms.base import BuiltTransform, ColumnInfo, TransformContext

pytestmark = requires_compiled_twin  # (see compiled_twin.py)

KEY = b"0123456789abcdef0123456789abcdef"
TEXT = ColumnInfo("c", "text")
HOSTS = ["gmail.com", "hotmail.com", "att.net", "proton.me", "mail.example.org",
         "Example.COM", "x.io", "a-b.c-d.e", "123.net", "y" * 40, "z" * 41]


@pytest.fixture(scope="module")
def fast() -> ModuleType:
    return _impl.load("compiled")


def _built(spec: TransformSpec) -> BuiltTransform:
    return build_transform(spec, TEXT, TransformContext(key=KEY))


def _unique(provider: str) -> BuiltTransform:
    return _built(TransformSpec("fake", {"provider": provider, "unique": True,
                                         "locale": "en_US"}))


def _check(fn: object, built: BuiltTransform, values: list[str]) -> int:
    """Every value through one stateful kernel and the Python function; the answers."""
    answered = 0
    for value in values:
        got = fn(value)  # type: ignore[operator]
        if got is None:
            continue  # declined: the codec runs the Python function
        assert got == built.fn(value), value
        answered += 1
    return answered


_LOCAL = st.from_regex(r"\A[a-zA-Z0-9._-]{0,34}\Z")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(emails=st.lists(st.tuples(_LOCAL, st.sampled_from(HOSTS)), min_size=1, max_size=40))
def test_email_host_memo_hits_are_the_pure_answers(
        fast: ModuleType, emails: list[tuple[str, str]]) -> None:
    """Hosts repeat within one kernel (memo hits), beside ones too long to memoise."""
    built = _unique("email")
    assert built.kernel is not None
    fn = fast.KernelFn(built.kernel)
    values = [f"{local}@{host}" for local, host in emails]
    _check(fn, built, values + values[::-1])


def test_email_host_memo_slots_replaced(fast: ModuleType) -> None:
    """More hosts than the memo's 256 slots: colliding hosts replace each other, and a
    host seen again after its slot was taken is tokenized again, to the same answer."""
    built = _unique("email")
    assert built.kernel is not None
    fn = fast.KernelFn(built.kernel)
    rng = random.Random(13)
    hosts = ["".join(rng.choice(string.ascii_lowercase + string.digits + ".-")
                     for _ in range(rng.randint(1, 20))) + ".com" for _ in range(700)]
    values = [f"u{i}.x@{host}" for i, host in enumerate(hosts)]
    values += [f"again{i}@{host}" for i, host in enumerate(reversed(hosts))]
    assert _check(fn, built, values) == len(values)


def test_url_host_memo(fast: ModuleType) -> None:
    built = _unique("url")
    assert built.kernel is not None
    fn = fast.KernelFn(built.kernel)
    values = [f"https://{host}/p/{i}?q={i * 7}" for i in range(40) for host in HOSTS[:5]]
    values += ["http://", "ftp://a", "https://x.io:8080/a", "mailto:x@y"]
    assert _check(fn, built, values) >= 200


def test_shape_table_cleared_and_refilled(fast: ModuleType) -> None:
    """More shapes than half the table (where it is cleared): the shapes seen before the
    clearing are derived again, to the same round keys, and ``{tokenize: digits}`` on
    integers (whose shapes are also held outside the table) goes on agreeing."""
    built = _built(TransformSpec("tokenize", {"alphabet": "alnum"}))
    assert built.kernel is not None
    fn = fast.KernelFn(built.kernel)
    # 2,415 distinct shapes (a letter, n digits, a dash, m digits), all under 2**248.
    shapes = [f"a{'1' * n}-{'2' * m}" for n in range(1, 70) for m in range(1, 71 - n)]
    values = shapes + shapes[:300] + [s.upper() for s in shapes[-300:]]
    assert _check(fn, built, values) == len(values)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(locals_=st.lists(st.from_regex(r"\A[a-z]{20,40}[0-9]{0,12}\Z"), min_size=1, max_size=12))
def test_long_local_parts_256_bit_path(fast: ModuleType, locals_: list[str]) -> None:
    """Local parts past 2**124 (the 256-bit Feistel network, its SipHash state kept
    after the key and the blocks shared by a round's hashes), twice each."""
    built = _unique("email")
    assert built.kernel is not None
    fn = fast.KernelFn(built.kernel)
    values = [f"{local}@gmail.com" for local in locals_]
    _check(fn, built, values + values)


@pytest.mark.parametrize("step", [2, 3, 4], ids=["unique", "when", "hash-mask"])
def test_ladder_policies_past_the_per_cache_verdict(step: int) -> None:
    """More patients than the per-offset cache's first verdict (8,192 look-ups), every
    row its own id, so the cache is bypassed (a shift per id, and a row condition's
    shift-per branch), beside unique e-mails whose hosts hit the memo and whose
    local parts fill the shape table: both codecs write the same bytes."""
    mix = bench_module("policy_mix")
    name, changes = mix.LADDER[step]
    policy = loads_policy(mix.policy_text(changes), "policy_mix.yaml")
    dump = patients_dump(1_800_000, seed=13)
    assert dump.count(b"\n") > 10_000
    outputs = []
    for codec in (_impl.load("pure"), _impl.load("compiled")):
        out = io.BytesIO()
        scrub_stream(io.BytesIO(dump), out, policy, codec=codec)
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1], name
