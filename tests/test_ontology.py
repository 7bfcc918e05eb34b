"""ontology/intimacy.ttl: header, terms, axioms of DESIGN.md §4, and a stable file."""

from __future__ import annotations

import itertools
import re

import pytest
from rdflib import OWL, RDF, RDFS, BNode, Graph, Literal, Namespace, URIRef

from intimacy_graph.namespaces import (
    CITO,
    DCTERMS,
    FABIO,
    IAO_DEFINITION,
    IG,
    ONTOLOGY_IRI,
    PROV,
    SKOS,
)
from intimacy_graph.resources import ontology_file

# A plain Namespace: rdflib's XSD DefinedNamespace warns when pytest probes module attributes.
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
IG_TERMS = sorted(IG.__annotations__)
IG_NS = str(IG._NS)

CLASSES = {
    "ConceptNote", "Concept", "Characteristic", "Benefit", "Mechanism", "ImplicationDomain",
    "Statement", "CharacteristicStatement", "TypeStatement", "BenefitStatement",
    "MechanismStatement", "ImplicationStatement", "EvidenceStatement", "Work", "Study", "Section",
}  # fmt: skip
OBJECT_PROPERTIES = {
    "describes", "linksTo", "hasSection", "subject", "object", "mentions", "group", "domain",
    "work", "hasCharacteristic", "isCharacteristicOf", "hasType", "isTypeOf", "hasBenefit",
    "isBenefitOf", "hasMechanism", "isMechanismOf", "hasImplicationFor", "isImplicationDomainOf",
}  # fmt: skip
DATATYPE_PROPERTIES = {
    "contentHash", "markdown", "text", "labelIsLink", "description", "position", "sourceLine",
    "studySummary", "finding", "authorFamilyName", "triplesAdded", "triplesRemoved",
}  # fmt: skip
ANNOTATION_PROPERTIES = {"seeAlso"}
TERM_KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)

TOP_CLASSES = ["ConceptNote", "Concept", "Statement", "Work", "Section"]
STATEMENT_KINDS = [
    "CharacteristicStatement",
    "TypeStatement",
    "BenefitStatement",
    "MechanismStatement",
    "ImplicationStatement",
    "EvidenceStatement",
]
ROLE_CLASSES = ["Characteristic", "Benefit", "Mechanism", "ImplicationDomain"]

# DESIGN.md §4, shortcut triples: (property, its super-property, inverse, the inverse's
# super-property, range of the property).
SHORTCUTS = [
    (IG.hasCharacteristic, SKOS.related, IG.isCharacteristicOf, SKOS.related, IG.Characteristic),
    (IG.hasType, SKOS.narrower, IG.isTypeOf, SKOS.broader, IG.Concept),
    (IG.hasBenefit, SKOS.related, IG.isBenefitOf, SKOS.related, IG.Benefit),
    (IG.hasMechanism, SKOS.related, IG.isMechanismOf, SKOS.related, IG.Mechanism),
    (
        IG.hasImplicationFor,
        SKOS.related,
        IG.isImplicationDomainOf,
        SKOS.related,
        IG.ImplicationDomain,
    ),
]

SUBCLASSES = [
    (IG.Concept, SKOS.Concept),
    *[(IG[name], IG.Concept) for name in ROLE_CLASSES],
    *[(IG[name], IG.Statement) for name in STATEMENT_KINDS],
    (IG.Study, IG.Work),
]

# (property, domain or None, range)
OBJECT_PROPERTY_SIGNATURES = [
    (IG.describes, IG.ConceptNote, IG.Concept),
    (IG.linksTo, IG.ConceptNote, IG.Concept),
    (IG.hasSection, IG.ConceptNote, IG.Section),
    (IG.subject, IG.Statement, IG.Concept),
    (IG.object, IG.Statement, IG.Concept),
    (IG.mentions, None, IG.Concept),
    (IG.group, IG.MechanismStatement, IG.Concept),
    (IG.domain, IG.ImplicationStatement, IG.ImplicationDomain),
    (IG.work, IG.EvidenceStatement, IG.Work),
]

# rdf:PlainLiteral is OWL 2's datatype for language-tagged strings (see test below).
DATATYPE_PROPERTY_SIGNATURES = [
    (IG.contentHash, IG.ConceptNote, XSD.string),
    (IG.markdown, IG.ConceptNote, XSD.string),
    (IG.text, IG.Section, RDF.PlainLiteral),
    (IG.labelIsLink, IG.Statement, XSD.boolean),
    (IG.description, IG.Statement, RDF.PlainLiteral),
    (IG.position, None, XSD.integer),
    (IG.sourceLine, None, XSD.integer),
    (IG.studySummary, IG.EvidenceStatement, RDF.PlainLiteral),
    (IG.finding, IG.EvidenceStatement, RDF.PlainLiteral),
    (IG.authorFamilyName, IG.Work, XSD.string),
]

EXTERNAL_DECLARATIONS = [
    (SKOS.Concept, OWL.Class),
    (SKOS.ConceptScheme, OWL.Class),
    (PROV.Activity, OWL.Class),
    (SKOS.related, OWL.ObjectProperty),
    (SKOS.broader, OWL.ObjectProperty),
    (SKOS.narrower, OWL.ObjectProperty),
    (SKOS.inScheme, OWL.ObjectProperty),
    (SKOS.topConceptOf, OWL.ObjectProperty),
    (SKOS.hasTopConcept, OWL.ObjectProperty),
    (PROV.wasDerivedFrom, OWL.ObjectProperty),
    (PROV.wasGeneratedBy, OWL.ObjectProperty),
    (PROV.generated, OWL.ObjectProperty),
    (CITO.citesAsEvidence, OWL.ObjectProperty),
    (CITO.citesForInformation, OWL.ObjectProperty),
    (SKOS.prefLabel, OWL.AnnotationProperty),
    (SKOS.altLabel, OWL.AnnotationProperty),
    (SKOS.definition, OWL.AnnotationProperty),
    (SKOS.scopeNote, OWL.AnnotationProperty),
    (IAO_DEFINITION, OWL.AnnotationProperty),
    (DCTERMS.title, OWL.AnnotationProperty),
    (DCTERMS.source, OWL.AnnotationProperty),
    (DCTERMS.description, OWL.AnnotationProperty),
    (DCTERMS.modified, OWL.AnnotationProperty),
    (DCTERMS.creator, OWL.AnnotationProperty),
    (DCTERMS.license, OWL.AnnotationProperty),
    (PROV.startedAtTime, OWL.AnnotationProperty),
    # xsd:gYear is not in the OWL 2 datatype map: as a datatype property, HermiT refuses it.
    (FABIO.hasPublicationYear, OWL.AnnotationProperty),
]


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ontology_file(), format="turtle")


def _kinds(graph: Graph, term: URIRef) -> set[URIRef]:
    return {kind for kind in TERM_KINDS if (term, RDF.type, kind) in graph}


def _has_disjointness(graph: Graph, a: URIRef, b: URIRef) -> bool:
    return (a, OWL.disjointWith, b) in graph or (b, OWL.disjointWith, a) in graph


# --- header ------------------------------------------------------------------------------


def test_one_ontology_with_version_license_and_creator(ontology: Graph) -> None:
    headers = list(ontology.subjects(RDF.type, OWL.Ontology))
    assert headers == [ONTOLOGY_IRI]
    version_info = ontology.value(ONTOLOGY_IRI, OWL.versionInfo)
    assert isinstance(version_info, Literal)
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(version_info))
    assert ontology.value(ONTOLOGY_IRI, OWL.versionIRI) == URIRef(f"{ONTOLOGY_IRI}/{version_info}")
    assert ontology.value(ONTOLOGY_IRI, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    assert ontology.value(ONTOLOGY_IRI, DCTERMS.creator) is not None
    assert ontology.value(ONTOLOGY_IRI, DCTERMS.title) is not None
    assert ontology.value(ONTOLOGY_IRI, DCTERMS.description) is not None


def test_no_imports(ontology: Graph) -> None:
    # owlready2 and the OWL API follow owl:imports over the network (DESIGN.md §8).
    assert list(ontology.triples((None, OWL.imports, None))) == []


# --- terms -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", IG_TERMS)
def test_term_has_label_definition_and_is_defined_by(ontology: Graph, name: str) -> None:
    term = IG[name]
    labels = list(ontology.objects(term, RDFS.label))
    assert len(labels) == 1
    assert isinstance(labels[0], Literal)
    assert labels[0].language == "en"
    definitions = list(ontology.objects(term, SKOS.definition))
    assert len(definitions) == 1
    assert isinstance(definitions[0], Literal)
    assert definitions[0].language == "en"
    assert list(ontology.objects(term, IAO_DEFINITION)) == definitions
    assert ontology.value(term, RDFS.isDefinedBy) == ONTOLOGY_IRI


def test_term_lists_match_namespace() -> None:
    declared = CLASSES | OBJECT_PROPERTIES | DATATYPE_PROPERTIES | ANNOTATION_PROPERTIES
    assert sorted(declared) == IG_TERMS


@pytest.mark.parametrize("name", IG_TERMS)
def test_term_has_its_one_kind(ontology: Graph, name: str) -> None:
    expected = (
        OWL.Class
        if name in CLASSES
        else OWL.ObjectProperty
        if name in OBJECT_PROPERTIES
        else OWL.DatatypeProperty
        if name in DATATYPE_PROPERTIES
        else OWL.AnnotationProperty
    )
    assert _kinds(ontology, IG[name]) == {expected}


def test_every_ig_iri_is_a_namespace_term(ontology: Graph) -> None:
    used = {
        str(node)
        for triple in ontology
        for node in triple
        if isinstance(node, URIRef) and str(node).startswith(IG_NS)
    }
    assert sorted(iri.removeprefix(IG_NS) for iri in used) == IG_TERMS


@pytest.mark.parametrize(("term", "kind"), EXTERNAL_DECLARATIONS)
def test_reused_term_is_declared(ontology: Graph, term: URIRef, kind: URIRef) -> None:
    assert _kinds(ontology, term) == {kind}


# --- axioms of DESIGN.md §4 --------------------------------------------------------------


@pytest.mark.parametrize(("sub", "sup"), SUBCLASSES)
def test_subclass(ontology: Graph, sub: URIRef, sup: URIRef) -> None:
    assert (sub, RDFS.subClassOf, sup) in ontology


@pytest.mark.parametrize(
    ("prop", "prop_super", "inverse", "inverse_super", "range_"),
    SHORTCUTS,
    ids=[str(row[0]).removeprefix(IG_NS) for row in SHORTCUTS],
)
def test_shortcut_property(
    ontology: Graph,
    prop: URIRef,
    prop_super: URIRef,
    inverse: URIRef,
    inverse_super: URIRef,
    range_: URIRef,
) -> None:
    assert (prop, RDFS.subPropertyOf, prop_super) in ontology
    assert (inverse, RDFS.subPropertyOf, inverse_super) in ontology
    assert (inverse, OWL.inverseOf, prop) in ontology
    assert (prop, OWL.inverseOf, inverse) in ontology
    assert ontology.value(prop, RDFS.domain) == IG.Concept
    assert ontology.value(prop, RDFS.range) == range_
    assert ontology.value(inverse, RDFS.domain) == range_
    assert ontology.value(inverse, RDFS.range) == IG.Concept


@pytest.mark.parametrize(
    ("prop", "domain", "range_"),
    OBJECT_PROPERTY_SIGNATURES + DATATYPE_PROPERTY_SIGNATURES,
    ids=[
        str(row[0]).removeprefix(IG_NS)
        for row in OBJECT_PROPERTY_SIGNATURES + DATATYPE_PROPERTY_SIGNATURES
    ],
)
def test_domain_and_range(
    ontology: Graph, prop: URIRef, domain: URIRef | None, range_: URIRef
) -> None:
    assert list(ontology.objects(prop, RDFS.domain)) == ([domain] if domain else [])
    assert list(ontology.objects(prop, RDFS.range)) == [range_]


def test_see_also_is_an_annotation_sub_property_of_rdfs_see_also(ontology: Graph) -> None:
    # rdfs:seeAlso is an annotation property in OWL 2; only an annotation property may be its
    # sub-property in OWL 2 DL.
    assert _kinds(ontology, IG.seeAlso) == {OWL.AnnotationProperty}
    assert (IG.seeAlso, RDFS.subPropertyOf, RDFS.seeAlso) in ontology


def test_no_rdf_lang_string_range(ontology: Graph) -> None:
    # OWL 2 has no rdf:langString; the OWL API in HermiT reads it as a class and the property
    # becomes both a data and an object property, which is not OWL 2 DL.
    assert list(ontology.subjects(RDFS.range, RDF.langString)) == []


@pytest.mark.parametrize(
    ("a", "b"),
    [
        *itertools.combinations(TOP_CLASSES, 2),
        *itertools.combinations(STATEMENT_KINDS, 2),
    ],
)
def test_disjoint(ontology: Graph, a: str, b: str) -> None:
    assert _has_disjointness(ontology, IG[a], IG[b])


@pytest.mark.parametrize(("a", "b"), list(itertools.combinations(ROLE_CLASSES, 2)))
def test_role_classes_may_overlap(ontology: Graph, a: str, b: str) -> None:
    # Empathy is a characteristic and a mechanism of Emotional Intimacy in the seed note.
    assert not _has_disjointness(ontology, IG[a], IG[b])


# --- a stable file -------------------------------------------------------------------------


def test_no_blank_nodes(ontology: Graph) -> None:
    assert not [t for t in ontology if any(isinstance(node, BNode) for node in t)]


def test_serialises_deterministically() -> None:
    first = Graph().parse(ontology_file(), format="turtle")
    second = Graph().parse(ontology_file(), format="turtle")
    assert first.serialize(format="turtle") == second.serialize(format="turtle")
    lines = sorted(first.serialize(format="nt").splitlines())
    assert lines == sorted(second.serialize(format="nt").splitlines())


def _subject_blocks() -> list[str]:
    """Subjects of the file's blocks, in file order (a block starts at column 0)."""
    text = ontology_file().read_text(encoding="utf-8")
    return [m.group(1) for m in re.finditer(r"^([a-zA-Z]+:\S+|<[^>]+>)$", text, re.MULTILINE)]


def test_blocks_are_grouped_and_sorted(ontology: Graph) -> None:
    groups = [OWL.Ontology, *TERM_KINDS]
    subjects = _subject_blocks()
    assert subjects[0] == f"<{ONTOLOGY_IRI}>"
    seen: list[tuple[int, bool, str]] = []
    for curie in subjects:
        iri = (
            URIRef(curie[1:-1])
            if curie.startswith("<")
            else ontology.namespace_manager.expand_curie(curie)
        )
        kinds = [g for g in groups if (iri, RDF.type, g) in ontology]
        assert len(kinds) == 1, curie
        external = not curie.startswith("ig:")
        name = curie.removeprefix("ig:")
        seen.append((groups.index(kinds[0]), external, name.casefold() if not external else name))
    assert seen == sorted(seen)
    assert len(set(subjects)) == len(subjects)
