"""The structured values a policy scrubs, as keyed hashes, for the free-text redactor.

Why: the values that a policy fakes in structured columns (patients' and
staff's names, streets, towns, phones, record numbers) are exactly the PHI
most likely to be written into a note, and a note must lose every one of
them, whichever table it came from, even when it is an everyday word
("Hope", "Walker") that the redactor would otherwise keep.  pg_dump writes
tables in name order (``encounters`` before ``patients``), so the values must
be known before the notes stream past: the lookup is built beforehand, from
the dump (``scrubphi lookup --input DUMP``) or from the source database
(``scrubphi lookup --from URL``; ``scrubphi refresh`` does this by itself).

What it holds: for each kind, the set of 64-bit keyed BLAKE2b hashes of the
normalised values (names split into their words; phones as digits; streets,
towns and IDs as normalised strings).  Never a value: the hashes are keyed
with a key derived from the scrub key, so without the key the file says
nothing (not even whether a given name is in it), and the key never enters
the file.  A run with another key refuses the file.  The file ends with a keyed
MAC (HMAC-SHA256 of the rest under the lookup's key): a byte damaged at rest, or
a hash removed by someone without the key (to let a name through the notes),
makes the file refused rather than silently weaker.

Memory: 8 bytes a value in the file; in a run, a Python set of ints, about
70 bytes a value (70 MB per million values).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from scrubphi.errors import LookupFileError
from scrubphi.policy.model import TransformSpec

__all__ = [
    "KINDS",
    "Lookup",
    "column_kind",
    "normal_digits",
    "normal_id",
    "normal_text",
]

#: The kinds of value a lookup holds.
KINDS = ("first_name", "last_name", "street", "city", "phone", "id")

_MAGIC = b"SCRUBPHI-LOOKUP\x002\n"
# The first format, without the MAC at the end (refused with a clear message).
_MAGIC_V1 = b"SCRUBPHI-LOOKUP\x001\n"
# The keyed MAC that ends a file: HMAC-SHA256 of everything before it.
_MAC_SIZE = 32
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
_SPACES = re.compile(r"[\s.,]+")

# What a column's transform says its values are.  "name" is a full name: its
# first word is a first name, its others last names.
_FAKE_KINDS: Mapping[str, str] = {
    "first_name": "first_name", "last_name": "last_name", "name": "name",
    "street_address": "street", "address": "street", "city": "city",
    "phone_number": "phone", "fax": "phone", "ssn": "phone",
}


def column_kind(spec: TransformSpec) -> str | None:
    """The lookup kind of a column's values under ``spec``, or None (not looked up)."""
    if spec.kind == "fake":
        return _FAKE_KINDS.get(str(spec.params.get("provider")))
    if spec.kind in ("tokenize", "hash"):
        return "id"
    return None


def normal_text(value: str) -> str:
    """Lower case, runs of spaces, dots and commas as one space: "12 Oak St." -> "12 oak st"."""
    return _SPACES.sub(" ", value.lower()).strip()


def normal_digits(value: str) -> str:
    """The digits of a phone or SSN; a leading 1 of an 11-digit North American number goes."""
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    return digits


def normal_id(value: str) -> str:
    """An identifier without separators, upper case: "ab-123 456" -> "AB123456"."""
    return "".join(c for c in value if c.isalnum()).upper()


@dataclass
class Lookup:
    """Keyed hashes of scrubbed values, by kind; see the module docstring."""

    key: bytes
    sets: dict[str, set[int]]
    #: The safe words the lookup holds as first and last names, once computed by
    #: the redactor (it hashes its vocabulary once per lookup).
    flagged: tuple[frozenset[str], frozenset[str]] | None = field(
        default=None, compare=False, repr=False)

    @classmethod
    def new(cls, scrub_key: bytes) -> Lookup:
        derived = hmac.new(scrub_key, b"scrubphi/redact-lookup/v1", hashlib.sha256).digest()
        return cls(derived, {kind: set() for kind in KINDS})

    # -- building ---------------------------------------------------------------------

    def h(self, kind: str, normal: str) -> int:
        digest = hashlib.blake2b(
            kind.encode() + b"\0" + normal.encode("utf-8", "surrogatepass"),
            key=self.key, digest_size=8,
        ).digest()
        return int.from_bytes(digest, "big")

    def add(self, kind: str, value: str) -> None:
        """Add one column value of ``kind`` (a :func:`column_kind`)."""
        if kind in ("first_name", "last_name", "name"):
            words = [w.lower() for w in _WORD.findall(value)]
            for i, word in enumerate(words):
                if len(word) < 2:
                    continue
                if kind == "name":
                    part = "first_name" if i == 0 and len(words) > 1 else "last_name"
                else:
                    part = kind
                self.sets[part].add(self.h(part, word))
        elif kind in ("street", "city"):
            normal = normal_text(value)
            if normal:
                self.sets[kind].add(self.h(kind, normal))
        elif kind == "phone":
            digits = normal_digits(value)
            if len(digits) >= 7:
                self.sets["phone"].add(self.h("phone", digits))
        elif kind == "id":
            normal = normal_id(value)
            if len(normal) >= 4 and any(c.isdigit() for c in normal):
                self.sets["id"].add(self.h("id", normal))

    def add_all(self, kind: str, values: Iterable[str | None]) -> None:
        for value in values:
            if value:
                self.add(kind, value)

    # -- asking -------------------------------------------------------------------------

    def has(self, kind: str, normal: str) -> bool:
        """Whether a normalised value of ``kind`` is in the lookup."""
        found = self.sets.get(kind)
        return bool(found) and self.h(kind, normal) in found  # type: ignore[operator]

    def __len__(self) -> int:
        return sum(len(s) for s in self.sets.values())

    def counts(self) -> dict[str, int]:
        return {kind: len(self.sets[kind]) for kind in KINDS}

    def check_key(self, scrub_key: bytes) -> None:
        """Raise LookupFileError unless this lookup was made with ``scrub_key``."""
        if not hmac.compare_digest(self.key, Lookup.new(scrub_key).key):
            raise LookupFileError("the lookup was made with another key")

    # -- files --------------------------------------------------------------------------

    def check_value(self) -> bytes:
        """16 bytes that prove the file was made with this key, and say nothing else."""
        return hmac.new(self.key, b"scrubphi/redact-lookup/check", hashlib.sha256).digest()[:16]

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self.key, b"scrubphi/redact-lookup/mac\0" + body,
                        hashlib.sha256).digest()

    def to_bytes(self) -> bytes:
        parts = [_MAGIC, self.check_value()]
        for kind in KINDS:
            values = sorted(self.sets[kind])
            name = kind.encode()
            parts.append(struct.pack(">B", len(name)) + name + struct.pack(">Q", len(values)))
            parts.append(struct.pack(f">{len(values)}Q", *values))
        body = b"".join(parts)
        return body + self._mac(body)

    @classmethod
    def from_bytes(cls, data: bytes, scrub_key: bytes) -> Lookup:
        lookup = cls.new(scrub_key)
        if data.startswith(_MAGIC_V1):
            raise LookupFileError(
                "the lookup file is of an older format (without its MAC); make it again "
                "with scrubphi lookup"
            )
        if not data.startswith(_MAGIC):
            raise LookupFileError("not a scrubphi lookup file")
        pos = len(_MAGIC)
        if data[pos : pos + 16] != lookup.check_value():
            raise LookupFileError("the lookup was made with another key")
        pos += 16
        if len(data) < pos + _MAC_SIZE or not hmac.compare_digest(
                data[-_MAC_SIZE:], lookup._mac(data[:-_MAC_SIZE])):
            raise LookupFileError(
                "the lookup file is damaged or was altered (its MAC does not match)"
            )
        data = data[:-_MAC_SIZE]
        try:
            for _ in KINDS:
                size = data[pos]
                name = data[pos + 1 : pos + 1 + size].decode()
                pos += 1 + size
                (count,) = struct.unpack_from(">Q", data, pos)
                pos += 8
                if pos + 8 * count > len(data):
                    raise LookupFileError("the lookup file is damaged (truncated)")
                values = struct.unpack_from(f">{count}Q", data, pos)
                pos += 8 * count
                if name not in lookup.sets:
                    raise LookupFileError("the lookup file names an unknown kind")
                lookup.sets[name] = set(values)
        except (IndexError, struct.error, UnicodeDecodeError):
            raise LookupFileError("the lookup file is damaged (truncated)") from None
        if pos != len(data):
            raise LookupFileError("the lookup file is damaged (trailing bytes)")
        return lookup

    def save(self, path: str) -> None:
        """Write atomically, readable by the owner only (it is keyed, but still PHI-derived)."""
        from pathlib import Path

        from scrubphi.fileutil import write_atomic

        write_atomic(Path(path), self.to_bytes(), mode=0o600)

    @classmethod
    def load(cls, path: str, scrub_key: bytes) -> Lookup:
        """Read a lookup file (OSError when unreadable, LookupFileError when unusable)."""
        with open(path, "rb") as fh:
            return cls.from_bytes(fh.read(), scrub_key)

