"""A remote store when Virtuoso is slow, refuses us, goes away or is killed.

Uses the session's Virtuoso (``virtuoso_server``) and, for the outage itself, a second private
instance that the test stops and kills. Every wait is bounded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef

from intimacy_graph.errors import QueryTimeoutError, StoreError, StoreUnavailableError
from intimacy_graph.namespaces import DEFAULT_BASE
from intimacy_graph.store.sparql import RemoteStore

pytest_plugins = ["tests.backends"]  # also in tests/conftest.py; registered once

pytestmark = pytest.mark.virtuoso

EX = Namespace(DEFAULT_BASE + "test/")
G = URIRef(DEFAULT_BASE + "graph/test-outage")
SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "virtuoso.sh"
#: Three-way cross product of Virtuoso's own ~2500 system triples: runs for minutes.
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_server_time_limit_is_an_error_not_partial_results(virtuoso_server: str) -> None:
    # Virtuoso answers 200 with whatever it has when its `timeout` runs out ("anytime"
    # queries, here: no row at all for a COUNT); the store turns that into an error.
    store = RemoteStore.virtuoso(virtuoso_server, timeout_s=1, grace_s=60)  # a busy CI machine
    started = time.monotonic()
    with pytest.raises(QueryTimeoutError):
        store.select(SLOW)
    assert time.monotonic() - started < 30


def test_digest_credentials(virtuoso_server: str) -> None:
    endpoint = virtuoso_server.auth_endpoint  # type: ignore[attr-defined]
    user, password = virtuoso_server.writer  # type: ignore[attr-defined]
    writer = RemoteStore.virtuoso(endpoint, user=user, password=password)
    writer.replace_graphs({G: Graph().add((EX.a, EX.p, Literal("by digest")))})
    try:
        assert writer.select(f"SELECT ?o WHERE {{ GRAPH <{G}> {{ ?s ?p ?o }} }}") == [
            {"o": Literal("by digest")}
        ]
        intruder = RemoteStore.virtuoso(endpoint, user=user, password=password + "x")
        with pytest.raises(StoreError) as refused:
            intruder.update(f"DROP SILENT GRAPH <{G}>")
        assert refused.value.details.get("status") == 401
        with pytest.raises(StoreError):
            RemoteStore.virtuoso(endpoint).ask("ASK {}")  # no credentials at all
    finally:
        writer.update(f"DROP SILENT GRAPH <{G}>")


def start_virtuoso(folder: Path, port: int | None = None, **env: str) -> int:
    # imported late: tests.backends is a plugin (pytest_plugins) and must not be imported first
    from tests.backends import start_virtuoso as start

    return start(folder, port, env=env)


@pytest.fixture
def private_virtuoso(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    folder = tmp_path / "virtuoso"
    port = start_virtuoso(folder)
    try:
        yield folder, port
    finally:
        script("stop", str(folder))


@pytest.mark.slow
def test_outage_and_restart(private_virtuoso: tuple[Path, int]) -> None:
    folder, port = private_virtuoso
    store = RemoteStore.virtuoso(f"http://127.0.0.1:{port}/sparql", timeout_s=5)
    store.replace_graphs({G: Graph().add((EX.a, EX.p, Literal("acknowledged")))})

    # stopped: every call fails fast with the typed error
    assert script("stop", str(folder)).returncode == 0
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError):
        store.named_graphs()
    with pytest.raises(StoreUnavailableError):
        store.update(f"DROP SILENT GRAPH <{G}>")
    assert time.monotonic() - started < 2

    # restarted: the acknowledged write is there
    start_virtuoso(folder, port)
    assert len(store.graph(G)) == 1

    # killed (SIGKILL) right after an acknowledged write, then restarted: still there
    store.replace_graphs({G: Graph().add((EX.a, EX.p, Literal("before the kill")))})
    pid = int((folder / "virtuoso.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    start_virtuoso(folder, port)
    assert store.select(f"SELECT ?o WHERE {{ GRAPH <{G}> {{ ?s ?p ?o }} }}") == [
        {"o": Literal("before the kill")}
    ]


@pytest.fixture
def impatient_virtuoso(tmp_path: Path) -> Iterator[str]:
    """A private Virtuoso that stops any query or update after 2 s."""
    folder = tmp_path / "virtuoso"
    port = start_virtuoso(folder, VIRTUOSO_MAX_EXECUTION_S="2")
    try:
        yield f"http://127.0.0.1:{port}/sparql"
    finally:
        script("stop", str(folder))


def objects(store: RemoteStore, graph: URIRef) -> list[str]:
    return sorted(str(t[2]) for t in store.graph(graph))


#: Two-way cross product with a string filter: seconds of work, under Virtuoso's estimate cap.
LONG = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f "
    "FILTER(CONCAT(STR(?c), STR(?a)) < CONCAT(STR(?f), STR(?d))) }"
)

SLOW_RULE = (
    f"INSERT {{ GRAPH <{G}/rule> {{ <urn:x> <urn:n> ?n }} }} "
    "WHERE { { SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } } }"
)


@pytest.mark.slow
def test_write_stopped_by_the_server_limit_leaves_nothing(impatient_virtuoso: str) -> None:
    store = RemoteStore.virtuoso(impatient_virtuoso, update_timeout_s=30)  # longer than 2 s
    store.replace_graphs({G: Graph().add((EX.a, EX.p, Literal("old")))})
    new = Graph().add((EX.a, EX.p, Literal("new")))
    with pytest.raises(QueryTimeoutError):
        store.replace_graphs({G: new}, then=[SLOW_RULE])
    assert objects(store, G) == ["old"]
    assert objects(store, URIRef(f"{G}/rule")) == []


@pytest.mark.slow
def test_write_the_client_gave_up_on_may_be_applied_in_part(impatient_virtuoso: str) -> None:
    """Measured Virtuoso behaviour (docs/deploy.md): when the client has gone away, the
    operations before the one the server stopped are committed, not rolled back."""
    store = RemoteStore.virtuoso(impatient_virtuoso)
    store.replace_graphs({G: Graph().add((EX.a, EX.p, Literal("old")))})
    # the client waits 1 s, the server 2 s
    hasty = RemoteStore.virtuoso(impatient_virtuoso, update_timeout_s=0.5, grace_s=0)
    with pytest.raises(StoreUnavailableError) as gone:
        hasty.replace_graphs({G: Graph().add((EX.a, EX.p, Literal("new")))}, then=[SLOW_RULE])
    assert gone.value.details["applied"] == "unknown"
    deadline = time.monotonic() + 15
    while objects(store, G) == ["old"] and time.monotonic() < deadline:
        time.sleep(0.5)
    assert objects(store, G) == ["new"]  # the first operations were kept...
    assert objects(store, URIRef(f"{G}/rule")) == []  # ...the stopped one was not


@pytest.mark.slow
def test_service_answers_503_while_virtuoso_is_away_then_recovers_without_restart(
    private_virtuoso: tuple[Path, int], tmp_path: Path
) -> None:
    """The whole service over a Virtuoso that is killed mid-request, stopped and restarted:
    clear 503s with a code while it is away, then answers again with no restart of ours."""
    import threading

    import httpx

    from tests.servers import run_server

    folder, port = private_virtuoso
    args = [
        "--backend",
        "sparql",
        "--remote-flavour",
        "virtuoso",
        "--query-endpoint",
        f"http://127.0.0.1:{port}/sparql",
    ]
    env = {"INTIMACY_GRAPH_QUERY_TIMEOUT_S": "20"}
    ask = {"query": "ASK { ?s ?p ?o }"}
    with run_server(tmp_path / "store", args=args, env=env) as srv:
        assert httpx.get(srv.sparql, params=ask, timeout=30).json()["boolean"] is True
        assert httpx.get(srv.url + "/api/v1/concepts/trust", timeout=30).status_code == 200

        # a long query in flight when Virtuoso is killed gets a clear answer, not a hang or 500
        in_flight: list[httpx.Response] = []
        worker = threading.Thread(
            target=lambda: in_flight.append(
                httpx.get(srv.sparql, params={"query": LONG}, timeout=60)
            )
        )
        worker.start()
        time.sleep(1.5)
        pid = int((folder / "virtuoso.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        worker.join(timeout=60)
        assert in_flight and in_flight[0].status_code == 503, in_flight
        assert in_flight[0].json()["code"] in ("store-unavailable", "store-error"), in_flight[
            0
        ].text

        # while it is away: 503 with a code and Retry-After on every route that needs it
        for path, params in (("/sparql", ask), ("/api/v1/concepts/trust/related", None)):
            r = httpx.get(srv.url + path, params=params, timeout=30)
            assert r.status_code == 503, (path, r.status_code, r.text[:300])
            assert r.json()["code"] in ("store-unavailable", "store-error")
            assert "retry-after" in r.headers
        assert httpx.get(srv.url + "/api/v1/health", timeout=10).status_code == 200

        # Virtuoso back on the same port: our service answers again, never restarted
        start_virtuoso(folder, port)
        pid_before = srv.process.pid
        deadline = time.monotonic() + 30
        status = 0
        while time.monotonic() < deadline:
            status = httpx.get(srv.sparql, params=ask, timeout=30).status_code
            if status == 200:
                break
            time.sleep(0.5)
        assert status == 200
        assert srv.process.poll() is None and srv.process.pid == pid_before
        assert httpx.get(srv.url + "/api/v1/concepts/trust", timeout=30).status_code == 200
