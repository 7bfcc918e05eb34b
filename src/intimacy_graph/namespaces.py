"""Our IRIs and the vocabularies we reuse (DESIGN.md §4, a contract).

``IG`` is a :class:`rdflib.namespace.DefinedNamespace`, so a misspelt term fails at import
time instead of minting a new IRI.  Instance IRIs (concepts, notes, statements, works, graphs,
runs) hang off a per-deployment base; :class:`Iris` builds them.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

DEFAULT_BASE = "https://w3id.org/intimacy-graph/"
ONTOLOGY_IRI = URIRef(DEFAULT_BASE + "ontology")


class IG(DefinedNamespace):
    """The intimacy-graph OWL ontology (``ontology/intimacy.ttl``)."""

    _NS = Namespace(DEFAULT_BASE + "ontology#")
    _fail = True

    # classes
    ConceptNote: URIRef
    Concept: URIRef
    Characteristic: URIRef
    Benefit: URIRef
    Mechanism: URIRef
    ImplicationDomain: URIRef
    Statement: URIRef
    CharacteristicStatement: URIRef
    TypeStatement: URIRef
    BenefitStatement: URIRef
    MechanismStatement: URIRef
    ImplicationStatement: URIRef
    EvidenceStatement: URIRef
    Work: URIRef
    Study: URIRef
    Section: URIRef
    # note properties
    describes: URIRef
    contentHash: URIRef
    markdown: URIRef
    linksTo: URIRef
    hasSection: URIRef
    text: URIRef
    triplesAdded: URIRef
    triplesRemoved: URIRef
    # statement properties
    subject: URIRef
    object: URIRef
    labelIsLink: URIRef
    description: URIRef
    position: URIRef
    sourceLine: URIRef
    mentions: URIRef
    group: URIRef
    domain: URIRef
    work: URIRef
    studySummary: URIRef
    finding: URIRef
    # works
    authorFamilyName: URIRef
    # shortcut relations and their inverses
    hasCharacteristic: URIRef
    isCharacteristicOf: URIRef
    hasType: URIRef
    isTypeOf: URIRef
    hasBenefit: URIRef
    isBenefitOf: URIRef
    hasMechanism: URIRef
    isMechanismOf: URIRef
    hasImplicationFor: URIRef
    isImplicationDomainOf: URIRef
    seeAlso: URIRef


SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
PROV = Namespace("http://www.w3.org/ns/prov#")
CITO = Namespace("http://purl.org/spar/cito/")
FABIO = Namespace("http://purl.org/spar/fabio/")
BIBO = Namespace("http://purl.org/ontology/bibo/")
OBO = Namespace("http://purl.obolibrary.org/obo/")
SCHEMA = Namespace("https://schema.org/")
IAO_DEFINITION = OBO["IAO_0000115"]

PREFIXES: dict[str, str] = {
    "ig": str(IG._NS),
    "concept": DEFAULT_BASE + "concept/",
    "note": DEFAULT_BASE + "note/",
    "stmt": DEFAULT_BASE + "statement/",
    "work": DEFAULT_BASE + "work/",
    "graph": DEFAULT_BASE + "graph/",
    "run": DEFAULT_BASE + "run/",
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
    "cito": str(CITO),
    "fabio": str(FABIO),
    "bibo": str(BIBO),
    "obo": str(OBO),
    "schema": str(SCHEMA),
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "sh": "http://www.w3.org/ns/shacl#",
}


@dataclass(frozen=True)
class Iris:
    """Instance IRIs of one deployment, built from its base IRI.

    >>> Iris().concept("trust")
    rdflib.term.URIRef('https://w3id.org/intimacy-graph/concept/trust')
    >>> Iris().statement("emotional-intimacy", "characteristic", "trust")
    rdflib.term.URIRef('https://w3id.org/intimacy-graph/statement/emotional-intimacy/characteristic/trust')
    """

    base: str = DEFAULT_BASE

    def _iri(self, *parts: str) -> URIRef:
        return URIRef(self.base + "/".join(parts))

    def concept(self, slug: str) -> URIRef:
        return self._iri("concept", slug)

    @property
    def scheme(self) -> URIRef:
        return self._iri("concept", "scheme")

    def note(self, slug: str) -> URIRef:
        return self._iri("note", slug)

    def section(self, note_slug: str, position: int) -> URIRef:
        return self._iri("note", note_slug, "section", str(position))

    def statement(self, note_slug: str, kind: str, *rest: str) -> URIRef:
        return self._iri("statement", note_slug, kind, *rest)

    def work(self, slug: str) -> URIRef:
        return self._iri("work", slug)

    def graph(self, name: str) -> URIRef:
        return self._iri("graph", name)

    def note_graph(self, note_slug: str) -> URIRef:
        return self._iri("graph", "note", note_slug)

    def run(self, run_id: str) -> URIRef:
        return self._iri("run", run_id)

    @property
    def ontology_graph(self) -> URIRef:
        return self.graph("ontology")

    @property
    def registry_graph(self) -> URIRef:
        return self.graph("registry")

    @property
    def inferred_graph(self) -> URIRef:
        return self.graph("inferred")

    @property
    def curated_graph(self) -> URIRef:
        return self.graph("curated")

    @property
    def changes_graph(self) -> URIRef:
        return self.graph("changes")
