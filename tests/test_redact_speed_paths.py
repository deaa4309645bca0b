"""The compiled redactor's shortcuts (the speed round of issues 11 and 13), each
against what it stands for.

* ``Engine.finish`` builds the redacted text in C: the same text as
  ``Spans.finish`` for any spans (overlapping, nested, tied).
* ``Redactor.redact`` returns the text itself when the compiled scan found
  nothing (no address-block walk, no finish): what the pure path returns.
* ``Engine._words`` compares the words with the spans as sorted C pairs: the
  twins agree on texts dense in findings that hide words.
* The reading's vectors are kept between scans (``Engine.spare``): one engine
  over texts long and short, and a scan started inside a scan, give what fresh
  engines give.
* The phone words' group is tried only where a digit follows its words
  (``_phone_digit_near``): where that says no, the group's pattern does not match.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scrubphi.transforms.base import TransformContext
from scrubphi.transforms.redact import Redactor
from scrubphi.transforms.redact.structured import Spans

KEY = b"speed-path-test-key-0123456789ab"

try:
    from scrubphi import _redact_fast as fast
except ImportError:  # not built: these tests are about the compiled scan only
    fast = None  # type: ignore[assignment]

needs_compiled = pytest.mark.skipif(fast is None, reason="scrubphi._redact_fast is not built")

HYPOTHESIS = settings(max_examples=200, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])

PIECES = [
    "Pager 83554", "pager #: 4455", "call me on (64) 3591-3246", "call 911", "call her back",
    "Phone: 0490 75 40 81", "telephone number: +1 617 555 1234", "reach me at\n 555-1234",
    "home today", "work 12", "office\t# 5", "ext 4455", "fax: 617.555.1234", "cell +(1) 2",
    "ph\u212a 3", "tel. \u0663", "contact: x", "pg 1", "beep\n\n2", "desk (", "PHONE NUMBER 5",
    "John Smith", "12 Oak Street", "Boston, MA 02139", "SSN 123-45-6789", "03/04/2021",
    "Dr. Lee", "pt id 12345", "user@example.com", "Apt 3", "-", "(", "+", ":", "#", ".",
]
SEPARATORS = [" ", "", ", ", ". ", "\n", "\t", ":", " - ", "/", "  "]


@st.composite
def phone_text(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 12))):
        parts.append(draw(st.one_of(
            st.sampled_from(PIECES),
            st.sampled_from(PIECES).map(str.upper),
            st.text(st.characters(blacklist_characters="\0"), max_size=5),
            st.from_regex(r"[a-z #:.+(\t\n]{0,8}[0-9]{0,3}", fullmatch=True),
        )))
        parts.append(draw(st.sampled_from(SEPARATORS)))
    return "".join(parts)


def _twins() -> tuple[Redactor, Redactor]:
    ctx = TransformContext(key=KEY)
    return Redactor(ctx, compiled=True), Redactor(ctx, compiled=False)


@needs_compiled
@given(st.one_of(phone_text(), st.text(st.characters(blacklist_characters="\0"))))
@HYPOTHESIS
@example("pager 83554 call me on (64) 3591-3246 Phone: 0490 75 40 81 telephone number: "
         "+1 617 555 1234 reach me at\n 555-1234 call her back home today PAGER\t#:\n 12")
@example("telephone telephone telephone 5 call me on number 4 extension no. 7")
def test_phone_group_is_tried_only_near_a_digit(text: str) -> None:
    """Where _phone_digit_near says no, the phone words' pattern does not match."""
    assert fast is not None
    groups = Redactor(TransformContext(key=KEY), compiled=False)._re.words
    triggers, pat = next((t, p) for t, p in groups if "pager" in t and "call" in t)
    for start, end in fast.read(text)[0]:
        if text[start:end].lower() in triggers and not fast.phone_digit_near(text, start):
            assert pat.match(text, start) is None, (start, end)


@needs_compiled
@given(st.one_of(phone_text(), st.text(st.characters(blacklist_characters="\0"))))
@HYPOTHESIS
def test_twins_agree_on_phone_words(text: str) -> None:
    fast_r, pure_r = _twins_cached()
    assert fast_r.redact(text, "p1") == pure_r.redact(text, "p1")
    assert fast_r.find(text) == pure_r.find(text)


_TWINS: list[tuple[Redactor, Redactor]] = []


def _twins_cached() -> tuple[Redactor, Redactor]:
    if not _TWINS:
        _TWINS.append(_twins())
    return _TWINS[0]


@st.composite
def spans_of(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, int, str, str]]]:
    text = draw(st.text(st.characters(blacklist_characters="\0"), max_size=40))
    n = len(text)
    spans = []
    for _ in range(draw(st.integers(0, 8))):
        start = draw(st.integers(0, n))
        end = draw(st.integers(start, n))
        spans.append((start, draw(st.sampled_from([0, 1])), end,
                      draw(st.sampled_from(["name", "date", "zip"])),
                      draw(st.text(max_size=6))))
    return text, spans


@needs_compiled
@given(spans_of())
@HYPOTHESIS
@example(("abcdef", [(1, 1, 3, "name", "X"), (1, 0, 5, "zip", "Y"), (2, 1, 4, "date", "Z")]))
@example(("abcdef", [(1, 1, 3, "name", "B"), (1, 1, 3, "name", "A"), (3, 1, 3, "zip", "")]))
def test_engine_finish_is_spans_finish(case: tuple[str, list[tuple[int, int, int, str, str]]]
                                       ) -> None:
    text, spans = case
    fast_r, _ = _twins_cached()
    assert fast_r._engine is not None
    out = Spans(text, None, record=False)
    out.spans = list(spans)
    assert fast_r._engine.finish(text, list(spans)) == out.finish()


def test_nothing_found_gives_the_text_itself() -> None:
    for compiled in ([True, False] if fast is not None else [False]):
        r = Redactor(TransformContext(key=KEY), compiled=compiled)
        text = "".join(["Pt resting comfortably, no complaints."])
        assert r.redact(text) is text
        assert r.redact("") == ""


DENSE = [
    "Lives at 12 Oak Avenue Apt 3, Boston, MA 02139. Dr. Smith reviewed with wife Mary.",
    "John Smith SSN 123-45-6789 call (617) 555-1234 email john.smith@gmail.com MRN: 1234567",
    "Admitted 03/04/2021, discharged March 4, 2021 by Dr. Garcia; IP 10.1.2.3 Maria Lopez",
    "12 Oak Street 12 Oak Street John 12 Oak Street Smith, 02139 Boston John Boston",
    "pt id 12345 pt id 12345 Mary Mary Mary 03/04 03/04 Jones 5 Main St Jones",
]


@needs_compiled
def test_twins_agree_where_findings_hide_words() -> None:
    fast_r, pure_r = _twins()
    for i, text in enumerate(DENSE + [" ".join(DENSE)] + [t.upper() for t in DENSE]):
        assert fast_r.redact(text, "p1") == pure_r.redact(text, "p1"), f"text {i}"
        assert fast_r.find(text) == pure_r.find(text), f"text {i}"


@needs_compiled
def test_one_engine_over_long_and_short_texts() -> None:
    """The reading's vectors, kept from a long text, serve a short one and back."""
    texts = [" ".join(DENSE) * 30, "x", "", DENSE[0], " ".join(DENSE) * 5, "5", DENSE[1]] * 3
    kept, _ = _twins()
    for i, text in enumerate(texts):
        fresh, _ = _twins()
        assert kept.redact(text, "p1") == fresh.redact(text, "p1"), f"text {i}"
        assert kept.find(text) == fresh.find(text), f"text {i}"


@needs_compiled
def test_a_scan_inside_a_scan() -> None:
    """A handler's Python code that scans another text (as a surrogate function
    could) while the first scan is under way: both give what they give alone."""
    fast_r, pure_r = _twins()
    inner_text = DENSE[2] + " " + DENSE[0]  # (no SSN: its handler is the nested one)
    seen: list[str] = []
    handler = fast_r._handlers["ssn"]

    def nested(m: re.Match[str], out: Spans) -> None:
        seen.append(fast_r.redact(inner_text, "p1"))
        handler(m, out)

    fast_r._handlers["ssn"] = nested
    try:
        outer = fast_r.redact(DENSE[1] * 3, "p1")
    finally:
        fast_r._handlers["ssn"] = handler
    assert seen and all(s == pure_r.redact(inner_text, "p1") for s in seen)
    assert outer == pure_r.redact(DENSE[1] * 3, "p1")
    assert fast_r.redact(DENSE[0], "p1") == pure_r.redact(DENSE[0], "p1")
