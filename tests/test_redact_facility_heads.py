"""The late pass's care facilities find their head ("Nursing Home", "REHAB CENTER",
"General") by looking the text before a head's last word up in a list of the heads
(``late._head_at``) instead of searching ``late._HEAD`` over the 40 characters before
it: the list is the pattern's language, and the lookup finds what the search finds.
The head's last words are found by the compiled scan in one pass over the text
(``_redact_fast.head_starts``), by the pure one with ``str.find`` (``late._head_starts``):
the two give the same positions.
"""

from __future__ import annotations

import re._constants as sre_c
import re._parser as sre_parse

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scrubphi.transforms.redact import late

try:
    from scrubphi import _redact_fast as fast
except ImportError:  # not built: the twin test is about the compiled scan only
    fast = None  # type: ignore[assignment]

needs_compiled = pytest.mark.skipif(fast is None, reason="scrubphi._redact_fast is not built")

HYPOTHESIS = settings(max_examples=300, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])


def _language(items: sre_parse.SubPattern | list) -> set[str]:  # type: ignore[type-arg]
    """Every string a pattern of literals, classes of literals, alternatives, groups and
    bounded repeats matches (its anchors left out)."""
    out = {""}
    for op, av in items:
        if op is sre_c.LITERAL:
            options = {chr(av)}
        elif op is sre_c.IN:
            assert all(o is sre_c.LITERAL for o, _ in av), av
            options = {chr(c) for _, c in av}
        elif op is sre_c.BRANCH:
            options = set().union(*(_language(b) for b in av[1]))
        elif op is sre_c.SUBPATTERN:
            options = _language(av[3])
        elif op is sre_c.MAX_REPEAT:
            lo, hi, sub = av
            assert hi <= 4, av
            inner = _language(sub)
            options = set()
            for k in range(lo, hi + 1):
                got = {""}
                for _ in range(k):
                    got = {a + b for a in got for b in inner}
                options |= got
        elif op is sre_c.AT:
            continue
        else:  # pragma: no cover - a new construct in the pattern
            raise AssertionError(f"unexpected {op} in the heads' pattern")
        out = {a + b for a in out for b in options}
    return out


def test_the_heads_list_is_the_patterns_language() -> None:
    """Each group of ``_HEAD`` matches exactly the phrases listed with its name."""
    want: dict[str, str] = {}
    for group, source in (("t", late._HEADS), ("c", late._HEADS.upper()),
                          ("g", "General|GENERAL")):
        for phrase in _language(sre_parse.parse(source)):
            assert phrase not in want, phrase
            want[phrase] = group
    assert want == late._HEAD_PHRASES
    for phrase, group in want.items():
        m = late._HEAD.fullmatch(phrase)
        assert m is not None and m.lastgroup == group


_WORDS = sorted({w for p in late._HEAD_PHRASES for w in p.split(" ")}
                | {"and", "AND", "&", "Home", "Homes", "Nurse", "CARE", "care", "XNursing",
                   "Rest", "Livin", "Center's"})


@st.composite
def head_text(draw: st.DrawFn) -> tuple[str, int, int]:
    parts = draw(st.lists(st.one_of(st.sampled_from(_WORDS), st.sampled_from(
        sorted(late._HEAD_PHRASES)), st.text(st.sampled_from(" x.,\n"), max_size=3)),
        max_size=8))
    text = " ".join(parts)
    end = draw(st.integers(0, len(text)))
    pos = draw(st.integers(0, end))
    return text, pos, end


def _searched(text: str, pos: int, end: int) -> tuple[int, str] | None:
    m = late._HEAD.search(text, pos, end)
    if m is None:
        return None
    assert m.end() == end and m.lastgroup is not None
    return m.start(), m.lastgroup


@given(head_text())
@HYPOTHESIS
@example(("to the Nursing and Rehabilitation Center", 0, 40))
@example(("to the Nursing and Rehabilitation Center", 10, 40))
@example(("SKILLED NURSING FACILITY", 0, 24))
@example(("Brigadier General", 0, 17))
@example(("Rest Homes", 0, 9))
@example(("Rest Homes", 1, 10))
@example(("", 0, 0))
def test_the_heads_lookup_finds_what_the_search_finds(case: tuple[str, int, int]) -> None:
    text, pos, end = case
    assert late._head_at(text, pos, end) == _searched(text, pos, end)


@given(st.lists(st.sampled_from([*_WORDS, "Oak", "MERCY", "the", "at", "from", "St.", "\n"]),
                max_size=12).map(" ".join))
@HYPOTHESIS
@example("He moved to Sunrise Assisted Living. Seen at MERCY GENERAL and Oak Rest Home")
def test_the_facilities_are_the_searchs(text: str) -> None:
    """The facilities' rule with the lookup puts what it put with the search."""
    from scrubphi.transforms.redact.structured import Spans

    def with_search(text: str, pos: int, end: int) -> tuple[int, str] | None:
        return _searched(text, pos, end)

    runs = []
    for head_at in (late._head_at, with_search):
        out = Spans(text, None, record=False)
        saved = late._head_at
        late._head_at = head_at  # type: ignore[assignment]
        try:
            late._facilities(text, out, frozenset({"oak", "the"}), str.swapcase)
        finally:
            late._head_at = saved  # type: ignore[assignment]
        runs.append(sorted(out.spans))
    assert runs[0] == runs[1]


# Texts of the head words' beginnings, cut anywhere, in any case, beside letters outside
# ASCII and at the text's end.
_PIECES = [*late._HEAD_LAST_STARTS, "Liv", "HOM", "Cen", "Ce", "FACILIT", "Genera", "G",
           "Homes", "living", "home", "\u0130", "\u00c9", "\u212a", "\u0131", "H\u00f6me", " ",
           "\n", "x", "Z", "A", "@", "["]


@needs_compiled
@given(st.lists(st.sampled_from(_PIECES), max_size=14).map("".join))
@HYPOTHESIS
@example("GENERAL HOME Home Living LIVING Cent CENT Facility Community VILLAGE Village")
@example("HomeHOMEHom")
@example("Hom")
@example("")
def test_the_head_starts_twins_agree(text: str) -> None:
    assert fast is not None
    assert fast.head_starts(text) == sorted(set(late._head_starts(text)))
