"""An HTTP client for the W3C suites: load test data, reset, query, update, read graphs back.

The endpoint never fetches remote data (DESIGN.md §8), so the harness stands in for the web:
it loads every file a test names into a graph named by the file's suite IRI (or by the
``rdfs:label`` the manifest gives it) with SPARQL Update ``INSERT DATA``.  Data goes in as
N-Triples written by pyoxigraph — not through rdflib, whose parser rewrites lexical forms —
with blank nodes renamed per file, so two files never share one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import httpx
import pyoxigraph as ox

from tests.servers import Server

from .manifest import iri_of
from .results import RDF_FORMATS

#: Graphs the service writes itself (ontology, registry, inferred, changes, notes).
OWN_GRAPHS = "https://w3id.org/intimacy-graph/graph/"
#: An empty graph, named as the default graph of tests that have no ``qt:data``.
EMPTY_GRAPH = "urn:w3c:empty"
#: The service refuses requests over 100 kB (``max_query_bytes``): load in smaller parts.
CHUNK_BYTES = 80_000


def ntriples(path: Path) -> str:
    """A data file as N-Triples, relative IRIs resolved against its suite IRI, fresh bnodes."""
    quads = ox.parse(
        path.read_bytes(),
        format=RDF_FORMATS[path.suffix],
        base_iri=iri_of(path),
        rename_blank_nodes=True,
    )
    data = ox.serialize([q.triple for q in quads], format=ox.RdfFormat.N_TRIPLES)
    return bytes(data or b"").decode()


def insert_operations(
    default: Iterable[Path], named: Iterable[tuple[Path, str]], empty: Iterable[str] = ()
) -> list[str]:
    """One ``INSERT DATA`` (or ``CREATE GRAPH``) operation per file or graph."""
    ops = [f"INSERT DATA {{\n{ntriples(path)}}}" for path in default]
    for path, name in named:
        body = ntriples(path)
        ops.append(
            f"INSERT DATA {{ GRAPH <{name}> {{\n{body}}} }}"
            if body.strip()
            else f"CREATE SILENT GRAPH <{name}>"
        )
    ops += [f"CREATE SILENT GRAPH <{name}>" for name in empty]
    return ops


class Endpoint:
    """The running server seen as a SPARQL endpoint and graph store."""

    def __init__(self, server: Server) -> None:
        self.server = server
        # No keep-alive: a request that breaks the server's connection (a 500 closes it) must
        # not fail the next test on a dead pooled socket.
        self.http = httpx.Client(
            base_url=server.url, timeout=60, limits=httpx.Limits(max_keepalive_connections=0)
        )

    def close(self) -> None:
        self.http.close()

    @property
    def editor(self) -> dict[str, str]:
        return self.server.editor()

    # -- SPARQL -----------------------------------------------------------------------------
    def query(
        self,
        text: str,
        *,
        accept: str,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
    ) -> httpx.Response:
        """POST a query (form encoded) with an explicit dataset when graphs are given."""
        form: dict[str, str | list[str]] = {"query": text}
        if default_graphs:
            form["default-graph-uri"] = list(default_graphs)
        if named_graphs:
            form["named-graph-uri"] = list(named_graphs)
        return self.http.post("/sparql", data=form, headers={"Accept": accept})

    def update(self, text: str) -> httpx.Response:
        return self.http.post(
            "/sparql",
            content=text.encode("utf-8"),
            headers={"Content-Type": "application/sparql-update", **self.editor},
        )

    def must_update(self, text: str) -> None:
        response = self.update(text)
        if response.status_code != 204:
            raise RuntimeError(
                f"harness update failed ({response.status_code}): {response.text[:2000]}"
            )

    def write(self, operations: Sequence[str]) -> None:
        """Run ``operations`` as few update requests as the size limit allows."""
        batch: list[str] = []
        size = 0
        for op in operations:
            if batch and size + len(op) > CHUNK_BYTES:
                self.must_update(" ;\n".join(batch))
                batch, size = [], 0
            batch.append(op)
            size += len(op) + 3
        if batch:
            self.must_update(" ;\n".join(batch))

    # -- graphs -----------------------------------------------------------------------------
    def named_graphs(self) -> list[str]:
        """Every named graph of the store (also empty ones), the service's own included."""
        response = self.query(
            "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }", accept="application/sparql-results+json"
        )
        response.raise_for_status()
        return sorted(b["g"]["value"] for b in response.json()["results"]["bindings"])

    def test_graphs(self) -> list[str]:
        return [g for g in self.named_graphs() if not g.startswith(OWN_GRAPHS)]

    def reset(
        self,
        default: Iterable[Path] = (),
        named: Iterable[tuple[Path, str]] = (),
        empty: Iterable[str] = (),
    ) -> None:
        """Empty the store's default graph and drop every test graph, then load the given
        files (into the default graph / into named graphs) — in as few writes as possible."""
        ops = ["DROP SILENT DEFAULT"]
        ops += [f"DROP SILENT GRAPH <{g}>" for g in self.test_graphs()]
        self.write(ops + insert_operations(default, named, empty))

    def graph(self, name: str | None) -> httpx.Response:
        """The Graph Store Protocol read of one graph (``None``: the default graph)."""
        params = {"default": ""} if name is None else {"graph": name}
        return self.http.get(
            "/graph-store", params=params, headers={"Accept": "application/n-triples"}
        )
