"""Headless Chromium for the tests that look at a page as a person would: Debian's `chromium` package, driven
by Playwright for Python (never a browser build of Playwright's own; `.ci/run` installs the package)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")


def playwright_or_skip() -> Any:
    """Playwright's `sync_playwright`, or a skip (a failure under CI=true) saying what is missing."""
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "Playwright for Python is not installed (pip install -e '.[test]')"
    if missing is None and not CHROMIUM.exists():
        missing = f"{CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)"
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    return sync_playwright
