"""The fast SHACL engine (``intimacy_graph.shacl_fast``) gives exactly pySHACL's results.

Agreement is checked on every shape example, on every note of the test corpora, and on
Hypothesis mutations of the seed's graph; each constraint component our shapes use has a
mutation it must catch, so the agreement tests cannot pass by both engines finding nothing.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import RDF, BNode, Dataset, Graph, Literal, Node, URIRef
from rdflib.namespace import DCTERMS, SKOS

from intimacy_graph.diagnostics import Diagnostic
from intimacy_graph.encode import build_registry, encode_note
from intimacy_graph.namespaces import IG, Iris
from intimacy_graph.notes import parse_note
from intimacy_graph.resources import data_dir
from intimacy_graph.shacl_fast import UnsupportedShapesError, compile_shapes
from intimacy_graph.validation import compiled_shapes, shacl_validate

DATA = Path(__file__).parent / "data"
SHAPE_EXAMPLES = sorted((DATA / "shapes").glob("*.ttl"))
NOTES = sorted(DATA.glob("**/*.md"))
IRIS = Iris()
RUN = IRIS.run("20240501T120000Z-3f1c9a0")
WHEN = datetime(2024, 5, 1, tzinfo=UTC)
NOTE = IRIS.note("emotional-intimacy")
CONCEPT = IRIS.concept("emotional-intimacy")
TRUST = URIRef("https://w3id.org/intimacy-graph/statement/emotional-intimacy/characteristic/trust")
OBO_DEFINITION = URIRef("http://purl.obolibrary.org/obo/IAO_0000115")
XSD_NS = "http://www.w3.org/2001/XMLSchema#"  # not rdflib's XSD: pytest trips over its getattr

PREFIXES = """
@prefix ex:   <http://example.org/> .
@prefix igsh: <https://w3id.org/intimacy-graph/shapes#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sh:   <http://www.w3.org/ns/shacl#> .
"""


def both(data: Graph, **kwargs: object) -> tuple[list[Diagnostic], list[Diagnostic]]:
    fast = shacl_validate(data, engine="fast", **kwargs)  # type: ignore[arg-type]
    reference = shacl_validate(data, engine="pyshacl", **kwargs)  # type: ignore[arg-type]
    return fast, reference


def assert_agree(data: Graph, **kwargs: object) -> list[Diagnostic]:
    fast, reference = both(data, **kwargs)
    assert fast == reference, (
        "fast only:\n"
        + "\n".join(d.to_text() for d in fast if d not in reference)
        + "\npySHACL only:\n"
        + "\n".join(d.to_text() for d in reference if d not in fast)
    )
    return fast


def compiled_note(path: Path) -> Graph:
    note = parse_note(path.read_text(encoding="utf-8"), path.name)
    compiled = encode_note(note, IRIS, run=RUN, modified=WHEN)
    return compiled.graph + build_registry([compiled], IRIS)


@pytest.fixture(scope="module")
def seed() -> Graph:
    return compiled_note(data_dir("notes") / "emotional-intimacy.md")


def test_our_shapes_compile() -> None:
    assert compiled_shapes() is not None
    assert compiled_shapes() is compiled_shapes()  # compiled once


# --- agreement ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SHAPE_EXAMPLES, ids=lambda p: p.name)
def test_agrees_on_every_shape_example(path: Path) -> None:
    found = assert_agree(Graph().parse(path, format="turtle"), file=path.name)
    assert bool(found) == (".bad" in path.name)


def test_agrees_on_the_seed(seed: Graph) -> None:
    assert assert_agree(seed, file="emotional-intimacy.md") == []


@pytest.mark.parametrize("path", NOTES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_agrees_on_every_test_note(path: Path) -> None:
    assert_agree(compiled_note(path), file=path.name)


def test_agrees_on_the_whole_valid_corpus_at_once() -> None:
    compiled = []
    for path in sorted((DATA / "notes" / "valid").glob("*.md")):
        note = parse_note(path.read_text(encoding="utf-8"), path.name)
        compiled.append(encode_note(note, IRIS, run=RUN, modified=WHEN))
    graph = build_registry(compiled, IRIS)
    for c in compiled:
        graph += c.graph
    assert_agree(graph)


def test_agrees_on_the_valid_corpus_with_many_random_breaks() -> None:
    compiled = []
    for path in sorted((DATA / "notes" / "valid").glob("*.md")):
        note = parse_note(path.read_text(encoding="utf-8"), path.name)
        compiled.append(encode_note(note, IRIS, run=RUN, modified=WHEN))
    graph = build_registry(compiled, IRIS)
    for c in compiled:
        graph += c.graph
    rng = random.Random(5)
    triples = sorted(graph)
    for t in rng.sample(triples, len(triples) // 20):
        graph.remove(t)
    for s, p, o in rng.sample(triples, len(triples) // 50):
        graph.add((s, p, Literal(str(o), lang="de")))
    found = assert_agree(graph)
    assert len({d.code for d in found}) >= 10  # many shapes fire, so agreement means something


def test_agrees_with_the_ontology_mixed_in(seed: Graph) -> None:
    ontology = Graph().parse(data_dir("ontology") / "intimacy.ttl", format="turtle")
    data = Graph().parse(DATA / "shapes" / "study.bad.ttl", format="turtle")
    assert assert_agree(data, ontology=ontology) == []  # ig:Study ⊑ ig:Work from the ontology
    assert_agree(seed, ontology=ontology)


def test_context_is_validated_as_if_mixed_in(seed: Graph) -> None:
    note_only = Graph()
    registry = Graph()
    for triple in seed:
        (registry if (triple[0], RDF.type, IG.Concept) in seed else note_only).add(triple)
    assert shacl_validate(note_only) != []  # links to concepts it does not register
    for engine in ("fast", "pyshacl"):
        assert shacl_validate(note_only, context=[registry], engine=engine) == []  # type: ignore[arg-type]
        assert shacl_validate(note_only, context=[list(registry)], engine=engine) == []  # type: ignore[arg-type]
    assert len(note_only) + len(registry) == len(seed)  # nothing was copied into note_only


def test_a_dataset_goes_to_pyshacl() -> None:
    ds = Dataset()
    ds.graph(URIRef("urn:g")).parse(DATA / "shapes" / "note-title.bad.ttl", format="turtle")
    fast, reference = both(ds)
    assert fast == reference


# --- mutations ------------------------------------------------------------------------------------

OTHER_CLASSES = [IG.Concept, IG.Study, IG.Work, IG.Section, IG.ConceptNote, IG.TypeStatement]
OTHER_DATATYPES = [
    URIRef(XSD_NS + n) for n in ("string", "integer", "dateTime", "gYear", "boolean")
]


def _mutate_object(o: Node, how: int, pick: int) -> Node:
    if how == 0 and isinstance(o, Literal):  # another datatype, often ill-typed
        datatypes = [*OTHER_DATATYPES, None]
        return Literal(str(o), datatype=datatypes[pick % len(datatypes)])
    if how == 1 and isinstance(o, Literal):  # another language, or none
        return Literal(str(o), lang=["fr", "en-GB", "EN", None][pick % 4])
    if how == 2:  # another kind of node
        # an IRI only where one can be: input with invalid IRIs is refused before validation
        iri = URIRef(str(o) + "x") if isinstance(o, URIRef) else URIRef("urn:x-mutated:value")
        return [Literal(str(o)), BNode(), iri][pick % 3]
    if how == 3 and isinstance(o, Literal):  # shorter or stranger text
        return Literal(
            ["", "0", "-1", "true", "ABC"][pick % 5], datatype=o.datatype, lang=o.language
        )
    return OTHER_CLASSES[pick % len(OTHER_CLASSES)]


@st.composite
def mutations(draw: st.DrawFn, seed: Graph) -> list[tuple[Node, int, int, int]]:
    # Pick a predicate first, so rare ones (a title, a definition) are as likely as common ones.
    predicates = sorted(set(seed.predicates()))
    return draw(
        st.lists(
            st.tuples(
                st.sampled_from(predicates),
                st.integers(0, 10_000),  # which of its triples
                st.integers(0, 6),  # what to do with it
                st.integers(0, 100),  # which variant
            ),
            min_size=1,
            max_size=4,
        )
    )


def apply(seed: Graph, steps: list[tuple[Node, int, int, int]]) -> Graph:
    graph = Graph()
    for t in seed:
        graph.add(t)
    for predicate, index, how, pick in steps:
        triples = sorted(seed.triples((None, predicate, None)))
        s, p, o = triples[index % len(triples)]
        if how == 5:
            graph.remove((s, p, o))
        elif how == 6:  # a second value
            graph.add((s, p, _mutate_object(o, pick % 4, pick)))
        else:
            graph.remove((s, p, o))
            graph.add((s, p, _mutate_object(o, how, pick)))
    return graph


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_agrees_on_mutations_of_the_seed(seed: Graph, data: st.DataObject) -> None:
    steps = data.draw(mutations(seed))
    assert_agree(apply(seed, steps))


# One mutation per constraint component and target kind the shapes use: each must be caught.
STUDY = URIRef("https://w3id.org/intimacy-graph/work/aron-1997")
SECTION = URIRef(str(NOTE) + "/section/1")
CATCHES: list[tuple[str, str, list[tuple[str, tuple[Node, Node, Node]]]]] = [
    ("min-count", "note-title", [("remove", (NOTE, DCTERMS.title, None))]),  # type: ignore[list-item]
    ("max-count", "note-title", [("add", (NOTE, DCTERMS.title, Literal("Another")))]),
    ("datatype", "note-title", [("set", (NOTE, DCTERMS.title, Literal("X", lang="en")))]),
    (
        "ill-typed",
        "note-modified",
        [("set", (NOTE, DCTERMS.modified, Literal("soon", datatype=URIRef(XSD_NS + "dateTime"))))],
    ),
    ("node-kind", "note-describes", [("set", (NOTE, IG.describes, Literal("Emotional Intimacy")))]),
    ("class", "note-links-to", [("add", (NOTE, IG.linksTo, URIRef(str(CONCEPT) + "-nowhere")))]),
    ("pattern", "note-content-hash", [("set", (NOTE, IG.contentHash, Literal("ABC")))]),
    (
        "node-pattern",
        "concept",
        [
            ("add", (URIRef("urn:x:c"), RDF.type, IG.Concept)),
            ("add", (URIRef("urn:x:c"), SKOS.prefLabel, Literal("C", lang="en"))),
            (
                "add",
                (
                    URIRef("urn:x:c"),
                    URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
                    Literal("C"),
                ),
            ),
            ("add", (URIRef("urn:x:c"), SKOS.inScheme, IRIS.concept("scheme"))),
        ],
    ),
    (
        "min-length",
        "statement-label",
        [("set", (TRUST, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal("")))],
    ),
    (
        "language-in",
        "note-description",
        [("set", (NOTE, DCTERMS.description, Literal("x", lang="fr")))],
    ),
    (
        "language-in-subtag",
        "",  # accepted: en-GB matches "en"
        [("set", (NOTE, DCTERMS.description, Literal("x", lang="en-GB")))],
    ),
    (
        "unique-lang",
        "skos-pref-label-unique-lang",
        [("add", (CONCEPT, SKOS.prefLabel, Literal("EI", lang="en")))],
    ),
    ("min-inclusive", "statement-position", [("set", (TRUST, IG.position, Literal(0)))]),
    ("in", "statement-label-is-link", [("set", (TRUST, IG.labelIsLink, Literal(False)))]),
    (
        "disjoint",
        "skos-pref-label-not-alt-label",
        [("add", (CONCEPT, SKOS.altLabel, Literal("Emotional Intimacy", lang="en")))],
    ),
    (
        "equals",
        "described-concept-iao-definition",
        [("set", (CONCEPT, OBO_DEFINITION, Literal("Other.", lang="en")))],
    ),
    ("target-objects-of", "described-concept", [("remove", (CONCEPT, RDF.type, None))]),  # type: ignore[list-item]
    (
        "alternative-path",
        "concept-relation-target",
        [("add", (CONCEPT, IG.hasBenefit, URIRef("urn:x:nowhere")))],
    ),
    ("inverse-path", "section-note", [("add", (SECTION, RDF.type, IG.Section))]),
    (
        "subclass-target",
        "study",
        [("add", (STUDY, RDF.type, IG.Study)), ("remove", (STUDY, RDF.type, IG.Work))],
    ),
]


@pytest.mark.parametrize(("what", "code", "edits"), CATCHES, ids=[c[0] for c in CATCHES])
def test_each_component_catches_its_mutation(
    seed: Graph, what: str, code: str, edits: list[tuple[str, tuple[Node, Node, Node]]]
) -> None:
    graph = Graph()
    for t in seed:
        graph.add(t)
    for op, (s, p, o) in edits:
        if op in ("remove", "set"):
            graph.remove((s, p, None if op == "set" else o))
        if op in ("add", "set"):
            graph.add((s, p, o))
    found = assert_agree(graph)
    if code:
        assert code in {d.code for d in found}, f"{what}: {[d.to_text() for d in found]}"
    else:  # a mutation that must be accepted
        assert found == [], f"{what}: {[d.to_text() for d in found]}"


# --- what the compiler refuses (the caller then uses pySHACL) -------------------------------------


@pytest.mark.parametrize(
    "shapes",
    [
        'igsh:s a sh:NodeShape ; sh:targetClass ex:T ; sh:node igsh:t ; sh:message "m"@en .'
        ' igsh:t a sh:NodeShape ; sh:message "m"@en .',
        'igsh:s a sh:NodeShape ; sh:targetClass ex:T ; sh:or ( igsh:t ) ; sh:message "m"@en .',
        "igsh:s a sh:PropertyShape ; sh:targetClass ex:T ; sh:path ( ex:a ex:b ) ;"
        ' sh:minCount 1 ; sh:message "m"@en .',
        "igsh:s a sh:PropertyShape ; sh:targetClass ex:T ; sh:path [ sh:zeroOrMorePath ex:a ] ;"
        ' sh:minCount 1 ; sh:message "m"@en .',
        "igsh:s a sh:PropertyShape ; sh:targetClass ex:T ; sh:path ex:a ; sh:minCount 1 .",
        'igsh:s a sh:PropertyShape ; sh:targetClass ex:T ; sh:path ex:a ; sh:minCount "1" ;'
        ' sh:message "m"@en .',
        'igsh:s a sh:NodeShape ; sh:targetClass ex:T ; sh:closed true ; sh:message "m"@en .',
        'igsh:s a sh:NodeShape ; sh:targetClass ex:T ; sh:sparql [ sh:select "SELECT $this {}" ] ;'
        ' sh:message "m"@en .',
    ],
    ids=[
        "node",
        "or",
        "sequence-path",
        "zero-or-more-path",
        "no-message",
        "bad-min-count",
        "closed",
        "sparql",
    ],
)
def test_unsupported_shapes_are_refused(shapes: str) -> None:
    with pytest.raises(UnsupportedShapesError):
        compile_shapes(Graph().parse(data=PREFIXES + shapes, format="turtle"))


def test_unsupported_shapes_fall_back_to_pyshacl() -> None:
    # Without sh:message pySHACL writes its own message, which the fast engine never does.
    shapes = Graph().parse(
        data=PREFIXES + "igsh:s a sh:PropertyShape ; sh:targetClass ex:T ; sh:path ex:a ; "
        "sh:minCount 1 .",
        format="turtle",
    )
    data = Graph().parse(data=PREFIXES + "ex:x a ex:T .", format="turtle")
    [found] = shacl_validate(data, shapes=shapes)
    assert found.code == "s"
    assert "Less than 1 values" in found.message


def test_deactivated_and_custom_severity_agree() -> None:
    shapes = Graph().parse(
        data=PREFIXES
        + """
        igsh:off a sh:PropertyShape ; sh:targetClass ex:T ; sh:path ex:a ; sh:minCount 1 ;
            sh:deactivated true ; sh:message "Off."@en .
        igsh:urgent a sh:PropertyShape ; sh:targetClass ex:T ; sh:path ex:b ; sh:minCount 1 ;
            sh:severity ex:Urgent ; sh:message "Urgent."@en , "Urgent !"@fr .
        """,
        format="turtle",
    )
    data = Graph().parse(data=PREFIXES + "ex:x a ex:T .", format="turtle")
    found = assert_agree(data, shapes=shapes)
    assert [(d.code, d.message) for d in found] == [("urgent", "Urgent.")]


def test_unknown_engine_is_refused(seed: Graph) -> None:
    with pytest.raises(ValueError, match="engine"):
        shacl_validate(seed, engine="jena")  # type: ignore[arg-type]
