"""Per-client rate limiting (issue #7 §5): token buckets, 429 with Retry-After, separate
budgets for expensive and cheap routes, API keys as clients, probes never limited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from intimacy_graph.api.ratelimit import Budget, TokenBuckets, cost_class
from intimacy_graph.config import Settings
from tests.servers import Server, run_server


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_refills_at_its_rate() -> None:
    clock = Clock()
    buckets = TokenBuckets(Budget(rate=2.0, burst=3), clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(0.5)
    assert buckets.take("b") == 0.0  # another client has its own bucket
    clock.now += 0.5
    assert buckets.take("a") == 0.0
    assert buckets.take("a") > 0
    clock.now += 100  # never more than the burst saved up
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") > 0


def test_bucket_table_is_bounded() -> None:
    buckets = TokenBuckets(Budget(rate=1.0, burst=1), max_clients=10, clock=Clock())
    for i in range(1000):
        buckets.take(f"client-{i}")
    assert len(buckets._buckets) == 10


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("GET", "/sparql", "expensive"),
        ("POST", "/sparql", "expensive"),
        ("PUT", "/graph-store", "expensive"),
        ("DELETE", "/graph-store", "expensive"),
        ("GET", "/graph-store", "cheap"),
        ("POST", "/api/v1/validate", "expensive"),
        ("PUT", "/api/v1/notes/trust", "expensive"),
        ("GET", "/api/v1/download/graph.ttl", "expensive"),
        ("GET", "/api/v1/concepts/trust", "cheap"),
        ("GET", "/concept/trust", "cheap"),
        ("GET", "/api/v1/health", None),
        ("GET", "/api/v1/ready", None),
        ("OPTIONS", "/sparql", None),
    ],
)
def test_cost_classes(method: str, path: str, kind: str | None) -> None:
    assert cost_class(method, path) == kind


def test_defaults_are_on_and_zero_switches_off() -> None:
    settings = Settings()
    assert Budget(settings.rate_limit_expensive_per_s, settings.rate_limit_expensive_burst).enabled
    assert Budget(settings.rate_limit_cheap_per_s, settings.rate_limit_cheap_burst).enabled
    assert not Budget(0, 10).enabled


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server allowing 3 expensive requests then 1 per 10 s, and 8 cheap then 1 per 10 s."""
    env = {
        "INTIMACY_GRAPH_RATE_LIMIT_EXPENSIVE_PER_S": "0.1",
        "INTIMACY_GRAPH_RATE_LIMIT_EXPENSIVE_BURST": "3",
        "INTIMACY_GRAPH_RATE_LIMIT_CHEAP_PER_S": "0.1",
        "INTIMACY_GRAPH_RATE_LIMIT_CHEAP_BURST": "8",
    }
    with run_server(tmp_path_factory.mktemp("limited") / "store", env=env) as handle:
        yield handle


def test_expensive_budget_runs_out_with_429_and_retry_after(limited: Server) -> None:
    ask = {"query": "ASK { ?s ?p ?o }"}
    with httpx.Client(timeout=30) as client:
        statuses = [client.get(limited.sparql, params=ask).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        refused = client.get(limited.sparql, params=ask)
        assert refused.status_code == 429
        body = refused.json()
        assert body["code"] == "rate-limited" and "retry" in body["message"]
        retry = int(refused.headers["retry-after"])
        assert 1 <= retry <= 10
        # the cheap budget is separate: concept cards still answer
        assert client.get(limited.url + "/api/v1/concepts/trust").status_code == 200
        # probes are never limited
        for _ in range(20):
            assert client.get(limited.url + "/api/v1/health").status_code == 200
        # a client with a valid key has its own budget (its key id, not the shared address)
        with_key = client.get(
            limited.sparql, params=ask, headers={"Authorization": f"Bearer {limited.reader_key}"}
        )
        assert with_key.status_code == 200
        # a made-up key is no key: it falls back to the (spent) address budget
        forged = client.get(
            limited.sparql, params=ask, headers={"Authorization": "Bearer ig_dead_beef"}
        )
        assert forged.status_code == 429


def test_cheap_budget_runs_out_too(limited: Server) -> None:
    with httpx.Client(timeout=30) as client:
        statuses = [
            client.get(limited.url + "/api/v1/suggest", params={"q": "tr"}).status_code
            for _ in range(12)
        ]
    assert 429 in statuses
    assert statuses[0] == 200
    assert set(statuses) <= {200, 429}


def test_zero_switches_limiting_off(tmp_path: Path) -> None:
    env = {
        "INTIMACY_GRAPH_RATE_LIMIT_EXPENSIVE_PER_S": "0",
        "INTIMACY_GRAPH_RATE_LIMIT_EXPENSIVE_BURST": "1",
    }
    with run_server(tmp_path / "store", env=env) as srv, httpx.Client(timeout=30) as client:
        statuses = {
            client.get(srv.sparql, params={"query": "ASK {}"}).status_code for _ in range(10)
        }
    assert statuses == {200}


def test_concurrency_cap_keeps_one_client_to_its_share_of_workers(tmp_path: Path) -> None:
    """With a cap of 1, a client's second slow query at once is refused; others still run."""
    import threading

    env = {
        "INTIMACY_GRAPH_RATE_LIMIT_EXPENSIVE_CONCURRENCY": "1",
        "INTIMACY_GRAPH_QUERY_TIMEOUT_S": "3",
    }
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    with run_server(tmp_path / "store", env=env) as srv:
        first: list[int] = []

        def run_slow() -> None:
            # If a probe below was in flight when this one arrived, this one is the second
            # query at once and is refused: send it again (bounded).
            for _ in range(50):
                status = httpx.get(srv.sparql, params={"query": runaway}, timeout=60).status_code
                if status != 429:
                    break
            first.append(status)

        slow = threading.Thread(target=run_slow)
        slow.start()
        try:
            refused = None
            # Bounded: until the slow query is in flight (it runs for the 3 s deadline once
            # it starts; on a loaded machine it may take a while to start) or is over.
            for _ in range(400):
                if first:
                    break
                r = httpx.get(srv.sparql, params={"query": "ASK {}"}, timeout=30)
                if r.status_code == 429:
                    refused = r
                    break
                threading.Event().wait(0.05)
            assert refused is not None, "the second query at once was never refused"
            assert refused.json()["code"] == "rate-limited"
            assert "at once" in refused.json()["message"]
            assert refused.headers["retry-after"] == "1"
            other = httpx.get(
                srv.sparql,
                params={"query": "ASK {}"},
                headers={"Authorization": f"Bearer {srv.reader_key}"},
                timeout=30,
            )
            assert other.status_code == 200
        finally:
            slow.join(timeout=60)
        assert first == [503]  # the slow one ran to its time budget
        after = httpx.get(srv.sparql, params={"query": "ASK {}"}, timeout=30)
        assert after.status_code == 200  # the slot was given back
