"""SSNs after their label in other groupings (issue 11's SSNs >= 99%): found trying to
break the redactor, in neither corpus.  Before, the label's number had to be nine
digits in a row: "SSN: 123.45.6789", "SSN 897-23-551" (a digit short) and
"SSN 12345678" came through, and "SSN: 123-45-6789-1" whole; without a label, an SSN
written with dots ("123.45.6789") too.  Each runs on both scans, which must agree byte
for byte.  Nothing here prints a value.
"""

from __future__ import annotations

import pytest

from redact_scans import gone as _gone
from redact_scans import kept as _kept
from scrubphi.transforms.redact import Redactor


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("SSN: 412.73.9051 on file", ["412", "73", "9051"]),
        ("pt's SSN 412-73-905 (per daughter)", ["412", "73", "905"]),
        ("Social Security No. 41273905", ["41273905"]),
        ("social security number 412 73 90518", ["412", "73", "90518"]),
        ("SS# 412-73-9051-2 as written", ["412", "73", "9051"]),
    ],
)
def test_an_ssn_after_its_label_in_any_grouping(redact: Redactor, text: str,
                                                secrets: list[str]) -> None:
    _gone(redact, text, *secrets)


def test_an_ssn_label_without_a_number_keeps_the_text(redact: Redactor) -> None:
    _kept(redact, "SSN pending, 3 visits; SS 2 weeks, social security 10 yrs",
          "pending", "3", "2", "10")


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        ("Her number is 412.73.9051, on the form.", ["412", "73", "9051"]),
        ("412.73.9051", ["412", "73", "9051"]),
    ],
)
def test_an_ssn_written_with_dots(redact: Redactor, text: str, secrets: list[str]) -> None:
    """"123.45.6789" is an SSN as "123-45-6789" is (an IP's fourth group is at most
    255: "123.45.67.89" stays an IP)."""
    _gone(redact, text, *secrets)


def test_dotted_numbers_that_are_no_ssn_stay(redact: Redactor) -> None:
    _kept(redact, "temp 98.6.2020, ratio 1.5.1, plt 412.7.9051, 4127.39.051",
          "98", "6", "1", "5", "412", "7", "9051", "4127", "39", "051")
