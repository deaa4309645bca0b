"""Differential property: pure == compiled == one-shot, whatever the chunking.

Hypothesis builds dump-like input (tables with awkward names, rows with
escapes, control characters, U+2028, multibyte text, NULLs) and a policy
mixing transforms; the scrubbed output must be the same from the pure and
the compiled codec, fed in one piece or split at random points.  PHI leaks
hide exactly where twins differ.
"""

from __future__ import annotations

from types import ModuleType

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrubphi import Scrubber, _impl
from scrubphi.policy import loads_policy

KEY = b"differential-test-key-0123456789"

TRANSFORMS = [
    "keep",
    "null",
    "hash",
    "{value: redacted}",
    "{fake: name}",
    "{fake: email}",
    "{mask: {keep_last: 2}}",
    "{tokenize: alnum}",
    "{tokenize: digits}",
]

text_values = st.one_of(
    st.none(),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
        max_size=30,
    ),
    st.sampled_from(["\\N", "\\.", "a\tb", "x\ny", "\u2028", "\x85", "é😀", "123-45-6789", ""]),
)
names = st.text(alphabet="abcXY z,_\t\"'.", min_size=1, max_size=8)


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def yaml_key(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t") + '"'


@st.composite
def dumps(draw: st.DrawFn) -> tuple[bytes, str]:
    """A dump of one to three tables and a policy covering every column."""
    codec = _impl.load("pure")
    ntables = draw(st.integers(1, 3))
    parts = [b"SET standard_conforming_strings = on;\n\n"]
    policy = ["version: 1", "scrub:", "  tables:"]
    used: set[str] = set()
    for t in range(ntables):
        table = draw(names.filter(lambda n: n not in used))
        used.add(table)
        ncols = draw(st.integers(0, 5))
        cols = draw(st.lists(names, min_size=ncols, max_size=ncols, unique=True))
        coldefs = ",\n".join(f"    {quote(c)} text" for c in cols)
        parts.append(f"CREATE TABLE public.{quote(table)} (\n{coldefs}\n);\n\n".encode())
        policy.append(f"    {yaml_key('public.' + quote(table))}:")
        if cols:
            policy.append("      columns:")
            for c in cols:
                policy.append(f"        {yaml_key(quote(c))}: {draw(st.sampled_from(TRANSFORMS))}")
        else:
            policy[-1] += " keep"
        header = ", ".join(quote(c) for c in cols)
        collist = f" ({header})" if cols else " "
        parts.append(f"COPY public.{quote(table)}{collist} FROM stdin;\n".encode())
        for _ in range(draw(st.integers(0, 6))):
            row = []
            for _c in cols:
                value = draw(text_values)
                if value is None:
                    row.append(b"\\N")
                else:
                    row.append(codec.escape_field(value.encode()))
            parts.append(b"\t".join(row) + b"\n")
        parts.append(b"\\.\n\n")
        del t
    parts.append(b"--\n-- PostgreSQL database dump complete\n--\n")
    return b"".join(parts), "\n".join(policy) + "\n"


def scrub(data: bytes, policy_text: str, codec: ModuleType, cuts: list[int]) -> bytes:
    scrubber = Scrubber(loads_policy(policy_text, "prop.yaml"), codec=codec, key=KEY)
    out = []
    last = 0
    for cut in sorted(cuts):
        out.append(scrubber.feed(data[last:cut]))
        last = cut
    out.append(scrubber.feed(data[last:]))
    out.append(scrubber.close())
    return b"".join(out)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=dumps(), data=st.data())
def test_pure_compiled_and_chunked_agree(case: tuple[bytes, str], data: st.DataObject) -> None:
    """Pure and compiled codecs, one-shot and chunked, give byte-identical output."""
    dump, policy_text = case
    cuts = data.draw(st.lists(st.integers(0, len(dump)), max_size=12))
    pure = _impl.load("pure")
    reference = scrub(dump, policy_text, pure, [])
    assert scrub(dump, policy_text, pure, cuts) == reference
    if not _impl.NO_EXTENSIONS:
        compiled = _impl.load("compiled")
        assert scrub(dump, policy_text, compiled, []) == reference
        assert scrub(dump, policy_text, compiled, cuts) == reference
