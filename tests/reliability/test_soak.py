"""1 writer + 8 readers (issue #7 §4): every read sees a whole write, never part of one.

The writer replaces one graph again and again (Graph Store PUT) with ``k`` item triples and a
``count k`` triple, ``k`` changing every time; each reader checks on every answer that the
items it sees match the one count it sees. 10 s in CI, 60 s with ``make reliability``.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import run_server

from .conftest import FIGURES, NO_LIMITS, length

G = "urn:x-soak:graph"
CHECK = f"""SELECT (COUNT(DISTINCT ?c) AS ?counts) (SAMPLE(?c) AS ?count)
                  (COUNT(DISTINCT ?i) AS ?items)
WHERE {{ GRAPH <{G}> {{ {{ <{G}> <urn:x-soak:count> ?c }}
                    UNION {{ <{G}> <urn:x-soak:item> ?i }} }} }}"""


def body(k: int) -> bytes:
    lines = [f'<{G}> <urn:x-soak:count> "{k}" .']
    lines += [f'<{G}> <urn:x-soak:item> "{i}" .' for i in range(k)]
    return "\n".join(lines).encode()


@pytest.mark.slow
def test_one_writer_eight_readers_invariant_on_every_read(tmp_path: Path) -> None:
    seconds = length(ci=10, full=60)
    violations: list[str] = []
    reads = [0] * 8
    failures = [0] * 8
    writes = 0
    stop = threading.Event()
    with run_server(tmp_path / "store", env=NO_LIMITS) as srv:
        headers = {**srv.editor(), "Content-Type": "text/turtle"}
        httpx.put(
            srv.url + "/graph-store", params={"graph": G}, content=body(1), headers=headers
        ).raise_for_status()

        def reader(n: int) -> None:
            with httpx.Client(timeout=30) as client:
                while not stop.is_set():
                    r = client.get(srv.sparql, params={"query": CHECK})
                    if r.status_code != 200:
                        failures[n] += 1
                        continue
                    row = r.json()["results"]["bindings"][0]
                    reads[n] += 1
                    counts = int(row["counts"]["value"])
                    items = int(row["items"]["value"])
                    count = int(row["count"]["value"]) if "count" in row else -1
                    if counts != 1 or count != items:
                        violations.append(f"counts={counts} count={count} items={items}")

        threads = [threading.Thread(target=reader, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + seconds
        try:
            with httpx.Client(timeout=60) as client:
                while time.monotonic() < deadline:
                    k = 1 + (writes * 37) % 200
                    r = client.put(
                        srv.url + "/graph-store",
                        params={"graph": G},
                        content=body(k),
                        headers=headers,
                    )
                    assert r.status_code in (201, 204), r.text
                    writes += 1
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
    FIGURES["1 writer + 8 readers"] = {
        "seconds": seconds,
        "writes": writes,
        "reads": sum(reads),
        "violations": len(violations),
        "failed_reads": sum(failures),
    }
    assert writes > 5
    assert min(reads) > 0, "a reader never got an answer"
    assert sum(failures) == 0
    assert violations == [], violations[:5]
