"""Headless Chromium for the end-to-end tests (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")


if not CHROMIUM.exists():
    if os.environ.get("YBSS_E2E_REQUIRED"):
        raise RuntimeError(
            "YBSS_E2E_REQUIRED is set but /usr/bin/chromium is missing (apt-get install chromium)"
        )
    # Without a browser these tests cannot run; CI sets YBSS_E2E_REQUIRED so they never vanish there.
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture
def page() -> Iterator[Any]:
    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # made by the test itself are still plain synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(viewport={"width": 412, "height": 915}, locale="zh-CN")
        yield context.new_page()
        context.close()
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
