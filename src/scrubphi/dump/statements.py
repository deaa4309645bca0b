"""Statements that are not rows but may carry data: SELECTs and COMMENTs, by the policy.

pg_dump writes large objects and statistics as ``SELECT`` calls, and people
write ``COMMENT ON``; each follows its policy setting (``large_objects``,
``statistics``, ``comments``), and any other ``SELECT`` must be exactly one
call of a function pg_dump uses, on constants.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import DumpError
from ..policy.model import ScrubPolicy
from .forms import LO_CALL, SAFE_SELECT, STATS_CALL
from .schema import parse_call

__all__ = ["comment_passes", "decode_statement", "select_passes"]


def decode_statement(text: bytes, line: int) -> str:
    """A statement's text; DumpError at ``line`` when it is not UTF-8."""
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DumpError("invalid UTF-8 in a statement", line=line) from exc


def select_passes(text: bytes, line: int, scrub: ScrubPolicy, check_only: bool,
              problems: list[str], count_dropped: Callable[[str], None]) -> bool:
    """Large objects and statistics follow the policy; other SELECTs must be known.

    A SELECT that is passed on must be exactly one call of a function
    pg_dump uses, on constants (checked on the whole statement).
    """
    lo = LO_CALL.match(text)
    if lo is not None:
        if parse_call(decode_statement(text, line), line) != lo.group(1).decode().lower():
            raise DumpError(
                "a large object SELECT does more than pg_dump's one call on constants; "
                "refusing to pass it through",
                line=line,
            )
        action = scrub.large_objects
        if action == "fail" and check_only:
            problems.append(f"line {line}: large objects present (large_objects: fail)")
        elif action == "fail":
            raise DumpError(
                "the dump contains large objects and the policy says large_objects: fail",
                line=line,
            )
        if action == "drop" and lo.group(1).lower() == b"lowrite":
            count_dropped("large object data")
            return False
        return True
    if STATS_CALL.match(text):
        if scrub.statistics == "fail" and check_only:
            problems.append(f"line {line}: statistics present (statistics: fail)")
        elif scrub.statistics == "fail":
            raise DumpError(
                "the dump contains statistics (pg_dump --statistics), which carry column "
                "values, and the policy says statistics: fail",
                line=line,
            )
        count_dropped("statistics")
        return False
    safe = SAFE_SELECT.match(text)
    if safe is not None and \
            parse_call(decode_statement(text, line), line) == safe.group(1).decode().lower():
        return True
    raise DumpError(
        "a SELECT statement that pg_dump does not write may carry data; refusing to pass "
        "it through",
        line=line,
    )

def comment_passes(line: int, scrub: ScrubPolicy, check_only: bool, problems: list[str],
               count_dropped: Callable[[str], None]) -> bool:
    """COMMENT ON follows ``comments``: whether the statement is passed on."""
    action = scrub.comments
    if action == "fail" and check_only:
        problem = "comments present (comments: fail)"
        if not any(p.endswith(problem) for p in problems):
            problems.append(f"line {line}: {problem}")
    elif action == "fail":
        raise DumpError(
            "the dump has comments (COMMENT ON), which people write and may fill with "
            "PHI, and the policy says comments: fail",
            line=line,
        )
    if action == "drop":
        count_dropped("comments")
        return False
    return True
