"""SHACL validation of RDF against the shapes in ``shapes/*.shapes.ttl`` (DESIGN.md §6).

pySHACL does the work; this module fixes how it is called (DESIGN.md §8: a parsed data graph,
always our own shapes graph, no inference, nothing remote) and turns its report into the
project's one report format, :class:`~intimacy_graph.diagnostics.Diagnostic`. A result's ``code``
is the local name of the shape that produced it (``igsh:note-title`` → ``"note-title"``).
"""

from __future__ import annotations

import functools
import re

import pyshacl
from pyshacl.entrypoints import meta_validate
from rdflib import RDF, BNode, Graph, Literal, Node, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH

from intimacy_graph.diagnostics import Diagnostic, Severity
from intimacy_graph.namespaces import IG
from intimacy_graph.resources import shapes_files

SHAPES_NS = "https://w3id.org/intimacy-graph/shapes#"
"""Namespace of our shapes (prefix ``igsh:``); a shape's local name is its diagnostic code."""

_SEVERITIES: dict[Node, Severity] = {
    SH.Violation: Severity.ERROR,
    SH.Warning: Severity.WARNING,
    SH.Info: Severity.INFO,
}
_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
_MAX_VALUE_CHARS = 200


@functools.cache
def _shapes_graph() -> Graph:
    graph = Graph()
    for path in shapes_files():
        graph.parse(path, format="turtle")
    graph.bind("igsh", SHAPES_NS)
    return graph


def load_shapes() -> Graph:
    """Return the shapes graph parsed from every ``shapes/*.shapes.ttl`` (cached: do not modify)."""
    return _shapes_graph()


def shacl_validate(
    data: Graph,
    *,
    shapes: Graph | None = None,
    ontology: Graph | None = None,
    file: str | None = None,
) -> list[Diagnostic]:
    """Validate ``data`` against our shapes; return one diagnostic per SHACL result, sorted.

    ``data`` must be a parsed :class:`rdflib.Graph`: pySHACL would treat a ``str`` as a file path
    or a URL, so anything else raises :class:`TypeError`. ``shapes`` defaults to
    :func:`load_shapes` (never the data itself). ``ontology`` is mixed into a copy of the data, so
    ``sh:class`` sees its ``rdfs:subClassOf`` axioms; ``data`` is never modified. A diagnostic's
    ``line`` is the ``ig:sourceLine`` of its focus node (statements, sections) when there is one.
    """
    _require_graph("data", data)
    shapes_graph = load_shapes() if shapes is None else _require_graph("shapes", shapes)
    ont_graph = None if ontology is None else _require_graph("ontology", ontology)
    _conforms, report, text = pyshacl.validate(
        data,
        shacl_graph=shapes_graph,
        ont_graph=ont_graph,
        inference="none",
        advanced=False,
        allow_infos=True,
        allow_warnings=True,
        abort_on_first=False,
        do_owl_imports=False,
        meta_shacl=False,
    )
    return _diagnostics(report, text, data=data, file=file)


def shacl_shacl_check(shapes: Graph | None = None) -> list[Diagnostic]:
    """Validate a shapes graph (default: ours) against SHACL-SHACL; an empty list means valid.

    The SHACL-SHACL shapes graph is the copy that ships inside pySHACL, so nothing is fetched.
    """
    shapes_graph = load_shapes() if shapes is None else _require_graph("shapes", shapes)
    _conforms, report, text = meta_validate(shapes_graph, inference="none")
    return _diagnostics(report, text, data=shapes_graph, file=None)


def _require_graph(name: str, value: object) -> Graph:
    if not isinstance(value, Graph):
        raise TypeError(
            f"{name} must be a parsed rdflib.Graph, not {type(value).__name__}: "
            "parse it first (pySHACL would read a str as a file path or a URL)"
        )
    return value


def _diagnostics(
    report: object, text: object, *, data: Graph, file: str | None
) -> list[Diagnostic]:
    if not isinstance(report, Graph):  # pySHACL returns the failure instead of a report
        raise RuntimeError(f"SHACL validation could not run: {report or text}")
    found = {
        _diagnostic(report, result, data=data, file=file)
        for result in report.subjects(RDF.type, SH.ValidationResult)
    }
    return sorted(
        found,
        key=lambda d: (
            d.line or 0,
            _ORDER[d.severity],
            d.code,
            d.focus or "",
            d.path or "",
            d.value or "",
            d.message,
        ),
    )


def _diagnostic(report: Graph, result: Node, *, data: Graph, file: str | None) -> Diagnostic:
    focus = report.value(result, SH.focusNode)
    path = report.value(result, SH.resultPath)
    value = report.value(result, SH.value)
    shape = report.value(result, SH.sourceShape)
    component = report.value(result, SH.sourceConstraintComponent)
    level = report.value(result, SH.resultSeverity)
    severity = Severity.ERROR if level is None else _SEVERITIES.get(level, Severity.ERROR)
    return Diagnostic(
        code=_code(shape, component),
        severity=severity,
        message=_message(report, result),
        file=file,
        line=_line(data, focus) or _line(data, value),
        focus=_term(focus),
        path=None if path is None else _path(report, path),
        value=_term(value),
        shape=None if shape is None or isinstance(shape, BNode) else _term(shape),
    )


def _code(shape: Node | None, component: Node | None) -> str:
    """The shape's local name; for an anonymous shape, ``shacl-`` + its constraint's name.

    >>> _code(URIRef(SHAPES_NS + "note-title"), None)
    'note-title'
    >>> _code(BNode(), SH.MinCountConstraintComponent)
    'shacl-min-count'
    """
    if isinstance(shape, URIRef):
        return re.split(r"[#/]", str(shape))[-1] or str(shape)
    if isinstance(component, URIRef):
        name = str(component).rsplit("#", 1)[-1].removesuffix("ConstraintComponent")
        return "shacl-" + re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()
    return "shacl"


def _message(report: Graph, result: Node) -> str:
    messages = [m for m in report.objects(result, SH.resultMessage) if isinstance(m, Literal)]
    english = [m for m in messages if m.language in (None, "en")]
    chosen = sorted(english or messages, key=lambda m: (m.language or "", str(m)))
    return str(chosen[0]) if chosen else "This does not conform to the shape."


def _line(data: Graph, node: Node | None) -> int | None:
    if node is None or isinstance(node, Literal):
        return None
    lines = [
        line.toPython()
        for line in data.objects(node, IG.sourceLine)
        if isinstance(line, Literal) and isinstance(line.toPython(), int)
    ]
    valid = [n for n in lines if isinstance(n, int) and n >= 1]
    return min(valid) if valid else None


def _term(node: Node | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, Literal) and len(node) > _MAX_VALUE_CHARS:
        node = Literal(
            str(node)[:_MAX_VALUE_CHARS] + "…", lang=node.language, datatype=node.datatype
        )
    return str(node.n3())


def _path(graph: Graph, node: Node) -> str:
    """Write a SHACL property path in SPARQL syntax (``^ig:hasSection`` style, full IRIs)."""
    if not isinstance(node, BNode):
        return str(node.n3())
    for key, template in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = graph.value(node, key)
        if inner is not None:
            return template.format(_path(graph, inner))
    alternatives = graph.value(node, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(_path(graph, p) for p in Collection(graph, alternatives)) + ")"
    if graph.value(node, RDF.first) is not None:
        return "/".join(_path(graph, p) for p in Collection(graph, node))
    return str(node.n3())
