"""A lab's or a vital sign's range read as a local phone number, and words written with
an apostrophe for the letters left out: found trying to break the redactor.  "WBC
200-1000" has a local number's shape (three digits, a dash, four), so it became a fake
phone; now a lab or vital word just before such a range keeps it ("call 627-4419"
stays a phone).  And "tom'row" (tomorrow), "add'l", "gov't" were read as names; they
are everyday words.  Each runs on both scans, which must agree byte for byte.  Nothing
here prints a value.
"""

from __future__ import annotations

import pytest

from redact_scans import both
from redact_scans import gone as _gone
from redact_scans import kept as _kept
from scrubphi.transforms.redact import Redactor


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("WBC 200-1000 on smear", ["200", "1000"]),
        ("plt: 250-1200, glucose 300-1000", ["250", "1200", "300", "1000"]),
        ("CPK 400-2000 trending", ["400", "2000"]),
        ("UOP 200-1000 cc per shift", ["200", "1000"]),
        ("sats 2-3", ["2", "3"]),
    ],
)
def test_a_range_after_a_lab_or_vital_word_stays(redact: Redactor, text: str,
                                                 words: list[str]) -> None:
    _kept(redact, text, *words)


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("call 627-4419 after 5", ["627", "4419"]),
        ("son's number 627-4419", ["627", "4419"]),
        ("Reached wife at 627-4419.", ["627", "4419"]),
        ("pt 627-4419", ["627", "4419"]),
    ],
)
def test_a_local_number_elsewhere_is_still_a_phone(redact: Redactor, text: str,
                                                   secrets: list[str]) -> None:
    _gone(redact, text, *secrets)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("will recheck tom'row am", ["tom'row"]),
        ("add'l labs sent, gov't form signed", ["add'l", "gov't"]),
        ("nat'l guard, int'l travel", ["nat'l", "int'l"]),
    ],
)
def test_words_with_an_apostrophe_for_letters_left_out_stay(redact: Redactor, text: str,
                                                            words: list[str]) -> None:
    _kept(redact, text, *words)


def test_the_scans_agree_on_lab_ranges() -> None:
    both("WBC 200-1000, call 627-4419, tom'row, add'l, plt: 250-1200, HR\u00e9 300-1000")
