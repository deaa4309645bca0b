"""``{tokenize: digits|alnum|upper}``: a keyed, format-preserving permutation.

Why: identifiers such as MRNs and account numbers must stay one-to-one
(unique constraints, joins) and keep their shape (length, separators,
which positions are digits or letters) so the application still accepts
them, yet must not be reversible without the key.

Construction, in the spirit of NIST SP 800-38G (FF1/FF3-1): the characters
of the chosen classes form a mixed-radix number ``x`` in ``[0, N)``; a
Feistel network over ``Z_a x Z_b`` (``a*b >= N``, alternating moduli as in
FF1, 8 rounds as in FF3-1, round function keyed BLAKE2) permutes it, and
cycle-walking brings the result back into ``[0, N)``.  The round key is
derived by HMAC from the run key, the transform spec and a *tweak* made of
the length and the class pattern, so every shape has its own permutation.
Each shape class is permuted within itself, so the whole map is one-to-one.

Classes: ``digits`` permutes ASCII digits and keeps everything else;
``alnum`` also permutes ASCII letters among letters, keeping each one's case;
``upper`` is ``alnum`` on the upper-cased value (so ``ab12`` and ``AB12``
give the same token: one-to-one up to case).  Non-ASCII characters are kept.

Numbers: on integer columns a multi-digit value keeps a non-zero first digit
(``012`` never appears, so it cannot collide with ``12``) and stays inside
the type's range (a bigint of 19 digits maps to one that fits); the sign is
kept.  On numeric columns the integer part is treated the same way, the run
of trailing zeros of the fraction is kept and the last other fraction digit
stays non-zero, so numerically equal inputs never split and distinct inputs
never merge; ``NaN`` and infinities pass unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from math import isqrt

from scrubphi.transforms.keyed import Prf

__all__ = ["Permutation", "make_tokenize"]

ROUNDS = 8
DIGITS = "0123456789"
NONZERO = "123456789"
LOWER = "abcdefghijklmnopqrstuvwxyz"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_INDEX = {alpha: {c: i for i, c in enumerate(alpha)} for alpha in (DIGITS, NONZERO, LOWER, UPPER)}
# Cache of permutations per (tweak); bounded so odd data cannot grow memory.
_MAX_CACHED = 50_000


class Permutation:
    """A keyed permutation of ``[0, n)``: Feistel over ``Z_a x Z_b`` plus cycle-walking."""

    __slots__ = ("_a", "_b", "_key", "_nbytes", "_width", "n")

    def __init__(self, round_key: bytes, n: int) -> None:
        if n < 1:
            raise ValueError("empty permutation domain")
        self.n = n
        a = isqrt(n - 1) + 1 if n > 1 else 1
        self._a = a
        self._b = -(-n // a)
        self._key = round_key
        self._width = (max(self._a, self._b).bit_length() + 7) // 8 or 1
        # Round-function output: 128 spare bits over the modulus keep the bias negligible.
        self._nbytes = (max(self._a, self._b).bit_length() + 128 + 7) // 8

    def _f_long(self, data: bytes, modulus: int) -> int:
        blocks = [
            hashlib.blake2b(data + bytes((j,)), key=self._key).digest()
            for j in range((self._nbytes + 63) // 64)
        ]
        return int.from_bytes(b"".join(blocks), "big") % modulus

    def _once(self, x: int) -> int:
        a, b, key, width = self._a, self._b, self._key, self._width
        short = self._nbytes <= 32
        blake2s = hashlib.blake2s
        from_bytes = int.from_bytes
        hi, lo = divmod(x, b)
        for i in range(ROUNDS):
            modulus = a if i % 2 == 0 else b
            data = _ROUND_TAGS[i] + lo.to_bytes(width, "big")
            if short:
                f = from_bytes(blake2s(data, key=key).digest(), "big") % modulus
            else:
                f = self._f_long(data, modulus)
            hi, lo = lo, (hi + f) % modulus
        return hi * b + lo

    def __call__(self, x: int) -> int:
        if self.n == 1:
            return 0
        y = self._once(x)
        while y >= self.n:
            y = self._once(y)
        return y


_ROUND_TAGS = tuple(bytes((i,)) for i in range(ROUNDS))
# Class codes of the text tokenizer: digits -> 9, a-z -> a, A-Z -> A; all else stays.
_CLASS_DIGITS = str.maketrans("0123456789", "9" * 10)
_CLASS_ALNUM = str.maketrans(
    "0123456789" + LOWER + UPPER, "9" * 10 + "a" * 26 + "A" * 26
)
_TO_UPPER = str.maketrans(LOWER, UPPER)
_CODES_ALNUM = {"9": DIGITS, "a": LOWER, "A": UPPER}
# In digits mode letters are separators, so a literal "a" must not read as a code.
_CODES_DIGITS = {"9": DIGITS}


class _Shape:
    """Everything about one text shape (class pattern): slots and permutation."""

    __slots__ = ("all_digits", "perm", "slots")

    def __init__(
        self,
        pattern: str,
        codes: dict[str, str],
        perm_for: Callable[[str, int], Permutation],
    ) -> None:
        self.slots = [
            (i, len(codes[c]), codes[c], _INDEX[codes[c]])
            for i, c in enumerate(pattern)
            if c in codes
        ]
        n = 1
        for _pos, radix, _alpha, _imap in self.slots:
            n *= radix
        self.all_digits = all(alpha is DIGITS for _p, _r, alpha, _i in self.slots)
        self.perm = perm_for(pattern, n)


def make_tokenize(prf: Prf, mode: str, number: str) -> Callable[[str], str]:
    """The tokenize function for one column.

    ``number`` is ``""`` for text columns, ``"numeric"`` for numeric columns,
    or an integer type's magnitude bounds encoded as ``"int:NEG:POS"``.
    """
    cache: dict[str, Permutation] = {}

    def perm(tweak: str, n: int) -> Permutation:
        p = cache.get(tweak)
        if p is None:
            if len(cache) >= _MAX_CACHED:
                cache.clear()
            p = Permutation(prf.subkey(tweak.encode("utf-8"))[:32], n)
            cache[tweak] = p
        return p

    def run(chars: list[str], slots: list[tuple[int, str]], tweak: str, limit: int | None) -> None:
        """Permute the characters at ``slots`` (position, alphabet) in place."""
        if not slots:
            return
        x = 0
        n = 1
        for pos, alpha in slots:
            x = x * len(alpha) + _INDEX[alpha][chars[pos]]
            n *= len(alpha)
        if limit is not None:
            n = min(n, limit)
        y = perm(tweak, n)(x)
        for pos, alpha in reversed(slots):
            y, r = divmod(y, len(alpha))
            chars[pos] = alpha[r]

    if number.startswith("int:"):
        _, neg, pos = number.split(":")
        bounds = (int(neg), int(pos))

        def fn_int(value: str) -> str:
            text = value.strip()
            sign = "-" if text.startswith("-") else ""
            digits = text[1:] if sign else text.lstrip("+")
            if not (digits.isascii() and digits.isdigit()):
                raise ValueError("tokenize: integer column holds a value that is not an integer")
            digits = digits.lstrip("0") or "0"
            if digits == "0":
                sign = ""
            d = len(digits)
            bound = bounds[0] if sign else bounds[1]
            # Multi-digit values keep a non-zero first digit; a negative value
            # never becomes -0 (which would be 0, colliding with another image).
            first = NONZERO if d > 1 or sign else DIGITS
            lo = 10 ** (d - 1) if first is NONZERO else 0
            limit = min(10**d - 1, bound) - lo + 1
            chars = list(digits)
            slots = [(0, first)] + [(i, DIGITS) for i in range(1, d)]
            run(chars, slots, f"int|{sign}|{d}|{limit}", limit)
            return sign + "".join(chars)

        return fn_int

    if number == "numeric":

        def fn_numeric(value: str) -> str:
            text = value.strip()
            if text in ("NaN", "Infinity", "-Infinity"):
                return text
            sign = "-" if text.startswith("-") else ""
            body = text[1:] if sign else text
            int_part, dot, frac = body.partition(".")
            if not (int_part.isascii() and int_part.isdigit()) or (
                dot and not (frac.isascii() and frac.isdigit())
            ):
                raise ValueError("tokenize: numeric column holds a value that is not a number")
            int_part = int_part.lstrip("0") or "0"
            kept = frac.rstrip("0")
            if int_part == "0" and not kept:
                sign = ""
            chars = list(int_part + dot + frac)
            d = len(int_part)
            # A negative value must keep a non-zero magnitude (-0 would equal 0).
            first = NONZERO if d > 1 or (sign and not kept) else DIGITS
            slots = [(0, first)] + [(i, DIGITS) for i in range(1, d)]
            base = d + len(dot)
            for i in range(len(kept)):
                last = i == len(kept) - 1
                slots.append((base + i, NONZERO if last else DIGITS))
            run(chars, slots, f"num|{sign}|{d}|{len(kept)}", None)
            return sign + "".join(chars)

        return fn_numeric

    table = _CLASS_DIGITS if mode == "digits" else _CLASS_ALNUM
    codes = _CODES_DIGITS if mode == "digits" else _CODES_ALNUM
    shapes: dict[str, _Shape] = {}

    def perm_for(pattern: str, n: int) -> Permutation:
        return Permutation(prf.subkey(f"txt|{mode}|{pattern}".encode())[:32], n)

    def fn_text(value: str) -> str:
        if mode == "upper":
            value = value.translate(_TO_UPPER)
        pattern = value.translate(table)
        shape = shapes.get(pattern)
        if shape is None:
            if len(shapes) >= _MAX_CACHED:
                shapes.clear()
            shape = _Shape(pattern, codes, perm_for)
            shapes[pattern] = shape
        slots = shape.slots
        if not slots:
            return value
        if shape.all_digits:
            digits = "".join([value[pos] for pos, _r, _a, _i in slots])
            y = str(shape.perm(int(digits))).zfill(len(digits))
            chars = list(value)
            for (pos, _r, _a, _i), c in zip(slots, y, strict=True):
                chars[pos] = c
            return "".join(chars)
        x = 0
        for pos, radix, _alpha, imap in slots:
            x = x * radix + imap[value[pos]]
        y2 = shape.perm(x)
        chars = list(value)
        for pos, radix, alpha, _imap in reversed(slots):
            y2, r = divmod(y2, radix)
            chars[pos] = alpha[r]
        return "".join(chars)

    return fn_text
