"""The worker side of ``/sparql``: row cap, direct serialisation, wire format."""

from __future__ import annotations

import asyncio
import json
import time

import pyoxigraph as ox
import pytest

from intimacy_graph.errors import QuerySyntaxError, QueryTimeoutError
from intimacy_graph.sparql_workers import (
    QueryJob,
    QueryOutput,
    WorkerPool,
    cap_result,
    decode_job,
    decode_reply,
    encode_job,
    encode_reply,
    run_job,
)


def _store(values: list[str]) -> ox.Store:
    store = ox.Store()
    p = ox.NamedNode("urn:p")
    g = ox.NamedNode("urn:g")
    for i, value in enumerate(values):
        store.add(ox.Quad(ox.NamedNode(f"urn:s{i:03d}"), p, ox.Literal(value), g))
    return store


QUERY = "SELECT ?s ?o WHERE { ?s <urn:p> ?o } ORDER BY ?s"
# Values that hold the byte patterns the direct path counts: ",{" and "<result>".
TRICKY = ["plain", 'a,{"b":1}', ",{,{,{", "<result>", '},{"x"', "line\nbreak", "tab\tx"]


def _job(fmt: str, max_rows: int) -> QueryJob:
    return QueryJob(QUERY, fmt, "unused", 1, max_rows)


def _exact(store: ox.Store, fmt: str, max_rows: int) -> QueryOutput:
    """The reference: the TSV count, without the direct path."""
    result = store.query(QUERY, use_default_graph_as_union=True)
    return cap_result(result, fmt, max_rows)


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
@pytest.mark.parametrize("max_rows", [1, 2, 6, 7, 8, 100])
def test_direct_serialisation_matches_the_exact_count(fmt: str, max_rows: int) -> None:
    store = _store(TRICKY)
    got = run_job(store, _job(fmt, max_rows))
    want = _exact(store, fmt, max_rows)
    assert got.truncated == want.truncated == (len(TRICKY) > max_rows)
    if fmt == "json":
        assert json.loads(got.data) == json.loads(want.data)
    else:
        assert got.data == want.data
    assert got.form == "solutions"


def test_json_result_at_the_cap_is_not_truncated() -> None:
    store = _store(["x", "y", "z"])
    out = run_job(store, _job("json", 3))
    assert not out.truncated
    assert len(json.loads(out.data)["results"]["bindings"]) == 3
    capped = run_job(store, _job("json", 2))
    assert capped.truncated
    assert len(json.loads(capped.data)["results"]["bindings"]) == 2


def test_empty_and_unbound_solutions() -> None:
    store = _store([])
    out = run_job(
        store, QueryJob("SELECT ?x WHERE { VALUES ?x { UNDEF UNDEF } }", "json", "", 1, 1)
    )
    assert out.truncated
    assert json.loads(out.data)["results"]["bindings"] == [{}]
    none = run_job(store, _job("json", 5))
    assert not none.truncated and json.loads(none.data)["results"]["bindings"] == []


def test_job_and_reply_round_trip() -> None:
    job = QueryJob('ASK { ?s ?p "\\u00e9" }', "json", "/snap", 4, 10, ("urn:a",), (), "http://b/")
    assert decode_job(encode_job(job)) == job
    output = QueryOutput(b'{"boolean":true}', "boolean", False, None)
    assert decode_reply(encode_reply(0, output)) == (0, output)
    truncated = QueryOutput(b"x", "solutions", True, 5)
    assert decode_reply(encode_reply(0, truncated)) == (0, truncated)
    assert decode_reply(encode_reply(1, message="bad é")) == (1, "bad é")


# ---------------------------------------------------------------------------- the pool


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("workers") / "store"
    store = ox.Store(str(path))
    store.extend(_store([f"v{i}" for i in range(300)]))
    store.flush()
    del store
    return str(path)


SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def test_pool_answers_times_out_and_recovers(snapshot: str) -> None:
    async def scenario() -> None:
        pool = WorkerPool(1, timeout_s=1.0)
        await pool.start()
        try:
            out = await pool.run(QueryJob("ASK { ?s ?p ?o }", "json", snapshot, 1, 10))
            assert json.loads(out.data) == {"head": {}, "boolean": True}
            with pytest.raises(QueryTimeoutError):
                await pool.run(QueryJob(SLOW, "json", snapshot, 1, 10))
            assert pool.restarts == 1
            with pytest.raises(QuerySyntaxError):
                await pool.run(QueryJob("SELECT nonsense", "json", snapshot, 1, 10))
            rows = await pool.run(QueryJob(QUERY, "json", snapshot, 1, 10))
            assert rows.truncated and len(json.loads(rows.data)["results"]["bindings"]) == 10
        finally:
            await pool.close()

    asyncio.run(scenario())


def test_a_cancelled_request_does_not_hand_back_a_busy_worker(snapshot: str) -> None:
    async def scenario() -> None:
        pool = WorkerPool(1, timeout_s=30.0)
        await pool.start()
        try:
            slow = asyncio.ensure_future(pool.run(QueryJob(SLOW, "json", snapshot, 1, 10)))
            await asyncio.sleep(0.5)
            slow.cancel()
            with pytest.raises(asyncio.CancelledError):
                await slow
            # The worker still computing the cancelled query is replaced, not reused: the
            # next query is answered at once, not after the slow one.
            started = time.monotonic()
            out = await pool.run(QueryJob("ASK { ?s ?p ?o }", "json", snapshot, 1, 10))
            assert json.loads(out.data)["boolean"] is True
            assert time.monotonic() - started < 15
            assert pool.restarts == 1
        finally:
            await pool.close()

    asyncio.run(scenario())
