"""Note → RDF, exactly per the data-model contract (DESIGN.md §4).

:func:`encode_note` writes what one note says (its named graph); :func:`build_registry` writes
the one record of every concept and work across all notes (``graph:registry``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.term import Node

from intimacy_graph.namespaces import (
    CITO,
    DCTERMS,
    FABIO,
    IAO_DEFINITION,
    IG,
    PROV,
    SKOS,
    Iris,
)
from intimacy_graph.notes.model import Citation, Entry, Kind, Note
from intimacy_graph.slugs import slugify

STATEMENT_CLASS = {
    Kind.CHARACTERISTIC: IG.CharacteristicStatement,
    Kind.TYPE: IG.TypeStatement,
    Kind.BENEFIT: IG.BenefitStatement,
    Kind.MECHANISM: IG.MechanismStatement,
    Kind.IMPLICATION: IG.ImplicationStatement,
    Kind.EVIDENCE: IG.EvidenceStatement,
}
SHORTCUT = {
    Kind.CHARACTERISTIC: IG.hasCharacteristic,
    Kind.TYPE: IG.hasType,
    Kind.BENEFIT: IG.hasBenefit,
    Kind.MECHANISM: IG.hasMechanism,
}


def en(text: str) -> Literal:
    return Literal(text, lang="en")


class _OfNote:
    """The slug and title of an encoded note, from its note."""

    note: Note

    @property
    def slug(self) -> str:
        return self.note.slug

    @property
    def title(self) -> str:
        return self.note.title


@dataclass
class CompiledNote(_OfNote):
    """One note's graph plus what the registry needs to know about it."""

    note: Note
    graph: Graph
    concepts: dict[str, list[str]] = field(default_factory=dict)  # slug → spellings, in order
    works: dict[str, tuple[Citation, bool]] = field(default_factory=dict)  # slug → (cite, study)


Triple = tuple[Node, Node, Node]


class _Sink(Protocol):
    def add(self, triple: Triple, /) -> object: ...


class Triples(list[Triple]):
    """A note's triples in a plain list, in the order they were made: ~2× cheaper to fill
    than a :class:`rdflib.Graph` and ~25× cheaper to read back, for the worker processes of
    a big build (:mod:`intimacy_graph.buildworker`), which only read them triple by triple.
    Unlike a graph, it holds a triple twice when the note says it twice."""

    def add(self, triple: Triple, /) -> None:
        self.append(triple)


@dataclass
class EncodedNote(_OfNote):
    """:class:`CompiledNote` with the triples in a :class:`Triples` list, not a graph."""

    note: Note
    triples: Triples
    concepts: dict[str, list[str]]
    works: dict[str, tuple[Citation, bool]]


def encode_note(note: Note, iris: Iris, *, run: URIRef, modified: datetime) -> CompiledNote:
    """The RDF of one note: note record, definitions, statements, shortcuts, citations."""
    out = CompiledNote(note=note, graph=Graph())
    _encode(out.graph, out, note, iris, run, modified)
    return out


def encode_note_triples(note: Note, iris: Iris, *, run: URIRef, modified: datetime) -> EncodedNote:
    """:func:`encode_note` into a :class:`Triples` list: the same triples."""
    out = EncodedNote(note, Triples(), {}, {})
    _encode(out.triples, out, note, iris, run, modified)
    return out


def _encode(
    g: _Sink,
    out: CompiledNote | EncodedNote,
    note: Note,
    iris: Iris,
    run: URIRef,
    modified: datetime,
) -> None:
    me = iris.concept(note.slug)
    doc = iris.note(note.slug)

    def concept(slug: str, spelling: str) -> URIRef:
        spellings = out.concepts.setdefault(slug, [])
        if spelling not in spellings:
            spellings.append(spelling)
        return iris.concept(slug)

    concept(note.slug, note.title)
    g.add((doc, RDF.type, IG.ConceptNote))
    g.add((doc, IG.describes, me))
    g.add((doc, DCTERMS.title, Literal(note.title)))
    g.add((doc, DCTERMS.source, Literal(note.file)))
    g.add((doc, IG.contentHash, Literal(note.content_hash)))
    g.add((doc, IG.markdown, Literal(note.source)))
    g.add((doc, DCTERMS.modified, Literal(modified.isoformat(), datatype=XSD.dateTime)))
    g.add((doc, PROV.wasGeneratedBy, run))
    for link in note.links:
        g.add((doc, IG.linksTo, concept(link.slug, link.target)))
    if note.definition is not None:
        g.add((me, SKOS.definition, en(note.definition.text)))
        g.add((me, IAO_DEFINITION, en(note.definition.text)))
    if note.lead is not None:
        g.add((me, SKOS.scopeNote, en(note.lead.text)))
    if note.closing is not None:
        g.add((doc, DCTERMS.description, en(note.closing.text)))

    for entry in note.entries:
        _statement(g, out, note, entry, iris, concept)
    for link in note.related:
        g.add((me, SKOS.related, concept(link.slug, link.target)))
    for link in note.see_also:
        g.add((me, IG.seeAlso, concept(link.slug, link.target)))
    for position, kept in enumerate(note.sections, start=1):
        section = iris.section(note.slug, position)
        g.add((doc, IG.hasSection, section))
        g.add((section, RDF.type, IG.Section))
        g.add((section, DCTERMS.title, Literal(kept.heading)))
        g.add((section, IG.text, Literal(kept.text)))
        g.add((section, IG.position, Literal(position)))
        g.add((section, IG.sourceLine, Literal(kept.line)))
        for link in kept.links:
            g.add((section, IG.mentions, concept(link.slug, link.target)))
    for cite in note.citations:
        out.works.setdefault(cite.slug, (cite, False))
        g.add((doc, CITO.citesForInformation, iris.work(cite.slug)))


def _statement(
    g: _Sink,
    out: CompiledNote | EncodedNote,
    note: Note,
    entry: Entry,
    iris: Iris,
    concept: Callable[[str, str], URIRef],
) -> None:
    me = iris.concept(note.slug)
    if entry.kind is Kind.EVIDENCE:
        assert entry.citation is not None
        work_slug = entry.citation.slug
        out.works[work_slug] = (entry.citation, True)
        node = iris.statement(note.slug, "evidence", work_slug)
        g.add((iris.note(note.slug), CITO.citesAsEvidence, iris.work(work_slug)))
        g.add((node, IG.work, iris.work(work_slug)))
        if entry.summary:
            g.add((node, IG.studySummary, en(entry.summary)))
        if entry.finding:
            g.add((node, IG.finding, en(entry.finding)))
    elif entry.kind is Kind.IMPLICATION:
        if entry.is_domain:
            domain = concept(entry.object_slug, entry.object_label)
            g.add((me, IG.hasImplicationFor, domain))
            if not entry.description:
                return  # the domain is a relation; its items are the statements
            node = iris.statement(note.slug, "implication", entry.object_slug)
        else:
            assert entry.domain is not None
            domain = iris.concept(entry.domain.object_slug)
            node = iris.statement(
                note.slug, "implication", entry.domain.object_slug, slugify(entry.label)
            )
        g.add((node, IG.domain, domain))
    else:
        target = concept(entry.object_slug, entry.object_label)
        node = iris.statement(note.slug, entry.kind.value, entry.object_slug)
        g.add((node, IG.object, target))
        g.add((me, SHORTCUT[entry.kind], target))
        if entry.group is not None:
            g.add((node, IG.group, iris.concept(entry.group.object_slug)))
    g.add((node, RDF.type, STATEMENT_CLASS[entry.kind]))
    g.add((node, IG.subject, me))
    g.add((node, RDFS.label, Literal(entry.label)))
    if entry.link is not None:
        g.add((node, IG.labelIsLink, Literal(True)))
    if entry.description:
        g.add((node, IG.description, en(entry.description)))
    g.add((node, IG.position, Literal(entry.position)))
    g.add((node, IG.sourceLine, Literal(entry.line)))
    g.add((node, PROV.wasDerivedFrom, iris.note(note.slug)))
    for link in entry.mentions:
        g.add((node, IG.mentions, concept(link.slug, link.target)))


class RegistrySource(Protocol):
    """What the registry reads of one note (a :class:`CompiledNote`, or its summary)."""

    @property
    def slug(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def concepts(self) -> dict[str, list[str]]: ...

    @property
    def works(self) -> dict[str, tuple[Citation, bool]]: ...


def build_registry(compiled: Iterable[RegistrySource], iris: Iris) -> Graph:
    """``graph:registry``: one record and one preferred label per concept and work.

    The spelling chosen is the describing note's title if there is one, else the first seen in
    notes sorted by slug; other spellings become ``skos:altLabel``.  A work's authors and year
    come from the first citing note; a work cited as evidence anywhere is an ``ig:Study``.
    """
    g = Graph()
    for triple in registry_triples(compiled, iris):
        g.add(triple)
    return g


@dataclass
class RegistryPlan:
    """What the registry says, before it is written as triples: each concept with its
    preferred spelling and its other spellings, each work with its first citation."""

    concepts: list[tuple[str, str, list[str]]]  # (slug, preferred, other spellings), by slug
    works: list[tuple[str, Citation, bool]]  # (slug, first citation, cited as evidence), by slug


def registry_plan(compiled: Iterable[RegistrySource]) -> RegistryPlan:
    """The choices of :func:`build_registry` (module docstring of the rules)."""
    notes = sorted(compiled, key=lambda c: c.slug)
    spellings: dict[str, list[str]] = {}
    described = {c.slug: c.title for c in notes}
    for c in notes:
        for slug, names in c.concepts.items():
            known = spellings.setdefault(slug, [])
            known.extend(n for n in names if n not in known)
    concepts = []
    for slug in sorted(spellings):
        names = spellings[slug]
        preferred = described.get(slug, names[0])
        concepts.append((slug, preferred, [n for n in dict.fromkeys(names) if n != preferred]))
    works: dict[str, Citation] = {}
    studies: set[str] = set()
    for c in notes:
        for slug, (cite, is_study) in c.works.items():
            works.setdefault(slug, cite)
            if is_study:
                studies.add(slug)
    return RegistryPlan(concepts, [(slug, works[slug], slug in studies) for slug in sorted(works)])


_SCHEME_LABEL = "intimacy-graph psychology concepts"


def registry_triples(
    compiled: Iterable[RegistrySource] | RegistryPlan,
    iris: Iris,
    *,
    only: set[str] | None = None,
) -> list[tuple[URIRef, URIRef, Node]]:
    """The triples of :func:`build_registry`'s graph (each once), without making the graph;
    with ``only`` (IRIs), just the records of those IRIs."""
    plan = compiled if isinstance(compiled, RegistryPlan) else registry_plan(compiled)
    out: list[tuple[URIRef, URIRef, Node]] = []
    add = out.append
    scheme = iris.scheme
    if only is None or str(scheme) in only:
        add((scheme, RDF.type, SKOS.ConceptScheme))
        add((scheme, SKOS.prefLabel, en(_SCHEME_LABEL)))
        add((scheme, RDFS.label, en(_SCHEME_LABEL)))
    for slug, preferred, others in plan.concepts:
        node = iris.concept(slug)
        if only is not None and str(node) not in only:
            continue
        label = en(preferred)
        add((node, RDF.type, IG.Concept))
        add((node, SKOS.prefLabel, label))
        add((node, RDFS.label, label))
        add((node, SKOS.inScheme, scheme))
        for name in others:
            add((node, SKOS.altLabel, en(name)))
    for slug, cite, is_study in plan.works:
        node = iris.work(slug)
        if only is not None and str(node) not in only:
            continue
        add((node, RDF.type, IG.Work))
        if is_study:
            add((node, RDF.type, IG.Study))
        add((node, RDFS.label, Literal(cite.label)))
        for author in dict.fromkeys(cite.authors):
            add((node, IG.authorFamilyName, Literal(author)))
        add((node, FABIO.hasPublicationYear, Literal(cite.year[:4], datatype=XSD.gYear)))
    return out


def registry_text(
    plan: RegistryPlan, iris: Iris, part: int = 0, parts: int = 1
) -> list[tuple[str, str, str]]:
    """The triples of :func:`registry_triples` for every ``parts``-th concept and work from
    the ``part``-th, each term as its N-Triples text written by pyoxigraph: the same text as
    the triples' own, several times cheaper to make for big registries."""
    import pyoxigraph as ox

    from intimacy_graph.store.terms import to_oxigraph

    def t(term: Node) -> str:
        return str(to_oxigraph(term))

    a, pref, label, in_scheme, alt = (
        t(RDF.type),
        t(SKOS.prefLabel),
        t(RDFS.label),
        t(SKOS.inScheme),
        t(SKOS.altLabel),
    )
    concept, scheme = t(IG.Concept), t(iris.scheme)
    out: list[tuple[str, str, str]] = []
    add = out.append
    if part == 0:
        add((scheme, a, t(SKOS.ConceptScheme)))
        add((scheme, pref, t(en(_SCHEME_LABEL))))
        add((scheme, label, t(en(_SCHEME_LABEL))))
    for slug, preferred, others in plan.concepts[part::parts]:
        node = str(ox.NamedNode(str(iris.concept(slug))))
        name = str(ox.Literal(preferred, language="en"))
        add((node, a, concept))
        add((node, pref, name))
        add((node, label, name))
        add((node, in_scheme, scheme))
        for other in others:
            add((node, alt, str(ox.Literal(other, language="en"))))
    rest = registry_triples(RegistryPlan([], plan.works[part::parts]), iris)
    out.extend((t(s), t(p), t(o)) for s, p, o in rest if s != iris.scheme)
    return out
