"""The shapes in ``shapes/`` against their examples in ``tests/data/shapes/`` (STYLE.md habit 2).

Every shape ``igsh:<code>`` has ``<code>.ok.ttl`` (which conforms to *all* shapes, so it is a
complete, valid example) and ``<code>.bad.ttl`` (which breaks that shape and no other). More
non-conforming examples of the same shape are ``<code>.bad-<what>.ttl``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Node, URIRef
from rdflib.namespace import SH

from intimacy_graph.diagnostics import Severity
from intimacy_graph.resources import ontology_file, shapes_files
from intimacy_graph.validation import (
    SHAPES_NS,
    load_shapes,
    shacl_shacl_check,
    shacl_validate,
)

EXAMPLES = Path(__file__).parent / "data" / "shapes"
EXAMPLE_NAME = re.compile(r"^(?P<code>[a-z0-9-]+)\.(?P<kind>ok|bad(?:-[a-z0-9-]+)?)\.ttl$")
CODE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
SEVERITIES = {SH.Violation: Severity.ERROR, SH.Warning: Severity.WARNING, SH.Info: Severity.INFO}
FAMILIES = {"concept", "note", "skos", "statement", "study"}

# Properties whose values are shapes (SHACL §2.1 "shapes", §4.6 shape-based constraints).
SHAPE_VALUED = (SH.property, SH.node, SH["not"], SH.qualifiedValueShape)
SHAPE_LISTS = (SH["and"], SH["or"], SH.xone)
TARGETS = (SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf)


def _shapes(graph: Graph) -> set[Node]:
    """Every node that is a shape: typed as one, holding a path or a target, or used as one."""
    found: set[Node] = set()
    for kind in (SH.NodeShape, SH.PropertyShape):
        found.update(graph.subjects(RDF.type, kind))
    found.update(graph.subjects(SH.path, None))
    for target in TARGETS:
        found.update(graph.subjects(target, None))
    for prop in SHAPE_VALUED:
        found.update(graph.objects(None, prop))
    for prop in SHAPE_LISTS:
        for head in graph.objects(None, prop):
            found.update(graph.items(head))
    return found


def _code(shape: Node) -> str:
    return str(shape).removeprefix(SHAPES_NS)


SHAPES = load_shapes()
SHAPE_CODES = sorted(_code(s) for s in _shapes(SHAPES))
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.ttl"))


def _parse_name(path: Path) -> tuple[str, str]:
    match = EXAMPLE_NAME.match(path.name)
    assert match, f"{path.name}: name it <shape-code>.ok.ttl, .bad.ttl or .bad-<what>.ttl"
    return match["code"], match["kind"]


def _severity(code: str) -> Severity:
    value = SHAPES.value(URIRef(SHAPES_NS + code), SH.severity)
    return SEVERITIES[value]


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_example(path: Path) -> None:
    code, kind = _parse_name(path)
    assert code in SHAPE_CODES, f"{path.name} is an example of no shape in shapes/"
    found = shacl_validate(Graph().parse(path, format="turtle"), file=path.name)
    if kind == "ok":
        assert found == [], "\n".join(d.to_text() for d in found)
    else:
        assert found, f"{path.name} breaks no shape"
        assert {d.code for d in found} == {code}, "\n".join(d.to_text() for d in found)
        assert {d.severity for d in found} == {_severity(code)}


def test_example_files_exist() -> None:
    assert len(EXAMPLE_FILES) >= 2 * len(SHAPE_CODES)


@pytest.mark.parametrize("code", SHAPE_CODES)
def test_every_shape_has_an_ok_and_a_bad_example(code: str) -> None:
    names = {p.name for p in EXAMPLE_FILES}
    assert f"{code}.ok.ttl" in names, f"add tests/data/shapes/{code}.ok.ttl"
    assert f"{code}.bad.ttl" in names, f"add tests/data/shapes/{code}.bad.ttl"


@pytest.mark.parametrize("code", SHAPE_CODES)
def test_every_shape_has_a_message_and_one_severity(code: str) -> None:
    shape = URIRef(SHAPES_NS + code)
    messages = list(SHAPES.objects(shape, SH.message))
    assert messages, f"igsh:{code} has no sh:message"
    assert all(len(str(m).split()) >= 5 for m in messages), f"igsh:{code}: say more in sh:message"
    severities = list(SHAPES.objects(shape, SH.severity))
    assert len(severities) == 1, f"igsh:{code} needs exactly one sh:severity"
    assert severities[0] in SEVERITIES


def test_every_shape_is_a_named_igsh_shape_with_a_kebab_case_code() -> None:
    for shape in _shapes(SHAPES):
        assert isinstance(shape, URIRef), f"anonymous shape {shape!r}: give it an igsh: IRI"
        assert str(shape).startswith(SHAPES_NS), f"{shape} is not under igsh:"
        assert CODE.match(_code(shape)), f"{shape}: its local name is not a kebab-case code"
        types = set(SHAPES.objects(shape, RDF.type))
        assert types & {SH.NodeShape, SH.PropertyShape}, f"{shape} is not typed as a shape"


def test_every_shape_is_reached_from_a_target() -> None:
    targeted = {s for s in _shapes(SHAPES) if any(SHAPES.value(s, t) for t in TARGETS)}
    reached = set(targeted)
    for shape in targeted:
        reached.update(SHAPES.objects(shape, SH.property))
    assert set(_shapes(SHAPES)) == reached, "some shapes never run: give them a target"


def test_one_shapes_file_per_family() -> None:
    assert {p.name.removesuffix(".shapes.ttl") for p in shapes_files()} == FAMILIES


def test_shapes_use_no_shacl_sparql() -> None:
    # igsh:stub-concept-definition was SHACL-SPARQL: pySHACL re-parsed its query for every concept
    # (80 % of the validation time) and ran rdflib's SPARQL parser in request threads (DESIGN §8).
    assert not set(SHAPES.subjects(SH.sparql, None))
    assert not set(SHAPES.subjects(SH.target, None))


def test_shapes_pass_shacl_shacl() -> None:
    assert shacl_shacl_check(SHAPES) == []


def test_ok_examples_still_conform_with_the_ontology_mixed_in() -> None:
    path = ontology_file()
    if not path.is_file():
        pytest.skip("ontology/intimacy.ttl is not written yet")
    ontology = Graph().parse(path, format="turtle")
    for example in EXAMPLE_FILES:
        if _parse_name(example)[1] != "ok":
            continue
        found = shacl_validate(Graph().parse(example, format="turtle"), ontology=ontology)
        assert found == [], f"{example.name}:\n" + "\n".join(d.to_text() for d in found)
