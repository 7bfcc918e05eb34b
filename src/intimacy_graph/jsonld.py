"""The published JSON-LD ``@context`` of the concept API (versioned; served at
``/context.jsonld`` and ``/context/v1.jsonld``).

Keys map to the contract's vocabularies (SKOS, schema.org ``DefinedTerm``, ``ig:``) so generic
JSON-LD tools read a concept card as RDF without our help.  Grouping keys (``relations``,
``inverse``) are ``@nest``: they group properties for people and vanish in RDF.  Keys that are
API conveniences (``described``, ``roles``, ``asserted``, ``via``, ``mechanismGroupOf``,
``depth``) are left unmapped, so JSON-LD processors drop them.
"""

from __future__ import annotations

from typing import Any

from intimacy_graph.namespaces import PREFIXES

VERSION = "v1"

_ID = {"@type": "@id"}


def context(base: str) -> dict[str, Any]:
    """The context document for a deployment whose IRIs start with ``base``."""
    prefixes = {
        k: v
        for k, v in PREFIXES.items()
        if k in ("ig", "skos", "dcterms", "prov", "cito", "fabio", "schema", "rdfs", "xsd", "owl")
    }
    prefixes.update(
        {
            "concept": base + "concept/",
            "note": base + "note/",
            "work": base + "work/",
            "stmt": base + "statement/",
        }
    )
    terms: dict[str, Any] = {
        "slug": "schema:termCode",
        "prefLabel": {"@id": "skos:prefLabel", "@language": "en"},
        "altLabels": {"@id": "skos:altLabel", "@language": "en", "@container": "@set"},
        "definition": {"@id": "skos:definition", "@language": "en"},
        "scopeNote": {"@id": "skos:scopeNote", "@language": "en"},
        "inScheme": {"@id": "skos:inScheme", "@type": "@id"},
        "note": {"@id": "prov:wasDerivedFrom", "@type": "@id"},
        "describedBy": {"@reverse": "ig:describes", "@type": "@id"},
        "replacedBy": {"@id": "dcterms:isReplacedBy", "@type": "@id"},
        "deprecated": {"@id": "owl:deprecated", "@type": "xsd:boolean"},
        "relations": "@nest",
        "inverse": "@nest",
        "characteristics": {"@reverse": "ig:subject", "@container": "@set"},
        "types": {"@reverse": "ig:subject", "@container": "@set"},
        "benefits": {"@reverse": "ig:subject", "@container": "@set"},
        "mechanisms": {"@reverse": "ig:subject", "@container": "@set"},
        "implications": {"@reverse": "ig:subject", "@container": "@set"},
        "evidence": {"@reverse": "ig:subject", "@container": "@set"},
        "characteristicOf": {"@id": "ig:isCharacteristicOf", "@type": "@id"},
        "typeOf": {"@id": "ig:isTypeOf", "@type": "@id"},
        "benefitOf": {"@id": "ig:isBenefitOf", "@type": "@id"},
        "mechanismOf": {"@id": "ig:isMechanismOf", "@type": "@id"},
        "implicationDomainOf": {"@id": "ig:isImplicationDomainOf", "@type": "@id"},
        "related": {"@id": "skos:related", "@type": "@id"},
        "broader": {"@id": "skos:broader", "@type": "@id"},
        "narrower": {"@id": "skos:narrower", "@type": "@id"},
        "seeAlso": {"@id": "ig:seeAlso", "@type": "@id"},
        "concept": {"@id": "ig:object", "@type": "@id"},
        "group": {"@id": "ig:group", "@type": "@id"},
        "domain": {"@id": "ig:domain", "@type": "@id"},
        "work": {"@id": "ig:work", "@type": "@id"},
        "label": "rdfs:label",
        "labelIsLink": {"@id": "ig:labelIsLink", "@type": "xsd:boolean"},
        "description": {"@id": "ig:description", "@language": "en"},
        "position": {"@id": "ig:position", "@type": "xsd:integer"},
        "sourceLine": {"@id": "ig:sourceLine", "@type": "xsd:integer"},
        "studySummary": {"@id": "ig:studySummary", "@language": "en"},
        "finding": {"@id": "ig:finding", "@language": "en"},
        "year": {"@id": "fabio:hasPublicationYear", "@type": "xsd:gYear"},
        "authors": {"@id": "ig:authorFamilyName", "@container": "@set"},
        "title": "dcterms:title",
        "source": "dcterms:source",
        "contentHash": "ig:contentHash",
        "modified": {"@id": "dcterms:modified", "@type": "xsd:dateTime"},
        "items": {"@id": "schema:itemListElement", "@container": "@list"},
    }
    return {"@context": {"@version": 1.1, **prefixes, **terms}}


def own_contexts(base: str) -> dict[str, Any]:
    """The context IRIs an entry may name — this service's own, by path or under the
    deployment's base — mapped to the context itself (nothing is ever fetched)."""
    inner = context(base)["@context"]
    names = ["/context.jsonld", f"/context/{VERSION}.jsonld"]
    return {name: inner for name in [*names, *(base.rstrip("/") + n for n in names)]}
