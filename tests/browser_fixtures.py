"""Debian's headless Chromium through Selenium and chromium-driver, offline.

The same approach as the admin page's test (``test_flags_django_admin.py``):
the binaries come from Debian (``scripts/install-test-services``); without
them the test fails, it never skips.  :func:`offline_browser` also cuts the
browser off the network (DevTools' network emulation), so a page that needs
anything from outside cannot pass by fetching it.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

__all__ = ["offline_browser"]


@contextlib.contextmanager
def offline_browser(width: int = 1280, height: int = 1400) -> Iterator[Any]:
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        pytest.fail(
            "the report tests need Debian's chromium and chromium-driver: "
            "run scripts/install-test-services"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", f"--window-size={width},{height}"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0})
        yield driver
    finally:
        driver.quit()
