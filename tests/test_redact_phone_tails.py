"""Phone numbers with another line or an extension after a dash or a slash (issue 11's
phone numbers >= 99%, extensions included): found trying to break the redactor with
forms a note writes for two lines of one office, not in either corpus.

Before: "617-555-1234-5678" and "617-555-1234/1235" came through whole (the phone
pattern wanted no dash or slash after the line number, the local number's no slash),
and after a phone word ("cell 617-555-1234/1235") only "617-555" went, the pattern
falling back to a shorter match and leaving "1234/1235". Each runs on both scans
(compiled when it is built, and pure), which must agree byte for byte. Nothing here
prints a value.
"""

from __future__ import annotations

import pytest

from redact_scans import gone as _gone
from redact_scans import kept as _kept
from scrubphi.transforms.redact import Redactor


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Office 413-867-2291-4410, ask for the nurse", ["413", "867", "2291", "4410"]),
        ("413-867-2291/2292", ["413", "867", "2291", "2292"]),
        ("413-867-2291-867-2292 (both lines)", ["413", "867", "2291", "2292"]),
        ("Daughter's cell 413-867-2291/2292 after 5pm", ["413", "867", "2291", "2292"]),
        ("Call 413-867-2291/7 for results", ["413", "867", "2291"]),
        ("call 867-2291/2292", ["867", "2291", "2292"]),
        ("Pager 413-867-2291/2292", ["413", "867", "2291", "2292"]),
    ],
)
def test_another_line_after_a_dash_or_a_slash_goes_with_the_number(
        redact: Redactor, text: str, secrets: list[str]) -> None:
    _gone(redact, text, *secrets)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("BP 120-140/60-80, HR 70-90", ["120", "140", "60", "80", "70", "90"]),
        ("Home: 2/3 meals, call 1/2 hour early", ["2", "3", "1"]),
        ("sats 92-100/RA, shift 0700-1930", ["92", "100", "0700", "1930"]),
    ],
)
def test_ranges_and_fractions_after_phone_words_stay(redact: Redactor, text: str,
                                                     words: list[str]) -> None:
    _kept(redact, text, *words)
