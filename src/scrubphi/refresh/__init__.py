"""The weekly staging refresh, verified and atomic, and the parity check.

``refresh(RefreshOptions(...))`` dumps the source, scrubs it in-process,
restores it into a new database beside staging, verifies it and swaps it in;
``rollback`` puts the previous generation back; ``parity`` compares two
databases by aggregates only. See docs/refresh.md.
"""

from __future__ import annotations

from .core import RefreshOptions, RefreshResult, StepProgress, refresh, rollback
from .errors import STEP_EXIT_CODES, RefreshError
from .parity import ParityReport, parity
from .verify import Check

__all__ = [
    "STEP_EXIT_CODES",
    "Check",
    "ParityReport",
    "RefreshError",
    "RefreshOptions",
    "RefreshResult",
    "StepProgress",
    "parity",
    "refresh",
    "rollback",
]
