"""``hash``: a keyed HMAC of the value, encoded in an alphabet and truncated.

Why keyed: an unkeyed hash of an SSN is reversible by enumerating all 10^9
SSNs; HMAC under the run's secret is not.  Not one-to-one: use ``tokenize``
or ``{fake: ..., unique: true}`` where a unique constraint must hold.
"""

from __future__ import annotations

from collections.abc import Callable

from scrubphi.transforms.keyed import Prf

__all__ = ["ALPHABETS", "MAX_HASH_LENGTH", "make_hash"]

ALPHABETS = {
    "hex": "0123456789abcdef",
    "digits": "0123456789",
    "alnum": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
}

MAX_HASH_LENGTH = 256


def make_hash(prf: Prf, length: int, alphabet: str) -> Callable[[str], str]:
    """A function value -> ``length`` symbols of ``alphabet``, from HMAC-SHA256 blocks.

    Enough blocks are drawn for 128 spare bits, so the reduction to the
    alphabet is unbiased for all practical purposes.
    """
    symbols = ALPHABETS[alphabet]
    radix = len(symbols)
    bits = (radix.bit_length() - 1 if radix & (radix - 1) == 0 else radix.bit_length()) * length
    blocks = (bits + 128 + 255) // 256
    tags = [b"h" + i.to_bytes(2, "big") for i in range(blocks)]

    def draw(value: str) -> int:
        data = value.encode("utf-8")
        if blocks == 1:
            return int.from_bytes(prf.mac(data, tags[0]), "big")
        return int.from_bytes(b"".join(prf.mac(data, t) for t in tags), "big")

    if alphabet == "hex":
        def fn_hex(value: str) -> str:
            return f"{draw(value):0{blocks * 64}x}"[:length]

        return fn_hex
    if alphabet == "digits":
        modulus = 10**length

        def fn_digits(value: str) -> str:
            return str(draw(value) % modulus).zfill(length)

        return fn_digits

    def fn_alnum(value: str) -> str:
        n = draw(value)
        out = []
        for _ in range(length):
            n, i = divmod(n, radix)
            out.append(symbols[i])
        return "".join(out)

    return fn_alnum
