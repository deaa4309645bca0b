"""scrubphi: scrub PHI out of pg_dump streams, consistently and failing closed.

The library behind the ``scrubphi`` command::

    policy = scrubphi.load_policy("phi_fields.yaml")
    with open("prod.sql", "rb") as src, open("staging.sql", "wb") as dst:
        report = scrubphi.scrub_stream(src, dst, policy)

``Scrubber(policy)`` offers ``feed(bytes) -> bytes`` / ``close() -> bytes``
for tools that embed the rewriter in their own stream.
"""

from __future__ import annotations

import sys as _sys

if _sys.argv and _sys.argv[0].rsplit("/", 1)[-1] == "scrubphi":
    # The scrubphi command: hide connection-string passwords from ps before the
    # heavier imports below, so they show only while the interpreter starts.
    from .argv_secrets import hide_connection_passwords as _hide

    _hide()

from ._impl import IMPLEMENTATION as CODEC
from .api import check_dump, scrub_stream
from .dump.rewriter import Progress, Scrubber
from .errors import CodecError, CoverageError, DumpError, PolicyError, ScrubPhiError
from .policy import load_policy
from .policy.model import Policy
from .report import Report

__version__ = "0.1.0"

__all__ = [
    "CODEC",
    "CodecError",
    "CoverageError",
    "DumpError",
    "Policy",
    "PolicyError",
    "Progress",
    "Report",
    "ScrubPhiError",
    "Scrubber",
    "__version__",
    "check_dump",
    "load_policy",
    "scrub_stream",
]
