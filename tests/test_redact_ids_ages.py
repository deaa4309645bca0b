"""Identifiers HIPAA names that the label group did not read, and ages over 89 written
in words (found by probing the scan with forms of Safe Harbor's list: vehicle
identifiers and licence plates, device serial numbers, ages).  Both scans, which must
agree byte for byte.  Nothing here prints a value.
"""

from __future__ import annotations

import pytest

from redact_scans import gone as _gone
from redact_scans import kept as _kept
from scrubphi.transforms.redact import Redactor


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Plate 7ABC123 on the car in the lot", ["7ABC123"]),
        ("his license plate 8XYZ442 was noted", ["8XYZ442"]),
        ("Device serial SN 4C7X-99Q implanted", ["4C7X-99Q"]),
        ("pump SN: 55120-8841 checked", ["55120-8841"]),
        ("Specimen S22-12345 sent to path", ["S22-12345"]),
        ("accession no. B7-20931 pending", ["B7-20931"]),
    ],
)
def test_plates_serials_and_specimens_after_their_label_go(redact: Redactor, text: str,
                                                        secrets: list[str]) -> None:
    _gone(redact, text, *secrets)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("6-hole plate and screws, plate 3.5mm placed", ["6", "hole", "3", "5mm"]),
        ("SN visit 3x/week; SN 2x wk", ["3x", "week", "2x", "wk"]),
    ],
)
def test_clinical_plates_and_skilled_nursing_stay(redact: Redactor, text: str,
                                                  words: list[str]) -> None:
    _kept(redact, text, *words)


@pytest.mark.parametrize(
    ("text", "out"),
    [
        ("Pt is a ninety-two year old woman", "Pt is a 90+ year old woman"),
        ("She is ninety two years old.", "She is 90+ years old."),
        ("A hundred and one year old man", "A 90+ year old man"),
        ("Ninety yo male", "90+ yo male"),
    ],
)
def test_ages_over_89_in_words_are_generalised(redact: Redactor, text: str, out: str) -> None:
    assert redact.redact(text) == out


def test_ninety_that_is_no_age_stays(redact: Redactor) -> None:
    _kept(redact, "the ninety patients and a hundred beds", "ninety", "hundred")
