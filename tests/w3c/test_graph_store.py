"""W3C SPARQL 1.1 Graph Store HTTP Protocol tests (``graph-store-protocol/manifest.ttl``).

One test per ``mf:GraphStoreProtocolTest``, its requests sent in order to ``/graph-store``
(the manifest's ``/gsp``) on a store reset to no test graphs; PUT, POST and DELETE carry the
editor key.  Also here: writes without a key get 401, with a reader key 403, and reads are open.
"""

from __future__ import annotations

import httpx
import pytest

from .endpoint import Endpoint
from .http_tests import run
from .manifest import HttpRequest, HttpTest, graph_store_tests, params, skip_if_missing

skip_if_missing()

WRITES = ("PUT", "POST", "DELETE")


def is_write(request: HttpRequest) -> bool:
    return request.method in WRITES


@pytest.mark.parametrize("test", params("graph-store", graph_store_tests()))
def test_graph_store(write_endpoint: Endpoint, test: HttpTest) -> None:
    write_endpoint.reset()
    run(write_endpoint, test, prefix="/gsp", ours="/graph-store", needs_key=is_write)


GRAPH = "http://example.org/auth-check"
BODY = b"<http://example.org/s> <http://example.org/p> <http://example.org/o> ."


def _write(endpoint: Endpoint, method: str, auth: dict[str, str]) -> httpx.Response:
    content = None if method == "DELETE" else BODY
    headers = {**auth} if content is None else {"Content-Type": "text/turtle", **auth}
    return endpoint.http.request(
        method, "/graph-store", params={"graph": GRAPH}, content=content, headers=headers
    )


@pytest.mark.parametrize("method", WRITES)
def test_write_without_key_is_unauthorized(write_endpoint: Endpoint, method: str) -> None:
    write_endpoint.reset(empty=[GRAPH])
    response = _write(write_endpoint, method, {})
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("method", WRITES)
def test_write_with_reader_key_is_forbidden(write_endpoint: Endpoint, method: str) -> None:
    write_endpoint.reset(empty=[GRAPH])
    reader = {"Authorization": f"Bearer {write_endpoint.server.reader_key}"}
    response = _write(write_endpoint, method, reader)
    assert response.status_code == 403, response.text


def test_refused_writes_change_nothing(write_endpoint: Endpoint) -> None:
    write_endpoint.reset()
    reader = {"Authorization": f"Bearer {write_endpoint.server.reader_key}"}
    for method in WRITES:
        for auth in ({}, reader):
            assert _write(write_endpoint, method, auth).status_code in (401, 403)
    assert GRAPH not in write_endpoint.named_graphs()


def test_read_needs_no_key(write_endpoint: Endpoint) -> None:
    write_endpoint.reset()
    assert _write(write_endpoint, "PUT", write_endpoint.editor).status_code == 201
    response = write_endpoint.http.get(
        "/graph-store", params={"graph": GRAPH}, headers={"Accept": "application/n-triples"}
    )
    assert response.status_code == 200, response.text
    assert response.content.strip() == BODY
