"""`build`: one transaction, idempotent, only changed notes rewritten, broken notes not loaded."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.compare import to_canonical_graph

from intimacy_graph.build import BuildResult, build
from intimacy_graph.namespaces import IG, Iris
from intimacy_graph.store import OxigraphStore

from .conftest import SEED

IRIS = Iris()

OTHER = """see also:
- [[Emotional Intimacy]]

**Loneliness** is the distressing feeling of being alone or separated from others.

#### Key Aspects

1. **Definition**:
   Loneliness is the gap between the social connection a person wants and has.

2. **Characteristics**:
   - **Perceived Isolation**: Feeling cut off from others.

### Related Concepts

- [[Social Connection]]
- [[Emotional Intimacy]]

Loneliness is common and treatable.
"""


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    (folder / "loneliness.md").write_text(OTHER, encoding="utf-8")
    return folder


@pytest.fixture
def store(tmp_path: Path) -> Iterator[OxigraphStore]:
    s = OxigraphStore(tmp_path / "store")
    yield s
    s.close()


def quads(store: OxigraphStore) -> set[str]:
    return {str(q) for q in store.raw}


def test_seed_build_summary(seed_build: tuple[OxigraphStore, BuildResult]) -> None:
    store, result = seed_build
    assert result.ok, result.report.to_dict()
    assert result.loaded == ["emotional-intimacy"]
    assert not [d for d in result.report.results if d.severity != "info"]
    assert result.qc == []
    graphs = set(store.named_graphs())
    for name in ("ontology", "registry", "inferred", "changes"):
        assert IRIS.graph(name) in graphs
    assert IRIS.note_graph("emotional-intimacy") in graphs
    assert result.stats["statements"] == 32
    assert result.stats["studies"] == 3
    # the rules take one schema step per pass: the first pass closes the seed, the second
    # confirms it (inference.MAX_ROUNDS caps them)
    assert result.inference_rounds == 2


def test_build_at_a_given_time_is_reproducible(notes: Path, tmp_path: Path) -> None:
    built_at = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    results = []
    for name in ("one", "two"):
        s = OxigraphStore(tmp_path / name)
        result = build(s, notes_dir=notes, now=built_at)
        graphs = {name: set(to_canonical_graph(s.graph(name))) for name in s.named_graphs()}
        results.append((result.run, graphs))
        s.close()
    assert results[0] == results[1]
    run = results[0][0]
    assert run is not None and run.split("/")[-1].startswith("20240501T120000")


def test_rebuild_is_idempotent(notes: Path, store: OxigraphStore) -> None:
    first = build(store, notes_dir=notes)
    assert sorted(first.loaded) == ["emotional-intimacy", "loneliness"]
    before = quads(store)
    second = build(store, notes_dir=notes)
    assert second.loaded == []
    assert sorted(second.unchanged) == ["emotional-intimacy", "loneliness"]
    assert quads(store) == before


def test_changed_note_replaces_only_its_graph(notes: Path, store: OxigraphStore) -> None:
    build(store, notes_dir=notes)
    seed_graph = {str(t) for t in store.graph(IRIS.note_graph("emotional-intimacy"))}
    text = OTHER.replace(
        "- **Perceived Isolation**: Feeling cut off from others.",
        "- **Social Pain**: Loneliness hurts like physical pain.",
    )
    (notes / "loneliness.md").write_text(text, encoding="utf-8")
    result = build(store, notes_dir=notes)
    assert result.loaded == ["loneliness"]
    assert {str(t) for t in store.graph(IRIS.note_graph("emotional-intimacy"))} == seed_graph
    lonely = store.graph(IRIS.note_graph("loneliness"))
    assert (IRIS.concept("loneliness"), IG.hasCharacteristic, IRIS.concept("social-pain")) in lonely
    assert (
        IRIS.concept("loneliness"),
        IG.hasCharacteristic,
        IRIS.concept("perceived-isolation"),
    ) not in lonely
    # the registry forgets a concept nobody mentions any more
    assert not store.ask(f"ASK {{ <{IRIS.concept('perceived-isolation')}> ?p ?o }}")


def test_note_with_errors_loads_nothing(notes: Path, store: OxigraphStore) -> None:
    (notes / "broken.md").write_text(
        "**Jealousy** is [[Envy.\n\n#### Key Aspects\n\n1. **Definition**:\n   A feeling.\n",
        encoding="utf-8",
    )
    result = build(store, notes_dir=notes)
    assert result.rejected == ["broken.md"]
    assert not result.ok
    assert any(
        d.code == "unclosed-wikilink" and d.file == "broken.md" and d.line == 1
        for d in result.report.results
    )
    assert IRIS.note_graph("jealousy") not in store.named_graphs()
    assert not store.ask(f"ASK {{ ?s ?p <{IRIS.concept('jealousy')}> }}")
    assert sorted(result.loaded) == ["emotional-intimacy", "loneliness"]


def test_broken_edit_keeps_previous_version(notes: Path, store: OxigraphStore) -> None:
    build(store, notes_dir=notes)
    before = {str(t) for t in store.graph(IRIS.note_graph("loneliness"))}
    (notes / "loneliness.md").write_text(OTHER + "\n- [[Unclosed\n", encoding="utf-8")
    result = build(store, notes_dir=notes)
    assert result.rejected == ["loneliness.md"]
    assert {str(t) for t in store.graph(IRIS.note_graph("loneliness"))} == before


def test_removed_note_is_pruned(notes: Path, store: OxigraphStore) -> None:
    build(store, notes_dir=notes)
    (notes / "loneliness.md").unlink()
    result = build(store, notes_dir=notes)
    assert result.removed == ["loneliness"]
    assert IRIS.note_graph("loneliness") not in store.named_graphs()
    assert not store.ask(f"ASK {{ <{IRIS.concept('perceived-isolation')}> ?p ?o }}")


SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV_NS = "http://www.w3.org/ns/prov#"


def test_two_notes_share_concepts_and_registry(notes: Path, store: OxigraphStore) -> None:
    build(store, notes_dir=notes)
    rows = store.select(
        f"SELECT ?g ?c ?label WHERE {{ GRAPH ?g {{ ?c <{SKOS}prefLabel> ?label }} }}",
        {"g": IRIS.registry_graph, "c": IRIS.concept("emotional-intimacy")},
    )
    assert [str(r["label"]) for r in rows] == ["Emotional Intimacy"]
    # inference crosses notes: loneliness is related to emotional intimacy and back
    assert store.ask(
        f"ASK {{ ?a <{SKOS}related> ?b }}",
        {"a": IRIS.concept("emotional-intimacy"), "b": IRIS.concept("loneliness")},
    )


def test_build_records_provenance(notes: Path, store: OxigraphStore) -> None:
    result = build(store, notes_dir=notes)
    run = URIRef(result.run or "")
    assert store.ask(
        f"ASK {{ GRAPH ?g {{ ?run a <{PROV_NS}Activity> }} }}",
        {"g": IRIS.changes_graph, "run": run},
    )
    assert store.ask(f"ASK {{ GRAPH ?g {{ ?n <{PROV_NS}wasGeneratedBy> ?run }} }}", {"run": run})
