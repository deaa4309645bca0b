"""Classes fixed in issue 11's nineteenth round: organisations whose words are everyday
words, named where their place in a text says what they are, not their words:

* the organisation's line of a signature or a letterhead whose address opens with a
  house number the street's pattern left before it (``3378 217 Lovers Lane``), or with
  a house number read as a postcode (``??? 79367 Ekvägen 12``), behind a quotation's
  or a letterhead's marks of up to six characters (``??? ``, ``> ``);
* the same line below a job's title (``Karin Beike\\nLeasing consultant\\nOpen Field\\n
  12 Oak Street``), or opening the text above its address (``Open Field\\n\\n12 Oak
  Street``);
* a place met at, before a comma and its address (``meet at Blue Meadow, 12 Oak
  Street``);
* an organisation's address (``The address of Bright Meadow is``), joining one (``she
  joined Quiet Meadow as an analyst``), and a person's after the person's name and
  ``from`` (``Amadeo Vitorović from Card View is the keynote speaker``);
* a legal form in lower case after a name the scan replaced (``cruz ltd``, ``schroeder
  s.a.``).

And the clinical and everyday text with the same forms, which stays.  Each test runs on
both scans (compiled when it is built, and pure), which must agree byte for byte.  The
texts are written from the forms, not taken from a corpus.  Nothing here prints a value.
"""

from __future__ import annotations

import pytest

from redact_scans import both as _both
from redact_scans import gone as _gone
from redact_scans import kept as _kept
from scrubphi.transforms.redact import Redactor


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("??? Maria Lindqvist\n??? Card View\n??? 4512 Ekvägen 12\n??? Suite 824\n"
         "??? Uppsala\n??? Sweden 75236", ["Card", "View"]),
        (">Esat Jeknić\n>Blue Meadow\n>Esat Jeknić\n>3378 217 Lovers Lane\n>Suite 680\n"
         ">Wellington", ["Blue", "Meadow"]),
        ("> \n> Alma Jensen\n> Open Field\n> Alma Jensen\n> 91215 Harjukuja 54\n"
         "> Suite 318\n> Finland 38524", ["Open", "Field"]),
        ("Karin Beike\nLeasing consultant\nOpen Field\n5850 Oak Street\nSpringfield",
         ["Open", "Field"]),
        ("Karin Beike\nEngineer, civil\nCard View\n5850 Oak Street\nSpringfield",
         ["Card", "View"]),
        ("Open Field\n\n12 Oak Street\nSpringfield", ["Open", "Field"]),
    ],
)
def test_a_signatures_organisation_above_its_address(redact: Redactor, text: str,
                                                      secrets: list[str]) -> None:
    """The line between a person's name (a job's title perhaps below it) and an address
    that opens its line, marks and a house number aside; or a letterhead's first line."""
    _gone(redact, text, *secrets)
    _both(text)


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("We'll meet Thursday at Blue Meadow, 12 Oak Street, Springfield",
         ["Blue", "Meadow"]),
        ("The address of Bright Meadow is 12 Oak Street, Springfield.",
         ["Bright", "Meadow"]),
        ("Last year she joined Quiet Meadow as an analyst.", ["Quiet", "Meadow"]),
        ("He rejoined Open Field in 2019.", ["Open", "Field"]),
        ("Amadeo Vitorović from Card View is the keynote speaker", ["Card", "View"]),
        ("Jouko is from Quiet Meadow", ["Quiet", "Meadow"]),
    ],
)
def test_an_organisation_named_by_its_place_in_a_sentence(redact: Redactor, text: str,
                                                          secrets: list[str]) -> None:
    """A place met at before its address, an organisation's address, joining one, a
    person's organisation after the person's name and ``from`` (``is from``)."""
    _gone(redact, text, *secrets)
    _both(text)


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("shares of cruz ltd fell sharply.", ["cruz", "ltd"]),
        ("he is employed by ronnie gallegos schroeder s.a. since 2019.", ["s.a"]),
        ("the address of kirby & rivas s.l.l. is unknown", ["s.l.l"]),
        ("i used to work for sexton ltd as a dairy scientist.", ["sexton", "ltd"]),
        ("Invoice from Jensen llc and Baxter plc.", ["llc", "plc"]),
    ],
)
def test_a_legal_form_in_lower_case_after_a_name(redact: Redactor, text: str,
                                                 secrets: list[str]) -> None:
    """A legal form in lower case that is no word nor clinical abbreviation (``ltd``,
    ``llc``, ``plc``, ``gmbh``, ``s.a.``, ``s.l.l.``) after a word the scan replaced as a
    name or a place: the firm's form goes too, as in Title case."""
    _gone(redact, text, *secrets)
    _both(text)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Pt joined by wife at bedside. Joined AA in 1990.", ["joined", "wife", "AA"]),
        ("She joined Navy at 18.", ["Navy"]),
        ("The address of the patient is unknown.", ["address", "patient"]),
        ("Seen at Home, 12 Oak Street, Springfield", ["Home"]),
        ("Nursing\n\n12 Oak Street", ["Nursing"]),
        ("Hello\n\n12 Oak Street", ["Hello"]),
        ("Regards,\nAnna Berg\nRN\n12 Oak Street", ["RN"]),
        ("Plan: continue lasix\nAt Rest, 12 breaths a minute", ["Rest", "breaths"]),
        ("PT Eval\nLives with wife\n12 Oak Street", ["PT", "Eval", "Lives", "wife"]),
        ("Dr. Ruiz from Cardiology came by. Anna is from Home Care.", ["Cardiology", "Home"]),
        ("Spoke with Mary from Case Management, Jon from Renal Transplant.",
         ["Case", "Management", "Renal", "Transplant"]),
        ("Daughter Jane is from Out of town.", ["Out", "town"]),
        ("pt smith s. denies pain. pt inc of stool. jones sa node.", ["s", "inc", "sa"]),
    ],
)
def test_text_with_the_forms_stays(redact: Redactor, text: str, words: list[str]) -> None:
    """A lower-case visitor (``joined by wife``), an acronym or a service (after
    ``joined`` or a name and ``from``), no name after ``address of``, a service or a
    greeting on a letterhead's line, a nurse's credential below her name (``RN``), a
    clinical line."""
    _kept(redact, text, *words)
    _both(text)
