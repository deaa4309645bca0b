"""Type stub for the compiled row codec; it mirrors ``_pure.py`` exactly."""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = [
    "IMPLEMENTATION",
    "MEMO_LIMIT",
    "CopyRewriter",
    "escape_field",
    "unescape_field",
]

IMPLEMENTATION: str
MEMO_LIMIT: int

def escape_field(value: bytes) -> bytes: ...
def unescape_field(raw: bytes) -> bytes | None: ...

class CopyRewriter:
    def __init__(
        self,
        ncols: int,
        plan: Sequence[tuple[int, Callable[..., str | None], int, bool]],
        max_row: int,
    ) -> None: ...
    @property
    def rows(self) -> int: ...
    @property
    def counts(self) -> list[int]: ...
    def process(self, buf: bytes, pos: int) -> tuple[bytes, int, bool]: ...
