"""MurmurHash3 x86_32, and Unleash's normalised bucket.

Unleash SDKs put a user in a rollout bucket with MurmurHash3 (x86, 32-bit)
of ``groupId:identifier``.  A flag must bucket the same user the same way in
scrubphi as in every Unleash SDK, so the hash is reproduced bit for bit here
rather than approximated with a different hash.

The hash is the hot spot of every percentage rollout and variant choice, so
the implementation is chosen once, at import (like the row codec in
:mod:`scrubphi._impl`): the C function of the ``mmh3`` package when it is
installed (it is optional: ``pip install mmh3``, also pulled in by the
Unleash SDK), else the pure-Python twin below, which has no dependency.
``SCRUBPHI_NO_EXTENSIONS`` set to anything but ``""`` or ``"0"`` forces the
pure twin.  Both give identical results (tested on random inputs);
:data:`IMPLEMENTATION` says which one is active.
"""

from __future__ import annotations

import importlib
import os
import struct
from collections.abc import Callable
from typing import Literal

__all__ = [
    "IMPLEMENTATION",
    "STRATEGY_SEED",
    "VARIANT_SEED",
    "murmur3_32",
    "murmur3_32_pure",
    "normalized_hash",
]

#: Seed of strategy buckets (flexibleRollout, gradualRollout*).
STRATEGY_SEED = 0
#: Seed of variant buckets, the same constant in every Unleash SDK.
VARIANT_SEED = 86028157

_C1 = 0xCC9E2D51
_C2 = 0x1B873593
_MASK = 0xFFFFFFFF
# Unpackers for 1..16 little-endian words at once (identifiers are short);
# longer inputs build their format on the fly.
_WORDS = [struct.Struct(f"<{n}I").unpack_from for n in range(17)]


def murmur3_32_pure(data: bytes, seed: int = 0) -> int:
    """MurmurHash3_x86_32 of ``data`` in pure Python, as an unsigned 32-bit integer."""
    h = seed & _MASK
    length = len(data)
    nblocks = length >> 2
    words = _WORDS[nblocks](data) if nblocks <= 16 else struct.unpack_from(f"<{nblocks}I", data)
    for k in words:
        k = (k * _C1) & _MASK
        k = ((k << 15) | (k >> 17)) & _MASK
        k = (k * _C2) & _MASK
        h ^= k
        h = ((h << 13) | (h >> 19)) & _MASK
        h = (h * 5 + 0xE6546B64) & _MASK
    if length & 3:
        k = int.from_bytes(data[nblocks << 2 :], "little")
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


def _choose() -> tuple[Callable[[bytes, int], int], Literal["mmh3", "pure"]]:
    if os.environ.get("SCRUBPHI_NO_EXTENSIONS", "") not in ("", "0"):
        return murmur3_32_pure, "pure"
    try:
        c_hash = importlib.import_module("mmh3").hash
    except (ImportError, AttributeError):
        return murmur3_32_pure, "pure"

    def murmur3_32_c(data: bytes, seed: int = 0) -> int:
        """MurmurHash3_x86_32 of ``data`` (mmh3's C code), as an unsigned 32-bit integer."""
        return int(c_hash(data, seed & _MASK, False))

    return murmur3_32_c, "mmh3"


_hash: Callable[[bytes, int], int]
#: Which implementation is active: ``"mmh3"`` (C) or ``"pure"``.
IMPLEMENTATION: Literal["mmh3", "pure"]
_hash, IMPLEMENTATION = _choose()


def murmur3_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3_x86_32 of ``data``, as an unsigned 32-bit integer (the active twin)."""
    return _hash(data, seed)


def normalized_hash(
    identifier: str, group_id: str, modulus: int = 100, seed: int = STRATEGY_SEED
) -> int:
    """Unleash's bucket of ``identifier`` in ``group_id``: an integer in ``[1, modulus]``.

    The key is ``group_id + ":" + identifier`` in UTF-8 (as the Python SDK
    and Yggdrasil do; the Node SDK differs for non-ASCII ids).
    """
    return _hash(f"{group_id}:{identifier}".encode(), seed) % modulus + 1
