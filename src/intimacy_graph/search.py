"""An in-memory label index: search and suggest without scanning the store.

Built from the read snapshot each time one is published (so it follows every write).  Ranking,
best first: exact preferred label, exact alternative label, label prefix, every query word in a
label, every query word in the definition, scope note or descriptions.  Matching ignores case
and accents (NFKD, combining marks dropped, case-folded).
"""

from __future__ import annotations

import bisect
import difflib
import itertools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import URIRef

from intimacy_graph import queries
from intimacy_graph.namespaces import IG
from intimacy_graph.store.base import Store

_WORD = re.compile(r"\w+")

ROLE_CLASSES = {
    "characteristic": IG.Characteristic,
    "benefit": IG.Benefit,
    "mechanism": IG.Mechanism,
    "implication-domain": IG.ImplicationDomain,
    "type": IG.TypeStatement,  # a concept that is a type of another (ig:isTypeOf)
}
ROLE_OF_CLASS = {str(v): k for k, v in ROLE_CLASSES.items()}

EXACT_PREF, EXACT_ALT, PREFIX, WORDS, TEXT = range(5)
MATCH_NAMES = (
    "exact-preferred-label",
    "exact-alternative-label",
    "label-prefix",
    "label-words",
    "text",
)


def fold(text: str) -> str:
    """Case- and accent-insensitive form: ``fold("Émotion  Focused") == "emotion focused"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def words(text: str) -> set[str]:
    return set(_WORD.findall(fold(text)))


@dataclass
class Entry:
    """What the index knows of one concept."""

    iri: str
    slug: str
    pref: str = ""
    alts: list[str] = field(default_factory=list)
    definition: str | None = None
    described_by: set[str] = field(default_factory=set)
    notes: set[str] = field(default_factory=set)  # notes that describe or link to it
    roles: set[str] = field(default_factory=set)
    deprecated: bool = False
    text_words: set[str] = field(default_factory=set)

    @property
    def described(self) -> bool:
        return bool(self.described_by)


@dataclass(frozen=True)
class Hit:
    entry: Entry
    rank: int
    matched: str

    @property
    def match(self) -> str:
        return MATCH_NAMES[self.rank]


class ConceptIndex:
    """Labels, texts, roles and note membership of every concept."""

    def __init__(self, entries: Iterable[Entry], generation: int = 0) -> None:
        self.generation = generation
        self.entries: dict[str, Entry] = {e.slug: e for e in entries}
        # (folded label, is alternative, slug, label), sorted for prefix search
        self._labels: list[tuple[str, int, str, str]] = []
        self._exact: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
        self._label_words: dict[str, set[str]] = defaultdict(set)
        self._text_words: dict[str, set[str]] = defaultdict(set)
        for entry in self.entries.values():
            for kind, label in [(EXACT_PREF, entry.pref)] + [(EXACT_ALT, a) for a in entry.alts]:
                if not label:
                    continue
                folded = fold(label)
                self._labels.append((folded, int(kind == EXACT_ALT), entry.slug, label))
                self._exact[folded].append((kind, entry.slug, label))
                for word in words(label):
                    self._label_words[word].add(entry.slug)
            for word in entry.text_words:
                self._text_words[word].add(entry.slug)
        self._labels.sort()
        self.labels: dict[str, str] = {e.iri: e.pref or e.slug for e in self.entries.values()}
        self.sorted_slugs = sorted(self.entries, key=lambda s: (fold(self.entries[s].pref), s))

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def from_store(cls, store: Store, generation: int = 0) -> ConceptIndex:
        entries: dict[str, Entry] = {}

        def entry(iri: str) -> Entry:
            if iri not in entries:
                entries[iri] = Entry(iri=iri, slug=iri.rsplit("/", 1)[-1])
            return entries[iri]

        for row in store.select(queries.load("list_index_labels")):
            e = entry(str(row["concept"]))
            label = str(row["label"])
            if str(row["kind"]) == "pref":
                e.pref = label
            elif label not in e.alts:
                e.alts.append(label)
        for row in store.select(queries.load("list_index_texts")):
            iri = str(row["concept"])
            if iri not in entries:
                continue
            e = entries[iri]
            name, value = str(row["field"]), str(row["value"])
            if name == "definition":
                e.definition = value
                e.text_words |= words(value)
            elif name in ("scope", "description"):
                e.text_words |= words(value)
            elif name == "describedBy":
                e.described_by.add(value)
                e.notes.add(value.rsplit("/", 1)[-1])
            elif name == "linkedFrom":
                e.notes.add(value.rsplit("/", 1)[-1])
            elif name == "role" and value in ROLE_OF_CLASS:
                e.roles.add(ROLE_OF_CLASS[value])
            elif name == "deprecated":
                e.deprecated = True
        return cls(entries.values(), generation)

    def get(self, slug: str) -> Entry | None:
        return self.entries.get(slug)

    def iri_of(self, slug: str) -> URIRef | None:
        entry = self.entries.get(slug)
        return URIRef(entry.iri) if entry else None

    def _prefixed(self, folded: str) -> Iterable[tuple[str, int, str, str]]:
        start = bisect.bisect_left(self._labels, (folded, 0, "", ""))
        for item in self._labels[start:]:
            if not item[0].startswith(folded):
                break
            yield item

    def suggest(self, q: str, limit: int = 10) -> list[tuple[Entry, str]]:
        """Labels starting with ``q`` (preferred and alternative), shortest first."""
        folded = fold(q)
        if not folded:
            return []
        found: dict[str, tuple[Entry, str]] = {}
        candidates = sorted(self._prefixed(folded), key=lambda t: (len(t[0]), t[1], t[0], t[2]))
        for _, _, slug, label in candidates:
            if slug not in found:
                found[slug] = (self.entries[slug], label)
                if len(found) >= limit:
                    break
        return list(found.values())

    def did_you_mean(self, text: str, limit: int = 3) -> list[Entry]:
        """Close matches for a slug or label nobody has (cheap: candidates come from the
        prefix and word indexes, then difflib ranks them)."""
        folded = fold(text.replace("-", " "))
        if not folded:
            return []
        candidates: dict[str, str] = {}
        for size in (len(folded), 4, 3, 2):
            for _, _, slug, label in itertools.islice(self._prefixed(folded[:size]), 200):
                candidates.setdefault(fold(label), slug)
        for word in words(folded):
            for slug in itertools.islice(self._label_words.get(word, ()), 200):
                candidates.setdefault(fold(self.entries[slug].pref), slug)
        close = difflib.get_close_matches(folded, list(candidates), n=limit, cutoff=0.6)
        chosen = [candidates[c] for c in close]
        for hit in self.search(folded, limit=limit):
            if hit.entry.slug not in chosen:
                chosen.append(hit.entry.slug)
        return [self.entries[s] for s in chosen[:limit]]

    def search(self, q: str, *, role: str | None = None, limit: int = 20) -> list[Hit]:
        """Ranked matches for ``q``; ties by label length, then alphabetically."""
        folded = fold(q)
        if not folded:
            return []
        best: dict[str, Hit] = {}

        def offer(slug: str, rank: int, matched: str) -> None:
            entry = self.entries[slug]
            if role is not None and role not in entry.roles:
                return
            if slug not in best or rank < best[slug].rank:
                best[slug] = Hit(entry, rank, matched)

        for kind, slug, label in self._exact.get(folded, []):
            offer(slug, kind, label)
        for _, _, slug, label in self._prefixed(folded):
            offer(slug, PREFIX, label)
        query_words = words(q)
        if query_words:
            in_labels = set.intersection(*(self._label_words.get(w, set()) for w in query_words))
            for slug in in_labels:
                offer(slug, WORDS, self.entries[slug].pref)
            in_text = set.intersection(*(self._text_words.get(w, set()) for w in query_words))
            for slug in in_text:
                offer(slug, TEXT, self.entries[slug].pref)
        ranked = sorted(
            best.values(), key=lambda h: (h.rank, len(h.matched), fold(h.entry.pref), h.entry.slug)
        )
        return ranked[:limit]
