"""Content negotiation for SPARQL results and RDF (python-mimeparse does the matching)."""

from __future__ import annotations

import mimeparse

from intimacy_graph.errors import IntimacyGraphError

#: media type → our format name, in order of preference (the first is the default).
SOLUTION_TYPES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
BOOLEAN_TYPES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "ntriples",
    "text/plain": "ntriples",
    "application/rdf+xml": "rdfxml",
    "application/ld+json": "jsonld",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}
#: The media type we answer with, per format name.
CONTENT_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "turtle": "text/turtle; charset=utf-8",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "jsonld": "application/ld+json",
    "nquads": "application/n-quads",
    "trig": "application/trig",
}
#: ``format=`` short names people type.
FORMAT_ALIASES = {
    "json": "json",
    "srj": "json",
    "xml": "xml",
    "srx": "xml",
    "csv": "csv",
    "tsv": "tsv",
    "turtle": "turtle",
    "ttl": "turtle",
    "nt": "ntriples",
    "ntriples": "ntriples",
    "n-triples": "ntriples",
    "rdf": "rdfxml",
    "rdfxml": "rdfxml",
    "rdf+xml": "rdfxml",
    "jsonld": "jsonld",
    "json-ld": "jsonld",
    "nq": "nquads",
    "nquads": "nquads",
    "trig": "trig",
}


class NotAcceptableError(IntimacyGraphError):
    code = "not-acceptable"


def choose(accept: str | None, offered: dict[str, str], *, override: str | None = None) -> str:
    """The format to answer in: ``format=`` if given, else the best Accept match.

    >>> choose("text/csv;q=0.9, */*;q=0.1", SOLUTION_TYPES)
    'csv'
    >>> choose(None, GRAPH_TYPES)
    'turtle'
    """
    names = list(dict.fromkeys(offered.values()))
    if override:
        fmt = FORMAT_ALIASES.get(override.lower()) or offered.get(override.lower())
        if fmt is None or fmt not in names:
            raise NotAcceptableError(
                f"format={override!r} is not available here; use one of {', '.join(names)}."
            )
        return fmt
    if not accept or not accept.strip():
        return names[0]
    try:
        best = mimeparse.best_match(list(reversed(offered)), accept)
    except (ValueError, IndexError) as exc:
        raise NotAcceptableError(f"The Accept header {accept!r} cannot be parsed.") from exc
    if not best:
        raise NotAcceptableError(
            "None of the media types in Accept can be produced; offered: "
            + ", ".join(offered)
            + "."
        )
    return offered[best]
