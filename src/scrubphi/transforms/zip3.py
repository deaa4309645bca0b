"""``{generalize: zip3}``: HIPAA Safe Harbor ZIP codes.

Safe Harbor (45 CFR 164.514(b)(2)(i)(B)) allows the first three digits of a
ZIP code when the three-digit area holds more than 20,000 people, and
requires ``000`` otherwise.  The output keeps the input's shape: the first
three digits stay and every later digit becomes ``0`` (``02139`` ->
``02100``, ``02139-4307`` -> ``02100-0000``); in a restricted area every
digit becomes ``0``.  A value with fewer than three digits carries no area
and is zeroed as well.  On integer columns (where ``02139`` is stored as
``2139``) the value is read as a five-digit ZIP and written back as an
integer.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["RESTRICTED_ZIP3", "make_zip3"]

#: Three-digit ZIP areas with 20,000 or fewer people, from the HHS guidance
#: "Guidance Regarding Methods for De-identification of Protected Health
#: Information in Accordance with the HIPAA Privacy Rule" (2012), section
#: 3.4, based on the 2000 Census: these must be written as 000.
RESTRICTED_ZIP3 = frozenset(
    {
        "036", "059", "063", "102", "203", "556", "692", "790", "821",
        "823", "830", "831", "878", "879", "884", "890", "893",
    }
)

_ZERO_TABLE = str.maketrans("0123456789", "0000000000")


def _generalize(value: str) -> str:
    digits = [i for i, c in enumerate(value) if "0" <= c <= "9"]
    if len(digits) < 3:
        return value.translate(_ZERO_TABLE)
    first3 = "".join(value[i] for i in digits[:3])
    if first3 in RESTRICTED_ZIP3:
        return value.translate(_ZERO_TABLE)
    cut = digits[2] + 1
    return value[:cut] + value[cut:].translate(_ZERO_TABLE)


def make_zip3(integer: bool) -> Callable[[str], str]:
    """The zip3 function, for text columns or (``integer``) integer columns."""
    if not integer:
        return _generalize

    def fn_int(value: str) -> str:
        text = value.strip()
        if not (text.isascii() and text.isdigit()):
            raise ValueError("zip3: integer column holds a value that is not a ZIP code")
        digits = text.zfill(5) if len(text) <= 5 else text.zfill(9)
        return str(int(_generalize(digits)))

    return fn_int
