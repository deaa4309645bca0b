"""Type stub for the compiled scan of the free-text redactor (``_redact_fast.pyx``)."""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "IMPLEMENTATION",
    "Engine",
    "code_starts",
    "digit_starts",
    "may_need_web",
    "shape_patterns",
    "words",
]

IMPLEMENTATION: str

def words(text: str) -> list[tuple[int, int]]: ...
def digit_starts(text: str, prefilter: bool = False) -> list[Any]: ...
def shape_patterns(
    digits: re.Pattern[str], alternatives: tuple[tuple[str, str], ...]
) -> tuple[re.Pattern[str] | None, ...]: ...
def code_starts(text: str) -> list[int]: ...
def may_need_web(text: str) -> bool: ...

class Engine:
    def __init__(self, redactor: Any) -> None: ...
    def scan(self, text: str, out: Any) -> None: ...
