"""Conversions between rdflib terms and pyoxigraph terms."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from intimacy_graph.errors import UnusableInputError

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def to_rdflib(term: object) -> Node:
    """pyoxigraph term → rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"unsupported term {term!r}")


def to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """rdflib term → pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")


def ntriples(graph: Graph) -> str:
    """The triples of ``graph`` as N-Triples text that is safe to embed in SPARQL Update.

    Every term goes through pyoxigraph's constructors, which refuse IRIs that are not IRIs
    (``>``, spaces, braces ...), including datatype IRIs that rdflib accepts unchecked; the text
    is pyoxigraph's own N-Triples form.  A term that cannot be written raises
    :class:`~intimacy_graph.errors.UnusableInputError` (code ``invalid-term``), so user data can
    never change the structure of an update.
    """
    lines = []
    for s, p, o in graph:
        try:
            lines.append(f"{to_oxigraph(s)} {to_oxigraph(p)} {to_oxigraph(o)} .")
        except (ValueError, TypeError, UnicodeError) as exc:
            raise UnusableInputError(
                f"A term cannot be stored: {str(exc)[:200]}", code="invalid-term"
            ) from exc
    return "\n".join(lines)


def solution_texts(solutions: ox.QuerySolutions) -> list[dict[str, str]]:
    """SELECT solutions as rows of lexical forms (IRIs, literal values, blank node ids); unbound
    variables are left out. Cheaper than rdflib terms for code that only displays values."""
    names = [v.value for v in solutions.variables]
    return [
        {name: term.value for name, term in zip(names, solution, strict=True) if term is not None}
        for solution in solutions
    ]


def solution_rows(solutions: ox.QuerySolutions) -> list[dict[str, Node]]:
    """SELECT solutions as rows of rdflib terms; unbound variables are left out of a row."""
    names = [v.value for v in solutions.variables]
    rows: list[dict[str, Node]] = []
    for solution in solutions:
        row: dict[str, Node] = {}
        for name in names:
            value = solution[name]
            if value is not None:
                row[name] = to_rdflib(value)
        rows.append(row)
    return rows
