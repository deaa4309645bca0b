"""Australian, New Zealand and British address forms that kept their house number or
unit (issue 11's street addresses): found with ``benchmarks/faker_probe.py --what
street_address`` on Faker's en_AU, en_NZ and en_GB providers (public text the
project did not write), where 27%, 11% and 6.5% of the address tokens were kept;
the dev corpus's held-out half was not read to find them.

The texts are written anew, with other names and numbers.  Each runs on both scans
(compiled when it is built, and pure), which must agree byte for byte.  Nothing here
prints a value.
"""

from __future__ import annotations

import pytest

from redact_scans import gone as _gone
from redact_scans import kept as _kept
from scrubphi.transforms.redact import Redactor
from scrubphi.transforms.redact.vocab import vocab


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Please post it to 17 Gilbert Courtyard by Monday.", ["17", "Gilbert", "Courtyard"]),
        ("She lives at 1 Matthew Towers now.", ["1", "Matthew", "Towers"]),
        ("Moved to 41 Susan Steps last spring", ["41", "Susan", "Steps"]),
        ("Address: 205 Lori Quadrangle", ["205", "Lori", "Quadrangle"]),
        ("Home is 6 Karen Foreshore, near the jetty.", ["6", "Karen", "Foreshore"]),
        ("Send to 12 Peter Gully", ["12", "Peter", "Gully"]),
        ("Lives at 7 Alice Colonnade.", ["7", "Alice", "Colonnade"]),
        ("Send to 88 Pemberton Laneway", ["88", "Pemberton", "Laneway"]),
    ],
)
def test_australia_posts_street_types(redact: Redactor, text: str,
                                      secrets: list[str]) -> None:
    """A house number, a name and an Australian street type (Courtyard, Towers, Steps,
    Quadrangle, Foreshore, Laneway...) is an address: the number goes with the name
    (which went alone, as a person's, or not at all)."""
    _gone(redact, text, *secrets)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Pt has 1 Central Line and 2 Peripheral IVs.", ["1", "Central", "Line"]),
        ("Given 2 Nerve Block before the case", ["2", "Nerve", "Block"]),
        ("Tender in 1 Right Upper Quadrant.", ["1", "Right", "Upper", "Quadrant"]),
        ("Widened 12 Anion Gap noted", ["12", "Anion", "Gap"]),
        ("Emesis 2 Emesis Basin full", ["2", "Emesis", "Basin"]),
        ("Return in 1 Month Follow up with PCP", ["1", "Month", "Follow"]),
        ("Reviewed 2 Rhythm Strip", ["2", "Rhythm", "Strip"]),
    ],
)
def test_clinical_phrases_like_street_types_stay(redact: Redactor, text: str,
                                                 words: list[str]) -> None:
    """The street types a clinical phrase puts after a number and a capitalised word
    (Line, Block, Quadrant, Gap, Basin, Follow, Strip...) are not on the list."""
    _kept(redact, text, *words)


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Office: Level 12, 480 Wexford Street", ["12", "480", "Wexford"]),
        ("She moved to Level 3 77 Ainsley Parade last year.", ["3", "77", "Ainsley"]),
    ],
)
def test_an_australian_level_before_its_address(redact: Redactor, text: str,
                                                secrets: list[str]) -> None:
    """"Level 9, 634 Pearce Street": the level's number goes with the address."""
    _gone(redact, text, *secrets)


def test_levels_in_a_note_stay(redact: Redactor) -> None:
    _kept(redact, "Level 2 trauma. pain level 5, glucose Level 5, 6 Hours later. Level 1 Bed",
          "Level", "2", "5", "6", "1")


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("My address is Flat 41k, Orla Gardens.", ["41k", "Orla"]),
        ("Studio 6b, Penhallow Close", ["6b", "Penhallow"]),
    ],
)
def test_a_british_flat_with_a_lower_case_letter(redact: Redactor, text: str,
                                                 secrets: list[str]) -> None:
    """"Flat 22d, Jacob Ville": the flat's letter may be lower case."""
    _gone(redact, text, *secrets)


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Lives at 52 Ruakiwi Road, RD 4, with her son.", ["52", "Ruakiwi", "4"]),
        ("Send to 9 Hollins Street, RD 12", ["9", "Hollins", "12"]),
    ],
)
def test_a_new_zealand_rural_delivery_number(redact: Redactor, text: str,
                                             secrets: list[str]) -> None:
    """"24 Day Road, RD 2": the rural delivery number goes with the street."""
    _gone(redact, text, *secrets)


def test_every_street_type_packs_into_the_compiled_scans_keys() -> None:
    """The compiled scan tells where no street can end from each ASCII street type
    packed into a 64-bit key (letters only, ten at most); one it cannot pack turns that
    test off for every text, and the nursing notes' scan cost 5% more."""
    unpackable = [i for i, w in enumerate(vocab().suffixes)
                  if w.isascii() and not (w.isalpha() and len(w) <= 10)]
    assert unpackable == []
