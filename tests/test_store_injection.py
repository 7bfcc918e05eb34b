"""Regression: user RDF written into the store can never change the structure of the update.

rdflib accepts any string as a datatype IRI (and JSON-LD ``@type`` or Turtle ``\\u003E`` escapes
can produce one), so writing rdflib's own N-Triples into ``INSERT DATA`` let a literal's datatype
close the block and run its own operations.  Terms now go through pyoxigraph's constructors.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from rdflib import BNode, Graph, Literal, URIRef

from intimacy_graph.errors import UnusableInputError
from intimacy_graph.store import OxigraphStore
from tests.servers import Server

EVIL = "http://x> } } ; DROP ALL ; INSERT DATA { GRAPH <urn:evil> { <a:b> <a:c> <a:d> } } #"


@pytest.mark.parametrize(
    "triple",
    [
        (URIRef("urn:s"), URIRef("urn:p"), Literal("x", datatype=URIRef(EVIL))),
        (URIRef(EVIL), URIRef("urn:p"), Literal("x")),
        (URIRef("urn:s"), URIRef("urn:p"), URIRef("urn:o x")),
        (BNode("b1"), URIRef(EVIL), Literal("x")),
    ],
)
def test_hostile_terms_cannot_inject_an_update(tmp_path: Path, triple: tuple) -> None:  # type: ignore[type-arg]
    store = OxigraphStore(tmp_path / "s")
    store.write_graph(
        URIRef("urn:g:keep"), Graph().add((URIRef("urn:a"), URIRef("urn:b"), Literal("kept")))
    )
    before = {str(q) for q in store.raw}
    data = Graph()
    data.add(triple)
    with pytest.raises(UnusableInputError) as info:
        store.write_graph(URIRef("urn:g:target"), data)
    assert info.value.code == "invalid-term"
    with pytest.raises(UnusableInputError):
        store.replace_graphs({URIRef("urn:g:target"): data})
    assert {str(q) for q in store.raw} == before
    assert URIRef("urn:evil") not in store.named_graphs()


def test_literal_text_is_only_ever_text(tmp_path: Path) -> None:
    store = OxigraphStore(tmp_path / "s")
    nasty = '" } } ; DROP ALL ; INSERT DATA { GRAPH <urn:evil> { <a:b> <a:c> "d" } } #\n\\'
    data = Graph().add((URIRef("urn:s"), URIRef("urn:p"), Literal(nasty, lang="en")))
    store.write_graph(URIRef("urn:g"), data)
    (row,) = store.select("SELECT ?o WHERE { GRAPH <urn:g> { ?s ?p ?o } }")
    assert str(row["o"]) == nasty
    assert URIRef("urn:evil") not in store.named_graphs()


def test_graph_store_put_with_a_hostile_json_ld_type(server: Server) -> None:
    body = {"@id": "urn:x:s", "urn:x:p": {"@value": "v", "@type": EVIL}}
    r = httpx.put(
        server.url + "/graph-store",
        params={"graph": "urn:x-test:inject"},
        json=body,
        headers={**server.editor(), "Content-Type": "application/ld+json"},
    )
    assert r.status_code == 400
    assert r.json()["code"] in ("invalid-term", "rdf-syntax")
    ask = httpx.get(server.sparql, params={"query": "ASK { GRAPH <urn:evil> { ?s ?p ?o } }"})
    assert ask.json()["boolean"] is False
