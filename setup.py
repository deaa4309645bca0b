"""Build the compiled modules, ``scrubphi._fast`` (the row codec) and
``scrubphi._redact_fast`` (the free-text redactor's scan); everything else is in
pyproject.toml.

Why a setup.py at all: setuptools needs code to declare a Cython extension and
to fall back when it cannot be built.  A machine without a C compiler or
without Cython, or a build with ``SCRUBPHI_NO_EXTENSIONS=1``, still installs a
working scrubphi on the pure-Python codec, and says so loudly on stderr
(MarkupSafe's pattern), because the pure codec is several times slower.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

# setuptools and Cython ship no complete type information; "unused-ignore" keeps
# this clean where their stubs are installed.
from setuptools import Extension, setup  # type: ignore[import-untyped,unused-ignore]
from setuptools.command.build_ext import (  # type: ignore[import-untyped,unused-ignore]
    build_ext,
)

# Compiler directives live here and only here.
CYTHON_DIRECTIVES: dict[str, Any] = {
    "language_level": 3,
    "embedsignature": True,
    # The codec indexes only C arrays sized at construction and lists with
    # non-negative in-range indices, so these checks are dead weight.
    "boundscheck": False,
    "wraparound": False,
    "cdivision": True,
}

FAST_SOURCE = "src/scrubphi/_fast.pyx"
REDACT_SOURCE = "src/scrubphi/_redact_fast.pyx"
PRF_HEADER_DIR = "src/scrubphi"


def _banner(reason: str) -> None:
    line = "*" * 75
    sys.stderr.write(
        f"\n{line}\n"
        "WARNING: a compiled module (scrubphi._fast, scrubphi._redact_fast) could not be built.\n"
        f"Reason: {reason}\n"
        "scrubphi is installed in pure Python: it works the same, only slower.\n"
        "Install a C compiler and Cython, and unset SCRUBPHI_NO_EXTENSIONS, to get it.\n"
        f"{line}\n\n"
    )


def _no_extensions() -> bool:
    value = os.environ.get("SCRUBPHI_NO_EXTENSIONS", "")
    return value not in ("", "0")


class OptionalBuildExt(build_ext):  # type: ignore[misc,unused-ignore]
    """build_ext that turns any failure to compile into a pure install with a banner."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # a missing compiler shows up here as a PlatformError
            _banner(f"{type(exc).__name__}: {exc}")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:  # CCompilerError, ExecError, ... and a broken toolchain
            traceback.print_exc()
            _banner(f"{type(exc).__name__}: {exc}")


def _extensions() -> list[Extension]:
    if _no_extensions():
        _banner("SCRUBPHI_NO_EXTENSIONS is set")
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        _banner("Cython is not installed")
        return []
    try:
        return list(
            cythonize(  # type: ignore[no-untyped-call,unused-ignore]
                # _fast includes _prf.h (the keyed BLAKE2s) from beside the .pyx.
                [Extension("scrubphi._fast", [FAST_SOURCE], include_dirs=[PRF_HEADER_DIR]),
                 Extension("scrubphi._redact_fast", [REDACT_SOURCE])],
                compiler_directives=CYTHON_DIRECTIVES,
                # Generated C goes under build/, not beside the .pyx, so it can
                # neither be committed nor be swept into the wheel as package data.
                build_dir="build/cython",
            )
        )
    except Exception as exc:  # a Cython compile error: still install, loudly
        traceback.print_exc()
        _banner(f"Cython failed: {type(exc).__name__}: {exc}")
        return []


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
