"""How ``intimacy_graph.validation`` calls pySHACL and reports its results."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph, Literal, URIRef

from intimacy_graph.diagnostics import Diagnostic, Report, Severity
from intimacy_graph.namespaces import IG
from intimacy_graph.resources import shapes_files
from intimacy_graph.validation import (
    SHAPES_NS,
    load_shapes,
    shacl_shacl_check,
    shacl_validate,
)

EXAMPLES = Path(__file__).parent / "data" / "shapes"
STATEMENT = "https://w3id.org/intimacy-graph/statement/emotional-intimacy/characteristic/trust"

PREFIXES = """
@prefix ex:   <http://example.org/> .
@prefix ig:   <https://w3id.org/intimacy-graph/ontology#> .
@prefix igsh: <https://w3id.org/intimacy-graph/shapes#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix sh:   <http://www.w3.org/ns/shacl#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .
"""


def example(name: str) -> Graph:
    return Graph().parse(EXAMPLES / name, format="turtle")


def turtle(text: str) -> Graph:
    return Graph().parse(data=PREFIXES + text, format="turtle")


def codes(found: list[Diagnostic]) -> list[str]:
    return [d.code for d in found]


# --- line numbers -------------------------------------------------------------------------------


def test_line_is_the_focus_nodes_source_line() -> None:
    data = example("statement-position.bad.ttl")
    [found] = shacl_validate(data, file="emotional-intimacy.md")
    assert found.code == "statement-position"
    assert found.focus == f"<{STATEMENT}>"
    assert found.line == 16
    assert found.file == "emotional-intimacy.md"
    assert found.to_text().startswith("emotional-intimacy.md:16: error: An item must record")


def test_line_of_a_section_result() -> None:
    [found] = shacl_validate(example("section-title.bad.ttl"))
    assert (found.code, found.line) == ("section-title", 92)


def test_no_line_without_a_source_line() -> None:
    [found] = shacl_validate(example("note-title.bad.ttl"))
    assert found.code == "note-title"
    assert found.line is None
    assert found.focus == "<https://w3id.org/intimacy-graph/note/emotional-intimacy>"


def test_a_source_line_that_is_not_a_positive_integer_is_no_line() -> None:
    data = example("statement-position.bad.ttl")
    data.set((URIRef(STATEMENT), IG.sourceLine, Literal("sixteen")))
    found = shacl_validate(data)
    assert {d.line for d in found} == {None}
    assert sorted(set(codes(found))) == ["statement-position", "statement-source-line"]


# --- severities, codes and report fields ---------------------------------------------------------


SEVERITY_SHAPES = """
igsh:needs-a-label a sh:NodeShape ; sh:targetClass ex:Thing ;
    sh:property igsh:must , igsh:should , igsh:could , igsh:custom .
igsh:must a sh:PropertyShape ; sh:path rdfs:label ; sh:minCount 1 ;
    sh:severity sh:Violation ; sh:message "Must have a label."@en .
igsh:should a sh:PropertyShape ; sh:path rdfs:comment ; sh:minCount 1 ;
    sh:severity sh:Warning ; sh:message "Should have a comment."@en .
igsh:could a sh:PropertyShape ; sh:path rdfs:seeAlso ; sh:minCount 1 ;
    sh:severity sh:Info ; sh:message "Could have a see-also."@en , "Pourrait avoir un lien."@fr .
igsh:custom a sh:PropertyShape ; sh:path rdfs:isDefinedBy ; sh:minCount 1 ;
    sh:severity ex:Urgent ; sh:message "Needs a definer."@en .
"""


def test_severity_maps_from_sh_result_severity() -> None:
    found = shacl_validate(turtle("ex:a a ex:Thing ."), shapes=turtle(SEVERITY_SHAPES))
    by_code = {d.code: d for d in found}
    assert by_code["must"].severity is Severity.ERROR
    assert by_code["should"].severity is Severity.WARNING
    assert by_code["could"].severity is Severity.INFO
    assert by_code["custom"].severity is Severity.ERROR  # unknown severities count as errors
    assert by_code["could"].message == "Could have a see-also."  # English preferred
    assert by_code["must"].shape == f"<{SHAPES_NS}must>"
    assert by_code["must"].path == "<http://www.w3.org/2000/01/rdf-schema#label>"
    assert [d.severity for d in found] == sorted(
        (d.severity for d in found), key=[Severity.ERROR, Severity.WARNING, Severity.INFO].index
    )


def test_warnings_and_infos_do_not_make_a_report_fail() -> None:
    report = Report(shacl_validate(example("described-concept-scope-note.bad.ttl")))
    assert report.conforms
    assert report.has(Severity.INFO)
    report = Report(shacl_validate(example("described-concept-definition.bad.ttl")))
    assert report.conforms
    assert report.has(Severity.WARNING)


def test_anonymous_shape_is_named_after_its_constraint() -> None:
    shapes = turtle(
        "[] a sh:NodeShape ; sh:targetClass ex:Thing ;"
        " sh:property [ sh:path rdfs:label ; sh:minCount 1 ] ."
    )
    [found] = shacl_validate(turtle("ex:a a ex:Thing ."), shapes=shapes)
    assert found.code == "shacl-min-count"
    assert found.shape is None
    assert found.severity is Severity.ERROR


def test_inverse_path_and_value_are_written_in_sparql_syntax() -> None:
    [found] = shacl_validate(example("section-note.bad.ttl"))
    assert found.path == "^<https://w3id.org/intimacy-graph/ontology#hasSection>"
    [found] = shacl_validate(example("section-source-line.bad.ttl"))
    assert found.value == '"0"^^<http://www.w3.org/2001/XMLSchema#integer>'


def test_long_values_are_shortened() -> None:
    data = example("note-markdown.ok.ttl")
    note = URIRef("https://w3id.org/intimacy-graph/note/emotional-intimacy")
    data.set((note, IG.markdown, Literal("x" * 5000, lang="en")))
    [found] = shacl_validate(data)
    assert found.code == "note-markdown"
    assert found.value is not None
    assert len(found.value) < 300
    assert found.value.endswith('…"@en')


def test_a_result_is_reported_once_even_when_two_shapes_share_a_property_shape() -> None:
    data = example("statement-label.bad.ttl")
    # typed as two kinds: both node shapes list igsh:statement-label
    data.parse(
        data=f"<{STATEMENT}> a <https://w3id.org/intimacy-graph/ontology#BenefitStatement> .",
        format="turtle",
    )
    found = [d for d in shacl_validate(data) if d.code == "statement-label"]
    assert len(found) == 1


def test_the_seed_note_as_encoded_conforms() -> None:
    from datetime import UTC, datetime

    from intimacy_graph.encode import build_registry, encode_note
    from intimacy_graph.namespaces import Iris
    from intimacy_graph.notes import parse_note
    from intimacy_graph.resources import data_dir

    iris = Iris()
    path = data_dir("notes") / "emotional-intimacy.md"
    note = parse_note(path.read_text(encoding="utf-8"), path.name)
    run = iris.run("20240501T120000Z-3f1c9a0")
    compiled = encode_note(note, iris, run=run, modified=datetime(2024, 5, 1, tzinfo=UTC))
    data = compiled.graph + build_registry([compiled], iris)
    assert shacl_validate(data, file=path.name) == []


# --- what is passed to pySHACL --------------------------------------------------------------------


@pytest.mark.parametrize("bad", [str(EXAMPLES / "note-title.ok.ttl"), b"<a> <b> <c> .", None])
def test_data_that_is_not_a_parsed_graph_is_refused(bad: Any) -> None:
    with pytest.raises(TypeError, match=r"parsed rdflib\.Graph"):
        shacl_validate(bad)


def test_shapes_and_ontology_must_be_parsed_graphs_too() -> None:
    data = example("note-title.ok.ttl")
    with pytest.raises(TypeError, match="shapes"):
        shacl_validate(data, shapes=str(shapes_files()[0]))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="ontology"):
        shacl_validate(data, ontology="ontology/intimacy.ttl")  # type: ignore[arg-type]


def test_the_ontology_is_mixed_into_a_copy_of_the_data() -> None:
    data = example("study.bad.ttl")  # typed ig:Study only
    before = len(data)
    assert codes(shacl_validate(data)) == ["study"]
    ontology = turtle("ig:Study rdfs:subClassOf ig:Work .")
    assert shacl_validate(data, ontology=ontology) == []
    assert len(data) == before


def test_nothing_is_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("validation tried to use the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    data = example("note-title.ok.ttl")
    data.parse(
        data="<https://w3id.org/intimacy-graph/note/emotional-intimacy> "
        "<http://www.w3.org/2002/07/owl#imports> <http://example.org/elsewhere.ttl> .",
        format="turtle",
    )
    assert shacl_validate(data) == []


def test_the_data_is_never_used_as_its_own_shapes() -> None:
    # A data graph that is also a shapes graph: with shapes=None pySHACL would use it as both.
    data = turtle(SEVERITY_SHAPES + "ex:a a ex:Thing .")
    assert not {d.code for d in shacl_validate(data)} & {"must", "should", "could", "custom"}


# --- the shapes graph -----------------------------------------------------------------------------


def test_load_shapes_is_cached_and_reads_every_file() -> None:
    shapes = load_shapes()
    assert shapes is load_shapes()
    for path in shapes_files():
        family = path.name.removesuffix(".shapes.ttl")
        assert any(str(s).startswith(SHAPES_NS + family) for s in shapes.subjects()), path.name


def test_shacl_shacl_finds_a_broken_shape() -> None:
    broken = turtle('igsh:broken a sh:PropertyShape ; sh:path rdfs:label ; sh:minCount "one" .')
    found = shacl_shacl_check(broken)
    assert found
    assert all(d.severity is Severity.ERROR for d in found)
    assert shacl_shacl_check() == []


def test_triples_outside_a_graph_give_the_same_diagnostics() -> None:
    """``validate_triples`` (the build workers' path: a note encoded into a plain list) gives
    what ``shacl_validate`` gives for the same triples in a graph, lines included."""
    from datetime import UTC, datetime

    from rdflib import RDFS

    from intimacy_graph.encode import encode_note, encode_note_triples
    from intimacy_graph.namespaces import Iris
    from intimacy_graph.notes import read_note
    from intimacy_graph.resources import data_dir
    from intimacy_graph.validation import graph_of, validate_triples

    iris, when = Iris(), datetime(2025, 1, 1, tzinfo=UTC)
    seed = next(data_dir("notes").glob("*.md"))
    note, _ = read_note(seed, seed.parent)
    assert note is not None
    listed = encode_note_triples(note, iris, run=iris.run("t"), modified=when)
    graph = encode_note(note, iris, run=iris.run("t"), modified=when).graph
    assert set(listed.triples) == set(graph)  # a list may hold a triple twice
    assert validate_triples(listed.triples, file="x.md") == shacl_validate(graph, file="x.md")
    # Statements without their labels, and a literal where a concept belongs: violations,
    # each on the line of its statement.
    broken = [t for t in listed.triples if t[1] != RDFS.label]
    broken.append((iris.concept(note.slug), IG.hasCharacteristic, Literal("not a concept")))
    found = validate_triples(broken, file="x.md")
    assert found == shacl_validate(graph_of(broken), file="x.md")
    assert any(d.severity is Severity.ERROR and d.line for d in found)
