"""Generalisation other than null: rounding, bounded keyed noise, FIPS codes to the state.

Why: coordinates, lab values of rare conditions and county codes narrow a
patient down, but nulling them destroys what staging needs (maps, charts,
per-state reports). These keep the shape and the order of magnitude:

- ``{generalize: {round: STEP}}``: a number to the nearest multiple of STEP
  (``0.01`` for coordinates, about a kilometre; ``1000`` for incomes), written
  with STEP's decimals; ties to even.
- ``{generalize: {noise: AMOUNT}}`` (optionally ``per: COLUMN``): the number
  plus a keyed offset in [-AMOUNT, +AMOUNT] in steps of the value's last
  decimal, so the same value (or every value of the same ``per`` key) moves by
  the same amount in every run under the same key. For dates use
  ``{date: shift, days: N}``, which is keyed noise for dates.
- ``{generalize: fips_state}``: a 5-digit county FIPS code to its state's
  (``25017`` -> ``25000``): the first two digits are the state.

``NaN`` and infinities pass unchanged; any other value that is not a number is
an error naming the row and column (never the value).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from scrubphi.transforms.keyed import Prf

__all__ = ["NOISE_DECIMALS", "make_fips_state", "make_noise", "make_round", "noise_kernel",
           "parse_amount", "round_kernel"]

_SPECIAL = frozenset({"NaN", "Infinity", "-Infinity", "nan", "inf", "-inf"})


def parse_amount(value: object, what: str) -> Decimal:
    """A positive step or amount from the policy (number or numeric text)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{what} must be a positive number")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{what} must be a positive number") from None
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"{what} must be a positive number")
    return amount


def _number(value: str, what: str) -> Decimal | None:
    text = value.strip()
    if text in _SPECIAL:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{what}: the value is not a number") from None
    if not number.is_finite():
        return None
    return number


def _unit(number: Decimal) -> Decimal:
    """One unit of the last decimal ``number`` is written with (1 for whole numbers)."""
    exponent = number.as_tuple().exponent
    return _unit_of(-exponent if isinstance(exponent, int) and exponent < 0 else 0)


def _unit_of(decimals: int) -> Decimal:
    """One unit of the last of this many decimals (1 for none)."""
    return Decimal(1).scaleb(-decimals) if decimals else Decimal(1)


def _text(number: Decimal, integer: bool) -> str:
    if integer:
        return str(int(number))
    text = format(number, "f")
    return text[1:] if text.startswith("-") and not number else text  # -0.00: 0.00


def make_round(step: Decimal, integer: bool) -> Callable[[str], str]:
    """Round to the nearest multiple of ``step`` (ties to even), with step's decimals."""
    places = _unit(step)

    def fn(value: str) -> str:
        number = _number(value, "round")
        if number is None:
            return value.strip()
        rounded = (number / step).to_integral_value(rounding=ROUND_HALF_EVEN) * step
        return _text(rounded.quantize(places) if not integer else rounded, integer)

    return fn


def round_kernel(step: Decimal, integer: bool) -> tuple[Any, ...] | None:
    """``make_round``'s kernel description (``_fast_numbers.pxi``): the step as an
    integer and its decimals, or None for a step the kernel does not take (an
    exponent, as in ``1E+3``, or more than 18 digits)."""
    sign, digits, exponent = step.as_tuple()
    if sign or not isinstance(exponent, int) or exponent > 0 or len(digits) > 18 \
            or exponent < -18:
        return None
    return ("round", int("".join(map(str, digits))), -exponent, integer)


#: Decimals the compiled noise kernel has steps for (``_fast_kernels.pxi``'s NOISE_DECIMALS).
NOISE_DECIMALS = 37


def noise_kernel(prf: Prf, amount: Decimal, integer: bool) -> tuple[Any, ...] | None:
    """``make_noise``'s kernel description (``_fast_numbers.pxi``'s ``_k_noise``): the
    domain key, and for a value with f decimals (f < NOISE_DECIMALS) the steps its
    ``offset`` draws from, as it computes them; None for an amount with an exponent."""
    exponent = amount.as_tuple().exponent
    if not isinstance(exponent, int) or exponent > 0:
        return None
    steps = tuple(int((amount / _unit_of(f)).to_integral_value(rounding="ROUND_FLOOR"))
                  for f in range(NOISE_DECIMALS))
    return ("noise", prf.key, tuple(max(s, 0) for s in steps), integer)

def make_noise(prf: Prf, amount: Decimal, integer: bool, per: bool
               ) -> Callable[..., str]:
    """Add a keyed offset in [-amount, +amount], in steps of the value's last decimal."""

    def offset(key: str, quantum: Decimal) -> Decimal:
        steps = int((amount / quantum).to_integral_value(rounding="ROUND_FLOOR"))
        if steps < 1:
            return Decimal(0)
        r = int.from_bytes(prf.value(key), "big") % (2 * steps + 1)
        return (r - steps) * quantum

    def noisy(value: str, key: str) -> str:
        number = _number(value, "noise")
        if number is None:
            return value.strip()
        return _text(number + offset(key, _unit(number)), integer)

    if per:
        def fn_per(value: str, per_value: str | None = None) -> str:
            return noisy(value, "\x00" if per_value is None else "p" + per_value)

        return fn_per

    def fn(value: str) -> str:
        return noisy(value, "v" + value.strip())

    return fn


def make_fips_state(integer: bool) -> Callable[[str], str]:
    """A 5-digit county FIPS code to its state's code with ``000``; 2-digit state codes stay."""

    def fn(value: str) -> str:
        text = value.strip()
        if not (text.isascii() and text.isdigit()):
            raise ValueError("fips_state: the value is not a FIPS code")
        if integer:
            text = text.zfill(5) if len(text) > 2 else text.zfill(2)
        if len(text) == 2:
            return str(int(text)) if integer else text
        if len(text) != 5:
            raise ValueError("fips_state: a county FIPS code has 5 digits")
        state = text[:2] + "000"
        return str(int(state)) if integer else state

    return fn
