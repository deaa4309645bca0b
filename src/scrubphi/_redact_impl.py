"""Picks the free-text redactor's scan once, at import: compiled when it loads, else pure.

Like :mod:`scrubphi._impl` for the row codec (and with the same switch:
``SCRUBPHI_NO_EXTENSIONS`` set to anything but ``""`` or ``"0"`` forces the
pure scan).  The compiled scan is ``scrubphi._redact_fast.Engine``; the pure
one is ``Redactor._scan`` itself, so "pure" here means no engine.  When the
compiled one was wanted but failed to load, ``IMPORT_ERROR`` says why.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from scrubphi._impl import NO_EXTENSIONS

__all__ = ["IMPLEMENTATION", "IMPORT_ERROR", "redact_engine"]

if TYPE_CHECKING:
    from scrubphi._redact_fast import Engine

#: Why the compiled scan is not in use although it was wanted, else None.
IMPORT_ERROR: str | None = None


def _load() -> type[Engine] | None:
    global IMPORT_ERROR
    try:
        module = importlib.import_module("scrubphi._redact_fast")
    except ImportError as exc:
        IMPORT_ERROR = f"{type(exc).__name__}: {exc}"
        return None
    engine: type[Engine] = module.Engine
    return engine


_COMPILED = _load()
_DEFAULT = None if NO_EXTENSIONS else _COMPILED

#: "compiled" or "pure": what a Redactor built with the defaults uses.
IMPLEMENTATION: str = "pure" if _DEFAULT is None else "compiled"


def redact_engine(compiled: bool | None = None) -> type[Engine] | None:
    """The compiled engine class, or None for the pure scan.

    ``None`` follows the environment; ``True`` insists on the compiled scan
    (ImportError when it is not built); ``False`` is the pure scan.
    """
    if compiled is None:
        return _DEFAULT
    if not compiled:
        return None
    if _COMPILED is None:
        raise ImportError(f"scrubphi._redact_fast is not available ({IMPORT_ERROR})")
    return _COMPILED
