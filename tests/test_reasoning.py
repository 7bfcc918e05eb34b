"""HermiT through intimacy_graph.reasoning: the ontology and DESIGN.md §4-shaped data."""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path
from typing import Any

import owlready2
import pytest
from rdflib import OWL, RDF, Graph, Literal, Namespace, URIRef

from intimacy_graph.errors import ReasonerError, ReasonerUnavailableError
from intimacy_graph.namespaces import FABIO, IG
from intimacy_graph.reasoning import check_consistency
from intimacy_graph.resources import ontology_file

DATA = Path(__file__).parent / "data" / "reasoning"
NOTE = URIRef("https://w3id.org/intimacy-graph/note/emotional-intimacy")
TRUST_STATEMENT = URIRef(
    "https://w3id.org/intimacy-graph/statement/emotional-intimacy/characteristic/trust"
)
WORK = URIRef("https://w3id.org/intimacy-graph/work/aron-1997")
EX = Namespace("http://example.org/reasoning-test#")
XSD_GYEAR = URIRef("http://www.w3.org/2001/XMLSchema#gYear")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ontology_file(), format="turtle")


def _data(name: str) -> Graph:
    return Graph().parse(DATA / name, format="turtle")


def test_ontology_is_consistent_with_no_unsatisfiable_classes(ontology: Graph) -> None:
    report = check_consistency([ontology])
    assert report.consistent, report.message
    assert report.unsatisfiable_classes == []
    assert report.ok
    assert report.triples == len(ontology)
    assert report.stripped_triples == 0


def test_small_note_graph_is_consistent(ontology: Graph) -> None:
    report = check_consistency([ontology, _data("small-note.ttl")])
    assert report.consistent, report.message
    assert report.unsatisfiable_classes == []
    assert report.individuals > 0


def test_note_typed_as_concept_is_inconsistent(ontology: Graph) -> None:
    report = check_consistency([ontology, _data("note-is-concept.ttl")])
    assert not report.consistent
    assert not report.ok
    assert "inconsistent" in report.message


def _statement_is_a_study(graph: Graph) -> None:
    graph.add((TRUST_STATEMENT, RDF.type, IG.Study))


def _statement_of_two_kinds(graph: Graph) -> None:
    graph.add((TRUST_STATEMENT, RDF.type, IG.TypeStatement))


def _note_with_two_content_hashes(graph: Graph) -> None:
    graph.add((NOTE, IG.contentHash, Literal("0" * 64)))


def _note_described_by_a_note(graph: Graph) -> None:
    # ig:describes has range ig:Concept, and a note is not a concept.
    graph.add((NOTE, IG.describes, NOTE))


def _position_is_not_an_integer(graph: Graph) -> None:
    graph.set((TRUST_STATEMENT, IG.position, Literal("first", lang="en")))


@pytest.mark.parametrize(
    "break_it",
    [
        _statement_is_a_study,
        _statement_of_two_kinds,
        _note_with_two_content_hashes,
        _note_described_by_a_note,
        _position_is_not_an_integer,
    ],
    ids=lambda f: f.__name__.lstrip("_"),
)
def test_broken_small_note_graph_is_inconsistent(ontology: Graph, break_it: Any) -> None:
    data = _data("small-note.ttl")
    break_it(data)
    assert not check_consistency([ontology, data]).consistent


def test_unsatisfiable_class_is_listed(ontology: Graph) -> None:
    report = check_consistency([ontology, _data("unsatisfiable-class.ttl")])
    assert report.consistent
    assert report.unsatisfiable_classes == [str(EX.NoteConcept)]
    assert not report.ok


def test_imports_and_python_module_are_stripped_and_nothing_is_fetched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Alone, so that its header is the ontology owlready2 loads (and would follow imports of).
    # owlready2 swallows download errors, so the fake records calls instead of raising.
    fetched: list[object] = []

    def no_network(*args: object, **kwargs: object) -> None:
        fetched.append(args)
        raise OSError("no network in tests")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    report = check_consistency([_data("imports-and-python-module.ttl")])
    assert fetched == []
    assert report.consistent, report.message
    assert report.stripped_triples == 2
    # owlready2 would have raised ModuleNotFoundError importing it.
    assert "intimacy_graph_reasoning_must_not_import_this" not in sys.modules


def test_default_world_is_untouched(ontology: Graph) -> None:
    before = len(owlready2.default_world.graph)
    check_consistency([ontology])
    assert len(owlready2.default_world.graph) == before
    assert owlready2.default_world[str(IG.Concept)] is None


def test_literals_with_special_characters_survive(ontology: Graph) -> None:
    # ig:markdown is functional: if owlready2's N-Triples round trip changed one of two equal
    # literals, HermiT would see two values and call the graph inconsistent.
    data = Graph()
    text = 'Line "one" \\ back\r\nline two\ttab é 😀 \\n not a newline\n'
    data.add((NOTE, RDF.type, IG.ConceptNote))
    data.add((NOTE, IG.markdown, Literal(text)))
    second = Graph()
    second.add((NOTE, IG.markdown, Literal(text)))
    assert check_consistency([ontology, data, second]).consistent
    second.set((NOTE, IG.markdown, Literal(text + " ")))
    assert not check_consistency([ontology, data, second]).consistent


def test_gyear_on_a_datatype_property_is_refused(ontology: Graph) -> None:
    # Why fabio:hasPublicationYear is an annotation property: xsd:gYear is not in the OWL 2
    # datatype map, and HermiT refuses such a literal on a datatype property.
    data = Graph()
    data.add((FABIO.hasPublicationYear, RDF.type, OWL.DatatypeProperty))
    data.add((WORK, FABIO.hasPublicationYear, Literal("1997", datatype=XSD_GYEAR)))
    with pytest.raises(ReasonerError) as caught:
        check_consistency([data])
    assert caught.value.code == "reasoner-failed"
    assert "gYear" in caught.value.message
    annotated = Graph()
    annotated.add((WORK, FABIO.hasPublicationYear, Literal("1997", datatype=XSD_GYEAR)))
    assert check_consistency([ontology, annotated]).consistent


def test_missing_java_raises_reasoner_unavailable(ontology: Graph) -> None:
    with pytest.raises(ReasonerUnavailableError) as caught:
        check_consistency([ontology], java="/nonexistent/bin/java")
    assert caught.value.code == "reasoner-unavailable"
    assert caught.value.to_dict()["java"] == "/nonexistent/bin/java"


def test_timeout_stops_hermit(ontology: Graph) -> None:
    with pytest.raises(ReasonerError) as caught:
        check_consistency([ontology], timeout_s=0.01)
    assert caught.value.code == "reasoner-timeout"
