"""An age over 89 in words after "age" or "aged": found trying to break the redactor.
Digits after the word ("aged 93") and words before a year word ("ninety-three years
old") became "90+", but "aged ninety-three" and "age ninety three" kept the age.  They
go the same way now; ages up to 89 in words stay.  Each runs on both scans, which must
agree byte for byte.  Nothing here prints a value.
"""

from __future__ import annotations

import pytest

from redact_scans import both
from redact_scans import gone as _gone
from redact_scans import kept as _kept
from scrubphi.transforms.redact import Redactor


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Woman aged ninety-three, lives alone", ["ninety", "three"]),
        ("age ninety three, ambulates with walker", ["ninety", "three"]),
        ("Age: Ninety-one.", ["Ninety", "one"]),
        ("AGED NINETY", ["NINETY"]),
        ("aged one hundred and two", ["one", "hundred", "two"]),
        ("ninety-three years old", ["ninety", "three"]),
    ],
)
def test_an_age_over_89_in_words_after_age(redact: Redactor, text: str,
                                           secrets: list[str]) -> None:
    out = _gone(redact, text, *secrets)
    assert "90+" in out


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("aged eighty-nine, lives alone", ["eighty", "nine"]),
        ("age seventy two", ["seventy", "two"]),
        ("aged fifty years", ["fifty"]),
        ("the ninety day plan, an agent ninety", ["ninety"]),
        ("aged wine, ninety bottles", ["ninety"]),
    ],
)
def test_ages_up_to_89_in_words_stay(redact: Redactor, text: str, words: list[str]) -> None:
    _kept(redact, text, *words)


def test_the_scans_agree_on_ages_in_words() -> None:
    both("aged ninety-three; age ninety three; Age: Ninety-one. aged a hundred, age 93")
