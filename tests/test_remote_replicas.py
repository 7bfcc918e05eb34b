"""Two API replicas over one Virtuoso (docs/deploy.md, "Several API replicas"): a note written
through one is found by the other's search, and the other lets ``FROM`` name its graph, once
the other has checked the store (``INTIMACY_GRAPH_REMOTE_POLL_S``). Real servers, real HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.backends import require_virtuoso, start_virtuoso, stop_virtuoso
from tests.servers import Server, run_server

NOTE = """**Felt Security Anchor** is the steadiness a partner's reliable presence gives.

#### Key Aspects
1. **Definition**:
   The felt security anchor is the calm that follows from a partner's dependable response.
2. **Characteristics**:
   - **[[Trust]]**: confidence that the partner will respond.

### Related Concepts
- [[Emotional Intimacy]]
"""
SLUG = "felt-security-anchor"
POLL_S = 0.3


def _ready_search(server: Server, timeout_s: float = 120.0) -> None:
    """Wait (bounded) until the replica's search index is built."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready = httpx.get(server.url + "/api/v1/ready", timeout=10).json()
        if ready.get("search_ready"):
            return
        time.sleep(0.2)
    raise AssertionError(f"search not ready on {server.url}")


def _finds(server: Server, text: str) -> bool:
    r = httpx.get(server.url + "/api/v1/search", params={"q": text}, timeout=30)
    return r.status_code == 200 and any(hit["slug"] == SLUG for hit in r.json()["items"])


def _from_note_graph(server: Server) -> int:
    query = (
        f"SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/intimacy-graph/graph/note/{SLUG}> "
        "WHERE { ?s ?p ?o }"
    )
    r = httpx.post(server.sparql, data={"query": query}, timeout=30)
    return r.status_code


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    require_virtuoso()
    folder = tmp_path_factory.mktemp("virtuoso-replicas")
    port = start_virtuoso(folder)
    args = ["--backend", "sparql", "--remote-flavour", "virtuoso"]
    args += ["--query-endpoint", f"http://127.0.0.1:{port}/sparql"]
    env = {"INTIMACY_GRAPH_REMOTE_POLL_S": str(POLL_S)}
    root = tmp_path_factory.mktemp("replicas")
    try:
        # the first one builds the store from the bundled notes; the second finds it built
        with (
            run_server(root / "a" / "store", args=args, env=env) as a,
            run_server(root / "b" / "store", args=args, env=env) as b,
        ):
            _ready_search(a)
            _ready_search(b)
            yield a, b
    finally:
        stop_virtuoso(folder)


def _settled_generation(server: Server) -> int:
    """The replica's index generation once it stopped moving (the other replica's last write
    has been taken up): the same over several checks, bounded."""
    seen: list[int] = []
    for _ in range(200):
        ready = httpx.get(server.url + "/api/v1/ready", timeout=10).json()
        seen.append(ready["search_generation"])
        if len(seen) >= 6 and len(set(seen[-6:])) == 1:
            return seen[-1]
        time.sleep(POLL_S)
    raise AssertionError(f"the index generation kept moving: {seen[-10:]}")


def _until(check: object, timeout_s: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def test_a_write_on_one_replica_reaches_the_others_search_and_from(
    replicas: tuple[Server, Server],
) -> None:
    a, b = replicas
    assert not _finds(b, "Felt Security Anchor")
    assert _from_note_graph(b) == 400  # no such graph yet: refused, never fetched
    r = httpx.put(
        f"{a.url}/api/v1/notes/{SLUG}",
        content=NOTE.encode(),
        headers={**a.editor(), "Content-Type": "text/markdown"},
        timeout=120,
    )
    assert r.status_code in (200, 201), r.text
    assert _finds(a, "Felt Security Anchor")  # the writer sees it at once
    assert _until(lambda: _finds(b, "Felt Security Anchor")), "replica b never saw the note"
    assert _until(lambda: _from_note_graph(b) == 200)
    # and the way back: a deprecation made on b shows on a's concept card and search
    r = httpx.delete(f"{b.url}/api/v1/concepts/{SLUG}", headers=b.editor(), timeout=120)
    assert r.status_code == 200, r.text

    def deprecated_on_a() -> bool:
        card = httpx.get(f"{a.url}/api/v1/concepts/{SLUG}", timeout=30).json()
        return card.get("deprecated") is True

    assert _until(deprecated_on_a), "replica a never saw the deprecation"
    log = Path(b.log).read_text(errors="replace")
    assert "Traceback" not in log


def test_a_replica_does_not_rebuild_after_its_own_writes(replicas: tuple[Server, Server]) -> None:
    """The writer's own write is already in its index (updated in place): its check must not
    start a full rebuild — the index generation moves by exactly one per write."""
    a, _ = replicas
    before = _settled_generation(a)
    r = httpx.put(
        f"{a.url}/api/v1/notes/{SLUG}",
        content=NOTE.replace("steadiness", "quiet steadiness").encode(),
        headers={**a.editor(), "Content-Type": "text/markdown"},
        timeout=120,
    )
    assert r.status_code == 200, r.text
    time.sleep(POLL_S * 8)  # several checks
    after = httpx.get(a.url + "/api/v1/ready", timeout=10).json()["search_generation"]
    assert after == before + 1
