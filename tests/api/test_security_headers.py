"""The security headers: a pure ASGI middleware that adds them to every answer, keeps a route's
own values, and leaves the body streaming untouched."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from intimacy_graph.api.app import SECURITY_HEADERS, SecurityHeaders
from intimacy_graph.web.sparql_page import CONTENT_SECURITY_POLICY
from tests.servers import Server

EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "content-security-policy": CONTENT_SECURITY_POLICY,
}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/health",
        "/api/v1/concepts/trust",
        "/api/v1/concepts/empaty",  # 404 from a domain error
        "/no/such/route",  # 404 from routing
        "/api/v1/concepts?limit=0",  # 400 from parameter validation
        "/static/js/sparql-page.js",  # a mounted static file
        "/sparql",  # the HTML query page
        "/concept/trust",  # Linked Data
    ],
)
def test_every_answer_carries_the_headers(server: Server, path: str) -> None:
    r = httpx.get(server.url + path, timeout=30, headers={"Accept": "text/html"})
    for name, value in EXPECTED.items():
        assert r.headers.get_list(name) == [value], (path, name, r.status_code)


def test_conditional_304_carries_the_headers(server: Server) -> None:
    first = httpx.get(server.url + "/api/v1/concepts/trust", timeout=30)
    again = httpx.get(
        server.url + "/api/v1/concepts/trust",
        headers={"If-None-Match": first.headers["etag"]},
        timeout=30,
    )
    assert again.status_code == 304
    assert again.headers["x-content-type-options"] == "nosniff"


async def _own(request: Request) -> Response:
    return PlainTextResponse(
        "own", headers={"Referrer-Policy": "same-origin", "content-security-policy": "x"}
    )


async def _stream(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(3):
            yield f"chunk{i};".encode()

    return StreamingResponse(chunks(), media_type="text/plain")


def _client() -> TestClient:
    app = Starlette(routes=[Route("/own", _own), Route("/stream", _stream)])
    return TestClient(SecurityHeaders(app))


def test_a_routes_own_values_win_and_are_not_duplicated() -> None:
    r = _client().get("/own")
    assert r.headers.get_list("referrer-policy") == ["same-origin"]
    assert r.headers.get_list("content-security-policy") == ["x"]
    assert r.headers.get_list("x-content-type-options") == ["nosniff"]


def test_streamed_bodies_pass_through() -> None:
    r = _client().get("/stream")
    assert r.text == "chunk0;chunk1;chunk2;"
    assert {name.decode() for name, _ in SECURITY_HEADERS} <= set(r.headers)


def test_non_http_scopes_are_passed_on() -> None:
    seen: list[str] = []

    async def inner(scope: dict[str, object], receive: object, send: object) -> None:
        seen.append(str(scope["type"]))

    asyncio.run(SecurityHeaders(inner)({"type": "lifespan"}, None, None))  # type: ignore[arg-type]
    assert seen == ["lifespan"]
