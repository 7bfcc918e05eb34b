"""Competency questions a psychologist would ask of the seed, with their exact answers.

Each runs over a store built by the real `build` (on-disk Oxigraph, inference included).
"""

from __future__ import annotations

import pytest

from intimacy_graph.store import OxigraphStore

PREFIXES = """
PREFIX ig: <https://w3id.org/intimacy-graph/ontology#>
PREFIX concept: <https://w3id.org/intimacy-graph/concept/>
PREFIX graph: <https://w3id.org/intimacy-graph/graph/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX cito: <http://purl.org/spar/cito/>
PREFIX fabio: <http://purl.org/spar/fabio/>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""

QUESTIONS: list[tuple[str, str, set[tuple[str, ...]]]] = [
    (
        "characteristics of emotional intimacy",
        """SELECT ?label WHERE { concept:emotional-intimacy ig:hasCharacteristic ?c .
           ?c skos:prefLabel ?label }""",
        {("Trust",), ("Vulnerability",), ("Empathy",), ("Mutual Understanding",), ("Support",)},
    ),
    (
        "which mechanisms are neurochemical",
        """SELECT ?label WHERE { ?s a ig:MechanismStatement ;
             ig:group concept:neurochemical-processes ; ig:object/skos:prefLabel ?label }""",
        {("Oxytocin",), ("Endorphins",)},
    ),
    (
        "which study introduced the 36 Questions method, and when",
        """SELECT ?study ?year WHERE { ?s a ig:EvidenceStatement ; ig:studySummary ?summary ;
             ig:work ?w . ?w rdfs:label ?study ; fabio:hasPublicationYear ?y .
             FILTER(CONTAINS(?summary, "36 Questions")) BIND(STR(?y) AS ?year) }""",
        {("Aron et al. (1997)", "1997")},
    ),
    (
        "which concept is both a characteristic and a mechanism",
        """SELECT ?label WHERE { concept:emotional-intimacy ig:hasCharacteristic ?c ;
             ig:hasMechanism ?c . ?c skos:prefLabel ?label }""",
        {("Empathy",)},
    ),
    (
        "what the implications for education are",
        """SELECT ?item WHERE { ?s a ig:ImplicationStatement ; ig:domain concept:education ;
             rdfs:label ?item }""",
        {("Teaching Practices",), ("Student Programs",)},
    ),
    (
        "which concepts the note lists as related",
        """SELECT ?label WHERE {
             GRAPH <https://w3id.org/intimacy-graph/graph/note/emotional-intimacy> {
               concept:emotional-intimacy skos:related ?c } ?c skos:prefLabel ?label }""",
        {
            ("Attachment Theory",),
            ("Oxytocin",),
            ("Trust",),
            ("Empathy",),
            ("Social Connection",),
            ("Self-Disclosure",),
            ("Active Listening",),
            ("Mental Health",),
            ("Resilience",),
            ("Positive Psychology",),
            ("Social-Emotional Learning",),
            ("Emotion-Focused Therapy",),
            ("Relationship Satisfaction",),
        },
    ),
    (
        "what emotional intimacy is a type of / its narrower types (inference)",
        """SELECT ?label WHERE { ?t skos:broader concept:emotional-intimacy .
             ?t skos:prefLabel ?label }""",
        {
            ("Romantic Intimacy",),
            ("Familial Intimacy",),
            ("Friendship Intimacy",),
            ("Therapeutic Intimacy",),
        },
    ),
    (
        "what oxytocin is a mechanism of (inverse, inferred)",
        """SELECT ?label WHERE { concept:oxytocin ig:isMechanismOf ?c .
             ?c skos:prefLabel ?label }""",
        {("Emotional Intimacy",)},
    ),
    (
        "which studies were published before 1990",
        """SELECT ?study WHERE { ?w a ig:Study ; rdfs:label ?study ;
             fabio:hasPublicationYear ?y . FILTER(YEAR(?y) < 1990) }""",
        {("Reis and Shaver (1988)",)},
    ),
    (
        "which studies found a role for perceived partner responsiveness",
        """SELECT ?study WHERE { ?s ig:finding ?f ; ig:work/rdfs:label ?study .
             FILTER(CONTAINS(LCASE(?f), "responsiveness")) }""",
        {("Reis and Shaver (1988)",), ("Laurenceau, Barrett, and Pietromonaco (1998)",)},
    ),
    (
        "the implication domains of emotional intimacy",
        """SELECT ?label WHERE { concept:emotional-intimacy ig:hasImplicationFor ?d .
             ?d a ig:ImplicationDomain ; skos:prefLabel ?label }""",
        {("Mental Health",), ("Education",), ("Workplace",), ("Personal Development",)},
    ),
    (
        "which benefits the note names",
        """SELECT ?label WHERE { ?c a ig:Benefit ; skos:prefLabel ?label }""",
        {
            ("Psychological Well-Being",),
            ("Physical Health",),
            ("Resilience",),
            ("Relationship Satisfaction",),
        },
    ),
    (
        "the definition of emotional intimacy",
        """SELECT ?def WHERE { concept:emotional-intimacy skos:definition ?def }""",
        {
            (
                "Emotional intimacy is the ability to be open and vulnerable with another person, "
                "sharing personal experiences, thoughts, and feelings. It involves a high level of "
                "trust and mutual understanding, creating a safe space for emotional expression.",
            )
        },
    ),
    (
        "which concepts are related to trust in any way (union, symmetric)",
        """SELECT ?label WHERE { concept:trust skos:related ?c . ?c skos:prefLabel ?label }""",
        {("Emotional Intimacy",)},
    ),
    (
        "which works the note cites as evidence",
        """SELECT ?label WHERE { ?n cito:citesAsEvidence ?w . ?w rdfs:label ?label }""",
        {
            ("Reis and Shaver (1988)",),
            ("Laurenceau, Barrett, and Pietromonaco (1998)",),
            ("Aron et al. (1997)",),
        },
    ),
    (
        "see-also concepts of emotional intimacy, spelled as the registry prefers",
        """SELECT ?label WHERE { concept:emotional-intimacy ig:seeAlso ?c .
             ?c skos:prefLabel ?label }""",
        {("Attachment",), ("Emotional Bond",), ("closeness",), ("Love",)},
    ),
]


@pytest.mark.parametrize(
    ("question", "sparql", "expected"), QUESTIONS, ids=[q for q, _, _ in QUESTIONS]
)
def test_competency_question(
    seed_store: OxigraphStore, question: str, sparql: str, expected: set[tuple[str, ...]]
) -> None:
    rows = seed_store.select(PREFIXES + sparql)
    answers = {tuple(str(value) for value in row.values()) for row in rows}
    assert answers == expected, question
    assert len(rows) == len(expected), f"{question}: duplicate rows {rows}"


def test_every_concept_is_a_skos_concept(seed_store: OxigraphStore) -> None:
    assert not seed_store.ask(
        PREFIXES
        + """ASK { ?c a ig:Concept
        FILTER NOT EXISTS { ?c a skos:Concept } }"""
    )


def test_every_statement_is_a_statement(seed_store: OxigraphStore) -> None:
    rows = seed_store.select(
        PREFIXES + "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ig:Statement }"
    )
    assert int(str(rows[0]["n"])) == 5 + 4 + 4 + 8 + 8 + 3
