"""pytest plugin with the ``scrubphi_flags`` fixture.

Enable it in your top-level ``conftest.py``::

    pytest_plugins = ["scrubphi.flags.django.pytest_plugin"]

then::

    def test_new_page(client, scrubphi_flags):
        scrubphi_flags.set("new-scheduling", True)
        assert client.get("/schedule/").status_code == 200
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scrubphi.flags.django.testing import FlagOverrides

__all__ = ["scrubphi_flags"]


@pytest.fixture
def scrubphi_flags() -> Iterator[FlagOverrides]:
    """Force flags on or off for one test; every override is undone afterwards."""
    overrides = FlagOverrides()
    with overrides.active():
        yield overrides
