#!/usr/bin/env python3
"""Rebuild the dictionaries of the free-text redactor in ``transforms/redact_data``.

Why shipped files made by a script: the redactor finds names by looking
capitalised words up in first- and last-name dictionaries, and finds street
addresses by their suffix.  Faker carries such lists (census-derived for
en_US, national lists for other locales) but is not a runtime dependency
and its lists change between versions, so this script copies them once into
plain sorted text files; running it again with the same Faker version writes
byte-identical files, and ``_manifest.txt`` records which version made them.

The files:

* ``first_names.txt`` / ``last_names.txt``: names from the English-speaking
  and the most common Western European / Latin American person providers
  (Latin letters only, two letters or more, written Title-case);
* ``common_words.txt``: Faker's lorem word list for en_US (ordinary English
  words); a name that is also an ordinary word ("Will", "Hope", "Brown") is
  only taken as a name with context (a title, or next to another name);
* ``street_suffixes.txt``: Faker's en_US street suffixes (``Mission``,
  ``Trace``, ``Avenue``...) plus the USPS abbreviations.

Usage: ``python scripts/build_names.py [OUTPUT_DIR]``.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterable
from pathlib import Path

__all__ = ["LOCALES", "build", "main"]

#: Person providers whose names go into the dictionaries.
LOCALES = (
    "en_US", "en_GB", "en_IE", "en_NZ", "en_IN",
    "es_MX", "es_ES", "fr_FR", "de_DE", "it_IT", "pt_BR",
)
DEFAULT_DIR = (
    Path(__file__).resolve().parent.parent / "src" / "scrubphi" / "transforms" / "redact_data"
)
#: USPS suffix abbreviations (Publication 28, the common ones).
USPS_ABBREVIATIONS = (
    "Aly", "Ave", "Av", "Blvd", "Br", "Brg", "Byp", "Cir", "Ct", "Cv", "Cres", "Dr",
    "Expy", "Fwy", "Hwy", "Hts", "Jct", "Ln", "Lp", "Mnr", "Pkwy", "Pl", "Plz", "Pt",
    "Rd", "Rte", "Sq", "St", "Ste", "Ter", "Trl", "Tpke", "Way", "Xing",
)
_CAP = r"[A-Z\u00c0-\u00de][a-z\u00df-\u00ff]+"
_NAME_RE = re.compile(rf"{_CAP}(?:['-]{_CAP})?")


def _names(values: Iterable[str]) -> set[str]:
    out = set()
    for raw in values:
        for part in raw.split():
            if _NAME_RE.fullmatch(part):
                out.add(part)
    return out


def build() -> dict[str, list[str]]:
    """Every dictionary, by file stem."""
    from faker.providers.address.en_US import Provider as Address
    from faker.providers.lorem.en_US import Provider as Lorem

    first: set[str] = set()
    last: set[str] = set()
    for locale in LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        first |= _names(getattr(provider, "first_names", ()))
        last |= _names(getattr(provider, "last_names", ()))
    words = {w.lower() for w in Lorem.word_list if w.isascii() and w.isalpha()}
    suffixes = {s for s in Address.street_suffixes if s.isalpha()} | set(USPS_ABBREVIATIONS)
    return {
        "first_names": sorted(first),
        "last_names": sorted(last),
        "common_words": sorted(words),
        "street_suffixes": sorted(suffixes),
    }


def manifest() -> str:
    """Which Faker and locales made the dictionaries."""
    import faker

    return f"faker={faker.VERSION}\nlocales={','.join(LOCALES)}\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else DEFAULT_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    for stem, values in build().items():
        (out_dir / f"{stem}.txt").write_text(
            "".join(v + "\n" for v in values), encoding="utf-8", newline="\n"
        )
    (out_dir / "_manifest.txt").write_text(manifest(), encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
