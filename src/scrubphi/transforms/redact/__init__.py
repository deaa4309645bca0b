"""``{redact: text}``: find identifiers in free text and replace them with surrogates.

The detector is in :mod:`.detector` (the word rules: vocabulary look-ups and
context), the structured identifiers' patterns in :mod:`.patterns` and their
handlers in :mod:`.structured`, the word lists in :mod:`.vocab`, the lookup of
the policy's structured values in :mod:`.lookup`; this module is the policy
glue: which column spec each kind of surrogate comes from, and the transform
built for a column.
docs/redact.md is the user's description, with measured recall.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from scrubphi.policy.model import TransformSpec
from scrubphi.transforms.base import BuiltTransform, ColumnInfo, TransformContext
from scrubphi.transforms.coltypes import is_text
from scrubphi.transforms.dates import as_of_date

if TYPE_CHECKING:
    from scrubphi.transforms.redact.detector import KINDS_FOUND, Finding, Redactor

__all__ = [
    "DATE_MODES",
    "KINDS_FOUND",
    "LOOKUP_KEY",
    "MAX_SHIFT_DAYS",
    "REDACT_MODES",
    "Finding",
    "Redactor",
    "build_redactor",
    "check_redact_spec",
    "surrogate_specs",
]

_FROM_DETECTOR = frozenset(("KINDS_FOUND", "Finding", "Redactor"))


def __getattr__(name: str) -> Any:
    """The detector's names, imported on first use: a policy that redacts no column
    never loads the detector (its patterns, word rules and scan: ~17 ms of start-up)."""
    if name in _FROM_DETECTOR:
        from scrubphi.transforms.redact import detector

        return getattr(detector, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: ``{redact: MODE}``: only free text for now (``json`` strings use the same).
REDACT_MODES = ("text",)
#: How dates in text are replaced: ``year`` (1 January of the same year,
#: like ``{date: year}``; the default, Safe Harbor) or ``shift`` (like
#: ``{date: shift, days: N, per: COLUMN}``).
DATE_MODES = ("year", "shift")
MAX_SHIFT_DAYS = 3650
#: Where a run's :class:`~scrubphi.transforms.redact.lookup.Lookup` is kept in
#: ``TransformContext.shared`` (set by the Scrubber when it is given one).
LOOKUP_KEY = "redact.lookup"


def surrogate_specs(dates: str = "year", days: int | None = None, per: str | None = None,
                    as_of: str | date | None = None) -> dict[str, TransformSpec]:
    """The column spec whose output each kind of finding gets, as the loader writes them.

    These are the consistency contract: a finding of kind K in a note is
    replaced by exactly what ``build_transform(spec[K], ...)`` gives the same
    text in a column.
    """

    def fake(provider: str) -> TransformSpec:
        return TransformSpec("fake", {"provider": provider, "unique": False, "locale": "en_US"})

    if dates == "shift":
        date_spec = TransformSpec(
            "date", {"mode": "shift", "days": days, "per": per, "format": None}
        )
    else:
        # Safe Harbor: the year only, and no year before as_of's year - 90 (ages of 90
        # and over share one year), as {date: safe_harbor, as_of: ...} writes a column.
        date_spec = TransformSpec("date", {"mode": "safe_harbor", "as_of": as_of,
                                           "format": None})
    return {
        "ssn": fake("ssn"),
        "phone": fake("phone_number"),
        "fax": fake("fax"),
        "email": fake("email"),
        "url": fake("url"),
        "ipv4": fake("ipv4"),
        "ipv6": fake("ipv6"),
        "first_name": fake("first_name"),
        "last_name": fake("last_name"),
        "address": fake("street_address"),
        "city": fake("city"),
        "company": fake("company"),
        "zip": TransformSpec("generalize", {"method": "zip3"}),
        "mrn": TransformSpec("tokenize", {"alphabet": "alnum"}),
        "date": date_spec,
    }


# -- policy glue ------------------------------------------------------------------------


def _param(spec: TransformSpec, name: str) -> Any:
    return spec.params.get(name)


def check_redact_spec(spec: TransformSpec) -> None:
    """Validate ``{redact: text, dates: year|shift, days: N, per: COLUMN}`` without a column.

    Raises ``ValueError`` with a message the loader places at the spec.
    """
    mode = _param(spec, "mode")
    if mode not in REDACT_MODES:
        raise ValueError(f"redact must be one of {', '.join(REDACT_MODES)}")
    dates = _param(spec, "dates") or "year"
    if dates not in DATE_MODES:
        raise ValueError(f"dates must be one of {', '.join(DATE_MODES)}")
    days = _param(spec, "days")
    per = _param(spec, "per")
    if dates == "shift":
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_SHIFT_DAYS:
            raise ValueError(f"dates: shift needs days: N (1 to {MAX_SHIFT_DAYS})")
        if per is not None and (not isinstance(per, str) or not per):
            raise ValueError("per must name a column")
        if _param(spec, "as_of") is not None:
            raise ValueError("as_of applies only to dates: year")
    elif days is not None or per is not None:
        raise ValueError("days and per apply only to dates: shift")
    if _param(spec, "as_of") is not None:
        as_of_date(_param(spec, "as_of"))  # raises on a bad date


def build_redactor(spec: TransformSpec, column: ColumnInfo, ctx: TransformContext
                   ) -> BuiltTransform:
    """The ``redact: text`` transform of one column (text columns and text arrays).

    With ``dates: shift`` and ``per``, the function takes the ``per`` column's
    original value too, so dates in notes move with the patient's other dates.
    """
    check_redact_spec(spec)
    if not is_text(column):
        raise ValueError(
            f"redact cannot write a {column.type_name or 'unknown'} column: it needs a text column"
        )
    dates = str(_param(spec, "dates") or "year")
    per = _param(spec, "per") if dates == "shift" else None
    days = _param(spec, "days") if dates == "shift" else None
    lookup = ctx.shared.get(LOOKUP_KEY)
    # One redactor per run for each set of options: the columns that redact text alike
    # (an EAV answer, a birthplace's rest, the notes) share its surrogates, caches and
    # scan tables instead of building them again (start-up).  What it keeps between
    # calls is keyed by the value (surrogates, per-patient offsets), so sharing changes
    # no output.
    as_of = _param(spec, "as_of") if dates == "year" else None
    key = f"redactor|{dates}|{days}|{per is not None}|{as_of}|{id(lookup)}"
    hit = ctx.shared.get(key)
    redactor: Redactor
    if hit is not None and hit[0] is lookup:
        redactor = hit[1]
    else:
        from scrubphi.transforms.redact.detector import Redactor

        redactor = Redactor(ctx, dates=dates, days=days, per=per, column=column.name,
                            lookup=lookup, as_of=as_of)
        ctx.shared[key] = (lookup, redactor)
    # (the bound method itself: a function around it was one more call per value)
    element: Callable[..., str] = redactor.redact

    from scrubphi.transforms.arrays import map_array

    if column.array_dims:
        def core(value: str, per_value: str | None = None) -> str | None:
            return map_array(value, lambda item: element(item, per_value))
    else:
        core = element

    if per is not None:
        def fn_per(value: str | None, per_value: str | None = None) -> str | None:
            return None if value is None else core(value, per_value)

        return BuiltTransform(fn=fn_per, per=per, cacheable=False, kind="redact")

    def fn(value: str | None) -> str | None:
        return None if value is None else core(value)

    return BuiltTransform(fn=fn, kind="redact")
