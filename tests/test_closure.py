"""The Python evaluation of the inference rules gives exactly what the SPARQL rules give."""

from __future__ import annotations

import pytest
from rdflib import OWL, RDF, BNode, Graph, Literal, URIRef

from intimacy_graph import closure
from intimacy_graph.build import reinfer
from intimacy_graph.namespaces import IG, Iris
from intimacy_graph.store import OxigraphStore
from tests.test_inference import DATA, INFERRED, ONTOLOGY, trig_graphs

IRIS = Iris()


def sparql_and_python(graphs: dict[URIRef, Graph], ontology: Graph) -> tuple[set, set]:
    store = OxigraphStore()
    try:
        store.replace_graphs({**graphs, ONTOLOGY: ontology})
        reinfer(store, IRIS)
        by_rules = set(store.graph(INFERRED))
    finally:
        store.close()
    data = [t for g, graph in graphs.items() if g not in (ONTOLOGY, INFERRED) for t in graph]
    by_python, _ = closure.infer(data, closure.Schema.of(ontology))
    return by_rules, by_python


@pytest.mark.parametrize("data", ["data.trig", "chains.trig", "two-pass.trig"])
def test_the_rule_fixtures(data: str) -> None:
    ontology = Graph().parse(DATA / "ontology.ttl", format="turtle")
    graphs = trig_graphs(DATA / data)
    if data == "chains.trig" and ONTOLOGY in graphs:
        ontology += graphs.pop(ONTOLOGY)
    by_rules, by_python = sparql_and_python(graphs, ontology)
    assert by_rules, "the fixture infers something"
    assert by_python - by_rules == set(), "only the Python closure concludes these"
    assert by_rules - by_python == set(), "only the SPARQL rules conclude these"


def test_the_built_seed(seed_store: OxigraphStore) -> None:
    """The build writes the Python closure; the SPARQL rules over the same data agree."""
    graphs = {g: seed_store.graph(g) for g in seed_store.named_graphs() if g != IRIS.inferred_graph}
    copy = OxigraphStore()
    try:
        copy.replace_graphs(graphs)
        reinfer(copy, IRIS)
        by_rules = set(copy.graph(IRIS.inferred_graph))
    finally:
        copy.close()
    assert by_rules and by_rules == set(seed_store.graph(IRIS.inferred_graph))


def test_conclusions_skip_what_the_ontology_asserts() -> None:
    ontology = Graph().parse(DATA / "ontology.ttl", format="turtle")
    schema = closure.Schema.of(ontology)
    for t in list(ontology)[:50]:
        found, _ = closure.infer([t], schema)
        assert not (found & set(ontology))


def test_conclusions_are_about_iris_and_name_no_blank_node() -> None:
    ontology = Graph().parse(DATA / "ontology.ttl", format="turtle")
    graphs = trig_graphs(DATA / "data.trig")
    data = [t for graph in graphs.values() for t in graph]
    found, _ = closure.infer(data, closure.Schema.of(ontology))
    assert found and all(isinstance(s, URIRef) for s, _, _ in found)
    assert not any(isinstance(o, BNode) for _, _, o in found)


@pytest.mark.parametrize("data", ["data.trig", "chains.trig", "two-pass.trig"])
def test_text_depths_are_depths_over_n_triples_text(data: str) -> None:
    """The build's workers run the rules over N-Triples text: the same conclusions, each
    with the same generation, as over rdflib terms (blank nodes and literals included)."""
    from intimacy_graph.buildworker import Lines

    ontology = Graph().parse(DATA / "ontology.ttl", format="turtle")
    graphs = trig_graphs(DATA / data)
    if data == "chains.trig" and ONTOLOGY in graphs:
        ontology += graphs.pop(ONTOLOGY)
    triples = [t for g, graph in graphs.items() if g not in (ONTOLOGY, INFERRED) for t in graph]
    odd = URIRef("urn:x:s")
    triples += [  # a blank node or a literal where the rules expect an IRI
        (odd, IG.hasCharacteristic, BNode()),
        (odd, IG.seeAlso, Literal("text")),
        (BNode(), IG.hasCharacteristic, odd),
        (BNode(), RDF.type, OWL.Class),
        (odd, URIRef("urn:x:no-rule-reads-this"), odd),
    ]
    schema = closure.Schema.of(ontology)
    lines = Lines()
    by_terms = {lines([t])[0]: d for t, d in closure.depths(triples, schema).items()}
    text_schema = closure.TextSchema(schema, lines.term)
    by_text = closure.text_depths(lines(triples), text_schema)
    assert by_terms and by_text == by_terms
    # A re-import reads only the stored triples with the predicates the rules read: the
    # others conclude nothing and are no conclusion.
    read = text_schema.read_predicates()
    kept = [t for t in lines(triples) if t[1] in read]
    assert len(kept) < len(triples) and closure.text_depths(kept, text_schema) == by_text
    assert not {t for t in lines(triples) if t[1] not in read} & set(by_text)
