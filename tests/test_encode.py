"""The seed note compiles to exactly what the data-model contract (DESIGN.md §4) says."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef

from intimacy_graph.encode import CompiledNote, build_registry, encode_note
from intimacy_graph.namespaces import CITO, DCTERMS, FABIO, IAO_DEFINITION, IG, PROV, SKOS, Iris
from intimacy_graph.notes import read_note

from .conftest import SEED

IRIS = Iris()
C = IRIS.concept
NOTE = IRIS.note("emotional-intimacy")
EI = C("emotional-intimacy")
RUN = IRIS.run("20261127T000000Z-test")


def stmt(*parts: str) -> URIRef:
    return IRIS.statement("emotional-intimacy", *parts)


@pytest.fixture(scope="module")
def compiled() -> CompiledNote:
    note, diags = read_note(SEED, SEED.parent)
    assert note is not None
    assert not [d for d in diags if d.severity != "info"], diags
    return encode_note(note, IRIS, run=RUN, modified=datetime(2026, 11, 27, tzinfo=UTC))


@pytest.fixture(scope="module")
def g(compiled: CompiledNote) -> Graph:
    return compiled.graph


@pytest.fixture(scope="module")
def registry(compiled: CompiledNote) -> Graph:
    return build_registry([compiled], IRIS)


def objects(g: Graph, s: URIRef, p: URIRef) -> set[object]:
    return set(g.objects(s, p))


def test_note_record(g: Graph) -> None:
    assert (NOTE, RDF.type, IG.ConceptNote) in g
    assert (NOTE, IG.describes, EI) in g
    assert objects(g, NOTE, DCTERMS.title) == {Literal("Emotional Intimacy")}
    assert objects(g, NOTE, DCTERMS.source) == {Literal("emotional-intimacy.md")}
    text = SEED.read_text(encoding="utf-8")
    assert objects(g, NOTE, IG.markdown) == {Literal(text)}
    import hashlib

    assert objects(g, NOTE, IG.contentHash) == {
        Literal(hashlib.sha256(SEED.read_bytes()).hexdigest())
    }
    (modified,) = objects(g, NOTE, DCTERMS.modified)
    assert isinstance(modified, Literal) and modified.datatype == XSD.dateTime
    assert objects(g, NOTE, PROV.wasGeneratedBy) == {RUN}
    closing = next(iter(objects(g, NOTE, DCTERMS.description)))
    assert str(closing).startswith("Understanding and fostering emotional intimacy")


def test_links_to_every_distinct_wikilink_target(g: Graph) -> None:
    expected = {
        "attachment",
        "emotional-bond",
        "closeness",
        "love",
        "psychological-well-being",
        "attachment-theory",
        "oxytocin",
        "trust",
        "empathy",
        "social-connection",
        "self-disclosure",
        "active-listening",
        "mental-health",
        "resilience",
        "positive-psychology",
        "social-emotional-learning",
        "emotion-focused-therapy",
        "relationship-satisfaction",
    }
    assert objects(g, NOTE, IG.linksTo) == {C(s) for s in expected}


def test_definition_and_scope_note(g: Graph) -> None:
    (definition,) = objects(g, EI, SKOS.definition)
    assert str(definition).startswith("Emotional intimacy is the ability to be open")
    assert definition.language == "en"  # type: ignore[attr-defined]
    assert objects(g, EI, IAO_DEFINITION) == {definition}
    (scope,) = objects(g, EI, SKOS.scopeNote)
    assert str(scope).startswith("Emotional Intimacy refers to a deep sense")
    assert "**" not in str(scope)


SHORTCUTS = [
    (
        IG.hasCharacteristic,
        ["trust", "vulnerability", "empathy", "mutual-understanding", "support"],
    ),
    (
        IG.hasType,
        ["romantic-intimacy", "familial-intimacy", "friendship-intimacy", "therapeutic-intimacy"],
    ),
    (
        IG.hasBenefit,
        ["psychological-well-being", "physical-health", "resilience", "relationship-satisfaction"],
    ),
    (
        IG.hasMechanism,
        [
            "attachment-theory",
            "neurochemical-processes",
            "oxytocin",
            "endorphins",
            "behavioral-processes",
            "self-disclosure",
            "active-listening",
            "empathy",
        ],
    ),
    (IG.hasImplicationFor, ["mental-health", "education", "workplace", "personal-development"]),
    (
        SKOS.related,
        [
            "attachment-theory",
            "oxytocin",
            "trust",
            "empathy",
            "social-connection",
            "self-disclosure",
            "active-listening",
            "mental-health",
            "resilience",
            "positive-psychology",
            "social-emotional-learning",
            "emotion-focused-therapy",
            "relationship-satisfaction",
        ],
    ),
    (IG.seeAlso, ["attachment", "emotional-bond", "closeness", "love"]),
]


@pytest.mark.parametrize(
    ("prop", "slugs"), SHORTCUTS, ids=[str(p).split("#")[-1] for p, _ in SHORTCUTS]
)
def test_shortcut_triples(g: Graph, prop: URIRef, slugs: list[str]) -> None:
    assert objects(g, EI, prop) == {C(s) for s in slugs}


@pytest.mark.parametrize(
    ("kind", "cls", "count"),
    [
        ("characteristic", IG.CharacteristicStatement, 5),
        ("type", IG.TypeStatement, 4),
        ("benefit", IG.BenefitStatement, 4),
        ("mechanism", IG.MechanismStatement, 8),
        ("implication", IG.ImplicationStatement, 8),
        ("evidence", IG.EvidenceStatement, 3),
    ],
)
def test_statement_counts(g: Graph, kind: str, cls: URIRef, count: int) -> None:
    nodes = set(g.subjects(RDF.type, cls))
    assert len(nodes) == count
    for node in nodes:
        assert str(node).startswith(str(IRIS.statement("emotional-intimacy", kind)) + "/")
        assert objects(g, node, IG.subject) == {EI}
        assert objects(g, node, PROV.wasDerivedFrom) == {NOTE}
        assert len(objects(g, node, IG.position)) == 1
        assert len(objects(g, node, IG.sourceLine)) == 1
        assert len(objects(g, node, RDFS.label)) == 1


def test_characteristic_statement_in_full(g: Graph) -> None:
    node = stmt("characteristic", "trust")
    assert objects(g, node, RDF.type) == {IG.CharacteristicStatement}
    assert objects(g, node, IG.object) == {C("trust")}
    assert objects(g, node, RDFS.label) == {Literal("Trust")}
    assert objects(g, node, IG.description) == {
        Literal("Confidence in the reliability and integrity of the other person.", lang="en")
    }
    assert objects(g, node, IG.position) == {Literal(1)}
    assert objects(g, node, IG.sourceLine) == {Literal(15)}
    assert (node, IG.labelIsLink, None) not in g


def test_empathy_plays_two_roles_with_two_descriptions(g: Graph) -> None:
    as_characteristic = stmt("characteristic", "empathy")
    as_mechanism = stmt("mechanism", "empathy")
    d1 = objects(g, as_characteristic, IG.description)
    d2 = objects(g, as_mechanism, IG.description)
    assert d1 and d2 and d1 != d2
    assert objects(g, as_mechanism, IG.group) == {C("behavioral-processes")}


def test_link_labels(g: Graph) -> None:
    node = stmt("benefit", "psychological-well-being")
    assert objects(g, node, IG.labelIsLink) == {Literal(True)}
    assert objects(g, node, RDFS.label) == {Literal("Psychological Well-Being")}
    assert str(next(iter(objects(g, node, IG.description)))).startswith(
        "Emotional intimacy enhances mental health"
    )
    assert objects(g, stmt("mechanism", "attachment-theory"), IG.labelIsLink) == {Literal(True)}


@pytest.mark.parametrize(
    ("leaf", "group", "position"),
    [
        ("oxytocin", "neurochemical-processes", 1),
        ("endorphins", "neurochemical-processes", 2),
        ("self-disclosure", "behavioral-processes", 1),
        ("active-listening", "behavioral-processes", 2),
        ("empathy", "behavioral-processes", 3),
    ],
)
def test_mechanism_groups(g: Graph, leaf: str, group: str, position: int) -> None:
    node = stmt("mechanism", leaf)
    assert objects(g, node, IG.group) == {C(group)}
    assert objects(g, node, IG.position) == {Literal(position)}


def test_numbered_mechanisms_are_statements_too(g: Graph) -> None:
    for slug, position in [
        ("attachment-theory", 1),
        ("neurochemical-processes", 2),
        ("behavioral-processes", 3),
    ]:
        node = stmt("mechanism", slug)
        assert objects(g, node, IG.position) == {Literal(position)}
        assert (node, IG.group, None) not in g


@pytest.mark.parametrize(
    ("domain", "item", "position"),
    [
        ("mental-health", "therapeutic-approaches", 1),
        ("mental-health", "self-help", 2),
        ("education", "teaching-practices", 1),
        ("education", "student-programs", 2),
        ("workplace", "employee-well-being", 1),
        ("workplace", "team-dynamics", 2),
        ("personal-development", "daily-practices", 1),
        ("personal-development", "life-satisfaction", 2),
    ],
)
def test_implications(g: Graph, domain: str, item: str, position: int) -> None:
    node = stmt("implication", domain, item)
    assert objects(g, node, RDF.type) == {IG.ImplicationStatement}
    assert objects(g, node, IG.domain) == {C(domain)}
    assert objects(g, node, IG.position) == {Literal(position)}
    assert (node, IG.object, None) not in g


STUDIES = [
    (
        "reis-1988",
        "Reis and Shaver (1988)",
        {"Reis", "Shaver"},
        "1988",
        "Explored the role of intimacy in close relationships.",
        "Identified that intimacy is a key component of closeness",
    ),
    (
        "laurenceau-1998",
        "Laurenceau, Barrett, and Pietromonaco (1998)",
        {"Laurenceau", "Barrett", "Pietromonaco"},
        "1998",
        "Investigated the processes underlying intimacy in daily interactions.",
        "Found that self-disclosure and perceived partner responsiveness",
    ),
    (
        "aron-1997",
        "Aron et al. (1997)",
        {"Aron"},
        "1997",
        'Developed the "36 Questions" method to create closeness between strangers.',
        "Demonstrated that mutual self-disclosure",
    ),
]


@pytest.mark.parametrize(("slug", "label", "authors", "year", "summary", "finding"), STUDIES)
def test_studies(
    g: Graph,
    registry: Graph,
    slug: str,
    label: str,
    authors: set[str],
    year: str,
    summary: str,
    finding: str,
) -> None:
    work = IRIS.work(slug)
    assert (NOTE, CITO.citesAsEvidence, work) in g
    node = stmt("evidence", slug)
    assert objects(g, node, IG.work) == {work}
    assert objects(g, node, IG.studySummary) == {Literal(summary, lang="en")}
    assert str(next(iter(objects(g, node, IG.finding)))).startswith(finding)
    assert {IG.Work, IG.Study} <= objects(registry, work, RDF.type)
    assert objects(registry, work, RDFS.label) == {Literal(label)}
    assert {str(a) for a in objects(registry, work, IG.authorFamilyName)} == authors
    assert objects(registry, work, FABIO.hasPublicationYear) == {Literal(year, datatype=XSD.gYear)}


def test_registry_one_record_per_concept(registry: Graph) -> None:
    concepts = set(registry.subjects(RDF.type, IG.Concept))
    assert C("emotional-intimacy") in concepts and C("closeness") in concepts
    for concept in concepts:
        labels = objects(registry, concept, SKOS.prefLabel)
        assert len(labels) == 1
        assert objects(registry, concept, SKOS.inScheme) == {IRIS.scheme}
        assert objects(registry, concept, RDFS.label) == labels
    assert objects(registry, C("emotional-intimacy"), SKOS.prefLabel) == {
        Literal("Emotional Intimacy", lang="en")
    }
    assert objects(registry, C("closeness"), SKOS.prefLabel) == {Literal("closeness", lang="en")}
    assert (IRIS.scheme, RDF.type, SKOS.ConceptScheme) in registry
    # implication items and studies are not concepts
    assert C("teaching-practices") not in concepts
    assert C("aron-1997") not in concepts


def test_registry_spelling_rules() -> None:
    """Describing note's spelling wins; else first seen in notes sorted by slug."""
    from intimacy_graph.notes import parse_note

    now = datetime(2026, 1, 1, tzinfo=UTC)
    a = parse_note("**Alpha** is a thing.\n\n### Related Concepts\n- [[closeness]]\n", "a.md")
    b = parse_note(
        "**Beta** is a thing.\n\n### Related Concepts\n- [[Closeness]]\n- [[alpha]]\n", "b.md"
    )
    compiled = [encode_note(n, IRIS, run=RUN, modified=now) for n in (b, a)]
    reg = build_registry(compiled, IRIS)
    assert objects(reg, C("closeness"), SKOS.prefLabel) == {Literal("closeness", lang="en")}
    assert objects(reg, C("closeness"), SKOS.altLabel) == {Literal("Closeness", lang="en")}
    assert objects(reg, C("alpha"), SKOS.prefLabel) == {Literal("Alpha", lang="en")}
    assert objects(reg, C("alpha"), SKOS.altLabel) == {Literal("alpha", lang="en")}


def test_in_text_citations_are_cites_for_information() -> None:
    from intimacy_graph.notes import parse_note

    note = parse_note(
        "**Intimacy** grows by self-disclosure, as Altman and Taylor (1973) argued.\n\n"
        "#### Key Aspects\n\n1. **Definition**:\n   Closeness (Collins et al., 1994).\n",
        "i.md",
    )
    c = encode_note(note, IRIS, run=RUN, modified=datetime(2026, 1, 1, tzinfo=UTC))
    reg = build_registry([c], IRIS)
    doc = IRIS.note("intimacy")
    assert objects(c.graph, doc, CITO.citesForInformation) == {
        IRIS.work("altman-1973"),
        IRIS.work("collins-1994"),
    }
    assert (IRIS.work("altman-1973"), RDF.type, IG.Work) in reg
    assert (IRIS.work("altman-1973"), RDF.type, IG.Study) not in reg


def test_unknown_section_kept_as_section() -> None:
    from intimacy_graph.notes import parse_note

    note = parse_note(
        "**Grief** is a response to loss.\n\n#### History\n\nFreud wrote on [[Mourning]].\n",
        "grief.md",
    )
    c = encode_note(note, IRIS, run=RUN, modified=datetime(2026, 1, 1, tzinfo=UTC))
    (section,) = objects(c.graph, IRIS.note("grief"), IG.hasSection)
    assert (section, RDF.type, IG.Section) in c.graph
    assert objects(c.graph, section, DCTERMS.title) == {Literal("History")}
    assert "Freud wrote on [[Mourning]]." in str(next(iter(objects(c.graph, section, IG.text))))
    assert objects(c.graph, section, IG.mentions) == {C("mourning")}


def test_literals_are_plain_text(g: Graph) -> None:
    for _, _, o in g:
        if isinstance(o, Literal) and o.datatype is None and not isinstance(o.value, bool):
            text = str(o)
            if text.startswith("see also:"):
                continue  # ig:markdown keeps the source as written
            assert "**" not in text and "[[" not in text, text
