"""The keyed pseudo-random function behind every keyed transform.

Why one place: determinism (same key, spec and value give the same output
in every table, run and machine) rests on every transform deriving its
randomness the same way, domain-separated by the canonical spec so that
``hash`` and ``{fake: ssn}`` of one value are unrelated.

The PRF is HMAC-SHA256 through ``hmac.digest`` (OpenSSL's one-shot HMAC,
about a microsecond per call).  The message is ``prefix || tag || value``
where ``prefix`` is the length-prefixed canonical spec, so no two specs and
no two tags can produce the same message.
"""

from __future__ import annotations

import hmac

from scrubphi.policy.model import TransformSpec

__all__ = ["Prf", "domain_of", "offset_in"]

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
    """HMAC-SHA256 under the run key, bound to one transform domain.

    ``digest(data, tag)`` hashes ``data`` (bytes) under a one-byte-or-more
    ``tag`` that separates sub-uses inside one transform (the value itself,
    a ``per`` value, ...).
    """

    __slots__ = ("_key", "_prefix", "domain")

    def __init__(self, key: bytes, domain: str) -> None:
        self._key = key
        self.domain = domain
        dom = domain.encode("utf-8")
        self._prefix = len(dom).to_bytes(4, "big") + dom

    @property
    def key(self) -> bytes:
        """The HMAC key (for compiled kernels that reproduce ``digest`` exactly)."""
        return self._key

    @property
    def prefix(self) -> bytes:
        """The length-prefixed domain that starts every message."""
        return self._prefix

    def digest(self, data: bytes, tag: bytes = b"v") -> bytes:
        """32 pseudo-random bytes for ``data`` under ``tag``."""
        return hmac.digest(self._key, self._prefix + tag + b"\x00" + data, "sha256")

    def value(self, value: str, tag: bytes = b"v") -> bytes:
        """32 pseudo-random bytes for a text value."""
        return hmac.digest(
            self._key, self._prefix + tag + b"\x00" + value.encode("utf-8"), "sha256"
        )

    def subkey(self, label: bytes) -> bytes:
        """A 32-byte key derived for one purpose (e.g. the Feistel round key of one tweak)."""
        return hmac.digest(self._key, self._prefix + b"k" + b"\x00" + label, "sha256")


def offset_in(digest: bytes, days: int) -> int:
    """Map a digest to an integer in [-days, +days] without 0, near-uniformly.

    256 bits reduced modulo at most 2*days leaves a negligible bias.
    """
    r = int.from_bytes(digest, "big") % (2 * days)
    return r - days if r < days else r - days + 1
