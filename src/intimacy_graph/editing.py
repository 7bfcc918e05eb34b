"""The write path: validate one entry in context, work out its exact effect, commit it atomically.

An *entry* is a Markdown note or an RDF description of concepts (:mod:`intimacy_graph.entries`
for the one report format).  An RDF entry is turned into the note it stands for
(:func:`rdf_entry_notes`), so both kinds take one road: parse → encode → validate → commit, and
every concept the store holds keeps a Markdown source that ``export`` and the history can show.

**Validating in context** (:func:`validate_entry`, DESIGN.md §6): the entry's compiled graph is
validated together with the registry records of the concepts and works it names, as they would
read after the write — not with the whole graph — so it costs the same at 1k or 100k concepts.

**Committing** (:func:`plan_note_write` then :func:`commit`): the plan holds every change as data —

* the note's graph, replaced as a whole;
* the registry records of every concept and work the old or new note names, recomputed
  exactly: :func:`~intimacy_graph.encode.build_registry` over every note that names them (their
  Markdown is in the store), so a write leaves the registry exactly as a full build would;
* the inferred triples about every node the change touches.  Every rule in ``queries/rules/``
  reads ONE data triple (plus the ontology) and concludes a triple about that triple's subject or
  object, so the inferred triples whose subject is outside the touched nodes cannot change.  The
  plan recomputes those about the touched nodes from the triples around them with
  :mod:`intimacy_graph.closure` (``tests/test_editing.py`` checks the result against a full
  rebuild by the SPARQL rules after every write);
* a PROV activity in ``graph:changes`` with who, when, what and the note's Markdown as an entity,
  so every version of a note can be listed, read and restored.

On Oxigraph the whole plan is ONE update request, so one transaction: a crash leaves the store
before or after the write, never between.  On a remote store it is the same request, as atomic
as that server makes one request (not at all on Virtuoso, docs/deploy.md).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyoxigraph
from rdflib import OWL, RDF, RDFS, XSD, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from intimacy_graph import closure, queries
from intimacy_graph.diagnostics import Diagnostic, Report, Severity
from intimacy_graph.encode import CompiledNote, build_registry, encode_note
from intimacy_graph.errors import UnsupportedMediaTypeError, UnusableInputError
from intimacy_graph.jsonld import own_contexts
from intimacy_graph.namespaces import DCTERMS, IAO_DEFINITION, IG, PROV, SKOS, Iris
from intimacy_graph.notes import read_note_bytes
from intimacy_graph.notes.reader import DEFAULT_MAX_BYTES
from intimacy_graph.rdfio import parse_rdf, union
from intimacy_graph.slugs import slugify
from intimacy_graph.store.terms import ntriples, to_rdflib
from intimacy_graph.validation import shacl_validate

#: Media types of entries: Markdown notes and the RDF syntaxes (no datasets: an entry is a graph).
NOTE_MEDIA_TYPES = ("text/markdown", "text/x-markdown")
RDF_MEDIA_TYPES = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/ld+json": "jsonld",
    "application/n-triples": "ntriples",
    "application/rdf+xml": "rdfxml",
}
ENTRY_MEDIA_TYPES = (*NOTE_MEDIA_TYPES, *RDF_MEDIA_TYPES)

#: What an RDF entry may say about a concept, and where it goes in the note it becomes.
_SECTION_OF = {
    IG.hasCharacteristic: "characteristics",
    IG.hasType: "types",
    IG.hasBenefit: "benefits",
    IG.hasMechanism: "mechanisms",
}
_IGNORED_TYPES = {IG.Concept, SKOS.Concept}


def entry_kind(media_type: str) -> str:
    """``"note"`` or the RDF format of an entry's media type (parameters ignored)."""
    base = media_type.split(";", 1)[0].strip().lower()
    if base in NOTE_MEDIA_TYPES:
        return "note"
    if base in RDF_MEDIA_TYPES:
        return RDF_MEDIA_TYPES[base]
    raise UnsupportedMediaTypeError(
        f"An entry is a Markdown note or RDF, not {base or 'an untyped body'}; send one of: "
        + ", ".join(ENTRY_MEDIA_TYPES)
        + "."
    )


# --- checking an entry -----------------------------------------------------------------------


@dataclass
class EntryCheck:
    """The report on one entry and, when it could be read, the notes it stands for."""

    kind: str
    report: Report = field(default_factory=Report)
    notes: list[CompiledNote] = field(default_factory=list)
    unusable: bool = False

    @property
    def conforms(self) -> bool:
        return not self.unusable and self.report.conforms

    @property
    def slug(self) -> str | None:
        return self.notes[0].slug if len(self.notes) == 1 else None

    def to_dict(self) -> dict[str, Any]:
        results = [d.to_dict() for d in self.report.sorted()]
        counts = {str(s): 0 for s in Severity}
        for d in self.report.results:
            counts[str(d.severity)] += 1
        return {
            "conforms": self.conforms,
            "kind": "note" if self.kind == "note" else "rdf",
            "slug": self.slug,
            "notes": [c.slug for c in self.notes],
            "results": results,
            "counts": counts,
        }


def validate_entry(
    store: Any,
    data: bytes,
    media_type: str,
    iris: Iris,
    *,
    slug: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    now: datetime | None = None,
    file: str | None = None,
) -> EntryCheck:
    """Check one entry with the parts of ``store`` it links to; nothing is written.

    ``slug`` (a note's expected slug, e.g. from ``PUT /notes/{slug}``) adds a ``slug-mismatch``
    error when the note is about another concept.  Raises
    :class:`~intimacy_graph.errors.UnusableInputError` only for a media type that is not an
    entry's; everything wrong with the body itself is in the report.
    """
    kind = entry_kind(media_type)
    now = now or datetime.now(UTC).replace(microsecond=0)
    check = EntryCheck(kind)
    if kind == "note":
        sources = [(data, file or f"{slug or 'entry'}.md")]
    else:
        sources = _rdf_sources(data, kind, store, iris, check, max_bytes)
        if check.unusable or not check.report.conforms:
            return check
    run = iris.run("validation")
    for raw, file in sources:
        note, diags = read_note_bytes(raw, file, max_bytes)
        check.report.extend(diags)
        if note is None:
            check.unusable = True
            continue
        if slug is not None and note.slug != slug:
            check.report.extend(
                [
                    Diagnostic(
                        "slug-mismatch",
                        Severity.ERROR,
                        f"This note is about {note.title!r} (slug {note.slug!r}), "
                        f"not {slug!r}: put it at /api/v1/notes/{note.slug}.",
                        file=file,
                        line=note.title_line,
                    )
                ]
            )
        if any(d.severity is Severity.ERROR for d in diags):
            continue
        check.notes.append(encode_note(note, iris, run=run, modified=now))
    if not check.notes or not check.report.conforms:
        return check
    context = RegistryContext(store, iris)
    for compiled in check.notes:
        # The records are context, not copied into the note's graph: that graph is what a
        # write would store.
        records = context.records_now(compiled)
        check.report.extend(
            shacl_validate(compiled.graph, context=[records], file=compiled.note.file)
        )
    return check


def _rdf_sources(
    data: bytes, fmt: str, store: Any, iris: Iris, check: EntryCheck, max_bytes: int
) -> list[tuple[bytes, str]]:
    if len(data) > max_bytes:
        check.unusable = True
        check.report.extend(
            [
                Diagnostic(
                    "file-too-large", Severity.ERROR, f"The entry is over {max_bytes:,} bytes."
                )
            ]
        )
        return []
    try:
        graph = union(parse_rdf(data, fmt, allowed_contexts=own_contexts(iris.base)))
    except UnusableInputError as exc:
        line = exc.details.get("line")
        check.unusable = True
        check.report.extend(
            [
                Diagnostic(
                    exc.code,
                    Severity.ERROR,
                    exc.message,
                    line=line if isinstance(line, int) else None,
                )
            ]
        )
        return []
    texts, diags = rdf_entry_notes(graph, iris, lambda node: registry_label(store, iris, node))
    check.report.extend(diags)
    return [(text.encode("utf-8"), f"{s}.md") for s, text in texts.items()]


def registry_label(store: Any, iris: Iris, node: URIRef) -> str | None:
    """The preferred label the store's registry gives ``node``, if it has a record."""
    rows = store.select(
        queries.load("get_registry_label"), {"c": node, "registry": iris.registry_graph}
    )
    return str(rows[0]["label"]) if rows else None


def rdf_entry_notes(
    graph: Graph, iris: Iris, known_label: Any
) -> tuple[dict[str, str], list[Diagnostic]]:
    """The Markdown note each concept of an RDF entry stands for, keyed by slug.

    A subject must be a concept IRI of this deployment with a ``skos:prefLabel`` whose slug is
    the IRI's; what it says must fit the note format (definition, scope note, characteristics,
    types, benefits, mechanisms, related, see also).  A concept it links to must be described in
    the entry or known to the store; anything else is an error in the report, never dropped.
    """
    diags: list[Diagnostic] = []
    prefix = str(iris.concept(""))

    def error(
        code: str,
        message: str,
        focus: Node | None = None,
        path: Node | None = None,
        value: Node | None = None,
    ) -> None:
        diags.append(
            Diagnostic(
                code,
                Severity.ERROR,
                message,
                focus=str(focus) if focus is not None else None,
                path=str(path) if path is not None else None,
                value=str(value)[:200] if value is not None else None,
            )
        )

    subjects = sorted({s for s in graph.subjects()}, key=str)
    if not subjects:
        error("empty-entry", "The entry holds no triples.")
        return {}, diags
    labels: dict[Node, str] = {}
    for s in subjects:
        if isinstance(s, BNode) or not str(s).startswith(prefix):
            error(
                "foreign-subject",
                f"Every subject of an entry is a concept IRI of this service ({prefix}…); "
                f"{s.n3() if isinstance(s, URIRef) else 'a blank node'} is not.",
                focus=s,
            )
            continue
        slug = str(s)[len(prefix) :]
        names = [o for o in graph.objects(s, SKOS.prefLabel) if isinstance(o, Literal)]
        if len(names) != 1 or names[0].language not in (None, "en"):
            error(
                "entry-pref-label",
                "A concept in an entry needs exactly one skos:prefLabel (English or plain).",
                focus=s,
                path=SKOS.prefLabel,
            )
            continue
        name = " ".join(str(names[0]).split())
        if slugify(name) != slug or not slug:
            error(
                "slug-mismatch",
                f"The label {name!r} makes the slug {slugify(name)!r}, not {slug!r}: the IRI of a "
                f"concept is {prefix}{{slug of its label}}.",
                focus=s,
                path=SKOS.prefLabel,
                value=names[0],
            )
            continue
        labels[s] = name
    if diags:
        return {}, diags

    def label_of(node: Node, subject: Node, path: URIRef) -> str | None:
        if not isinstance(node, URIRef) or not str(node).startswith(prefix):
            error(
                "entry-object",
                "A relation in an entry points at a concept IRI of this service.",
                focus=subject,
                path=path,
                value=node,
            )
            return None
        found = labels.get(node) or known_label(node)
        if found is None:
            error(
                "unknown-concept",
                f"{node.n3()} is neither described in this entry nor known to the store; "
                "describe it (with a skos:prefLabel) or link to an existing concept.",
                focus=subject,
                path=path,
                value=node,
            )
        return found

    texts: dict[str, str] = {}
    for s, title in labels.items():
        described = [p for p in graph.predicates(s) if p not in (SKOS.prefLabel, RDFS.label)]
        if not described:
            continue  # a label only: a stub, named by the notes that link to it
        parts: dict[str, list[str]] = {k: [] for k in (*_SECTION_OF.values(), "related", "see")}
        definition = scope = None
        for p, o in sorted(graph.predicate_objects(s), key=lambda t: (str(t[0]), str(t[1]))):
            if p in (SKOS.prefLabel,):
                continue
            if p == RDFS.label and str(o).strip() == title:
                continue
            if p == RDF.type and o in _IGNORED_TYPES:
                continue
            if p in (SKOS.definition, IAO_DEFINITION) and isinstance(o, Literal):
                if definition not in (None, str(o)):
                    error("entry-definition", "A concept has one definition.", s, p, o)
                definition = " ".join(str(o).split())
            elif p == SKOS.scopeNote and isinstance(o, Literal) and scope is None:
                scope = " ".join(str(o).split())
            elif p in _SECTION_OF and isinstance(p, URIRef):
                if (linked := label_of(o, s, p)) is not None:
                    parts[_SECTION_OF[p]].append(linked)
            elif p in (SKOS.related, IG.seeAlso, RDFS.seeAlso) and isinstance(p, URIRef):
                if (linked := label_of(o, s, p)) is not None:
                    parts["related" if p == SKOS.related else "see"].append(linked)
            else:
                error(
                    "unsupported-property",
                    f"{p.n3()} cannot be stored from an entry: a concept entry says its "
                    "definition, scope note, characteristics, types, benefits, mechanisms, "
                    "related concepts and see-also links (write a note for anything else).",
                    s,
                    p,
                    o,
                )
        if definition is None:
            error(
                "entry-definition",
                "A described concept needs a skos:definition.",
                s,
                SKOS.definition,
            )
            continue
        texts[str(s)[len(prefix) :]] = _note_text(title, definition, scope, parts)
    if diags:
        return {}, diags
    return texts, diags


def _note_text(title: str, definition: str, scope: str | None, parts: dict[str, list[str]]) -> str:
    """A note in the seed's format for a concept described in RDF."""
    lines: list[str] = []
    if parts["see"]:
        lines += ["see also:", *(f"- [[{n}]]" for n in parts["see"]), ""]
    # A heading names the concept; the paragraph under it is the scope note.
    lines += [f"# {title}", ""] + ([scope, ""] if scope else [])
    lines += ["#### Key Aspects", "", "1. **Definition**:", f"   {definition}", ""]
    number = 2
    for key, heading in (("characteristics", "Characteristics"), ("types", f"Types of {title}")):
        if parts[key]:
            lines += [f"{number}. **{heading}**:", *(f"   - **[[{n}]]**" for n in parts[key]), ""]
            number += 1
    for key, heading in (("benefits", "Benefits"), ("mechanisms", "Mechanisms")):
        if parts[key]:
            lines += [f"#### {heading}", ""]
            lines += [f"{i}. **[[{n}]]**" for i, n in enumerate(parts[key], start=1)] + [""]
    if parts["related"]:
        lines += ["### Related Concepts", "", *(f"- [[{n}]]" for n in parts["related"]), ""]
    return "\n".join(lines)


# --- the registry around an entry -----------------------------------------------------------


class ParseCache:
    """Compiled spellings of stored notes by content hash (the registry recomputation re-reads
    the notes that name a concept; most of them did not change since the last write)."""

    def __init__(self, size: int = 4096) -> None:
        self._items: OrderedDict[str, CompiledNote] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, hash_: str) -> CompiledNote | None:
        with self._lock:
            hit = self._items.get(hash_)
            if hit is not None:
                self._items.move_to_end(hash_)
            return hit

    def compiled(self, hash_: str, markdown: str, source: str, iris: Iris) -> CompiledNote:
        with self._lock:
            hit = self._items.get(hash_)
            if hit is not None:
                self._items.move_to_end(hash_)
                return hit
        from intimacy_graph.notes.parse import parse_note  # markdown-it: on first use

        note = parse_note(markdown, source)
        compiled = encode_note(note, iris, run=iris.run("registry"), modified=_EPOCH)
        with self._lock:
            self._items[hash_] = compiled
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return compiled


_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
PARSE_CACHE = ParseCache()


class RegistryContext:
    """Registry records as they would read after a write, from the notes that name them."""

    def __init__(self, store: Any, iris: Iris, cache: ParseCache = PARSE_CACHE) -> None:
        self.store = store
        self.iris = iris
        self.cache = cache

    def naming_notes(self, resources: Iterable[URIRef]) -> dict[str, CompiledNote]:
        """Every stored note that names one of ``resources``, by note graph IRI."""
        graphs: set[str] = set()
        note_prefix = str(self.iris.note_graph(""))
        text = queries.load("list_graphs_mentioning")
        for node in resources:
            graphs |= {
                str(row["g"])
                for row in self.store.select(text, {"c": node})
                if str(row["g"]).startswith(note_prefix)
            }
        found: dict[str, CompiledNote] = {}
        for g in sorted(graphs):
            rows = self.store.select(queries.load("get_note_hash"), {"g": URIRef(g)})
            if not rows:
                continue
            hash_ = str(rows[0]["hash"])
            compiled = self.cache.get(hash_)
            if compiled is None:
                stored = stored_note(self.store, self.iris, g[len(note_prefix) :])
                if stored is None:
                    continue
                compiled = self.cache.compiled(
                    stored.hash, stored.markdown, stored.source, self.iris
                )
            found[g] = compiled
        return found

    def records_now(self, compiled: CompiledNote) -> list[tuple[Node, Node, Node]]:
        """Registry records of what ``compiled`` names, from the store's records and the
        note's own spellings — no other note is read (validation: the same cost at any size).

        It differs from the exact records (:meth:`records_for`) only in which spelling is
        preferred for a concept that no note describes, which no shape depends on.
        """
        resources = self.resources_of(compiled)
        stored = self.stored_triples(resources)
        me = self.iris.concept(compiled.slug)
        concept_prefix = str(self.iris.concept(""))
        # New records only for what the store lacks, or for the concept the note describes.
        own = build_registry(
            [
                dataclasses.replace(
                    compiled,
                    concepts={
                        k: v
                        for k, v in compiled.concepts.items()
                        if self.iris.concept(k) not in stored or k == compiled.slug
                    },
                    works={
                        k: v
                        for k, v in compiled.works.items()
                        if self.iris.work(k) not in stored or v[1]
                    },
                )
            ],
            self.iris,
        )
        records: list[tuple[Node, Node, Node]] = []
        for node in resources:
            theirs = stored.get(node)
            if not theirs:
                records += own.triples((node, None, None))
                continue
            if not str(node).startswith(concept_prefix):
                records += theirs  # a work: the store's record, a study if cited as one here
                if (node, RDF.type, IG.Study) in own:
                    records.append((node, RDF.type, IG.Study))
                continue
            if node != me:
                records += theirs  # the note's other spellings would only add altLabels
                continue
            preferred = own.value(node, SKOS.prefLabel)
            names = {o for _, p, o in theirs if p in (SKOS.prefLabel, SKOS.altLabel)}
            names |= set(own.objects(node, SKOS.altLabel))
            records += [
                t for t in theirs if t[1] not in (SKOS.prefLabel, SKOS.altLabel, RDFS.label)
            ]
            if preferred is not None:
                records += [(node, SKOS.prefLabel, preferred), (node, RDFS.label, preferred)]
            records += [(node, SKOS.altLabel, name) for name in names - {preferred}]
        return records

    def stored_triples(
        self, resources: Iterable[URIRef]
    ) -> dict[URIRef, list[tuple[Node, Node, Node]]]:
        """The store's registry record of each resource that has one (read straight from the
        quad index on the embedded store, through SPARQL on a remote one)."""
        raw = getattr(self.store, "raw", None)
        found: dict[URIRef, list[tuple[Node, Node, Node]]] = {}
        if raw is None:
            graph = self.stored_records(resources)
            for node in resources:
                if triples := list(graph.triples((node, None, None))):
                    found[node] = triples
            return found
        where = pyoxigraph.NamedNode(str(self.iris.registry_graph))
        memo: dict[object, Node] = {}
        for node in resources:
            triples = []
            for quad in raw.quads_for_pattern(pyoxigraph.NamedNode(str(node)), None, None, where):
                p = memo.get(quad.predicate) or memo.setdefault(
                    quad.predicate, to_rdflib(quad.predicate)
                )
                o = memo.get(quad.object) or memo.setdefault(quad.object, to_rdflib(quad.object))
                triples.append((node, p, o))
            if triples:
                found[node] = triples
        return found

    def resources_of(self, compiled: CompiledNote) -> set[URIRef]:
        return {self.iris.concept(s) for s in compiled.concepts} | {
            self.iris.work(s) for s in compiled.works
        }

    def records_for(
        self, resources: set[URIRef], new: list[CompiledNote], replaced: Iterable[URIRef] = ()
    ) -> Graph:
        gone = {str(g) for g in replaced} | {str(self.iris.note_graph(c.slug)) for c in new}
        stored = self.naming_notes(resources)
        notes = [c for g, c in stored.items() if g not in gone] + list(new)
        registry = build_registry(notes, self.iris)
        records = Graph()
        for node in resources:
            for triple in registry.triples((node, None, None)):
                records.add(triple)
        return records

    def unchanged(
        self,
        resources: set[URIRef],
        new: list[CompiledNote],
        old: Mapping[str, CompiledNote],
        stored: Graph,
    ) -> set[URIRef]:
        """The resources whose registry record the write cannot change — decided from the
        written notes and the store's records alone, so a write need not re-read every note
        that names a popular concept (:meth:`records_for` recomputes the others exactly)."""
        writing = {c.slug for c in new}
        note_prefix = str(self.iris.note_graph(""))
        same: set[URIRef] = set()
        for node in resources:
            is_concept = str(node).startswith(str(self.iris.concept("")))
            prefix = str(self.iris.concept("") if is_concept else self.iris.work(""))
            slug = str(node)[len(prefix) :]
            changed = []
            for c in new:
                before = old.get(c.slug)
                mine = c.concepts.get(slug) if is_concept else c.works.get(slug)
                theirs = (
                    (before.concepts.get(slug) if is_concept else before.works.get(slug))
                    if before is not None
                    else None
                )
                if mine != theirs:
                    changed.append((c, mine, theirs))
            if not changed:
                same.add(node)
                continue
            if any(theirs is not None or mine is None for _, mine, theirs in changed):
                continue  # a spelling or citation may be gone: recompute
            if not set(stored.triples((node, None, None))):
                continue  # a new record
            others = sorted(
                str(row["g"])[len(note_prefix) :]
                for row in self.store.select(queries.load("list_graphs_mentioning"), {"c": node})
                if str(row["g"]).startswith(note_prefix)
                and str(row["g"])[len(note_prefix) :] not in writing
            )
            if not others:
                continue
            if is_concept:
                if slug in writing:
                    continue  # newly described: its title becomes the preferred label
                names = {
                    o
                    for _, p, o in stored.triples((node, None, None))
                    if p in (SKOS.prefLabel, SKOS.altLabel)
                }
                described = slug in others
                if all(
                    isinstance(mine, list)
                    and {Literal(n, lang="en") for n in mine} <= names
                    and (described or others[0] < c.slug)
                    for c, mine, _ in changed
                ):
                    same.add(node)
            else:
                study = (node, RDF.type, IG.Study) in stored
                if all(
                    isinstance(mine, tuple) and others[0] < c.slug and (study or not mine[1])
                    for c, mine, _ in changed
                ):
                    same.add(node)
        return same

    def stored_records(self, resources: Iterable[URIRef]) -> Graph:
        records = Graph()
        text = queries.load("list_registry_record")
        registry = self.iris.registry_graph
        for node in resources:
            for row in self.store.select(text, {"s": node, "registry": registry}):
                records.add((node, row["p"], row["o"]))
        return records


# --- planning a write -------------------------------------------------------------------------


@dataclass
class StoredNote:
    graph: URIRef
    hash: str
    markdown: str
    modified: str | None
    source: str = ""


def stored_note(store: Any, iris: Iris, slug: str) -> StoredNote | None:
    g = iris.note_graph(slug)
    rows = store.select(queries.load("get_stored_note"), {"g": g})
    if not rows:
        return None
    row = rows[0]
    modified = row.get("modified")
    return StoredNote(
        g, str(row["hash"]), str(row["markdown"]), str(modified) if modified else None
    )


def etag_of(hash_: str) -> str:
    """The ETag of a note version: its content hash (strong: same hash, same bytes)."""
    return f'"{hash_}"'


@dataclass
class WritePlan:
    """Everything one write changes, as data: shown by a dry run, applied by :func:`commit`."""

    slugs: list[str]
    notes: dict[URIRef, tuple[Graph, Graph]]  # note graph → (old content, new content)
    registry_removed: Graph
    registry_added: Graph
    inferred_removed: Graph
    inferred_added: Graph
    activity: Graph
    run: URIRef
    created: list[str]  # notes that did not exist before
    hashes: dict[str, str]  # slug → content hash of the new version
    concepts_created: list[str]
    concepts_modified: list[str]

    def added(self) -> Graph:
        out = self.registry_added - self.registry_removed
        for old, new in self.notes.values():
            out += new - old
        return out

    def removed(self) -> Graph:
        out = self.registry_removed - self.registry_added
        for old, new in self.notes.values():
            out += old - new
        return out

    def diff(self) -> dict[str, Any]:
        """Triples added and removed (the notes' graphs and the registry), concepts created and
        modified, and the typed relations that changed."""
        added, removed = self.added(), self.removed()
        new_all, old_all = Graph(), Graph()
        for old, new in self.notes.values():
            new_all += new - old
            old_all += old - new
        return {
            "added": len(added),
            "removed": len(removed),
            "triples_added": sorted(ntriples(added).splitlines()),
            "triples_removed": sorted(ntriples(removed).splitlines()),
            "inferred_added": len(self.inferred_added),
            "inferred_removed": len(self.inferred_removed),
            "concepts_created": self.concepts_created,
            "concepts_modified": self.concepts_modified,
            "relations_added": _relations(new_all),
            "relations_removed": _relations(old_all),
        }


_RELATIONS = (
    IG.hasCharacteristic,
    IG.hasType,
    IG.hasBenefit,
    IG.hasMechanism,
    SKOS.related,
    IG.seeAlso,
)


def _relations(graph: Graph) -> list[dict[str, str]]:
    out = []
    for p in _RELATIONS:
        for s, o in graph.subject_objects(p):
            out.append({"subject": str(s), "relation": str(p), "object": str(o)})
    return sorted(out, key=lambda r: (r["subject"], r["relation"], r["object"]))


def plan_write(
    store: Any,
    iris: Iris,
    compiled: list[CompiledNote],
    *,
    activity: str,
    key_id: str,
    now: datetime,
    ontology: Graph,
) -> WritePlan:
    """The exact effect of writing each of ``compiled`` (validated) as its note's graph."""
    context = RegistryContext(store, iris)
    resources: set[URIRef] = set()
    notes: dict[URIRef, tuple[Graph, Graph]] = {}
    stored: dict[str, StoredNote | None] = {}
    previous: dict[str, CompiledNote] = {}
    from intimacy_graph.build import run_id  # the build machinery: on first write

    run = iris.run(run_id(now, [c.note.content_hash for c in compiled] + [key_id, activity]))
    for c in compiled:
        g = iris.note_graph(c.slug)
        old = stored[c.slug] = stored_note(store, iris, c.slug)
        resources |= context.resources_of(c)
        if old is not None:
            previous[c.slug] = context.cache.compiled(old.hash, old.markdown, c.note.file, iris)
            resources |= context.resources_of(previous[c.slug])
        _set_run(c.graph, iris.note(c.slug), run)
        notes[g] = (store.graph(g) if old is not None else Graph(), c.graph)
    registry_removed = context.stored_records(resources)
    same = context.unchanged(resources, compiled, previous, registry_removed)
    registry_added = context.records_for(resources - same, compiled, list(notes))
    for node in same:
        registry_added += registry_removed.triples((node, None, None))
    known = set(registry_removed.subjects(RDF.type, IG.Concept))
    concept_nodes = {r for r in resources if str(r).startswith(str(iris.concept("")))}
    created = sorted(_slug_of(r, iris) for r in concept_nodes - known)
    changed_records = {
        s
        for s in concept_nodes
        if set(registry_removed.triples((s, None, None)))
        != set(registry_added.triples((s, None, None)))
    }
    described = {iris.concept(c.slug) for c in compiled}
    modified = sorted(
        _slug_of(r, iris)
        for r in (changed_records | described) - {iris.concept(c) for c in created}
    )
    record = _activity(run, activity, key_id, now, compiled, stored, iris, created, modified)
    changed = {
        **notes,
        iris.registry_graph: (registry_removed, registry_added),
        iris.changes_graph: (Graph(), record),
    }
    inferred_removed, inferred_added = infer_delta(store, iris, ontology, changed)
    plan = WritePlan(
        slugs=[c.slug for c in compiled],
        notes=notes,
        registry_removed=registry_removed,
        registry_added=registry_added,
        inferred_removed=inferred_removed,
        inferred_added=inferred_added,
        activity=record,
        run=run,
        created=[c.slug for c in compiled if stored[c.slug] is None],
        hashes={c.slug: c.note.content_hash for c in compiled},
        concepts_created=created,
        concepts_modified=modified,
    )
    record.add((run, IG.triplesAdded, Literal(len(plan.added()))))
    record.add((run, IG.triplesRemoved, Literal(len(plan.removed()))))
    return plan


def _slug_of(node: URIRef, iris: Iris) -> str:
    return str(node)[len(str(iris.concept(""))) :]


def _set_run(graph: Graph, note: URIRef, run: URIRef) -> None:
    graph.remove((note, PROV.wasGeneratedBy, None))
    graph.add((note, PROV.wasGeneratedBy, run))


def _activity(
    run: URIRef,
    activity: str,
    key_id: str,
    now: datetime,
    compiled: list[CompiledNote],
    stored: Mapping[str, StoredNote | None],
    iris: Iris,
    created: list[str],
    modified: list[str],
) -> Graph:
    """The PROV record of one write, with each new version (and the version it replaces) as
    entities carrying their Markdown, so any version can be listed, read and restored."""
    record = Graph()
    stamp = Literal(now.isoformat(), datatype=XSD.dateTime)
    record.add((run, RDF.type, PROV.Activity))
    record.add((run, RDFS.label, Literal(activity)))
    record.add((run, PROV.startedAtTime, stamp))
    record.add((run, PROV.endedAtTime, stamp))
    record.add((run, DCTERMS.creator, Literal(f"key:{key_id}")))
    for c in compiled:
        note = iris.note(c.slug)
        record.add((run, PROV.generated, iris.note_graph(c.slug)))
        version = BNode()
        record.add((run, PROV.generated, version))
        record.add((version, RDF.type, PROV.Entity))
        record.add((version, PROV.specializationOf, note))
        record.add((version, PROV.generatedAtTime, stamp))
        record.add((version, DCTERMS.identifier, Literal(c.note.content_hash)))
        record.add((version, PROV.value, Literal(c.note.source)))
        old = stored.get(c.slug)
        if old is not None:
            earlier = BNode()
            record.add((run, PROV.used, earlier))
            record.add((earlier, RDF.type, PROV.Entity))
            record.add((earlier, PROV.specializationOf, note))
            if old.modified:
                record.add(
                    (earlier, PROV.generatedAtTime, Literal(old.modified, datatype=XSD.dateTime))
                )
            record.add((earlier, DCTERMS.identifier, Literal(old.hash)))
            record.add((earlier, PROV.value, Literal(old.markdown)))
    for slug in created:
        record.add((run, PROV.generated, iris.concept(slug)))
    for slug in modified:
        record.add((run, PROV.influenced, iris.concept(slug)))
    return record


def plan_deprecation(
    store: Any,
    iris: Iris,
    slug: str,
    replaced_by: str | None,
    *,
    key_id: str,
    now: datetime,
    ontology: Graph,
) -> Deprecation:
    """``owl:deprecated true`` (and ``dcterms:isReplacedBy``) in ``graph:curated``, with its
    inference delta and PROV record."""
    node = iris.concept(slug)
    added = Graph()
    added.add((node, OWL.deprecated, Literal(True)))
    if replaced_by is not None:
        added.add((node, DCTERMS.isReplacedBy, iris.concept(replaced_by)))
    from intimacy_graph.build import run_id  # the build machinery: on first write

    run = iris.run(run_id(now, [slug, key_id, "deprecate"]))
    record = Graph()
    stamp = Literal(now.isoformat(), datatype=XSD.dateTime)
    record.add((run, RDF.type, PROV.Activity))
    record.add((run, RDFS.label, Literal("deprecate")))
    record.add((run, PROV.startedAtTime, stamp))
    record.add((run, PROV.endedAtTime, stamp))
    record.add((run, DCTERMS.creator, Literal(f"key:{key_id}")))
    record.add((run, PROV.influenced, node))
    record.add((run, IG.triplesAdded, Literal(len(added))))
    record.add((run, IG.triplesRemoved, Literal(0)))
    changed = {
        iris.curated_graph: (Graph(), added),
        iris.changes_graph: (Graph(), record),
    }
    removed_inf, added_inf = infer_delta(store, iris, ontology, changed)
    return Deprecation(added, record, removed_inf, added_inf)


@dataclass
class Deprecation:
    added: Graph
    activity: Graph
    inferred_removed: Graph
    inferred_added: Graph


def apply_deprecation(store: Any, plan: Deprecation, iris: Iris) -> None:
    """Commit a deprecation as ONE update request."""
    store.apply(
        delete={iris.inferred_graph: plan.inferred_removed},
        insert={
            iris.curated_graph: plan.added,
            iris.inferred_graph: plan.inferred_added,
            iris.changes_graph: plan.activity,
        },
    )


# --- inference delta ------------------------------------------------------------------------


def _touched(
    changes: Iterable[Graph], flipping: frozenset[Node], ranged: frozenset[Node]
) -> set[URIRef]:
    """The nodes whose inferred triples a change can alter: every subject, and the object of
    a triple whose predicate lets a rule conclude something about it."""
    nodes: set[URIRef] = set()
    for graph in changes:
        for s, p, o in graph:
            if isinstance(s, URIRef):
                nodes.add(s)
            if isinstance(o, URIRef) and (p in flipping or p in ranged):
                nodes.add(o)
    return nodes


def infer_delta(
    store: Any,
    iris: Iris,
    ontology: Graph,
    changed: Mapping[URIRef, tuple[Graph, Graph]],
) -> tuple[Graph, Graph]:
    """``(removed, added)`` for ``graph:inferred`` when each graph in ``changed`` loses the
    triples of its old content that its new content lacks and gains the rest (for a graph
    replaced as a whole, pass its whole old and new content; for a partial change, the parts).
    Exact for rules that read one data triple each (module docstring)."""
    schema = closure.Schema.of(ontology)
    flipping, ranged = schema.object_predicates()
    gone: set[tuple[Node, Node, Node, URIRef]] = set()
    came: list[Graph] = []
    for g, (old, new) in changed.items():
        removed = old - new
        gone |= {(s, p, o, g) for s, p, o in removed}
        came.append(new - old)
    gone_triples = Graph()
    for s, p, o, _g in gone:
        gone_triples.add((s, p, o))
    nodes = _touched([gone_triples, *came], flipping, ranged)
    inferred_g = iris.inferred_graph
    skip = {str(inferred_g), str(iris.ontology_graph)}
    quads: set[tuple[Node, Node, Node, URIRef]] = set()
    current = Graph()
    out_q = queries.load("list_outbound")
    in_q = queries.load("list_inbound")
    one_q = queries.load("list_inbound_one")
    removed_in: dict[tuple[Node, Node], int] = {}
    for _s, p, o, _g in gone:
        removed_in[(o, p)] = removed_in.get((o, p), 0) + 1
    for x in nodes:
        for row in store.select(out_q, {"x": x}):
            graph_iri = str(row["g"])
            if graph_iri == str(inferred_g):
                current.add((x, row["p"], row["o"]))
            elif graph_iri not in skip:
                quads.add((x, row["p"], row["o"], URIRef(graph_iri)))
        for p in flipping:
            for row in store.select(in_q, {"x": x, "p": p}):
                if str(row["g"]) not in skip:
                    quads.add((row["s"], p, x, URIRef(str(row["g"]))))
        for p in ranged:
            # One surviving premise is enough for ``x a class``: fetch one more than can go.
            limit = removed_in.get((x, p), 0) + 1
            text = one_q.replace("LIMIT 1", f"LIMIT {int(limit)}")
            for row in store.select(text, {"x": x, "p": p}):
                if str(row["g"]) not in skip:
                    quads.add((row["s"], p, x, URIRef(str(row["g"]))))
    quads -= gone
    for g, (old, new) in changed.items():
        for s, p, o in new - old:
            if s in nodes or o in nodes:
                quads.add((s, p, o, g))
    inferred, _ = closure.infer({(s, p, o) for s, p, o, _g in quads}, schema)
    fresh = Graph()
    for triple in inferred:
        if triple[0] in nodes:
            fresh.add(triple)
    return current - fresh, fresh - current


# --- committing -----------------------------------------------------------------------------


def apply_plan(store: Any, plan: WritePlan, iris: Iris) -> None:
    """Commit the whole write as ONE update request (one transaction on Oxigraph)."""
    store.apply(
        replace={g: new for g, (_old, new) in plan.notes.items()},
        delete={
            iris.registry_graph: plan.registry_removed - plan.registry_added,
            iris.inferred_graph: plan.inferred_removed,
        },
        insert={
            iris.registry_graph: plan.registry_added - plan.registry_removed,
            iris.inferred_graph: plan.inferred_added,
            iris.changes_graph: plan.activity,
        },
    )
