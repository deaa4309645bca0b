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
* The month words', P.O. box's and SSN label's groups are tried only where
  ``_month_may``, ``_pobox_may`` and ``_ssn_may`` (or ``_label_may``) say they can
  match: where they say no, the group's pattern does not match.
* Whether a text has both cases (``_mixed``) is read eight ASCII characters a
  step: the same answer as ``str.upper``/``str.lower`` give.
* The late pass's facilities look for their head words with ``str.find``
  (``late._head_lasts``): the matches ``_HEAD_LAST.finditer`` finds.
* The surrogates of the compiled redactor come from the transforms' kernels
  (``_fast.KernelFn``): the same text as the Python functions, which still
  answer where a kernel declines a value (outside printable ASCII).
* The late pass skips a search or a rule where ``late_marks`` says it can find
  nothing: the compiled ``late_marks`` gives the bits the Python one gives, on
  texts and spans of every kind (the engine's, from the bits its scan of the
  text read, too), and the late pass with the bits it is given puts exactly the
  spans it puts with every bit set, in both scans; and it asks whether the spans
  changed only once a rule has run (``_org_possessors`` says whether it put one).
* The cheap tests before a pattern (``_with_prefix`` before ``_PHONE_PREFIX``, the
  phone words' handler before ``_SHIFT`` and ``_ISO_AT``, the address walk's
  ``_SEP`` and its ``_PIECE`` without the unit where no unit word can start) give
  what the pattern gives; the walk reads the piece's kind from ``lastgroup``.
* The compiled scan's address walk asks ``Engine.taken`` (C) where a finding starts
  and whether a range overlaps one: the answers of ``blocks._Taken``.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from compiled_twin import requires_compiled_twin
from scrubphi import _impl
from scrubphi.transforms import build_transform
from scrubphi.transforms.base import BuiltTransform, ColumnInfo, TransformContext
from scrubphi.transforms.redact import Redactor, surrogate_specs
from scrubphi.transforms.redact.detector import _kernel_first
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


GROUP_PIECES = [
    "May 3", "may be", "MAY 12TH", "Dec. '98", "dec 2020", "DEC TO 10", "March of 2020",
    "march 3rd", "mar-5", "Mar. 4", "May, 98", "may of '21", "December", "Dec", "may\u0663",
    "P.O. Box 12", "PO Box 7", "p o box 3", "P. O. BOX 1", "po box x", "p 3", "PO BOX\u0663",
    "p.o box 5", "Po.  box 4", "P MI 1992", "po at 0200", "p\u212a box 1", "p.\u00f6. box 2",
    "SSN 123456789", "ss# 123456789", "social security number: 123456789", "Social: 12",
    "SOCIAL SECURITY NO. 123456789", "ss 123456789", "social\u017fecurity 1", "SSN:\n123456789",
    "mrn 1234", "acct # 99", "pt id 12345", "-", ".", " ", "#", ",", "'",
    "Level 9, 634 Pearce Street", "Level 3 77 Ainsley Parade", "level 5", "LEVEL 2",
    "Level \u0663 12 Oak Street", "Level 4, 6 Hours", "LeveL 9", "Level\n5",
]


@st.composite
def group_text(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 10))):
        parts.append(draw(st.one_of(
            st.sampled_from(GROUP_PIECES),
            st.sampled_from(GROUP_PIECES).map(str.upper),
            st.text(st.characters(blacklist_characters="\0"), max_size=4),
            st.from_regex(r"[a-z .,'#:\n-]{0,6}[0-9]{0,3}", fullmatch=True),
        )))
        parts.append(draw(st.sampled_from(SEPARATORS)))
    return "".join(parts)


@needs_compiled
@given(st.one_of(group_text(), st.text(st.characters(blacklist_characters="\0"))))
@HYPOTHESIS
@example("May 3 may be MAY 12TH Dec. '98 dec 2020 March of 2020 mar-5 P.O. Box 12 p o box 3 "
         "P MI 1992 SSN 123456789 ss# 123456789 social security number: 123456789 Social: 12")
@example("Level 9, 634 Pearce Street, level 5, Level 4, 6 Hours; Level \u0663 12 Oak Street")
def test_word_groups_are_tried_only_where_they_can_match(text: str) -> None:
    """Where _month_may, _pobox_may or _level_may, or _ssn_may and _label_may say no,
    the month words', postal or label group's pattern does not match."""
    assert fast is not None
    fast_r = _twins_cached()[0]
    assert fast_r._engine is not None
    groups = fast_r._re.words
    months = next((t, p) for t, p in groups if "may" in t and "dec" in t)
    post = next((t, p) for t, p in groups if "apt" in t and "zip" in t)
    label = next((t, p) for t, p in groups if "mrn" in t and "ssn" in t)
    for start, end in fast.read(text)[0]:
        word = text[start:end].lower()
        if word in months[0] and not fast.month_may(text, start, end):
            assert months[1].match(text, start) is None, (start, end)
        if word in post[0] and not (fast.pobox_may(text, start, end)
                                    and fast.level_may(text, start, end)):
            assert post[1].match(text, start) is None, (start, end)
        if word in ("ssn", "ss", "social") and not fast.ssn_may(text, start) and \
                not fast_r._engine.label_may(text, start):
            assert label[1].match(text, start) is None, (start, end)


@needs_compiled
@given(st.one_of(phone_text(), st.text(st.characters(blacklist_characters="\0"))))
@HYPOTHESIS
def test_twins_agree_on_phone_words(text: str) -> None:
    fast_r, pure_r = _twins_cached()
    assert fast_r.redact(text, "p1") == pure_r.redact(text, "p1")
    assert fast_r.find(text) == pure_r.find(text)


@needs_compiled
@given(st.one_of(st.from_regex(r"[ -~\n]{0,40}", fullmatch=True),
                 st.from_regex(r"[A-Z0-9 .\n@\[`{]{0,40}[a-z]?[A-Z0-9 .]{0,20}", fullmatch=True),
                 st.from_regex(r"[a-z0-9 .\n@\[`{]{0,40}[A-Z]?[a-z0-9 .]{0,20}", fullmatch=True),
                 st.text(st.characters(blacklist_characters="\0"), max_size=30)))
@HYPOTHESIS
@example("@[`{" * 5)
@example("ABCDEFGH" * 3 + "z")
@example("abcdefgh" * 3 + "Z")
def test_mixed_case(text: str) -> None:
    """_mixed: both cases in the text, as str.upper and str.lower tell."""
    assert fast is not None
    assert fast.mixed(text) == (text.upper() != text and text.lower() != text)


@given(st.one_of(
    st.lists(st.sampled_from(["Living", "LIVING", "Home", "Homes", "HOMES", "Center", "Centre",
                              "CENTRE", "Cent", "Facility", "FACILITY", "Community", "Village",
                              "VILLAGE", "General", "GENERAL", "Generals", "Home's", "Sunrise",
                              "living", "CENTER", "x", " ", "-", "'", "\u2019", "Centerville"]),
             max_size=12).map("".join),
    st.text(st.characters(blacklist_characters="\0"), max_size=30)))
@HYPOTHESIS
@example("Sunrise Assisted Living Homes HOMESHOME Centerville Centre CENTER General's Village")
def test_head_lasts_are_the_patterns_matches(text: str) -> None:
    """_head_lasts finds what _HEAD_LAST.finditer finds."""
    from scrubphi.transforms.redact import late

    assert [m.span() for m in late._head_lasts(text)] == [
        m.span() for m in late._HEAD_LAST.finditer(text)]


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


# -- the surrogates' kernels -------------------------------------------------------------

# What notes hold where a surrogate is written: phone numbers, streets, towns, codes,
# names; and what a kernel declines (non-ASCII, a backslash, a lone surrogate).
SURROGATE_VALUES = [
    "555-0123", "(617) 555-1234", "+1-414-593-3919x0502", "617.555.1234", "52846 Emily Cape",
    "1234 Oak Street", "Town12", "East Maryville", "john@example.org", "123-45-6789",
    "02139", "02139-1234", "A12345", "MRN 7788", "Jose", "O'Connell", "Van Leeuwen",
    "São Paulo", "Jos\u00e9", "a\\b", "x\ud800y", "", " ", "-", "12",
]


def _surrogate_transforms() -> list[tuple[str, BuiltTransform]]:
    ctx = TransformContext(key=KEY)
    column = ColumnInfo("body", "text")
    return [(kind, build_transform(spec, column, ctx))
            for kind, spec in surrogate_specs().items() if kind != "date"]


@requires_compiled_twin
@HYPOTHESIS
@given(value=st.one_of(
    st.sampled_from(SURROGATE_VALUES),
    st.from_regex(r"[0-9A-Za-z .()+#-]{1,24}", fullmatch=True),
    st.text(max_size=12),
))
def test_the_kernel_surrogate_is_the_python_one(value: str) -> None:
    fast_codec = _impl.load("compiled")
    for kind, built in _surrogate_transforms():
        if built.kernel is None:
            continue
        got = fast_codec.KernelFn(built.kernel)(value)
        if got is not None:
            assert got == built.fn(value), kind
        if not value.isascii() or "\\" in value:
            assert got is None, kind  # outside the kernels' domain: the Python function


@requires_compiled_twin
def test_kernels_write_the_surrogates_of_notes() -> None:
    fast_codec = _impl.load("compiled")
    built = dict(_surrogate_transforms())
    # The kinds a note's findings need most have kernels, and they answer common values.
    for kind, value in (("phone", "555-0123"), ("address", "1234 Oak Street"),
                        ("city", "Town12"), ("mrn", "A12345"), ("ssn", "123-45-6789"),
                        ("email", "john@example.org"), ("zip", "02139")):
        assert built[kind].kernel is not None, kind
        assert fast_codec.KernelFn(built[kind].kernel)(value) == built[kind].fn(value), kind


@requires_compiled_twin
def test_kernel_first_asks_python_only_where_the_kernel_declines(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_impl, "_codec", _impl.load("compiled"))
    built = dict(_surrogate_transforms())["phone"]
    asked: list[str] = []

    def python(value: str | None) -> str | None:
        assert value is not None
        asked.append(value)
        return built.fn(value)

    first = _kernel_first(BuiltTransform(fn=python, kernel=built.kernel))
    assert first("555-0123") == built.fn("555-0123")
    assert first(None) is None
    assert asked == []
    assert first("555\u20110123") == built.fn("555\u20110123")  # a non-ASCII hyphen
    assert asked == ["555\u20110123"]


def test_the_pure_codec_has_no_kernel_functions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_impl, "_codec", _impl.load("pure"))
    built = dict(_surrogate_transforms())["phone"]
    assert _impl.kernel_fn(built.kernel) is None
    assert _kernel_first(built) is built.fn


@pytest.mark.parametrize("dates", ["year", "shift"])
def test_twins_agree_on_notes_of_new_values(dates: str) -> None:
    """Every note a new phone, street and patient: the compiled redactor's surrogates
    (kernels) are the pure redactor's (Python functions)."""
    notes = [f"Pt Jose seen on {1 + n % 12}/{1 + n % 28}. Lives at {n * 37 % 9999} Oak "
             f"Street, Town{n % 97}. Call 555-{n * 7919 % 10000:04d}, SSN {n:03d}-45-6789."
             for n in range(1, 400)]
    shift = dates == "shift"
    redactors = [Redactor(TransformContext(key=KEY), compiled=c, dates=dates,
                          days=365 if shift else None, per="pid" if shift else None)
                 for c in ([False, True] if fast is not None else [False])]
    outs = [[r.redact(n, str(i % 50)) if dates == "shift" else r.redact(n)
             for i, n in enumerate(notes)] for r in redactors]
    for note, out in zip(notes, outs[0], strict=True):
        phone = note.split("Call ")[1].split(",")[0]
        street = note.split("Lives at ")[1].split(",")[0]
        assert phone not in out and street not in out
    assert outs[-1] == outs[0]


# -- the late pass's gates --------------------------------------------------------------

LATE_PIECES = [
    "Ekkehart-Adolph-Ring 57, 42762 Lemgo", "Jorge Borrás 86, Ciudad", "Port Sethville, QLD, 4657",
    "Walk Score S.A.", "Viola s.r.l.", "Vilma Holm of Here", "Åberg & Palm HB", "Morante y Lamas",
    "a year at Google Public Data Explorer in Lyon", "she joined Quill Point in Oslo",
    "Lives at Holbækstræde 5, alone", "Drubstraße 22/95, 94472 Stade", "9, rue Lucas Mary",
    "Toronto, ON K1A 0B1", "aa:bb:cc:dd:ee:ff", "00-1A-2B-3C-4D-5E", "0a1b.2c3d.4e5f",
    "Reed-White", "Lord-Bell", "Home address 56/51 Perłowa.", "Sunrise Assisted Living",
    "on Monday 3/4", "Dr. Smith, SA, 1200 mg", "Sp. z o.o.", "J. Ruiz of Capital Cube",
    "She moved to Calle Mayor 5 last year", "Estação Gomes, 8", "36/63, Contractor Ganj",
    "Jan Kowalski 12, 00-950 Warszawa", "bp 90-100/40's", "sat 98-100%", "Mary Jones",
    "Hodge, Kim and Graham", "Dekker & Reimes", "Acosta and Sons", "Acosta and Sons 12",
    "works in Acosta and Sons", "Capital Cube's Anna Berg", "Dias et Fils, 3 rue Lucas",
    "Walk Score\u2019s Ann Berg", "Patient's Mary Smith",
]


@st.composite
def late_text(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 8))):
        parts.append(draw(st.one_of(st.sampled_from(LATE_PIECES),
                                    st.sampled_from(LATE_PIECES).map(str.upper),
                                    st.text(st.sampled_from(" ,.-:/\n1S2AaIin\u0663\u00b2Ⓐ"),
                                            max_size=6))))
        parts.append(draw(st.sampled_from(SEPARATORS)))
    return "".join(parts)


LATE_KINDS = ["first_name", "last_name", "place", "city", "initial", "address", "zip", "ssn",
              "date", "phone", "name"]


@st.composite
def late_spans(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, int, str, str]]]:
    text = draw(st.one_of(late_text(), st.text(st.sampled_from(" ,.-:/\n1S2AaIin\u0663Ⓐ"),
                                               max_size=16)))
    n = len(text)
    spans = []
    for _ in range(draw(st.integers(0, 6))):
        start = draw(st.integers(0, n))
        end = draw(st.integers(start, n))
        spans.append((start, 1, end, draw(st.sampled_from(LATE_KINDS)), "x"))
    return text, spans


@needs_compiled
@given(st.one_of(late_spans(), late_text().map(lambda t: (t, []))))
@HYPOTHESIS
@example(("aa:bb:cc:dd:ee:ff 00-1A-2b-3C-4d-5E Smith-Jones 0a1b.2c3d.4e5f Viola s.r.l. -AB-CD- "
          "x-\u00c0\u00df -Z\u00f7 -Tb \u0131-X", []))
@example(("Ann 5, Bo, 12 in Rome. 3 Jo S x", [(0, 1, 3, "first_name", "x"),
                                            (7, 1, 9, "place", "x"), (16, 1, 20, "city", "x"),
                                            (25, 1, 27, "last_name", "x")]))
def test_late_marks_agree(case: tuple[str, list[tuple[int, int, int, str, str]]]) -> None:
    """The compiled gates give the bits the Python ones give."""
    from scrubphi.transforms.redact.late import late_marks

    assert fast is not None
    text, spans = case
    assert fast.late_marks(text, spans) == late_marks(text, spans)
    # (the engine's, after a scan of the text: its anchors' bits as the scan read them)
    fast_r = _twins_cached()[0]
    assert fast_r._engine is not None
    fast_r._engine.scan(text, Spans(text, None, record=False))
    assert fast_r._engine.late_marks(text, spans) == late_marks(text, spans)


# Texts around "'s " and the spans of first names the possessors' gate reads (LM_POSSESSOR):
# a first name after "'s ", "\u2019s ", their look-alikes ("s ", "'S ", "`s ", "'s\t") and at
# the text's first characters.
@st.composite
def possessor_case(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, int, str, str]]]:
    text = "".join(draw(st.lists(st.sampled_from(
        ["'s ", "\u2019s ", "'S ", "`s ", "'s\t", "s ", "'", "s", " ", "Ann", "Bo", "\u2019",
         "\u00e9"]), max_size=10)))
    n = len(text)
    spans = []
    for _ in range(draw(st.integers(0, 5))):
        start = draw(st.integers(0, n))
        end = draw(st.integers(start, n))
        spans.append((start, 1, end, draw(st.sampled_from(["first_name", "last_name", "place"])),
                      "x"))
    return text, spans


@needs_compiled
@given(possessor_case())
@HYPOTHESIS
@example(("Cube's Ann Berg", [(7, 1, 10, "first_name", "x"), (11, 1, 15, "last_name", "x")]))
@example(("Cube\u2019s Ann", [(7, 1, 10, "first_name", "x")]))
@example(("'s Ann", [(3, 1, 6, "first_name", "x")]))
@example(("s Ann", [(2, 1, 5, "first_name", "x")]))
@example(("Cube's Ann", [(7, 1, 10, "last_name", "x")]))
def test_the_possessors_gate_agrees(case: tuple[str, list[tuple[int, int, int, str, str]]]
                                    ) -> None:
    """The compiled LM_POSSESSOR bit is the Python one, and is set exactly where
    ``_org_possessors`` finds a first name to start from."""
    from scrubphi.transforms.redact import late

    assert fast is not None
    text, spans = case
    want = late.late_marks(text, spans) & late.LM_POSSESSOR
    assert fast.late_marks(text, spans) & late.LM_POSSESSOR == want
    firsts = [sp for sp in spans if sp[3] == "first_name" and text[sp[0] - 3 : sp[0]] in (
        "'s ", "\u2019s ")]
    assert bool(want) == bool(firsts)


def test_the_span_gates_kinds_are_the_compiled_ones() -> None:
    """The kinds each gated rule starts from, as the compiled gates spell them out: a
    rule given a new kind must have its compiled gate told too (_redact_text.pxi)."""
    from scrubphi.transforms.redact import late

    names = {"first_name", "last_name"}
    compiled = {
        late.LM_HOUSE: names,
        late.LM_ADDRESS: names | {"place", "city", "zip"},
        late.LM_AFTER_NAME: names | {"place", "city", "initial"},
        late.LM_IN_PLACE: names | {"place", "city", "address"},
        late.LM_STREET: names | {"place", "city"},
        late.LM_PARTICLE: names,
        late.LM_POSSESSOR: {"first_name"},
    }
    assert compiled == late.SPAN_GATE_KINDS


def test_the_particles_pass_the_compiled_gates_first_test() -> None:
    """The compiled gate (_redact_text.pxi ``_particle_word``) asks the set only for two to
    five letters starting with d, v or t: every particle must be such a word."""
    from scrubphi.transforms.redact.particles import PARTICLES

    assert PARTICLES
    for particle in PARTICLES:
        assert 2 <= len(particle) <= 5 and particle[0] in "dvt", particle


@pytest.mark.parametrize("compiled", [True, False])
@given(text=late_text())
@HYPOTHESIS
@example(text="Ekkehart-Adolph-Ring 57, 42762 Lemgo. Lives at Holbækstræde 5, alone. "
              "Sunrise Assisted Living, Toronto, ON K1A 0B1 on Monday 3/4 aa:bb:cc:dd:ee:ff")
def test_the_late_pass_gates_change_nothing(compiled: bool, text: str) -> None:
    """The late pass with the bits ``late_marks`` gives puts the spans it puts with
    every bit set (every search and rule run)."""
    from scrubphi.transforms.redact.late import late_marks, late_pass

    if compiled and fast is None:
        pytest.skip("scrubphi._redact_fast is not built")
    fast_r, pure_r = _twins_cached()
    r = fast_r if compiled else pure_r
    runs = []
    for every in (False, True):
        out = Spans(text, None, record=False)
        heads = r._scan(text, out)
        marks = 0x7FF if every else late_marks(text, out.spans)  # (every bit: every rule)
        late_pass(text, out, r._v.basic, r._fns, r._filler_key, heads, r._v.names, marks)
        runs.append(sorted(out.spans))
    assert runs[0] == runs[1]


@st.composite
def address_text(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 8))):
        parts.append(draw(st.one_of(
            st.sampled_from(LATE_PIECES + PIECES),
            st.sampled_from(["Apt 3", "apt. 4B", "Suite 12", "\u017fuite 3", "STE 9", "Unit A",
                             "Level 3", "Bl. 20", "Sc. 98", "Ap. 873", "Et. 4", "75419", "394 13",
                             "SW1A 1AA", "K1A 0B1", "8760XZ", "RS", "nan", "Porto Alegre",
                             "(+30) 555-1234", "+7 555-1234", "8 (529) 170-34-23", "(0 1) 2"]),
            st.text(st.sampled_from(" ,.-:/()>\n1S2AaIiEeUu\u0663\u017f\u0130K"), max_size=6))))
        parts.append(draw(st.sampled_from(SEPARATORS)))
    return "".join(parts)


@given(text=st.one_of(address_text(), phone_text()))
@HYPOTHESIS
@example(text="Call 555-0001 (+30) 555-1234 +7 555-1234 8 (529) 170-34-23 x) 555-1234 \u0663 5")
def test_the_phone_prefix_shortcut_is_the_search(text: str) -> None:
    """Where ``_with_prefix`` answers before its search, the search finds no prefix."""
    from scrubphi.transforms.redact import structured

    for start in range(1, len(text)):
        if text[start - 1] == " ":
            m = structured._PHONE_PREFIX.search(text, max(0, start - 8), start)
            if structured._with_prefix(text, start) == start and m is not None:
                # (the search found one that the function then declined: "8 " alone)
                assert m.group() == "8 ", (text, start)
            if start < 2 or (text[start - 2] != ")" and not text[start - 2].isdecimal()):
                assert m is None, (text, start)


@given(text=st.one_of(address_text(), phone_text()))
@HYPOTHESIS
@example(text="0700-1930 1987-04-26T19:20 2021-3-4 12-34-56 ")
def test_the_labelled_phone_prechecks_are_the_patterns(text: str) -> None:
    """``_SHIFT`` matches only from "0"-"2", ``_ISO_AT`` only with "-" four on."""
    from scrubphi.transforms.redact import structured

    for p in range(len(text) + 1):
        if structured._ISO_AT.match(text, p) is not None:
            assert text[p + 4 : p + 5] == "-"
        for q in range(p, min(len(text), p + 12) + 1):
            if structured._SHIFT.fullmatch(text[p:q]) is not None:
                assert text[p:q][:1] in structured._SHIFT_FIRST


@given(text=address_text())
@HYPOTHESIS
@example(text="Apt 3 \u017fuite 4 SUITE 5 Level 3 RS 75419 K1A 0B1 Porto nan \u0130nt 4 Et. 4")
def test_the_address_walk_pieces_are_the_whole_pattern(text: str) -> None:
    """``_PIECE_NO_UNIT`` matches as ``_PIECE`` where the walk takes it (no unit word can
    start there), ``_SEP`` matches nothing where no separator can start, and a piece's
    ``lastgroup`` is its kind's group."""
    from scrubphi.transforms.redact import blocks

    for p in range(len(text) + 1):
        if text[p : p + 1] not in blocks._SEP_FIRST:
            sep = blocks._SEP.match(text, p)
            assert sep is not None and sep.end() == p
        whole = blocks._PIECE.match(text, p)
        if whole is not None:
            first = next(k for k in ("unit", "post", "code", "word") if whole.group(k) is not None)
            assert whole.lastgroup == first, (text, p)
        if p < len(text) and text[p].isascii() and text[p].lower() not in blocks._UNIT_FIRST:
            part = blocks._PIECE_NO_UNIT.match(text, p)
            assert (part is None) == (whole is None), (text, p)
            if part is not None and whole is not None:
                assert part.span() == whole.span() and part.lastgroup == whole.lastgroup
                assert {k: v for k, v in part.groupdict().items() if v is not None} == {
                    k: v for k, v in whole.groupdict().items() if v is not None}


@pytest.mark.parametrize("compiled", [True, False])
@given(text=late_text())
@HYPOTHESIS
@example(text="Capital Cube's Anna Berg, 12 Oak St, Boston. Walk Score\u2019s Ann Berg 3")
def test_the_late_pass_asks_for_changes_as_before(compiled: bool, text: str) -> None:
    """The late pass puts the same spans when ``_org_possessors`` says it put one each
    time (``changed()`` asked after it, as before the shortcut)."""
    from scrubphi.transforms.redact import late

    if compiled and fast is None:
        pytest.skip("scrubphi._redact_fast is not built")
    r = _twins_cached()[0 if compiled else 1]
    original = late._org_possessors
    runs = []
    for always in (False, True):
        out = Spans(text, None, record=False)
        heads = r._scan(text, out)
        marks = late.late_marks(text, out.spans)
        if always:
            late._org_possessors = lambda *a: original(*a) or True  # type: ignore[assignment]
        try:
            late.late_pass(text, out, r._v.basic, r._fns, r._filler_key, heads, r._v.names,
                           marks)
        finally:
            late._org_possessors = original
        runs.append(sorted(out.spans))
    assert runs[0] == runs[1]


@needs_compiled
@given(spans=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 12)), max_size=30),
       queries=st.lists(st.tuples(st.integers(-2, 60), st.integers(0, 12)), max_size=20))
@HYPOTHESIS
@example(spans=[(3, 4), (3, 0), (5, 2), (5, 6), (20, 1)], queries=[(3, 0), (5, 1), (7, 1), (4, 0)])
def test_the_compiled_taken_is_the_python_one(
        spans: list[tuple[int, int]], queries: list[tuple[int, int]]) -> None:
    """``Engine.taken``'s answers are ``_Taken``'s, on few spans and on many (the
    tables), empty ones and ones that share a start among them."""
    from scrubphi.transforms.redact.blocks import _Taken

    engine = _twins_cached()[0]._engine
    assert engine is not None
    tuples = [(s, 1, s + n, "place", "x") for s, n in spans]
    c, py = engine.taken(tuples), _Taken(tuples[:])
    for pos, n in queries:
        assert c.found_at(pos) == py.found_at(pos), (pos, tuples)
        assert c.covered(pos, pos + n) == py.covered(pos, pos + n), (pos, n, tuples)


def test_town_surrogates_are_remembered_per_redactor_and_let_go() -> None:
    """The address walk remembers a town word's surrogate per city function, and holds
    that function weakly: a process that builds many redactors keeps none of them."""
    import gc
    import weakref

    from scrubphi.transforms.redact import blocks

    calls: list[str] = []

    def city(value: str) -> str:
        calls.append(value)
        return "Springfield"

    first = blocks._place_like(city, "Boston")
    seen = len(calls)
    assert seen >= 1
    assert blocks._place_like(city, "Boston") == first
    assert len(calls) == seen  # remembered: the city function was not asked again
    before = len(blocks._PLACE_CACHES)
    held = weakref.ref(city)
    del city
    gc.collect()
    # (other tests' redactors may be collected at the same time: at least this one)
    assert held() is None
    assert len(blocks._PLACE_CACHES) <= before - 1


OBMAIL_PIECES = [
    "jane dot doe at gmail dot com", "jane.doe [at] gmail [dot] com", "jane[at]gmail.com",
    "jane(at)gmail(dot)com", "j_d at mail.example.org", "seen at home", "at 10 am",
    "at bedside", "AT GMAIL DOT COM", "at  gmail  dot  com", "at   gmail.com", "at gmail-.com",
    "at gmail_x.io", "at x{dot}net", "at <dot>", "at gm\u00e4il.de", "at gmail\u0131.com",
    "at gmail dOt org", "at.", "at", "dot", "[", "]", " ", ".", "-", "_",
]


@needs_compiled
@given(st.lists(st.one_of(st.sampled_from(OBMAIL_PIECES),
                          st.text(st.characters(blacklist_characters="\0"), max_size=4)),
                max_size=8).map(" ".join))
@HYPOTHESIS
@example("write to jane dot doe at gmail dot com or jane[at]gmail.com, seen at home")
def test_obmail_group_is_tried_only_where_it_can_match(text: str) -> None:
    """Where _obmail_may says no after an "at", the obfuscated e-mail pattern does not
    match there ("at" is a common word: the pattern was tried at every one)."""
    assert fast is not None
    groups = Redactor(TransformContext(key=KEY), compiled=False)._re.words
    pat = next(p for t, p in groups if t == frozenset(["at"]))
    for start, end in fast.read(text)[0]:
        if text[start:end].lower() == "at" and not fast.obmail_may(text, end):
            assert pat.match(text, start) is None, (start, end)
