"""Reading RDF that users send, safely (DESIGN.md §8), and writing it in every format we serve."""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any

import pyoxigraph
from rdflib import Dataset, Graph, URIRef

from intimacy_graph.errors import UnusableInputError

#: Our names for RDF syntaxes → rdflib plugin names.
FORMATS = {
    "turtle": "turtle",
    "ntriples": "nt",
    "nquads": "nquads",
    "trig": "trig",
    "rdfxml": "xml",
    "jsonld": "json-ld",
}
#: Aliases accepted on the command line and in ``?format=``.
ALIASES = {
    "ttl": "turtle",
    "turtle": "turtle",
    "nt": "ntriples",
    "ntriples": "ntriples",
    "n-triples": "ntriples",
    "nq": "nquads",
    "nquads": "nquads",
    "n-quads": "nquads",
    "trig": "trig",
    "rdf": "rdfxml",
    "xml": "rdfxml",
    "rdfxml": "rdfxml",
    "owl": "rdfxml",
    "jsonld": "jsonld",
    "json-ld": "jsonld",
}
MEDIA_TYPES = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "nquads": "application/n-quads",
    "trig": "application/trig",
    "rdfxml": "application/rdf+xml",
    "jsonld": "application/ld+json",
}
DATASET_FORMATS = {"nquads", "trig"}
_SUFFIXES = {
    ".ttl": "turtle",
    ".nt": "ntriples",
    ".nq": "nquads",
    ".trig": "trig",
    ".rdf": "rdfxml",
    ".owl": "rdfxml",
    ".xml": "rdfxml",
    ".jsonld": "jsonld",
    ".json": "jsonld",
}


def format_of(name: str) -> str:
    """Our format name for a file name or an alias; raises for unknown ones."""
    key = name.lower().lstrip(".")
    if key in ALIASES:
        return ALIASES[key]
    suffix = PurePath(name).suffix.lower()
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    raise UnusableInputError(
        f"Unknown RDF format {name!r}; use one of {', '.join(sorted(FORMATS))}.",
        code="unknown-format",
    )


def _refuse_remote_contexts(value: Any, allowed: dict[str, Any]) -> Any:
    """Replace our own context IRI by its document; refuse any other remote context."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in ("@context", "@import"):
                out[key] = _context(item, allowed)
            else:
                out[key] = _refuse_remote_contexts(item, allowed)
        return out
    if isinstance(value, list):
        return [_refuse_remote_contexts(item, allowed) for item in value]
    return value


def _context(value: Any, allowed: dict[str, Any]) -> Any:
    if isinstance(value, str):
        if value in allowed:
            return allowed[value]
        raise UnusableInputError(
            f"The JSON-LD context {value!r} is remote; only this service's own context is "
            "accepted, and nothing is ever fetched.",
            code="remote-context-refused",
        )
    if isinstance(value, list):
        return [_context(item, allowed) for item in value]
    if isinstance(value, dict):
        return _refuse_remote_contexts(value, allowed)
    return value


def parse_rdf(
    data: bytes,
    fmt: str,
    *,
    allowed_contexts: dict[str, Any] | None = None,
    base: str | None = None,
) -> Dataset:
    """Parse user RDF without fetching anything: no DTDs in XML, no remote JSON-LD contexts."""
    fmt = format_of(fmt)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnusableInputError(
            f"The RDF is not valid UTF-8 (byte {exc.start}).", code="invalid-utf8"
        ) from exc
    if fmt == "rdfxml" and ("<!DOCTYPE" in text or "<!ENTITY" in text):
        raise UnusableInputError(
            "XML with a DOCTYPE or ENTITY declaration is refused.", code="xml-doctype-refused"
        )
    if fmt == "jsonld":
        try:
            doc = json.loads(text)
            text = json.dumps(_refuse_remote_contexts(doc, allowed_contexts or {}))
        except json.JSONDecodeError as exc:
            raise UnusableInputError(
                f"The JSON-LD is not valid JSON: {exc.msg} at line {exc.lineno}.",
                code="rdf-syntax",
                line=exc.lineno,
            ) from exc
        except (RecursionError, ValueError) as exc:
            raise UnusableInputError(
                "The JSON-LD is nested too deeply or holds a number too large to read.",
                code="rdf-syntax",
            ) from exc
    if fmt in ("ntriples", "nquads"):
        return _parse_lines(data, fmt)
    ds = Dataset()
    try:
        ds.parse(data=text, format=FORMATS[fmt], publicID=base or "urn:x-intimacy-graph:input/")
    except UnusableInputError:
        raise
    except Exception as exc:
        raise UnusableInputError(
            f"The {fmt} input could not be parsed: {exc}", code="rdf-syntax"
        ) from exc
    _check_iris(ds)
    return ds


def _parse_lines(data: bytes, fmt: str) -> Dataset:
    """N-Triples and N-Quads with pyoxigraph's parser: linear time (rdflib's is quadratic on
    a long unterminated literal: 13 s of CPU for 1.5 MB), and it checks every IRI."""
    from intimacy_graph.store.terms import to_rdflib

    ds = Dataset()
    form = pyoxigraph.RdfFormat.N_TRIPLES if fmt == "ntriples" else pyoxigraph.RdfFormat.N_QUADS
    try:
        for quad in pyoxigraph.parse(data, format=form):
            s, p, o = to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)
            if isinstance(quad.graph_name, pyoxigraph.DefaultGraph):
                ds.default_graph.add((s, p, o))
            else:
                ds.graph(to_rdflib(quad.graph_name)).add((s, p, o))  # type: ignore[arg-type]
    except SyntaxError as exc:
        raise UnusableInputError(
            f"The {fmt} input could not be parsed: {exc}", code="rdf-syntax"
        ) from exc
    return ds


def _check_iris(ds: Dataset) -> None:
    """Refuse IRIs that RDF 1.1 does not allow (spaces, braces, quotes…) but rdflib's parsers let
    through: every IRI must be one pyoxigraph (an RFC 3987 parser) accepts."""
    seen: set[str] = set()
    for quad in ds.quads((None, None, None, None)):
        for term in quad:
            if isinstance(term, URIRef) and (iri := str(term)) not in seen:
                seen.add(iri)
                try:
                    pyoxigraph.NamedNode(iri)
                except ValueError as exc:
                    raise UnusableInputError(
                        f"<{iri[:200]}> is not a valid IRI: {exc}.",
                        code="invalid-iri",
                        iri=iri[:200],
                    ) from exc


def union(ds: Dataset) -> Graph:
    graph = Graph()
    for s, p, o, _ in ds.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def serialize(graph: Graph | Dataset, fmt: str, prefixes: dict[str, str] | None = None) -> bytes:
    """Serialise in one of :data:`FORMATS`; triple formats of a dataset use the union."""
    fmt = format_of(fmt)
    target: Graph | Dataset = graph
    if isinstance(graph, Dataset) and fmt not in DATASET_FORMATS and fmt != "jsonld":
        target = union(graph)
    for prefix, iri in (prefixes or {}).items():
        target.bind(prefix, iri, override=True)
    out = target.serialize(format=FORMATS[fmt], encoding="utf-8")
    return out if isinstance(out, bytes) else out.encode("utf-8")
