"""Durations, percentages and sizes as written in a policy file.

Every section of the policy (scrub limits, rollout phases, rollback windows,
canary pauses) writes quantities the same way, so they are parsed in one
place.  Each parser raises ``ValueError`` whose message says what is allowed;
the loader adds file, line, column and key path and re-raises it as a
``PolicyError``.

Numbers are parsed with :class:`decimal.Decimal` so that ``0.1%`` is exactly
the double nearest to 0.001 and ``1.5KiB`` is exactly 1536 bytes.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

__all__ = ["parse_duration", "parse_percent", "parse_size"]

_DURATION_UNITS: dict[str, Decimal] = {
    "w": Decimal(7 * 24 * 3600),
    "d": Decimal(24 * 3600),
    "h": Decimal(3600),
    "m": Decimal(60),
    "s": Decimal(1),
    "ms": Decimal("0.001"),
}
# Longest unit first so that "ms" is not read as "m" followed by garbage.
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|w|d|h|m|s)")
_DURATION_ALLOWED = (
    "a duration is a number with a unit: ms, s, m, h, d or w "
    "(e.g. 500ms, 90s, 5m, 1h, 3d; parts may be combined largest first, e.g. 1h30m)"
)

_SIZE_UNITS: dict[str, int] = {
    "B": 1,
    "KB": 1000,
    "kB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "TB": 1000**4,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
    "TiB": 1024**4,
}
_SIZE_RE = re.compile(r"(\d+(?:\.\d+)?)\s*([A-Za-z]*)")
_SIZE_ALLOWED = (
    "a size is a whole number of bytes or a number with a unit: "
    "B, KiB, MiB, GiB, TiB (powers of 1024) or kB/KB, MB, GB, TB (powers of 1000), "
    "e.g. 64MiB"
)

_PERCENT_RE = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_PERCENT_ALLOWED = (
    "a percentage is written 1%, 0.1% or 100%, or as a fraction between 0 and 1 such as 0.01"
)


def parse_duration(value: object) -> float:
    """Return the duration written as ``90s``/``2m``/``1h``/``3d``/``500ms`` in seconds.

    A bare number is refused: ``for: 5`` could mean seconds or minutes, and a
    rollback window that is 60 times too short is a real incident.
    """
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(
            f"expected a duration such as 90s, got {_kind(value)}; {_DURATION_ALLOWED}"
        )
    text = value.strip()
    if not text:
        raise ValueError(f"empty duration; {_DURATION_ALLOWED}")
    pos = 0
    total = Decimal(0)
    seen: list[str] = []
    order = list(_DURATION_UNITS)
    while pos < len(text):
        match = _DURATION_PART.match(text, pos)
        if match is None:
            raise ValueError(f"{text!r} is not a duration; {_DURATION_ALLOWED}")
        number, unit = match.groups()
        if seen and order.index(unit) <= order.index(seen[-1]):
            raise ValueError(
                f"{text!r}: units must appear once each, largest first; {_DURATION_ALLOWED}"
            )
        seen.append(unit)
        total += Decimal(number) * _DURATION_UNITS[unit]
        pos = match.end()
    return float(total)


def parse_percent(value: object) -> float:
    """Return ``1%``/``0.1%``/``0.01`` as a fraction between 0 and 1.

    A number without ``%`` is a fraction, as in Prometheus ratios; a number
    above 1 is refused rather than guessed to be a percentage.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a percentage, got a boolean; {_PERCENT_ALLOWED}")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"expected a percentage, got {value}; {_PERCENT_ALLOWED}")
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        return _fraction(number, f"{value}")
    if not isinstance(value, str):
        raise ValueError(f"expected a percentage, got {_kind(value)}; {_PERCENT_ALLOWED}")
    text = value.strip()
    match = _PERCENT_RE.fullmatch(text)
    if match is not None:
        percent = Decimal(match.group(1))
        if percent > 100:
            raise ValueError(f"{text!r} is more than 100%; {_PERCENT_ALLOWED}")
        return float(percent / 100)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a percentage; {_PERCENT_ALLOWED}") from None
    if not number.is_finite():
        raise ValueError(f"{text!r} is not a percentage; {_PERCENT_ALLOWED}")
    return _fraction(number, repr(text))


def _fraction(number: Decimal, shown: str) -> float:
    if number < 0:
        raise ValueError(f"{shown} is negative; {_PERCENT_ALLOWED}")
    if number > 1:
        raise ValueError(
            f"{shown} is more than 1; a bare number is a fraction, "
            f"write {shown}% if a percentage was meant; {_PERCENT_ALLOWED}"
        )
    return float(number)


def parse_size(value: object) -> int:
    """Return ``64MiB``/``1GB``/``512KiB``/``123`` as a whole number of bytes.

    SI units are powers of 1000 and IEC units powers of 1024, as in
    Kubernetes and systemd; write ``MiB`` when a power of two is meant.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a size, got a boolean; {_SIZE_ALLOWED}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{value} is negative; {_SIZE_ALLOWED}")
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a size such as 64MiB, got {_kind(value)}; {_SIZE_ALLOWED}")
    text = value.strip()
    match = _SIZE_RE.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a size; {_SIZE_ALLOWED}")
    number, unit = match.groups()
    if unit == "":
        unit = "B"
    if unit not in _SIZE_UNITS:
        raise ValueError(f"{text!r}: unknown unit {unit!r}; {_SIZE_ALLOWED}")
    total = Decimal(number) * _SIZE_UNITS[unit]
    if total != total.to_integral_value():
        raise ValueError(f"{text!r} is not a whole number of bytes; {_SIZE_ALLOWED}")
    return int(total)


def _kind(value: object) -> str:
    """Name the YAML type of a wrong value without echoing it."""
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return f"the number {value}"
    return type(value).__name__
