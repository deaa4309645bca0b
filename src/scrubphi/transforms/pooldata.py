"""Loading the shipped fake-value pools.

Why files in the package: Faker is not a runtime dependency and is never
called while scrubbing.  ``scripts/build_pools.py`` draws these pools once
from Faker with a fixed seed; at run time they are read once per run and
kept in ``TransformContext.shared`` so every column shares one copy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["LOCALES", "POOL_NAMES", "load_pool", "pool_file"]

#: Locales that have pools in the package.
LOCALES = ("en_US",)

# The package's own folder (a plain path: importlib.resources costs ~10 ms of start-up,
# and the package, compiled extensions and all, is always installed as files).
_POOLS = Path(__file__).parent / "pools"

POOL_NAMES = (
    "city",
    "company",
    "first_name",
    "first_name_female",
    "first_name_male",
    "last_name",
    "license_plate",
    "name_sex",
    "sentence",
    "state",
    "state_abbr",
    "street_name",
    "user_name",
    "word",
)


def pool_file(name: str, locale: str) -> Path:
    """The file the pool ``name`` for ``locale`` is read from."""
    if locale not in LOCALES or name not in POOL_NAMES:
        raise ValueError(f"no pool {name!r} for locale {locale!r}")
    return _POOLS / f"{locale}.{name}.txt"


def load_pool(name: str, locale: str, shared: dict[str, Any] | None = None) -> tuple[str, ...]:
    """The pool ``name`` for ``locale``, read once per ``shared`` dict."""
    cache_key = f"pool:{locale}:{name}"
    if shared is not None:
        hit = shared.get(cache_key)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
    text = pool_file(name, locale).read_text(encoding="utf-8")
    pool = tuple(filter(None, text.split("\n")))  # the non-empty lines
    if not pool:
        raise ValueError(f"pool {name!r} for locale {locale!r} is empty")
    if shared is not None:
        shared[cache_key] = pool
    return pool
