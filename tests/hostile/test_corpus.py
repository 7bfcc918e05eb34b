"""The hostile-input corpus (``cases.toml``), each row against the real server over loopback.

For every row: the expected status and error code, never a 500, the server still answers
``/api/v1/health``, 0 connections to the loopback canary, the store unchanged (quad count and
snapshot generation), and an answer within the client's time bound.
"""

from __future__ import annotations

import socket
import time
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.canary import Canary
from tests.servers import Server

from .conftest import RESULTS, Outcome
from .generators import GENERATORS

HERE = Path(__file__).parent
CASES: list[dict[str, Any]] = tomllib.loads((HERE / "cases.toml").read_text("utf-8"))["case"]
#: The loop bound of one case: well above the 3 s query budget, so a hang fails the test.
CLIENT_TIMEOUT_S = 30.0


def _param(case: dict[str, Any]) -> Any:
    marks = []
    if "xfail" in case:
        marks.append(pytest.mark.xfail(reason=case["xfail"], strict=True))
    return pytest.param(case, id=case["id"], marks=marks)


def _fill(value: Any, canary: str) -> Any:
    if isinstance(value, str):
        return value.replace("{canary}", canary)
    if isinstance(value, dict):
        return {k: _fill(v, canary) for k, v in value.items()}
    return value


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _state(client: httpx.Client, server: Server) -> tuple[int, int]:
    stats = client.get(server.url + "/api/v1/stats", headers={"Cache-Control": "no-cache"})
    ready = client.get(server.url + "/api/v1/ready")
    return int(stats.json()["quads"]), int(ready.json()["generation"])


def _alive(client: httpx.Client, server: Server) -> bool:
    """The server answers its liveness probe (it may first finish a slow refusal)."""
    for _ in range(2):  # a connection the server closed after an error answer: retry once
        try:
            return client.get(server.url + "/api/v1/health", timeout=90).status_code == 200
        except httpx.TransportError:
            continue
    return False


_ROUTES: set[str] | None = None


def _routes(client: httpx.Client, server: Server) -> set[str]:
    global _ROUTES
    if _ROUTES is None:
        schema = client.get(server.url + "/openapi.json").json()
        _ROUTES = {f"{m.upper()} {p}" for p, ops in schema["paths"].items() for m in ops}
    return _ROUTES


def test_corpus_is_big_and_covers_every_category() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    assert len(CASES) >= 60
    assert {c["category"] for c in CASES} >= {
        "rdf",
        "body",
        "sparql",
        "injection",
        "jsonld",
        "xml",
        "unicode",
        "notes",
    }
    for case in CASES:
        assert "status" in case, case["id"]
        assert "body" not in case or "body_gen" not in case, case["id"]
        assert case.get("body_gen") is None or case["body_gen"] in GENERATORS, case["id"]


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_hostile_input(case: dict[str, Any], hostile_server: Server, canary: Canary) -> None:
    server = hostile_server
    with httpx.Client(timeout=CLIENT_TIMEOUT_S, trust_env=False) as client:
        if "needs" in case:
            method = case.get("method", "GET")
            if f"{method} {case['needs']}" not in _routes(client, server):
                pytest.skip(f"{method} {case['needs']} is not served yet (write path, issue #5)")
        headers = dict(_fill(case.get("headers", {}), canary.url))
        auth = case.get("auth")
        if auth == "editor":
            headers["Authorization"] = f"Bearer {server.editor_key}"
        elif auth == "reader":
            headers["Authorization"] = f"Bearer {server.reader_key}"
        if "body_gen" in case:
            content: Any = GENERATORS[case["body_gen"]](canary.url)
        elif "body" in case:
            content = _fill(case["body"], canary.url).encode("utf-8", "surrogatepass")
        else:
            content = None
        before = _state(client, server)
        connections_before = canary.connections
        started = time.monotonic()
        status: int | None = None
        code: str | None = None
        response: httpx.Response | None = None
        try:
            response = client.request(
                case.get("method", "GET"),
                server.url + _fill(case["path"], canary.url),
                params=_fill(case.get("params"), canary.url),
                headers=headers,
                content=content,
                timeout=float(case.get("budget_s", CLIENT_TIMEOUT_S)),
            )
            status = response.status_code
            if response.headers.get("content-type", "").startswith("application/json"):
                body = response.json()
                code = body.get("code") if isinstance(body, dict) else None
        finally:
            seconds = time.monotonic() - started
            alive = _alive(client, server)
            after = _state(client, server) if alive else (-1, -1)
            outbound = canary.connections - connections_before
            RESULTS.append(
                Outcome(
                    case["id"],
                    case["category"],
                    status,
                    code,
                    round(seconds, 3),
                    outbound,
                    after != before,
                    alive,
                )
            )
        assert response is not None
        assert status != 500, response.text[:500]
        assert status in _as_list(case["status"]), (status, response.text[:500])
        if "code" in case and status is not None and status >= 400:
            assert code in _as_list(case["code"]), (code, response.text[:500])
        if status is not None and status >= 400:
            assert code, f"error answers carry a machine-readable code: {response.text[:200]}"
        if case.get("truncated"):
            assert response.headers.get("x-truncated") == "true"
        if "conforms" in case:
            assert response.json()["conforms"] is case["conforms"]
        assert alive, "the server stopped answering /api/v1/health"
        assert outbound == 0, f"{outbound} outbound connection(s) to the canary"
        assert after == before, f"the store changed: (quads, generation) {before} -> {after}"


def test_slowloris_does_not_block_other_clients(hostile_server: Server) -> None:
    """Twenty clients that send half a request and wait: everyone else is still served."""
    host, port = hostile_server.url.removeprefix("http://").split(":")
    sockets = []
    try:
        for _ in range(20):
            s = socket.create_connection((host, int(port)), timeout=10)
            s.sendall(
                b"PUT /graph-store?graph=urn:x-hostile:slow HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: text/turtle\r\nContent-Length: 100000\r\n\r\n<urn:a>"
            )
            sockets.append(s)
        with httpx.Client(timeout=CLIENT_TIMEOUT_S) as client:
            for _ in range(5):
                assert client.get(hostile_server.url + "/api/v1/health").status_code == 200
                r = client.get(hostile_server.sparql, params={"query": "ASK { ?s ?p ?o }"})
                assert r.status_code == 200 and r.json()["boolean"] is True
    finally:
        for s in sockets:
            s.close()
