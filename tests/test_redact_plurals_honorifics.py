"""Plurals of clinical abbreviations and the plural honorific (issue 11's precision and
names), found trying to break the redactor: "2 PIVs" became "0 Stanton", "serial
ABGs" "serial Garza" and "f/u MRIs" "f/u Ortiz" (capitals and a plural's "s" were
read as a title-case word, so the abbreviation's plural rule never ran), and "Seen by
Drs Smith and Jones" kept "Smith" ("Drs" was no honorific).  Each runs on both scans,
which must agree byte for byte.  Nothing here prints a value.
"""

from __future__ import annotations

import pytest

from redact_scans import gone as _gone
from redact_scans import kept as _kept
from scrubphi.transforms.redact import Redactor


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Pt has 2 PIVs and 1 PICC.", ["2", "PIVs"]),
        ("Plan: serial ABGs, f/u MRIs, NSAIDs held.", ["ABGs", "MRIs", "NSAIDs"]),
        ("Reviewed CXRs and EKGs with the RNs.", ["CXRs", "EKGs", "RNs"]),
    ],
)
def test_plurals_of_clinical_abbreviations_stay(redact: Redactor, text: str,
                                                words: list[str]) -> None:
    _kept(redact, text, *words)


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Seen by Drs Smith and Jones today.", ["Smith", "Jones"]),
        ("seen by Drs. Bell and Mason", ["Bell", "Mason"]),
    ],
)
def test_names_after_the_plural_honorific(redact: Redactor, text: str,
                                          secrets: list[str]) -> None:
    _gone(redact, text, *secrets)


def test_drs_for_dressings_keeps_the_next_word(redact: Redactor) -> None:
    """Like "MS" and "MR", "drs" is an abbreviation too (dressings): in lower case and
    without a dot the next word must look like a name."""
    _kept(redact, "Abd drs changed, drs. on, wound clean.", "changed", "on")
