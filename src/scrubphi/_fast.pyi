"""Type stub for the compiled row codec; it mirrors ``_pure.py`` exactly."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "IMPLEMENTATION",
    "MEMO_LIMIT",
    "MEMO_PROBATION",
    "MEMO_VERDICT",
    "SHA_EXTENSIONS",
    "CopyRewriter",
    "escape_field",
    "unescape_field",
]

IMPLEMENTATION: str
MEMO_PROBATION: int
MEMO_LIMIT: int
MEMO_VERDICT: int
SHA_EXTENSIONS: bool
RESTRICTED_ZIP3: frozenset[str]

def check_line(line: bytes, row: int) -> None: ...
def escape_field(value: bytes) -> bytes: ...
def unescape_field(raw: bytes) -> bytes | None: ...
def _select_sha(allow_hw: bool) -> bool: ...
def _hmac_sha256(key: bytes, msg: bytes) -> bytes: ...
def _prf_blake2s(key: bytes, msg: bytes) -> bytes: ...
def _prf_blake2s_pair(
    key1: bytes, msg1: bytes, key2: bytes, msg2: bytes
) -> tuple[bytes, bytes]: ...
def _siphash24(key: bytes, msg: bytes) -> int: ...
def _permute_big(key: bytes, total: int, x: int) -> int | None: ...
def _permute_shape(key: bytes, total: int, x: int) -> int: ...
def per_tables() -> int: ...
def _kernel_apply(
    desc: tuple[Any, ...] | None, raw: bytes, per: bytes | None = None
) -> bytes | None: ...

def insert_rows(
    text: bytes, pos: int, standard_strings: bool, make: Callable[[str, int, int, bool], Any]
) -> tuple[tuple[tuple[Any, ...], ...], int] | None: ...

def insert_kernels(
    text: bytes, rows: tuple[tuple[Any, ...], ...], kernels: list[KernelFn], columns: list[int]
) -> tuple[list[tuple[int, int, bytes]], list[int], list[int], list[tuple[int, int]]]: ...

def insert_shapes_ok(
    text: bytes, rows: tuple[tuple[Any, ...], ...], shapes: tuple[int, ...]
) -> bool: ...

class KernelFn:
    def __init__(self, desc: tuple[Any, ...]) -> None: ...
    def __call__(self, value: str) -> str | None: ...

class CopyRewriter:
    def __init__(
        self,
        ncols: int,
        plan: Sequence[
            tuple[int, Callable[..., str | None], int, bool]
            | tuple[int, Callable[..., str | None], int, bool, tuple[Any, ...] | None]
        ],
        max_row: int,
    ) -> None: ...
    @property
    def rows(self) -> int: ...
    @property
    def memo_sizes(self) -> list[int]: ...
    @property
    def counts(self) -> list[int]: ...
    def process(self, buf: bytes, pos: int) -> tuple[bytes, int, bool]: ...
