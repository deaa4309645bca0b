"""The digit-led dates read and replaced in C (``_redact_digits.pxi``) against the pure twin.

The compiled scan reads month/day (``7/22``), month/year (``6/85``), dates with a
year (``03/04/2021``, ``11/21.93``), two month/days (``10/03/10/04``) and a dash
month-day (``on 7-8``) without the regular expression, runs their handlers on C
integers, and leaves an amount read as an ID (``100-200cc``) alone without a
match object.  Held here: each reading to the pattern it stands for, the C
calendar to ``transforms.dates``, the amounts to ``structured._MEASURE``, and the
whole scan to the pure one on digit-heavy text, with ``dates: year``, a shift per
patient, a shift without a patient (the C path gives way to Python) and a
lookup.  The behaviour tests run against both scans (the ``redact`` fixture).
"""

from __future__ import annotations

import functools
import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scrubphi.transforms.base import TransformContext
from scrubphi.transforms.dates import civil_from_days, days_from_civil
from scrubphi.transforms.redact import Redactor
from scrubphi.transforms.redact.structured import _MEASURE

try:
    from scrubphi import _redact_fast as fast
except ImportError:  # not built: only the comparisons skip
    fast = None  # type: ignore[assignment]

needs_compiled = pytest.mark.skipif(fast is None, reason="scrubphi._redact_fast is not built")
KEY = b"digits-test-key-0123456789abcdef"
HYPOTHESIS = settings(max_examples=500, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])

# Digit-heavy pieces: every date form of docs/redact.md, times, phones with
# extensions, ranges, vital signs, doses, scores, settings, IDs; and the words
# before and after a number that the handlers read.
PIECES = [
    "7/22", "07/22", "12/5", "1/2", "3/4", "2/3", "1/4", "4/4", "13/1", "2/30", "2/29", "0/1",
    "6/85", "12/35", "1/30", "12/31", "3/10", "10/10", "7/10", "11/10", "03/04/2021",
    "3/4/21", "13/04/2021", "45/46/2001", "3/4/0000", "12/31/9999", "1/1/1900", "2/29/2001",
    "11/21.93", "1/1.49", "1/1.50", "10/03/10/04", "2/30/1/1", "on 7-8", "since 10-12",
    "until 3-4", "UNTIL 3-4", "On 12-31", "7-8", "2-3 times", "on 7-8 mg", "on 7-8 hrs",
    "on 1-2L", "on 1-2 l", "on 1-2 lpm", "on 1-2 days", "on 1-2 mg5", "on 1-2 mg_x",
    "2021-03-04", "2021-03-04 12:20:39", "2021/03/04", "March 4, 2021", "4 Mar 2021",
    "10:30", "0700-1930", "19:00", "0300", "@ 0300.", "(617) 555-1234", "617-555-1234 x2153",
    "583.925.5955x2153", "555-1234", "+1 617 555 1234", "90-100/40's", "bp 90-100/40's",
    "sat 98-100%", "HR 80s-90s", "100-120/60", "120/80", "BP 132/84", "PSV 12/5",
    "CPAP 10/5", "cpap with 10/5", "SIMV/PS, 40%, 600X4, & 5/10", "peep 5/10", "pain 3/10",
    "from 7/10", "3/10 l back pain", "score 5/10", "500 mg", "100-200cc/hr", "60-120cc",
    "50-110s", "2300-6L", "500x12", "3x5cm", "10-20mg", "BP130-140", "sats99-100",
    "600-12-peep", "12-34567", "1234567-8", "#123456", "MRN: 1234567", "E11.9", "98.6",
    "32.3.", "7.28/46/101/23", "94/3.4.", "1/1/", "1/1%", "1/1.5", "1/1.", "12/5x", "12/5 pm",
    "fio2", "d5", "i/o", "ps", "psv:", "x", ":", "=", "-", ",", "pt", "HR-", "FS", "on", "the",
    "1st", "the 11th", "7/22\u0663", "\u0661/2", "\u00e97/22", "12/5\u00e9",
]
SEPARATORS = [" ", " ", " ", "", ", ", ". ", "; ", "\n", "\t", "-", ":", "/", ".", "=", "  "]


@st.composite
def digit_text(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 25))):
        parts.append(draw(st.one_of(
            st.sampled_from(PIECES),
            st.sampled_from(PIECES).map(str.upper),
            st.from_regex(r"[0-9]{1,4}[-/.]?[0-9]{0,4}[-/.]?[0-9]{0,4}[ .%a-z]{0,3}",
                          fullmatch=True),
            st.from_regex(r"(on |since |until )?[0-9]{1,2}[-/][0-9]{1,2}([-/.][0-9]{1,4})?"
                          r"([/-][0-9]{1,2})?", fullmatch=True),
            st.text(st.sampled_from("0123456789/-.:%x ()#+"), max_size=8),
        )))
        parts.append(draw(st.sampled_from(SEPARATORS)))
    return "".join(parts)


# -- each reading against the pattern it stands for -----------------------------------------


@functools.cache
def _digits() -> re.Pattern[str]:
    return Redactor(TransformContext(key=KEY), compiled=True)._re.digits


@needs_compiled
@given(st.one_of(digit_text(), st.text(st.sampled_from("0123456789/-.% aAon\u0663\u00e9"))))
@HYPOTHESIS
@example("7/22 12/5 1/2 6/85 12/35 03/04/2021 3/4/21 11/21.93 10/03/10/04 on 7-8 2-3 times")
@example("1/1.49x 1/1.49 a 1/1.49a 1/1.4 1/1.499 1/1/1/1/ 1/1/1/1.5 1/1/123 1/1/12345 1/1/12.5")
@example("on 7-8 mg 7-8 mg5 7-8 mg_ 7-8 hours 7-8 Hrs 7-8x 7-8% 7-8.5 7-8. 7-8- 7-8/ 7-8 l")
@example("3.1/2 3,1/2 3/1/2 1:1/2 1-1/2 a:1/2 a-1/2 12:7-8 12-7-8 x7/22 _7/22")
def test_each_date_reading_finds_what_the_pattern_finds(text: str) -> None:
    """Where the scan reads a date in C (an ASCII window around a number of one or two
    digits and a slash or a dash), the whole digit pattern matches there exactly as
    the reading says: the same alternative, the same end; or does not match."""
    assert fast is not None
    full = _digits()
    for p, shape in fast.read(text)[1]:
        alt, end = fast.date_at(text, p, shape)
        if alt < 0 or not text[max(0, p - 41) : p + 48].isascii():
            continue  # left to the pattern
        whole = full.match(text, p)
        if alt == 0:
            assert whole is None, (text, p)
        else:
            assert whole is not None, (text, p)
            assert whole.lastgroup == fast.DATE_ALTERNATIVES[alt], (text, p)
            assert whole.end() == end, (text, p)


@functools.cache
def _shapes() -> tuple[re.Pattern[str] | None, ...]:
    assert fast is not None
    pats = Redactor(TransformContext(key=KEY), compiled=True)._re
    return tuple(fast.shape_patterns(pats.digits, pats.digit_alternatives))


SIGNS = st.text(st.sampled_from("0123456789+(#)-. /:xa\u0663"), max_size=24)


@needs_compiled
@given(st.one_of(digit_text(), SIGNS))
@HYPOTHESIS
@example("32.3. 28.2.  7.1/4.1. 1.2.3.4 617.555.1234 1.617.555.1234 98.6. fax 1.2.\u0663")
@example("0300 W 19:00 pm @ 0300. 0700-1930 0300-x 00 12345678 0012  3456789 020 7946 0958 0.5")
@example("+2 edema K+ 3.4 +5. +1 617 555 1234 +44 20 7946 0958 +4420-7946-0958 +12 fax +3L")
@example("(11.5 (700U/HR) (100 meqs (617) 555-1234 (020) 7946 (0)20 ( 5 (12-34 fax (\u0663")
@example("#8ETT #3 # 12345 #123456 #1234 # 1234 #12\u06634567")
@example("67 y.o. 92 yo 101 yrs 120 yo 92-year-old 67-year-old 92yo 67yo 200yards 9-y 92-\u00e9")
@example("7A-3P 800U-PTT 12B-14 Main St 12B-14x 3A-\u0663 2L NC 12345ab 1234abc5 12ab345 5x12345")
@example("0300 W 0300-x 0012-5 0012 -345678 0012.x 012(3) 0123) 00 1 0.1 02 3L Fi02 50% 04 ->")
@example("70 av paced 12 Av Roma 3 via NC 3 Via Roma 4 LARGE THICK 4 Large Oak St 5 Oak STREET")
@example("12 Oak St\u00a0x 12 Oak St\u0301 12 Oak St\u0663 9 Big Stra\u00dfe 5 Piroska u. 9")
@example("16 of peep 3 of may 3 of-may 3 OF may 12-of may 3 of \u00e9 3 of")
@example("12 80% 600 5/ peep 12 34 56 78 90 12 34 56 789 123 45 6789 617 555 1234 1 617 555 1234")
@example("628 5714 384 720 193 413 62 087 4111 1111 1111 1111 12 5th Ave (12 345)")
@example("12 3\u0663 12 34\u0663 12 34 56 7\u0663 12 34 56 78 9\u0663")
@example("1000.000/0000 1617 555 1234 1617-555.1234 1617.555 1234 1617/555/1234 1617-555-1234")
def test_each_sign_and_number_shape_finds_what_the_pattern_finds(text: str) -> None:
    """The shapes of numbers after a sign (``+``, ``(``, ``#``), of a second dot
    ("32.3.") and of a number led by ``0``: where a shape rules every alternative
    out the digit pattern does not match; elsewhere its pattern matches as the whole."""
    assert fast is not None
    full, shapes = _digits(), _shapes()
    for p, shape in fast.read(text)[1]:
        whole = full.match(text, p)
        if shape == fast.NO_MATCH:
            assert whole is None, (text, p)
            continue
        pat = shapes[shape]
        if shape == fast.ID_ONLY:
            assert (whole is None) == (fast.idnum_end(text, p) < 0), (text, p)
        assert pat is not None
        part = pat.match(text, p)
        assert (part is None) == (whole is None), (text, p, shape)
        if whole is not None and part is not None:
            assert part.span() == whole.span() and part.lastgroup == whole.lastgroup


@needs_compiled
@given(st.text(st.sampled_from("0123456789-xXa/cm"), min_size=1, max_size=16))
@HYPOTHESIS
@example("100-200cc")
@example("1234567-8")
@example("500x12")
@example("12xy")
@example("3x5cmabc")
def test_amounts_are_read_as_measure_reads_them(token: str) -> None:
    """An amount read as an ID is left alone in C exactly when the handler would
    leave it for being a measure (no run of seven digits, ``_MEASURE`` whole)."""
    assert fast is not None
    if not token[0].isdigit() or "/" in token:
        return  # (the ID alternative's tokens: a digit, then letters, digits, hyphens)
    runs = [len(r) for r in re.findall(r"\d+", token)]
    expected = max(runs) < 7 and _MEASURE.fullmatch(token) is not None
    assert fast.measure(token, 0, len(token)) == expected


@needs_compiled
@pytest.mark.parametrize("y, m, d", [
    (2000, 1, 1), (2000, 2, 29), (2000, 2, 30), (1900, 2, 29), (2001, 2, 29), (1970, 1, 1),
    (1, 1, 1), (0, 1, 1), (0, 2, 29), (9999, 12, 31), (2000, 12, 31), (2000, 4, 31),
    (1899, 12, 31), (2100, 3, 1), (-1, 3, 1),
])
def test_the_c_calendar_is_the_python_one(y: int, m: int, d: int) -> None:
    assert fast is not None
    z, back = fast.civil_twins(y, m, d)
    assert z == days_from_civil(y, m, d)
    assert back == civil_from_days(z)


@needs_compiled
@given(st.integers(-800_000, 3_000_000))
@HYPOTHESIS
def test_the_c_calendar_inverts_days(z: int) -> None:
    assert fast is not None
    y, m, d = civil_from_days(z)
    assert fast.civil_twins(y, m, d) == (z, (y, m, d))


# -- the whole scan, compiled against pure ------------------------------------------------


def _pair(**kwargs: object) -> tuple[Redactor, Redactor]:
    ctx = TransformContext(key=KEY)
    return (Redactor(ctx, compiled=True, **kwargs),  # type: ignore[arg-type]
            Redactor(ctx, compiled=False, **kwargs))  # type: ignore[arg-type]


CONFIGS = {
    "year": {},
    "shift": {"dates": "shift", "days": 30, "per": "patient_id"},
    "shift_wide": {"dates": "shift", "days": 1_000_000, "per": "patient_id"},
    "shift_no_per": {"dates": "shift", "days": 30},
}


@functools.cache
def _twins(config: str) -> tuple[Redactor, Redactor]:
    return _pair(**CONFIGS[config])


def _same(config: str, text: str) -> None:
    fast_r, pure_r = _twins(config)
    for per in ("p1", "p2", None):
        assert fast_r.redact(text, per) == pure_r.redact(text, per), (config, per)
    assert fast_r.find(text) == pure_r.find(text), config


@needs_compiled
@given(st.sampled_from(sorted(CONFIGS)), digit_text())
@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example("year", "7/22 12/5 1/2 6/85 12/35 03/04/2021 3/4/21 11/21.93 10/03/10/04 on 7-8")
@example("shift", "7/22 12/5 6/85 03/04/2021 13/04/2021 11/21.93 10/03/10/04 on 7-8 2/30")
@example("shift", "3/4/0000 12/31/9999 1/1/00 2/29/2001 2/29/2000 45/46/2001 1/1.49 1/1.50")
@example("shift_wide", "12/31/9999 1/1/0001 1/1/1900 7/22 on 1-1")
@example("shift_no_per", "7/22 on 7-8 03/04/2021 2/30")
@example("year", "PSV 12/5 CPAP 10/5 cpap with 10/5; 7/22 SIMV/PS, 40%, 600X4, & 5/10")
@example("year", "pain 3/10 from 7/10 3/10 l back pain score 5/10 10/10 11/10 on 5/10")
@example("year", "HR 7-8 on 7-8 mg on 7-8. since 1-2, x on 1-2 100-200cc 60-120CC 2300-6L")
@example("year", "\u00e97/22 on 7-8 \u0661/2 7/22\u0663 12/5 p\u00e9ep 12/5")
def test_twins_agree_on_digit_heavy_text(config: str, text: str) -> None:
    _same(config, text)


EXPLICIT = [
    "Admitted 7/22, seen 07/22 and 12/5; 6/85 surgery; 1/2 tab; 3/4 strength.",
    "DOB 03/04/2021 or 3/4/21 or 13/04/2021; 11/21.93; TREATMENTS 10/03/10/04.",
    "back to OR on 7-8, since 10-12, UNTIL 3-4; HR 7-8; 2-3 times; on 7-8 mg; on 7-8.",
    "bp 90-100/40's, sat 98-100%, HR 80s-90s, 100-120/60, BP 132/84 at 10:30, 0700-1930.",
    "PSV 12/5, CPAP 10/5, SIMV/PS, 40%, 600X4, & 5/10; peep 5/10; on 5/10 (a date).",
    "pain 3/10, from 7/10 yesterday, 3/10 l back pain, 10/10, 11/10.",
    "doses: 500 mg, 100-200cc/hr, 60-120cc, 50-110s, 2300-6L, 500x12, 3x5cm, BP130-140.",
    "IDs: 12-34567, 1234567-8, #123456, MRN: 1234567; call 617-555-1234 x2153.",
    "Feb 2/30/2000 and 2/29/2001 and 45/46/2001 and 3/4/0000 and 12/31/9999.",
    "ABG 7.28/46/101/23, 94/3.4. 1/1/ 1/1% 1/1.5 1/1. 12/5x 12/5 pm",
]


@needs_compiled
@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("i", range(len(EXPLICIT)))
def test_twins_agree_on_explicit_dates(config: str, i: int) -> None:
    _same(config, EXPLICIT[i])


@needs_compiled
@pytest.mark.parametrize("text", ["1000.000/0000 ", "call 1617-555.1234 or 1617.555 1234"])
def test_a_phone_with_its_one_glued_to_the_area_code(text: str) -> None:
    """A twin mismatch found on the way: "1617.555.1234" is a phone to the pattern
    (``\\+?1[-. ]?`` with no separator, then ``\\d{3}[-. /]``), but the compiled reading
    of a number of four digits before a dot or a dash knew only "1.617" and "617."."""
    for config in ("year", "shift"):
        _same(config, text)


@needs_compiled
@pytest.mark.parametrize("text", [
    "Lives at 12 Oak St\u00a0x, then 12 Oak St\u0301 and 4 Elm Road\u2003now.",
    "12 Oak St\u00a0",
])
def test_a_street_suffix_before_a_character_that_is_no_letter(text: str) -> None:
    """A twin mismatch found on the way: the compiled scan's reading of a word after a
    number stopped at a character that is not ASCII and took the word for none
    ("St" before a no-break space was no street suffix), so "12 Oak St\u00a0x" kept
    its address; the pattern (``(?![\\w])`` after the suffix) matches it."""
    for config in ("year", "shift"):
        _same(config, text)


# -- what is replaced, in both scans ----------------------------------------------------------


@pytest.fixture(scope="module", params=[False, True] if fast is not None else [False],
                ids=lambda c: "compiled" if c else "pure")
def redactor(request: pytest.FixtureRequest) -> Redactor:
    return Redactor(TransformContext(key=KEY), compiled=request.param)


@pytest.mark.parametrize("text, expected", [
    ("seen 7/22 and 07/22.", "seen 01/01 and 01/01."),
    ("on 7-8 and HR 7-8", "on 01-01 and HR 7-8"),
    ("DOB 03/04/2021, 13/04/21", "DOB 01/01/2021, 01/01/21"),
    ("6/85 and 11/21.93", "01/85 and 01/01.93"),
    ("TREATMENTS 10/03/10/04", "TREATMENTS 01/01/01/01"),
    ("PSV 12/5, pain 3/10, 1/2 tab, 100-200cc", "PSV 12/5, pain 3/10, 1/2 tab, 100-200cc"),
])
def test_dates_keep_their_year_and_format(redactor: Redactor, text: str, expected: str) -> None:
    assert redactor.redact(text) == expected
