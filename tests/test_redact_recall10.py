"""Classes of miss fixed in issue 11's tenth round (street addresses): a street the scan
replaced word by word, with its house number and the type word it left; the units,
postcodes and house numbers of an address block that the walk did not know.

One test per class; each runs on both scans (compiled when it is built, and pure), which
must agree byte for byte.  Nothing here prints a value.
"""

from __future__ import annotations

import pytest

from redact_scans import both as _both
from redact_scans import gone as _gone
from redact_scans import kept as _kept
from scrubphi.transforms.redact import Redactor

# -- a street replaced word by word: its house number and its type word --------------------


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        # the number after the street's name, after what leads to an address
        ("Lives at Vial Ernesto Quintana 48, alone.", ["Vial", "Ernesto", "48"]),
        ("Address:\nEstrada Ribeiro, 27\n4700-123 Braga", ["Ribeiro", "27", "4700"]),
        ("She moved to Av de Pinheiro, 12.", ["Av", "de", "Pinheiro", "12"]),
        ("Ship to: C. de Aurora Vidal 17, Sevilla", ["C", "Aurora", "17", "Sevilla"]),
        ("Patient lives at Calle de Amparo Roig 5, Teruel.", ["Calle", "Amparo", "5"]),
        # in a sentence, before a word that is not a unit; "S/N" (no number)
        ("She moved to Calle Mayor 5 last year.", ["Calle", "Mayor", "5"]),
        ("She moved to Tom-Hofmeister-Ring 2 last week.", ["Hofmeister", "2"]),
        ("Lives at Praça Renata Abreu, S/N, alone.", ["Renata", "S/N"]),
        # the number before it, after a lead, where the address ends
        ("Home address 23/41 Wierzbowa.", ["23", "41", "Wierzbowa"]),
        ("Sent a letter to 36/12, Jadhav Chowk, Nagpur.", ["36", "12", "Jadhav"]),
        # a unit after the number
        ("Lives at Calzada Olvera 75 Interior 61, Toluca.", ["Olvera", "75", "61"]),
    ],
)
def test_a_street_replaced_word_by_word_goes_whole(redact: Redactor, text: str,
                                                   secrets: list[str]) -> None:
    """After "lives at", "moved to", "Address:"... or after a street's type written first
    ("Av", "C.", "Calle", "Vial", "Calzada"), a street whose words the scan replaced as
    names or places loses its house number too (after the name, or before it after the
    lead), and the type word the scan left."""
    _gone(redact, text, *secrets)
    _both(text)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Discussed with Smith 3, then home. Called Smith 3 times.", ["3", "times"]),
        ("She moved to Denver 4 months ago; lives at Mercy House 4 nights a week.",
         ["4", "months", "nights"]),
        ("Lives with Anna Smith 2, alone.", ["2"]),
        ("Seen by Dr. Jones 2, then discharged.", ["2"]),
        ("Transferred to Smith 5 on 2/3.", ["5"]),
        ("Moved to Room 5, bed 2.", ["Room", "5", "bed", "2"]),
        ("Patient returned to room 12 bed 3. Take 2 tablets 3 times daily.",
         ["room", "12", "bed", "3", "2", "tablets", "times", "daily"]),
        ("BP 120/80, HR 72. Gave Lasix 40, K 4.1. Av 3 cm, C. 5 mm.",
         ["120", "80", "72", "Lasix", "40", "4.1", "Av", "3", "cm", "5", "mm"]),
        ("Lives at home with wife, 2 children.", ["home", "2", "children"]),
    ],
)
def test_numbers_beside_names_that_are_not_streets_stay(redact: Redactor, text: str,
                                                        words: list[str]) -> None:
    """A number after a name with no lead to an address, or before a unit of time, a
    dose's, a bed: clinical numbers stay."""
    _kept(redact, text, *words)
    _both(text)


# -- the rest of an address block: units, postcodes, a flat's number -------------------


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Ship to: 12 Ocean Road, Level 3", ["Ocean", "Level", "3"]),
        ("Lives at 8 Elm Street, Studio 4, Leeds.", ["Elm", "Studio", "4", "Leeds"]),
        ("Mail to 310 Ruiz Street Edif. 27 , Depto. 604, thanks.", ["27", "604"]),
        ("Sent a card to 7/215 Harbour Parade, Cairns, QLD, 4870.", ["7", "215", "4870"]),
        ("Ship to 9 Quay Street, D02 X285 Dublin", ["D02", "X285", "Dublin"]),
        ("Lives at 14 Molenweg, 8760XZ, Zwolle", ["Molenweg", "8760XZ", "Zwolle"]),
        ("Address:\nTravessa Lima, 80\nCentro\n15395-569 Campinas / SP",
         ["Lima", "80", "15395", "569", "Campinas"]),
    ],
)
def test_the_rest_of_an_address_block_goes(redact: Redactor, text: str,
                                           secrets: list[str]) -> None:
    """After a street address: a level, a studio, a Spanish or Italian building's, flat's
    or inner number (even when another pass took its word as a name), an Irish or Dutch
    postcode, a Brazilian postcode's second part; before it, a flat's number and a
    slash."""
    _gone(redact, text, *secrets)
    _both(text)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Level 3 trauma center. Studio 4 closed.", ["Level", "3", "Studio", "4"]),
        ("Pain 7/10 at 12 Main Street.", ["7", "10"]),
        ("Lives at 8 Elm Street. Interior 3 cm lesion.", ["Interior", "3", "cm"]),
        ("Dose 1/2 tab; 4 Oak Lane on file; level 2 care.", ["1", "2", "tab", "level"]),
    ],
)
def test_unit_words_away_from_an_address_stay(redact: Redactor, text: str,
                                              words: list[str]) -> None:
    """A unit's word and number not after an address, a score before a slash not right
    before a house number, and what follows a full stop after a street stay."""
    _kept(redact, text, *words)
    _both(text)
