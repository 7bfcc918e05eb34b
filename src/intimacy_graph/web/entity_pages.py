"""Rich pages for notes, studies and the ontology (a small pyLODE), from their Linked Data
descriptions.  The generic triple table (:mod:`intimacy_graph.web.pages`) stays for
everything else (statements, runs, named graphs, the concept scheme)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.term import Node

from intimacy_graph.namespaces import CITO, DCTERMS, FABIO, IAO_DEFINITION, IG, PROV, SKOS
from intimacy_graph.store.base import Row
from intimacy_graph.web.pages import Alternate, Link, Namer, best_literal
from intimacy_graph.web.site import render

_DEFINITION = (SKOS.definition, IAO_DEFINITION, RDFS.comment)


def _links(namer: Namer, nodes: Iterable[Node]) -> list[Link]:
    return sorted({namer.link(n) for n in nodes}, key=lambda link: link.label.casefold())


def _text(graph: Graph, subject: Node, prop: URIRef) -> str | None:
    return best_literal(graph, subject, (prop,))


# -- notes -----------------------------------------------------------------------------------
def render_note_page(
    graph: Graph,
    note: URIRef,
    namer: Namer,
    alternates: Sequence[Alternate],
    *,
    slug: str,
    statements: Sequence[tuple[int, str]] = (),
) -> str:
    """A note: what it describes, its metadata and citations, and its Markdown source with
    numbered lines (``#L12`` anchors, which statements' "line 12" links land on);
    ``statements`` are (source line, statement IRI) pairs of the note's statements."""
    markdown = _text(graph, note, IG.markdown) or ""
    linked = sorted((line, namer.link(URIRef(iri))) for line, iri in statements)
    by_line: dict[int, list[Link]] = {}
    for line, link in linked:
        by_line.setdefault(line, []).append(link)
    return render(
        "note.html",
        root=namer.root,
        nav="note",
        title=_text(graph, note, DCTERMS.title) or slug,
        iri=str(note),
        slug=slug,
        types=_links(namer, graph.objects(note, RDF.type)),
        describes=_links(namer, graph.objects(note, IG.describes)),
        source=_text(graph, note, DCTERMS.source),
        modified=_text(graph, note, DCTERMS.modified),
        content_hash=_text(graph, note, IG.contentHash),
        closing=_text(graph, note, DCTERMS.description),
        runs=_links(namer, graph.objects(note, PROV.wasGeneratedBy)),
        evidence=_links(namer, graph.objects(note, CITO.citesAsEvidence)),
        cited=_links(namer, graph.objects(note, CITO.citesForInformation)),
        links_to=_links(namer, graph.objects(note, IG.linksTo)),
        see_also=_links(namer, graph.objects(note, IG.seeAlso)),
        lines=markdown.split("\n") if markdown else [],
        by_line=by_line,
        statement_count=len(linked),
        alternates=alternates,
    )


# -- studies ---------------------------------------------------------------------------------
def render_study_page(
    graph: Graph,
    work: URIRef,
    namer: Namer,
    alternates: Sequence[Alternate],
    *,
    slug: str,
    rows: Sequence[Row],
) -> str:
    """A cited work: label as cited, authors, year, and each claim a note makes from it
    (``rows`` of ``get_work.rq``)."""
    claims: dict[str, dict[str, Any]] = {}
    for r in rows:
        if "statement" in r:
            claims[str(r["statement"])] = {
                "statement": namer.href(str(r["statement"])),
                "concept": namer.link(r["subject"]) if "subject" in r else None,
                "concept_label": str(r.get("subjectLabel") or ""),
                "note": namer.link(r["note"]) if "note" in r else None,
                "summary": str(r["summary"]) if "summary" in r else None,
                "finding": str(r["finding"]) if "finding" in r else None,
            }
    citing = {r["citingNote"] for r in rows if "citingNote" in r}
    return render(
        "study.html",
        root=namer.root,
        nav="study",
        title=_text(graph, work, RDFS.label) or slug,
        iri=str(work),
        slug=slug,
        types=_links(namer, graph.objects(work, RDF.type)),
        authors=sorted({str(a) for a in graph.objects(work, IG.authorFamilyName)}),
        year=_text(graph, work, FABIO.hasPublicationYear),
        doi=_text(graph, work, URIRef("http://purl.org/ontology/bibo/doi")),
        claims=list(claims.values()),
        citing=_links(namer, citing | set(graph.subjects(CITO.citesForInformation, work))),
        alternates=alternates,
    )


# -- the ontology ----------------------------------------------------------------------------
@dataclass
class Term:
    """One class or property of the ontology, as its section of the page shows it."""

    anchor: str | None
    link: Link
    definition: str | None
    comment: str | None
    facts: list[tuple[str, list[Link]]]


_KINDS = (
    (OWL.Class, "Classes", "classes"),
    (OWL.ObjectProperty, "Object properties", "object-properties"),
    (OWL.DatatypeProperty, "Datatype properties", "datatype-properties"),
    (OWL.AnnotationProperty, "Annotation properties", "annotation-properties"),
)
_FACTS = (
    ("Subclass of", RDFS.subClassOf, False),
    ("Superclass of", RDFS.subClassOf, True),
    ("Sub-property of", RDFS.subPropertyOf, False),
    ("Inverse of", OWL.inverseOf, False),
    ("Domain", RDFS.domain, False),
    ("Range", RDFS.range, False),
    ("Disjoint with", OWL.disjointWith, False),
    ("Characteristics", RDF.type, False),
)
_CHARACTERISTICS = {
    OWL.FunctionalProperty,
    OWL.InverseFunctionalProperty,
    OWL.TransitiveProperty,
    OWL.SymmetricProperty,
    OWL.AsymmetricProperty,
    OWL.ReflexiveProperty,
    OWL.IrreflexiveProperty,
}


def _term(graph: Graph, term: Node, namer: Namer, header: str) -> Term:
    facts = []
    for name, prop, reverse in _FACTS:
        values = graph.subjects(prop, term) if reverse else graph.objects(term, prop)
        nodes = [v for v in values if isinstance(v, URIRef)]
        if prop == RDF.type:
            nodes = [v for v in nodes if v in _CHARACTERISTICS]
        if nodes:
            facts.append((name, _links(namer, nodes)))
    text = str(term)
    anchor = text[len(header) + 1 :] if text.startswith(header + "#") else None
    return Term(
        anchor or None,
        namer.link(term),
        best_literal(graph, term, _DEFINITION[:2]),
        best_literal(graph, term, (RDFS.comment,)),
        facts,
    )


def render_ontology_page(
    graph: Graph, header: Node | None, namer: Namer, alternates: Sequence[Alternate]
) -> str:
    """The ontology as documentation: its header, then every class and property with its
    definition, super-terms, domain, range, inverse and disjointness; ``#Term`` anchors."""
    head = str(header) if header is not None else ""
    groups = []
    seen: set[Node] = set()
    for cls, heading, anchor in _KINDS:
        terms = sorted(
            {t for t in graph.subjects(RDF.type, cls) if isinstance(t, URIRef)} - seen,
            key=lambda t: (not str(t).startswith(head + "#"), (namer.label(t) or "").casefold()),
        )
        seen.update(terms)
        if terms:
            groups.append((heading, anchor, [_term(graph, t, namer, head) for t in terms]))
    meta: list[tuple[str, list[str], list[Link]]] = []
    if header is not None:
        for name, prop in (
            ("Version", OWL.versionInfo),
            ("Version IRI", OWL.versionIRI),
            ("Licence", DCTERMS.license),
            ("Creator", DCTERMS.creator),
            ("Created", DCTERMS.created),
            ("Modified", DCTERMS.modified),
        ):
            values = list(graph.objects(header, prop))
            texts = sorted(str(v) for v in values if isinstance(v, Literal))
            links = _links(namer, [v for v in values if isinstance(v, URIRef)])
            if texts or links:
                meta.append((name, texts, links))
    title = best_literal(graph, header, (RDFS.label, DCTERMS.title)) if header is not None else None
    return render(
        "ontology.html",
        root=namer.root,
        nav="ontology",
        title=title or "Ontology",
        iri=head,
        description=None
        if header is None
        else best_literal(graph, header, (DCTERMS.description, SKOS.definition, RDFS.comment)),
        meta=meta,
        groups=groups,
        alternates=alternates,
    )
