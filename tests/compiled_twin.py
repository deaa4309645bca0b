"""The mark for tests that compare the compiled kernels with their pure twins.

The compiled twin is compared with the pure one whenever it is built, including
the CI pass that runs the suite with ``SCRUBPHI_NO_EXTENSIONS=1``; only an
install that has no compiled module at all (no compiler, and the pure codec
asked for) has nothing to compare.
"""

from __future__ import annotations

import pytest

from scrubphi import _impl

__all__ = ["requires_compiled_twin"]


def _compiled_importable() -> bool:
    try:
        _impl.load("compiled")
    except ImportError:
        return False
    return True


requires_compiled_twin = pytest.mark.skipif(
    _impl.NO_EXTENSIONS and not _compiled_importable(),
    reason="pure-only install: there is no compiled twin to compare",
)
