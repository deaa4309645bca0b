"""Shared fixtures: the PostgreSQL plugin, and the row codec twins.

Every codec behaviour test takes the ``codec`` fixture so it runs on the pure
twin (id ``py``) and the compiled twin (id ``c``); PHI leaks hide exactly where
the twins differ.  With ``SCRUBPHI_NO_EXTENSIONS`` set only ``py`` runs, and
``test_compiled_codec_loaded`` checks that this was asked for, not suffered.
"""

from __future__ import annotations

pytest_plugins = ["pg_fixtures", "prom_fixtures", "nginx_fixtures", "redact_scans"]

import os  # noqa: E402  (pytest_plugins first, as the suite's convention)
import shutil  # noqa: E402
import tempfile  # noqa: E402
from types import ModuleType  # noqa: E402

import pytest  # noqa: E402

from scrubphi import _impl  # noqa: E402

CODEC_PARAMS = (
    [pytest.param("pure", id="py")]
    if _impl.NO_EXTENSIONS
    else [pytest.param("pure", id="py"), pytest.param("compiled", id="c")]
)


_CACHE_DIR: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Derived data (the redactor's word sets) is cached in a folder of the run's own,
    removed at the end, not in the user's ~/.cache (subprocesses inherit it)."""
    global _CACHE_DIR
    del config
    if "SCRUBPHI_CACHE_DIR" not in os.environ:
        _CACHE_DIR = tempfile.mkdtemp(prefix="scrubphi-test-cache-")
        os.environ["SCRUBPHI_CACHE_DIR"] = _CACHE_DIR


def pytest_unconfigure(config: pytest.Config) -> None:
    del config
    if _CACHE_DIR is not None:
        shutil.rmtree(_CACHE_DIR, ignore_errors=True)
        os.environ.pop("SCRUBPHI_CACHE_DIR", None)


@pytest.fixture(params=CODEC_PARAMS)
def codec(request: pytest.FixtureRequest) -> ModuleType:
    """One twin of the row codec; a compiled twin that fails to import fails the test."""
    name = request.param
    assert name in ("pure", "compiled")
    return _impl.load("pure" if name == "pure" else "compiled")
