"""``intimacy-graph build``: notes → validated, reasoned named graphs in the store (DESIGN.md §2).

Every note in the folder is parsed and encoded (cheap); only notes whose content hash changed
are written. The build runs on any :class:`~intimacy_graph.store.base.Store`:

* on Oxigraph, all writes of one build — changed note graphs, the ontology, the recomputed
  registry, ``graph:inferred`` (the rules evaluated in Python, :mod:`intimacy_graph.closure`)
  and the run's provenance — are one transaction; with ``exclusive=True`` (the CLI, which
  holds the store alone) they are bulk-loaded into a checkpoint that replaces the store in one
  atomic rename instead (:class:`~intimacy_graph.store.oxigraph.BulkWrite`), and a big build
  does its per-note work in worker processes (:mod:`intimacy_graph.buildpool`);
* on a remote store the graph writes and the provenance are one request and every rule is a
  request of its own, so a build is **not atomic** there: readers may see new notes before
  their inferences, and a failure part-way leaves the store between two builds. Every build is
  idempotent: run it again (docs/deploy.md).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph
from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.term import Node

from intimacy_graph import buildpool, closure, inference, qc, queries
from intimacy_graph.diagnostics import Diagnostic, Report, Severity
from intimacy_graph.encode import CompiledNote, EncodedNote, build_registry, encode_note
from intimacy_graph.namespaces import DCTERMS, PROV, Iris
from intimacy_graph.notes import parse_note, read_note
from intimacy_graph.notes.model import Note
from intimacy_graph.notes.reader import DEFAULT_MAX_BYTES
from intimacy_graph.resources import ontology_file
from intimacy_graph.store import OxigraphStore, Store
from intimacy_graph.store.base import Row
from intimacy_graph.store.oxigraph import nquads
from intimacy_graph.store.terms import ntriples, to_rdflib
from intimacy_graph.validation import graph_of, shacl_validate, validate_triples

Progress = Callable[[Iterable[Path]], Iterable[Path]]


@dataclass
class BuildResult:
    """What one build did, for the CLI summary and the tests."""

    report: Report
    loaded: list[str] = field(default_factory=list)  # slugs whose graph was written
    unchanged: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # files not loaded because of errors
    removed: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    qc: list[qc.QcFinding] = field(default_factory=list)
    run: str | None = None
    seconds: float = 0.0
    #: seconds per phase: compile (read, parse, encode), validate (registry + SHACL),
    #: write (graphs, provenance and inference, :func:`inference.rebuild`), qc (stats + QC)
    timings: dict[str, float] = field(default_factory=dict)
    inference_rounds: int = 0  # passes of the rules until one added nothing
    qc_ran: bool = True  # False when the caller skipped the QC checks (``qc=False``)

    @property
    def ok(self) -> bool:
        return not self.rejected and self.report.conforms


def run_id(now: datetime, hashes: Iterable[str]) -> str:
    """``{UTC timestamp}-{short hash}`` naming one build or import run."""
    digest = hashlib.sha256("".join(sorted(hashes)).encode()).hexdigest()[:8]
    return f"{now.strftime('%Y%m%dT%H%M%S%fZ')}-{digest}"


def load_ontology() -> Graph:
    graph = Graph()
    graph.parse(ontology_file(), format="turtle")
    return graph


def registry_fragment(registry: Graph, data: Graph) -> Graph:
    """The registry records of every IRI the data mentions (for validating one note)."""
    nodes: set[Node] = set()
    for s, _, o in data:
        nodes.add(s)
        nodes.add(o)
    fragment = Graph()
    for node in nodes:
        if isinstance(node, URIRef):
            for triple in registry.triples((node, None, None)):
                fragment.add(triple)
    return fragment


class RegistryIndex:
    """The registry's triples grouped by subject, so one note's records are found without
    scanning the registry (built once per build, used for every note)."""

    def __init__(self, registry: Iterable[tuple[Node, Node, Node]]) -> None:
        self.records: dict[Node, list[tuple[Node, Node, Node]]] = {}
        for triple in registry:
            self.records.setdefault(triple[0], []).append(triple)

    def fragment(self, data: Iterable[tuple[Node, Node, Node]]) -> list[tuple[Node, Node, Node]]:
        """The records of every IRI that ``data`` mentions (as subject or object)."""
        nodes: set[Node] = set()
        for s, _, o in data:
            nodes.add(s)
            nodes.add(o)
        found: list[tuple[Node, Node, Node]] = []
        for node in nodes:
            if isinstance(node, URIRef):
                found.extend(self.records.get(node, ()))
        return found


def validate_compiled(
    compiled: CompiledNote | EncodedNote, registry: Graph | RegistryIndex
) -> list[Diagnostic]:
    """SHACL results for one note, validated together with the registry records it links to."""
    index = registry if isinstance(registry, RegistryIndex) else RegistryIndex(registry)
    if isinstance(compiled, EncodedNote):
        triples = compiled.triples
        return validate_triples(triples, file=compiled.note.file, context=[index.fragment(triples)])
    return shacl_validate(
        compiled.graph, file=compiled.note.file, context=[index.fragment(compiled.graph)]
    )


def duplicate_note(title: str, first: str, file: str, line: int) -> Diagnostic:
    """The error for a second note (``file``) about the concept of ``first``."""
    return Diagnostic(
        "duplicate-note",
        Severity.ERROR,
        f"This note is about {title!r}, like {first}: one concept, one note.",
        file=file,
        line=line,
    )


def compile_folder(
    notes_dir: Path,
    iris: Iris,
    *,
    run: URIRef,
    now: datetime,
    max_bytes: int,
    report: Report,
    progress: Progress | None = None,
    files: Iterable[Path] | None = None,
) -> tuple[list[CompiledNote], list[str]]:
    """Parse and encode every ``*.md`` under ``notes_dir`` (or the given ``files`` in it);
    notes with errors are rejected."""
    if files is None:
        files = (p for p in notes_dir.rglob("*.md") if p.is_file())
    files = sorted(files)
    compiled: list[CompiledNote] = []
    rejected: list[str] = []
    by_slug: dict[str, str] = {}
    for path in progress(files) if progress else files:
        note, diags = read_note(path, notes_dir, max_bytes)
        report.extend(diags)
        file = str(path.relative_to(notes_dir))
        if note is None or any(d.severity is Severity.ERROR for d in diags):
            rejected.append(file)
            continue
        if note.slug in by_slug:
            report.extend([duplicate_note(note.title, by_slug[note.slug], file, note.title_line)])
            rejected.append(file)
            continue
        by_slug[note.slug] = file
        compiled.append(encode_note(note, iris, run=run, modified=now))
    return compiled, rejected


@contextlib.contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector, and restore it afterwards.

    A build allocates millions of small objects (tokens, terms, triples) and keeps most of
    them: each automatic collection then walks everything allocated so far, which made a
    build ~40% slower. Reference counting still frees what is dropped; the cycles made in
    the meantime are collected when the collector runs again.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build(
    store: Store,
    *,
    notes_dir: Path,
    iris: Iris | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    prune: bool = True,
    progress: Progress | None = None,
    now: datetime | None = None,
    files: Iterable[Path] | None = None,
    activity: str = "build",
    exclusive: bool = False,
    run_qc: bool = True,
    workers: int | None = None,
) -> BuildResult:
    """Compile, validate and load every note in ``notes_dir``; recompute registry and inference.

    ``now`` (default: the clock) is the build's time: ``dcterms:modified`` of written notes and
    the run's IRI and start time. ``files`` (default: every ``*.md`` under ``notes_dir``)
    chooses the notes; ``prune=False`` keeps stored notes that are not among them (what
    ``intimacy-graph import`` does). ``activity`` labels the run's provenance record. How
    atomic the writes are depends on the store (module docstring). ``exclusive=True`` says
    that nobody else reads or writes an Oxigraph ``store`` during the build (the CLI's case):
    it is then written with the bulk loader into a checkpoint that is swapped in at the end
    (:meth:`OxigraphStore.bulk_replace`, all-or-nothing as well), and the notes of a big
    build are compiled and validated by ``workers`` processes (default: two when the
    machine has two CPUs and there are :data:`intimacy_graph.buildpool.MIN_NOTES` notes or
    more; ``progress`` then advances as they finish). ``run_qc=False`` skips the QC checks,
    which read the whole store (``result.qc_ran`` says so).
    """
    with no_cyclic_gc():
        return _build(
            store,
            notes_dir=notes_dir,
            iris=iris or Iris(),
            max_bytes=max_bytes,
            prune=prune,
            progress=progress,
            now=now,
            files=files,
            activity=activity,
            exclusive=exclusive,
            run_qc=run_qc,
            workers=workers,
        )


def _build(
    store: Store,
    *,
    notes_dir: Path,
    iris: Iris,
    max_bytes: int,
    prune: bool,
    progress: Progress | None,
    now: datetime | None,
    files: Iterable[Path] | None,
    activity: str,
    exclusive: bool,
    run_qc: bool,
    workers: int | None,
) -> BuildResult:
    started = time.perf_counter()
    stored = {str(r["g"]): r for r in store.select(queries.load("list_stored_notes"))}
    hashes = [str(r["hash"]) for r in stored.values()]
    if now is None:
        run = iris.run(run_id(datetime.now(UTC), hashes))
        now = datetime.now(UTC).replace(microsecond=0)
    else:
        run = iris.run(run_id(now, hashes))
    lap = time.perf_counter()
    if files is None:
        files = (p for p in notes_dir.rglob("*.md") if p.is_file())
    files = sorted(files)
    bulk = exclusive and isinstance(store, OxigraphStore) and store.path is not None
    if workers is None:
        workers = buildpool.usable() if len(files) >= buildpool.MIN_NOTES else 0
    if bulk and workers:
        assert isinstance(store, OxigraphStore)
        job = buildpool.Job(
            store, iris, notes_dir, files, run, now, max_bytes, prune, activity, progress
        )
        result, compiled_at, validated_at = buildpool.build_pooled(job, stored, workers)
    else:
        result, compiled_at, validated_at = _build_serial(
            store,
            iris,
            notes_dir,
            files,
            run,
            now,
            max_bytes,
            prune,
            activity,
            stored,
            bulk,
            progress,
        )
    _flush(store)
    written_at = time.perf_counter()
    result.stats = stats(store)
    if run_qc:
        result.qc = qc.run_qc(store, registry_graph_iri=str(iris.registry_graph))
    result.qc_ran = run_qc
    result.seconds = time.perf_counter() - started
    result.timings = {
        "prepare": lap - started,
        "compile": compiled_at - lap,
        "validate": validated_at - compiled_at,
        "write": written_at - validated_at,
        "qc": started + result.seconds - written_at,
    }
    return result


def _build_serial(
    store: Store,
    iris: Iris,
    notes_dir: Path,
    files: list[Path],
    run: URIRef,
    now: datetime,
    max_bytes: int,
    prune: bool,
    activity: str,
    stored: dict[str, Row],
    bulk: bool,
    progress: Progress | None,
) -> tuple[BuildResult, float, float]:
    """Every step in this process: ``(result, time compiled, time validated)``."""
    report = Report()
    compiled, rejected = compile_folder(
        notes_dir,
        iris,
        run=run,
        now=now,
        max_bytes=max_bytes,
        report=report,
        progress=progress,
        files=files,
    )
    in_folder = {str(iris.note_graph(c.slug)) for c in compiled}
    kept_elsewhere, removed = stored_elsewhere(stored, in_folder, rejected, notes_dir, prune)
    kept = [encode_note(note, iris, run=run, modified=now) for note in kept_elsewhere]

    # SHACL: validate each note with the registry it would be loaded with.
    compiled_at = time.perf_counter()
    registry = build_registry([*compiled, *kept], iris)
    index = RegistryIndex(registry)
    valid: list[CompiledNote] = []
    for c in compiled:
        diags = validate_compiled(c, index)
        report.extend(diags)
        if any(d.severity is Severity.ERROR for d in diags):
            rejected.append(c.note.file)
        else:
            valid.append(c)
    if len(valid) != len(compiled):
        registry = build_registry([*valid, *kept], iris)

    result = BuildResult(report=report, rejected=rejected, run=str(run))
    validated_at = time.perf_counter()
    changed: dict[URIRef, Graph] = {}
    for c in valid:
        g = iris.note_graph(c.slug)
        previous = stored.get(str(g))
        if previous is not None and str(previous["hash"]) == c.note.content_hash:
            result.unchanged.append(c.slug)
        else:
            changed[g] = c.graph
            result.loaded.append(c.slug)
    result.removed = [str(g).rsplit("/", 1)[-1] for g in removed]
    graphs: dict[URIRef, Graph] = {
        iris.ontology_graph: load_ontology(),
        iris.registry_graph: registry,
        **changed,
    }
    record = provenance_graph(run, now, [*changed], removed, activity)
    extra = [insert_data(iris.changes_graph, record)] if changed or removed else []
    if isinstance(store, OxigraphStore):
        # The rules evaluated in Python (intimacy_graph.closure, tested equal to the SPARQL
        # rules): the inferred graph is written in the same transaction as the data, and no
        # rule pass runs inside the store.
        data = data_after(store, iris, graphs, drop=removed)
        if extra:
            data |= set(record)
        inferred, generations = closure.infer(data, closure.Schema.of(graphs[iris.ontology_graph]))
        if bulk:
            quads = nquads(
                {
                    **graphs,
                    iris.inferred_graph: inferred,
                    **({iris.changes_graph: record} if extra else {}),
                }
            )
            store.bulk_replace(quads, drop=[*graphs, *removed, iris.inferred_graph])
        else:
            store.replace_graphs(
                {**graphs, iris.inferred_graph: graph_of(inferred)}, drop=removed, then=extra
            )
        result.inference_rounds = generations
    else:
        rebuilt = inference.rebuild(
            store,
            str(iris.inferred_graph),
            ontology_graph_iri=str(iris.ontology_graph),
            graphs=graphs,
            drop=[*removed, iris.inferred_graph],
            extra=extra,
        )
        result.inference_rounds = rebuilt.rounds
    return result, compiled_at, validated_at


def stored_elsewhere(
    stored: dict[str, Row], in_folder: set[str], rejected: list[str], notes_dir: Path, prune: bool
) -> tuple[list[Note], list[URIRef]]:
    """The stored notes a build does not read: ``(kept, removed)``. Kept notes (``prune`` is
    off, or their file was rejected) are parsed again so their spellings count in the
    registry; the others are removed."""
    rejected_slugs = _slugs_of(rejected, notes_dir)
    kept: list[Note] = []
    removed: list[URIRef] = []
    for g, row in stored.items():
        if g in in_folder:
            continue
        slug = g.rsplit("/", 1)[-1]
        if prune and slug not in rejected_slugs:
            removed.append(URIRef(g))
        else:  # keep it, and let its spellings count in the registry
            kept.append(parse_note(str(row["markdown"]), str(row["source"])))
    return kept, removed


def reinfer(store: Store, iris: Iris, *, extra: Iterable[str] = ()) -> int:
    """Rebuild ``graph:inferred`` and run the ``extra`` updates, then run the rules again until
    they add nothing. Returns the number of inferred triples.

    On Oxigraph the rebuild's first pass and ``extra`` are one transaction; on a remote store
    they are several requests, not atomic (:func:`intimacy_graph.inference.rebuild`).
    """
    return inference.rebuild(
        store,
        str(iris.inferred_graph),
        ontology_graph_iri=str(iris.ontology_graph),
        extra=extra,
    ).triples


def _flush(store: Store) -> None:
    """Flush an embedded store to disk (a remote store commits each request itself)."""
    flush = getattr(store, "flush", None)
    if callable(flush):
        flush()


def insert_data(graph: URIRef, data: Graph) -> str:
    """An ``INSERT DATA`` operation for ``data`` into ``graph`` (terms serialised as N-Triples)."""
    body = ntriples(data)
    return f"INSERT DATA {{ GRAPH {graph.n3()} {{\n{body}\n}} }}"


def _slugs_of(files: list[str], notes_dir: Path) -> set[str]:
    slugs = set()
    for file in files:
        note, _ = read_note(notes_dir / file, notes_dir)
        if note is not None:
            slugs.add(note.slug)
    return slugs


def data_after(
    store: OxigraphStore,
    iris: Iris,
    graphs: Mapping[URIRef, Iterable[tuple[Node, Node, Node]]],
    *,
    drop: list[URIRef],
) -> set[tuple[Node, Node, Node]]:
    """Every data triple the store will hold once ``graphs`` replace theirs and ``drop`` is
    gone: what the inference rules read (all named graphs but the ontology and the inferred)."""
    skip = {str(g) for g in [*graphs, *drop, iris.ontology_graph, iris.inferred_graph]}
    memo: dict[object, Node] = {}

    def term(t: object) -> Node:
        found = memo.get(t)
        if found is None:
            found = memo[t] = to_rdflib(t)
        return found

    data: set[tuple[Node, Node, Node]] = set()
    for quad in store.raw.quads_for_pattern(None, None, None, None):
        g = quad.graph_name
        if isinstance(g, pyoxigraph.DefaultGraph) or g.value in skip:
            continue
        data.add((term(quad.subject), term(quad.predicate), term(quad.object)))
    for name, graph in graphs.items():
        if name != iris.ontology_graph:
            data.update(graph)
    return data


def provenance_graph(
    run: URIRef,
    now: datetime,
    written: list[URIRef],
    removed: list[URIRef],
    activity: str = "build",
) -> Graph:
    g = Graph()
    g.add((run, RDF.type, PROV.Activity))
    g.add((run, RDFS.label, Literal(activity)))
    g.add((run, PROV.startedAtTime, Literal(now.isoformat(), datatype=XSD.dateTime)))
    for graph in written:
        g.add((run, PROV.generated, graph))
    for graph in removed:
        g.add((run, PROV.invalidated, graph))
    g.add(
        (
            run,
            DCTERMS.description,
            Literal(f"{len(written)} note graph(s) written, {len(removed)} removed"),
        )
    )
    return g


def stats(store: Store) -> dict[str, int]:
    """Counts of concepts, notes, statements, works and studies, and ``triples`` (``len``)."""
    rows = store.select(queries.load("count_stats"))
    counts = {k: int(str(v)) for k, v in rows[0].items()} if rows else {}
    counts["triples"] = len(store)
    return counts


_provenance_graph = provenance_graph  # the name bench/generate.py uses
