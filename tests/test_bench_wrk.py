"""The wrk load generator of the benchmark (``bench/wrkload.py`` + ``bench/wrk_post.lua``)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs

import pytest
from bench import wrkload
from bench.loadgen import ACCEPT, NotLoopbackError


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as wrk expects
    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        query = parse_qs(body)["query"][0]
        self.seen.append(query)
        ok = self.headers["Accept"] == ACCEPT and query != "refuse me"
        answer = b'{"boolean": true}'
        self.send_response(200 if ok else 400)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def do_GET(self) -> None:
        self.seen.append(self.path)
        ok = self.headers["Accept-Encoding"] == "gzip" and "refuse" not in self.path
        answer = b"{}"
        self.send_response(200 if ok else 404)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    _Handler.seen = []
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/sparql"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_refuses_anything_but_loopback() -> None:
    with pytest.raises(NotLoopbackError):
        wrkload.run_load("http://localhost:1/sparql", ["ASK {}"], duration_s=1)


def test_parse_output_needs_the_marker() -> None:
    with pytest.raises(wrkload.WrkError):
        wrkload.parse_output("Running 1s test\n")
    found = wrkload.parse_output('noise\nWRK_JSON {"requests": 3}\n')
    assert found == {"requests": 3}


def require_wrk() -> None:
    """Skip without wrk; fail instead in CI, which installs it (.ci/apt-packages)."""
    if not wrkload.available():
        message = "wrk is not installed: apt-get install wrk (.ci/apt-packages)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def test_sends_every_query_in_order_and_counts(server: str) -> None:
    require_wrk()
    queries = [f"ASK {{ <urn:q{i}> ?p ?o }}" for i in range(5)]
    result = wrkload.run_load(server, queries, concurrency=1, duration_s=1)
    summary = result.summary()
    assert summary["errors"] == 0 and summary["requests"] > 5
    assert summary["client"] == "wrk" and summary["p50_ms"] > 0
    # One connection cycles through the file (wrk builds one request ahead at start-up).
    first = _Handler.seen[:5]
    assert sorted(first) == queries
    start = queries.index(first[0])
    assert first == queries[start:] + queries[:start]


def test_a_non_2xx_answer_is_an_error(server: str) -> None:
    require_wrk()
    result = wrkload.run_load(server, ["refuse me"], concurrency=1, duration_s=1)
    assert result.errors > 0 and result.requests == 0
    assert result.error_samples and result.error_samples[0].startswith("HTTP 400")


def test_gets_cycle_through_the_urls_and_count_errors(server: str) -> None:
    require_wrk()
    origin = server.removesuffix("/sparql")
    paths = [f"/api/v1/concepts/c{i}?q=a%20b" for i in range(4)]
    result = wrkload.run_get([origin + p for p in paths], concurrency=1, duration_s=1)
    assert result.errors == 0 and result.requests > 4
    assert sorted(_Handler.seen[:4]) == sorted(paths)
    refused = wrkload.run_get([origin + "/refuse"], concurrency=1, duration_s=1)
    assert refused.requests == 0 and refused.errors > 0
    with pytest.raises(ValueError, match="every URL"):
        wrkload.run_get([origin + "/a", "http://127.0.0.2:1/b"], concurrency=1, duration_s=1)
