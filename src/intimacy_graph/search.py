"""An in-memory label index: search and suggest without scanning the store.

Built from the read snapshot when the service starts, then kept in step with every write: the
writes that know what they changed update only those concepts (:meth:`ConceptIndex.updated`),
the others rebuild it.  Ranking, best first: exact preferred label, exact alternative label,
label prefix, every query word in a label, every query word in the definition, scope note or
descriptions.  Matching ignores case and accents (NFKD, combining marks dropped, case-folded).

The index is compact (50 MB for 100,000 concepts, against 297 MB for one Python object
per concept): concepts are integer ids into parallel lists, word postings are sorted
``array("I")`` of ids, note membership and text words are packed ``bytes``, and roles are
bits.  :class:`Entry` objects are made on demand.  An index is never changed in place — an
update returns a new one that shares what did not change — so readers need no lock.
"""

from __future__ import annotations

import bisect
import difflib
import itertools
import re
import unicodedata
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from rdflib import URIRef

from intimacy_graph import queries
from intimacy_graph.namespaces import IG, Iris
from intimacy_graph.store.base import Store

#: The default deployment's registry graph (a service passes its own).
DEFAULT_REGISTRY = str(Iris().registry_graph)

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

#: Bits of a concept's flags byte: one per role (in ``ROLE_CLASSES`` order), then these.
_ROLE_BIT = {name: 1 << i for i, name in enumerate(ROLE_CLASSES)}
_ROLES_MASK = (1 << len(ROLE_CLASSES)) - 1
_DEPRECATED = 1 << 5
_DESCRIBED = 1 << 6
#: The role set of every combination of role bits, shared by all entries.
_ROLE_SETS = tuple(
    frozenset(name for name, bit in _ROLE_BIT.items() if mask & bit)
    for mask in range(_ROLES_MASK + 1)
)
#: More changed concepts than this and :meth:`ConceptIndex.updated` is not worth it.
MAX_INCREMENTAL = 2_000


def fold(text: str) -> str:
    """Case- and accent-insensitive form: ``fold("Émotion  Focused") == "emotion focused"``."""
    if text.isascii():  # nothing to decompose
        return " ".join(text.casefold().split())
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def words(text: str) -> set[str]:
    return set(_WORD.findall(fold(text)))


def _pack(ids: Iterable[int]) -> bytes:
    return array("I", sorted(set(ids))).tobytes()


def _unpack(data: bytes) -> array[int]:
    out = array("I")
    out.frombytes(data)
    return out


class Entry:
    """What the index knows of one concept.

    Made on demand by the index (``alts``, ``notes``, ``described_by`` and ``text_words`` are
    read from it only when asked for), or built by hand as the input of :class:`ConceptIndex`.
    """

    __slots__ = (
        "_alts",
        "_described_by",
        "_notes",
        "_source",
        "_text_words",
        "definition",
        "deprecated",
        "described",
        "iri",
        "pref",
        "roles",
        "slug",
    )

    def __init__(
        self,
        iri: str,
        slug: str,
        pref: str = "",
        alts: Iterable[str] = (),
        definition: str | None = None,
        described_by: Iterable[str] = (),
        notes: Iterable[str] = (),
        roles: Iterable[str] = (),
        deprecated: bool = False,
        text_words: Iterable[str] = (),
    ) -> None:
        self.iri = iri
        self.slug = slug
        self.pref = pref
        self.definition = definition
        self.roles: frozenset[str] = frozenset(roles)
        self.deprecated = deprecated
        self._alts: tuple[str, ...] | None = tuple(dict.fromkeys(alts))
        self._described_by: frozenset[str] | None = frozenset(described_by)
        self._notes: frozenset[str] | None = frozenset(notes)
        self._text_words: frozenset[str] | None = frozenset(text_words)
        self.described = bool(self._described_by)
        self._source: tuple[ConceptIndex, int] | None = None

    @classmethod
    def _view(cls, index: ConceptIndex, cid: int) -> Entry:
        entry = cls.__new__(cls)
        slug = index._slugs[cid]
        assert slug is not None
        flags = index._flags[cid]
        entry.iri = index._iri(cid)
        entry.slug = slug
        entry.pref = index._pref[cid]
        entry.definition = index._definitions.get(cid)
        entry.roles = _ROLE_SETS[flags & _ROLES_MASK]
        entry.deprecated = bool(flags & _DEPRECATED)
        entry.described = bool(flags & _DESCRIBED)
        entry._alts = entry._notes = entry._described_by = entry._text_words = None
        entry._source = (index, cid)
        return entry

    def _load(self) -> None:
        assert self._source is not None
        index, cid = self._source
        self._alts = index._alts.get(cid, ())
        names = [index._note_names[c >> 1] for c in _unpack(index._notes.get(cid, b""))]
        self._notes = frozenset(n.rsplit("/", 1)[-1] for n in names)
        codes = _unpack(index._notes.get(cid, b""))
        self._described_by = frozenset(index._note_names[c >> 1] for c in codes if c & 1)
        self._text_words = frozenset(index._words[w] for w in _unpack(index._text_of.get(cid, b"")))

    @property
    def alts(self) -> tuple[str, ...]:
        if self._alts is None:
            self._load()
        assert self._alts is not None
        return self._alts

    @property
    def notes(self) -> frozenset[str]:
        """Slugs of the notes that describe or link to the concept."""
        if self._notes is None:
            self._load()
        assert self._notes is not None
        return self._notes

    @property
    def described_by(self) -> frozenset[str]:
        """IRIs of the notes that describe the concept."""
        if self._described_by is None:
            self._load()
        assert self._described_by is not None
        return self._described_by

    @property
    def text_words(self) -> frozenset[str]:
        if self._text_words is None:
            self._load()
        assert self._text_words is not None
        return self._text_words

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Entry):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.iri, self.slug))

    def _key(self) -> tuple[Any, ...]:
        return (
            self.iri,
            self.slug,
            self.pref,
            tuple(sorted(self.alts)),
            self.definition,
            self.described_by,
            self.notes,
            self.roles,
            self.deprecated,
            self.text_words,
        )

    def __repr__(self) -> str:
        return f"Entry({self.iri!r}, {self.slug!r}, pref={self.pref!r})"


@dataclass(frozen=True)
class Hit:
    entry: Entry
    rank: int
    matched: str

    @property
    def match(self) -> str:
        return MATCH_NAMES[self.rank]


class _Entries(Mapping[str, Entry]):
    """``slug → Entry``, each made when asked for."""

    def __init__(self, index: ConceptIndex) -> None:
        self._index = index

    def __getitem__(self, slug: str) -> Entry:
        return Entry._view(self._index, self._index._ids[slug])

    def __contains__(self, slug: object) -> bool:
        return slug in self._index._ids

    def __iter__(self) -> Iterator[str]:
        return iter(self._index._ids)

    def __len__(self) -> int:
        return len(self._index._ids)


class _Labels(dict[str, str]):
    """``concept IRI → preferred label`` (the slug when it has none), read from the index at
    each lookup.  A ``dict`` in type only, for callers that ask for one: it stores nothing
    itself, so only lookups, ``in``, ``len`` and iteration over the IRIs are meaningful."""

    __slots__ = ("_index",)

    def __init__(self, index: ConceptIndex) -> None:
        super().__init__()
        self._index = index

    def __getitem__(self, iri: str) -> str:
        index = self._index
        cid = index._id_of_iri(iri)
        if cid is None:
            raise KeyError(iri)
        return index._pref[cid] or iri.rsplit("/", 1)[-1]

    def get(self, iri: str, default: str | None = None) -> str | None:  # type: ignore[override]
        try:
            return self[iri]
        except KeyError:
            return default

    def __contains__(self, iri: object) -> bool:
        return isinstance(iri, str) and self._index._id_of_iri(iri) is not None

    def __iter__(self) -> Iterator[str]:
        index = self._index
        for cid in index._ids.values():
            yield index._iri(cid)

    def __len__(self) -> int:
        return len(self._index._ids)

    def __repr__(self) -> str:
        return f"<labels of {len(self)} concepts>"


class ConceptIndex:
    """Labels, texts, roles and note membership of every concept."""

    def __init__(
        self,
        entries: Iterable[Entry],
        generation: int = 0,
        *,
        registry: str = DEFAULT_REGISTRY,
    ) -> None:
        self.generation = generation
        self.registry = registry  # the registry graph the labels are read from
        # Per concept id (ids of removed concepts stay unused):
        self._slugs: list[str | None] = []
        self._prefix_ids = array("H")  # → _prefixes: the IRI is prefix + slug
        self._pref: list[str] = []
        self._pref_key: list[str] = []  # fold(pref), the same object as in _keys
        self._flags = bytearray()  # role bits, deprecated, described
        self._alts: dict[int, tuple[str, ...]] = {}
        self._definitions: dict[int, str] = {}
        self._notes: dict[int, bytes] = {}  # packed note codes: note id * 2 + describes
        self._text_of: dict[int, bytes] = {}  # packed word ids of the concept's texts
        self._ids: dict[str, int] = {}  # slug → id
        # Shared tables, only ever appended to (so every version of the index can share them):
        self._prefixes: list[str] = []
        self._prefix_index: dict[str, int] = {}
        self._note_names: list[str] = []  # a note's IRI, or its slug when only that is known
        self._note_index: dict[str, int] = {}
        self._words: list[str] = []
        self._word_index: dict[str, int] = {}
        # Word → sorted concept ids with that word in a label / in a text:
        self._label_post: dict[int, array[int]] = {}
        self._text_post: dict[int, array[int]] = {}
        # Every label, sorted by (folded label, is alternative, slug, label), for prefix search;
        # _label_slots says which: 0 the preferred label, k the (k-1)th alternative.
        self._keys: list[str] = []
        self._label_ids = array("I")
        self._label_slots = array("H")
        self._sorted: list[str] | None = None
        self._odd_iris: dict[int, str] = {}  # IRIs that do not end in their slug
        self._copied_postings: set[tuple[int, int]] = set()  # postings this copy owns

        for entry in entries:
            self._add_record(entry)
        self._finish()

    # -- building ------------------------------------------------------------------------------
    def _word(self, word: str) -> int:
        wid = self._word_index.get(word)
        if wid is None:
            wid = self._word_index[word] = len(self._words)
            self._words.append(word)
        return wid

    def _note(self, name: str) -> int:
        nid = self._note_index.get(name)
        if nid is None:
            nid = self._note_index[name] = len(self._note_names)
            self._note_names.append(name)
        return nid

    def _new_id(self, iri: str, slug: str) -> int:
        """A new concept id for ``iri``, with no labels or data yet.  One id per slug: an
        earlier concept with the same slug is forgotten (the last one given wins)."""
        old = self._ids.get(slug)
        if old is not None:
            self._drop(old)
        cid = len(self._slugs)
        prefix = iri[: len(iri) - len(slug)]
        if not iri.endswith(slug):  # hand-made input: keep the IRI whole
            self._odd_iris[cid] = iri
            prefix = ""
        pid = self._prefix_index.get(prefix)
        if pid is None:
            pid = self._prefix_index[prefix] = len(self._prefixes)
            self._prefixes.append(prefix)
        self._slugs.append(slug)
        self._prefix_ids.append(pid)
        self._pref.append("")
        self._pref_key.append("")
        self._flags.append(0)
        self._ids[slug] = cid
        return cid

    def _set_pref(self, cid: int, label: str) -> None:
        self._pref[cid] = label
        self._pref_key[cid] = fold(label)

    def _add_codes(self, table: dict[int, bytes], cid: int, codes: Iterable[int]) -> None:
        old = table.get(cid)
        table[cid] = _pack(itertools.chain(_unpack(old) if old else (), codes))

    def _add_record(self, entry: Entry) -> int:
        """Store ``entry`` under a new id (its labels and postings are the caller's job)."""
        cid = self._new_id(entry.iri, entry.slug)
        if entry.pref:
            self._set_pref(cid, entry.pref)
        flags = 0
        for role in entry.roles:
            flags |= _ROLE_BIT.get(role, 0)
        if entry.deprecated:
            flags |= _DEPRECATED
        if entry.described_by:
            flags |= _DESCRIBED
        self._flags[cid] = flags
        alts = tuple(sorted(a for a in entry.alts if a))
        if alts:
            self._alts[cid] = alts
        if entry.definition is not None:
            self._definitions[cid] = entry.definition
        describing = {n.rsplit("/", 1)[-1] for n in entry.described_by}
        codes = [self._note(n) * 2 + 1 for n in entry.described_by]
        codes += [self._note(n) * 2 for n in entry.notes if n not in describing]
        if codes:
            self._notes[cid] = _pack(codes)
        if entry.text_words:
            self._text_of[cid] = _pack(self._word(w) for w in entry.text_words)
        return cid

    def _finish(self) -> None:
        """Sort the labels and fill the postings from the per-concept data (a fresh build;
        ids ascend, so each posting comes out sorted)."""
        items: list[tuple[str, bool, str, str, int, int]] = []
        for cid, slug in enumerate(self._slugs):
            if slug is None:
                continue
            for slot, label in self._labels_of(cid):
                items.append((self._fold_label(cid, slot), slot > 0, slug, label, cid, slot))
                for word in words(label):
                    posting = self._label_post.setdefault(self._word(word), array("I"))
                    if not posting or posting[-1] != cid:
                        posting.append(cid)
            for wid in _unpack(self._text_of.get(cid, b"")):
                self._text_post.setdefault(wid, array("I")).append(cid)
        items.sort(key=lambda t: t[:4])
        for key, _alt, _slug, _label, cid, slot in items:
            self._keys.append(self._pref_key[cid] if slot == 0 else key)  # share the string
            self._label_ids.append(cid)
            self._label_slots.append(slot)

    def _drop(self, cid: int) -> None:
        """Forget the record of ``cid`` (its labels and postings are the caller's job)."""
        slug = self._slugs[cid]
        if slug is not None and self._ids.get(slug) == cid:
            del self._ids[slug]
        self._slugs[cid] = None
        self._pref[cid] = ""
        self._pref_key[cid] = ""
        self._flags[cid] = 0
        for table in (self._alts, self._definitions, self._notes, self._text_of, self._odd_iris):
            table.pop(cid, None)

    def _labels_of(self, cid: int) -> list[tuple[int, str]]:
        """``(slot, label)`` of every non-empty label of ``cid``."""
        out = [(0, self._pref[cid])] if self._pref[cid] else []
        out += [(k + 1, a) for k, a in enumerate(self._alts.get(cid, ()))]
        return out

    def _label(self, cid: int, slot: int) -> str:
        return self._pref[cid] if slot == 0 else self._alts[cid][slot - 1]

    def _fold_label(self, cid: int, slot: int) -> str:
        return self._pref_key[cid] if slot == 0 else fold(self._alts[cid][slot - 1])

    def _iri(self, cid: int) -> str:
        odd = self._odd_iris.get(cid) if self._odd_iris else None
        if odd is not None:
            return odd
        return self._prefixes[self._prefix_ids[cid]] + (self._slugs[cid] or "")

    def _id_of_iri(self, iri: str) -> int | None:
        cid = self._ids.get(iri.rsplit("/", 1)[-1])
        if cid is not None and self._iri(cid) == iri:
            return cid
        for prefix in self._prefixes:  # IRIs whose slug is not after the last "/" (few)
            if prefix and iri.startswith(prefix):
                cid = self._ids.get(iri[len(prefix) :])
                if cid is not None and self._iri(cid) == iri:
                    return cid
        for odd, odd_iri in self._odd_iris.items():
            if odd_iri == iri and self._slugs[odd] is not None:
                return odd
        return None

    # -- what callers read ---------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._ids)

    @property
    def entries(self) -> Mapping[str, Entry]:
        """``slug → Entry`` (each made when asked for)."""
        return _Entries(self)

    @property
    def labels(self) -> dict[str, str]:
        """``concept IRI → preferred label`` (or slug)."""
        return _Labels(self)

    @property
    def sorted_slugs(self) -> list[str]:
        """Every slug, by folded preferred label then slug (computed once per index)."""
        if self._sorted is None:
            pairs = sorted((self._pref_key[cid], slug) for slug, cid in self._ids.items())
            self._sorted = [slug for _, slug in pairs]
        return self._sorted

    def select(
        self,
        *,
        role: str | None = None,
        note: str | None = None,
        described: bool | None = None,
        deprecated: bool | None = None,
    ) -> list[str]:
        """Slugs in :attr:`sorted_slugs` order that have ``role``, belong to ``note`` and are
        (or are not) ``described`` and ``deprecated`` — without making an :class:`Entry` for
        each (which listing 100,000 concepts would otherwise do)."""
        bit = _ROLE_BIT.get(role, -1) if role is not None else 0
        if bit < 0:
            return []
        note_codes: set[int] | None = None
        if note is not None:
            note_codes = {
                nid * 2 + d
                for nid, name in enumerate(self._note_names)
                if name.rsplit("/", 1)[-1] == note
                for d in (0, 1)
            }
        out = []
        for slug in self.sorted_slugs:
            cid = self._ids[slug]
            flags = self._flags[cid]
            if bit and not flags & bit:
                continue
            if described is not None and bool(flags & _DESCRIBED) != described:
                continue
            if deprecated is not None and bool(flags & _DEPRECATED) != deprecated:
                continue
            if note_codes is not None and note_codes.isdisjoint(_unpack(self._notes.get(cid, b""))):
                continue
            out.append(slug)
        return out

    def get(self, slug: str) -> Entry | None:
        cid = self._ids.get(slug)
        return None if cid is None else Entry._view(self, cid)

    def iri_of(self, slug: str) -> URIRef | None:
        cid = self._ids.get(slug)
        return None if cid is None else URIRef(self._iri(cid))

    def _prefixed(self, folded: str) -> Iterator[tuple[str, int, int]]:
        """``(folded label, concept id, slot)`` of the labels starting with ``folded``."""
        keys = self._keys
        for i in range(bisect.bisect_left(keys, folded), len(keys)):
            key = keys[i]
            if not key.startswith(folded):
                break
            yield key, self._label_ids[i], self._label_slots[i]

    def suggest(self, q: str, limit: int = 10) -> list[tuple[Entry, str]]:
        """Labels starting with ``q`` (preferred and alternative), shortest first."""
        folded = fold(q)
        if not folded:
            return []
        slugs = self._slugs
        candidates = sorted(
            self._prefixed(folded), key=lambda t: (len(t[0]), t[2] > 0, t[0], slugs[t[1]])
        )
        found: dict[int, int] = {}
        for _, cid, slot in candidates:
            if cid not in found:
                found[cid] = slot
                if len(found) >= limit:
                    break
        return [(Entry._view(self, cid), self._label(cid, slot)) for cid, slot in found.items()]

    def did_you_mean(self, text: str, limit: int = 3) -> list[Entry]:
        """Close matches for a slug or label nobody has (cheap: candidates come from the
        prefix and word indexes, then difflib ranks them)."""
        folded = fold(text.replace("-", " "))
        if not folded:
            return []
        candidates: dict[str, int] = {}
        for size in (len(folded), 4, 3, 2):
            for key, cid, _ in itertools.islice(self._prefixed(folded[:size]), 200):
                candidates.setdefault(key, cid)
        for word in words(folded):
            wid = self._word_index.get(word)
            for cid in itertools.islice(
                self._label_post.get(wid, ()) if wid is not None else (), 200
            ):
                candidates.setdefault(self._pref_key[cid], cid)
        close = difflib.get_close_matches(folded, list(candidates), n=limit, cutoff=0.6)
        chosen = list(dict.fromkeys(candidates[c] for c in close))
        for cid, _rank, _matched in self._ranked(folded, None, limit):
            if cid not in chosen:
                chosen.append(cid)
        return [Entry._view(self, cid) for cid in chosen[:limit]]

    def _posting(self, table: dict[int, array[int]], q_words: set[str]) -> list[int]:
        """Ids whose postings in ``table`` hold every word of ``q_words``."""
        lists = []
        for word in q_words:
            wid = self._word_index.get(word)
            posting = table.get(wid) if wid is not None else None
            if not posting:
                return []
            lists.append(posting)
        lists.sort(key=len)
        found = list(lists[0])
        for other in lists[1:]:
            if len(other) <= 16 * len(found):  # one pass over `other`, in C
                kept = set(found).intersection(other)
                found = [c for c in found if c in kept]
            else:  # a long posting: look each id up in it
                found = [c for c in found if _contains(other, c)]
        return found

    def _ranked(self, folded: str, role: str | None, limit: int) -> list[tuple[int, int, str]]:
        """``(concept id, rank, matched label)`` of the best ``limit`` matches."""
        bit = _ROLE_BIT.get(role, -1) if role is not None else 0
        if bit < 0:
            return []
        flags = self._flags
        best: dict[int, tuple[int, str]] = {}

        def offer(cid: int, rank: int, matched: str) -> None:
            if bit and not flags[cid] & bit:
                return
            old = best.get(cid)
            if old is None or rank < old[0]:
                best[cid] = (rank, matched)

        for key, cid, slot in self._prefixed(folded):
            exact = EXACT_ALT if slot else EXACT_PREF
            offer(cid, exact if key == folded else PREFIX, self._label(cid, slot))
        # A lower tier only adds concepts ranked after every one found so far: once there are
        # `limit` of them, the lower tiers cannot change the answer.
        query_words = words(folded)
        if query_words and len(best) < limit:
            for cid in self._posting(self._label_post, query_words):
                offer(cid, WORDS, self._pref[cid])
            if len(best) < limit:
                for cid in self._posting(self._text_post, query_words):
                    offer(cid, TEXT, self._pref[cid])
        slugs = self._slugs
        ranked = sorted(
            best.items(),
            key=lambda kv: (kv[1][0], len(kv[1][1]), self._pref_key[kv[0]], slugs[kv[0]]),
        )
        return [(cid, rank, matched) for cid, (rank, matched) in ranked[:limit]]

    def search(self, q: str, *, role: str | None = None, limit: int = 20) -> list[Hit]:
        """Ranked matches for ``q``; ties by label length, then alphabetically."""
        folded = fold(q)
        if not folded:
            return []
        return [
            Hit(Entry._view(self, cid), rank, matched)
            for cid, rank, matched in self._ranked(folded, role, limit)
        ]

    # -- from the store, and kept in step with it ----------------------------------------------
    @classmethod
    def from_store(
        cls,
        store: Store,
        generation: int = 0,
        *,
        registry: str = DEFAULT_REGISTRY,
    ) -> ConceptIndex:
        """Build the index of every concept in ``store`` (two queries, rows read straight
        into the compact form: no Python object per concept on the way); labels come from
        the ``registry`` graph."""
        index = cls((), generation, registry=registry)
        alts: dict[int, set[str]] = {}
        query = queries.load("list_index_labels")
        bound = {"registry": URIRef(registry)}
        for iri, kind, label in _rows(store, query, _LABEL_VARS, bound):
            cid = index._id_of_iri(iri)
            if cid is None:
                cid = index._new_id(iri, iri.rsplit("/", 1)[-1])
            if kind == "pref":
                if not index._pref[cid] or label < index._pref[cid]:
                    index._set_pref(cid, label)
            elif label:
                alts.setdefault(cid, set()).add(label)
        for cid, labels in alts.items():
            if index._slugs[cid] is not None:
                index._alts[cid] = tuple(sorted(labels))
        for iri, name, value in _rows(store, queries.load("list_index_texts"), _TEXT_VARS):
            cid = index._id_of_iri(iri)
            if cid is not None:
                index._read_text(cid, name, value)
        index._finish()
        return index

    def _read_text(self, cid: int, name: str, value: str) -> None:
        """Take in one row of ``list_index_texts`` (see :class:`_Record`, which does the
        same for one concept)."""
        if name == "definition":
            old = self._definitions.get(cid)
            if old is None or value < old:
                self._definitions[cid] = value
        if name in ("definition", "scope", "description"):
            self._add_codes(self._text_of, cid, map(self._word, words(value)))
        elif name == "describedBy":
            self._add_codes(self._notes, cid, [self._note(value) * 2 + 1])
            self._flags[cid] |= _DESCRIBED
        elif name == "linkedFrom":
            self._add_codes(self._notes, cid, [self._note(value.rsplit("/", 1)[-1]) * 2])
        elif name == "role" and value in ROLE_OF_CLASS:
            self._flags[cid] |= _ROLE_BIT[ROLE_OF_CLASS[value]]
        elif name == "deprecated":
            self._flags[cid] |= _DEPRECATED

    def updated(self, store: Store, iris: Iterable[str], generation: int) -> ConceptIndex:
        """A new index: this one with the concepts named by ``iris`` read again from ``store``
        (added, changed or removed; IRIs that name no concept are ignored).  One bounded query
        per IRI; this index is left as it was."""
        text = queries.load("list_index_concept")
        fresh: dict[str, Entry | None] = {}
        for iri in sorted(set(iris)):
            record = _Record()
            bound = {"concept": URIRef(iri), "registry": URIRef(self.registry)}
            for name, value in _rows(store, text, _CONCEPT_VARS, bound):
                if name in ("pref", "alt"):
                    record.label(name, value)
                else:
                    record.text(name, value)
            fresh[iri] = record.entry(iri) if record.labelled else None
        new = self._copy(generation)
        for iri, entry in fresh.items():
            old = new._id_of_iri(iri)
            if old is not None:
                new._remove(old)
            elif entry is not None and entry.slug in new._ids:  # same slug, other IRI
                new._remove(new._ids[entry.slug])
            if entry is not None:
                new._insert(entry)
        return new

    def _copy(self, generation: int) -> ConceptIndex:
        """A shallow copy to change: containers are copied, postings when they change."""
        new = ConceptIndex.__new__(ConceptIndex)
        new.__dict__.update(self.__dict__)
        new.generation = generation
        for name in ("_slugs", "_pref", "_pref_key", "_keys"):
            setattr(new, name, list(getattr(self, name)))
        for name in ("_prefix_ids", "_label_ids", "_label_slots"):
            setattr(new, name, array(getattr(self, name).typecode, getattr(self, name)))
        for name in ("_alts", "_definitions", "_notes", "_text_of", "_ids", "_odd_iris"):
            setattr(new, name, dict(getattr(self, name)))
        new._label_post = dict(self._label_post)
        new._text_post = dict(self._text_post)
        new._flags = bytearray(self._flags)
        new._sorted = None
        new._copied_postings = set()
        return new

    def _edit_posting(self, table: dict[int, array[int]], wid: int, cid: int, add: bool) -> None:
        copied = self._copied_postings
        tag = (id(table), wid)
        posting = table.get(wid)
        if posting is None:
            posting = array("I")
        elif tag not in copied:
            posting = array("I", posting)
        copied.add(tag)
        i = bisect.bisect_left(posting, cid)
        present = i < len(posting) and posting[i] == cid
        if add and not present:
            posting.insert(i, cid)
        elif not add and present:
            del posting[i]
        if posting:
            table[wid] = posting
        else:
            table.pop(wid, None)

    def _remove(self, cid: int) -> None:
        for slot, label in self._labels_of(cid):
            key = self._fold_label(cid, slot)
            lo, hi = bisect.bisect_left(self._keys, key), bisect.bisect_right(self._keys, key)
            for i in range(lo, hi):
                if self._label_ids[i] == cid and self._label_slots[i] == slot:
                    del self._keys[i], self._label_ids[i], self._label_slots[i]
                    break
            for word in words(label):
                wid = self._word_index.get(word)
                if wid is not None:
                    self._edit_posting(self._label_post, wid, cid, add=False)
        for wid in _unpack(self._text_of.get(cid, b"")):
            self._edit_posting(self._text_post, wid, cid, add=False)
        self._drop(cid)

    def _insert(self, entry: Entry) -> None:
        cid = self._add_record(entry)
        for slot, label in self._labels_of(cid):
            key = self._fold_label(cid, slot)
            order = (int(slot > 0), entry.slug, label)
            i, hi = bisect.bisect_left(self._keys, key), bisect.bisect_right(self._keys, key)
            while i < hi:
                other, other_slot = self._label_ids[i], self._label_slots[i]
                slug = self._slugs[other]
                assert slug is not None
                if order < (int(other_slot > 0), slug, self._label(other, other_slot)):
                    break
                i += 1
            self._keys.insert(i, self._pref_key[cid] if slot == 0 else key)
            self._label_ids.insert(i, cid)
            self._label_slots.insert(i, slot)
            for word in words(label):
                self._edit_posting(self._label_post, self._word(word), cid, add=True)
        for wid in _unpack(self._text_of.get(cid, b"")):
            self._edit_posting(self._text_post, wid, cid, add=True)


def index_of_snapshot(path: str, generation: int, registry: str = DEFAULT_REGISTRY) -> ConceptIndex:
    """The index of the embedded store at ``path``, opened read-only for the build and closed
    after it (run in a child process by the service)."""
    from pathlib import Path

    from intimacy_graph.store import OxigraphStore

    store = OxigraphStore(Path(path), read_only=True)
    try:
        return ConceptIndex.from_store(store, generation, registry=registry)
    finally:
        store.close()


def _contains(posting: array[int], cid: int) -> bool:
    i = bisect.bisect_left(posting, cid)
    return i < len(posting) and posting[i] == cid


_LABEL_VARS = ("concept", "kind", "label")
_TEXT_VARS = ("concept", "field", "value")
_CONCEPT_VARS = ("field", "value")


class _Record:
    """One concept's rows, gathered before it becomes an :class:`Entry`.  Where the data has
    more than one preferred label or definition, the first in code-point order is kept, so a
    rebuild and an update agree whatever order the store returns rows in."""

    __slots__ = (
        "alts",
        "definitions",
        "deprecated",
        "described_by",
        "notes",
        "prefs",
        "roles",
        "text_words",
    )

    def __init__(self) -> None:
        self.prefs: list[str] = []
        self.alts: list[str] = []
        self.definitions: list[str] = []
        self.text_words: set[str] = set()
        self.described_by: set[str] = set()
        self.notes: set[str] = set()
        self.roles: set[str] = set()
        self.deprecated = False

    @property
    def labelled(self) -> bool:
        return bool(self.prefs or self.alts)

    def label(self, kind: str, label: str) -> None:
        (self.prefs if kind == "pref" else self.alts).append(label)

    def text(self, name: str, value: str) -> None:
        if name == "definition":
            self.definitions.append(value)
            self.text_words |= words(value)
        elif name in ("scope", "description"):
            self.text_words |= words(value)
        elif name == "describedBy":
            self.described_by.add(value)
            self.notes.add(value.rsplit("/", 1)[-1])
        elif name == "linkedFrom":
            self.notes.add(value.rsplit("/", 1)[-1])
        elif name == "role" and value in ROLE_OF_CLASS:
            self.roles.add(ROLE_OF_CLASS[value])
        elif name == "deprecated":
            self.deprecated = True

    def entry(self, iri: str) -> Entry:
        return Entry(
            iri=iri,
            slug=iri.rsplit("/", 1)[-1],
            pref=min(self.prefs) if self.prefs else "",
            alts=sorted(set(self.alts)),
            definition=min(self.definitions) if self.definitions else None,
            described_by=self.described_by,
            notes=self.notes,
            roles=self.roles,
            deprecated=self.deprecated,
            text_words=self.text_words,
        )


def _rows(
    store: Store,
    text: str,
    names: tuple[str, ...],
    bindings: Mapping[str, URIRef] | None = None,
) -> Iterator[tuple[str, ...]]:
    """The lexical values of ``names`` in each solution; straight from pyoxigraph when the
    store is embedded (no rdflib terms: 5× faster on the whole index)."""
    raw = getattr(store, "raw", None)
    if raw is not None and hasattr(raw, "query"):
        import pyoxigraph as ox

        substitutions = (
            {ox.Variable(k): ox.NamedNode(str(v)) for k, v in bindings.items()}
            if bindings
            else None
        )
        for solution in raw.query(
            text, use_default_graph_as_union=True, substitutions=substitutions
        ):
            yield tuple(solution[n].value for n in names)
        return
    for row in store.select(text, bindings):
        yield tuple(str(row[n]) for n in names)
