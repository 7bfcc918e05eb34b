"""Linked Data over real HTTP: every contract IRI dereferences, by content negotiation."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest
from rdflib import OWL, RDF, Graph, Literal, URIRef
from rdflib.namespace import SKOS

from intimacy_graph.api.routes.linked_data import canonical_slug
from intimacy_graph.namespaces import DEFAULT_BASE, IG, Iris
from intimacy_graph.web.pages import Namer, render_resource_page
from tests.servers import Server

IRIS = Iris()
ONTOLOGY = URIRef(DEFAULT_BASE + "ontology")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"

#: path → (the IRI it describes, its label as the HTML page shows it)
RESOURCES = {
    "/concept/trust": (IRIS.concept("trust"), "Trust"),
    "/concept/emotional-intimacy": (IRIS.concept("emotional-intimacy"), "Emotional Intimacy"),
    "/note/emotional-intimacy": (IRIS.note("emotional-intimacy"), "Emotional Intimacy"),
    "/work/aron-1997": (IRIS.work("aron-1997"), "Aron et al. (1997)"),
    "/statement/emotional-intimacy/characteristic/trust": (
        IRIS.statement("emotional-intimacy", "characteristic", "trust"),
        "Trust",
    ),
    "/ontology": (ONTOLOGY, "intimacy-graph ontology"),
    "/concept/scheme": (IRIS.scheme, "intimacy-graph psychology concepts"),
}
PATHS = list(RESOURCES)

#: ``?format=`` value → (media type answered, rdflib parser)
FORMATS = {
    "ttl": ("text/turtle", "turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "nt": ("application/n-triples", "nt"),
    "rdf": ("application/rdf+xml", "xml"),
}

#: The contract's IRI patterns (DESIGN.md §4) under the default base.
SLUG = r"[^/#\s]+"
CONTRACT = [
    re.compile(rf"concept/{SLUG}"),
    re.compile(rf"note/{SLUG}(/section/[1-9][0-9]*)?"),
    re.compile(rf"work/{SLUG}-[0-9]{{4}}[a-z]?"),
    re.compile(
        rf"statement/{SLUG}/(characteristic|type|benefit|mechanism|evidence)/{SLUG}"
        rf"|statement/{SLUG}/implication/{SLUG}/{SLUG}"
    ),
    re.compile(rf"graph/(ontology|registry|inferred|curated|changes|note/{SLUG})"),
    re.compile(r"run/[0-9]{8}T[0-9]+Z-[0-9a-f]+"),
    re.compile(r"ontology(/[0-9][0-9A-Za-z.+-]*)?(#[A-Za-z][A-Za-z0-9_]*)?"),
]


def get(
    server: Server,
    path: str,
    accept: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    sent = {"Accept": accept} if accept is not None else {}
    return httpx.get(
        server.url + path, headers={**sent, **(headers or {})}, params=params, timeout=30
    )


def parse(response: httpx.Response, fmt: str) -> Graph:
    return Graph().parse(data=response.content, format=fmt)


# -- RDF ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", PATHS)
def test_rdflib_dereferences_the_contract_iri(server: Server, path: str) -> None:
    iri, _ = RESOURCES[path]
    graph = Graph().parse(server.url + path)  # rdflib's own Accept header
    assert (iri, None, None) in graph
    assert len(graph) > 2


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("param", list(FORMATS))
def test_each_format_by_accept_and_by_parameter(server: Server, path: str, param: str) -> None:
    iri, _ = RESOURCES[path]
    media, parser = FORMATS[param]
    by_accept = get(server, path, media)
    by_param = get(server, path + f"?format={param}", BROWSER)
    for response in (by_accept, by_param):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].split(";")[0] == media
        assert (iri, None, None) in parse(response, parser)
    assert len(parse(by_accept, parser)) == len(parse(by_param, parser))


def test_description_carries_labels_of_linked_resources(server: Server) -> None:
    graph = parse(get(server, "/concept/trust", "text/turtle"), "turtle")
    ei = IRIS.concept("emotional-intimacy")
    assert (IRIS.concept("trust"), IG.isCharacteristicOf, ei) in graph
    assert (ei, SKOS.prefLabel, Literal("Emotional Intimacy", lang="en")) in graph
    # the statement about trust points at it, with its label
    stmt = IRIS.statement("emotional-intimacy", "characteristic", "trust")
    assert (stmt, IG.object, IRIS.concept("trust")) in graph
    assert any(graph.objects(stmt, URIRef("http://www.w3.org/2000/01/rdf-schema#label")))


def test_scheme_lists_its_concepts(server: Server) -> None:
    graph = parse(get(server, "/concept/scheme", "text/turtle"), "turtle")
    assert (IRIS.scheme, RDF.type, SKOS.ConceptScheme) in graph
    assert (IRIS.concept("trust"), SKOS.inScheme, IRIS.scheme) in graph


def test_ontology_and_its_version_iri(server: Server) -> None:
    whole = parse(get(server, "/ontology", "text/turtle"), "turtle")
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in whole
    assert (IG.Concept, RDF.type, OWL.Class) in whole
    version = next(whole.objects(ONTOLOGY, OWL.versionIRI))
    path = urlsplit(str(version)).path.removeprefix("/intimacy-graph")
    versioned = get(server, path, "text/turtle")
    assert versioned.status_code == 200
    assert len(parse(versioned, "turtle")) == len(whole)
    assert get(server, "/ontology/999.0.0", "text/turtle").status_code == 404


def test_named_graphs_read_only(server: Server) -> None:
    registry = get(server, "/graph/registry", "application/n-triples")
    assert registry.status_code == 200
    assert (IRIS.concept("trust"), SKOS.prefLabel, None) in parse(registry, "nt")
    note = get(server, "/graph/note/emotional-intimacy", "text/turtle")
    assert (IRIS.note("emotional-intimacy"), IG.describes, None) in parse(note, "turtle")
    assert get(server, "/graph/no-such-graph", "text/turtle").status_code == 404
    assert httpx.put(server.url + "/graph/registry", content=b"").status_code == 405


def test_jsonld_link_is_followed_by_rdflib(server: Server) -> None:
    graph = Graph().parse(server.url + "/work/aron-1997", format="json-ld")
    assert (IRIS.work("aron-1997"), RDF.type, IG.Study) in graph


# -- negotiation -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, "text/turtle"),  # httpx sends */*
        ("", "text/turtle"),
        ("*/*", "text/turtle"),
        (BROWSER, "text/html"),
        ("text/html", "text/html"),
        ("application/xhtml+xml", "text/html"),
        ("text/turtle, text/html", "text/turtle"),  # a tie goes to RDF
        ("text/html;q=0.9, text/turtle;q=0.5", "text/html"),
        ("text/html;q=0.5, application/ld+json", "application/ld+json"),
        ("application/json", "application/ld+json"),
        ("text/plain", "application/n-triples"),
        (
            "application/rdf+xml, text/n3, text/turtle, application/n-triples, "
            "application/ld+json, application/n-quads, application/trix, application/trig",
            "text/turtle",
        ),
    ],
)
def test_accept_chooses(server: Server, accept: str | None, media: str) -> None:
    r = get(server, "/concept/trust", accept)
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media


@pytest.mark.parametrize(
    ("param", "media"),
    [
        ("turtle", "text/turtle"),
        ("json", "application/ld+json"),
        ("xml", "application/rdf+xml"),
        ("html", "text/html"),
        ("text/turtle", "text/turtle"),
    ],
)
def test_format_parameter_overrides_accept(server: Server, param: str, media: str) -> None:
    r = get(server, "/concept/trust", "image/png", params={"format": param})
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media


def test_unacceptable_is_406(server: Server) -> None:
    r = get(server, "/concept/trust", "image/png")
    assert r.status_code == 406
    assert r.json()["code"] == "not-acceptable"
    assert get(server, "/concept/trust?format=png").status_code == 406


@pytest.mark.parametrize("accept", ["text/turtle", BROWSER, "application/ld+json"])
def test_vary_link_and_cache_headers(server: Server, accept: str) -> None:
    r = get(server, "/concept/trust", accept)
    assert "accept" in [v.strip().lower() for v in r.headers["vary"].split(",")]
    link = r.headers["link"]
    for fmt, (media, _) in FORMATS.items():
        assert f'</concept/trust?format={fmt}>; rel="alternate"; type="{media}"' in link
    assert '</concept/trust?format=html>; rel="alternate"; type="text/html"' in link
    assert r.headers["cache-control"] == "public, max-age=60"
    assert r.headers["etag"]


def test_if_none_match_gives_304(server: Server) -> None:
    first = get(server, "/concept/trust", "text/turtle")
    tag = first.headers["etag"]
    again = get(server, "/concept/trust", "text/turtle", headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == tag
    assert "accept" in again.headers["vary"].lower()
    assert 'rel="alternate"' in again.headers["link"]
    # another format is another representation: another tag
    html = get(server, "/concept/trust", BROWSER, headers={"If-None-Match": tag})
    assert html.status_code == 200
    assert html.headers["etag"] != tag
    stale = get(server, "/concept/trust", "text/turtle", headers={"If-None-Match": 'W/"old"'})
    assert stale.status_code == 200
    star = get(server, "/concept/trust", "text/turtle", headers={"If-None-Match": "*"})
    assert star.status_code == 304
    assert (
        get(server, "/concept/no-such", "text/turtle", headers={"If-None-Match": "*"}).status_code
        == 404
    )


def test_head(server: Server) -> None:
    r = httpx.head(server.url + "/concept/trust", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/turtle")


# -- HTML --------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", PATHS)
def test_html_for_browsers(server: Server, path: str) -> None:
    iri, label = RESOURCES[path]
    r = get(server, path, BROWSER)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    html = r.text
    escaped = label.replace("&", "&amp;")
    assert f"<title>{escaped} – intimacy-graph</title>" in html
    assert re.search(rf"<h1[^>]*>{re.escape(escaped)}</h1>", html)
    assert f'href="{iri}"' in html  # the permalink
    assert "<main" in html and "<nav" in html
    # readable with JavaScript off: no inline script, only the site's own files
    for script in re.findall(r"<script\b[^>]*>", html):
        assert re.search(r'\bsrc="/static/', script), script
    for fmt in FORMATS:
        assert f'href="{path}?format={fmt}"' in html
    assert 'href="/sparql"' in html
    # nothing is loaded from elsewhere: stylesheets and icons are local
    for tag in re.findall(r"<link [^>]*>", html):
        assert re.search(r'href="/', tag), tag


def test_html_links_stay_on_this_host(server: Server) -> None:
    html = get(server, "/concept/trust", BROWSER).text
    assert '<a href="/concept/emotional-intimacy">Emotional Intimacy</a>' in html
    assert 'href="/ontology#Characteristic"' in html
    assert 'href="/statement/emotional-intimacy/characteristic/trust"' in html
    ontology = get(server, "/ontology", BROWSER).text
    assert 'id="Concept"' in ontology  # /ontology#Concept lands on ig:Concept


def test_html_escapes_everything() -> None:
    graph = Graph()
    thing = IRIS.concept("x")
    graph.add((thing, SKOS.prefLabel, Literal('<script>alert("x")</script>', lang="en")))
    graph.add((thing, SKOS.related, URIRef("javascript:alert(1)")))
    graph.add((thing, SKOS.definition, Literal("a & b <i>")))
    html = render_resource_page(graph, thing, Namer(graph, base=DEFAULT_BASE, prefixes={}), [])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript:' not in html
    assert "a &amp; b &lt;i&gt;" in html


# -- addresses that name nothing -----------------------------------------------------------
def test_unknown_slug_is_404(server: Server) -> None:
    for path in ("/concept/no-such-concept", "/note/trust", "/work/nobody-1900",
                 "/statement/emotional-intimacy/characteristic/no-such"):  # fmt: skip
        r = get(server, path, "text/turtle")
        assert r.status_code == 404, path
        assert r.json()["code"] == "not-found"


def test_respelled_slug_redirects_to_the_canonical_one(server: Server) -> None:
    r = get(server, "/concept/Trust?format=ttl", "text/turtle")
    assert r.status_code == 301
    assert r.headers["location"].endswith("/concept/trust?format=ttl")
    spaced = get(server, "/concept/Emotional%20Intimacy", BROWSER)
    assert spaced.status_code == 301
    assert spaced.headers["location"].endswith("/concept/emotional-intimacy")
    # rdflib follows it to the contract IRI
    assert (IRIS.concept("trust"), None, None) in Graph().parse(server.url + "/concept/Trust")
    # a respelling of nothing is not worth a redirect
    assert get(server, "/concept/No-Such-Concept", "text/turtle").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/concept/%22trust%22",
        "/concept/'trust'",
        "/concept/%7B",
        "/concept/%7D",
        "/concept/trust%7D%20UNION%20%7B",
        "/concept/%3Chttp:%2F%2Fexample.org%3E",
        "/concept/trust%23x",
        "/concept/%00",
        "/concept/tr%00ust",
        "/concept/..%2F..%2Fetc%2Fpasswd",
        "/concept/%2E%2E",
        "/concept/" + "a" * 5000,
        "/concept/%FF",
        "/concept/%ED%A0%80",
        "/note/%22%3E%3Cscript%3E",
        "/work/aron-1997%7D",
        "/statement/emotional-intimacy/characteristic/trust%22",
        "/statement/..%2F/characteristic/trust",
        "/statement/emotional-intimacy//trust",
        "/statement/emotional-intimacy",
        "/graph/registry%7D",
        "/graph/..%2Fregistry",
        "/ontology/%22",
        "/ontology/..%2F..",
        "/run/%22",
        "/note/emotional-intimacy/section/0",
        "/note/emotional-intimacy/section/%22",
    ],
)
def test_hostile_addresses_are_404_never_500(server: Server, path: str) -> None:
    for accept in ("text/turtle", BROWSER):
        r = get(server, path, accept)
        assert r.status_code == 404, (path, r.status_code, r.text)
        assert r.json()["code"] in ("not-found", "no-such-route")


def test_canonical_slug_rules() -> None:
    assert canonical_slug("trust") == "trust"
    assert canonical_slug("TRUST") == "trust"
    assert canonical_slug("self--disclosure") == "self-disclosure"
    assert canonical_slug("émotion") == "émotion"
    for bad in ("", " ", "-", '"trust"', "trust#x", "a|b", "{", "\x00", "a" * 201):
        assert canonical_slug(bad) in (None, "-"), bad


# -- every served IRI follows the contract and resolves --------------------------------------
def test_every_served_iri_follows_the_contract_and_resolves(server: Server) -> None:
    seen: set[str] = set()
    for path in [*PATHS, "/graph/registry", "/graph/note/emotional-intimacy", "/graph/changes"]:
        graph = parse(get(server, path, "application/n-triples"), "nt")
        for term in graph.all_nodes() | set(graph.predicates()):
            if isinstance(term, URIRef) and str(term).startswith(DEFAULT_BASE):
                seen.add(str(term))
    assert len(seen) > 100
    bad = [iri for iri in seen if not any(p.fullmatch(iri[len(DEFAULT_BASE) :]) for p in CONTRACT)]
    assert not bad
    unresolved = []
    for path in sorted({iri[len(DEFAULT_BASE) - 1 :].split("#")[0] for iri in seen}):
        r = get(server, path, "text/turtle")
        if r.status_code != 200:
            unresolved.append((path, r.status_code))
    assert not unresolved
