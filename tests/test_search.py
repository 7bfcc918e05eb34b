"""Search ranking is tested, not accidental: exact preferred label, exact alternative label,
label prefix, word match, then definition/description text; case- and accent-insensitive."""

from __future__ import annotations

import pytest

from intimacy_graph.search import ConceptIndex, Entry, fold, words


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
