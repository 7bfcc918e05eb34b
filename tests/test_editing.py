"""The write path on a real Oxigraph store: a write leaves the registry and the inferred graph
exactly as a full build would, and RDF entries become the notes they stand for."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rdflib import OWL, Graph, Literal

from intimacy_graph import build as building
from intimacy_graph import editing, history
from intimacy_graph.encode import build_registry, encode_note
from intimacy_graph.namespaces import DCTERMS, IG, SKOS, Iris
from intimacy_graph.notes.parse import parse_note
from intimacy_graph.store import OxigraphStore

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed"
ROOT = Path(__file__).resolve().parent.parent
IRIS = Iris()
KEY = "k-test"

TRUST = """**Trust** is a firm belief in the reliability of someone.

#### Key Aspects

1. **Definition**:
   Trust is the belief that another person is reliable and honest.

2. **Characteristics**:
   - **[[Vulnerability]]**: accepting risk.
   - **Reliability**: being consistent over time.

#### Benefits

1. **[[Psychological Well-Being]]**:
   - People who trust feel safer.

### Related Concepts

- [[Emotional Intimacy]]
- [[Attachment Theory]]
"""

ENTRY = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ig: <https://w3id.org/intimacy-graph/ontology#> .
@prefix concept: <https://w3id.org/intimacy-graph/concept/> .
concept:compassion skos:prefLabel "Compassion"@en ;
  skos:definition "Sympathetic concern for the suffering of others."@en ;
  skos:scopeNote "Compassion moves people to help."@en ;
  ig:hasCharacteristic concept:empathy, concept:kindness ;
  ig:hasMechanism concept:oxytocin ;
  skos:related concept:trust .
concept:kindness skos:prefLabel "Kindness"@en .
"""


@pytest.fixture
def store(tmp_path: Path, seed_build: tuple[OxigraphStore, object]) -> Iterator[OxigraphStore]:
    """A private copy of the built seed store (the session's stays untouched)."""
    seed_store = seed_build[0]
    copy = tmp_path / "store"
    seed_store.raw.backup(str(copy))
    opened = OxigraphStore(copy)
    yield opened
    opened.close()
    shutil.rmtree(copy, ignore_errors=True)


def write(
    store: OxigraphStore,
    data: str,
    media: str = "text/markdown",
    *,
    when: int = 0,
    slug: str | None = None,
) -> editing.WritePlan:
    now = datetime.now(UTC) + timedelta(days=1, seconds=when)
    check = editing.validate_entry(store, data.encode(), media, IRIS, slug=slug, now=now)
    assert check.conforms, [d.to_text() for d in check.report.results]
    plan = editing.plan_write(
        store,
        IRIS,
        check.notes,
        activity="test",
        key_id=KEY,
        now=now,
        ontology=store.graph(IRIS.ontology_graph),
    )
    editing.apply_plan(store, plan, IRIS)
    return plan


def full_registry(store: OxigraphStore) -> Graph:
    """The registry a full build would compute from every note in the store."""
    compiled = []
    for row in store.select(building.queries.load("list_stored_notes")):
        note = parse_note(str(row["markdown"]), str(row["source"]))
        compiled.append(encode_note(note, IRIS, run=IRIS.run("x"), modified=datetime.now(UTC)))
    return build_registry(compiled, IRIS)


def assert_like_a_full_build(store: OxigraphStore) -> None:
    registry = store.graph(IRIS.registry_graph)
    expected = full_registry(store)
    assert set(registry) == set(expected), (
        f"missing {sorted(set(expected) - set(registry))[:5]}, "
        f"extra {sorted(set(registry) - set(expected))[:5]}"
    )
    incremental = set(store.graph(IRIS.inferred_graph))
    building.reinfer(store, IRIS)
    rebuilt = set(store.graph(IRIS.inferred_graph))
    assert incremental == rebuilt, (
        f"missing {sorted(rebuilt - incremental)[:5]}, extra {sorted(incremental - rebuilt)[:5]}"
    )


def test_a_new_note_is_written_like_a_full_build(store: OxigraphStore) -> None:
    before = len(store)
    plan = write(store, TRUST, slug="trust")
    assert plan.created == ["trust"]
    assert "reliability" in plan.concepts_created
    assert "trust" in plan.concepts_modified  # a stub before, described now
    assert len(store) > before
    assert_like_a_full_build(store)


def test_rewriting_the_seed_note_drops_what_it_no_longer_says(store: OxigraphStore) -> None:
    seed = (SEED / "emotional-intimacy.md").read_text()
    start = seed.index("2. **Characteristics**")
    end = seed.index("3. **Types of Emotional Intimacy**")
    shorter = seed[:start] + seed[end:]
    plan = write(store, shorter, slug="emotional-intimacy")
    removed = {r["object"] for r in plan.diff()["relations_removed"]}
    assert str(IRIS.concept("vulnerability")) in removed
    assert plan.diff()["removed"] > 0
    # Vulnerability was only named by that list: its record goes, as a build would drop it.
    assert not store.ask("ASK { GRAPH ?g { ?c ?p ?o } }", {"c": IRIS.concept("vulnerability")}) or (
        IRIS.concept("vulnerability"),
        None,
        None,
    ) not in store.graph(IRIS.registry_graph)
    assert_like_a_full_build(store)


def test_a_sequence_of_writes_keeps_registry_and_inference_exact(store: OxigraphStore) -> None:
    write(store, TRUST, slug="trust", when=1)
    write(store, ENTRY, "text/turtle", when=2)
    # A second note spells a stub differently and links back: altLabels, inverse relations.
    write(
        store,
        TRUST.replace("[[Vulnerability]]", "[[vulnerability|being vulnerable]]").replace(
            "Reliability", "[[Compassion]]"
        ),
        slug="trust",
        when=3,
    )
    seed = (SEED / "emotional-intimacy.md").read_text()
    write(store, seed.replace("[[Trust]]", "[[trust]]"), slug="emotional-intimacy", when=4)
    assert_like_a_full_build(store)


def test_an_rdf_entry_becomes_the_note_it_stands_for(store: OxigraphStore) -> None:
    plan = write(store, ENTRY, "text/turtle")
    assert plan.slugs == ["compassion"]  # Kindness has only a label: a stub, not a note
    card = store.graph(IRIS.note_graph("compassion"))
    me = IRIS.concept("compassion")
    assert (
        me,
        SKOS.definition,
        Literal("Sympathetic concern for the suffering of others.", lang="en"),
    ) in card
    assert (me, SKOS.scopeNote, Literal("Compassion moves people to help.", lang="en")) in card
    assert (me, IG.hasCharacteristic, IRIS.concept("kindness")) in card
    assert (me, IG.hasMechanism, IRIS.concept("oxytocin")) in card
    assert (me, SKOS.related, IRIS.concept("trust")) in card
    registry = store.graph(IRIS.registry_graph)
    assert (IRIS.concept("kindness"), SKOS.prefLabel, Literal("Kindness", lang="en")) in registry
    markdown = str(card.value(IRIS.note("compassion"), IG.markdown))
    assert markdown.startswith("# Compassion")
    assert_like_a_full_build(store)


@pytest.mark.parametrize(
    ("turtle", "code"),
    [
        (
            '<http://example.org/x> <http://www.w3.org/2004/02/skos/core#prefLabel> "X" .',
            "foreign-subject",
        ),
        ('_:b <http://www.w3.org/2004/02/skos/core#prefLabel> "X" .', "foreign-subject"),
        ('concept:x skos:prefLabel "Y"@en ; skos:definition "d"@en .', "slug-mismatch"),
        ('concept:x skos:definition "d"@en .', "entry-pref-label"),
        (
            'concept:x skos:prefLabel "X"@en ; skos:definition "d"@en ; '
            "skos:related concept:no-such-thing .",
            "unknown-concept",
        ),
        (
            'concept:x skos:prefLabel "X"@en ; skos:definition "d"@en ; '
            '<http://example.org/p> "v" .',
            "unsupported-property",
        ),
        ('concept:x skos:prefLabel "X"@en ; skos:related concept:trust .', "entry-definition"),
        (
            'concept:x skos:prefLabel "X"@en ; skos:definition "d"@en ; '
            "skos:related <http://example.org/y> .",
            "entry-object",
        ),
    ],
)
def test_rdf_entries_that_do_not_fit_are_reported(
    seed_store: OxigraphStore, turtle: str, code: str
) -> None:
    prologue = (
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix concept: <https://w3id.org/intimacy-graph/concept/> .\n"
    )
    check = editing.validate_entry(seed_store, (prologue + turtle).encode(), "text/turtle", IRIS)
    assert not check.conforms
    assert code in {d.code for d in check.report.results}
    assert check.notes == []


def test_validation_in_context_uses_the_store_s_records(seed_store: OxigraphStore) -> None:
    check = editing.validate_entry(seed_store, TRUST.encode(), "text/markdown", IRIS)
    assert check.conforms
    # the report is the same whatever else the store holds: only the linked records count
    records = editing.RegistryContext(seed_store, IRIS).records_now(check.notes[0])
    assert (
        IRIS.concept("emotional-intimacy"),
        SKOS.prefLabel,
        Literal("Emotional Intimacy", lang="en"),
    ) in records
    mismatch = editing.validate_entry(
        seed_store, TRUST.encode(), "text/markdown", IRIS, slug="love"
    )
    assert [d.code for d in mismatch.report.results] == ["slug-mismatch"]


def test_versions_are_kept_and_numbered(store: OxigraphStore) -> None:
    write(store, TRUST, slug="trust", when=1)
    write(store, TRUST.replace("being consistent", "steady"), slug="trust", when=2)
    versions = history.note_versions(store, IRIS, "trust")
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].markdown == TRUST and versions[1].current
    seed_versions = history.note_versions(store, IRIS, "emotional-intimacy")
    assert len(seed_versions) == 1 and seed_versions[0].current
    total, items = history.changes(store, IRIS, since=None, limit=10, offset=0)
    assert total >= 3  # the build and two writes
    assert items[0]["notes"] == ["trust"] and items[0]["key"] == KEY
    assert items[0]["added"] == items[0]["removed"] > 0


def test_deprecation_is_recorded_in_curated_and_inferred_stays_exact(
    store: OxigraphStore,
) -> None:
    now = datetime.now(UTC) + timedelta(days=2)
    plan = editing.plan_deprecation(
        store,
        IRIS,
        "love",
        "emotional-intimacy",
        key_id=KEY,
        now=now,
        ontology=store.graph(IRIS.ontology_graph),
    )
    editing.apply_deprecation(store, plan, IRIS)
    curated = store.graph(IRIS.curated_graph)
    assert (IRIS.concept("love"), OWL.deprecated, Literal(True)) in curated
    assert (
        IRIS.concept("love"),
        DCTERMS.isReplacedBy,
        IRIS.concept("emotional-intimacy"),
    ) in curated
    events = history.concept_history(store, IRIS, "love")
    assert any(e["activity"] == "deprecate" for e in events)
    assert_like_a_full_build(store)


def _note(title: str, spelling: str, study: bool, extra: str = "") -> str:
    evidence = (
        "#### Experimental Evidence\n\n1. **Smith et al. (2001)**:\n"
        "   - **Study**: People were asked.\n   - **Findings**: They answered.\n\n"
        if study
        else ""
    )
    return (
        f"**{title}** is a test concept.\n\n#### Key Aspects\n\n1. **Definition**:\n"
        f"   {title} is defined here, after Smith et al. (2001).\n\n"
        f"2. **Characteristics**:\n   - **[[{spelling}]]**: shared by several notes.{extra}\n\n"
        f"{evidence}### Related Concepts\n\n- [[Trust]]\n"
    )


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0)])
def test_spellings_and_citations_shared_by_notes_stay_exact(
    store: OxigraphStore, order: tuple[int, int, int]
) -> None:
    """Notes that spell one stub differently and cite one work, written in different orders,
    then rewritten to drop a spelling: the registry always equals a full build's."""
    notes = [
        ("alpha-note", _note("Alpha Note", "Shared Thing", False)),
        ("middle-note", _note("Middle Note", "shared thing", True)),
        ("zeta-note", _note("Zeta Note", "SHARED thing", False)),
    ]
    for when, i in enumerate(order):
        write(store, notes[i][1], slug=notes[i][0], when=when)
        assert_like_a_full_build(store)
    # the first writer drops the shared concept and the citation; the study stays a study
    write(store, _note("Alpha Note", "Other Thing", False), slug="alpha-note", when=10)
    assert_like_a_full_build(store)
    write(store, _note("Middle Note", "Other Thing", False), slug="middle-note", when=11)
    assert_like_a_full_build(store)
    # the stub gets a note of its own: its title becomes the preferred label
    write(store, _note("Shared Thing", "Trust", False), slug="shared-thing", when=12)
    assert_like_a_full_build(store)
