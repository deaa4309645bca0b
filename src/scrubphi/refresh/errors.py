"""Refresh failures, one per step, each with its own exit code.

Why one class per step: a weekly job is judged by its exit code, and an
operator reading a cron mail must know at once whether the source, the
scrubber, the restore, the checks or the swap broke. Messages name steps,
databases, tables and columns only; never a value.
"""

from __future__ import annotations

from ..errors import ScrubPhiError

__all__ = ["STEP_EXIT_CODES", "RefreshError"]

#: Exit code of ``scrubphi refresh`` per failed step (documented in docs/refresh.md).
STEP_EXIT_CODES: dict[str, int] = {
    "policy": 3,
    "scrub": 4,
    "coverage": 5,
    "preflight": 10,
    "pg_dump": 11,
    "lookup": 11,
    "restore": 12,
    "verify": 13,
    "swap": 14,
    "rollback": 15,
    "cleanup": 16,
    "interrupted": 130,
}


class RefreshError(ScrubPhiError):
    """A refresh step failed; ``step`` names it and sets the exit code."""

    def __init__(self, step: str, message: str, *, details: list[str] | None = None) -> None:
        self.step = step
        self.message = message
        self.details = list(details or [])
        self.exit_code = STEP_EXIT_CODES.get(step, 1)
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = f"{self.step}: {self.message}"
        return text + "".join(f"\n  - {d}" for d in self.details)
