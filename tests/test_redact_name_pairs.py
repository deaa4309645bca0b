"""A first name then a surname that are both everyday English words ("John Smith",
"Mark Walker", "Peter Savage"): each word alone is ambiguous and stays without context,
but the pair in title case is a person, mid-sentence and at a sentence's start.

Found by putting Faker's en_US names (public data the project did not write) into
sentences of a note without a title before them: 23 of 800 sentences kept a name, most
of them such pairs.  Runs on both scans, which must agree byte for byte.  Nothing here
prints a value.
"""

from __future__ import annotations

import pytest

from redact_scans import gone as _gone
from redact_scans import kept as _kept
from scrubphi.transforms.redact import Redactor


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("John Smith was seen today.", ["John", "Smith"]),
        ("Seen with Mark Walker, who agrees.", ["Mark", "Walker"]),
        ("Per John Brown, pain improved.", ["John", "Brown"]),
        ("Peter Savage called the unit at noon.", ["Peter", "Savage"]),
        ("Discussed plan with Dean Ward and family.", ["Dean", "Ward"]),
        ("Spoke to Carol Pierce at bedside.", ["Carol", "Pierce"]),
        ("Brandy Strong called the unit at noon.", ["Brandy", "Strong"]),
        ("Wife visited with Heather Mason this morning.", ["Heather", "Mason"]),
    ],
)
def test_a_first_name_and_a_surname_that_are_words_go(redact: Redactor, text: str,
                                                       secrets: list[str]) -> None:
    out = _gone(redact, text, *secrets)
    assert out.endswith(text[-12:])  # the rest of the sentence stays


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # the second word is no surname of the lists, or the first no first name
        ("Frank blood in the drain, Will call back.", ["Frank", "blood", "Will", "call"]),
        ("Crystal clear fluid drained.", ["Crystal", "clear"]),
        ("Chief Complaint: chest pain.", ["Chief", "Complaint"]),
        # in lower case or ALL CAPS the pair is not read as a name by this rule
        ("will walker be needed", ["will", "walker"]),
    ],
)
def test_words_that_are_not_such_a_pair_stay(redact: Redactor, text: str,
                                             words: list[str]) -> None:
    _kept(redact, text, *words)


def test_a_street_named_by_a_first_name_stays_a_place(redact: Redactor) -> None:
    """"Dale Street": a street type after the pair's first word is the street rule's,
    not a person's surname (it is not turned into a name)."""
    out = redact.redact("Moved to Dale Street last year.")
    assert "Street" in out
