"""No query can hurt the service: no outbound traffic, deadlines, crashes, row caps, auth,
and readers that never see a half-applied write (issue: safe SPARQL endpoint)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.canary import Canary
from tests.servers import Server, run_server

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    c = Canary()
    yield c
    c.close()


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with a 2 s deadline, a 5-row cap and no nesting limit (to reach a crash)."""
    store = tmp_path_factory.mktemp("tight") / "store"
    env = {
        "INTIMACY_GRAPH_QUERY_TIMEOUT_S": "2",
        "INTIMACY_GRAPH_MAX_ROWS": "5",
        "INTIMACY_GRAPH_MAX_QUERY_DEPTH": "1000000",
    }
    with run_server(store, env=env) as handle:
        yield handle


def outbound_queries(url: str) -> list[str]:
    return [
        f"SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{url}/sparql> {{ ?s ?p ?o }} }}",
        f"select * where {{ service <{url}/x> {{ ?s ?p ?o }} }}",
        f"SELECT * FROM <{url}/data.ttl> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{url}/data.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"PREFIX x: <{url}/> SELECT * FROM x:data WHERE {{ ?s ?p ?o }}",
        f"SELECT * WHERE {{ \\u0053ERVICE <{url}/s> {{ ?s ?p ?o }} }}",
        "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
        "SELECT * WHERE { SERVICE <file:///etc/passwd> { ?s ?p ?o } }",
    ]


def outbound_updates(url: str) -> list[str]:
    return [
        f"LOAD <{url}/data.ttl>",
        f"LOAD SILENT <{url}/data.ttl> INTO GRAPH <urn:g>",
        f"INSERT {{ GRAPH <urn:g> {{ ?s ?p ?o }} }} WHERE {{ SERVICE <{url}/s> {{ ?s ?p ?o }} }}",
        f"INSERT {{ GRAPH <urn:g> {{ ?s ?p ?o }} }} USING <{url}/d> WHERE {{ ?s ?p ?o }}",
        "LOAD <file:///etc/passwd>",
    ]


def test_no_outbound_connection_from_any_query_form(server: Server, canary: Canary) -> None:
    for query in outbound_queries(canary.url):
        for send in (
            lambda q: httpx.get(server.sparql, params={"query": q}),
            lambda q: httpx.post(server.sparql, data={"query": q}),
        ):
            r = send(query)
            assert r.status_code == 400, (query, r.text)
            assert r.json()["code"] in ("service-refused", "remote-dataset-refused"), query
    for param in ("default-graph-uri", "named-graph-uri"):
        r = httpx.get(server.sparql, params={"query": "ASK { ?s ?p ?o }", param: canary.url + "/g"})
        assert r.status_code == 400
        assert r.json()["code"] in ("remote-dataset-refused", "dataset-not-supported")
    assert canary.hits == 0


def test_no_outbound_connection_from_updates(server: Server, canary: Canary) -> None:
    for update in outbound_updates(canary.url):
        r = httpx.post(server.sparql, data={"update": update}, headers=server.editor())
        assert r.status_code == 400, (update, r.text)
        assert r.json()["code"] in ("load-refused", "service-refused", "remote-dataset-refused"), (
            update
        )
    assert canary.hits == 0


def test_runaway_query_is_stopped_and_service_goes_on(tight: Server) -> None:
    started = time.monotonic()
    r = httpx.get(tight.sparql, params={"query": RUNAWAY}, timeout=30)
    elapsed = time.monotonic() - started
    assert r.status_code == 503
    assert r.json()["code"] == "query-timeout"
    assert elapsed < 15
    ok = httpx.get(tight.sparql, params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
    assert ok.status_code == 200 and ok.json()["boolean"] is True


def test_crashing_query_costs_one_worker(tight: Server) -> None:
    deep = "SELECT * WHERE " + "{" * 20000 + "}" * 20000
    r = httpx.post(
        tight.sparql,
        content=deep.encode(),
        headers={"Content-Type": "application/sparql-query"},
        timeout=60,
    )
    assert r.status_code == 400
    assert r.json()["code"] == "query-crashed-engine"
    for _ in range(3):
        ok = httpx.get(tight.sparql, params={"query": "ASK { ?s ?p ?o }"}, timeout=60)
        assert ok.status_code == 200
    ready = httpx.get(tight.url + "/api/v1/ready").json()
    assert ready["worker_restarts"] >= 1


def test_row_cap_signals_truncation(tight: Server) -> None:
    r = httpx.get(tight.sparql, params={"query": "SELECT * WHERE { ?s ?p ?o }"}, timeout=30)
    assert r.status_code == 200
    assert len(r.json()["results"]["bindings"]) == 5
    assert r.headers["x-truncated"] == "true"
    assert r.headers["x-sparql-maxrows"] == "5"
    small = httpx.get(tight.sparql, params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 3"})
    assert "x-truncated" not in small.headers
    g = httpx.get(
        tight.sparql,
        params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
        headers={"Accept": "application/n-triples"},
    )
    assert len(g.text.strip().splitlines()) == 5 and g.headers["x-truncated"] == "true"


def test_update_needs_an_editor_key(server: Server) -> None:
    update = "INSERT DATA { GRAPH <urn:x-test:auth> { <urn:a> <urn:b> <urn:c> } }"
    r = httpx.post(server.sparql, data={"update": update})
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    r = httpx.post(
        server.sparql,
        data={"update": update},
        headers={"Authorization": f"Bearer {server.reader_key}"},
    )
    assert r.status_code == 403
    r = httpx.post(
        server.sparql, data={"update": update}, headers={"Authorization": "Bearer ig_nothing_here"}
    )
    assert r.status_code == 401
    gsp = httpx.put(
        server.url + "/graph-store",
        params={"graph": "urn:x-test:auth"},
        content=b"<urn:a> <urn:b> <urn:c> .",
        headers={"Content-Type": "application/n-triples"},
    )
    assert gsp.status_code == 401
    ask = httpx.get(server.sparql, params={"query": "ASK { GRAPH <urn:x-test:auth> { ?s ?p ?o } }"})
    assert ask.json()["boolean"] is False


def test_update_applies_and_reinfers(tmp_path: Path) -> None:
    with run_server(tmp_path / "store") as srv:
        update = (
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
            "PREFIX concept: <https://w3id.org/intimacy-graph/concept/> "
            "INSERT DATA { GRAPH <https://w3id.org/intimacy-graph/graph/curated> { "
            "concept:trust skos:related concept:love } }"
        )
        r = httpx.post(
            srv.sparql,
            content=update.encode(),
            headers={**srv.editor(), "Content-Type": "application/sparql-update"},
        )
        assert r.status_code == 204, r.text
        inverse = (
            "ASK { GRAPH <https://w3id.org/intimacy-graph/graph/inferred> { "
            "<https://w3id.org/intimacy-graph/concept/love> "
            "<http://www.w3.org/2004/02/skos/core#related> "
            "<https://w3id.org/intimacy-graph/concept/trust> } }"
        )
        assert httpx.get(srv.sparql, params={"query": inverse}).json()["boolean"] is True
        changes = (
            "ASK { GRAPH <https://w3id.org/intimacy-graph/graph/changes> { ?run a "
            "<http://www.w3.org/ns/prov#Activity> ; <http://www.w3.org/2000/01/rdf-schema#"
            'label> "sparql-update" } }'
        )
        assert httpx.get(srv.sparql, params={"query": changes}).json()["boolean"] is True


def test_readers_never_see_a_half_applied_update(tmp_path: Path) -> None:
    """1 writer, 8 readers: every update moves two values and an inferred inverse together."""
    rounds = 25
    # Rate limits off: nine clients on one address would otherwise meet 429s, and a reader
    # that stopped on one would silently stop checking.
    no_limits = {
        "INTIMACY_GRAPH_RATE_LIMIT_EXPENSIVE_PER_S": "0",
        "INTIMACY_GRAPH_RATE_LIMIT_CHEAP_PER_S": "0",
    }
    with run_server(tmp_path / "store", env=no_limits) as srv:
        g = "https://w3id.org/intimacy-graph/graph/curated"
        related = "http://www.w3.org/2004/02/skos/core#related"
        init = f"INSERT DATA {{ GRAPH <{g}> {{ <urn:x:c> <urn:x:a> 0 ; <urn:x:b> 0 . }} }}"
        httpx.post(srv.sparql, data={"update": init}, headers=srv.editor()).raise_for_status()
        check = (
            f"SELECT ?a ?b ?fwd ?back WHERE {{ <urn:x:c> <urn:x:a> ?a ; <urn:x:b> ?b . "
            f"BIND(EXISTS {{ GRAPH <{g}> {{ ?x <{related}> ?y }} }} AS ?fwd) "
            f"BIND(EXISTS {{ GRAPH <{g}> {{ ?x2 <{related}> ?y2 }} "
            f"GRAPH <https://w3id.org/intimacy-graph/graph/inferred> "
            f"{{ ?y2 <{related}> ?x2 }} }} AS ?back) }}"
        )
        violations: list[str] = []
        reads = 0
        stop = threading.Event()

        def reader() -> None:
            nonlocal reads
            with httpx.Client(timeout=30) as client:
                while not stop.is_set():
                    response = client.get(srv.sparql, params={"query": check})
                    if response.status_code != 200:
                        violations.append(f"HTTP {response.status_code}: {response.text[:200]}")
                        continue
                    bindings = response.json()["results"]["bindings"]
                    reads += 1
                    if len(bindings) != 1:
                        violations.append(f"{len(bindings)} rows")
                        continue
                    row = bindings[0]
                    if row["a"]["value"] != row["b"]["value"]:
                        violations.append(f"a={row['a']['value']} b={row['b']['value']}")
                    if row["fwd"]["value"] != row["back"]["value"]:
                        violations.append("asserted relation without its inferred inverse")

        threads = [threading.Thread(target=reader) for _ in range(8)]
        for t in threads:
            t.start()
        try:
            with httpx.Client(timeout=60) as client:
                for i in range(rounds):
                    toggle = (
                        f"INSERT DATA {{ GRAPH <{g}> {{ <urn:x:p{i}> <{related}> <urn:x:q{i}> }} }}"
                        if i % 2 == 0
                        else f"DELETE WHERE {{ GRAPH <{g}> {{ ?s <{related}> ?o }} }}"
                    )
                    move = (
                        f"DELETE {{ GRAPH <{g}> {{ <urn:x:c> <urn:x:a> ?a ; <urn:x:b> ?b }} }} "
                        f"INSERT {{ GRAPH <{g}> {{ <urn:x:c> <urn:x:a> ?n ; <urn:x:b> ?n }} }} "
                        f"WHERE {{ GRAPH <{g}> {{ <urn:x:c> <urn:x:a> ?a ; <urn:x:b> ?b }} "
                        f"BIND(?a + 1 AS ?n) }}"
                    )
                    r = client.post(
                        srv.sparql, data={"update": f"{move} ;\n{toggle}"}, headers=srv.editor()
                    )
                    assert r.status_code == 204, r.text
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
        assert reads > rounds
        assert violations == []
        final = httpx.get(srv.sparql, params={"query": check}).json()["results"]["bindings"]
        assert final[0]["a"]["value"] == str(rounds)
