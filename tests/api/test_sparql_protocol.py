"""`/sparql` over real HTTP: encodings, formats, negotiation, errors (SPARQL 1.1 Protocol)."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest
from rdflib import Graph

from tests.servers import Server

SELECT = (
    "PREFIX ig: <https://w3id.org/intimacy-graph/ontology#> "
    "SELECT ?c WHERE { ?s a ig:MechanismStatement ; ig:group ?g ; ig:object ?c } ORDER BY ?c"
)
CONSTRUCT = (
    "PREFIX concept: <https://w3id.org/intimacy-graph/concept/> "
    "CONSTRUCT { concept:trust ?p ?o } WHERE { concept:trust ?p ?o }"
)
ASK = "ASK { ?s ?p ?o }"
LEAVES = {"oxytocin", "endorphins", "self-disclosure", "active-listening", "empathy"}


def slugs(bindings: list[dict[str, dict[str, str]]]) -> set[str]:
    return {b["c"]["value"].rsplit("/", 1)[-1] for b in bindings}


def test_get(server: Server) -> None:
    r = httpx.get(server.sparql, params={"query": SELECT})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/sparql-results+json")
    assert slugs(r.json()["results"]["bindings"]) == LEAVES


def test_post_form(server: Server) -> None:
    r = httpx.post(server.sparql, data={"query": SELECT})
    assert r.status_code == 200
    assert slugs(r.json()["results"]["bindings"]) == LEAVES


def test_post_direct(server: Server) -> None:
    r = httpx.post(
        server.sparql, content=SELECT.encode(), headers={"Content-Type": "application/sparql-query"}
    )
    assert r.status_code == 200
    assert slugs(r.json()["results"]["bindings"]) == LEAVES


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("application/json", "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
    ],
)
def test_select_formats(server: Server, accept: str, media: str) -> None:
    r = httpx.get(server.sparql, params={"query": SELECT}, headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(media)
    assert "Accept" in r.headers.get("vary", "")
    if media == "text/csv":
        rows = list(csv.reader(io.StringIO(r.text)))
        assert rows[0] == ["c"] and len(rows) == 6


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
    ],
)
def test_construct_formats(server: Server, accept: str, fmt: str) -> None:
    r = httpx.get(server.sparql, params={"query": CONSTRUCT}, headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(accept)
    g = Graph().parse(data=r.content, format=fmt)
    assert len(g) >= 4


def test_format_parameter_overrides_accept(server: Server) -> None:
    r = httpx.get(
        server.sparql,
        params={"query": SELECT, "format": "csv"},
        headers={"Accept": "application/sparql-results+xml"},
    )
    assert r.headers["content-type"].startswith("text/csv")


def test_ask(server: Server) -> None:
    r = httpx.get(server.sparql, params={"query": ASK})
    assert r.json() == {"head": {}, "boolean": True}


def test_not_acceptable(server: Server) -> None:
    r = httpx.get(server.sparql, params={"query": SELECT}, headers={"Accept": "image/png"})
    assert r.status_code == 406
    assert r.json()["code"] == "not-acceptable"


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", None])
def test_unsupported_media_type(server: Server, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    r = httpx.post(server.sparql, content=SELECT.encode(), headers=headers)
    assert r.status_code == 415
    assert r.json()["code"] == "unsupported-media-type"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"query": "SELECT * WHERE { ?s ?p }"}, "query-syntax"),
        ({"query": ["ASK {}", "ASK {}"]}, "bad-sparql-request"),
        ({"update": "INSERT DATA { <a:b> <a:c> <a:d> }"}, "update-needs-post"),
        ({"query": "INSERT DATA { <a:b> <a:c> <a:d> }"}, "update-on-query-route"),
        ({"query": "SELECT * WHERE { " * 100 + "}" * 100}, "too-deeply-nested"),
    ],
)
def test_bad_requests(server: Server, params: dict[str, object], code: str) -> None:
    r = httpx.get(server.sparql, params=params)  # type: ignore[arg-type]
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == code and body["message"]


def test_non_utf8_body(server: Server) -> None:
    r = httpx.post(
        server.sparql,
        content=b"SELECT * WHERE { ?s ?p \xff }",
        headers={"Content-Type": "application/sparql-query"},
    )
    assert r.status_code == 400
    assert r.json()["code"] == "invalid-utf8"


def test_body_too_large(server: Server) -> None:
    body = b"# " + b"x" * (5 * 1024 * 1024)
    r = httpx.post(
        server.sparql, content=body, headers={"Content-Type": "application/sparql-query"}
    )
    assert r.status_code == 413
    assert r.json()["code"] == "body-too-large"


def test_query_too_large(server: Server) -> None:
    r = httpx.post(
        server.sparql,
        content=("ASK {} #" + "x" * 200_000).encode(),
        headers={"Content-Type": "application/sparql-query"},
    )
    assert r.status_code == 400
    assert r.json()["code"] == "query-too-large"


def test_service_description(server: Server) -> None:
    r = httpx.get(server.sparql, headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    g = Graph().parse(data=r.text, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert any(str(o) == sd + "UnionDefaultGraph" for o in g.objects(None, None))
    assert any(str(o) == sd + "SPARQL11Query" for o in g.objects(None, None))


def test_cors(server: Server) -> None:
    r = httpx.get(server.sparql, params={"query": ASK}, headers={"Origin": "https://example.org"})
    assert r.headers["access-control-allow-origin"] == "*"
    pre = httpx.options(
        server.sparql,
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status_code == 200


def test_default_graph_is_union_and_graph_reaches_one(server: Server) -> None:
    union = httpx.get(server.sparql, params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"})
    one = httpx.get(
        server.sparql,
        params={
            "query": "SELECT (COUNT(*) AS ?n) { GRAPH <https://w3id.org/intimacy-graph/graph/registry>"
            " { ?s ?p ?o } }"
        },
    )
    n_union = int(union.json()["results"]["bindings"][0]["n"]["value"])
    n_one = int(one.json()["results"]["bindings"][0]["n"]["value"])
    assert n_union > n_one > 0


def test_default_graph_uri_selects_a_graph(server: Server) -> None:
    registry = "https://w3id.org/intimacy-graph/graph/registry"
    if server.backend == "virtuoso":  # documented in docs/deploy.md
        r = httpx.get(server.sparql, params={"query": "ASK {}", "default-graph-uri": registry})
        assert r.status_code == 400 and r.json()["code"] == "dataset-not-supported"
        return
    r = httpx.get(
        server.sparql,
        params={
            "query": "PREFIX ig: <https://w3id.org/intimacy-graph/ontology#> "
            "ASK { ?s a ig:CharacteristicStatement }",
            "default-graph-uri": registry,
        },
    )
    assert r.json()["boolean"] is False
    r = httpx.get(
        server.sparql,
        params={
            "query": "ASK { ?s a <https://w3id.org/intimacy-graph/ontology#Concept> }",
            "default-graph-uri": registry,
        },
    )
    assert r.json()["boolean"] is True


def test_sparqlwrapper_client(server: Server) -> None:
    from SPARQLWrapper import JSON, SPARQLWrapper

    client = SPARQLWrapper(server.sparql)
    client.setQuery(SELECT)
    client.setReturnFormat(JSON)
    result = client.query().convert()
    assert slugs(result["results"]["bindings"]) == LEAVES  # type: ignore[index]


def test_errors_are_json_with_code(server: Server) -> None:
    r = httpx.get(server.url + "/no/such/route")
    assert r.status_code == 404
    assert json.loads(r.text)["code"] == "no-such-route"
