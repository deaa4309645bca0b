"""Where the read-only ``shared/`` folder is: beside the checkout, or ``SCRUBPHI_SHARED``.

Development machines and CI both lay ``shared/`` next to the repository
folder. A missing folder is an error, never a reason to skip: the fixtures
are the tests' subject.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PGDUMP_FIXTURES", "SHARED"]

SHARED = Path(os.environ.get("SCRUBPHI_SHARED") or Path(__file__).resolve().parents[2] / "shared")
PGDUMP_FIXTURES = SHARED / "fixtures" / "pgdump"

if not PGDUMP_FIXTURES.is_dir():
    raise RuntimeError(
        f"the pg_dump fixtures are not at {PGDUMP_FIXTURES}; lay shared/ beside the checkout "
        "or set SCRUBPHI_SHARED"
    )
