"""``{fake: P, unique: true}``: one-to-one by construction, stateless, refused where impossible.

The unique fakes are keyed bijections (``scrubphi.transforms.unique``): these
tests hold them one-to-one on many distinct and adversarially close inputs
(both twins: the Python function and, where there is one, the compiled
kernel), check what each construction keeps (SSN class, Luhn, mod-97, VIN
check digit, UUID version, the reserved ``.example`` name), that the same
input gives the same fake in any column and context, and every refusal.
"""

from __future__ import annotations

import importlib.util
import io
import random
import re
import string
from pathlib import Path
from types import ModuleType

import pytest

from scrubphi import _impl, scrub_stream
from scrubphi.errors import DumpError, PolicyError
from scrubphi.policy import loads_policy
from scrubphi.policy.model import TransformSpec
from scrubphi.transforms import build_transform
from scrubphi.transforms.base import BuiltTransform, ColumnInfo, TransformContext
from scrubphi.transforms.tokenize import Permutation
from scrubphi.transforms.unique import REFUSED, UNIQUE_CONSTRUCTIONS, never_issued

KEY = b"unique-test-key-0123456789abcdef"
TEXT = ColumnInfo("c", "text")


def unique(provider: str) -> TransformSpec:
    return TransformSpec("fake", {"provider": provider, "unique": True, "locale": "en_US"})


def built(provider: str, column: ColumnInfo = TEXT, key: bytes = KEY) -> BuiltTransform:
    return build_transform(unique(provider), column, TransformContext(key=key))


def _compiled() -> ModuleType | None:
    try:
        return _impl.load("compiled")
    except ImportError:
        return None


FAST = _compiled()


def twins(b: BuiltTransform) -> list[object]:
    """The Python function and, when built, the compiled kernel (None: it declined)."""
    out: list[object] = [b.fn]
    if FAST is not None and b.kernel is not None:
        kernel = b.kernel

        def compiled(value: str) -> str | None:
            assert FAST is not None
            got = FAST._kernel_apply(kernel, FAST.escape_field(value.encode()))
            return None if got is None else got.decode()

        out.append(compiled)
    return out


def _near_duplicates(seed: str) -> list[str]:
    """Values one edit away from ``seed``: the inputs a careless construction merges."""
    out = {seed, seed.upper(), seed.lower(), " " + seed, seed + " ", seed + ".", seed[:-1]}
    for i in range(len(seed)):
        out.add(seed[:i] + seed[i + 1 :])
        for c in ("0", "9", "a", "Z", "-", "@", ".", "/"):
            out.add(seed[:i] + c + seed[i + 1 :])
    return sorted(out)


def _inputs(provider: str, n: int) -> list[str]:
    rnd = random.Random(provider)
    alphabet = string.ascii_letters + string.digits + "@.-:/ _+"
    values = {
        "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 24))) for _ in range(n // 2)
    }
    values |= {f"{i:09d}" for i in range(0, 10**9, 10**9 // (n // 4))}
    values |= {f"{i // 10**6:03d}-{i // 10**4 % 100:02d}-{i % 10**4:04d}"
               for i in range(0, 10**9, 10**9 // (n // 4))}
    for seed in ("123-45-6789", "123456789", "john.smith@mail.org", "https://a.org/x?y=1",
                 "4111 1111 1111 1111", "GB82WEST12345698765432", "1HGCM82633A004352",
                 "0b7ad3c3-9f6e-4d2b-8a3c-1f2e3d4c5b6a", "10.0.0.1", "2001:db8::1", "jsmith"):
        values.update(_near_duplicates(seed))
    values.update(["", "@", "@@", "a@", "@b", "a@b", "a@b@c", "example", "a@example",
                   "x://", "x://example", "https://", "000-00-0000", "000000000", "666-12-3456"])
    return sorted(values)


@pytest.mark.parametrize("provider", sorted(UNIQUE_CONSTRUCTIONS))
def test_unique_fake_is_one_to_one_on_distinct_and_near_duplicate_inputs(provider: str) -> None:
    """No two distinct inputs share a fake, on both twins, across every shape of input."""
    inputs = _inputs(provider, 4000 if provider in ("uuid4", "vin", "ipv4", "ipv6") else 20000)
    for fn in twins(built(provider)):
        outs: dict[str, str] = {}
        for value in inputs:
            out = fn(value)  # type: ignore[operator]
            if out is None:
                continue  # the kernel declined: the codec calls the Python function
            assert out not in outs, f"{provider}: two inputs share a fake"
            outs[out] = value
        assert len(outs) > len(inputs) // 3


def test_compiled_kernel_agrees_with_python_on_every_input() -> None:
    """The kernel of ssn, email, url and the tokenized providers gives the Python output."""
    if FAST is None:
        pytest.skip("no compiled twin in this install")
    for provider in ("ssn", "email", "url", "user_name", "phone_number"):
        for column in (TEXT, ColumnInfo("c", "character varying", max_length=10)):
            if provider in ("email", "url") and column.max_length:
                column = ColumnInfo("c", "character varying", max_length=20)
            b = built(provider, column)
            py, compiled = twins(b)
            accepted = 0
            for value in _inputs(provider, 4000):
                got = compiled(value)  # type: ignore[operator]
                if got is None:
                    continue
                accepted += 1
                assert got == py(value), provider  # type: ignore[operator]
            assert accepted > 1000, provider


def test_ssn_keeps_its_class_and_its_format() -> None:
    """Never-issued SSNs stay never-issued, issued-shaped stay issued-shaped; dashes are kept."""
    fn = built("ssn").fn
    rnd = random.Random(7)
    for _ in range(20000):
        x = rnd.randrange(10**9)
        digits = f"{x:09d}"
        out = fn(digits)
        assert re.fullmatch(r"\d{9}", out)
        assert never_issued(int(out)) == never_issued(x)
        dashed = fn(f"{digits[:3]}-{digits[3:5]}-{digits[5:]}")
        assert dashed == f"{out[:3]}-{out[3:5]}-{out[5:]}"
    # Not SSN-shaped: the shape is kept (so it can never look like an SSN-shaped output).
    assert re.fullmatch(r" \d{3}-\d{2}-\d{4}", fn(" 123-45-6789"))
    assert re.fullmatch(r"[a-z]{3}-\d{2}", fn("abc-12"))


def test_ssn_in_a_narrow_column_is_nine_digits_and_spellings_meet() -> None:
    """Compact mode (varchar(9) or (10)): nine digits; 123-45-6789 and 123456789 are one SSN."""
    narrow = built("ssn", ColumnInfo("c", "character varying", max_length=10))
    wide = built("ssn")
    assert narrow.fn("123-45-6789") == narrow.fn("123456789") == wide.fn("123456789")
    assert re.fullmatch(r"\d{9}", narrow.fn("123-45-6789"))


def test_cycle_walking_restricts_a_permutation_to_a_bijection_of_a_subset() -> None:
    """The construction behind the SSN classes, exhaustively on a small domain."""
    perm = Permutation(b"k" * 16, 1000)
    odd = [x for x in range(1000) if x % 7 == 3]

    def walk(x: int) -> int:
        y = perm(x)
        while y % 7 != 3:
            y = perm(y)
        return y

    assert sorted(walk(x) for x in odd) == odd


def test_email_and_url_hosts_are_reserved_and_shapes_separate() -> None:
    """Every address with "@" lands under .example; values without "@" never get one."""
    email = built("email").fn
    out = email("John.Smith@Gmail.com")
    assert re.fullmatch(r"[A-Z][a-z]{3}\.[A-Z][a-z]{4}@[A-Z][a-z]{4}\.[a-z]{3}\.example", out)
    assert email("a@b@c.org").count("@") == 2 and email("a@b@c.org").endswith(".example")
    assert email("nobody") != "nobody" and "@" not in email("nobody")
    assert email("x@").endswith("@example")
    url = built("url").fn
    assert re.fullmatch(r"https://[a-z]{3}\.[a-z]{7}\.[a-z]{3}\.example/[a-z]\?[a-z]{2}=\d",
                        url("https://www.mychart.org/p?id=1"))
    assert url("https://h:8080/x").startswith("https://") and ".example:" in url("https://h:8080/x")
    assert "://" not in url("no scheme here")


def test_check_digits_and_versions_are_kept() -> None:
    """Luhn, IBAN mod-97 and VIN check digits stay valid (invalid stay invalid); v4 stays v4."""

    def luhn_ok(number: str) -> bool:
        digits = [int(c) for c in number if c.isdigit()]
        total = sum(d if i % 2 == 0 else (2 * d - 9 if d > 4 else 2 * d)
                    for i, d in enumerate(reversed(digits)))
        return total % 10 == 0

    card = built("credit_card_number").fn
    for body in range(400000000000000, 400000000000000 + 3000):
        valid = next(f"{body}{c}" for c in "0123456789" if luhn_ok(f"{body}{c}"))
        invalid = valid[:-1] + str((int(valid[-1]) + 3) % 10)
        assert luhn_ok(card(valid)) and not luhn_ok(card(invalid))
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", card("4111 1111 1111 1111"))

    iban = built("iban").fn
    for value in ("GB82WEST12345698765432", "DE89370400440532013000",
                  "GB82 WEST 1234 5698 7654 32"):
        out = iban(value)
        assert out[:2] == value[:2] and len(out) == len(value)
        assert int("".join(str(int(c, 36)) for c in (out[4:] + out[:4]).replace(" ", ""))) % 97 == 1

    vin = built("vin").fn
    weights = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
    values = dict(zip("ABCDEFGHJKLMNPRSTUVWXYZ",
                      (1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9),
                      strict=True))

    def vin_ok(v: str) -> bool:
        total = sum((int(c) if c.isdigit() else values[c]) * w
                    for c, w in zip(v, weights, strict=True))
        return v[8] == ("X" if total % 11 == 10 else str(total % 11))

    out = vin("1HGCM82633A004352")
    assert vin_ok("1HGCM82633A004352") and vin_ok(out) and not set(out) & set("IOQ")
    assert not vin_ok(vin("1HGCM82643A004352"))

    uuid = built("uuid4").fn
    out = uuid("0b7ad3c3-9f6e-4d2b-8a3c-1f2e3d4c5b6a")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", out)
    assert uuid("00000000-0000-1000-8000-000000000000")[14] != "4" or \
        uuid("00000000-0000-1000-8000-000000000000")[19] not in "89ab"


def test_same_fake_in_every_column_context_and_process_order() -> None:
    """No state: another column, another context, any order gives the same fake."""
    values = [f"{i:03d}-45-{i:04d}" for i in range(1, 500)] + [f"p{i}@x.org" for i in range(500)]
    for provider in ("ssn", "email"):
        a = build_transform(unique(provider), TEXT, TransformContext(key=KEY)).fn
        b = build_transform(unique(provider), ColumnInfo("m", "character varying", max_length=40),
                            TransformContext(key=KEY)).fn
        assert [a(v) for v in values] == list(reversed([b(v) for v in reversed(values)]))
        other = build_transform(unique(provider), TEXT, TransformContext(key=b"x" * 32)).fn
        assert sum(a(v) == other(v) for v in values) <= 2


@pytest.mark.parametrize("provider", sorted(REFUSED))
def test_pool_providers_are_refused_at_policy_load(provider: str) -> None:
    """A pool smaller than the inputs cannot be one-to-one: the policy names column and size."""
    text = f"""
version: 1
scrub:
  tables:
    public.patients:
      columns:
        full_name: {{fake: {provider}, unique: true}}
"""
    with pytest.raises(PolicyError) as info:
        loads_policy(text, "policy.yaml")
    message = str(info.value)
    assert "public.patients" in message and "full_name" in message
    assert "value space has only about" in message and "tokenize: alnum" in message


def test_binding_refusals_name_the_reason() -> None:
    """Columns a unique fake can never fit, and cidr host bits, are refused at build time."""
    narrow = {"ssn": 8, "email": 10, "url": 12, "uuid4": 35}
    for provider, width in narrow.items():
        with pytest.raises(ValueError, match="needs at least"):
            built(provider, ColumnInfo("c", "character varying", max_length=width))
        built(provider, ColumnInfo("c", "character varying", max_length=width + 1))
    with pytest.raises(ValueError, match="host bits"):
        built("ipv4", ColumnInfo("c", "cidr"))


DUMP = """\
CREATE TABLE public.people (
    id integer,
    email character varying(20)
);

COPY public.people (id, email) FROM stdin;
1\tab@c.org
2\tsecret.person@c.org
\\.

--
-- PostgreSQL database dump complete
--

"""


@pytest.mark.parametrize("codec_name", ["pure", "compiled"])
def test_a_fake_too_long_for_its_column_stops_the_run_without_the_value(codec_name: str) -> None:
    """Never cut (a cut fake could repeat): the error names table, column and line, no value."""
    if codec_name == "compiled" and FAST is None:
        pytest.skip("no compiled twin in this install")
    policy = loads_policy("""
version: 1
scrub:
  tables:
    public.people:
      columns:
        id: keep
        email: {fake: email, unique: true}
""", "p.yaml")
    out = io.BytesIO()
    with pytest.raises(DumpError) as info:
        scrub_stream(io.BytesIO(DUMP.encode()), out, policy, key=KEY,
                     codec=_impl.load(codec_name))
    message = str(info.value)
    assert "public.people" in message and "email" in message and "line 8" in message
    assert "20 characters" in message and "secret" not in message and "person" not in message


def test_the_module_keeps_no_memo() -> None:
    """Constant memory: the unique module holds no mapping of values seen."""
    spec = importlib.util.find_spec("scrubphi.transforms.unique")
    assert spec is not None and spec.origin is not None
    source = Path(spec.origin).read_text(encoding="utf-8")
    assert "UniqueMemo" not in source and "used.add" not in source
    ctx = TransformContext(key=KEY)
    fn = build_transform(unique("email"), TEXT, ctx).fn
    for i in range(70000):
        fn(f"user{i}@mail.org")
    sizes = [len(v) for v in ctx.shared.values() if isinstance(v, dict)]
    assert max(sizes, default=0) <= 65536  # only the bounded shared-results cache
