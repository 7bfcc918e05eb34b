"""``/sparql`` served from the middleware stack (api/fastpath.py) answers exactly as the router
would: the same requests, sent to one application with the fast path and to one without it
(over the same started service), get the same status, headers and body."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from intimacy_graph.api import create_app
from intimacy_graph.api.fastpath import SparqlFastPath
from intimacy_graph.config import Settings
from intimacy_graph.keys import KeyRing, Role

SELECT = (
    "SELECT ?c WHERE { ?c a <http://www.w3.org/2004/02/skos/core#Concept> } ORDER BY ?c LIMIT 3"
)
FORM = "application/x-www-form-urlencoded"


def _routed(app: FastAPI) -> FastAPI:
    """``app`` with the fast path switched off (before its middleware stack is built)."""
    for middleware in app.user_middleware:
        if middleware.cls is SparqlFastPath:  # type: ignore[comparison-overlap]
            middleware.kwargs["handlers"] = {}
    return app


@pytest.fixture(scope="module")
def clients(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, TestClient, str]]:
    folder = tmp_path_factory.mktemp("fastpath")
    settings = Settings(
        store_path=folder / "store",
        data_dir=folder / "data",
        rate_limit_expensive_per_s=0,
        rate_limit_cheap_per_s=0,
        query_workers=1,
        max_rows=2,
    )
    reader_key, _ = KeyRing(settings.keys_file).create(Role.READER, "fastpath reader")
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as fast:  # starts the service
        other = _routed(create_app(settings, service=app.state.service))
        yield fast, TestClient(other, raise_server_exceptions=False), reader_key


def _requests(reader_key: str) -> list[tuple[str, str, dict[str, str], bytes]]:
    q = quote(SELECT)
    return [
        ("GET", f"/sparql?query={q}", {"Accept": "application/sparql-results+json"}, b""),
        ("GET", f"/sparql?query={q}", {"Accept": "text/csv"}, b""),
        ("GET", f"/sparql?query={q}", {"Accept": "image/png"}, b""),  # 406
        ("GET", f"/sparql?query={q}&query={q}", {}, b""),  # repeated parameter
        ("GET", "/sparql?query=SELEC%20*", {}, b""),  # syntax error
        ("GET", "/sparql?query=ASK%20%7B%7D", {"Accept": "application/sparql-results+xml"}, b""),
        ("GET", "/sparql", {"Accept": "text/turtle"}, b""),  # service description
        ("GET", "/sparql", {"Accept": "text/html"}, b""),  # the query page
        ("GET", "/sparql?update=CLEAR%20ALL", {}, b""),  # update over GET
        ("POST", "/sparql", {"Content-Type": FORM}, f"query={q}".encode()),
        ("POST", "/sparql", {"Content-Type": "application/sparql-query"}, SELECT.encode()),
        ("POST", "/sparql", {"Content-Type": "text/plain"}, SELECT.encode()),  # 415
        ("POST", "/sparql", {"Content-Type": FORM}, b"query=\xff"),  # not UTF-8
        ("POST", "/sparql", {"Content-Type": FORM}, b""),  # no query
        ("POST", "/sparql", {"Content-Type": FORM}, b"update=CLEAR%20ALL"),  # no key
        (
            "POST",
            "/sparql",
            {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {reader_key}"},
            b"CLEAR ALL",
        ),  # a reader's key
        (
            "POST",
            "/sparql",
            {"Content-Type": FORM},
            b"query=SELECT%20*%20WHERE%20%7B%20SERVICE%20%3Chttp%3A%2F%2F127.0.0.1%3A9%2F%3E%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20%7D",
        ),  # SERVICE refused
        (
            "POST",
            "/sparql",
            {"Content-Type": "application/sparql-query"},
            b"CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5",
        ),  # truncated at max_rows=2
        ("HEAD", f"/sparql?query={q}", {}, b""),
        (
            "OPTIONS",
            "/sparql",
            {"Origin": "https://example.org", "Access-Control-Request-Method": "POST"},
            b"",
        ),
        ("PUT", "/sparql", {}, b""),  # 405
    ]


def test_the_fast_path_answers_as_the_router(clients: tuple[TestClient, TestClient, str]) -> None:
    fast, routed, reader_key = clients
    statuses = []
    for method, url, headers, body in _requests(reader_key):
        a = fast.request(
            method, url, headers={"Origin": "https://example.org", **headers}, content=body
        )
        b = routed.request(
            method, url, headers={"Origin": "https://example.org", **headers}, content=body
        )
        where = f"{method} {url[:60]} {headers}"
        assert a.status_code == b.status_code, where
        assert a.content == b.content, where
        drop = {"date", "content-length"}
        assert {k: v for k, v in a.headers.items() if k not in drop} == {
            k: v for k, v in b.headers.items() if k not in drop
        }, where
        assert a.status_code < 500, where
        statuses.append(a.status_code)
    # answers, refusals and errors of every kind the route gives, in the order sent
    assert statuses[:14] == [200, 200, 406, 400, 400, 200, 200, 200, 400, 200, 200, 415, 400, 400]
    assert statuses[14:] == [401, 403, 400, 200, 405, 200, 405]
    rows = fast.get(f"/sparql?query={quote(SELECT)}", headers={"Accept": "text/csv"})
    assert rows.text.count("\n") == 3 and rows.headers["x-truncated"] == "true"


def test_the_fast_path_is_taken(
    clients: tuple[TestClient, TestClient, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a vacuous comparison: the fast app really answers /sparql without the router."""
    fast, routed, _ = clients
    from starlette.routing import Router

    calls: list[str] = []
    original = Router.__call__

    async def spy(self: Router, scope, receive, send):  # type: ignore[no-untyped-def]
        calls.append(scope["path"])
        await original(self, scope, receive, send)

    monkeypatch.setattr(Router, "__call__", spy)
    assert fast.get("/sparql?query=ASK%20%7B%7D").status_code == 200
    assert calls == []
    assert routed.get("/sparql?query=ASK%20%7B%7D").status_code == 200
    assert calls  # the comparison app went through the router
    assert fast.get("/api/v1/health").status_code in (200, 503)
    assert "/api/v1/health" in calls  # other paths still do
