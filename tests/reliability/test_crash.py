"""kill -9 during writes (issue #7 §4): every acknowledged write is there in full after a
restart on the same store, no write is there in part, and the store always reopens.

Writes are self-checking: write ``n`` of writer ``w`` puts ``k`` item triples and one
``count k`` triple into its own graph, so a reader can tell a whole write from a partial
one. One writer uses the Graph Store Protocol (PUT), one SPARQL Update (INSERT DATA), and one
the note write path (PUT /api/v1/notes/{slug}) when the server has it.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.servers import Server, run_server

from .conftest import FIGURES, NO_LIMITS, length

NS = "urn:x-crash:"
ITEM = NS + "item"
COUNT = NS + "count"


@dataclass
class Tally:
    acknowledged: set[str] = field(default_factory=set)
    sent: int = 0
    refused: int = 0  # a 4xx/5xx answer: not acknowledged, may not be there
    refusals: dict[str, int] = field(default_factory=dict)
    lost: int = 0
    partial: int = 0
    failed_reopen: int = 0
    cycles: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _turtle(graph: str, k: int) -> str:
    lines = [f'<{graph}> <{COUNT}> "{k}" .']
    lines += [f'<{graph}> <{ITEM}> "{i}" .' for i in range(k)]
    return "\n".join(lines)


def gsp_write(client: httpx.Client, server: Server, graph: str, k: int) -> httpx.Response:
    return client.put(
        server.url + "/graph-store",
        params={"graph": graph},
        content=_turtle(graph, k).encode(),
        headers={**server.editor(), "Content-Type": "text/turtle"},
    )


def update_write(client: httpx.Client, server: Server, graph: str, k: int) -> httpx.Response:
    update = f"INSERT DATA {{ GRAPH <{graph}> {{ {_turtle(graph, k)} }} }}"
    return client.post(
        server.sparql,
        content=update.encode(),
        headers={**server.editor(), "Content-Type": "application/sparql-update"},
    )


NOTE = "https://w3id.org/intimacy-graph/note/"
IG = "https://w3id.org/intimacy-graph/ontology#"


def note_write(client: httpx.Client, server: Server, graph: str, k: int) -> httpx.Response:
    """A note linking to ``k`` new concepts; its slug says ``k`` (``crash-…-k{k}``)."""
    slug = graph.removeprefix(NOTE)
    title = " ".join(word.capitalize() for word in slug.split("-"))
    links = "\n".join(f"- [[{title} Item {i}]]" for i in range(k))
    note = (
        f"**{title}** is a test concept written while the server may be killed.\n\n"
        "#### Key Aspects\n\n1. **Definition**:\n   A concept that exists to test "
        f"durability.\n\n#### Related Concepts\n{links}\n"
    )
    return client.put(
        server.url + f"/api/v1/notes/{slug}",
        content=note.encode(),
        headers={**server.editor(), "Content-Type": "text/markdown"},
    )


NOTE_CHECK = f"""SELECT ?note (COUNT(DISTINCT ?t) AS ?links) (COUNT(DISTINCT ?r) AS ?registered)
WHERE {{ GRAPH ?g {{ ?note <{IG}linksTo> ?t }}
         OPTIONAL {{ GRAPH <https://w3id.org/intimacy-graph/graph/registry> {{ ?t a ?type }}
                    BIND(?t AS ?r) }}
         FILTER(STRSTARTS(STR(?note), "{NOTE}crash-")) }} GROUP BY ?note"""


WRITERS: dict[str, Callable[[httpx.Client, Server, str, int], httpx.Response]] = {
    "gsp": gsp_write,
    "update": update_write,
}

CHECK = f"""SELECT ?g (SAMPLE(?c) AS ?count) (COUNT(DISTINCT ?i) AS ?items) (COUNT(?c) AS ?counts)
WHERE {{ GRAPH ?g {{ {{ ?g <{COUNT}> ?c }} UNION {{ ?g <{ITEM}> ?i }} }}
         FILTER(STRSTARTS(STR(?g), "{NS}")) }} GROUP BY ?g"""


def verify(server: Server, tally: Tally) -> None:
    """Every acknowledged graph whole; any other graph found must be whole too."""
    rows = httpx.get(server.sparql, params={"query": CHECK}, timeout=60).json()
    found: dict[str, tuple[int, int]] = {}
    for row in rows["results"]["bindings"]:
        count = int(row["count"]["value"]) if "count" in row else -1
        found[row["g"]["value"]] = (count, int(row["items"]["value"]))
    for count, items in found.values():
        if count != items:
            tally.partial += 1
    if any(g.startswith(NOTE) for g in tally.acknowledged):
        rows = httpx.get(server.sparql, params={"query": NOTE_CHECK}, timeout=60).json()
        for row in rows["results"]["bindings"]:
            note = row["note"]["value"]
            k = int(note.rsplit("-k", 1)[1])
            links, registered = int(row["links"]["value"]), int(row["registered"]["value"])
            found[note] = (k, links)
            if links != k or registered != k:
                tally.partial += 1
    tally.lost += len(tally.acknowledged - found.keys())


def _send(kind: str) -> Callable[[httpx.Client, Server, str, int], httpx.Response]:
    return note_write if kind == "note" else WRITERS[kind]


def writer_loop(server: Server, kind: str, cycle: int, tally: Tally, stop: threading.Event) -> None:
    send = _send(kind)
    n = 0
    with httpx.Client(timeout=30) as client:
        while not stop.is_set():
            n += 1
            k = 5 + (n * 7) % 60
            graph = f"{NS}{kind}/{cycle}/{n}"
            if kind == "note":
                k = 1 + n % 6
                graph = f"{NOTE}crash-{cycle}-{n}-k{k}"
            with tally.lock:
                tally.sent += 1
            try:
                r = send(client, server, graph, k)
            except httpx.TransportError:
                return  # the server died mid-request: this write was never acknowledged
            with tally.lock:
                if 200 <= r.status_code < 300:
                    tally.acknowledged.add(graph)
                else:
                    tally.refused += 1
                    code = f"{r.status_code} {r.json().get('code') if r.content else ''}"
                    tally.refusals[code] = tally.refusals.get(code, 0) + 1


def has_note_writes(server: Server) -> bool:
    paths = httpx.get(server.url + "/openapi.json", timeout=30).json()["paths"]
    return "put" in paths.get("/api/v1/notes/{slug}", {})


@pytest.mark.slow
def test_kill_9_during_writes_loses_nothing_acknowledged(tmp_path: Path) -> None:
    cycles = length(ci=5, full=20)
    store = tmp_path / "store"
    tally = Tally()
    rng = random.Random(7)
    for cycle in range(cycles):
        try:
            ctx = run_server(store, env=NO_LIMITS)
            server = ctx.__enter__()
        except RuntimeError:
            tally.failed_reopen += 1
            continue
        try:
            stop = threading.Event()
            kinds = [*WRITERS, *(["note"] if has_note_writes(server) else [])]
            threads = [
                threading.Thread(target=writer_loop, args=(server, kind, cycle, tally, stop))
                for kind in kinds
            ]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(1.0, 3.0))
            os.killpg(server.process.pid, signal.SIGKILL)  # mid-stream, no warning
            server.process.wait(timeout=30)
            stop.set()
            for t in threads:
                t.join(timeout=60)
            tally.cycles += 1
        finally:
            ctx.__exit__(None, None, None)
    # the final reopen and check: a lost or partial write stays so, nobody rewrites its graph
    try:
        with run_server(store, env=NO_LIMITS) as server:
            verify(server, tally)
    except RuntimeError:
        tally.failed_reopen += 1
    FIGURES["kill-9 during writes"] = {
        "cycles": tally.cycles,
        "writes_sent": tally.sent,
        "acknowledged": len(tally.acknowledged),
        "acknowledged_notes": sum(1 for g in tally.acknowledged if g.startswith(NOTE)),
        "refused": tally.refused,
        "refusals": tally.refusals,
        "lost": tally.lost,
        "partial": tally.partial,
        "failed_reopen": tally.failed_reopen,
    }
    assert tally.cycles == cycles
    assert len(tally.acknowledged) > cycles, "the writers got nothing acknowledged"
    assert tally.failed_reopen == 0
    assert tally.lost == 0, f"{tally.lost} acknowledged writes lost"
    assert tally.partial == 0, f"{tally.partial} writes partly there"
