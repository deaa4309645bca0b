"""``{tokenize: digits|alnum|upper}``: a keyed, format-preserving permutation.

Why: identifiers such as MRNs and account numbers must stay one-to-one
(unique constraints, joins) and keep their shape (length, separators,
which positions are digits or letters) so the application still accepts
them, yet must not be reversible without the key.

Construction, in the spirit of NIST SP 800-38G (FF1/FF3-1): the characters
of the chosen classes form a mixed-radix number ``x`` in ``[0, N)``; a
Feistel network over ``Z_a x Z_b`` (``a*b >= N``, alternating moduli as in
FF1, 8 rounds as in FF3-1, round function SipHash-2-4 under a 128-bit
key) permutes it, and
cycle-walking brings the result back into ``[0, N)``.  The round key is
derived (:meth:`~scrubphi.transforms.keyed.Prf.subkey`) from the run key, the
transform spec and a *tweak* made of the length and the class pattern, so
every shape has its own permutation.
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

from collections.abc import Callable
from math import isqrt
from typing import cast

from scrubphi.transforms.keyed import Prf

__all__ = ["Permutation", "make_tokenize", "siphash24"]

ROUNDS = 8
DIGITS = "0123456789"
NONZERO = "123456789"
LOWER = "abcdefghijklmnopqrstuvwxyz"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_INDEX = {alpha: {c: i for i, c in enumerate(alpha)} for alpha in (DIGITS, NONZERO, LOWER, UPPER)}
# Cache of permutations per (tweak); bounded so odd data cannot grow memory.
_MAX_CACHED = 50_000


_M64 = (1 << 64) - 1


def siphash24(key: bytes, data: bytes) -> int:
    """SipHash-2-4 of ``data`` under a 16-byte key, as a 64-bit integer (the reference).

    Written out for the Feistel round function: a keyed PRF of short inputs
    that the compiled codec computes in a few nanoseconds.
    """
    k0 = int.from_bytes(key[:8], "little")
    k1 = int.from_bytes(key[8:16], "little")
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573
    n = len(data)
    tail = n - n % 8
    blocks = [int.from_bytes(data[i : i + 8], "little") for i in range(0, tail, 8)]
    blocks.append(int.from_bytes(data[tail:], "little") | ((n & 0xFF) << 56))
    v = [v0, v1, v2, v3]
    for m in blocks:
        v[3] ^= m
        _sipround(v)
        _sipround(v)
        v[0] ^= m
    v[2] ^= 0xFF
    for _ in range(4):
        _sipround(v)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def _sipround(v: list[int]) -> None:
    v0, v1, v2, v3 = v
    v0 = (v0 + v1) & _M64
    v1 = ((v1 << 13) | (v1 >> 51)) & _M64 ^ v0
    v0 = ((v0 << 32) | (v0 >> 32)) & _M64
    v2 = (v2 + v3) & _M64
    v3 = ((v3 << 16) | (v3 >> 48)) & _M64 ^ v2
    v0 = (v0 + v3) & _M64
    v3 = ((v3 << 21) | (v3 >> 43)) & _M64 ^ v0
    v2 = (v2 + v1) & _M64
    v1 = ((v1 << 17) | (v1 >> 47)) & _M64 ^ v2
    v2 = ((v2 << 32) | (v2 >> 32)) & _M64
    v[0], v[1], v[2], v[3] = v0, v1, v2, v3


def _fastest_siphash() -> Callable[[bytes, bytes], int]:
    """The compiled codec's SipHash-2-4 when it is in use, else :func:`siphash24`.

    Why: values the kernels leave to Python (domains over 2**248, values that
    are not printable ASCII) ran eight rounds of the written-out SipHash each,
    about 0.5 ms a value (before the 256-bit kernel, long e-mail local parts
    did: a fifth of a policy's time at 5% of the rows).
    Both compute the same function (the kernel tests compare them); with
    ``SCRUBPHI_NO_EXTENSIONS`` set everything stays pure Python.
    """
    from scrubphi import _impl

    if _impl.NO_EXTENSIONS:
        return siphash24
    try:
        from scrubphi._fast import _siphash24
    except ImportError:
        return siphash24
    return cast(Callable[[bytes, bytes], int], _siphash24)


_SIPHASH = _fastest_siphash()


class Permutation:
    """A keyed permutation of ``[0, n)``: Feistel over ``Z_a x Z_b`` plus cycle-walking.

    Round ``i`` maps ``lo`` to ``F mod m`` where ``F`` is the concatenation of
    ``SipHash-2-4(round_key[:16], i || lo || j)`` for ``j`` in ``0..blocks-1``,
    with at least 32 bits over the modulus (FF1's margin; ``j`` in one byte, from 256
    on in four: a value of thousands of letters).  Every domain below
    2**62 needs one block; the compiled kernel computes one block up to 2**64,
    two blocks (128-bit arithmetic) up to 2**124 and up to three blocks in
    256-bit arithmetic up to 2**248.
    """

    __slots__ = ("_a", "_b", "_blocks", "_init", "_key", "_width", "n")

    def __init__(self, round_key: bytes, n: int) -> None:
        if n < 1:
            raise ValueError("empty permutation domain")
        self.n = n
        a = isqrt(n - 1) + 1 if n > 1 else 1
        self._a = a
        self._b = -(-n // a)
        self._key = round_key[:16]
        top = max(self._a, self._b).bit_length()
        self._width = (top + 7) // 8 or 1
        self._blocks = (top + 32 + 63) // 64
        k0 = int.from_bytes(self._key[:8], "little")
        k1 = int.from_bytes(self._key[8:16], "little")
        self._init = (
            k0 ^ 0x736F6D6570736575,
            k1 ^ 0x646F72616E646F6D,
            k0 ^ 0x6C7967656E657261,
            k1 ^ 0x7465646279746573,
        )

    def _f_short(self, m: int) -> int:
        """SipHash-2-4 of a message under 8 bytes, given as its final block ``m``.

        The six SipRounds are written out: this is the pure twin's hot loop.
        """
        M = _M64
        v0, v1, v2, v3 = self._init
        v3 ^= m
        v0 = (v0 + v1) & M
        v1 = ((v1 << 13) | (v1 >> 51)) & M ^ v0
        v0 = ((v0 << 32) | (v0 >> 32)) & M
        v2 = (v2 + v3) & M
        v3 = ((v3 << 16) | (v3 >> 48)) & M ^ v2
        v0 = (v0 + v3) & M
        v3 = ((v3 << 21) | (v3 >> 43)) & M ^ v0
        v2 = (v2 + v1) & M
        v1 = ((v1 << 17) | (v1 >> 47)) & M ^ v2
        v2 = ((v2 << 32) | (v2 >> 32)) & M
        v0 = (v0 + v1) & M
        v1 = ((v1 << 13) | (v1 >> 51)) & M ^ v0
        v0 = ((v0 << 32) | (v0 >> 32)) & M
        v2 = (v2 + v3) & M
        v3 = ((v3 << 16) | (v3 >> 48)) & M ^ v2
        v0 = (v0 + v3) & M
        v3 = ((v3 << 21) | (v3 >> 43)) & M ^ v0
        v2 = (v2 + v1) & M
        v1 = ((v1 << 17) | (v1 >> 47)) & M ^ v2
        v2 = ((v2 << 32) | (v2 >> 32)) & M
        v0 ^= m
        v2 ^= 0xFF
        v0 = (v0 + v1) & M
        v1 = ((v1 << 13) | (v1 >> 51)) & M ^ v0
        v0 = ((v0 << 32) | (v0 >> 32)) & M
        v2 = (v2 + v3) & M
        v3 = ((v3 << 16) | (v3 >> 48)) & M ^ v2
        v0 = (v0 + v3) & M
        v3 = ((v3 << 21) | (v3 >> 43)) & M ^ v0
        v2 = (v2 + v1) & M
        v1 = ((v1 << 17) | (v1 >> 47)) & M ^ v2
        v2 = ((v2 << 32) | (v2 >> 32)) & M
        v0 = (v0 + v1) & M
        v1 = ((v1 << 13) | (v1 >> 51)) & M ^ v0
        v0 = ((v0 << 32) | (v0 >> 32)) & M
        v2 = (v2 + v3) & M
        v3 = ((v3 << 16) | (v3 >> 48)) & M ^ v2
        v0 = (v0 + v3) & M
        v3 = ((v3 << 21) | (v3 >> 43)) & M ^ v0
        v2 = (v2 + v1) & M
        v1 = ((v1 << 17) | (v1 >> 47)) & M ^ v2
        v2 = ((v2 << 32) | (v2 >> 32)) & M
        v0 = (v0 + v1) & M
        v1 = ((v1 << 13) | (v1 >> 51)) & M ^ v0
        v0 = ((v0 << 32) | (v0 >> 32)) & M
        v2 = (v2 + v3) & M
        v3 = ((v3 << 16) | (v3 >> 48)) & M ^ v2
        v0 = (v0 + v3) & M
        v3 = ((v3 << 21) | (v3 >> 43)) & M ^ v0
        v2 = (v2 + v1) & M
        v1 = ((v1 << 17) | (v1 >> 47)) & M ^ v2
        v2 = ((v2 << 32) | (v2 >> 32)) & M
        v0 = (v0 + v1) & M
        v1 = ((v1 << 13) | (v1 >> 51)) & M ^ v0
        v0 = ((v0 << 32) | (v0 >> 32)) & M
        v2 = (v2 + v3) & M
        v3 = ((v3 << 16) | (v3 >> 48)) & M ^ v2
        v0 = (v0 + v3) & M
        v3 = ((v3 << 21) | (v3 >> 43)) & M ^ v0
        v2 = (v2 + v1) & M
        v1 = ((v1 << 17) | (v1 >> 47)) & M ^ v2
        v2 = ((v2 << 32) | (v2 >> 32)) & M
        return v0 ^ v1 ^ v2 ^ v3

    def _once(self, x: int) -> int:
        a, b, width, blocks = self._a, self._b, self._width, self._blocks
        hi, lo = divmod(x, b)
        if blocks == 1 and _SIPHASH is not siphash24:
            # The compiled SipHash (the codec's, 100x the written-out one) of the same
            # message i || lo || 0 that _f_short reads from its final block.
            key = self._key
            for i in range(ROUNDS):
                modulus = a if i % 2 == 0 else b
                f = _SIPHASH(key, bytes((i,)) + lo.to_bytes(width, "big") + b"\0")
                hi, lo = lo, (hi + f % modulus) % modulus
            return hi * b + lo
        if blocks == 1:
            # The message i || lo (width <= 4 bytes, big-endian) || 0 fits SipHash's
            # final block: its length in the top byte, the bytes little-endian below.
            length = (width + 2) << 56
            f_short = self._f_short
            for i in range(ROUNDS):
                modulus = a if i % 2 == 0 else b
                m = length | i | (int.from_bytes(lo.to_bytes(width, "big"), "little") << 8)
                hi, lo = lo, (hi + f_short(m) % modulus) % modulus
            return hi * b + lo
        for i in range(ROUNDS):
            modulus = a if i % 2 == 0 else b
            data = bytes((i,)) + lo.to_bytes(width, "big")
            f = 0
            for j in range(blocks):
                # j in one byte; past 255 blocks (a value of some 7,000 letters or more:
                # ``bytes((256,))`` stopped the run) in four, a message of another length
                f = (f << 64) | _SIPHASH(self._key, data + (bytes((j,)) if j < 256
                                                           else j.to_bytes(4, "big")))
            hi, lo = lo, (hi + f % modulus) % modulus
        return hi * b + lo

    def __call__(self, x: int) -> int:
        if self.n == 1:
            return 0
        y = self._once(x)
        while y >= self.n:
            y = self._once(y)
        return y


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
