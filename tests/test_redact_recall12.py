"""Classes fixed in issue 11's twelfth round: a numeric date's surrogate of a constant
width (dates: year), organisations named after a role word, and a ventilator's settings
written like a date with a percentage after it.

One test per class; each runs on both scans (compiled when it is built, and pure), which
must agree byte for byte.  Nothing here prints a value.
"""

from __future__ import annotations

import pytest

from redact_scans import both as _both
from redact_scans import gone as _gone
from redact_scans import kept as _kept
from scrubphi.transforms.redact import Redactor

# -- a numeric date's surrogate has one width ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "out"),
    [
        # one digit or two, the surrogate is the same: its width says nothing of the month
        ("cultures 10/1 via the line", "cultures 01/01 via the line"),
        ("cultures 3/1 via the line", "cultures 01/01 via the line"),
        ("cultures 03/01 via the line", "cultures 01/01 via the line"),
        ("Seen 12/3/19 and 2/3/19.", "Seen 01/01/19 and 01/01/19."),
        ("MI 8/84, CABG 11/84", "MI 01/84, CABG 01/84"),
        ("seen 2/2021 and 12/2021", "seen 01/2021 and 01/2021"),
        ("on 7-8 and on 10-8", "on 01-01 and on 01-01"),
        ("TREATMENTS 1/3/10/4", "TREATMENTS 01/01/01/01"),
        ("1/21.93; 11/21.93", "01/01.93; 01/01.93"),
        ("admitted 2021-3-4", "admitted 2021-01-01"),
        ("13/4/2021 and 4/13/2021", "01/01/2021 and 01/01/2021"),
    ],
)
def test_a_numeric_date_becomes_one_form_whatever_its_width(redact: Redactor, text: str,
                                                             out: str) -> None:
    """With dates: year, a numeric date's month and day are always two digits: "10/1" as
    "01/1" said the month had two digits (October to December); the year keeps its
    width, the separators and the order stay."""
    assert redact.redact(text) == out
    _both(text)


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("shifted 10/1 via the line", 2),
        ("shifted 3/1 via the line", 1),
    ],
)
def test_a_shift_keeps_the_width_of_the_month(text: str, digits: int) -> None:
    """A shift moves the date by a keyed offset: its month keeps the original's width
    when it has fewer digits (the offset, not the width, hides it)."""
    out = _both(text, dates="shift", days=30)
    month = out.split()[1].split("/")[0]
    assert len(month) >= digits


# -- an organisation after a role word ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "org"),
    [
        ("She is the CEO of Capital Cube.", "Capital Cube"),
        ("He retired from Bethlehem Steel in 1998.", "Bethlehem Steel"),
        ("He was hired by Golden Meadow in 2019.", "Golden Meadow"),
        ("Insurance is through Blue Shield.", "Blue Shield"),
        ("She is insured by Silver Harbor.", "Silver Harbor"),
        ("He volunteers at Open Door on weekends.", "Open Door"),
        ("Her brother was president of Simply Red until 2010.", "Simply Red"),
        ("an employee of Walk Score since 2001", "Walk Score"),
        ("The founder of Bright Lantern called.", "Bright Lantern"),
    ],
)
def test_an_organisation_after_a_role_word_goes(redact: Redactor, text: str, org: str) -> None:
    """A word of a person's place in an organisation, of joining or leaving one, or of
    an insurer, and "of", "from", "through", "for", "at" or "by": the capitalised words
    after it (up to three) are the organisation's name, everyday words too."""
    _gone(redact, text, *org.split())
    _both(text)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # a service's, a department's or a programme's words are no employer
        ("Discussed with President of Medical Staff.", ["President", "Medical", "Staff"]),
        ("Pt hired by Nursing Home? Unclear.", ["Nursing", "Home"]),
        ("He retired from Teaching in 2001.", ["Teaching"]),
        ("She used to volunteer at Hospice weekly.", ["Hospice"]),
        ("Spokesperson for Family is Son.", ["Family", "Son"]),
        # lower case, a stop word, clinical words around the role words
        ("Increased work of breathing, retired from work due to CHF.",
         ["work", "breathing", "retired", "CHF"]),
        ("insurance through the hospital; CEO of the practice aware",
         ["insurance", "through", "the", "hospital", "CEO", "practice"]),
        ("INSURED BY MEDICARE. RETIRED FROM POST OFFICE.", ["INSURED", "RETIRED", "POST"]),
    ],
)
def test_services_and_clinical_words_after_role_words_stay(redact: Redactor, text: str,
                                                           words: list[str]) -> None:
    """Not a service's or a programme's words, not lower-case words, not a note in
    capitals (no capital says "name" there)."""
    _kept(redact, text, *words)
    _both(text)


# -- a setting written like a date ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "RESP: on psv5/5/40% w/ rr 20's",
        "Able to wean PSV to 10/5/40% . TV >400cc",
        "CPAP 5/5/50% overnight",
    ],
)
def test_a_setting_with_a_percentage_is_no_date(redact: Redactor, text: str) -> None:
    """Pressure support, PEEP and FiO2 written together ("10/5/40%"): a percentage after
    it makes it a setting, as it does a month/day."""
    assert redact.redact(text) == text
    _both(text)


def test_a_date_before_other_punctuation_still_goes(redact: Redactor) -> None:
    out = _gone(redact, "seen 5/5/40, and 6/7/41.", "5/5/40", "6/7/41")
    assert "01/01/40" in out
    _both("seen 5/5/40, and 6/7/41.")


# -- a town an eponym has too ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "town"),
    [
        ("I'm in Miami, at the conference.", "Miami"),
        ("She moved to Philadelphia.", "Philadelphia"),
        ("Lives in Salem with his wife.", "Salem"),
        ("Flew home from Glasgow\nyesterday.", "Glasgow"),
        ("Daughter drove up from Norwood; will stay.", "Norwood"),
    ],
)
def test_a_town_an_eponym_has_goes_after_a_place_preposition(redact: Redactor, text: str,
                                                             town: str) -> None:
    """A gazetteer's town that an eponym has too (no name list has it), capitalised,
    after a lower-case place preposition and before the clause's end or a stop word."""
    _gone(redact, text, town)
    _both(text)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Pt placed in Miami J collar, then in Philadelphia collar.", ["Miami", "Philadelphia"]),
        ("Heterozygous for factor V Leiden.", ["Leiden"]),
        ("GCS 14; h/o Hashimoto's, Chiari malformation s/p decompression.",
         ["Hashimoto", "Chiari"]),
        ("Wound dressed and wrapped in Unna boot.", ["Unna"]),
        ("S/P Norwood. Glasgow Coma Scale 15.", ["Norwood", "Glasgow"]),
        ("PT PLACED IN MIAMI J. FROM PHILADELPHIA.", ["MIAMI", "PHILADELPHIA"]),
    ],
)
def test_eponyms_stay_eponyms(redact: Redactor, text: str, words: list[str]) -> None:
    """The eponym: its next word (a collar, a boot), no place preposition, a possessive,
    or a note in capitals."""
    _kept(redact, text, *words)
    _both(text)


def test_the_eponyms_towns_are_the_lists_own() -> None:
    """context._EPONYM_PLACES is the gazetteer's words that the eponyms have and the
    name lists do not: rebuilt lists must keep it so."""
    from scrubphi.transforms.redact.context import _EPONYM_PLACES
    from scrubphi.transforms.redact.vocab import _lines

    def words(stem: str) -> set[str]:
        return {w.strip().lower() for w in _lines(stem)}

    derived = (words("places") & words("eponyms")) - words("first_names") - words("last_names")
    assert derived == _EPONYM_PLACES


# -- weekdays in the plural ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "HD on Mondays, Wednesdays and Fridays; church on Sundays.",
        "Dialysis MWF (Tuesdays and Thursdays off), son visits Saturdays.",
    ],
)
def test_weekdays_in_the_plural_stay(redact: Redactor, text: str) -> None:
    """Weekdays are safe words, in the plural too (a dialysis schedule, a visit)."""
    assert redact.redact(text) == text
    _both(text)


# -- a first name before a visit's or a call's verb -----------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Resp: CTA. Social: bill called once about 4:30am.", "bill"),
        ("Neuro: A+O x3. social: bob visited during the evening.", "bob"),
        ("Plan: continue. rose visited today and is updated.", "rose"),
        ("GI: tolerating TF; sue phoned at 2pm re: plan.", "sue"),
    ],
)
def test_a_first_name_before_a_visit_or_a_call_goes(redact: Redactor, text: str,
                                                   name: str) -> None:
    """A first name in lower case opening a clause before "called", "visited",
    "phoned"..., an everyday word too ("bill", "rose"), in a note of both cases."""
    _gone(redact, text, name)
    _both(text)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Plan: will call back. Pharmacy called. Family visited.",
         ["will", "Pharmacy", "Family"]),
        ("Resp: pt called out for help, then visited by RT.", ["pt", "called", "RT"]),
        ("SOCIAL: WILL CALLED BACK. MARK VISITED.", ["WILL", "MARK"]),
        ("Neuro: she said bill called? unclear. a bill came today.", ["bill"]),
        # in title case an everyday word stays without a lookup (test_redact_lookup.py)
        ("Hope visited. Grace called.", ["Hope", "Grace"]),
    ],
)
def test_clinical_words_before_a_visit_stay(redact: Redactor, text: str,
                                            words: list[str]) -> None:
    """Not a word that no name list has as a first name, not a note in capitals, not a
    first name inside a clause, not a capitalised everyday word (only a lookup makes
    "Hope visited." a name)."""
    _kept(redact, text, *words)
    _both(text)
