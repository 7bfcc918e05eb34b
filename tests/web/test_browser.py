"""The web interface in headless Chromium against the real server: search, concept pages and
their live graph, the path finder, SPARQL, validation and a write with an editor key.

Every page visited must log no console error and request nothing from another host (the
``visits`` fixture).  With ``SCREENSHOTS=1`` the tests keep a screenshot of each page in
``docs/screenshots/``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from intimacy_graph.web.sparql_page import load_examples
from tests.servers import Server
from tests.test_web_sparql_page import run_example
from tests.web.conftest import Visits, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = pytest.mark.browser

BROKEN_NOTE = "tests/data/notes/broken/duplicate-characteristic.md"
SOLITUDE = """\
# Solitude

**Solitude** is the state of being alone without being lonely, chosen for reflection and rest.

#### Key Aspects

1. **Definition**: Solitude is time spent alone by choice, for reflection, creativity or rest.

2. **Characteristics**:
   - **Voluntariness**: It is chosen rather than imposed.
   - **Reflection**: It leaves room for thinking things through.

Solitude is studied as a resource rather than a deficit.
"""


def api(server: Server, path: str) -> httpx.Response:
    response = httpx.get(server.url + "/api/v1" + path, timeout=30)
    assert response.status_code == 200, response.text
    return response


def open_page(context: BrowserContext, visits: Visits, url: str) -> Page:
    page = visits.watch(context.new_page())
    page.goto(url, wait_until="load")
    return page


def graph_ready(page: Page, element: str) -> int:
    """Wait for a live graph to be drawn; the number of nodes Cytoscape holds."""
    page.wait_for_selector(f"#{element}[data-state=ready]")
    count: int = page.evaluate(f"window.intimacyGraph.graphs[{element!r}].nodes().length")
    assert page.get_attribute(f"#{element}", "data-nodes") == str(count)
    return count


def click_node(page: Page, element: str, iri: str) -> None:
    """Click a node of a drawn graph where it is on the screen (the whole graph scrolled into
    the viewport first: a mouse click outside the viewport reaches nothing)."""
    page.locator(f"#{element}").evaluate("e => e.scrollIntoView({block: 'center'})")
    box = page.locator(f"#{element}").bounding_box()
    assert box is not None
    position = page.evaluate(
        f"window.intimacyGraph.graphs[{element!r}].getElementById({iri!r}).renderedPosition()"
    )
    page.mouse.click(box["x"] + position["x"], box["y"] + position["y"])


def test_search_open_a_concept_see_its_graph_and_click_through(
    site: Server, context: BrowserContext, visits: Visits
) -> None:
    page = open_page(context, visits, site.url + "/")
    assert page.title().startswith("intimacy-graph")
    box = page.locator("#home-q")
    box.press_sequentially("trus", delay=20)
    page.wait_for_selector("#home-q-list option[value='Trust']", state="attached")
    box.fill("Trust")
    box.press("Enter")
    page.wait_for_url("**/search?q=Trust*")
    first = page.locator("ol.results li").first
    assert first.locator("a").first.inner_text() == "Trust"
    first.locator("a").first.click()
    page.wait_for_url("**/concept/trust")
    assert page.locator("h1").inner_text() == "Trust"
    assert page.locator("text=Is a characteristic of").count() == 1

    page.goto(site.url + "/concept/emotional-intimacy")
    expected = api(site, "/concepts/emotional-intimacy/graph?depth=1").json()
    assert graph_ready(page, "graph") == len(expected["nodes"]) > 10
    assert page.evaluate("window.intimacyGraph.graphs.graph.edges().length") == len(
        expected["edges"]
    )
    assert page.locator("#graph-nodes li").count() == len(expected["nodes"])
    screenshot(page, "concept.png")

    # deeper: the depth control asks the API again (the seed's graph is one hop wide)
    page.select_option("#graph-depth", "2")
    deeper = api(site, "/concepts/emotional-intimacy/graph?depth=2").json()
    page.wait_for_selector(f"#graph[data-state=ready][data-nodes='{len(deeper['nodes'])}']")
    assert "depth=2" in page.url

    # click a neighbour on the canvas: its page opens
    trust = next(n["id"] for n in expected["nodes"] if n["slug"] == "trust")
    click_node(page, "graph", trust)
    page.wait_for_url("**/concept/trust")
    assert graph_ready(page, "graph") == len(
        api(site, "/concepts/trust/graph?depth=1").json()["nodes"]
    )


def test_home_shows_the_scheme_recent_changes_and_a_graph(
    site: Server, context: BrowserContext, visits: Visits
) -> None:
    page = open_page(context, visits, site.url + "/")
    stats = api(site, "/stats").json()
    shown = page.locator(".stats li").first.inner_text()
    assert shown.split()[0] == str(stats["classes"]["ig:Concept"])
    assert page.locator("text=Emotional Intimacy").first.is_visible()
    nodes = len(api(site, "/concepts/emotional-intimacy/graph?depth=1").json()["nodes"])
    assert graph_ready(page, "home-graph") == nodes
    changes = api(site, "/changes?limit=8").json()["items"]
    assert changes and page.locator(".changes li").count() == len(changes)
    screenshot(page, "home.png")


def test_keyboard_skip_link_reaches_the_content(
    site: Server, context: BrowserContext, visits: Visits
) -> None:
    page = open_page(context, visits, site.url + "/concept/emotional-intimacy")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    for _ in range(50):  # bounded: the focus moves at once, or never
        if page.evaluate("document.activeElement.id") == "content":
            break
        page.wait_for_timeout(100)
    assert page.evaluate("document.activeElement.id") == "content"


@pytest.mark.parametrize(
    ("path", "heading", "shot"),
    [
        ("/note/emotional-intimacy", "Emotional Intimacy", "note.png"),
        ("/work/aron-1997", "Aron et al. (1997)", "study.png"),
        ("/ontology", "intimacy-graph ontology", "ontology.png"),
    ],
)
def test_note_study_and_ontology_pages(
    site: Server, context: BrowserContext, visits: Visits, path: str, heading: str, shot: str
) -> None:
    page = open_page(context, visits, site.url + path)
    assert page.locator("h1").inner_text() == heading
    assert page.locator("nav[aria-label=Site] a[href='/sparql']").count() == 1
    screenshot(page, shot, full_page=shot == "study.png")


@pytest.mark.parametrize(
    "path",
    ["/concept/scheme", "/statement/emotional-intimacy/characteristic/trust", "/graph/registry",
     "/search?q=oxytocin", "/search?q=qqqqzzzz"],
)  # fmt: skip
def test_generic_pages_load_cleanly(
    site: Server, context: BrowserContext, visits: Visits, path: str
) -> None:
    page = open_page(context, visits, site.url + path)
    assert page.locator("h1").count() == 1
    assert page.locator("nav[aria-label=Site] a[href='/sparql']").count() == 1


def test_pages_fit_a_phone_screen(site: Server, browser: Browser, visits: Visits) -> None:
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        for path in ("/", "/concept/emotional-intimacy", "/validate"):
            page = open_page(phone, visits, site.url + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (path, width)  # nothing forces sideways scrolling
            page.close()
    finally:
        phone.close()


def test_a_statement_line_link_lands_on_the_note_line(
    site: Server, context: BrowserContext, visits: Visits
) -> None:
    page = open_page(context, visits, site.url + "/concept/emotional-intimacy")
    page.locator("#characteristics-heading + ul a.source-line").first.click()
    page.wait_for_url("**/note/emotional-intimacy#L15")
    assert "Trust" in page.locator("#L15").inner_text()


def test_search_with_a_role_filter(site: Server, context: BrowserContext, visits: Visits) -> None:
    page = open_page(context, visits, site.url + "/search?q=intimacy")
    everything = page.locator("ol.results li").count()
    page.check("input[name=role][value=type]")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**role=type*")
    types = page.locator("ol.results li")
    assert 0 < types.count() < everything
    for i in range(types.count()):
        assert "type" in types.nth(i).locator(".roles").first.inner_text()
    screenshot(page, "search.png")


def test_path_finder_draws_the_connection(
    site: Server, context: BrowserContext, visits: Visits
) -> None:
    page = open_page(context, visits, site.url + "/path")
    page.fill("#path-from", "Oxytocin")
    page.fill("#path-to", "Relationship Satisfaction")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/path?from=Oxytocin&to=Relationship+Satisfaction")
    body = api(site, "/concepts/oxytocin/path/relationship-satisfaction").json()
    assert body["connected"]
    verdict = page.locator("#path-verdict")
    assert verdict.get_attribute("data-connected") == "true"
    assert f"Connected in {body['length']} steps" in verdict.inner_text()
    ends = {s["from"]["slug"] for p in body["paths"] for s in p} | {
        s["to"]["slug"] for p in body["paths"] for s in p
    }
    assert graph_ready(page, "path-graph") == len(ends)
    screenshot(page, "path.png")


def test_sparql_is_linked_from_every_page_and_runs_an_example(
    site: Server, context: BrowserContext, visits: Visits
) -> None:
    page = open_page(context, visits, site.url + "/concept/trust")
    page.locator("nav[aria-label=Site] a", has_text="SPARQL").click()
    page.wait_for_url("**/sparql")
    page.wait_for_selector(".yasgui .yasqe .CodeMirror")
    run_example(page, next(e for e in load_examples() if e.name.startswith("01-")))


def test_validate_a_broken_note_highlights_its_lines(
    site: Server, context: BrowserContext, visits: Visits
) -> None:
    from tests.web.conftest import ROOT

    text = (ROOT / BROKEN_NOTE).read_text(encoding="utf-8")
    expected = httpx.post(
        site.url + "/api/v1/validate",
        content=text.encode(),
        headers={"Content-Type": "text/markdown"},
        timeout=60,
    ).json()
    lines = {r["line"] for r in expected["results"] if r.get("line")}
    assert not expected["conforms"] and lines
    page = open_page(context, visits, site.url + "/validate")
    page.fill("#entry", text)
    page.click("#validate-button")
    page.wait_for_selector("#report:not([hidden])")
    assert page.get_attribute("#verdict", "data-conforms") == "false"
    codes = page.locator("#results li").evaluate_all("els => els.map(e => e.dataset.code)")
    assert codes == [r["code"] for r in expected["results"]]
    for line in lines:
        row = page.locator(f"#src-L{line}")
        assert "flagged" in (row.get_attribute("class") or "")
        assert row.locator(".line-problem").count() >= 1
    assert page.locator("#listing li").count() == len(text.split("\n"))
    page.locator(f"#src-L{min(lines)}").scroll_into_view_if_needed()
    screenshot(page, "validate.png")


def test_submit_a_note_with_an_editor_key_dry_run_first(
    writable_site: Server, context: BrowserContext, visits: Visits
) -> None:
    url = writable_site.url
    page = open_page(context, visits, url + "/validate")
    page.fill("#entry", SOLITUDE)
    page.click("#validate-button")
    page.wait_for_selector("#verdict[data-conforms=true]")
    page.fill("#editor-key", writable_site.editor_key)
    page.locator("#editor-key").dispatch_event("change")
    assert page.evaluate("sessionStorage.getItem('intimacy-graph-editor-key')") == (
        writable_site.editor_key
    )
    assert page.is_disabled("#submit-real")
    page.click("#dry-run")
    page.wait_for_selector("#diff[data-dry-run=true]")
    assert "Dry run: nothing was written" in page.inner_text("#diff")
    assert "solitude" in page.inner_text("#diff").lower()
    assert httpx.get(url + "/api/v1/concepts/solitude", timeout=30).status_code == 404
    page.click("#submit-real")
    page.wait_for_selector("#diff[data-dry-run=false]")
    assert "Saved" in page.inner_text("#diff")
    assert httpx.get(url + "/api/v1/concepts/solitude", timeout=30).status_code == 200

    # a new concept on its own: the path finder says clearly that it is not connected
    page.goto(url + "/path?from=solitude&to=trust")
    verdict = page.locator("#path-verdict")
    assert verdict.get_attribute("data-connected") == "false"
    assert "Not connected" in verdict.inner_text()
    # and the home page's recent changes name the write
    page.goto(url + "/")
    assert "solitude" in page.locator(".changes li").first.inner_text()


def test_validate_without_javascript(site: Server, browser: Browser, visits: Visits) -> None:
    from tests.web.conftest import ROOT

    text = (ROOT / BROKEN_NOTE).read_text(encoding="utf-8")
    no_js = browser.new_context(java_script_enabled=False)
    try:
        page = open_page(no_js, visits, site.url + "/validate")
        page.fill("#entry", text)
        page.click("#validate-button")
        page.wait_for_url("**/validate")
        assert page.get_attribute("#verdict", "data-conforms") == "false"
        assert "flagged" in (page.get_attribute("#src-L21", "class") or "")
    finally:
        no_js.close()
