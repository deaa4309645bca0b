"""Typed checks shared by the readers of the ``flags``, ``segments`` and ``rollouts`` sections.

The loader hands these sections over as plain data that still knows where
each value was written; a wrong type or bad value must be a ``PolicyError``
with file:line:column and key path (a typo must not silently turn a flag on
or off).  :class:`SectionChecks` is those checks, written once for the flag
compiler (:mod:`scrubphi.flags.policy`) and the plan reader
(:mod:`scrubphi.flags.plans`).
"""

from __future__ import annotations

import re
from typing import Any

from scrubphi.flags.constraints import parse_number
from scrubphi.policy.loader import SectionReader
from scrubphi.policy.loader import describe_value as _describe

__all__ = ["FIELD_RE", "NAME_RE", "SectionChecks"]

#: A context field or metric name.
FIELD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
#: A flag, segment or plan name.
NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*\Z")


class SectionChecks(SectionReader):
    """A value of the expected type and form, or a PolicyError at its position."""

    def mapping(self, value: Any, what: str, *path: Any) -> dict[Any, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(f"{what} must be a mapping, not {_describe(value)}", *path)
        return value

    def seq(self, value: Any, what: str, *path: Any) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(f"{what} must be a list, not {_describe(value)}", *path)
        return value

    def keys(self, value: dict[Any, Any], allowed: tuple[str, ...], what: str, *path: Any) -> None:
        for key in value:
            if key not in allowed:
                self.fail(
                    f"unknown key {key!s} in {what}; allowed: {', '.join(allowed)}", *path, key
                )

    def text(self, value: Any, what: str, *path: Any) -> str:
        if not isinstance(value, str) or not value:
            self.fail(f"{what} must be a non-empty string, not {_describe(value)}", *path)
        return value

    def boolean(self, value: Any, what: str, *path: Any) -> bool:
        if not isinstance(value, bool):
            self.fail(f"{what} must be true or false, not {_describe(value)}", *path)
        return value

    def percent(self, value: Any, what: str, *path: Any) -> int:
        """A whole percentage 0..100 written 25, "25" or "25%"."""
        number: float | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str):
            number = parse_number(value.strip().removesuffix("%"))
        if number is None or not 0 <= number <= 100 or number != int(number):
            self.fail(
                f"{what} must be a whole percentage from 0 to 100 (e.g. 25 or 25%), "
                f"not {_describe(value)}: Unleash buckets users in steps of 1%",
                *path,
            )
        return int(number)

    def stickiness(self, value: Any, *path: Any) -> str:
        if not isinstance(value, str) or FIELD_RE.match(value) is None:
            self.fail(
                "stickiness is default, userId, sessionId, random or a context field name",
                *path,
            )
        return value
