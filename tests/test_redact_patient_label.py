"""A surname before a comma and a first name after "Patient:" or "Pt:": found trying to
break the redactor.  Only "Name:" made the words after it a name, so "Patient: Smith,
Anna" and "Pt: BAKER, JOHN" kept the surname (an everyday word: a smith, a baker).
Now a capitalised word, a comma and a first name written alike after the label are a
name; a label followed by clinical words stays ("Patient: Alert, oriented").  Each runs
on both scans, which must agree byte for byte.  Nothing here prints a value.
"""

from __future__ import annotations

import pytest

from redact_scans import both
from redact_scans import gone as _gone
from redact_scans import kept as _kept
from scrubphi.transforms.redact import Redactor


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Patient: Smith, Anna", ["Smith", "Anna"]),
        ("Pt: Baker, Anna seen today", ["Baker", "Anna"]),
        ("Patient: SMITH, JOHN", ["SMITH", "JOHN"]),
        ("PT: CARPENTER, MARY\nDOB on file", ["CARPENTER", "MARY"]),
        ("Note for Patient:  Mason, Linda.", ["Mason", "Linda"]),
    ],
)
def test_a_surname_and_first_name_after_the_patient_label(redact: Redactor, text: str,
                                                          secrets: list[str]) -> None:
    _gone(redact, text, *secrets)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("patient comfortable, resting", ["comfortable", "resting"]),
        ("Patient: Alert, oriented", ["Alert", "oriented"]),
        ("Pt: NAD, afebrile", ["NAD", "afebrile"]),
        ("Pt: Stable, Will follow up", ["Stable", "Will"]),
        ("Patient: Comfortable, Grace period noted", ["Comfortable"]),
        ("The patient Smith, per chart", ["Smith"]),
        ("Patient: Agitated, Mary at bedside", ["Agitated"]),
    ],
)
def test_the_patient_label_before_clinical_words_keeps_them(redact: Redactor, text: str,
                                                            words: list[str]) -> None:
    _kept(redact, text, *words)


def test_the_scans_agree_on_the_patient_label() -> None:
    both("Patient: Smith, Anna. Pt: BAKER, JOHN. Patient: Alert, oriented. pt: smith, anna")
