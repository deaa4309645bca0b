"""Type stub for the compiled scan of the free-text redactor (``_redact_fast.pyx``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = [
    "ID_ONLY",
    "IMPLEMENTATION",
    "NO_MATCH",
    "TABLE_BITS",
    "TABLE_LAYOUT",
    "WEB_SURE",
    "WEB_TRIGGER",
    "Engine",
    "WordTable",
    "WordView",
    "build_word_table",
    "digit_near",
    "idnum_end",
    "read",
    "shape_patterns",
    "web_patterns",
]

IMPLEMENTATION: str
ID_ONLY: int

NO_MATCH: int
WEB_TRIGGER: int
WEB_SURE: int

def read(
    text: str,
) -> tuple[list[tuple[int, int]], list[tuple[int, int]], list[int], int, list[int]]: ...
def digit_near(text: str, pos: int) -> bool: ...
def idnum_end(text: str, pos: int) -> int: ...
def date_at(text: str, pos: int, shape: int) -> tuple[int, int]: ...
def measure(text: str, start: int, end: int) -> bool: ...
def civil_twins(y: int, m: int, d: int) -> tuple[int, tuple[int, int, int]]: ...

DATE_ALTERNATIVES: dict[int, str]
def web_patterns(
    web: re.Pattern[str], alternatives: tuple[tuple[str, str], ...]
) -> tuple[re.Pattern[str] | None, ...]: ...
def shape_patterns(
    digits: re.Pattern[str], alternatives: tuple[tuple[str, str], ...]
) -> tuple[re.Pattern[str] | None, ...]: ...

TABLE_BITS: dict[str, int]
TABLE_LAYOUT: str

class WordTable:
    def __init__(self, blob: bytes) -> None: ...
    @property
    def blob(self) -> bytes: ...
    def of(self, word: str) -> int: ...
    def view(self, mask: int, exclude: frozenset[str] | None = None) -> WordView: ...
    def words(self, mask: int) -> frozenset[str]: ...

class WordView:
    def __contains__(self, word: object) -> bool: ...

def build_word_table(sets: Iterable[tuple[Iterable[str], int]]) -> bytes: ...

class Engine:
    def __init__(self, redactor: Any) -> None: ...
    def scan(self, text: str, out: Any) -> None: ...
    def finish(self, text: str, spans: list[tuple[int, int, int, str, str]]) -> str: ...
    def typo(self, word: str) -> bool: ...
    def classify(self, key: str, title: bool) -> int: ...
    def word_bits(self, word: str) -> tuple[str, int, int]: ...
    @staticmethod
    def bit_names() -> dict[str, int]: ...
    def label_may(self, text: str, pos: int) -> bool: ...
