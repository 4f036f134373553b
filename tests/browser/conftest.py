"""Real headless Chromium (Debian's, never a downloaded build) driven by Playwright.

One browser per session; every test gets a fresh context (no shared cookies, storage or
permissions) with one page. Uncaught page errors fail the test that caused them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, Playwright, sync_playwright

from ..conftest import REPO
from .chromium import CHROMIUM, CHROMIUM_ARGS

ARTIFACTS = REPO / "test-artifacts"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: run `make system` (make test does it first)"
        )
    chromium = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


class PageErrors:
    """What the page said went wrong: uncaught exceptions and console errors."""

    def __init__(self) -> None:
        self.uncaught: list[str] = []
        self.console: list[str] = []

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console.append(message.text)

    def on_error(self, error: Error) -> None:
        self.uncaught.append(str(error))


@pytest.fixture
def page_errors() -> PageErrors:
    return PageErrors()


@pytest.fixture
def page(browser: Browser, page_errors: PageErrors) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.on("console", page_errors.on_console)
    tab.on("pageerror", page_errors.on_error)
    yield tab
    context.close()
    assert page_errors.uncaught == [], f"uncaught errors in the page: {page_errors.uncaught}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots go here (gitignored); look at them after a run."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
