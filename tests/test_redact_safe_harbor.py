"""Dates in notes under ``dates: year`` are Safe Harbor: the year only, and no year
before as_of's year - 90 (ages of 90 and over share one year), as ``{date:
safe_harbor}`` writes a column; a year of birth alone ("born in 1931") too.

Both scans, which must agree byte for byte.  Nothing here prints a value.
"""

from __future__ import annotations

from datetime import date

import pytest

from redact_scans import KEY, SCANS
from scrubphi.errors import PolicyError
from scrubphi.policy import loads_policy
from scrubphi.transforms import TransformSpec, build_transform
from scrubphi.transforms import dates as date_transforms
from scrubphi.transforms.base import ColumnInfo, TransformContext
from scrubphi.transforms.redact import Redactor


@pytest.fixture(scope="module", params=SCANS, ids=lambda c: "compiled" if c else "pure")
def scan(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def _redactor(scan: bool, **options: object) -> Redactor:
    return Redactor(TransformContext(key=KEY), compiled=scan, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "out"),
    [
        ("DOB 04/05/1930, seen 3/4/2021", "DOB 01/01/1936, seen 01/01/2021"),
        ("DOB: 1929-12-31 08:15", "DOB: 1936-01-01 00:00"),
        ("born March 3rd, 1925", "born January 1st, 1936"),
        ("Seen 6/35 and 6/85", "Seen 01/36 and 01/85"),
        ("born in 1931, YOB: 1920, birth year 1935", "born in 1936, YOB: 1936, birth year 1936"),
        # ages under 90 at as_of keep their year
        ("DOB 04/05/1937; Pt born 1950, first born 2 children",
         "DOB 01/01/1937; Pt born 1950, first born 2 children"),
    ],
)
def test_years_of_people_90_or_older_share_one_year(scan: bool, text: str, out: str) -> None:
    assert _redactor(scan, as_of="2026-06-01").redact(text) == out


def test_the_floor_follows_as_of_and_defaults_to_the_run_date(
        scan: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _redactor(scan, as_of=date(2000, 1, 1)).redact("born in 1905") == "born in 1910"
    monkeypatch.setattr(date_transforms, "today", lambda: date(2031, 2, 3))
    assert _redactor(scan).redact("born in 1905, DOB 1/2/1939") == "born in 1941, DOB 01/01/1941"


def test_a_shift_is_not_safe_harbor_and_keeps_old_years(scan: bool) -> None:
    r = _redactor(scan, dates="shift", days=30)
    out = r.redact("born in 1931")
    assert out == "born in 1931"


def test_a_note_date_equals_the_safe_harbor_column_transform(scan: bool) -> None:
    """The consistency contract: a date in a note gets what {date: safe_harbor, as_of}
    writes in a date column."""
    ctx = TransformContext(key=KEY)
    column = build_transform(TransformSpec("date", {"mode": "safe_harbor",
                                                    "as_of": "2026-06-01", "format": None}),
                             ColumnInfo("dob", "date"), ctx).fn
    for iso in ("1921-07-04", "1936-05-05", "1990-12-31"):
        assert _redactor(scan, as_of="2026-06-01").redact(f"DOB {iso}") == f"DOB {column(iso)}"


def test_the_policy_takes_as_of_with_dates_year_only() -> None:
    base = "version: 1\nscrub:\n  tables:\n    public.notes:\n      columns:\n        body: "
    policy = loads_policy(base + "{redact: text, as_of: 2024-06-01}\n", "p.yaml")
    assert policy.scrub is not None
    rule = next(iter(policy.scrub.tables.values()))
    spec = rule.columns["body"]
    assert str(spec.params["as_of"]) == "2024-06-01"
    with pytest.raises(PolicyError, match="as_of applies only to dates: year"):
        loads_policy(base + "{redact: text, dates: shift, days: 30, as_of: 2024-06-01}\n",
                     "p.yaml")
    with pytest.raises(PolicyError, match="as_of"):
        loads_policy(base + "{redact: text, as_of: June}\n", "p.yaml")


@pytest.mark.parametrize(
    ("text", "out"),
    [
        ("Last seen 2/2021 in clinic", "Last seen 01/2021 in clinic"),
        ("seen 12/1999 and 6/85", "seen 01/1999 and 01/85"),
        ("moved here 3/1921", "moved here 01/1936"),
    ],
)
def test_a_month_and_a_year_of_four_digits_lose_the_month(scan: bool, text: str,
                                                           out: str) -> None:
    """"2/2021": the month is a date's element (found probing the scan; month/two-digit
    year was read, four digits were not)."""
    assert _redactor(scan, as_of="2026-06-01").redact(text) == out


def test_month_and_four_digit_year_shift_alike_in_both_scans() -> None:
    outs = {_redactor(s, dates="shift", days=200).redact("seen 2/2021, 11/1998; 4/2000 x")
            for s in SCANS}
    assert len(outs) == 1
    out = outs.pop()
    assert "2/2021" not in out or "11/1998" not in out
