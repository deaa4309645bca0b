"""Classes of miss fixed in issue 11's eighth round: double-barrelled names whose parts
are everyday words (a firm's or a person's: ``Cook-Barker``), and an organisation
after a person's name and ``of`` (``Vilma Holm of Here``).

One test per class; each runs on both scans (compiled when it is built, and pure), which
must agree byte for byte.  Nothing here prints a value.
"""

from __future__ import annotations

import pytest

from redact_scans import both as _both
from redact_scans import gone as _gone
from redact_scans import kept as _kept
from scrubphi.transforms.redact import Redactor

# -- double-barrelled names -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Thanks to everyone at Cook-Barker for the support!", ["Cook", "Barker"]),
        ("The Rivers-Berry warehouse in town closed in 2015.", ["Rivers", "Berry"]),
        ("Pt works for Wade-Mann; exposure to solvents.", ["Wade", "Mann"]),
        ("Visited by Mrs. Hope-Mason and her son.", ["Hope", "Mason"]),
        ("Former employer: Lane-Moss-Grant. Current: unemployed.", ["Lane", "Moss", "Grant"]),
    ],
)
def test_a_double_barrelled_name_of_words_goes(redact: Redactor, text: str,
                                               secrets: list[str]) -> None:
    """Two or three name-words in Title case joined by hyphens are a name: each part goes,
    the hyphens stay."""
    out = _gone(redact, text, *secrets)
    assert out.count("-") == text.count("-")
    _both(text)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Swan-Ganz placed, Jackson-Pratt drain to bulb.", ["Swan", "Ganz", "Jackson", "Pratt"]),
        ("Suctioned for Green-Brown sputum, North-West wing.",
         ["Green", "Brown", "North", "West"]),
        ("SPUTUM FAIR-GOOD, Long-Term Care, Self-Pay, Follow-Up in 2 wks.",
         ["FAIR", "GOOD", "Long", "Term", "Self", "Pay", "Follow", "Up"]),
        ("Hx of Guillain-Barre, Wolff-Parkinson-White.",
         ["Guillain", "Barre", "Wolff", "Parkinson", "White"]),
        ("hr 60-70s, bp 110-140/60-80, shift 0700-1930.", ["60", "70s", "110", "0700", "1930"]),
    ],
)
def test_eponyms_colours_and_compounds_stay(redact: Redactor, text: str,
                                            words: list[str]) -> None:
    """A medical eponym, colours, compass words, compounds and numbers joined by hyphens
    are kept."""
    _kept(redact, text, *words)
    _both(text)


# -- an organisation after "<name> of" ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Vilma Holm of Here is the CEO of the year.", ["Here"]),
        ("We met Jorge Ruiz of Capital Cube at the fair.", ["Capital", "Cube"]),
        ("Anna Berg of Walk Score called back.", ["Walk", "Score"]),
    ],
)
def test_an_organisation_after_a_name_and_of_goes(redact: Redactor, text: str,
                                                  secrets: list[str]) -> None:
    """Title-case words after a person's name and ``of`` name where the person is from."""
    _gone(redact, text, *secrets)
    _both(text)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Seen by Dr. Jorge Ruiz of Cardiology, then Dr. Anna Berg of Renal.",
         ["Cardiology", "Renal"]),
        ("Dr. Ruiz of General Surgery aware.", ["General", "Surgery"]),
        ("Dr. Ruiz of the ICU aware; wife of pt at bedside.", ["the", "ICU", "wife", "pt"]),
    ],
)
def test_a_service_after_a_name_and_of_stays(redact: Redactor, text: str,
                                             words: list[str]) -> None:
    """A clinical service after ``<name> of`` is kept, as are lower-case words."""
    _kept(redact, text, *words)
    _both(text)


# -- partners joined by "&" or "and" --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Roland Nygren, director of Åberg & Palm HB, signed.", ["Palm"]),
        ("Former employer: Engberg & Frisk HB.", ["Frisk"]),
        ("Spoke with HR at Morante y Lamas today.", ["Lamas"]),
        ("Mary Jones and Bill visited this evening.", ["Bill"]),
        # (a partner's name that ends the text: its legal form was read past the end)
        ("Spoke with HR at Morante y Lamas", ["Lamas"]),
        ("Former employer: Engberg & Frisk", ["Frisk"]),
    ],
)
def test_a_partner_of_a_replaced_name_goes(redact: Redactor, text: str,
                                           secrets: list[str]) -> None:
    """A Title-case word after a replaced name and ``&``, or ``and`` when it is a name
    too, is a partner's name."""
    _gone(redact, text, *secrets)
    _both(text)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Dr. Ruiz and Nurse Kelly saw pt; Dr. Berg and Team aware.", ["Nurse", "Team"]),
        ("Mary Jones and Son at bedside; wife and daughter called.", ["Son", "wife", "daughter"]),
        ("Dr. Ruiz and Cardiology aware, Lasix and Coumadin held.",
         ["Cardiology", "Lasix", "Coumadin"]),
        ("Per Dr. Ruiz & Swan placed.", ["Swan"]),
    ],
)
def test_roles_and_clinical_words_after_a_name_and_stay(redact: Redactor, text: str,
                                                        words: list[str]) -> None:
    """Roles, relations, services, eponyms and words that are no name stay."""
    _kept(redact, text, *words)
    _both(text)


# -- legal forms after a replaced name ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secrets", "shape"),
    [
        # (the seventeenth round's firms named by a form go whole, as a company's fake:
        # tests/test_redact_recall17.py)
        ("She has worked at Gabinety Kontny Sp. z o.o. since 2010.", ["z", "o", "Sp"], False),
        ("Our supplier, Câmara Soares - ME, delivered.", ["ME"], True),
        ("He retired from Lindholm As Oy last year.", ["As", "Oy"], True),
        ("Pt works for Colomer Hahn S.Coop. as a welder.", ["Coop"], False),
        ("He retired from Fechner Mentzel GmbH & Co. KG last year.", ["Co", "KG"], True),
        ("Invoice sent to Zemanová Švecová o.s. today.", ["o", "s"], True),
    ],
)
def test_a_legal_form_after_a_name_goes(redact: Redactor, text: str,
                                        secrets: list[str], shape: bool) -> None:
    """The letters of a legal form after a replaced name become keyed letters; its dots,
    spaces and ampersand stay (or the firm goes whole, form and all)."""
    out = _gone(redact, text, *secrets)
    if shape:
        for c in ".&-":
            assert out.count(c) == text.count(c)
    _both(text)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Heparin 5000 units s.c. q12h, insulin S.C. at 0800.", ["s", "c", "S", "C"]),
        ("Moved from Columbia S.C. last year, heparin 5000 s.c. bid.", ["S", "C", "s", "c"]),
        ("Pt is ME/CFS, on RA, ry 12, Oy.", ["ME", "ry", "Oy"]),
    ],
)
def test_legal_forms_not_after_a_name_stay(redact: Redactor, text: str,
                                           words: list[str]) -> None:
    """Without a replaced name before it (or after a town, for a state's code), a form's
    letters stay: ``s.c.`` of a dose, ``S.C.`` and ``Ky`` of states."""
    _kept(redact, text, *words)
    _both(text)
