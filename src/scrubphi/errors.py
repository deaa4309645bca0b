"""One error hierarchy for the whole package.

Every error carries positions and names, never a cell's value.  The CLI maps
each class to its own exit code (``exit_code``), documented in the README.
"""

from __future__ import annotations

import re

__all__ = [
    "CodecError",
    "CoverageError",
    "DumpError",
    "LookupFileError",
    "PolicyError",
    "ScrubPhiError",
    "TransformError",
]


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\x85]")


def printable(text: str) -> str:
    """Names can hold newlines, tabs and other control characters: show them escaped."""
    text = text.replace("\t", "\\t")
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)
    return text


class ScrubPhiError(Exception):
    """Base of every error scrubphi raises on purpose."""

    exit_code = 1


class PolicyError(ScrubPhiError, ValueError):
    """The policy is invalid: names file, line, column and key path."""

    exit_code = 3

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        path: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        key = f"{self.path}: " if self.path else ""
        return f"{where}{key}{self.message}"


class LookupFileError(PolicyError):
    """A ``--lookup`` file that cannot be used: damaged, or made with another key (exit 3)."""


class DumpError(ScrubPhiError):
    """The dump cannot be scrubbed safely: names line, byte offset, table, column."""

    exit_code = 4

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        offset: int | None = None,
        table: str | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.line = line
        self.offset = offset
        self.table = table
        self.column = column
        super().__init__(self.__str__())

    def __str__(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.table is not None:
            parts.append(f"table {self.table}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        where = ", ".join(parts)
        text = f"{where}: {self.message}" if where else self.message
        return printable(text).replace("\n", "\\n")


class CoverageError(DumpError):
    """Tables or columns with data in the dump that the policy does not cover."""

    exit_code = 5

    def __init__(self, message: str, uncovered: list[str], *, line: int | None = None,
                 misfit: bool = False) -> None:
        self.uncovered = list(uncovered)
        if misfit:
            # A transform that cannot work on its column (hash hex on an integer, null on
            # NOT NULL) is an error in the policy, found against the dump's schema.
            self.exit_code = PolicyError.exit_code
        super().__init__(message, line=line)

    def __str__(self) -> str:
        head = super().__str__()
        return head + "".join(
            f"\n  - {printable(item).replace(chr(10), chr(92) + 'n')}" for item in self.uncovered
        )


class CodecError(ScrubPhiError):
    """Raised by the row codec (both twins); the rewriter turns it into a DumpError.

    ``row`` is the 0-based index of the row within the buffer the codec was
    given, ``field`` the 0-based field index or -1 when the row as a whole is
    wrong.
    """

    exit_code = 4

    def __init__(self, reason: str, row: int, field: int = -1) -> None:
        self.reason = reason
        self.row = row
        self.field = field
        super().__init__(reason, row, field)

    def __str__(self) -> str:
        return f"{self.reason} (row {self.row}, field {self.field})"


class TransformError(ScrubPhiError, ValueError):
    """A transform could not handle a value (e.g. a date column holding text).

    Raised by the rewriter's wrapper around every transform; both codecs turn
    it into a ``CodecError`` carrying the row and field.  ``reason`` names the
    transform and the exception type only: an exception's own text (Python's
    ``int('...')`` for one) can quote the value.
    """

    exit_code = 4

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)
