"""Picks the row codec once, at import: compiled when it loads, pure Python otherwise.

Every other module imports the codec from here, never from ``_fast`` or
``_pure`` directly, so the choice is made in one place (yarl's ``_quoting.py``).
``SCRUBPHI_NO_EXTENSIONS`` set to anything but ``""`` or ``"0"`` forces the
pure twin; when the compiled one was wanted but failed to load,
``IMPORT_ERROR`` says why (``scrubphi --version`` can show it).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

__all__ = [
    "IMPLEMENTATION",
    "IMPORT_ERROR",
    "NO_EXTENSIONS",
    "CopyRewriter",
    "codec_function",
    "escape_field",
    "kernel_fn",
    "load",
    "unescape_field",
]

_MODULES = {"pure": "scrubphi._pure", "compiled": "scrubphi._fast"}

#: True when the environment asked for the pure-Python codec.
NO_EXTENSIONS: bool = os.environ.get("SCRUBPHI_NO_EXTENSIONS", "") not in ("", "0")

#: Why the compiled codec is not in use although it was wanted, else None.
IMPORT_ERROR: str | None = None


def load(name: Literal["pure", "compiled"]) -> ModuleType:
    """Import one twin by name, regardless of the environment (for tests and benchmarks)."""
    return importlib.import_module(_MODULES[name])


def _choose() -> ModuleType:
    global IMPORT_ERROR
    if NO_EXTENSIONS:
        return load("pure")
    try:
        return load("compiled")
    except ImportError as exc:
        IMPORT_ERROR = f"{type(exc).__name__}: {exc}"
        return load("pure")


_codec = _choose()

if TYPE_CHECKING:
    # Both twins have one signature (``_fast.pyi`` mirrors ``_pure``); type against it.
    from scrubphi._pure import CopyRewriter, escape_field, unescape_field
else:
    CopyRewriter = _codec.CopyRewriter
    escape_field = _codec.escape_field
    unescape_field = _codec.unescape_field
IMPLEMENTATION: str = _codec.IMPLEMENTATION


def kernel_fn(desc: tuple[Any, ...] | None, codec: ModuleType | None = None
              ) -> Callable[[str], str | None] | None:
    """A transform's compiled kernel as a function of one value, else None.

    The function returns what the codec would write for the value, or None where
    the kernel declines it (run the transform's Python function then).  None
    when there is no kernel or the codec is the pure twin, which has none.
    ``codec``: a twin's module, as a Scrubber is given one (default: this one's choice).
    """
    make = getattr(_module(codec), "KernelFn", None)
    if desc is None or make is None:
        return None
    try:
        fn: Callable[[str], str | None] = make(desc)
    except ValueError:  # a description this build has no kernel for
        return None
    return fn


def codec_function(name: str, codec: ModuleType | None = None) -> Callable[..., Any] | None:
    """A function of a codec by name (the compiled twin's C helpers), else None.

    ``codec`` as for :func:`kernel_fn`.
    """
    fn: Callable[..., Any] | None = getattr(_module(codec), name, None)
    return fn


def _module(codec: ModuleType | None) -> ModuleType:
    """The twin ``codec`` stands for: this module (or None) means the chosen one."""
    return _codec if codec is None or codec.__name__ == __name__ else codec
