"""Classes fixed in issue 11's fourteenth round: continental streets written street first,
then the house number, whose number stayed when the scan read the street as a surname.

One test per class; each runs on both scans (compiled when it is built, and pure), which
must agree byte for byte.  Nothing here prints a value.
"""

from __future__ import annotations

import pytest

from redact_scans import both as _both
from redact_scans import gone as _gone
from redact_scans import kept as _kept
from scrubphi.transforms.redact import Redactor

# -- a street named with its type's suffix, then its house number -----------------------------


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        # a hyphenated street's name ending in its type, every part of a range or slash
        ("My address is Ahmet-Conradi-Weg 1.", ["Ahmet", "Conradi", "1"]),
        ("Lives at Meinolf-Fechner-Allee 16-22, with her son.",
         ["Meinolf", "Fechner", "16", "22"]),
        ("She moved to Cläre-Heuser-Platz 27/71 last year.", ["Cläre", "Heuser", "27", "71"]),
        ("Please send it to Luis-Plath-Ring 9-4 by Friday.", ["Luis", "Plath", "9", "4"]),
        # the type written onto the name, or shortened before its dot
        ("Please send it to Kargestr. 87-30 by Friday.", ["Kargestr", "87", "30"]),
        ("My address is Heringgasse 21-99.", ["Heringgasse", "21", "99"]),
        ("She moved to Scheuermannweg 74/66 last year.", ["Scheuermannweg", "74", "66"]),
        ("Seipstr. 8999", ["Seipstr", "8999"]),
        # Finnish: the type onto the name, or as a word after a name the scan replaced
        ("She moved to Betonitie 7 last year.", ["Betonitie", "7"]),
        ("Haagan pappilantie 8", ["Haagan", "pappilantie", "8"]),
        ("Lives at Walentin Chorellin kuja 295, with her son.", ["Walentin", "Chorellin", "295"]),
        # a street without a type the scan replaced, and the first half of the number: the
        # second half goes too
        ("Lives at Σιτομένων 20-19, with her son.", ["Σιτομένων", "20", "19"]),
    ],
)
def test_a_street_by_its_type_loses_its_house_number(redact: Redactor, text: str,
                                                     secrets: list[str]) -> None:
    """A street whose word ends in a street type ("-weg", "-gasse", "-str.", "-tie"...),
    or that is a type word after a name the scan replaced ("Chorellin kuja"), before a
    house number: the scan took the street for a surname and left the number
    ("Dave-Lynn-Velazquez 1", "Quinn. 87-30", "Castro 19-99"); every part of the number
    goes now, as keyed digits (an address, so the address's block walk goes on)."""
    _gone(redact, text, *secrets)
    _both(text)


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("She moved to Alexandar-Doppler-Weg 115 last year.", ["Doppler", "Weg", "115"]),
        ("She moved to Lean-Stolz-Weg 67 last year.", ["Lean", "Stolz", "Weg", "67"]),
    ],
)
def test_a_hyphenated_street_goes_whole(redact: Redactor, text: str, secrets: list[str]) -> None:
    """A hyphenated name ending in ``-Weg``, ``-Straße``, ``-Gasse``... before a house
    number is a street's: the parts the scan left ("Doppler" is a clinical word) go as
    surnames too, as the scan's do, and the number; with two names before the type, also
    when the scan read none of it."""
    _gone(redact, text, *secrets)
    _both(text)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("K 3.5, BP 120/80, Na 138, Cl 100", ["K", "3.5", "BP", "120/80", "Na", "138", "100"]),
        ("Moved to room 5, bed 12, turned x 3, pain meds q 4-6h",
         ["room", "5", "bed", "12", "3", "4-6h"]),
        ("Seen by Dr. Herring 2 weeks ago.", ["2"]),
        ("Mrs. Christie 3 visits this week.", ["3"]),
        ("Spoke with Dr. Döring 4 times.", ["4"]),
        ("Billroth-Ring 2 noted.", ["Billroth-Ring", "2"]),
        ("AUGMENTED 58-42, sys unload 2-6", ["58-42", "2-6"]),
        ("Ringer 500 ml given, Kussmaul 2", ["500", "2"]),
    ],
)
def test_numbers_after_capitalised_words_stay(redact: Redactor, text: str,
                                              words: list[str]) -> None:
    """Not without a street's type: a capitalised word before a number is a lab, a
    vital sign, a room or a count; a name after a title that ends like a type ("Herring",
    "Christie") is a person's; one hyphenated name before a type that the scan did not read
    is an eponym's."""
    _kept(redact, text, *words)
    _both(text)
