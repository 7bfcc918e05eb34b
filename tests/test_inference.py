"""Inference rules (queries/rules/) and their runner (intimacy_graph.inference).

The rule tests run on every store backend through the one parametrised ``store_backend``
fixture (tests/backends.py): the embedded Oxigraph store, and a RemoteStore on a real
Virtuoso, where each rule is sent as a request of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.term import Node

from intimacy_graph import inference
from intimacy_graph.errors import IntimacyGraphError
from intimacy_graph.inference import (
    RULE_INFERRED_GRAPH,
    RULE_ONTOLOGY_GRAPH,
    InferenceError,
    Rule,
    load_rules,
    materialise,
    rebuild,
    rule_requests,
    rules_update,
)
from intimacy_graph.store import OxigraphStore, Store

DATA = Path(__file__).parent / "data" / "rules"
IG = "https://w3id.org/intimacy-graph/ontology#"
CONCEPT = "https://w3id.org/intimacy-graph/concept/"
STMT = "https://w3id.org/intimacy-graph/statement/"
WORK = "https://w3id.org/intimacy-graph/work/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF_TYPE = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
INFERRED = URIRef(RULE_INFERRED_GRAPH)
ONTOLOGY = URIRef(RULE_ONTOLOGY_GRAPH)
#: Graph IRIs of a deployment with other names, under the namespace the fixture clears.
OTHER_INFERRED = URIRef("https://w3id.org/intimacy-graph/graph/test-inferred")
OTHER_ONTOLOGY = URIRef("https://w3id.org/intimacy-graph/graph/test-ontology")

Triple = tuple[Node, Node, Node]


def n(iri: str) -> URIRef:
    return URIRef(iri)


def c(slug: str) -> URIRef:
    return URIRef(CONCEPT + slug)


def a_type(node: URIRef, cls: str) -> Triple:
    return (node, RDF_TYPE, URIRef(cls))


def trig_graphs(*files: Path) -> dict[URIRef, Graph]:
    """The named graphs of TriG files, as the store's ``replace_graphs`` takes them."""
    ds = Dataset()
    for path in files:
        ds.parse(path, format="trig")
    graphs: dict[URIRef, Graph] = {}
    for graph in ds.graphs():
        if len(graph) and isinstance(graph.identifier, URIRef):
            graphs.setdefault(graph.identifier, Graph())
            graphs[graph.identifier] += graph
    return graphs


def load_store(
    store: Store,
    ontology: Path = DATA / "ontology.ttl",
    data: Path = DATA / "data.trig",
    *,
    ontology_graph: URIRef = ONTOLOGY,
) -> Store:
    graphs = trig_graphs(data)
    graphs[ontology_graph] = Graph().parse(ontology, format="turtle")
    store.replace_graphs(graphs)
    return store


def load_trig(store: Store, *files: Path) -> Store:
    store.replace_graphs(trig_graphs(*files))
    return store


def triples_in(store: Store, graph: URIRef = INFERRED) -> set[Triple]:
    return set(store.graph(graph))


def count(store: Store, graph: URIRef = INFERRED) -> int:
    return len(triples_in(store, graph))


def expected(path: Path) -> set[Triple]:
    return set(Graph().parse(path, format="turtle"))


EI = c("emotional-intimacy")
TRUST_STMT = n(STMT + "emotional-intimacy/characteristic/trust")
ARON = n(WORK + "aron-1997")

# One positive case per rule file: what the rule alone, run once on data.trig, must add.
RULE_CASES: dict[str, list[Triple]] = {
    "10-inverse-of": [
        # declared as `ig:hasCharacteristic owl:inverseOf ig:isCharacteristicOf`
        (c("trust"), n(IG + "isCharacteristicOf"), EI),
        # declared the other way round: `ig:isTypeOf owl:inverseOf ig:hasType`
        (c("romantic-intimacy"), n(IG + "isTypeOf"), EI),
        (c("resilience"), n(IG + "isBenefitOf"), EI),
    ],
    "20-symmetric": [
        (c("attachment-theory"), n(SKOS + "related"), EI),  # asserted skos:related
        (c("trust"), n(SKOS + "related"), EI),  # ig:hasCharacteristic ⊑ skos:related
    ],
    "30-broader-narrower": [
        (c("intimacy"), n(SKOS + "narrower"), EI),  # asserted skos:broader
        (c("romantic-intimacy"), n(SKOS + "broader"), EI),  # ig:hasType ⊑ narrower
    ],
    "40-subproperty": [
        (EI, n(SKOS + "related"), c("trust")),
        (EI, n(SKOS + "related"), c("resilience")),
        (EI, n(SKOS + "narrower"), c("romantic-intimacy")),
        (EI, n(RDFS + "seeAlso"), c("love")),
        # a literal object is lifted too (skos:definition ⊑ skos:note in the fixture)
        (
            EI,
            n(SKOS + "note"),
            Literal("Emotional intimacy is the ability to be open and vulnerable.", lang="en"),
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
def test_rule_adds_its_case(store_backend: Store, rule: Rule) -> None:
    if rule.name not in RULE_CASES:
        pytest.fail(f"rule {rule.name} has no positive case in RULE_CASES")
    store = load_store(store_backend)
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


#: A property path operator after an IRI, a prefixed name or a group: `p+`, `p*`, `(a|b)+`.
_PATH = re.compile(r"[\w>)][+*?](?=\s|[.;,)}])|\^[\w<(]|[\w>]\s*/\s*[\w<]")


@pytest.mark.parametrize("rule", load_rules(), ids=lambda rule: rule.name)
def test_rules_use_no_property_paths_and_no_subselects(rule: Rule) -> None:
    # Portable rules (see the inference module docstring): Virtuoso 7 cannot evaluate
    # `?p rdfs:subPropertyOf+ ?q` (unbound start), and got INSERT … WHERE { { SELECT DISTINCT
    # … } } wrong. Each rule takes one schema step and rebuild() repeats passes.
    code = [line.split("#", 1)[0] for line in rule.body.splitlines()]
    code = [re.sub(r"<[^>]*>", "<iri>", line) for line in code]
    assert [line for line in code if _PATH.search(line)] == []
    assert [line for line in code if re.search(r"\bSELECT\b", line, re.IGNORECASE)] == []


def test_materialise_gives_the_expected_closure(store_backend: Store) -> None:
    store = load_store(store_backend)
    total = materialise(store, RULE_INFERRED_GRAPH)
    want = expected(DATA / "expected-inferred.ttl")
    got = triples_in(store)
    assert got - want == set(), "inferred but not expected"
    assert want - got == set(), "expected but not inferred"
    assert total == len(want)


def test_one_pass_closes_the_fixture(store_backend: Store) -> None:
    # Each rule takes one schema step, but the fixture needs no second step: the first pass
    # reaches the fixpoint and the second only confirms it.
    store = load_store(store_backend)
    store.update(rules_update(RULE_INFERRED_GRAPH))
    after_one_pass = count(store)
    closure = rebuild(store, RULE_INFERRED_GRAPH)
    assert (closure.triples, closure.rounds) == (after_one_pass, 2)


def test_materialise_again_adds_nothing(store_backend: Store) -> None:
    store = load_store(store_backend)
    first = materialise(store, RULE_INFERRED_GRAPH)
    before = triples_in(store)
    for request in rule_requests(RULE_INFERRED_GRAPH):
        store.update(request)
    assert triples_in(store) == before
    assert materialise(store, RULE_INFERRED_GRAPH) == first


def test_materialise_repeats_the_sequence_until_nothing_is_new(store_backend: Store) -> None:
    # `ex:isNarrowerOf owl:inverseOf skos:narrower` and `a skos:broader b`: rule 30 adds
    # `b skos:narrower a`, which only the inverse rule (10) of the *next* pass can flip.
    store = load_trig(store_backend, DATA / "two-pass.trig")
    late = (
        n("https://example.org/a"),
        n("https://example.org/isNarrowerOf"),
        n("https://example.org/b"),
    )
    store.update(rules_update(RULE_INFERRED_GRAPH))
    assert late not in triples_in(store)
    closure = rebuild(store, RULE_INFERRED_GRAPH)
    assert late in triples_in(store)
    assert closure.triples == count(store)
    assert closure.rounds == 3  # two passes add, the third confirms


def test_schema_chains_close_one_step_per_pass(store_backend: Store) -> None:
    # Chains longer than one schema step (sub-classes, sub-properties, a sub-property of an
    # inverse or symmetric property): what the transitive rules inferred in one pass, the
    # one-step rules reach over several.
    store = load_trig(store_backend, DATA / "chains.trig")
    closure = rebuild(store, RULE_INFERRED_GRAPH)
    assert triples_in(store) == expected(DATA / "expected-chains.ttl")
    assert closure.rounds == 4


def test_materialise_gives_up_at_the_cap(store_backend: Store) -> None:
    store = load_trig(store_backend, DATA / "two-pass.trig")
    with pytest.raises(InferenceError) as caught:
        materialise(store, RULE_INFERRED_GRAPH, max_rounds=2)
    assert caught.value.details["rounds"] == 2


def test_ontology_triples_are_never_data(store_backend: Store) -> None:
    store = load_store(store_backend)
    materialise(store, RULE_INFERRED_GRAPH)
    schema_terms = {s for s, _, _ in store.graph(ONTOLOGY)}
    inferred = triples_in(store)
    assert not [t for t in inferred if t[0] in schema_terms]
    # TRAP in the fixture: skos:definition ⊑ skos:note, skos:note rdfs:domain skos:Concept
    assert a_type(n(IG + "Concept"), SKOS + "Concept") not in inferred


def test_inferred_graph_has_no_literals_typed_and_no_blank_nodes(store_backend: Store) -> None:
    store = load_store(store_backend)
    materialise(store, RULE_INFERRED_GRAPH)
    for s, p, o in triples_in(store):
        assert isinstance(s, URIRef)
        assert not isinstance(o, BNode)  # e.g. an owl:unionOf range
        if p == RDF_TYPE:
            assert isinstance(o, URIRef)


def test_inferred_graph_does_not_repeat_asserted_triples(store_backend: Store) -> None:
    store = load_store(store_backend)
    materialise(store, RULE_INFERRED_GRAPH)
    asserted = {t for g in store.named_graphs() if g != INFERRED for t in store.graph(g)}
    assert triples_in(store) & asserted == set()
    # ...yet the union still has e.g. the asserted ig:Statement type of the evidence statement
    evidence = n(STMT + "emotional-intimacy/evidence/aron-1997")
    assert a_type(evidence, IG + "Statement") in asserted


def test_materialise_replaces_stale_inferences(store_backend: Store) -> None:
    store = load_store(store_backend)
    stale = (c("trust"), n(SKOS + "broader"), c("love"))
    store.replace_graphs({INFERRED: Graph().add(stale)})
    materialise(store, RULE_INFERRED_GRAPH)
    assert stale not in triples_in(store)


def test_materialise_uses_the_callers_graphs(store_backend: Store) -> None:
    store = load_store(store_backend, ontology_graph=OTHER_ONTOLOGY)
    total = materialise(store, OTHER_INFERRED, ontology_graph_iri=OTHER_ONTOLOGY)
    assert total == count(store, OTHER_INFERRED) > 0
    assert count(store, INFERRED) == 0
    assert (c("trust"), n(IG + "isCharacteristicOf"), EI) in triples_in(store, OTHER_INFERRED)


def test_rebuild_writes_graphs_and_extra_updates(store_backend: Store) -> None:
    store = load_store(store_backend)
    note = URIRef("https://w3id.org/intimacy-graph/graph/note/love")
    log = URIRef("https://w3id.org/intimacy-graph/graph/test-log")
    data = Graph().add((c("love"), n(IG + "hasCharacteristic"), c("trust")))
    record = f"INSERT DATA {{ GRAPH <{log}> {{ <urn:x:run> <urn:x:did> <urn:x:it> }} }}"
    rebuild(store, RULE_INFERRED_GRAPH, graphs={note: data}, extra=[record])
    assert set(store.graph(note)) == set(data)
    assert len(store.graph(log)) == 1
    assert (c("trust"), n(IG + "isCharacteristicOf"), c("love")) in triples_in(store)


def test_rebuild_on_oxigraph_is_one_transaction() -> None:
    # The graph writes, the CLEAR, the first pass and the extra updates: all or nothing.
    store = OxigraphStore()
    load_store(store)
    materialise(store, RULE_INFERRED_GRAPH)
    before = {str(quad) for quad in store.raw}
    note = URIRef("https://w3id.org/intimacy-graph/graph/note/love")
    data = Graph().add((c("love"), n(IG + "hasCharacteristic"), c("trust")))
    failing = f"CREATE GRAPH <{ONTOLOGY}>"  # the graph exists: fails while running
    with pytest.raises(Exception):  # noqa: B017 - the store's own error type
        rebuild(store, RULE_INFERRED_GRAPH, graphs={note: data}, extra=[failing])
    assert {str(quad) for quad in store.raw} == before


class _Recording:
    """A store that is not an OxigraphStore (so treated as remote), recording each request."""

    def __init__(self) -> None:
        self.inner = OxigraphStore()
        self.requests: list[str] = []

    def replace_graphs(
        self,
        graphs: Mapping[URIRef, Graph],
        *,
        drop: Iterable[URIRef] = (),
        then: Iterable[str] = (),
    ) -> None:
        then = list(then)
        self.requests.append("replace_graphs")
        self.inner.replace_graphs(graphs, drop=drop, then=then)

    def update(self, sparql: str) -> None:
        self.requests.append(sparql)
        self.inner.update(sparql)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_rebuild_sends_one_rule_per_request_to_other_stores() -> None:
    store = _Recording()
    load_store(store.inner)
    total = materialise(store, RULE_INFERRED_GRAPH)  # type: ignore[arg-type]
    assert total == len(expected(DATA / "expected-inferred.ttl"))
    updates = [r for r in store.requests if r != "replace_graphs"]
    assert store.requests[0] == "replace_graphs"  # the DROP of the inferred graph
    assert len(updates) == 2 * len(load_rules())  # two passes
    operations = [re.findall(r"^(?:INSERT|CLEAR|DROP)\b", r, re.MULTILINE) for r in updates]
    assert operations == [["INSERT"]] * len(updates)


def test_a_failing_rule_is_named_in_the_error() -> None:
    store = _Recording()
    load_store(store.inner)
    failing = Rule("99-failing", f"# fails while running\nCREATE GRAPH <{RULE_ONTOLOGY_GRAPH}>")
    with pytest.raises(IntimacyGraphError) as caught:
        materialise(store, RULE_INFERRED_GRAPH, rules=[*load_rules(), failing])  # type: ignore[arg-type]
    assert caught.value.__notes__ == ["inference: rule 99-failing, pass 1"]


@pytest.mark.parametrize("iri", ["not an iri", "https://example.org/a> } ; DROP ALL ; #"])
def test_graph_iris_must_be_iris(iri: str) -> None:
    with pytest.raises(ValueError):
        rules_update(iri)
    with pytest.raises(ValueError):
        materialise(OxigraphStore(), iri)


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
    flipped = ox.Quad(ox.NamedNode("urn:g"), ox.NamedNode("urn:p"), ox.NamedNode("urn:f"))
    assert flipped in set(store)


def test_pyoxigraph_refuses_a_prologue_after_a_semicolon() -> None:
    # Allowed by SPARQL 1.1 (grammar rule 29); if this starts passing, rules_update could
    # stop hoisting prefixes.
    with pytest.raises(SyntaxError):
        ox.Store().update(
            "PREFIX a: <urn:a#> INSERT DATA { a:x a:y a:z } ;"
            " PREFIX b: <urn:b#> INSERT DATA { b:x b:y b:z }"
        )


def test_pyoxigraph_zero_length_paths_skip_terms_not_in_the_graph() -> None:
    # One more reason the rules use no paths: `?p rdfs:subPropertyOf* skos:related` would miss
    # skos:related itself whenever the ontology does not mention it (rules 20, 30 BIND it).
    store = ox.Store()
    store.add(
        ox.Quad(
            ox.NamedNode("urn:x"),
            ox.NamedNode(RDFS + "subPropertyOf"),
            ox.NamedNode("urn:y"),
            ox.NamedNode("urn:o"),
        )
    )
    rows = store.query(
        f"SELECT ?p WHERE {{ GRAPH <urn:o> {{ ?p <{RDFS}subPropertyOf>* <urn:absent> }} }}"
    )
    assert isinstance(rows, ox.QuerySolutions)
    assert list(rows) == []


def test_module_constants_are_the_default_graphs() -> None:
    assert inference.RULE_INFERRED_GRAPH == "https://w3id.org/intimacy-graph/graph/inferred"
    assert inference.RULE_ONTOLOGY_GRAPH == "https://w3id.org/intimacy-graph/graph/ontology"
