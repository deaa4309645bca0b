"""``{fake: PROVIDER, unique: true}``: one-to-one fakes by construction, in constant memory.

Why no memo: a run-wide table of every value seen grows with the data (706 MB
at 2M rows) and ties every column of one spec to one process.  Instead each
provider is a *keyed bijection* built from tokenize's format-preserving
permutation (:class:`~scrubphi.transforms.tokenize.Permutation` and
:func:`~scrubphi.transforms.tokenize.make_tokenize` under the fake's own
domain): distinct inputs cannot meet, nothing is stored or retried, and the
same input gives the same fake in every table, column, run and process.

Two ways to stay a bijection are used throughout:

- *Shape kept*: ``tok`` (alnum tokenize) permutes the values of one shape
  (digits among digits, letters among letters of the same case, every other
  character kept), so a value can only meet another value of its shape.  A
  provider's own shape (an SSN, an e-mail with its ``@``) is then told apart
  from everything else by a property ``tok`` keeps.
- *Cycle walking*: a permutation ``P`` of a set, restricted to a subset ``S``
  by applying ``P`` again while the result is outside ``S``, is a bijection
  of ``S`` (the orbit of an element of ``S`` returns to it).  It keeps SSNs in
  their class and non-shaped values out of a provider's canonical spelling.

Pool providers (names, cities, sentences...) have fewer outputs than inputs:
no map into them is one-to-one, so ``unique: true`` is refused for them
(:func:`refusal`).  docs/transforms.md states each provider's construction,
its injectivity argument and what its outputs may look like.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scrubphi.errors import TransformError
from scrubphi.transforms.keyed import Prf
from scrubphi.transforms.tokenize import Permutation, make_tokenize

__all__ = [
    "EMAIL_DOMAIN",
    "MIN_WIDTH",
    "REFUSED",
    "UNIQUE_CONSTRUCTIONS",
    "UniqueFake",
    "make_unique",
    "never_issued",
    "refusal",
]

#: The reserved top-level name (RFC 2606) every unique e-mail and URL host ends in.
EMAIL_DOMAIN = "example"
_SUFFIX = "." + EMAIL_DOMAIN

#: Provider -> construction.  ``tok``: shape-preserving tokenization of the value.
UNIQUE_CONSTRUCTIONS: dict[str, str] = {
    "ssn": "ssn",
    "email": "email",
    "url": "url",
    "user_name": "tok",
    "license_plate": "tok",
    "zipcode": "tok",
    "postcode": "tok",
    "phone_number": "tok",
    "fax": "tok",
    "credit_card_number": "card",
    "iban": "iban",
    "vin": "vin",
    "uuid4": "uuid",
    "ipv4": "ip",
    "ipv6": "ip",
}

#: Providers whose value space is a finite pool or composition smaller than the inputs.
REFUSED = frozenset(
    {
        "first_name", "last_name", "name", "city", "state", "state_abbr", "company",
        "street_address", "address", "word", "sentence", "paragraph", "first_name_female",
        "first_name_male",
    }
)

#: The narrowest ``character varying(n)`` a unique fake can ever write its own shape into:
#: nine SSN digits, a UUID, ``a@b`` + ``.example``, ``a://b`` + ``.example``.
MIN_WIDTH: dict[str, int] = {"ssn": 9, "uuid4": 36, "email": 11, "url": 13}

#: Providers whose output may be longer than the input (the suffix of the reserved name,
#: an IPv6 address written in its compressed form).
_GROWS = frozenset({"email", "url", "ipv6", "ipv4"})


def refusal(provider: str, capacity: int) -> str | None:
    """Why ``unique: true`` cannot work for ``provider``, or None when it can."""
    if provider not in REFUSED:
        return None
    return (
        f"unique fake {provider} is refused: its value space has only about {capacity:,} "
        "values, fewer than the possible inputs, so no one-to-one fake exists; use "
        "{tokenize: alnum} (one-to-one, shape kept) or drop unique"
    )


@dataclass
class UniqueFake:
    """A unique fake for one column: the function and its compiled kernel's parameters."""

    fn: Callable[[str], str]
    kernel: tuple[Any, ...] | None


def never_issued(n: int) -> bool:
    """The SSA never issues area 000, 666 or 900-999, group 00 or serial 0000."""
    area, rest = divmod(n, 1_000_000)
    group, serial = divmod(rest, 10_000)
    return area == 0 or area == 666 or area >= 900 or group == 0 or serial == 0


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _ssn_digits(value: str) -> tuple[str, bool] | None:
    """The nine digits of an SSN-shaped value and whether it is dashed; None otherwise."""
    if len(value) == 11 and value[3] == "-" and value[6] == "-":
        digits = value[:3] + value[4:6] + value[7:]
        return (digits, True) if _ascii_digits(digits) else None
    if len(value) == 9 and _ascii_digits(value):
        return value, False
    return None


def _walk(tok: Callable[[str], str], reserved: Callable[[str], bool]) -> Callable[[str], str]:
    """``tok`` cycle-walked out of ``reserved`` (for values that are not reserved)."""

    def fn(value: str) -> str:
        out = tok(value)
        while reserved(out):
            out = tok(out)
        return out

    return fn


def _luhn(digits: str) -> int:
    """The Luhn check digit that completes ``digits``."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = ord(c) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


_CARD_CHARS = frozenset("0123456789 -")
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9 ]{8,40}\Z")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
_VIN_INDEX = {c: i for i, c in enumerate(_VIN_ALPHABET)}
_VIN_VALUES = {c: (i if i < 10 else (1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6,
                                     7, 8, 9)[i - 10]) for i, c in enumerate(_VIN_ALPHABET)}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_CHECK = "0123456789X"
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://)([^/?#:@]*)(.*)\Z", re.DOTALL)
_V4_FIXED = (0xF << 76) | (0x3 << 62)
_V4_BITS = (0x4 << 76) | (0x2 << 62)


def _vin_check(chars: list[int]) -> int:
    """The check digit's index in ``0123456789X`` for 17 alphabet indexes (position 9 ignored)."""
    total = sum(_VIN_VALUES[_VIN_ALPHABET[c]] * w for c, w in zip(chars, _VIN_WEIGHTS, strict=True))
    return total % 11


def _iban_check(country: str, bban: str) -> int:
    numeric = "".join(str(int(c, 36)) for c in bban.replace(" ", "") + country + "00")
    return 98 - int(numeric) % 97


def _canonical(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """The one spelling of an address: ``str`` (RFC 5952), IPv4-mapped as PostgreSQL writes it."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return "::ffff:" + str(ip.ipv4_mapped)
    return str(ip)


def _ip(value: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, str] | None:
    """The address of a value in its canonical spelling, and its ``/n``; None otherwise.

    Only one spelling of each address counts (``2001:DB8::1`` is not
    ``2001:db8::1``), so two spellings never meet on one fake.
    """
    addr, slash, mask = value.partition("/")
    if "%" in addr:
        return None  # a scoped address: the scope would be lost
    if slash and not (_ascii_digits(mask) and len(mask) <= 3):
        return None
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return None
    if _canonical(ip) != addr or (slash and int(mask) > ip.max_prefixlen):
        return None
    return ip, slash + mask


def make_unique(provider: str, prf: Prf, *, compact: bool, limit: int | None) -> UniqueFake:
    """The unique fake of ``provider`` under ``prf`` for a column of at most ``limit`` characters.

    ``compact``: SSNs are written as nine digits (a column narrower than 11).
    A value whose fake would not fit ``limit`` raises :class:`TransformError`
    (the codec adds table, column and line; never the value).
    """
    how = UNIQUE_CONSTRUCTIONS[provider]
    tok = make_tokenize(prf, "alnum", "")
    label = b"k\x00txt|alnum|"
    kernel: tuple[Any, ...] | None = None
    core: Callable[[str], str]

    if how == "tok":
        core = tok
        kernel = ("tok", b"")
    elif how == "ssn":
        subkey = prf.subkey(b"u|ssn")
        perm = Permutation(subkey, 10**9)

        def ssn(value: str) -> str:
            shaped = _ssn_digits(value)
            if shaped is None:
                return tok(value)  # keeps the shape: never SSN-shaped
            digits, dashed = shaped
            x = int(digits)
            cls = never_issued(x)
            y = perm(x)
            while never_issued(y) != cls:
                y = perm(y)
            out = f"{y:09d}"
            return f"{out[:3]}-{out[3:5]}-{out[5:]}" if dashed and not compact else out

        core = ssn
        kernel = ("ssn" if not compact else "ssn9", subkey[:16])
    elif how == "email":

        def email(value: str) -> str:
            at = value.rfind("@")
            if at < 0:
                return tok(value)  # no "@" in, none out
            domain = value[at + 1 :]
            host = tok(domain) + _SUFFIX if domain else EMAIL_DOMAIN
            return tok(value[:at]) + "@" + host

        core = email
        kernel = ("email", b"")
    elif how == "url":

        def url(value: str) -> str:
            m = _URL.match(value)
            if m is None:
                return tok(value)  # tok keeps every class the pattern reads: never URL-shaped
            scheme, host, rest = m.groups()
            return scheme + (tok(host) + _SUFFIX if host else EMAIL_DOMAIN) + tok(rest)

        core = url
        kernel = ("url", b"")
    elif how == "card":
        digits_tok = make_tokenize(prf, "digits", "")

        def card(value: str) -> str:
            if not (set(value) <= _CARD_CHARS) or sum(c.isdigit() for c in value) < 2:
                return tok(value)  # letters or other characters stay: never card-shaped
            last = max(i for i, c in enumerate(value) if c.isdigit())
            body = digits_tok(value[:last])
            old = [c for c in value[:last] if c.isdigit()]
            new = [c for c in body if c.isdigit()]
            offset = ord(value[last]) - 48 - _luhn("".join(old))
            check = (_luhn("".join(new)) + offset) % 10
            return body + chr(48 + check) + value[last + 1 :]

        core = card
        kernel = ("card", b"")
    elif how == "iban":

        def iban(value: str) -> str:
            if _IBAN.match(value) is None:
                return tok(value)  # tok keeps upper case, digits and spaces: never IBAN-shaped
            country, check, bban = value[:2], int(value[2:4]), value[4:]
            new = tok(bban)
            out = (check - _iban_check(country, bban) + _iban_check(country, new)) % 100
            return f"{country}{out:02d}{new}"

        core = iban
        kernel = ("iban", b"")
    elif how == "vin":
        vin_key = prf.subkey(b"u|vin")
        vin_perm = Permutation(vin_key, 33**16)

        def is_vin(text: str) -> bool:
            return len(text) == 17 and all(c in _VIN_INDEX for c in text) and (
                text[8] in _VIN_CHECK)

        walk = _walk(tok, is_vin)

        def vin(value: str) -> str:
            if not is_vin(value):
                return walk(value)
            idx = [_VIN_INDEX[c] for c in value]
            x = 0
            for i, c in enumerate(idx):
                if i != 8:
                    x = x * 33 + c
            y = vin_perm(x)
            new = [0] * 17
            for i in range(16, -1, -1):
                if i != 8:
                    y, new[i] = divmod(y, 33)
            offset = _VIN_CHECK.index(value[8]) - _vin_check(idx)
            out = [_VIN_ALPHABET[c] for c in new]
            out[8] = _VIN_CHECK[(_vin_check(new) + offset) % 11]
            return "".join(out)

        core = vin
        kernel = ("vin", vin_key[:16])
    elif how == "uuid":
        key122, key128 = prf.subkey(b"u|uuid4"), prf.subkey(b"u|uuid")
        perm122 = Permutation(key122, 1 << 122)
        perm128 = Permutation(key128, 1 << 128)

        def is_uuid(text: str) -> bool:
            return _UUID.match(text) is not None

        walk = _walk(tok, is_uuid)

        def uuid(value: str) -> str:
            if not is_uuid(value):
                return walk(value)
            n = int(value.replace("-", ""), 16)
            if n & _V4_FIXED == _V4_BITS:
                free = ((n >> 80) << 74) | (((n >> 64) & 0xFFF) << 62) | (n & ((1 << 62) - 1))
                f = perm122(free)
                y = ((f >> 74) << 80) | (((f >> 62) & 0xFFF) << 64) | (f & ((1 << 62) - 1))
                y |= _V4_BITS
            else:
                y = perm128(n)
                while y & _V4_FIXED == _V4_BITS:
                    y = perm128(y)
            h = f"{y:032x}"
            return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

        core = uuid
        kernel = ("uuid", key122[:16] + key128[:16])
    else:  # ip
        key32, key_v6 = prf.subkey(b"u|ipv4"), prf.subkey(b"u|ipv6")
        perm32 = Permutation(key32, 1 << 32)
        perm_v6 = Permutation(key_v6, 1 << 128)
        walk = _walk(tok, lambda text: _ip(text) is not None)

        def ip(value: str) -> str:
            parsed = _ip(value)
            if parsed is None:
                return walk(value)
            addr, mask = parsed
            if addr.version == 4:
                return str(ipaddress.IPv4Address(perm32(int(addr)))) + mask
            return _canonical(ipaddress.IPv6Address(perm_v6(int(addr)))) + mask

        core = ip
        kernel = ("ip", key32[:16] + key_v6[:16])

    grows = provider in _GROWS
    fn: Callable[[str], str] = core
    if limit is not None and grows:
        cap = limit

        def bounded(value: str) -> str:
            out = core(value)
            if len(out) > cap:
                raise TransformError(
                    f"the unique fake {provider} needs more than the column's {cap} "
                    "characters for this value (it can be longer than the original); widen "
                    "the column (values are never cut: a cut fake could repeat)"
                )
            return out

        fn = bounded
    if kernel is not None:
        max_chars = limit if (limit is not None and grows) else -1
        kernel = ("unique", prf.key, label, kernel[0], kernel[1], max_chars)
    return UniqueFake(fn, kernel)
