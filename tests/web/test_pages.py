"""The HTML pages without a browser: what the templates render from the seed, and the page
routes over real HTTP (``/``, ``/search``, ``/path``, ``/validate``, a note's Markdown)."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser

import httpx
import pytest
from rdflib import Graph

from intimacy_graph import concepts, queries
from intimacy_graph.api.routes.pages import ENTRY_TYPES, resolve, wants_html
from intimacy_graph.namespaces import DEFAULT_BASE, PREFIXES, Iris
from intimacy_graph.search import ConceptIndex
from intimacy_graph.store import OxigraphStore
from intimacy_graph.web import STATIC_DIR
from intimacy_graph.web.concept_page import render_concept_page
from intimacy_graph.web.entity_pages import render_note_page, render_ontology_page
from intimacy_graph.web.pages import Namer, ontology_header
from intimacy_graph.web.site import RELATIONS, render
from tests.servers import Server

IRIS = Iris()
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
CYTOSCAPE = STATIC_DIR / "vendor" / "cytoscape"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.urls: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self.scripts.append(a)
        if tag in {"script", "link", "img", "iframe"} and (a.get("src") or a.get("href")):
            self.urls.append(str(a.get("src") or a.get("href")))
        if a.get("id"):
            self.ids.append(str(a["id"]))


def tags(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def assert_good_page(html: str) -> _Tags:
    """No inline script, only local assets, unique ids, landmarks and one h1."""
    found = tags(html)
    for script in found.scripts:
        assert script.get("src", "").startswith("/static/"), script  # type: ignore[union-attr]
    assert all(url.startswith("/") for url in found.urls), found.urls
    assert len(found.ids) == len(set(found.ids)), [i for i in found.ids if found.ids.count(i) > 1]
    assert html.count("<h1") == 1
    for landmark in ('<main id="content"', "<nav", "<header", "<footer", 'class="skip"'):
        assert landmark in html, landmark
    return found


def namer(graph: Graph) -> Namer:
    return Namer(graph, base=DEFAULT_BASE, prefixes=PREFIXES)


def concept_html(store: OxigraphStore, slug: str) -> str:
    card = concepts.concept_card(store, IRIS, slug)
    assert card is not None
    graph = store.construct(queries.load("describe_resource"), {"resource": IRIS.concept(slug)})
    note = {"slug": "emotional-intimacy", "title": "Emotional Intimacy"}
    return render_concept_page(card, graph, namer(graph), [], note=note)


# -- templates -----------------------------------------------------------------------------------
def test_concept_page_groups_mechanisms_and_implications(seed_store: OxigraphStore) -> None:
    html = concept_html(seed_store, "emotional-intimacy")
    found = assert_good_page(html)
    assert "graph" in found.ids and "graph-depth" in found.ids
    mechanisms = html[
        html.index('id="mechanisms-heading"') : html.index('id="implications-heading"')
    ]
    # Oxytocin is a leaf under Neurochemical Processes, as in the note
    group = mechanisms[mechanisms.index("Neurochemical Processes") :]
    assert group.index("Oxytocin") < group.index("Behavioral Processes")
    assert re.search(r"Neurochemical Processes</a>.*?<ul class=\"items\">.*?Oxytocin", group, re.S)
    implications = html[html.index('id="implications-heading"') : html.index("evidence-heading")]
    for domain in ("Mental Health", "Education", "Workplace", "Personal Development"):
        assert f">{domain}</a></h3>" in implications
    assert '<a href="/work/aron-1997">Aron et al. (1997)</a>' in html
    assert "Demonstrated that mutual self-disclosure" in html
    assert 'href="/note/emotional-intimacy#L15"' in html  # Trust's line in the note
    assert 'href="/note/emotional-intimacy/markdown"' in html


def test_concept_page_shows_the_inverse_view(seed_store: OxigraphStore) -> None:
    html = concept_html(seed_store, "oxytocin")
    assert "Is a mechanism of" in html
    assert '<a href="/concept/emotional-intimacy">Emotional Intimacy</a>' in html
    assert 'href="/statement/emotional-intimacy/mechanism/oxytocin"' in html


def test_legend_and_graph_share_one_list_of_relations(seed_store: OxigraphStore) -> None:
    html = concept_html(seed_store, "trust")
    for relation in RELATIONS:
        assert f"background: {relation.colour}" in html
        assert relation.label in html
    edge_names = set(concepts.EDGE_NAMES.values())
    assert edge_names <= {r.name for r in RELATIONS}


def test_everything_shown_is_escaped(seed_store: OxigraphStore) -> None:
    card = concepts.concept_card(seed_store, IRIS, "trust")
    assert card is not None
    card = {**card, "prefLabel": "<script>alert(1)</script>", "definition": "a & b <i>"}
    html = render_concept_page(card, Graph(), namer(Graph()), [])
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "a &amp; b &lt;i&gt;" in html


def test_note_page_numbers_every_line(seed_store: OxigraphStore) -> None:
    note = IRIS.note("emotional-intimacy")
    graph = seed_store.construct(queries.load("describe_resource"), {"resource": note})
    concept = IRIS.concept("emotional-intimacy")
    rows = seed_store.select(queries.load("list_statements_by_subject"), {"subject": concept})
    statements = [(int(str(r["line"])), str(r["statement"])) for r in rows if "line" in r]
    html = render_note_page(
        graph, note, namer(graph), [], slug="emotional-intimacy", statements=statements
    )
    assert_good_page(html)
    markdown = next(str(o) for o in graph.objects(note, None) if "#### Key Aspects" in str(o))
    lines = markdown.split("\n")
    assert f'id="L{len(lines)}"' in html and f'id="L{len(lines) + 1}"' not in html
    assert 'href="/statement/emotional-intimacy/characteristic/trust"' in html
    assert "<script" not in html


def test_ontology_page_documents_every_class_and_property(seed_store: OxigraphStore) -> None:
    graph = seed_store.graph(IRIS.ontology_graph)
    html = render_ontology_page(graph, ontology_header(graph), namer(graph), [])
    found = assert_good_page(html)
    for term in ("Concept", "Characteristic", "hasMechanism", "isMechanismOf", "sourceLine"):
        assert term in found.ids, term
    assert "Inverse of" in html and "Disjoint with" in html and "Domain" in html
    assert "A concept named as a benefit of another concept" in html


def test_pages_render_without_a_store() -> None:
    for template, context in (
        ("validate.html", {"title": "Validate", "entry_types": ENTRY_TYPES, "entry": ""}),
        ("path.html", {"title": "Path", "paths": None, "problems": [], "from_text": ""}),
        ("search.html", {"title": "All", "q": "", "results": [], "total": 0, "roles": {}}),
    ):
        assert_good_page(render(template, **context))


def test_path_page_says_not_connected_clearly() -> None:
    class E:
        slug, pref = "a", "Alpha"

    html = render("path.html", title="t", start=E(), goal=E(), paths=[], problems=[])
    assert 'data-connected="false"' in html and "Not connected" in html
    assert "path-graph" not in html  # nothing to draw


def test_vendored_cytoscape_matches_its_version_file() -> None:
    version = (CYTOSCAPE / "VERSION").read_text(encoding="utf-8")
    assert "package: cytoscape" in version
    assert re.search(r"^integrity: sha512-\S+$", version, re.M)
    digest = re.search(r"^([0-9a-f]{64})  cytoscape\.min\.js$", version, re.M)
    assert digest is not None
    data = (CYTOSCAPE / "cytoscape.min.js").read_bytes()
    assert hashlib.sha256(data).hexdigest() == digest.group(1)
    assert "MIT" in (CYTOSCAPE / "LICENSE").read_text(encoding="utf-8") or (
        "Permission is hereby granted" in (CYTOSCAPE / "LICENSE").read_text(encoding="utf-8")
    )


def test_page_scripts_use_no_eval_and_no_other_host() -> None:
    for js in (STATIC_DIR / "js" / name for name in ("site.js", "graph.js", "validate.js")):
        text = js.read_text(encoding="utf-8")
        assert "eval(" not in text and "new Function" not in text, js.name
        assert not re.search(r"https?://", text), js.name


def test_wants_html_only_for_browsers() -> None:
    assert wants_html(BROWSER) and not wants_html("*/*") and not wants_html(None)
    assert not wants_html("application/json, text/html;q=0.5")


def test_resolve_finds_concepts_by_slug_label_or_search(seed_store: OxigraphStore) -> None:
    index = ConceptIndex.from_store(seed_store)
    assert (
        e := resolve(index, "Relationship Satisfaction")
    ) and e.slug == "relationship-satisfaction"
    assert (e := resolve(index, "oxytocin")) and e.slug == "oxytocin"
    assert (e := resolve(index, "oxyto")) and e.slug == "oxytocin"
    assert resolve(index, "   ") is None
    assert resolve(index, "qqqqzzzz") is None


# -- routes over HTTP ----------------------------------------------------------------------------
def get(site: Server, path: str, accept: str | None = BROWSER) -> httpx.Response:
    headers = {"Accept": accept} if accept else {}
    return httpx.get(site.url + path, headers=headers, timeout=30)


def test_home_is_html_for_browsers_and_unchanged_for_other_clients(site: Server) -> None:
    page = get(site, "/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert_good_page(page.text)
    assert 'href="/concept/emotional-intimacy"' in page.text
    for accept in (None, "*/*", "application/json"):
        other = get(site, "/", accept)
        assert other.status_code == 404, accept
        assert other.json()["code"] == "no-such-route"


@pytest.mark.parametrize(
    "path",
    ["/search", "/search?q=trust", "/search?q=%22%7D%23&role=mechanism", "/path",
     "/path?from=oxytocin&to=relationship-satisfaction", "/validate",
     "/concept/emotional-intimacy", "/concept/trust", "/note/emotional-intimacy",
     "/work/aron-1997", "/ontology"],
)  # fmt: skip
def test_every_page_is_well_formed(site: Server, path: str) -> None:
    r = get(site, path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert_good_page(r.text)
    assert 'href="/sparql"' in r.text


def test_search_filters_by_role(site: Server) -> None:
    html = get(site, "/search?role=mechanism").text
    listed = re.findall(r'<a href="/concept/([^"]+)"><strong>', html)
    api = httpx.get(site.url + "/api/v1/concepts?role=mechanism&limit=1000", timeout=30).json()
    assert sorted(listed) == sorted(i["slug"] for i in api["items"])
    assert 'value="mechanism" checked' in html


def test_bad_page_input_is_4xx_with_a_code(site: Server) -> None:
    bad_role = get(site, "/search?q=x&role=nonsense")
    assert bad_role.status_code == 400 and bad_role.json()["code"] == "bad-parameter"
    too_long = get(site, "/search?q=" + "x" * 500)
    assert too_long.status_code == 400 and too_long.json()["code"] == "bad-parameter"
    unknown = get(site, "/path?from=oxytocin&to=qqqqzzzz")
    assert unknown.status_code == 404 and "No concept matches" in unknown.text
    assert get(site, "/note/%22x/markdown").json()["code"] == "not-found"
    assert get(site, "/note/nobody/markdown").status_code == 404


def test_path_page_lists_the_steps_without_javascript(site: Server) -> None:
    html = get(site, "/path?from=Oxytocin&to=Relationship%20Satisfaction").text
    body = httpx.get(
        site.url + "/api/v1/concepts/oxytocin/path/relationship-satisfaction", timeout=30
    ).json()
    assert f"Connected in {body['length']} steps" in html
    assert html.count('<ol class="path-steps">') == len(body["paths"])


def test_note_markdown_is_the_source_as_written(site: Server) -> None:
    r = get(site, "/note/emotional-intimacy/markdown", None)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/markdown")
    stored = httpx.get(
        site.url + "/api/v1/notes/emotional-intimacy",
        headers={"Accept": "text/markdown"},
        timeout=30,
    )
    assert r.text == stored.text


def test_validate_form_works_without_javascript(site: Server) -> None:
    from tests.web.conftest import ROOT

    text = (ROOT / "tests/data/notes/broken/duplicate-characteristic.md").read_text("utf-8")
    r = httpx.post(
        site.url + "/validate", data={"entry": text, "type": "text/markdown"}, timeout=60
    )
    assert r.status_code == 200
    assert_good_page(r.text)
    assert 'data-conforms="false"' in r.text
    assert '<li id="src-L21" class="flagged error"' in r.text
    assert 'data-code="duplicate-item"' in r.text
    assert r.text.count('<li id="src-L') == len(text.split("\n"))


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        (b"entry=x", "text/plain", 415, "unsupported-media-type"),
        (b"entry=", "application/x-www-form-urlencoded", 400, "empty-body"),
        (b"entry=x&type=image%2Fpng", "application/x-www-form-urlencoded", 400, "bad-parameter"),
        (b"entry=x&slug=%22%7D", "application/x-www-form-urlencoded", 400, "bad-slug"),
        (b"entry=%FF%FE", "application/x-www-form-urlencoded", 200, None),
        (b"\xff\xfe", "application/x-www-form-urlencoded", 400, "bad-form"),
    ],
)
def test_validate_form_rejects_bad_input_with_a_code(
    site: Server, data: bytes, content_type: str, status: int, code: str | None
) -> None:
    r = httpx.post(
        site.url + "/validate", content=data, headers={"Content-Type": content_type}, timeout=60
    )
    assert r.status_code == status, r.text
    if code is not None:
        assert r.json()["code"] == code
