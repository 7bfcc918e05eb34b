"""Fixtures of the web tests: real servers on loopback and headless Chromium (Playwright)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from tests.servers import Server, run_server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``intimacy-graph serve`` over the bundled notes, for tests that only read."""
    with run_server(tmp_path_factory.mktemp("web-site") / "store") as server:
        yield server


@pytest.fixture(scope="module")
def writable_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own for tests that write (with an editor key)."""
    with run_server(tmp_path_factory.mktemp("web-writes") / "store") as server:
        yield server


@dataclass
class Visits:
    """Console errors, page errors and foreign requests of every page a test opened."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> Page:
        page.set_default_timeout(15_000)
        page.on("request", lambda r: self.requests.append(r.url))
        page.on(
            "console",
            lambda m: self.errors.append(f"{page.url}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))
        return page

    def foreign(self) -> list[str]:
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme in {"http", "https", "ws", "wss"}
            and urlsplit(url).hostname != "127.0.0.1"
        ]


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def visits() -> Iterator[Visits]:
    """Every test that browses ends with no console error, no page error, no foreign request."""
    seen = Visits()
    yield seen
    assert seen.foreign() == [], seen.foreign()
    assert seen.errors == [], seen.errors


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    # Anything that is not our server is refused (and recorded), so it cannot hang.
    ctx.route(re.compile(r"^(?!http://127\.0\.0\.1:\d+/).*"), lambda route: route.abort())
    try:
        yield ctx
    finally:
        ctx.close()


def screenshot(page: Page, name: str, *, full_page: bool = True, **options: Any) -> None:
    """Keep a screenshot in docs/screenshots/ when ``SCREENSHOTS=1`` (the whole page, or
    the first screen of a long one)."""
    if os.environ.get("SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page, **options)
