"""Classes fixed in issue 11's eighteenth round: organisations named after a strong cue
(``Employer: Acme Foods``, ``works as a nurse at Bright Harbor``, ``employed by
Walmart``, ``which later became Adaptive``, ``The Lucid office is at ...``, ``Acme,
Inc.``), whose words the scan kept when they were everyday words, or replaced one by one
as a town or a surname; and the clinical text with the same words, which stays.

One test per class; each runs on both scans (compiled when it is built, and pure), which
must agree byte for byte.  The sentences are written from the cues' generic forms.
Nothing here prints a value.
"""

from __future__ import annotations

import pytest

from redact_scans import both as _both
from redact_scans import column_fake
from redact_scans import gone as _gone
from redact_scans import kept as _kept
from scrubphi.transforms.redact import Redactor


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Employer: Acme Foods", ["Acme", "Foods"]),
        ("Occupation: cashier. Employer: Target", ["Target"]),
        ("SOCIAL HX: lives with wife.\nEmployer: Harbor Light Freight, since 2010.",
         ["Harbor", "Light", "Freight"]),
        ("Insurance: Blue Cross", ["Blue", "Cross"]),
        ("Insurer: Summit Mutual", ["Summit", "Mutual"]),
        ("Place of employment: Golden Valley Dairy", ["Golden", "Valley", "Dairy"]),
    ],
)
def test_an_organisation_after_a_label(redact: Redactor, text: str,
                                       secrets: list[str]) -> None:
    """A label of an employer or an insurer, then up to four capitalised words on its
    line: the organisation, whatever its words are."""
    _gone(redact, text, *secrets)
    _both(text)


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("She works as a nurse at Bright Harbor.", ["Bright", "Harbor"]),
        ("He works as a truck driver for Swift Transport.", ["Swift", "Transport"]),
        ("Pt works at Acme Foods as a cook.", ["Acme", "Foods"]),
        ("He is employed by Walmart.", ["Walmart"]),
        ("She has been employed by Quill Point since 2001.", ["Quill", "Point"]),
        ("He used to work at Stark Industries.", ["Stark", "Industries"]),
        ("She volunteers at Second Harvest on weekends.", ["Second", "Harvest"]),
        ("Works part time for Orbit Cleaning & Supply.", ["Orbit", "Cleaning", "Supply"]),
        ("He works as a Senior Data Analyst at Kestrel Labs.", ["Kestrel", "Labs"]),
        ("She is employed by The Climate Corporation.", ["Climate", "Corporation"]),
        ("He works for Amazon Web Services.", ["Amazon", "Web", "Services"]),
        ("He lost his job at Acme Foods last year.", ["Acme", "Foods"]),
        ("She was laid off from Quill Point in May.", ["Quill", "Point"]),
    ],
)
def test_an_organisation_after_employment(redact: Redactor, text: str,
                                          secrets: list[str]) -> None:
    """``employed by/at/with``, ``works (as a ...) at/for``, ``volunteers at``: the
    capitalised words after it are the employer."""
    _gone(redact, text, *secrets)
    _both(text)


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("The mill was bought in 1990, which later became Adaptive in 2001.", ["Adaptive"]),
        ("His first employer, which eventually became Bright Meadow, closed.",
         ["Bright", "Meadow"]),
        ("The plant was later renamed Northstar Mills.", ["Northstar", "Mills"]),
        ("The shop was acquired by Copperline Works last year.", ["Copperline", "Works"]),
    ],
)
def test_an_organisation_in_a_firms_history(redact: Redactor, text: str,
                                            secrets: list[str]) -> None:
    """``which later became``, ``was renamed``, ``was acquired by``: the name after it is
    a firm's unless a clinical list has its words."""
    _gone(redact, text, *secrets)
    _both(text)


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("The Lucid office is at 12 Main Street.", ["Lucid"]),
        ("The Northwind office is located at 400 Elm Avenue.", ["Northwind"]),
        ("The U.N. office is at 2519 Lakeview Road.", ["U", "N"]),
    ],
)
def test_an_organisation_with_an_office_at_an_address(redact: Redactor, text: str,
                                                      secrets: list[str]) -> None:
    """``the X office is (located) at`` an address: X is an organisation."""
    _gone(redact, text, *secrets)
    _both(text)


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Records from Acme, Inc. were received.", ["Acme", "Inc"]),
        ("Billing by Vantage Point, LLC is pending.", ["Vantage", "Point", "LLC"]),
    ],
)
def test_a_firm_before_a_legal_form_after_a_comma(redact: Redactor, text: str,
                                                  secrets: list[str]) -> None:
    """``Name, Inc.``: the name and the form go together."""
    _gone(redact, text, *secrets)
    _both(text)


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("i work as a nurse at foursquare and love it.", ["foursquare"]),
        ("Social: employer: zentrixa, lives with wife.", ["zentrixa"]),
    ],
)
def test_a_lower_case_name_after_a_strong_cue(redact: Redactor, text: str,
                                              secrets: list[str]) -> None:
    """One lower-case word after ``employer:``, ``employed by``, ``works (as a ...) at``
    that no list of everyday, clinical or personal names has: the employer."""
    _gone(redact, text, *secrets)
    _both(text)


def test_a_cues_firm_equals_the_company_column_fake(redact: Redactor) -> None:
    """The organisation becomes ``{fake: company}`` of it, as a company column holding it
    does (same original, same fake under the key)."""
    fake = column_fake("company", "Acme Foods")
    assert redact.redact("Employer: Acme Foods") == f"Employer: {fake}"
    assert redact.redact("He works at Acme Foods as a cook.") == \
        f"He works at {fake} as a cook."


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Pt works at home as an accountant.", ["works", "home"]),
        ("He works at night and sleeps during the day.", ["night"]),
        ("She is employed by the hospital as a nurse.", ["employed", "hospital"]),
        ("Employer: retired. Employer: none", ["Employer", "retired", "none"]),
        ("Employer: Unemployed", ["Unemployed"]),
        ("Employer: Disabled", ["Disabled"]),
        ("Employer: Self-employed", ["Self", "employed"]),
        ("Insurance: Medicare", ["Insurance", "Medicare"]),
        ("Insurance: Medicare/Medicaid", ["Medicare", "Medicaid"]),
        ("Insurance: Self Pay", ["Self", "Pay"]),
        ("Insurance: Pending", ["Pending"]),
        ("Seen in the office visit today. Office Visit in 2 weeks.", ["office", "Office"]),
        ("PT office called to reschedule. GI office will call.", ["PT", "GI", "office"]),
        ("The GI office is at the second floor.", ["GI", "office", "second"]),
        ("The Cardiology office is at the end of the hall.", ["Cardiology"]),
        ("The PCP office is closed on Fridays.", ["PCP"]),
        ("Works as a nurse at night. Patient works as a Nurse.", ["nurse", "Nurse"]),
        ("He works with Physical Therapy. Works in MICU.", ["Physical", "Therapy", "MICU"]),
        ("Pt works with PT daily.", ["PT", "daily"]),
        ("The rash, which later became Erythematous, was treated.", ["Erythematous"]),
        ("Pt then became Agitated and pulled at lines.", ["Agitated"]),
        ("The wound merged with the adjacent ulcer.", ["merged", "ulcer"]),
        ("Pt works for VNA. Wife works at Home Depot? unclear", ["VNA", "Home"]),
        ("PT Eval. EMPLOYER: NONE. WORKS AT ACME FOODS.", ["EMPLOYER", "NONE", "ACME"]),
        ("pt works at home. works at night. employed by self.", ["home", "night", "self"]),
        ("works at nursing home, employed at present.", ["nursing", "present"]),
        ("Pt works with Physical Therapy; his job at home is hard.", ["Physical", "home"]),
        ("Employer: Self Employed. Employer: The Hospital", ["Self", "Employed", "Hospital"]),
    ],
)
def test_clinical_text_with_the_cues_stays(redact: Redactor, text: str,
                                           words: list[str]) -> None:
    """Where a cue's words are clinical text: a lower-case place (``at home``, ``by the
    hospital``), a status (``retired``, ``Unemployed``, ``Self Pay``), a programme
    (``Medicare``), a service or a clinical abbreviation (``PT``, ``GI``, ``Cardiology``),
    a clinical word after ``became``, a note in capitals."""
    _kept(redact, text, *words)
    _both(text)


def test_a_partners_firm_is_left_whole_to_its_rule(redact: Redactor) -> None:
    """A cue's name cut by a comma or a partner's link (``Hall, Soto and Trujillo``,
    ``Bauer Stiftung & Co. KG``) is left to the rules that read the firm whole: the cue
    does not take its first name alone."""
    text = "She works at Hall, Soto and Trujillo as a driver."
    out = _gone(redact, text, "Hall", "Soto", "Trujillo")
    assert column_fake("company", "Hall") not in out
    _both(text)
    _gone(redact, "Employer: Hamann Huhn Stiftung & Co. KG", "Hamann", "Huhn", "KG")
