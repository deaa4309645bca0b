"""``{fake: PROVIDER}``: realistic values chosen by a keyed hash of the original.

Why pools and arithmetic instead of Faker: Faker is slow and its output
changes between versions; scrubphi must give byte-identical output on every
machine.  Each provider here is a pure function of a 256-bit keyed digest
(and, for SSNs and phone numbers, of the original's shape): it picks from
pools shipped in the package (``pools/*.txt``, made by
``scripts/build_pools.py``) or composes values arithmetically inside safe
ranges (SSNs in area 900-999, phone numbers 555-0100..555-0199, e-mail and
URLs at example.com/.org/.net, IPs in the documentation ranges).

These fakes are not one-to-one: ``unique: true`` uses the keyed bijections of
:mod:`scrubphi.transforms.unique` instead, and is refused for the providers
whose whole value space (``Generator.capacity``) is a small pool.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scrubphi.transforms.pooldata import load_pool

__all__ = [
    "COMPACT_PROVIDERS",
    "FAKE_PROVIDERS",
    "FAKE_TYPES",
    "Generator",
    "get_generator",
]

@dataclass
class Generator:
    """One provider for one locale, ready to run.

    ``gen(n, original)`` maps a digest integer to a fake.  ``capacity`` is
    the number of distinct outputs (at most; for the refusal of ``unique:
    true`` on a small pool).  ``kernel`` describes ``gen`` as data for the
    compiled codec (``("pool", items)``,
    ``("name", first, last)``, ``("email", first_slugs, last_slugs)``,
    ``("phone",)``, ``("street", streets)``, ``("ssn", compact)``), or None.
    """

    gen: Callable[[int, str], str]
    capacity: int
    kernel: tuple[Any, ...] | None = None


def _digits(n: int, count: int) -> str:
    """``count`` decimal digits from ``n`` (zero-padded)."""
    return str(n % 10**count).zfill(count)


def _pool_gen(pool: tuple[str, ...]) -> Generator:
    size = len(pool)

    def gen(n: int, original: str) -> str:
        return pool[n % size]

    return Generator(gen, size, ("pool", pool))


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _ssn_gen(compact: bool) -> Generator:
    """``9XX-XX-XXXX`` (area 900-999 is never issued); digits-only when the original is
    nine digits, or always when ``compact`` (a column too narrow for the dashes)."""

    def gen(n: int, original: str) -> str:
        n, area = divmod(n, 100)
        n, group = divmod(n, 99)
        serial = n % 9999
        a, g, s = f"{900 + area}", f"{group + 1:02d}", f"{serial + 1:04d}"
        stripped = original.strip()
        if compact or (len(stripped) == 9 and _is_digits(stripped)):
            return a + g + s
        return f"{a}-{g}-{s}"

    return Generator(gen, 100 * 99 * 9999, ("ssn", compact))


def _area_codes() -> tuple[str, ...]:
    """NANP-shaped area codes: [2-9][0-8][0-9], without N11 service codes.

    555-0100..555-0199 is reserved for fiction in every area code, so the
    area code only adds realism and spread.
    """
    codes = []
    for a in range(2, 10):
        for b in range(0, 9):
            for c in range(10):
                if b == 1 and c == 1:
                    continue
                codes.append(f"{a}{b}{c}")
    return tuple(codes)


def _phone_gen() -> Generator:
    codes = _area_codes()
    size = len(codes)

    def gen(n: int, original: str) -> str:
        n, i = divmod(n, size)
        n, line = divmod(n, 100)
        npa, xx = codes[i], f"{line:02d}"
        stripped = original.strip()
        if _is_digits(stripped):
            if len(stripped) == 11 and stripped[0] == "1":
                return f"1{npa}55501{xx}"
            if len(stripped) == 10:
                return f"{npa}55501{xx}"
        if len(stripped) == 12 and stripped[3] == "-" and stripped[7] == "-":
            return f"{npa}-555-01{xx}"
        if stripped.startswith("+1"):
            return f"+1-{npa}-555-01{xx}"
        return f"({npa}) 555-01{xx}"

    return Generator(gen, size * 100, ("phone", codes))


def _name_gen(first: tuple[str, ...], last: tuple[str, ...]) -> Generator:
    nf, nl = len(first), len(last)

    def gen(n: int, original: str) -> str:
        n, i = divmod(n, nf)
        n, j = divmod(n, nl)
        return f"{first[i]} {last[j]}"

    return Generator(gen, nf * nl, ("name", first, last))


_DOMAINS = ("example.com", "example.org", "example.net")


def _slug(text: str) -> str:
    low = text.lower()
    if low.isascii() and low.isalnum():  # most names: nothing to drop
        return low
    return "".join(c for c in low if c.isascii() and c.isalnum())


@functools.lru_cache(maxsize=8)
def _slugs(pool: tuple[str, ...]) -> tuple[str, ...]:
    """A pool's slugs, once per process (the e-mail generators of a run share them)."""
    return tuple(_slug(p) for p in pool)


def _email_gen(first: tuple[str, ...], last: tuple[str, ...]) -> Generator:
    fl = _slugs(first)
    ll = _slugs(last)
    nf, nl = len(fl), len(ll)

    def gen(n: int, original: str) -> str:
        n, i = divmod(n, nf)
        n, j = divmod(n, nl)
        n, style = divmod(n, 4)
        n, d = divmod(n, 3)
        f, la = fl[i], ll[j]
        if style == 0:
            local = f"{f}.{la}"
        elif style == 1:
            local = f"{f[0]}{la}"
        elif style == 2:
            local = f"{f}{la}"
        else:
            local = f"{f}_{la}"
        return f"{local}@{_DOMAINS[d]}"

    return Generator(gen, nf * nl * 12, ("email", fl, ll))


def _user_name_gen(pool: tuple[str, ...]) -> Generator:
    size = len(pool)

    def gen(n: int, original: str) -> str:
        return pool[n % size]

    return Generator(gen, size, ("pool", pool))


def _street_gen(streets: tuple[str, ...]) -> Generator:
    ns = len(streets)

    def gen(n: int, original: str) -> str:
        n, i = divmod(n, ns)
        n, width = divmod(n, 3)
        n, number = divmod(n, 10 ** (width + 3))
        number = max(number, 1)
        n, sec = divmod(n, 8)
        base = f"{number} {streets[i]}"
        if sec == 0:
            return f"{base} Apt. {n % 900 + 100}"
        if sec == 1:
            return f"{base} Suite {n % 900 + 100}"
        return base

    return Generator(gen, ns * 10**5 * 1802, ("street", streets))


def _zip_gen() -> Generator:
    def gen(n: int, original: str) -> str:
        n, z = divmod(n, 99950 - 501 + 1)
        return f"{z + 501:05d}"

    return Generator(gen, 99450)


def _address_gen(street: Generator, cities: tuple[str, ...], states: tuple[str, ...]) -> Generator:
    nc, nst = len(cities), len(states)
    zip5 = _zip_gen().gen

    def gen(n: int, original: str) -> str:
        line1 = street.gen(n & ((1 << 128) - 1), original)
        n >>= 128
        n, c = divmod(n, nc)
        n, s = divmod(n, nst)
        return f"{line1}\n{cities[c]}, {states[s]} {zip5(n, original)}"

    return Generator(gen, street.capacity * nc * nst * 99450)


_DOC_NETS = ("192.0.2", "198.51.100", "203.0.113")


def _ipv4_gen() -> Generator:
    def gen(n: int, original: str) -> str:
        n, net = divmod(n, 3)
        return f"{_DOC_NETS[net]}.{n % 254 + 1}"

    return Generator(gen, 3 * 254)


_DOC_V6 = 0x20010DB8 << 96


def _ipv6_gen() -> Generator:
    def gen(n: int, original: str) -> str:
        return ipaddress.IPv6Address(_DOC_V6 | (n & ((1 << 96) - 1)) | 1).compressed

    return Generator(gen, 2**95)


def _url_gen(pool: tuple[str, ...]) -> Generator:
    words = tuple(sorted({w.lower() for w in pool}))
    nw = len(words)

    def gen(n: int, original: str) -> str:
        n, a = divmod(n, nw)
        n, b = divmod(n, nw)
        n, d = divmod(n, 3)
        return f"https://{words[a]}.{_DOMAINS[d]}/{words[b]}"

    return Generator(gen, nw * nw * 3)


def _sentence_text(sentences: tuple[str, ...]) -> Generator:
    return _pool_gen(sentences)


def _paragraph_gen(sentences: tuple[str, ...]) -> Generator:
    ns = len(sentences)

    def gen(n: int, original: str) -> str:
        n, count = divmod(n, 4)
        parts = []
        for _ in range(count + 3):
            n, i = divmod(n, ns)
            parts.append(sentences[i])
        return " ".join(parts)

    return Generator(gen, ns**3 + ns**4 + ns**5 + ns**6)


def _uuid_gen() -> Generator:
    def gen(n: int, original: str) -> str:
        v = n & ((1 << 128) - 1)
        v = (v & ~(0xF << 76)) | (4 << 76)  # version 4
        v = (v & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
        h = f"{v:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    return Generator(gen, 2**122)


_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_VIN_VALUES = dict(
    zip(
        "ABCDEFGHJKLMNPRSTUVWXYZ",
        (1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9),
        strict=True,
    )
)
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def _vin_gen() -> Generator:
    """17-character VINs with a valid ISO 3779 / NA check digit in position 9."""

    def gen(n: int, original: str) -> str:
        chars = []
        for _ in range(17):
            n, i = divmod(n, len(_VIN_CHARS))
            chars.append(_VIN_CHARS[i])
        total = sum(
            (int(c) if c.isdigit() else _VIN_VALUES[c]) * w
            for c, w in zip(chars, _VIN_WEIGHTS, strict=True)
        )
        check = total % 11
        chars[8] = "X" if check == 10 else str(check)
        return "".join(chars)

    return Generator(gen, 33**16)


def _iban_gen() -> Generator:
    """GB-shaped IBANs (4-letter bank code, 14 digits) with valid mod-97 check digits."""

    def gen(n: int, original: str) -> str:
        letters = []
        for _ in range(4):
            n, i = divmod(n, 26)
            letters.append(chr(65 + i))
        bban = "".join(letters) + _digits(n, 14)
        rearranged = bban + "GB00"
        numeric = "".join(str(int(c, 36)) for c in rearranged)
        check = 98 - int(numeric) % 97
        return f"GB{check:02d}{bban}"

    return Generator(gen, 26**4 * 10**14)


def _luhn_complete(body: str) -> str:
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def _card_gen() -> Generator:
    """16-digit Luhn-valid numbers under the 400000 test prefix that payment sandboxes use."""

    def gen(n: int, original: str) -> str:
        return _luhn_complete("400000" + _digits(n, 9))

    return Generator(gen, 10**9)


def _build(provider: str, locale: str, shared: dict[str, Any], compact: bool) -> Generator:
    def pool(name: str) -> tuple[str, ...]:
        return load_pool(name, locale, shared)

    if provider in ("first_name", "last_name", "city", "state", "state_abbr", "company",
                    "license_plate", "word", "first_name_female", "first_name_male"):
        return _pool_gen(pool(provider))
    if provider == "sentence":
        return _sentence_text(pool("sentence"))
    if provider == "paragraph":
        return _paragraph_gen(pool("sentence"))
    if provider == "name":
        return _name_gen(pool("first_name"), pool("last_name"))
    if provider == "email":
        return _email_gen(pool("first_name"), pool("last_name"))
    if provider == "user_name":
        return _user_name_gen(pool("user_name"))
    if provider in ("phone_number", "fax"):
        return _phone_gen()
    if provider == "ssn":
        return _ssn_gen(compact)
    if provider == "street_address":
        return _street_gen(pool("street_name"))
    if provider == "address":
        return _address_gen(_street_gen(pool("street_name")), pool("city"), pool("state_abbr"))
    if provider in ("zipcode", "postcode"):
        return _zip_gen()
    if provider == "ipv4":
        return _ipv4_gen()
    if provider == "ipv6":
        return _ipv6_gen()
    if provider == "url":
        return _url_gen(pool("word"))
    if provider == "uuid4":
        return _uuid_gen()
    if provider == "vin":
        return _vin_gen()
    if provider == "iban":
        return _iban_gen()
    if provider == "credit_card_number":
        return _card_gen()
    raise ValueError(f"unknown fake provider {provider!r}")


#: Every provider name ``{fake: ...}`` accepts.
FAKE_PROVIDERS: frozenset[str] = frozenset(
    {
        "address", "city", "company", "credit_card_number", "email", "fax", "first_name",
        "first_name_female", "first_name_male",
        "iban", "ipv4", "ipv6", "last_name", "license_plate", "name", "paragraph",
        "phone_number", "postcode", "sentence", "ssn", "state", "state_abbr",
        "street_address", "url", "user_name", "uuid4", "vin", "word", "zipcode",
    }
)

#: Providers with a compact shape, and the column width below which it is used.
COMPACT_PROVIDERS: dict[str, int] = {"ssn": 11}

#: Non-text column types a provider may also write (text-like types always work).
FAKE_TYPES: dict[str, frozenset[str]] = {
    "ipv4": frozenset({"inet", "cidr"}),
    "ipv6": frozenset({"inet", "cidr"}),
    "uuid4": frozenset({"uuid"}),
}


def get_generator(
    provider: str, locale: str, shared: dict[str, Any], *, compact: bool = False
) -> Generator:
    """The generator for (provider, locale), built once per run in ``shared``.

    ``compact`` asks for the shortest shape where a provider has one (SSNs
    without dashes), for columns too narrow for the usual one.
    """
    compact = compact and provider in COMPACT_PROVIDERS
    cache_key = f"fakegen:{locale}:{provider}:{int(compact)}"
    hit = shared.get(cache_key)
    if hit is None:
        hit = _build(provider, locale, shared, compact)
        shared[cache_key] = hit
    return hit
