"""Inference rules (queries/rules/) and their runner (intimacy_graph.inference)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from intimacy_graph import inference
from intimacy_graph.inference import (
    RULE_INFERRED_GRAPH,
    RULE_ONTOLOGY_GRAPH,
    InferenceError,
    Rule,
    load_rules,
    materialise,
    rules_update,
)

DATA = Path(__file__).parent / "data" / "rules"
IG = "https://w3id.org/intimacy-graph/ontology#"
CONCEPT = "https://w3id.org/intimacy-graph/concept/"
STMT = "https://w3id.org/intimacy-graph/statement/"
WORK = "https://w3id.org/intimacy-graph/work/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
INFERRED = ox.NamedNode(RULE_INFERRED_GRAPH)
ONTOLOGY = ox.NamedNode(RULE_ONTOLOGY_GRAPH)


def n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def c(slug: str) -> ox.NamedNode:
    return n(CONCEPT + slug)


def a_type(node: ox.NamedNode, cls: str) -> ox.Triple:
    return ox.Triple(node, n(RDF_TYPE), n(cls))


def load_store(
    ontology: Path = DATA / "ontology.ttl",
    data: Path = DATA / "data.trig",
    *,
    ontology_graph: ox.NamedNode = ONTOLOGY,
) -> ox.Store:
    store = ox.Store()
    store.load(path=ontology, format=ox.RdfFormat.TURTLE, to_graph=ontology_graph)
    store.load(path=data, format=ox.RdfFormat.TRIG)
    return store


def triples_in(store: ox.Store, graph: ox.NamedNode = INFERRED) -> set[ox.Triple]:
    return {q.triple for q in store.quads_for_pattern(None, None, None, graph)}


def count(store: ox.Store, graph: ox.NamedNode = INFERRED) -> int:
    return len(triples_in(store, graph))


EI = c("emotional-intimacy")
TRUST_STMT = n(STMT + "emotional-intimacy/characteristic/trust")
ARON = n(WORK + "aron-1997")

# One positive case per rule file: what the rule alone, run once on data.trig, must add.
RULE_CASES: dict[str, list[ox.Triple]] = {
    "10-inverse-of": [
        # declared as `ig:hasCharacteristic owl:inverseOf ig:isCharacteristicOf`
        ox.Triple(c("trust"), n(IG + "isCharacteristicOf"), EI),
        # declared the other way round: `ig:isTypeOf owl:inverseOf ig:hasType`
        ox.Triple(c("romantic-intimacy"), n(IG + "isTypeOf"), EI),
        ox.Triple(c("resilience"), n(IG + "isBenefitOf"), EI),
    ],
    "20-symmetric": [
        ox.Triple(c("attachment-theory"), n(SKOS + "related"), EI),  # asserted skos:related
        ox.Triple(c("trust"), n(SKOS + "related"), EI),  # ig:hasCharacteristic ⊑ skos:related
    ],
    "30-broader-narrower": [
        ox.Triple(c("intimacy"), n(SKOS + "narrower"), EI),  # asserted skos:broader
        ox.Triple(c("romantic-intimacy"), n(SKOS + "broader"), EI),  # ig:hasType ⊑ narrower
    ],
    "40-subproperty": [
        ox.Triple(EI, n(SKOS + "related"), c("trust")),
        ox.Triple(EI, n(SKOS + "related"), c("resilience")),
        ox.Triple(EI, n(SKOS + "narrower"), c("romantic-intimacy")),
        ox.Triple(EI, n(RDFS + "seeAlso"), c("love")),
        # a literal object is lifted too (skos:definition ⊑ skos:note in the fixture)
        ox.Triple(
            EI,
            n(SKOS + "note"),
            ox.Literal(
                "Emotional intimacy is the ability to be open and vulnerable.", language="en"
            ),
        ),
    ],
    "50-domain-range": [
        a_type(c("trust"), IG + "Characteristic"),  # range of ig:hasCharacteristic
        a_type(c("resilience"), IG + "Benefit"),  # range of ig:hasBenefit
        a_type(TRUST_STMT, IG + "Statement"),  # domain of ig:subject
    ],
    "60-subclass": [
        a_type(EI, SKOS + "Concept"),  # ig:Concept ⊑ skos:Concept
        a_type(TRUST_STMT, IG + "Statement"),  # ig:CharacteristicStatement ⊑ ig:Statement
        a_type(ARON, IG + "Work"),  # ig:Study ⊑ ig:Work
    ],
}


@pytest.mark.parametrize("rule", load_rules(), ids=lambda rule: rule.name)
def test_rule_adds_its_case(rule: Rule) -> None:
    if rule.name not in RULE_CASES:
        pytest.fail(f"rule {rule.name} has no positive case in RULE_CASES")
    store = load_store()
    store.update(rules_update(RULE_INFERRED_GRAPH, rules=[rule]))
    inferred = triples_in(store)
    missing = [t for t in RULE_CASES[rule.name] if t not in inferred]
    assert not missing


def test_every_case_names_a_rule() -> None:
    assert set(RULE_CASES) <= {rule.name for rule in load_rules()}


def test_every_rule_has_a_header() -> None:
    for rule in load_rules():
        first = rule.text.splitlines()[0]
        assert first.startswith("# "), rule.name


def test_materialise_gives_the_expected_closure() -> None:
    store = load_store()
    total = materialise(store, RULE_INFERRED_GRAPH)
    expected = ox.Store()
    expected.load(path=DATA / "expected-inferred.ttl", format=ox.RdfFormat.TURTLE)
    want = {q.triple for q in expected}
    got = triples_in(store)
    assert got - want == set(), "inferred but not expected"
    assert want - got == set(), "expected but not inferred"
    assert total == len(want)


def test_one_pass_of_the_rules_is_a_fixpoint() -> None:
    store = load_store()
    store.update(rules_update(RULE_INFERRED_GRAPH))
    after_one_pass = count(store)
    store.update(rules_update(RULE_INFERRED_GRAPH, clear=False))
    assert count(store) == after_one_pass
    assert materialise(store, RULE_INFERRED_GRAPH) == after_one_pass


def test_materialise_again_adds_nothing() -> None:
    store = load_store()
    first = materialise(store, RULE_INFERRED_GRAPH)
    before = set(store)
    store.update(rules_update(RULE_INFERRED_GRAPH, clear=False))
    assert set(store) == before
    assert materialise(store, RULE_INFERRED_GRAPH) == first


def test_materialise_repeats_the_sequence_until_nothing_is_new() -> None:
    # `ex:isNarrowerOf owl:inverseOf skos:narrower` and `a skos:broader b`: rule 30 adds
    # `b skos:narrower a`, which only the inverse rule (10) of the *next* pass can flip.
    store = ox.Store()
    store.load(path=DATA / "two-pass.trig", format=ox.RdfFormat.TRIG)
    late = ox.Triple(
        n("https://example.org/a"),
        n("https://example.org/isNarrowerOf"),
        n("https://example.org/b"),
    )
    store.update(rules_update(RULE_INFERRED_GRAPH))
    assert late not in triples_in(store)
    total = materialise(store, RULE_INFERRED_GRAPH)
    assert late in triples_in(store)
    assert total == count(store)


def test_materialise_gives_up_at_the_cap() -> None:
    store = ox.Store()
    store.load(path=DATA / "two-pass.trig", format=ox.RdfFormat.TRIG)
    with pytest.raises(InferenceError) as caught:
        materialise(store, RULE_INFERRED_GRAPH, max_rounds=2)
    assert caught.value.details["rounds"] == 2


def test_ontology_triples_are_never_data() -> None:
    store = load_store()
    materialise(store, RULE_INFERRED_GRAPH)
    schema_terms = {q.subject for q in store.quads_for_pattern(None, None, None, ONTOLOGY)}
    inferred = triples_in(store)
    assert not [t for t in inferred if t.subject in schema_terms]
    # TRAP in the fixture: skos:definition ⊑ skos:note, skos:note rdfs:domain skos:Concept
    assert a_type(n(IG + "Concept"), SKOS + "Concept") not in inferred


def test_inferred_graph_has_no_literals_typed_and_no_blank_nodes() -> None:
    store = load_store()
    materialise(store, RULE_INFERRED_GRAPH)
    for t in triples_in(store):
        assert isinstance(t.subject, ox.NamedNode)
        assert not isinstance(t.object, ox.BlankNode)  # e.g. an owl:unionOf range
        if t.predicate == n(RDF_TYPE):
            assert isinstance(t.object, ox.NamedNode)


def test_inferred_graph_does_not_repeat_asserted_triples() -> None:
    store = load_store()
    materialise(store, RULE_INFERRED_GRAPH)
    asserted = {q.triple for q in store if q.graph_name != INFERRED}
    assert triples_in(store) & asserted == set()
    # ...yet the union still has e.g. the asserted ig:Statement type of the evidence statement
    evidence = n(STMT + "emotional-intimacy/evidence/aron-1997")
    assert a_type(evidence, IG + "Statement") in asserted


def test_materialise_replaces_stale_inferences() -> None:
    store = load_store()
    stale = ox.Quad(c("trust"), n(SKOS + "broader"), c("love"), INFERRED)
    store.add(stale)
    materialise(store, RULE_INFERRED_GRAPH)
    assert stale not in set(store)


def test_materialise_uses_the_callers_graphs() -> None:
    inferred, ontology = "urn:example:inferred", "urn:example:ontology"
    store = load_store(ontology_graph=n(ontology))
    total = materialise(store, inferred, ontology_graph_iri=ontology)
    assert total == count(store, n(inferred)) > 0
    assert count(store, INFERRED) == 0
    assert ox.Triple(c("trust"), n(IG + "isCharacteristicOf"), EI) in triples_in(store, n(inferred))


@pytest.mark.parametrize("iri", ["not an iri", "https://example.org/a> } ; DROP ALL ; #"])
def test_graph_iris_must_be_iris(iri: str) -> None:
    with pytest.raises(ValueError):
        rules_update(iri)


def test_inferred_graph_cannot_be_the_ontology_graph() -> None:
    with pytest.raises(ValueError):
        rules_update(RULE_ONTOLOGY_GRAPH)


def test_rules_update_declares_each_prefix_once_at_the_top() -> None:
    text = rules_update(RULE_INFERRED_GRAPH, passes=2)
    prefix_lines = [line for line in text.splitlines() if line.startswith("PREFIX")]
    assert len(prefix_lines) == len(set(prefix_lines))
    body = text.split("\n\n", 1)[1]
    assert not any(line.lstrip().upper().startswith("PREFIX") for line in body.splitlines())
    assert body.startswith(f"CLEAR SILENT GRAPH <{RULE_INFERRED_GRAPH}>")
    ox.Store().update(text)  # parses and runs


def test_rules_with_clashing_prefixes_are_refused() -> None:
    one = Rule(
        "1-a", f"PREFIX x: <urn:a#>\nINSERT {{ GRAPH <{RULE_INFERRED_GRAPH}> {{}} }} WHERE {{}}"
    )
    two = Rule(
        "2-b", f"PREFIX x: <urn:b#>\nINSERT {{ GRAPH <{RULE_INFERRED_GRAPH}> {{}} }} WHERE {{}}"
    )
    with pytest.raises(InferenceError):
        rules_update(RULE_INFERRED_GRAPH, rules=[one, two])


def test_load_rules_refuses_a_rule_that_writes_elsewhere(tmp_path: Path) -> None:
    (tmp_path / "10-bad.rq").write_text(
        "# writes to the wrong graph\nINSERT { GRAPH <urn:x> { ?s ?p ?o } } WHERE { ?s ?p ?o }"
    )
    with pytest.raises(InferenceError):
        load_rules(tmp_path)


@pytest.mark.parametrize(
    "text",
    [
        "BASE <urn:b/>\nINSERT { GRAPH <%s> { ?s ?p ?o } } WHERE { ?s ?p ?o }",
        "PREFIX a: <urn:a#> PREFIX b: <urn:b#>\nINSERT { GRAPH <%s> { ?s ?p ?o } } WHERE { }",
    ],
    ids=["base", "two-prefixes-on-one-line"],
)
def test_load_rules_refuses_a_prologue_it_cannot_hoist(tmp_path: Path, text: str) -> None:
    (tmp_path / "10-bad.rq").write_text(text % RULE_INFERRED_GRAPH)
    with pytest.raises(InferenceError):
        load_rules(tmp_path)


def test_rules_run_in_file_name_order() -> None:
    names = [rule.name for rule in load_rules()]
    assert names == sorted(names)


# --- What the runner relies on in pyoxigraph 0.5 (see the inference module docstring) ---


@pytest.mark.parametrize("on_disk", [False, True], ids=["memory", "disk"])
def test_pyoxigraph_runs_a_multi_operation_update_as_one_transaction(
    on_disk: bool, tmp_path: Path
) -> None:
    store = ox.Store(tmp_path / "db") if on_disk else ox.Store()
    store.update("INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:p> <urn:b> } }")
    with pytest.raises(RuntimeError, match="already exists"):
        # the second operation fails at run time (not at parse time)...
        store.update("INSERT DATA { <urn:c> <urn:p> <urn:d> } ; CREATE GRAPH <urn:g>")
    # ...and the first one is rolled back
    assert len(store) == 1
    # later operations see the writes of earlier ones
    store.update(
        "INSERT DATA { <urn:e> <urn:p> <urn:f> } ;"
        " INSERT { <urn:g> <urn:p> ?x } WHERE { <urn:e> <urn:p> ?x }"
    )
    assert ox.Quad(n("urn:g"), n("urn:p"), n("urn:f")) in set(store)


def test_pyoxigraph_refuses_a_prologue_after_a_semicolon() -> None:
    # Allowed by SPARQL 1.1 (grammar rule 29); if this starts passing, rules_update could
    # stop hoisting prefixes.
    with pytest.raises(SyntaxError):
        ox.Store().update(
            "PREFIX a: <urn:a#> INSERT DATA { a:x a:y a:z } ;"
            " PREFIX b: <urn:b#> INSERT DATA { b:x b:y b:z }"
        )


def test_pyoxigraph_zero_length_paths_skip_terms_not_in_the_graph() -> None:
    # Why the rules name skos:related etc. with VALUES instead of `?p rdfs:subPropertyOf* ?q`.
    store = ox.Store()
    store.add(ox.Quad(n("urn:x"), n(RDFS + "subPropertyOf"), n("urn:y"), n("urn:o")))
    rows = store.query(
        f"SELECT ?p WHERE {{ GRAPH <urn:o> {{ ?p <{RDFS}subPropertyOf>* <urn:absent> }} }}"
    )
    assert list(rows) == []


def test_module_constants_are_the_default_graphs() -> None:
    assert inference.RULE_INFERRED_GRAPH == "https://w3id.org/intimacy-graph/graph/inferred"
    assert inference.RULE_ONTOLOGY_GRAPH == "https://w3id.org/intimacy-graph/graph/ontology"
