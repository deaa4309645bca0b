"""Shared fixtures: the PostgreSQL plugin, and the row codec twins.

Every codec behaviour test takes the ``codec`` fixture so it runs on the pure
twin (id ``py``) and the compiled twin (id ``c``); PHI leaks hide exactly where
the twins differ.  With ``SCRUBPHI_NO_EXTENSIONS`` set only ``py`` runs, and
``test_compiled_codec_loaded`` checks that this was asked for, not suffered.
"""

from __future__ import annotations

pytest_plugins = ["pg_fixtures", "prom_fixtures", "nginx_fixtures"]

from types import ModuleType  # noqa: E402  (pytest_plugins first, as the suite's convention)

import pytest  # noqa: E402

from scrubphi import _impl  # noqa: E402

CODEC_PARAMS = (
    [pytest.param("pure", id="py")]
    if _impl.NO_EXTENSIONS
    else [pytest.param("pure", id="py"), pytest.param("compiled", id="c")]
)


@pytest.fixture(params=CODEC_PARAMS)
def codec(request: pytest.FixtureRequest) -> ModuleType:
    """One twin of the row codec; a compiled twin that fails to import fails the test."""
    name = request.param
    assert name in ("pure", "compiled")
    return _impl.load("pure" if name == "pure" else "compiled")
