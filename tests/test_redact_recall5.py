"""Classes of miss fixed in issue 11's seventh round: MAC addresses, a two-digit year after
a birth label, care facilities named without the word ``Hospital``, and an age of a
hundred and more written with ``one``.

One test per class; each runs on both scans (compiled when it is built, and pure), which
must agree byte for byte.  Nothing here prints a value.
"""

from __future__ import annotations

import re

import pytest

from redact_scans import both as _both
from redact_scans import gone as _gone
from redact_scans import kept as _kept
from scrubphi.transforms.redact import Redactor

# -- MAC addresses --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Pump MAC 00:1A:2B:3C:4D:5E logged at 0800.", "00:1A:2B:3C:4D:5E"),
        ("device mac 00-1a-2b-3c-4d-5e, reset", "00-1a-2b-3c-4d-5e"),
        ("Monitor hw addr 3c:d9:2b:07:11:90.", "3c:d9:2b:07:11:90"),
        ("Telemetry box 001A.2B3C.4D5E on bed 4.", "001A.2B3C.4D5E"),
    ],
)
def test_a_mac_address_goes(redact: Redactor, text: str, secret: str) -> None:
    """A device's hardware address goes, whole, as hex digits in the same shape."""
    out = redact.redact(text)
    assert secret not in out
    shape = re.sub(r"[0-9A-Fa-f]", "h", secret)
    found = [w for w in re.findall(r"[0-9A-Fa-f:.-]{14,17}", out)
             if re.sub(r"[0-9A-Fa-f]", "h", w) == shape]
    assert len(found) == 1, "the surrogate has not the address's shape"
    same = sum(a.lower() == b.lower() for a, b in zip(re.split(r"[:.-]", found[0]),
                                                       re.split(r"[:.-]", secret), strict=True))
    assert same <= 1, "groups of the address left in place"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Shift 0700-1930, vent 12:30:00, I:E 1:2.", ["0700-1930", "12:30:00", "1:2"]),
        ("Sats 12-14-15-16-18-20 on the trend.", ["12-14-15-16-18-20"]),
        ("Labs 2021-03-04 reviewed, ratio 10:1.", ["10:1"]),
    ],
)
def test_times_ratios_and_readings_are_no_mac(redact: Redactor, text: str,
                                              words: list[str]) -> None:
    """Clock times, ratios and runs of readings keep their place."""
    out = redact.redact(text)
    for i, word in enumerate(words):
        assert word in out, f"word {i} changed"


# -- a two-digit year after a birth label is in the past -------------------------------------


@pytest.mark.parametrize(
    "text",
    ["DOB 4/5/30, admitted today.", "D.O.B.: 04/05/30", "Date of birth 4-5-30.",
     "dob: 11/21.30", "Birthdate 12/1/33 per chart."],
)
def test_a_birth_year_of_two_digits_is_in_the_past(text: str) -> None:
    """'30' after DOB is 1930: with dates: year (as_of 2026) it becomes the earliest year
    written, 1936 ('36'), not kept as if it were 2030."""
    out = _both(text, as_of="2026-06-01")
    years = re.findall(r"\d+", out)
    assert years[-1] == "36", "the birth year was kept"


def test_a_two_digit_year_without_a_birth_label_keeps_its_pivot() -> None:
    """Without a birth label, '30' is read as before (2030) and kept as a year."""
    out = _both("Seen 4/5/30 in clinic.", as_of="2026-06-01")
    assert re.findall(r"\d+", out)[-1] == "30"


def test_a_birth_year_of_two_digits_in_the_past_already() -> None:
    """'DOB 4/5/62' was right before (1962) and stays so: the year is kept."""
    out = _both("DOB 4/5/62", as_of="2026-06-01")
    assert re.findall(r"\d+", out)[-1] == "62"


# -- care facilities without the word Hospital ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Transferred from Mercy General yesterday.", ["Mercy"]),
        ("He was taken to Mass General by ambulance.", ["Mass"]),
        ("TRANSFERRED FROM MERCY GENERAL TODAY.", ["MERCY"]),
        ("Pt came from Sunrise Assisted Living last night.", ["Sunrise"]),
        ("She lives at St. Agnes Nursing Home with her sister.", ["St", "Agnes"]),
        ("Lives at Golden Age Care Home, daughter visits.", ["Golden", "Age"]),
        ("Admitted to Pine Ridge Retirement Community in 2019.", ["Pine", "Ridge"]),
        ("Went to Cedar Grove Convalescent Home.", ["Cedar", "Grove"]),
        ("Resident of Willow Brook Skilled Nursing Facility.", ["Willow", "Brook"]),
        ("Discharged to Harbor View Nursing and Rehabilitation Center.", ["Harbor", "View"]),
        ("D/C TO GREEN VALLEY NURSING HOME.", ["GREEN", "VALLEY"]),
    ],
)
def test_a_care_facility_named_without_hospital(redact: Redactor, text: str,
                                                secrets: list[str]) -> None:
    """The name before a facility's head words goes, everyday words included."""
    _gone(redact, text, *secrets)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Nursing home placement discussed. Assisted living is an option.",
         ["Nursing", "Assisted", "living"]),
        ("The Nursing Home called. Needs Assisted Living per PT.",
         ["The", "Needs", "Nursing", "Home", "Assisted", "Living"]),
        ("General: NAD. Physical Exam General: alert. General Surgery to follow.",
         ["General", "Physical", "Exam", "Surgery"]),
        ("Consult General Surgery today. Attorney General called.",
         ["Consult", "Attorney", "General"]),
        ("Transferred to General Medicine service, then to General Surgery.",
         ["General", "Medicine", "Surgery"]),
        ("Activities of Daily Living assessed; back to the local Nursing Home.",
         ["Daily", "Living", "local"]),
        ("Brigadier General called.", ["Brigadier", "General"]),
    ],
)
def test_facility_words_without_a_name_stay(redact: Redactor, text: str,
                                            words: list[str]) -> None:
    """A facility's head words alone, a generic word before them, and General as a
    clinical or an office's word stay."""
    _kept(redact, text, *words)


# -- an age of a hundred and more with "one" ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She is a one hundred and two year old woman.", "She is a 90+ year old woman."),
        ("One hundred year old man, alert.", "90+ year old man, alert."),
        ("He is a hundred and one years old.", "He is a 90+ years old."),
    ],
)
def test_one_hundred_in_an_age_goes_whole(text: str, expected: str) -> None:
    """'one hundred and two year old' becomes '90+ year old', not 'one 90+ year old';
    the article of 'a hundred' stays."""
    assert _both(text) == expected


def test_a_word_ending_in_one_before_hundred_stays() -> None:
    """Only the word 'one' goes with the age ('bone' is no part of it)."""
    assert _both("bone hundred and two year old").startswith("bone ")


def test_facility_and_mac_findings_have_known_kinds(redact: Redactor) -> None:
    """The late pass reports kinds that the redactor lists."""
    from scrubphi.transforms.redact import KINDS_FOUND

    found = redact.find("From Mercy General; pump 00:1A:2B:3C:4D:5E.")
    assert found and all(f.kind in KINDS_FOUND for f in found)


def test_scans_agree_on_the_new_classes() -> None:
    """Both scans give the same bytes on a note holding every class."""
    _both("DOB 4/5/30. From Sunrise Assisted Living, pump 00-1a-2b-3c-4d-5e, a one "
          "hundred and one year old, to Mercy General.", as_of="2026-06-01")


# -- a name in lower case: a first name and a surname kept as a misspelling -------------------


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("family meeting with gloria tanter and son.", ["gloria", "tanter"]),
        ("d/w kenny rober at bedside.", ["kenny"]),
        ("skin care to see pt, per patty hoeller.", ["patty", "hoeller"]),
    ],
)
def test_a_lower_case_name_with_a_surname_like_a_typo(redact: Redactor, text: str,
                                                      secrets: list[str]) -> None:
    """A first name in lower case, then a word that no list has and that the scan
    would keep as a misspelling: both are a person's name."""
    _gone(redact, text, *secrets)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("will contniue to monitor. bill amts pending. may resovle.",
         ["will", "contniue", "bill", "amts", "may", "resovle"]),
        ("pt's sandy stool noted; grace period over.", ["sandy", "stool", "grace", "period"]),
        ("Sandy Tanter called.", ["called"]),
    ],
)
def test_lower_case_words_that_are_no_name_pair_stay(redact: Redactor, text: str,
                                                     words: list[str]) -> None:
    """A stop word or a context word before a misspelling, and a first name before an
    everyday word, stay."""
    _kept(redact, text, *words)
