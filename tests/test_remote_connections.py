"""The remote store's kept-alive query connections (store/http.py), on real loopback servers:
a scripted HTTP/1.1 server for the edge cases, and the test Virtuoso for the real thing."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from intimacy_graph.errors import QuerySyntaxError, QueryTimeoutError, StoreError
from intimacy_graph.store.http import poolable
from intimacy_graph.store.sparql import RemoteStore
from tests.backends import virtuoso_store

ANSWER = json.dumps(
    {"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "uri", "value": "urn:a"}}]}}
).encode()

Q = "SELECT ?s WHERE { ?s ?p ?o }"
Reply = Callable[["Handler"], None]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless told otherwise
    server: Scripted

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        with self.server.lock:
            self.server.requests.append((self.path, self.client_address[1]))
            reply = self.server.replies.pop(0) if self.server.replies else None
        (reply or ok)(self)

    do_GET = do_POST

    def log_message(self, *args: object) -> None:
        return None


class Scripted(http.server.ThreadingHTTPServer):
    """Answers each request with the next scripted reply (SPARQL JSON 200 when none is left)
    and counts connections."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.connections = 0
        self.requests: list[tuple[str, int]] = []
        self.replies: list[Reply] = []

    def get_request(self) -> tuple[Any, Any]:
        request = super().get_request()
        with self.lock:
            self.connections += 1
        return request

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/sparql"


def ok(handler: Handler, *, close: bool = False) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/sparql-results+json")
    handler.send_header("Content-Length", str(len(ANSWER)))
    if close:
        handler.send_header("Connection", "close")
        handler.close_connection = True
    handler.end_headers()
    handler.wfile.write(ANSWER)


def status(code: int, body: bytes = b"", **headers: str) -> Reply:
    def reply(handler: Handler) -> None:
        handler.send_response(code)
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return reply


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    server = Scripted()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_queries_reuse_one_connection(scripted: Scripted) -> None:
    store = RemoteStore(scripted.url, timeout_s=5)
    for _ in range(5):
        assert [str(r["s"]) for r in store.select("SELECT ?s WHERE { ?s ?p ?o }")] == ["urn:a"]
    assert scripted.connections == 1
    assert len(scripted.requests) == 5
    store.close()


def test_a_connection_the_server_closes_is_not_reused(scripted: Scripted) -> None:
    store = RemoteStore(scripted.url, timeout_s=5)
    scripted.replies.append(lambda h: ok(h, close=True))
    store.select(Q)
    store.select(Q)
    store.select(Q)
    assert scripted.connections == 2
    store.close()


def silently_closed(handler: Handler) -> None:
    """A keep-alive answer after which the server closes the connection anyway: what an idle
    timeout on the server does between two of our requests."""
    ok(handler)
    handler.close_connection = True


def test_a_connection_closed_while_idle_is_retried_once(scripted: Scripted) -> None:
    store = RemoteStore(scripted.url, timeout_s=5)
    for _ in range(3):
        scripted.replies.append(silently_closed)
        assert [str(r["s"]) for r in store.select("SELECT ?s WHERE { ?s ?p ?o }")] == ["urn:a"]
    assert scripted.connections == 3
    # every query was sent once more at most: 3 answered, none lost, none sent three times
    assert len(scripted.requests) == 3
    store.close()


def test_errors_are_the_same_as_through_urlopen(scripted: Scripted) -> None:
    store = RemoteStore(scripted.url, timeout_s=5)
    scripted.replies.append(status(400, b"Virtuoso 37000 Error SP030: syntax error"))
    with pytest.raises(QuerySyntaxError, match="SP030"):
        store.select("SELECT * WHERE { ?s ?p ?o }")
    scripted.replies.append(status(500, b"Virtuoso S1T00 Error SR171: Transaction timed out"))
    with pytest.raises(QueryTimeoutError):
        store.select("SELECT * WHERE { ?s ?p ?o }")
    # what Virtuoso's deadline gave instead of an "anytime" answer in a run on a busy machine
    scripted.replies.append(
        status(500, b"Virtuoso HY008 Error SR203: Async statement killed by SQLCancel.")
    )
    with pytest.raises(QueryTimeoutError):
        store.select("SELECT * WHERE { ?s ?p ?o }")
    scripted.replies.append(status(401, b"no"))
    with pytest.raises(StoreError) as refused:
        store.select("SELECT * WHERE { ?s ?p ?o }")
    assert refused.value.details["status"] == 401
    scripted.replies.append(status(418, b"teapot"))
    with pytest.raises(StoreError) as odd:
        store.select("SELECT * WHERE { ?s ?p ?o }")
    assert odd.value.details["status"] == 418
    # Virtuoso's partial ("anytime") answer is refused on this path too.
    scripted.replies.append(status(200, ANSWER, X_SQL_State="S1TAT"))
    with pytest.raises(QueryTimeoutError):
        store.select("SELECT * WHERE { ?s ?p ?o }")
    # and after all that the connection still works
    assert len(store.select(Q)) == 1
    store.close()


def test_a_redirect_is_followed_the_ordinary_way(scripted: Scripted) -> None:
    store = RemoteStore(scripted.url, timeout_s=5)
    moved = status(303, Location=scripted.url.replace("/sparql", "/moved"))
    scripted.replies += [moved, moved]
    rows = store.select("SELECT ?s WHERE { ?s ?p ?o }")
    assert [str(r["s"]) for r in rows] == ["urn:a"]
    # the pool sees the redirect and hands the request to urlopen, which follows it
    paths = [path for path, _ in scripted.requests]
    assert paths == ["/sparql", "/sparql", "/moved"]
    store.close()


def test_a_proxied_endpoint_is_left_to_urlopen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert not poolable("http://store.example/sparql")
    assert RemoteStore("http://store.example/sparql")._pool is None
    monkeypatch.setenv("no_proxy", "store.example")
    assert poolable("http://store.example/sparql")
    assert not poolable("ftp://store.example/sparql")


def test_digest_credentials_are_left_to_urlopen() -> None:
    digest = RemoteStore.virtuoso("http://127.0.0.1:9/sparql-auth", user="u", password="p")
    assert digest._pool is None
    basic = RemoteStore("http://127.0.0.1:9/sparql", user="u", password="p")
    assert basic._pool is not None


def test_virtuoso_queries_share_connections(virtuoso_server: str) -> None:
    """On the real server: many queries from several threads, answers all complete."""
    store = virtuoso_store(virtuoso_server)
    results: list[bool] = []

    def ask() -> None:
        for _ in range(20):
            results.append(store.ask("ASK { FILTER(1 = 1) }"))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == [True] * 80
    assert store._pool is not None and 1 <= len(store._pool._idle) <= 4
    store.close()
    assert store._pool._idle == []
