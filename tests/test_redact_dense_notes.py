"""The free-text redactor's shortcuts for notes dense with identifiers (the EHR
example's notes: a name, a date, an address, a town and a phone each), each
against what it stands for.

* A patient's date shift is the date transform's keyed offset, read directly
  (``transforms.per_shift_offset``): the number that shifting "2000-01-01" with
  the date column's transform and reading the date back gave before, for any
  per value and any ``days``.
"""

from __future__ import annotations

from functools import cache

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from scrubphi.policy.model import TransformSpec
from scrubphi.transforms import build_transform, per_shift_offset
from scrubphi.transforms.base import ColumnInfo, TransformContext
from scrubphi.transforms.dates import days_from_civil, parse_pg_date
from scrubphi.transforms.redact import Redactor

KEY = b"dense-notes-test-key-0123456789a"

HYPOTHESIS = settings(max_examples=200, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])


@cache
def _redactor(days: int, compiled: bool | None) -> Redactor:
    return Redactor(TransformContext(key=KEY), dates="shift", days=days, per="pid",
                    compiled=compiled)


@given(per_value=st.text(max_size=12), days=st.sampled_from([1, 2, 365, 3650, 1_000_000]))
@HYPOTHESIS
@example(per_value="", days=1)
@example(per_value="\ud800", days=365)  # a lone surrogate (surrogatepass)
@example(per_value="1920", days=1_000_000)  # 2000-01-01 moved into the years BC
def test_the_patients_offset_is_the_date_transforms(per_value: str, days: int) -> None:
    ctx = TransformContext(key=KEY)
    spec = TransformSpec("date", {"mode": "shift", "days": days, "per": "pid", "format": None})
    column = build_transform(spec, ColumnInfo("d", "date"), ctx).fn
    # What the redactor did before: the column's shift of a known date, read back.
    shifted = column("2000-01-01", per_value)
    assert shifted is not None
    y, m, d, _ = parse_pg_date(shifted)
    want = days_from_civil(y, m, d) - days_from_civil(2000, 1, 1)
    assert per_shift_offset(spec, ctx)(per_value) == want
    for compiled in (None, False):
        redactor = _redactor(days, compiled)
        assert redactor._shift_offset(per_value) == want
        assert redactor._shift_offset(per_value) == want  # (remembered)
