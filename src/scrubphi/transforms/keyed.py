"""The keyed pseudo-random function behind every keyed transform.

Why one place: determinism (same key, spec and value give the same output
in every table, run and machine) rests on every transform deriving its
randomness the same way, domain-separated by the canonical spec so that
``hash`` and ``{fake: ssn}`` of one value are unrelated.

Derivation ``prf2`` (:data:`DERIVATION`, recorded in the run report):

- each transform domain gets its own 256-bit key, derived once when the
  column is built: ``K_d = HMAC-SHA256(secret, KDF_LABEL || prefix || 0x01)``
  where ``prefix`` is the length-prefixed canonical spec: HKDF-Expand-SHA256
  (RFC 5869) with the secret as PRK, ``KDF_LABEL || prefix`` as info, L = 32;
- every choice of a fake, tokenize round key, date offset, noise... is
  ``BLAKE2s-256(key=K_d, tag || 0x00 || value)`` (keyed BLAKE2s, RFC 7693),
  through ``hashlib`` here and ``_prf.h`` in the compiled codec;
- ``hash`` stays HMAC-SHA256 under the secret itself, of
  ``prefix || tag || 0x00 || value`` (:meth:`Prf.mac`), as it always was.

``KDF_LABEL`` starts with a 0xFF byte: a ``hash`` message starts with the
four-byte big-endian length of a domain, which would have to be 4 GiB long
to begin so, so the derived keys and ``hash`` outputs are HMAC-SHA256 of
disjoint messages under one key.  docs/transforms.md has the security argument.
"""

from __future__ import annotations

import hmac
from hashlib import blake2s

from scrubphi.policy.model import TransformSpec

__all__ = ["DERIVATION", "KDF_LABEL", "Prf", "domain_of", "offset_in"]

#: The name of how keyed choices are derived from the secret (in the run report and
#: ``--version``): two builds with different names give different fakes for one key.
#: ``prf1`` (never released) was HMAC-SHA256 under the secret for every choice.
DERIVATION = "prf2/blake2s-256/hkdf-sha256"

#: The info that starts every domain key's derivation (see the module docstring).
KDF_LABEL = b"\xffscrubphi/prf2/blake2s-256\x00"

#: Parameters that never change a transform's mapping of one value:
#: ``per`` only chooses what a date shift is keyed by; ``unique`` selects
#: another construction (a keyed bijection) whose keys carry their own labels;
#: ``format`` only says how a date is written in a text column (a date stored
#: as text shifts like the same date in a date column or a note).
DOMAIN_EXCLUDE = ("per", "unique", "format")


def domain_of(spec: TransformSpec) -> str:
    """The domain separator of a spec: its canonical form without per/unique."""
    return spec.canonical(exclude=DOMAIN_EXCLUDE)


class Prf:
    """Keyed BLAKE2s-256 under the domain key of one transform domain.

    ``digest(data, tag)`` hashes ``data`` (bytes) under a tag of one byte or
    more, without a NUL, that separates sub-uses inside one transform (the
    value itself, a ``per`` value, a subkey...).
    """

    __slots__ = ("_key", "_prefix", "_secret", "domain")

    def __init__(self, key: bytes, domain: str) -> None:
        self._secret = key
        self.domain = domain
        dom = domain.encode("utf-8")
        if len(dom) >= 1 << 31:
            raise ValueError("transform domain too long")
        self._prefix = len(dom).to_bytes(4, "big") + dom
        self._key = hmac.digest(key, KDF_LABEL + self._prefix + b"\x01", "sha256")

    @property
    def key(self) -> bytes:
        """The 32-byte domain key (for compiled kernels that reproduce ``digest`` exactly)."""
        return self._key

    @property
    def secret(self) -> bytes:
        """The run key itself: ``hash``'s HMAC key."""
        return self._secret

    @property
    def prefix(self) -> bytes:
        """The length-prefixed domain that starts every ``hash`` message."""
        return self._prefix

    def digest(self, data: bytes, tag: bytes = b"v") -> bytes:
        """32 pseudo-random bytes for ``data`` under ``tag``."""
        return blake2s(tag + b"\x00" + data, key=self._key).digest()

    def value(self, value: str, tag: bytes = b"v") -> bytes:
        """32 pseudo-random bytes for a text value (a lone surrogate, which no valid
        text holds, is encoded as it stands rather than refused)."""
        return blake2s(tag + b"\x00" + value.encode("utf-8", "surrogatepass"),
                       key=self._key).digest()

    def subkey(self, label: bytes) -> bytes:
        """A 32-byte key derived for one purpose (e.g. the Feistel round key of one tweak)."""
        return blake2s(b"k\x00" + label, key=self._key).digest()

    def mac(self, data: bytes, tag: bytes) -> bytes:
        """HMAC-SHA256 under the secret of ``prefix || tag || 0 || data`` (``hash`` only)."""
        return hmac.digest(self._secret, self._prefix + tag + b"\x00" + data, "sha256")


def offset_in(digest: bytes, days: int) -> int:
    """Map a digest to an integer in [-days, +days] without 0, near-uniformly.

    256 bits reduced modulo at most 2*days leaves a negligible bias.
    """
    r = int.from_bytes(digest, "big") % (2 * days)
    return r - days if r < days else r - days + 1
