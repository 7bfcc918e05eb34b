"""The search index follows writes incrementally: after any sequence of note writes and
deprecations, the index the service updated concept by concept answers exactly like one
rebuilt from the store — and it was updated, not rebuilt."""

from __future__ import annotations

import asyncio
import random
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from intimacy_graph import service as service_module
from intimacy_graph.config import Settings
from intimacy_graph.keys import ApiKey, Role
from intimacy_graph.search import ROLE_CLASSES, ConceptIndex, fold, words
from intimacy_graph.service import Service, release_free_memory
from intimacy_graph.store import OxigraphStore

KEY = ApiKey(id="k-test", role=Role.EDITOR, name="test", created="2026-01-01", sha256="-")
NAMES = [
    "Trust",
    "Vulnerability",
    "Empathy",
    "Secure Base",
    "Emotional Safety",
    "Mutual Trust",
    "Trust Repair",
    "Attachment Anxiety",
    "Compassion",
    "Kindness",
    "Self Disclosure",
    "Responsiveness",
    "Closeness",
    "Shared Meaning",
    "Care Seeking",
]
FILLER = [
    "open",
    "honest",
    "warm",
    "reliable",
    "playful",
    "calm",
    "steady",
    "gentle",
    "brave",
    "curious",
    "patient",
]


def note(rng: random.Random, title: str) -> str:
    """A note in the seed's format about ``title``, linking to a random handful of NAMES."""
    others = [n for n in NAMES if n != title]
    chars = rng.sample(others, rng.randint(1, 3))
    benefit, related = rng.choice(others), rng.sample(others, rng.randint(1, 2))

    def text(k: int) -> str:
        return " ".join(rng.choice(FILLER) for _ in range(k))

    def link(name: str) -> str:  # sometimes another spelling: an alternative label
        return f"[[{name}|{name.lower()}]]" if rng.random() < 0.3 else f"[[{name}]]"

    lines = [
        f"**{title}** is {text(4)}.",
        "",
        "#### Key Aspects",
        "",
        "1. **Definition**:",
        f"   {title} is {text(rng.randint(3, 8))}.",
        "",
        "2. **Characteristics**:",
        *[f"   - **{link(c)}**: {text(3)}." for c in chars],
        "",
        "#### Benefits",
        "",
        f"1. **{link(benefit)}**:",
        f"   - People feel {text(2)}.",
        "",
        "### Related Concepts",
        "",
        *[f"- {link(r)}" for r in related],
        "",
    ]
    return "\n".join(lines)


def rdf_entry(rng: random.Random) -> str:
    """A Turtle entry describing a concept with a definition, scope note and relations."""
    words_ = " ".join(rng.choice(FILLER) for _ in range(4))
    return f"""@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix ig: <https://w3id.org/intimacy-graph/ontology#> .
@prefix concept: <https://w3id.org/intimacy-graph/concept/> .
concept:tenderness skos:prefLabel "Tenderness"@en ;
  skos:definition "Gentle and {words_} care for another person."@en ;
  skos:scopeNote "Tenderness shows in small acts."@en ;
  ig:hasCharacteristic concept:empathy, concept:kindness ;
  skos:related concept:trust .
concept:kindness skos:prefLabel "Kindness"@en .
"""


@pytest.fixture
def service(tmp_path: Path, seed_build: tuple[OxigraphStore, object]) -> Iterator[Service]:
    """A service (no SPARQL workers) over a private copy of the built seed store."""
    copy = tmp_path / "store"
    seed_build[0].raw.backup(str(copy))
    svc = Service(Settings(store_path=copy, data_dir=tmp_path, query_workers=1))
    svc.open()
    deadline = time.monotonic() + 120
    while svc.index is None and time.monotonic() < deadline:  # the start-up build, bounded
        time.sleep(0.02)
    assert svc.index is not None
    yield svc
    asyncio.run(svc.close())
    shutil.rmtree(copy, ignore_errors=True)


def probes(index: ConceptIndex) -> list[str]:
    """Queries that reach every tier: whole labels, prefixes, label and text words."""
    out = ["", "t", "tr", "e", "zzz", "trust", "TRUST repair", "ÉMPATHY"]
    for slug in index.sorted_slugs:
        entry = index.entries[slug]
        for label in (entry.pref, *entry.alts):
            out += [label, label[:2], fold(label)[:5], *sorted(words(label))]
        out += sorted(entry.text_words)[:3]
    return sorted(set(out))


def assert_same(updated: ConceptIndex, rebuilt: ConceptIndex) -> None:
    assert len(updated) == len(rebuilt)
    assert updated.sorted_slugs == rebuilt.sorted_slugs
    assert {i: updated.labels[i] for i in updated.labels} == {
        i: rebuilt.labels[i] for i in rebuilt.labels
    }
    for slug in rebuilt.sorted_slugs:
        assert updated.entries[slug] == rebuilt.entries[slug], slug
    for q in probes(rebuilt):
        for role in (None, *ROLE_CLASSES):
            got = [(h.entry.slug, h.rank, h.matched) for h in updated.search(q, role=role)]
            want = [(h.entry.slug, h.rank, h.matched) for h in rebuilt.search(q, role=role)]
            assert got == want, (q, role)
        assert [(e.slug, label) for e, label in updated.suggest(q)] == [
            (e.slug, label) for e, label in rebuilt.suggest(q)
        ], q
        assert updated.did_you_mean(q) == rebuilt.did_you_mean(q), q
    for role in (None, *ROLE_CLASSES):
        for described in (None, True, False):
            for deprecated in (None, True, False):
                assert updated.select(
                    role=role, described=described, deprecated=deprecated
                ) == rebuilt.select(role=role, described=described, deprecated=deprecated)
    for note in ("emotional-intimacy", "trust", "no-such-note"):
        assert updated.select(note=note) == rebuilt.select(note=note)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_updated_index_answers_like_a_rebuilt_one(
    service: Service, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    rebuilds: list[int] = []
    rebuild = service._rebuild_index
    monkeypatch.setattr(
        service, "_rebuild_index", lambda reader, g: (rebuilds.append(g), rebuild(reader, g))
    )
    for step in range(10):
        if step % 4 == 3:
            known = service.index.sorted_slugs if service.index else []
            slug = rng.choice([s for s in known if s != "emotional-intimacy"])
            service.deprecate(slug, KEY)
        elif step == 5:  # an RDF entry: it becomes the note it stands for
            outcome = service.write_entry(rdf_entry(rng).encode(), "text/turtle", KEY)
            assert outcome.check.conforms, outcome.check.report
        else:
            title = rng.choice(NAMES)
            outcome = service.write_entry(note(rng, title).encode(), "text/markdown", KEY)
            assert outcome.check.conforms, outcome.check.report
        index = service.index
        assert index is not None and service.snapshot is not None
        assert index.generation == service.snapshot.generation
        if step % 3 == 2 or step == 9:
            assert_same(index, ConceptIndex.from_store(service.reader))
    assert rebuilds == [], "every write was applied to the index incrementally"


def test_unknown_changes_rebuild_the_index(service: Service) -> None:
    """A SPARQL Update says nothing of what it changed: the index is rebuilt from the store."""
    service.update(
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> INSERT DATA { GRAPH "
        "<https://w3id.org/intimacy-graph/graph/registry> { "
        '<https://w3id.org/intimacy-graph/concept/empathy> skos:altLabel "Fellow Feeling"@en '
        "} }",
        KEY,
    )
    index = service.index
    assert index is not None
    assert index.search("fellow feeling")[0].entry.slug == "empathy"
    assert_same(index, ConceptIndex.from_store(service.reader))


def test_an_update_leaves_the_old_index_as_it_was(seed_store: OxigraphStore) -> None:
    """Readers holding the previous index keep a consistent one while a write updates."""
    before = ConceptIndex.from_store(seed_store)
    answers = [(h.entry.slug, h.rank) for h in before.search("trust")]
    iris = [str(before.iri_of(s)) for s in before.sorted_slugs[:5]]
    after = before.updated(OxigraphStore(), iris, before.generation + 1)  # an empty store
    assert len(after) == len(before) - 5
    assert [(h.entry.slug, h.rank) for h in before.search("trust")] == answers
    assert before.sorted_slugs[:5] == [s for s in before.sorted_slugs[:5] if before.get(s)]
    assert all(after.get(s) is None for s in before.sorted_slugs[:5])


def test_memory_is_handed_back_without_error() -> None:
    release_free_memory()  # a no-op where the C library has no malloc_trim


def test_a_big_store_s_index_is_built_in_a_child_process(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the threshold the full build runs in a child process and gives the same index."""
    monkeypatch.setattr(service_module, "INDEX_IN_CHILD_MIN_GRAPHS", 1)
    children: list[int] = []
    in_child = service_module._index_in_child
    monkeypatch.setattr(
        service_module,
        "_index_in_child",
        lambda path, g, registry: (children.append(g), in_child(path, g, registry))[1],
    )
    service.update(
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> INSERT DATA { GRAPH "
        "<https://w3id.org/intimacy-graph/graph/registry> { "
        '<https://w3id.org/intimacy-graph/concept/trust> skos:altLabel "Faith in Others"@en '
        "} }",
        KEY,
    )
    assert service.snapshot is not None and children == [service.snapshot.generation]
    index = service.index
    assert index is not None and index.generation == service.snapshot.generation
    assert index.search("faith in others")[0].entry.slug == "trust"
    assert_same(index, ConceptIndex.from_store(service.reader))
