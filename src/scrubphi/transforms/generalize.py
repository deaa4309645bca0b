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
from dataclasses import dataclass
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import Any

from scrubphi.transforms.keyed import Prf

__all__ = ["NOISE_DECIMALS", "Limits", "make_fips_state", "make_noise", "make_round",
           "noise_kernel", "parse_amount", "round_kernel"]

#: Digits a number may span beyond its text's length (``1e-300`` spans 300).
_SPAN_EXTRA = 400

#: The kernels' "no bound" (``_fast_kernels.pxi``: the largest integer part they write).
_NO_BOUND = 2**64 - 1


@dataclass(frozen=True)
class Limits:
    """What a column's type holds, so that round and noise never write a value the
    restore refuses (``33000`` into a smallint, ``1000.00`` into numeric(5,2)).

    An integer type: whole numbers in [-neg, pos]. ``numeric(p, s)``: numbers that,
    rounded to s decimals (half away from zero, as PostgreSQL does on input), are
    below 10**(p - s) in magnitude.
    """

    neg: int = 0
    pos: int = 0
    numeric: tuple[int, int] | None = None

    def fits(self, number: Decimal) -> bool:
        if self.numeric is None:
            return -self.neg <= number <= self.pos
        precision, scale = self.numeric
        stored = number.quantize(Decimal(1).scaleb(-scale), ROUND_HALF_UP, _EXACT)
        return stored.copy_abs() < Decimal(1).scaleb(precision - scale)  # (abs() rounds)

    def nearest(self, number: Decimal) -> Decimal:
        """The value the type holds that is nearest to ``number`` (its largest or
        smallest), with ``number``'s decimals where the type keeps them."""
        if self.numeric is None:
            return Decimal(max(-self.neg, min(self.pos, int(number))))
        precision, scale = self.numeric
        top = _EXACT.subtract(Decimal(1).scaleb(precision - scale), Decimal(1).scaleb(-scale))
        return top.copy_sign(number)

    def kernel_bounds(self) -> tuple[int, int] | None:
        """The largest integer parts (negative, positive) the kernels may write without
        asking the Python function; None when they should not run at all."""
        if self.numeric is None:
            return self.neg, self.pos
        precision, scale = self.numeric
        if precision - scale < 1:
            return None
        # |x| <= 10**(p-s) - 1 (integer part up to 10**(p-s) - 2) never rounds up to 10**(p-s)
        bound = min(10 ** (precision - scale) - 2, _NO_BOUND - 1)
        return bound, bound


#: Exact arithmetic: round and noise only add, subtract, multiply, divide to an integer
#: and quantize, whose results have as many digits as their operands need (bounded by
#: ``_number``), so no precision is too much; the default context's 28 digits rounded
#: long values (and stopped the run on ``3.4e+38``). Its methods are called with it
#: directly: a ``localcontext`` a call cost more than the arithmetic.
_EXACT = Context(prec=MAX_PREC, rounding=ROUND_HALF_EVEN, Emax=MAX_EMAX, Emin=MIN_EMIN,
                 traps=[InvalidOperation, DivisionByZero, Overflow])


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
    # The arithmetic is exact, at as many digits as the number spans: an exponent may
    # not make that many more than the text has (``1e999999999`` in a text column would
    # be a billion digits); 400 more cover every double precision value.
    if ("e" in text or "E" in text) and \
            max(number.adjusted(), 0) - min(int(number.as_tuple().exponent), 0) \
            > len(text) + _SPAN_EXTRA:  # (without an exponent the text spans its digits)
        raise ValueError(f"{what}: the value's exponent is out of range")
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


def _nearest_multiple(number: Decimal, step: Decimal) -> Decimal:
    """The multiple of ``step`` nearest to ``number``, ties to the even multiple: exact
    (40-digit numerics and ``3.4e+38`` round as well as coordinates do)."""
    quotient, rest = _EXACT.divmod(number, step)  # quotient toward zero, rest with number's sign
    twice = _EXACT.multiply(rest.copy_abs(), 2)
    if twice > step or (twice == step and _EXACT.remainder(quotient, 2)):
        quotient = _EXACT.add(quotient, 1 if number > 0 else -1)
    return _EXACT.multiply(quotient, step)


def make_round(step: Decimal, integer: bool, limits: Limits | None = None
               ) -> Callable[[str], str]:
    """Round to the nearest multiple of ``step`` (ties to even), with step's decimals;
    where that multiple is more than the column's type holds (``limits``), the next
    multiple toward zero."""
    places = _unit(step)

    def fn(value: str) -> str:
        number = _number(value, "round")
        if number is None:
            return value.strip()
        rounded = _nearest_multiple(number, step)
        if limits is not None and not limits.fits(Decimal(int(rounded)) if integer else rounded):
            rounded = _EXACT.subtract(rounded, step.copy_sign(rounded))
        if integer:
            return _text(rounded, True)
        return _text(rounded.quantize(places, context=_EXACT), False)

    return fn


def round_kernel(step: Decimal, integer: bool, limits: Limits | None = None
                 ) -> tuple[Any, ...] | None:
    """``make_round``'s kernel description (``_fast_numbers.pxi``): the step as an
    integer and its decimals and the largest integer parts it may write (the column
    type's, ``Limits.kernel_bounds``), or None for a step the kernel does not take (an
    exponent, as in ``1E+3``, or more than 18 digits)."""
    sign, digits, exponent = step.as_tuple()
    if sign or not isinstance(exponent, int) or exponent > 0 or len(digits) > 18 \
            or exponent < -18:
        return None
    bounds = (_NO_BOUND, _NO_BOUND) if limits is None else limits.kernel_bounds()
    if bounds is None:
        return None
    return ("round", int("".join(map(str, digits))), -exponent, integer, *bounds)


#: Decimals the compiled noise kernel has steps for (``_fast_kernels.pxi``'s NOISE_DECIMALS).
NOISE_DECIMALS = 37


def noise_kernel(prf: Prf, amount: Decimal, integer: bool, limits: Limits | None = None
                 ) -> tuple[Any, ...] | None:
    """``make_noise``'s kernel description (``_fast_numbers.pxi``'s ``_k_noise``): the
    domain key, and for a value with f decimals (f < NOISE_DECIMALS) the steps its
    ``offset`` draws from, as it computes them, and the largest integer parts it may
    write (``Limits.kernel_bounds``); None for an amount with an exponent."""
    exponent = amount.as_tuple().exponent
    if not isinstance(exponent, int) or exponent > 0:
        return None
    bounds = (_NO_BOUND, _NO_BOUND) if limits is None else limits.kernel_bounds()
    if bounds is None:
        return None
    steps = tuple(int((amount / _unit_of(f)).to_integral_value(rounding="ROUND_FLOOR"))
                  for f in range(NOISE_DECIMALS))
    return ("noise", prf.key, tuple(max(s, 0) for s in steps), integer, *bounds)


def make_noise(prf: Prf, amount: Decimal, integer: bool, per: bool,
               limits: Limits | None = None) -> Callable[..., str]:
    """Add a keyed offset in [-amount, +amount], in steps of the value's last decimal;
    where the sum is more than the column's type holds (``limits``), subtract it
    instead (and where that is too, the type's largest or smallest value)."""

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
        moved = offset(key, _unit(number))
        out = _EXACT.add(number, moved)
        if limits is not None and not limits.fits(out):
            out = _EXACT.subtract(number, moved)
            if not limits.fits(out):
                out = limits.nearest(out).quantize(_unit(number), context=_EXACT)
        return _text(out, integer)

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
