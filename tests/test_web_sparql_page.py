"""The SPARQL page: the example queries, the rendered HTML, the vendored YASGUI and, in
headless Chromium, the page itself against the real served endpoint."""

from __future__ import annotations

import hashlib
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from intimacy_graph.store import OxigraphStore
from intimacy_graph.web import STATIC_DIR, render_sparql_page
from intimacy_graph.web.sparql_page import Example, load_examples
from tests.servers import Server

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parent.parent
VENDOR = STATIC_DIR / "vendor" / "yasgui"
EXAMPLES = load_examples()
SCREENSHOT = ROOT / "docs" / "screenshots" / "sparql.png"


# --- the example queries -------------------------------------------------------------------


def test_there_are_8_to_12_examples_with_title_and_description() -> None:
    assert 8 <= len(EXAMPLES) <= 12
    for example in EXAMPLES:
        assert example.query.startswith("# "), example.name
        assert example.title and example.title != example.name, example.name
        assert len(example.description) > 20, example.name


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_examples_return_rows(seed_store: OxigraphStore, example: Example) -> None:
    _, form = seed_store.query_serialized(example.query, "json")
    if form == "graph":
        assert len(seed_store.construct(example.query)) >= 1
    elif form == "boolean":
        assert seed_store.ask(example.query)
    else:
        assert len(seed_store.select(example.query)) >= 1


# --- the rendered page ---------------------------------------------------------------------


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
        if tag in {"script", "link", "img", "iframe"}:
            url = attributes.get("src") or attributes.get("href")
            if url:
                self.urls.append(url)


def test_page_has_no_inline_script_and_loads_only_local_assets() -> None:
    html = render_sparql_page("/sparql", "/static")
    parser = _Scripts()
    parser.feed(html)
    for script in parser.scripts:
        assert script.get("src") or script.get("type") == "application/json", script
    assert parser.urls and all(url.startswith("/static/") for url in parser.urls), parser.urls
    assert "<title>" in html and "<h1>" in html


def test_page_carries_endpoint_and_examples_as_json() -> None:
    html = render_sparql_page("/api/sparql", "/assets/")
    block = re.search(
        r'<script type="application/json" id="sparql-page-config">(.*?)</script>', html, re.S
    )
    assert block is not None
    config = json.loads(block.group(1))
    assert config["endpoint"] == "/api/sparql"
    assert [e["title"] for e in config["examples"]] == [e.title for e in EXAMPLES]
    assert config["examples"][0]["query"] == EXAMPLES[0].query
    assert config["prefixes"]["ig"] == "https://w3id.org/intimacy-graph/ontology#"
    assert 'src="/assets/vendor/yasgui/yasgui.min.js"' in html
    options = re.findall(r'<option value="([^"]+)"', html)
    assert options == [e.name for e in EXAMPLES]


def test_json_block_cannot_end_the_script_element() -> None:
    html = render_sparql_page(prefixes={"x": "http://example.org/</script><script>alert(1)//"})
    assert "</script><script>alert(1)" not in html


# --- the vendored bundle -------------------------------------------------------------------


def test_vendored_files_match_their_version_file() -> None:
    version = (VENDOR / "VERSION").read_text(encoding="utf-8")
    assert "package: @zazuko/yasgui" in version
    assert re.search(r"^integrity: sha512-\S+$", version, re.M)
    hashes = {
        name: digest for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", version, re.M)
    }
    assert set(hashes) == {"yasgui.min.js", "yasgui.min.css"}
    for name, digest in hashes.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    assert (VENDOR / "LICENSE").is_file() and (VENDOR / "THIRD-PARTY-LICENSES.txt").is_file()


# --- in a browser --------------------------------------------------------------------------


@pytest.fixture
def page_server(server: Server) -> str:
    """The real ``intimacy-graph serve`` (on each backend): the page and its endpoint."""
    return server.url


def run_example(page: Page, example: Example) -> None:
    """Pick ``example`` from the menu, run it with YASGUI's button, wait for the table."""
    page.select_option("#example-picker", example.name)
    assert page.text_content("#example-description") == example.description
    assert example.title in page.locator(".yasgui .tabsList .tab.active").inner_text()
    current = "window.intimacyGraphSparqlPage.yasgui.getTab().yasqe.getValue()"
    assert page.evaluate(current) == example.query
    panel = page.locator(".yasgui .tabPanel.active")
    panel.locator(".yasqe_queryButton").click()
    rows = panel.locator(".yasr table.dataTable tbody tr:not(:has(.dt-empty))")
    rows.first.wait_for()
    assert rows.count() >= 1


@pytest.mark.browser
def test_page_runs_an_example_in_chromium(chromium: str, page_server: str) -> None:
    from playwright.sync_api import sync_playwright

    example = next(e for e in EXAMPLES if e.name.startswith("01-"))
    construct = next(e for e in EXAMPLES if "CONSTRUCT" in e.query)
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
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
            context = browser.new_context(viewport={"width": 1280, "height": 1100})
            # Anything that is not our server is recorded and refused, so it cannot hang.
            context.route(
                re.compile(r"^(?!http://127\.0\.0\.1:\d+/).*"),
                lambda route: route.abort(),
            )
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.on("request", lambda r: requests.append(r.url))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            page.goto(f"{page_server}/sparql", wait_until="load")
            page.wait_for_selector(".yasgui .yasqe .CodeMirror")
            assert page.evaluate(
                "window.intimacyGraphSparqlPage.yasgui.getTab().yasqe.config.autocompleters"
            ) == ["variables", "prefixes"]

            run_example(page, example)
            table = page.locator(".yasgui .tabPanel.active .yasr table.dataTable tbody")
            assert "Trust" in table.inner_text()
            if os.environ.get("SCREENSHOTS") == "1":
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOT), full_page=True)

            # A CONSTRUCT answers Turtle, which YASR shows as a table of triples.
            run_example(page, construct)
        finally:
            browser.close()

    foreign = [
        url
        for url in requests
        if urlsplit(url).scheme in {"http", "https", "ws", "wss"}
        and urlsplit(url).hostname != "127.0.0.1"
    ]
    assert foreign == [], foreign
    assert errors == [], errors
