"""A month-day with a dash after a clinical verb of the stay: found trying to break the
redactor.  "09-03" was a date only after "on", "since" or "until" (elsewhere a range:
"HR 60-70"), so "admitted 09-03" and "extubated 9-4" kept the date.  The verbs of an
admission, a discharge, a transfer, a visit and an intubation are date cues now; ranges
after a lab or a vital sign, times and doses stay.  Each runs on both scans, which must
agree byte for byte.  Nothing here prints a value.
"""

from __future__ import annotations

import pytest

from redact_scans import both
from scrubphi.transforms.redact import Redactor


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("admitted 09-03 with CP", ["09-03"]),
        ("Pt was discharged 9-3, f/u in clinic", ["9-3"]),
        ("transferred 11-28 from OSH", ["11-28"]),
        ("extubated 9-4, reintubated 9-6.", ["9-4", "9-6"]),
        ("Intubated 12-1 for airway protection", ["12-1"]),
        ("last seen 7-14 in clinic", ["7-14"]),
        ("ADMITTED 10-2 VIA ED", ["10-2"]),
        ("readmitted 3-17", ["3-17"]),
    ],
)
def test_a_dash_month_day_after_a_verb_of_the_stay(redact: Redactor, text: str,
                                                   secrets: list[str]) -> None:
    out = redact.redact(text)
    for i, secret in enumerate(secrets):
        assert secret not in out, f"secret {i} left in place"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("BP 90-100, HR 60-70", ["90-100", "60-70"]),
        ("shift 0700-1930", ["0700-1930"]),
        ("given 10-12 mg", ["10-12"]),
        ("seen 2-3 times this week", ["2-3"]),
        ("admitted 3-4 days ago", ["3-4"]),
        ("transferred 1-2 units PRBC", ["1-2"]),
        ("seen 13-14 and 0-5", ["13-14", "0-5"]),
    ],
)
def test_ranges_after_a_verb_or_a_lab_stay(redact: Redactor, text: str,
                                          words: list[str]) -> None:
    out = redact.redact(text)
    for i, word in enumerate(words):
        assert word in out, f"word {i} changed"


def test_the_scans_agree_on_dash_dates_after_verbs() -> None:
    both("admitted 09-03, extubated 9-4; HR 60-70, seen 2-3 times, discharged  \t 9-9")
