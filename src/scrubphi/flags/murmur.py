"""MurmurHash3 x86_32 in pure Python, and Unleash's normalised bucket.

Unleash SDKs put a user in a rollout bucket with MurmurHash3 (x86, 32-bit)
of ``groupId:identifier``.  A flag must bucket the same user the same way in
scrubphi as in every Unleash SDK, so the hash is reproduced bit for bit here
rather than approximated with a different hash.  Pure Python keeps the
package free of a compiled dependency for ~20 lines of arithmetic; the
identifiers hashed are short, so the cost is a microsecond or two.
"""

from __future__ import annotations

__all__ = ["STRATEGY_SEED", "VARIANT_SEED", "murmur3_32", "normalized_hash"]

#: Seed of strategy buckets (flexibleRollout, gradualRollout*).
STRATEGY_SEED = 0
#: Seed of variant buckets, the same constant in every Unleash SDK.
VARIANT_SEED = 86028157

_C1 = 0xCC9E2D51
_C2 = 0x1B873593
_MASK = 0xFFFFFFFF


def murmur3_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3_x86_32 of ``data``, as an unsigned 32-bit integer."""
    h = seed & _MASK
    length = len(data)
    tail_start = length - (length & 3)
    for i in range(0, tail_start, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * _C1) & _MASK
        k = ((k << 15) | (k >> 17)) & _MASK
        k = (k * _C2) & _MASK
        h ^= k
        h = ((h << 13) | (h >> 19)) & _MASK
        h = (h * 5 + 0xE6546B64) & _MASK
    tail = data[tail_start:]
    if tail:
        k = int.from_bytes(tail, "little")
        k = (k * _C1) & _MASK
        k = ((k << 15) | (k >> 17)) & _MASK
        k = (k * _C2) & _MASK
        h ^= k
    h ^= length
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK
    h ^= h >> 16
    return h


def normalized_hash(
    identifier: str, group_id: str, modulus: int = 100, seed: int = STRATEGY_SEED
) -> int:
    """Unleash's bucket of ``identifier`` in ``group_id``: an integer in ``[1, modulus]``.

    The key is ``group_id + ":" + identifier`` in UTF-8 (as the Python SDK
    and Yggdrasil do; the Node SDK differs for non-ASCII ids).
    """
    key = f"{group_id}:{identifier}".encode()
    return murmur3_32(key, seed) % modulus + 1
