"""Search ranking is tested, not accidental: exact preferred label, exact alternative label,
label prefix, word match, then definition/description text; case- and accent-insensitive."""

from __future__ import annotations

import random

import pytest

from intimacy_graph.search import ROLE_CLASSES, ConceptIndex, Entry, fold, words


def entry(
    slug: str, pref: str, alts: tuple[str, ...] = (), text: str = "", roles: tuple[str, ...] = ()
) -> Entry:
    return Entry(
        iri=f"urn:c:{slug}",
        slug=slug,
        pref=pref,
        alts=list(alts),
        definition=text or None,
        roles=set(roles),
        text_words=words(text),
    )


@pytest.fixture
def index() -> ConceptIndex:
    return ConceptIndex(
        [
            entry("trust", "Trust", roles=("characteristic",)),
            entry("trustworthiness", "Trustworthiness"),
            entry("mutual-trust", "Mutual Trust"),
            entry("confidence", "Confidence", alts=("Trust",)),
            entry("faith", "Faith", text="A kind of trust in the unseen."),
            entry("emotion-focused-therapy", "Émotion-Focused Therapy", alts=("EFT",)),
            entry("empathy", "Empathy", roles=("characteristic", "mechanism")),
        ]
    )


def test_tiers_in_order(index: ConceptIndex) -> None:
    hits = index.search("trust")
    assert [(h.entry.slug, h.match) for h in hits] == [
        ("trust", "exact-preferred-label"),
        ("confidence", "exact-alternative-label"),
        ("trustworthiness", "label-prefix"),
        ("mutual-trust", "label-words"),
        ("faith", "text"),
    ]


def test_case_and_accent_insensitive(index: ConceptIndex) -> None:
    assert index.search("TRUST")[0].entry.slug == "trust"
    assert index.search("emotion-focused therapy")[0].entry.slug == "emotion-focused-therapy"
    assert index.search("EMOTION")[0].match == "label-prefix"
    assert index.search("eft")[0].match == "exact-alternative-label"


def test_role_filter(index: ConceptIndex) -> None:
    assert [h.entry.slug for h in index.search("e", role="mechanism")] == ["empathy"]
    assert index.search("trust", role="mechanism") == []


def test_suggest_prefix_shortest_first(index: ConceptIndex) -> None:
    assert [e.slug for e, _ in index.suggest("tru")] == ["trust", "confidence", "trustworthiness"]
    assert [label for _, label in index.suggest("tru")] == ["Trust", "Trust", "Trustworthiness"]
    assert [e.slug for e, _ in index.suggest("tru", limit=1)] == ["trust"]
    assert index.suggest("") == []
    # accents fold away; the 3-letter alternative label "EFT" is the shortest match
    assert [e.slug for e, _ in index.suggest("é")][:2] == ["emotion-focused-therapy", "empathy"]


@pytest.mark.parametrize("q", ['"', "{", "}", "#", "'; DROP", "\\", "?x", "a\u202eb", "\u200b"])
def test_hostile_queries_are_just_text(index: ConceptIndex, q: str) -> None:
    index.search(q)
    index.suggest(q)
    index.did_you_mean(q)


def test_fold() -> None:
    assert fold("  Émotion\tFOCUSED ") == "emotion focused"
    assert fold("e\u0301") == fold("\u00e9") == "e"


def test_select_filters_like_the_entries_do(index: ConceptIndex) -> None:
    """``select`` answers the listing filters without making an Entry per concept."""
    for role in (None, "characteristic", "mechanism", "no-such-role"):
        for described in (None, True, False):
            for deprecated in (None, True, False):
                expected = [
                    s
                    for s in index.sorted_slugs
                    if (role is None or role in index.entries[s].roles)
                    and (described is None or index.entries[s].described == described)
                    and (deprecated is None or index.entries[s].deprecated == deprecated)
                ]
                got = index.select(role=role, described=described, deprecated=deprecated)
                assert got == expected, (role, described, deprecated)


def test_entries_labels_and_lookups(index: ConceptIndex) -> None:
    assert len(index) == len(index.entries) == len(index.labels) == 7
    assert index.labels["urn:c:trust"] == "Trust" and "urn:c:nope" not in index.labels
    assert index.labels.get("urn:c:nope", "x") == "x"
    assert str(index.iri_of("faith")) == "urn:c:faith" and index.iri_of("nope") is None
    faith = index.get("faith")
    assert faith is not None and faith.definition == "A kind of trust in the unseen."
    assert faith.text_words == words("A kind of trust in the unseen.")
    assert index.entries["confidence"].alts == ("Trust",)
    assert index.sorted_slugs[:2] == ["confidence", "emotion-focused-therapy"]


@pytest.fixture(scope="module")
def big_index() -> tuple[ConceptIndex, list[Entry]]:
    """3,000 concepts over a 40-word vocabulary: prefixes that start thousands of labels,
    long postings, every tier populated."""
    rng = random.Random(11)
    vocab = [f"{a}{b}" for a in ("ab", "ac", "ad", "ba", "be") for b in "aeioustx"]
    roles = list(ROLE_CLASSES)
    entries = []
    for i in range(3_000):
        label = " ".join(rng.sample(vocab, rng.randint(1, 3))).title()
        alts = tuple(" ".join(rng.sample(vocab, 2)) for _ in range(rng.randint(0, 2)))
        text = " ".join(rng.choices(vocab, k=6))
        entries.append(entry(f"c{i}", label, alts, text, tuple(rng.sample(roles, 1))))
    return ConceptIndex(entries), entries


def _reference_ranks(entries: list[Entry], q: str, role: str | None) -> dict[str, int]:
    """Each matching concept's tier, computed the slow, obvious way."""
    folded, q_words = fold(q), words(q)
    ranks: dict[str, int] = {}
    for e in entries:
        if role is not None and role not in e.roles:
            continue
        labels = [(0, e.pref)] + [(1, a) for a in e.alts]
        tiers = [slot for slot, label in labels if fold(label) == folded]
        tiers += [2 for _, label in labels if fold(label).startswith(folded)]
        label_words = set().union(*(words(label) for _, label in labels))
        if q_words and q_words <= label_words:
            tiers.append(3)
        if q_words and q_words <= e.text_words:
            tiers.append(4)
        if tiers:
            ranks[e.slug] = min(tiers)
    return ranks


def test_search_takes_only_the_tiers_it_needs(big_index: tuple[ConceptIndex, list[Entry]]) -> None:
    index, entries = big_index
    rng = random.Random(5)
    queries = ["ab", "aba", "ba be", "Abi Bet", "act", "adu", "bex", "zz", "ab ac", "beu bax"]
    queries += [e.pref.lower()[: rng.randint(2, 9)] for e in rng.sample(entries, 30)]
    for q in queries:
        for role in (None, "mechanism"):
            everything = index.search(q, role=role, limit=100_000)
            assert {h.entry.slug: h.rank for h in everything} == _reference_ranks(entries, q, role)
            for limit in (1, 5, 20):
                assert index.search(q, role=role, limit=limit) == everything[:limit], (q, limit)


def test_suggestions_for_big_prefixes_are_the_shortest_labels(
    big_index: tuple[ConceptIndex, list[Entry]],
) -> None:
    index, entries = big_index
    for q in ("a", "ab", "b", "ba", "bet", "Ab"):
        first = [(e.slug, label) for e, label in index.suggest(q)]
        everything = sorted(
            (len(fold(label)), slot > 0, fold(label), e.slug, label)
            for e in entries
            for slot, label in enumerate([e.pref, *e.alts])
            if fold(label).startswith(fold(q))
        )
        expected: dict[str, str] = {}
        for *_, slug, label in everything:
            expected.setdefault(slug, label)
        assert first == list(expected.items())[:10]
