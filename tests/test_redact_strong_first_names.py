"""First names that SCOWL lists as everyday words only in a rare or informal sense
(issue 11's names >= 95%): found trying to break the redactor.  "John" was an
ambiguous word (a john), so it stayed without a context word: "seen John today",
"Name: Smith, John" and "Patient: SMITH, JOHN" kept it.  Such names
(``vocab.STRONG_FIRST``) are names now; the ones whose everyday sense a note uses stay
ambiguous.  Each runs on both scans, which must agree byte for byte.  Nothing here
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
        ("Pt seen with John today, plan discussed.", ["John"]),
        ("Name: Kowalczyk, John", ["Kowalczyk", "John"]),
        ("Patient: NOWAK, JOHN", ["JOHN"]),
        ("Called Tom and Terry re transport.", ["Tom", "Terry"]),
        ("son bobby and daughter colleen visited", ["bobby", "colleen"]),
    ],
)
def test_first_names_with_a_rare_everyday_sense_go(redact: Redactor, text: str,
                                                   secrets: list[str]) -> None:
    _gone(redact, text, *secrets)


def test_names_whose_everyday_sense_a_note_uses_stay_ambiguous(redact: Redactor) -> None:
    _kept(redact, "Mark the site. Grace period over. Will call. Bill sent. roger that.",
          "Mark", "Grace", "Will", "Bill", "roger")
