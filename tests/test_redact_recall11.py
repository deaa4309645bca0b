"""Classes of miss fixed in issue 11's eleventh round (organisations, a ship's address): a
firm named by its partners, replaced whole as a company column's value is; a ship of a
military address; an organisation named before "'s" and a person's name.

One test per class; each runs on both scans (compiled when it is built, and pure), which
must agree byte for byte.  Nothing here prints a value.
"""

from __future__ import annotations

import pytest

from redact_scans import KEY
from redact_scans import both as _both
from redact_scans import gone as _gone
from redact_scans import kept as _kept
from scrubphi.transforms import build_transform
from scrubphi.transforms.base import ColumnInfo, TransformContext
from scrubphi.transforms.redact import Redactor, surrogate_specs


def _company(value: str) -> str:
    built = build_transform(surrogate_specs()["company"], ColumnInfo("firm", "text"),
                            TransformContext(key=KEY))
    out = built.fn(value)
    assert isinstance(out, str)
    return out


# -- a firm named by its partners, whole -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "firm"),
    [
        ("He owns Hodge, Kim and Graham with his brother.", "Hodge, Kim and Graham"),
        (">Marshall, Hernandez and Simpson\n>3378 Lovers Lane", "Marshall, Hernandez and Simpson"),
        ("She works for Jenssen, Simonsen og Myklebust as a cashier.",
         "Jenssen, Simonsen og Myklebust"),
        ("She works for Dekker & Reimes.", "Dekker & Reimes"),
        ("He was referred by Acosta and Sons.", "Acosta and Sons"),
        ("A manager at Dias et Fils called.", "Dias et Fils"),
        ("The Jones, Smith and Davis Orchestra was founded in 1988.", "Jones, Smith and Davis"),
    ],
)
def test_a_firm_of_partners_goes_whole(redact: Redactor, text: str, firm: str) -> None:
    """Three surnames joined by a comma and "and" ("og", "e", "y"...), two joined by "&",
    an owner and "Sons" ("Fils", "Sønner"...): the firm becomes ``{fake: company}`` of
    it, what a company column holding it becomes; the link word goes with it when the
    fake has another form."""
    out = _gone(redact, text, *[w for w in firm.replace(",", "").split(" ")
                                if w[:1].isupper()])
    assert _company(firm) in out
    _both(text)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # people, not a firm: after a title, a first name first, one of a longer list
        ("Seen by Drs. Smith, Jones and Brown today.", ["Drs", "and"]),
        ("Our founders: Rudi, Jackson and Campos.", ["and"]),
        ("Makers: White, Willis and Hoffman, Lucid and Loveland Technologies.", ["and"]),
        ("Ezxbrl, Henderson, Hicks and Brown and Abt Associates.", ["and"]),
        # clinical words and numbers around them stay
        ("BP 120/80, HR 72 and sats 98% RA; Lasix 40 mg and KCl 20 mEq given.",
         ["120", "80", "72", "and", "98", "RA", "Lasix", "40", "mg", "KCl", "20", "mEq"]),
        ("CXR, ECG and ABG done; Mallory-Weiss tear and Swan-Ganz out.",
         ["CXR", "ECG", "and", "ABG", "Mallory", "Weiss", "Swan", "Ganz"]),
    ],
)
def test_lists_of_people_and_clinical_lists_stay_lists(redact: Redactor, text: str,
                                                       words: list[str]) -> None:
    """Surnames after a title, or led by a first name, or one of a longer list, are
    replaced one by one (a list's "and" stays); clinical lists are no firm."""
    _kept(redact, text, *words)
    _both(text)


# -- a ship of a military address -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("I'll meet you at USS Mahler\nFPO AA 70489 after the concert.",
         ["USS", "Mahler", "70489"]),
        ("Ship to: USNV Allen FPO AE 33312", ["USNV", "Allen", "33312"]),
        ("Mail goes to USCGC Smith\nFPO AP 12345.", ["USCGC", "Smith", "12345"]),
    ],
)
def test_a_ships_address_goes(redact: Redactor, text: str, secrets: list[str]) -> None:
    """A ship's prefix ("USS", "USNS", "USNV", "USCGC") and name before "FPO": the
    ship's line of a military address goes with the rest of it."""
    _gone(redact, text, *secrets)
    _both(text)


def test_uss_and_fpo_alone_stay(redact: Redactor) -> None:
    text = "USS 4.2 cm on CT; FPO given. Pt Na 138, K 4.0."
    _kept(redact, text, "USS", "4.2", "cm", "CT", "FPO", "Na", "138", "K", "4.0")
    _both(text)


# -- an organisation before "'s" and a person's name -----------------------------------------


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Capital Cube's Anna Berg called about the claim.", ["Capital", "Cube", "Anna"]),
        ("Bridgewater's Parker Suknović spoke first.", ["Bridgewater", "Parker"]),
        ("We heard Walk Score\u2019s Tom Reyes on the radio.", ["Walk", "Score", "Reyes"]),
    ],
)
def test_an_organisation_before_its_people_goes(redact: Redactor, text: str,
                                                secrets: list[str]) -> None:
    """Up to three Title-case words, everyday ones too, before "'s" and a person's first
    name and surname that the scan replaced."""
    _gone(redact, text, *secrets)
    _both(text)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Here's John Smith with the results. Mother's visit.", ["Here", "Mother"]),
        ("That's Anna Berg on the phone; Patient's Mary Smith?", ["That", "Patient"]),
        ("Parkinson's disease, Bell's palsy; Crohn's flare. INR 2.3, PTT 40.",
         ["Parkinson", "Bell", "Crohn", "INR", "2.3", "PTT", "40"]),
        ("Wife's John Smith called. Called the Billing office at 3 pm.",
         ["Wife", "Billing", "office", "3", "pm"]),
    ],
)
def test_contractions_relations_and_eponyms_with_s_stay(redact: Redactor, text: str,
                                                        words: list[str]) -> None:
    """Before "'s" and a name: a contraction ("Here's", "That's"), a relation or a
    patient ("Wife's", "Patient's"); eponyms with "'s", numbers: they stay."""
    _kept(redact, text, *words)
    _both(text)


# -- an organisation's line in a letterhead or a signature ------------------------------------


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Dreux Joly\nChoice\nPSC 3294, Box 9168\nAPO AA 61487", ["Choice"]),
        (">Esat Jeknić\n>Ask\n>Esat Jeknić\n>3378 Lovers Lane\n>Suite 680", ["Ask"]),
        ("From: Alyssa Cardenas\nOption Works\n404 Evelyn Walks Suite 017", ["Option", "Works"]),
        ("Regards,\nAnna Berg\nCapital Cube\n12 Main Street, Boston", ["Capital", "Cube"]),
    ],
)
def test_an_organisations_line_in_a_signature_goes(redact: Redactor, text: str,
                                                   secrets: list[str]) -> None:
    """The line between a person's name (the scan replaced it) and an address's first line,
    of up to four capitalised words, everyday ones too, is the organisation's."""
    _gone(redact, text, *secrets)
    _both(text)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Anna Berg\nSocial Work\n12 Main Street, Boston", ["Social", "Work"]),
        ("Seen today.\nCardiology Follow Up\n12 Main Street, Boston", ["Cardiology", "Follow"]),
        ("BP 120/80, HR 72.\nPlan: Lasix 40 mg\n12 Main Street, Boston",
         ["120", "80", "72", "Plan", "Lasix", "40", "mg"]),
        ("Anna Berg\nCall Back Tomorrow, ok\n12 Main Street, Boston", ["Call", "Back"]),
        ("ICU NURSING NOTE\nNEURO INTACT\n12 Main Street, Boston", ["ICU", "NEURO", "INTACT"]),
    ],
)
def test_lines_above_an_address_that_are_no_organisation_stay(redact: Redactor, text: str,
                                                              words: list[str]) -> None:
    """A service's line, a line with no name's line above it, a sentence, clinical
    words and numbers, capitals: they stay."""
    _kept(redact, text, *words)
    _both(text)
