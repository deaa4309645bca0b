"""Where the tests' ``shared/`` data is: ``SCRUBPHI_SHARED``, ``../shared`` or the in-repo copy.

The folder is chosen once, in this order:

1. ``SCRUBPHI_SHARED`` when set and not empty. The special value ``repo`` picks
   the in-repository copy (3.), so a machine that has ``../shared`` can still
   check what a fresh clone sees.
2. ``shared/`` beside the checkout, when it holds ``fixtures/pgdump``
   (development machines and CI lay it there).
3. ``tests/data/shared`` in the repository: verbatim copies of the small data
   the tests need (the pg_dump fixtures and the Unleash client specification),
   so that ``pytest`` passes in a fresh clone with no ``../shared``.

A missing required folder is an error, never a reason to skip: the fixtures are
the tests' subject. Optional extras of ``shared/`` (such as ``corpora/``) have
no in-repo copy and are not resolved here.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PGDUMP_FIXTURES", "REPO_SHARED", "SHARED", "UNLEASH_SPEC"]

REPO_SHARED = Path(__file__).resolve().parent / "data" / "shared"
_BESIDE_CHECKOUT = Path(__file__).resolve().parents[2] / "shared"


def _choose_shared() -> Path:
    chosen = os.environ.get("SCRUBPHI_SHARED")
    if chosen == "repo":
        return REPO_SHARED
    if chosen:
        return Path(chosen)
    if (_BESIDE_CHECKOUT / "fixtures" / "pgdump").is_dir():
        return _BESIDE_CHECKOUT
    return REPO_SHARED


SHARED = _choose_shared()


def _required(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.is_dir():
        raise RuntimeError(
            f"required test data is not at {path}; restore tests/data/shared, lay shared/ "
            "beside the checkout, or set SCRUBPHI_SHARED (the value 'repo' picks tests/data/shared)"
        )
    return path


PGDUMP_FIXTURES = _required("fixtures", "pgdump")
UNLEASH_SPEC = _required("unleash-client-specification", "specifications")
