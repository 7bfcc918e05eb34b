"""SHACL validation of RDF against the shapes in ``shapes/*.shapes.ttl`` (DESIGN.md §6).

Two engines give the same results: ``"fast"`` (the default, :mod:`intimacy_graph.shacl_fast`,
our shapes compiled once into Python checks) and ``"pyshacl"`` (the reference). Shapes the fast
engine cannot compile, and datasets, go to pySHACL. This module fixes how pySHACL is called
(DESIGN.md §8: a parsed data graph, always our own shapes graph, no inference, nothing remote)
and turns either engine's results into the project's one report format,
:class:`~intimacy_graph.diagnostics.Diagnostic`. A result's ``code`` is the local name of the
shape that produced it (``igsh:note-title`` → ``"note-title"``).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING
from typing import Literal as TypingLiteral

from rdflib import RDF, BNode, ConjunctiveGraph, Graph, Literal, Node, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH

from intimacy_graph.diagnostics import Diagnostic, Severity
from intimacy_graph.namespaces import IG
from intimacy_graph.resources import shapes_files

if TYPE_CHECKING:  # pySHACL (with rdflib's SPARQL engine) loads on first use, not at import
    from intimacy_graph.shacl_fast import CompiledShapes

Engine = TypingLiteral["fast", "pyshacl"]
log = logging.getLogger(__name__)

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


@functools.cache
def _compiled_default() -> CompiledShapes | None:
    from intimacy_graph.shacl_fast import UnsupportedShapesError, compile_shapes

    try:
        return compile_shapes(_shapes_graph())
    except UnsupportedShapesError as exc:
        log.warning("fast SHACL engine unavailable for our shapes, using pySHACL: %s", exc)
        return None


def compiled_shapes(shapes: Graph | None = None) -> CompiledShapes | None:
    """The fast engine's compiled ``shapes`` (default: ours, cached); ``None``: unsupported."""
    if shapes is None:
        return _compiled_default()
    from intimacy_graph.shacl_fast import UnsupportedShapesError, compile_shapes

    try:
        return compile_shapes(shapes)
    except UnsupportedShapesError as exc:
        log.debug("fast SHACL engine does not support these shapes, using pySHACL: %s", exc)
        return None


def shacl_validate(
    data: Graph,
    *,
    shapes: Graph | None = None,
    ontology: Graph | None = None,
    file: str | None = None,
    context: Iterable[Iterable[tuple[Node, Node, Node]]] = (),
    engine: Engine = "fast",
) -> list[Diagnostic]:
    """Validate ``data`` against our shapes; return one diagnostic per SHACL result, sorted.

    ``data`` must be a parsed :class:`rdflib.Graph`: pySHACL would treat a ``str`` as a file path
    or a URL, so anything else raises :class:`TypeError`. ``shapes`` defaults to
    :func:`load_shapes` (never the data itself). ``ontology`` is mixed into a copy of the data, so
    ``sh:class`` sees its ``rdfs:subClassOf`` axioms; ``data`` is never modified. A diagnostic's
    ``line`` is the ``ig:sourceLine`` of its focus node (statements, sections) when there is one.
    ``context`` (graphs, or lists of triples) is validated together with ``data`` as if mixed into
    it, like ``ontology``: the registry records of what an entry links to, without copying.
    ``engine="fast"`` (default) uses :mod:`intimacy_graph.shacl_fast` where it supports the shapes
    and falls back to pySHACL where it does not; ``engine="pyshacl"`` always uses pySHACL.
    """
    _require_graph("data", data)
    shapes_graph = load_shapes() if shapes is None else _require_graph("shapes", shapes)
    ont_graph = None if ontology is None else _require_graph("ontology", ontology)
    if engine not in ("fast", "pyshacl"):
        raise ValueError(f"engine must be 'fast' or 'pyshacl', not {engine!r}")
    extra = [c if isinstance(c, Graph) else list(c) for c in context]
    if engine == "fast" and not any(map(_is_dataset, [data, ont_graph, *extra])):
        compiled = compiled_shapes(shapes)
        if compiled is not None:
            also = extra if ont_graph is None else [ont_graph, *extra]
            return _fast(compiled, shapes_graph, data, also, data, file)
    target = data
    if extra:  # pySHACL reads one graph: validate a copy of data with the context mixed in
        target = Graph()
        for triple in data:
            target.add(triple)
        for part in extra:
            for triple in part:
                target.add(triple)
    import pyshacl

    _conforms, report, text = pyshacl.validate(
        target,
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


def validate_triples(
    data: Sequence[tuple[Node, Node, Node]],
    *,
    file: str | None = None,
    context: Iterable[Iterable[tuple[Node, Node, Node]]] = (),
) -> list[Diagnostic]:
    """:func:`shacl_validate` with our shapes of triples that are not in a graph (a note
    encoded by :func:`intimacy_graph.encode.encode_note_triples`): the same diagnostics. A
    graph of them is made only to read the lines of results, or for pySHACL."""
    compiled = compiled_shapes(None)
    if compiled is None:
        return shacl_validate(graph_of(data), file=file, context=context)
    also = [list(c) for c in context]
    return _fast(compiled, load_shapes(), data, also, lambda: graph_of(data), file)


def graph_of(triples: Iterable[tuple[Node, Node, Node]]) -> Graph:
    """A new graph of ``triples``."""
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    return graph


def _fast(
    compiled: CompiledShapes,
    shapes_graph: Graph,
    data: Iterable[tuple[Node, Node, Node]],
    also: Sequence[Iterable[tuple[Node, Node, Node]]],
    graph: Graph | Callable[[], Graph],
    file: str | None,
) -> list[Diagnostic]:
    """The fast engine's results as diagnostics; ``graph`` (or what makes it, called only
    when there are results) is ``data`` as a graph, where the results' lines are read."""
    raw = compiled.validate(data, *also)
    if not raw:
        return []
    lines = graph if isinstance(graph, Graph) else graph()
    return _sorted(
        _make(
            focus=r.focus,
            path=None if r.path is None else _path(shapes_graph, r.path),
            value=r.value,
            shape=r.shape,
            component=r.component,
            level=r.severity,
            messages=r.messages,
            data=lines,
            file=file,
        )
        for r in raw
    )


def shacl_shacl_check(shapes: Graph | None = None) -> list[Diagnostic]:
    """Validate a shapes graph (default: ours) against SHACL-SHACL; an empty list means valid.

    The SHACL-SHACL shapes graph is the copy that ships inside pySHACL, so nothing is fetched.
    """
    from pyshacl.entrypoints import meta_validate

    shapes_graph = load_shapes() if shapes is None else _require_graph("shapes", shapes)
    _conforms, report, text = meta_validate(shapes_graph, inference="none")
    return _diagnostics(report, text, data=shapes_graph, file=None)


def _is_dataset(graph: object) -> bool:
    # pySHACL validates each named graph of a dataset on its own; the fast engine does not.
    return isinstance(graph, ConjunctiveGraph)


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
    return _sorted(
        _diagnostic(report, result, data=data, file=file)
        for result in report.subjects(RDF.type, SH.ValidationResult)
    )


def _sorted(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(
        set(diagnostics),
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
    path = report.value(result, SH.resultPath)
    return _make(
        focus=report.value(result, SH.focusNode),
        path=None if path is None else _path(report, path),
        value=report.value(result, SH.value),
        shape=report.value(result, SH.sourceShape),
        component=report.value(result, SH.sourceConstraintComponent),
        level=report.value(result, SH.resultSeverity),
        messages=tuple(report.objects(result, SH.resultMessage)),
        data=data,
        file=file,
    )


def _make(
    *,
    focus: Node | None,
    path: str | None,
    value: Node | None,
    shape: Node | None,
    component: Node | None,
    level: Node | None,
    messages: Iterable[Node],
    data: Graph,
    file: str | None,
) -> Diagnostic:
    """One diagnostic from one result's fields, whichever engine found it."""
    severity = Severity.ERROR if level is None else _SEVERITIES.get(level, Severity.ERROR)
    return Diagnostic(
        code=_code(shape, component),
        severity=severity,
        message=_message(messages),
        file=file,
        line=_line(data, focus) or _line(data, value),
        focus=_term(focus),
        path=path,
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


def _message(found: Iterable[Node]) -> str:
    messages = [m for m in found if isinstance(m, Literal)]
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
