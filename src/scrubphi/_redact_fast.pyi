"""Type stub for the compiled scan of the free-text redactor (``_redact_fast.pyx``)."""

from __future__ import annotations

from typing import Any

__all__ = ["IMPLEMENTATION", "Engine", "code_starts", "digit_starts", "words"]

IMPLEMENTATION: str

def words(text: str) -> list[tuple[int, int]]: ...
def digit_starts(text: str) -> list[int]: ...
def code_starts(text: str) -> list[int]: ...

class Engine:
    def __init__(self, redactor: Any) -> None: ...
    def scan(self, text: str, out: Any) -> None: ...
