#!/usr/bin/env python3
"""Rebuild the fake-value pools shipped in ``src/scrubphi/transforms/pools``.

Why a script and shipped files: scrubphi never calls Faker at scrub time
(Faker is slow, and its output changes between versions, which would break
"same input, same fake" across machines).  Instead this script draws pools
of realistic values from Faker once, with a fixed seed, and the keyed
transforms pick from the pools.  Running it again with the same Faker
version writes byte-identical files; ``_manifest.txt`` records the Faker
version so the test suite can check that the shipped pools are what the
script makes.

Usage: ``python scripts/build_pools.py [OUTPUT_DIR]`` (default: the package's
pools directory).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = ["SEED", "build", "main"]

SEED = 20240917
LOCALE = "en_US"
DEFAULT_DIR = Path(__file__).resolve().parent.parent / "src" / "scrubphi" / "transforms" / "pools"


def _clean(values: Iterable[str]) -> list[str]:
    """Unique, sorted, single-line values: the pool's order must not depend on draw order."""
    out = {v.strip() for v in values}
    return sorted(v for v in out if v and v.isprintable())


def _draw(fn: Callable[[], str], count: int, attempts: int) -> list[str]:
    """Up to ``count`` distinct values from ``fn``, trying at most ``attempts`` times."""
    seen: set[str] = set()
    for _ in range(attempts):
        if len(seen) >= count:
            break
        seen.add(fn())
    return _clean(seen)


def build() -> dict[str, list[str]]:
    """Every pool, by file stem, for en_US."""
    from faker import Faker
    from faker.providers.address.en_US import Provider as Address
    from faker.providers.lorem.en_US import Provider as Lorem
    from faker.providers.person.en_US import Provider as Person

    fake = Faker(LOCALE)
    fake.seed_instance(SEED)
    pools: dict[str, list[str]] = {}
    pools["first_name"] = _clean(Person.first_names)
    pools["last_name"] = _clean(Person.last_names)
    pools["state"] = _clean(Address.states)
    pools["state_abbr"] = _clean(Address.states_abbr)
    pools["word"] = _clean(w for w in Lorem.word_list if w.isascii() and w.isalpha())
    pools["first_name_female"] = _clean(Person.first_names_female)
    pools["first_name_male"] = _clean(Person.first_names_male)
    pools["name_sex"] = name_sex()
    # Drawn pools: the order of the draws is fixed by the seed and the order below.
    pools["city"] = _draw(fake.city, 3000, 30000)
    pools["street_name"] = _draw(fake.street_name, 3000, 30000)
    pools["company"] = _draw(fake.company, 3000, 30000)
    pools["user_name"] = _draw(fake.user_name, 3000, 30000)
    pools["license_plate"] = _draw(fake.license_plate, 2000, 20000)
    pools["sentence"] = _draw(lambda: fake.sentence(nb_words=10), 2000, 20000)
    return pools


def name_sex() -> list[str]:
    """``name<TAB>F`` or ``name<TAB>M`` for first names of one sex in every Faker locale.

    Read by ``{fake: first_name}`` to pick a fake of the original's sex. A name
    that is female in one locale and male in another (Andrea, Ashley, Ali) is
    left out, and gets a fake from the mixed pool.
    """
    import importlib
    import pkgutil

    import faker.providers.person as person

    female: set[str] = set()
    male: set[str] = set()
    for module in sorted(m.name for m in pkgutil.iter_modules(person.__path__)):
        provider = getattr(importlib.import_module(f"{person.__name__}.{module}"), "Provider",
                           None)
        for attr, found in (("first_names_female", female), ("first_names_male", male)):
            for name in getattr(provider, attr, None) or ():
                key = name.strip().lower()
                if key and key.isprintable() and "\t" not in key:
                    found.add(key)
    return sorted([f"{k}\tF" for k in female - male] + [f"{k}\tM" for k in male - female])


def manifest() -> str:
    """The manifest text: which Faker and seed made the pools."""
    import faker

    return f"faker={faker.VERSION}\nseed={SEED}\nlocale={LOCALE}\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else DEFAULT_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    for stem, values in build().items():
        (out_dir / f"{LOCALE}.{stem}.txt").write_text(
            "".join(v + "\n" for v in values), encoding="utf-8", newline="\n"
        )
    (out_dir / "_manifest.txt").write_text(manifest(), encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
