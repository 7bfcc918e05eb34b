"""The running service: one writer, consistent snapshots for readers, SPARQL workers.

Writes go to the primary store under one lock, each as one transaction, then the inference
rules are re-applied, then a new snapshot (``Store.backup()``: hard links, milliseconds) is
published.  Every reader — the worker processes behind ``/sparql`` and the in-process reader
behind the REST API — opens only published snapshots, so none ever sees a half-applied write
or stale inference beside new data (DESIGN.md §3).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import logging
import multiprocessing
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef

from intimacy_graph import queries
from intimacy_graph.config import Settings
from intimacy_graph.errors import (
    IntimacyGraphError,
    NotFoundError,
    PreconditionFailedError,
    QueryRefusedError,
    StoreError,
    StoreUnavailableError,
    UnusableInputError,
)
from intimacy_graph.keys import ApiKey, KeyRing
from intimacy_graph.namespaces import DCTERMS, PROV, Iris
from intimacy_graph.search import MAX_INCREMENTAL, ConceptIndex, index_of_snapshot
from intimacy_graph.sparql_guard import Inspection, inspect
from intimacy_graph.sparql_workers import QueryJob, QueryOutput, WorkerPool, cap_result
from intimacy_graph.store import OxigraphStore

_log = logging.getLogger(__name__)

if TYPE_CHECKING:  # the write path's modules load on the first write, not at start-up
    from intimacy_graph import editing
    from intimacy_graph.store.sparql import RemoteStore


#: From this many named graphs (about 30,000 concepts: one note graph per 33) the full index
#: build runs in a child process (see :meth:`Service._rebuild_index`).
INDEX_IN_CHILD_MIN_GRAPHS = 1_000


@dataclass
class WriteOutcome:
    """What a write did (or, for a dry run or a refused entry, would do)."""

    check: editing.EntryCheck
    plan: editing.WritePlan | None = None
    committed: bool = False
    unchanged: bool = False


@dataclass(frozen=True)
class Snapshot:
    """A published state: ``path`` is the read-only copy (``None`` on a remote store, which
    readers query directly)."""

    generation: int
    path: Path | None


class Service:
    """Everything a request handler needs, created once per app by ``create_app``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.iris = Iris(settings.base_iri)
        self.keys = KeyRing(settings.keys_file)
        self._write_lock = threading.Lock()
        self._snap_lock = threading.Lock()
        self.remote = settings.backend == "sparql"
        self.primary: Any = None  # OxigraphStore, or RemoteStore when remote
        self.reader: Any = None
        self.snapshot: Snapshot | None = None
        self._known_graphs: frozenset[str] = frozenset()
        self.workers = WorkerPool(settings.query_workers, timeout_s=settings.query_timeout_s)
        self.index: ConceptIndex | None = None
        self.ready = False
        self._reopen_before_write = False
        #: Readers replaced by a newer snapshot: (when, generation, reader), closed later.
        self._retired: list[tuple[float, int, Any]] = []
        #: Remote backend: what graph:changes looked like at the last check (activities, latest
        #: start), the activities this replica recorded since, and the task that checks.
        self._marker: tuple[int, str] | None = None
        self._own_writes = 0
        self._follower: asyncio.Task[None] | None = None
        self._index_thread: threading.Thread | None = None

    # -- life cycle ------------------------------------------------------------------------
    def open(self) -> None:
        """Open (or build, on first start) the store and publish the first snapshot."""
        self.primary = (
            self._remote_store() if self.remote else OxigraphStore(self.settings.store_dir)
        )
        notes = str(self.iris.graph("note/"))
        if not any(g.startswith(notes) for g in _graph_names(self.primary)):
            from intimacy_graph import build as building

            building.build(
                self.primary,
                notes_dir=self.settings.notes_dir,
                iris=self.iris,
                max_bytes=self.settings.max_note_bytes,
            )
        if not self.remote:
            snapshots = self.settings.snapshots_dir
            shutil.rmtree(snapshots, ignore_errors=True)
            snapshots.mkdir(parents=True)
        elif self.settings.remote_poll_s > 0:
            self._marker = self._change_marker()  # before publishing: nothing slips between
        self._publish(index="background")

    def _remote_store(self) -> RemoteStore:
        from intimacy_graph.store.sparql import RemoteStore

        settings = self.settings
        if not settings.query_endpoint:
            raise StoreUnavailableError("The sparql backend needs a query endpoint URL.")
        if settings.remote_flavour == "virtuoso":
            return RemoteStore.virtuoso(
                settings.update_endpoint or settings.query_endpoint,
                user=settings.remote_user,
                password=settings.remote_password,
                timeout_s=settings.query_timeout_s,
            )
        return RemoteStore(
            settings.query_endpoint,
            settings.update_endpoint,
            timeout_s=settings.query_timeout_s,
            user=settings.remote_user,
            password=settings.remote_password,
            graph_namespace=settings.base_iri,
        )

    async def start(self) -> None:
        """Open the store and start the SPARQL workers at the same time (each worker is a fresh
        interpreter that takes longer to boot than the store takes to open)."""
        if self.remote:
            await asyncio.to_thread(self.open)
            if self.settings.remote_poll_s > 0:
                self._follower = asyncio.create_task(self._follow_remote())
        else:
            try:
                await asyncio.gather(asyncio.to_thread(self.open), self.workers.start())
            except BaseException:
                await self.workers.close()
                raise
        self.ready = True

    async def close(self) -> None:
        self.ready = False
        if self._follower is not None:
            self._follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follower
            self._follower = None
        if not self.remote:
            await self.workers.close()
        self._close_retired(everything=True)
        with self._snap_lock:
            if self.reader is not None and self.reader is not self.primary:
                self.reader.close()
            self.reader = None
        if self.primary is not None:
            self.primary.close()
            self.primary = None

    # -- snapshots -------------------------------------------------------------------------
    def _publish(self, index: str = "now", changed: Iterable[Graph] | None = None) -> None:
        """Publish a snapshot of the primary store and bring the search index to it: now (a
        write), or in the background (start-up).  ``changed`` holds every triple the write
        added or removed, when it knows them: then only the concepts they mention are read
        again (:meth:`ConceptIndex.updated`) instead of the whole index."""
        assert self.primary is not None
        self.primary.flush()
        generation = (self.snapshot.generation + 1) if self.snapshot else 1
        if self.remote:  # the remote server is the one consistent store: read it directly
            if index == "now":
                self._own_writes += 1  # each write records one activity in graph:changes
            with self._snap_lock:
                self.reader = self.primary
                self.snapshot = Snapshot(generation, None)
                self._known_graphs = frozenset(_graph_names(self.primary))
            self._index_later(index, self.primary, generation, changed)
            return
        path = self.settings.snapshots_dir / f"{generation:08d}"
        self.primary.raw.backup(str(path))
        reader = OxigraphStore(path, read_only=True)
        with self._snap_lock:
            old, old_generation = self.reader, self.snapshot.generation if self.snapshot else 0
            self.reader = reader
            self.snapshot = Snapshot(generation, path)
            self._known_graphs = frozenset(_graph_names(reader))
            if old is not None:
                # A request that took the old reader just before the swap may still be using
                # it: retire it, and close it (and delete its folder) after a grace period.
                self._retired.append((time.monotonic(), old_generation, old))
        self._close_retired()
        self._prune_snapshots()
        self._index_later(index, reader, generation, changed)

    def _index_later(
        self, index: str, reader: Any, generation: int, changed: Iterable[Graph] | None = None
    ) -> None:
        if index == "now":
            self._refresh_index(reader, generation, changed)
        else:
            self._index_thread = threading.Thread(
                target=self._rebuild_index,
                args=(reader, generation),
                daemon=True,
                name="concept-index",
            )
            self._index_thread.start()

    # -- the remote backend: following other replicas' writes ------------------------------
    def _change_marker(self) -> tuple[int, str]:
        """(activities in graph:changes, the latest start) — every write through the service,
        on any replica, records one activity there."""
        assert self.primary is not None
        rows = self.primary.select_text(
            queries.load("change_marker"), {"changes": self.iris.changes_graph}
        )
        return (int(rows[0].get("n", 0)), rows[0].get("last", "")) if rows else (0, "")

    async def _follow_remote(self) -> None:
        """Every ``remote_poll_s`` seconds, :meth:`catch_up` (a failed check is retried at the
        next one: the store may be away for a while)."""
        while True:
            await asyncio.sleep(self.settings.remote_poll_s)
            try:
                await asyncio.to_thread(self.catch_up)
            except IntimacyGraphError as exc:  # the store is away or refused: next time
                _log.warning("checking the store for other replicas' writes failed: %s", exc)
            except Exception:  # noqa: BLE001 - a bug: logged in full, and the loop goes on
                _log.exception("checking the store for other replicas' writes failed")

    def catch_up(self) -> bool:
        """Publish again when graph:changes shows writes this replica did not make (another
        replica's): the list of graphs (what FROM may name) at once, the search index rebuilt
        in the background. True when it did. A change that arrives while the previous rebuild
        still runs is taken up at the next check."""
        with self._write_lock:  # our own writes and their count stay out of the way
            marker = self._change_marker()
            own = self._own_writes
            previous = self._marker
            if previous is not None:
                added = marker[0] - previous[0]
                if added == own and (own > 0 or marker[1] == previous[1]):
                    self._marker, self._own_writes = marker, 0
                    return False  # only our own writes, already published
            if self._index_thread is not None and self._index_thread.is_alive():
                return False  # still building: the same difference is seen next time
            self._marker, self._own_writes = marker, 0
            self._publish(index="background")
            return True

    def _refresh_index(self, reader: Any, generation: int, changed: Iterable[Graph] | None) -> None:
        """Update the previous generation's index with the concepts ``changed`` mentions;
        rebuild it when the change is unknown (a SPARQL Update, a Graph Store write), touches
        more than :data:`~intimacy_graph.search.MAX_INCREMENTAL` concepts, or there is no
        previous index (still being built at start-up)."""
        with self._snap_lock:
            base = self.index
        if changed is not None and base is not None and base.generation == generation - 1:
            touched = self._concepts_in(base, changed)
            if touched is not None:
                index = base.updated(reader, touched, generation)
                with self._snap_lock:
                    if self.index is None or self.index.generation < generation:
                        self.index = index
                del base, index
                settle_heap()
                return
        self._rebuild_index(reader, generation)

    def _concepts_in(self, index: ConceptIndex, graphs: Iterable[Graph]) -> set[str] | None:
        """IRIs of the concepts (in our namespace, or already indexed) that the triples of
        ``graphs`` mention as subject or object; ``None`` when there are too many."""
        namespace = str(self.iris.concept(""))
        labels = index.labels
        found: set[str] = set()
        for graph in graphs:
            for s, _p, o in graph:
                for node in (s, o):
                    if isinstance(node, URIRef) and node not in found:
                        iri = str(node)
                        if iri.startswith(namespace) or iri in labels:
                            found.add(iri)
            if len(found) > MAX_INCREMENTAL:
                return None
        return found

    def _rebuild_index(self, reader: Any, generation: int) -> None:
        """Build the search index of ``generation`` and swap it in (unless a newer one won).

        On a big embedded store (:data:`INDEX_IN_CHILD_MIN_GRAPHS`) the index is built in a
        child process from the snapshot's folder and sent back (19 MB pickled at 100k
        concepts): the full scan's memory (RocksDB fills ~80 MB, and the build's garbage) ends
        with that process, and its seconds of Python do not hold this process's GIL while it
        serves.  A small store's index is built here: faster than starting a process."""
        index = None
        big = len(self._known_graphs) >= INDEX_IN_CHILD_MIN_GRAPHS
        if big and isinstance(reader, OxigraphStore) and reader.path is not None:
            index = _index_in_child(reader.path, generation, str(self.iris.registry_graph))
        if index is None:
            index = ConceptIndex.from_store(
                reader, generation, registry=str(self.iris.registry_graph)
            )
        with self._snap_lock:
            if self.index is None or self.index.generation < generation:
                self.index = index
        del index
        settle_heap()
        release_free_memory()  # what the replaced index held

    def _close_retired(self, *, everything: bool = False) -> None:
        grace = self.settings.query_timeout_s + 5
        now = time.monotonic()
        with self._snap_lock:
            due = [r for r in self._retired if everything or now - r[0] > grace]
            self._retired = [r for r in self._retired if r not in due]
        for _, _, reader in due:
            reader.close()

    def _prune_snapshots(self) -> None:
        assert self.snapshot is not None
        with self._snap_lock:
            retired = {generation for _, generation, _ in self._retired}
        in_use = self.workers.generations_in_use | {self.snapshot.generation} | retired
        oldest = min(g for g in in_use if g >= 0) if in_use else self.snapshot.generation
        for folder in self.settings.snapshots_dir.iterdir():
            with contextlib.suppress(ValueError):
                if int(folder.name) < oldest:
                    shutil.rmtree(folder, ignore_errors=True)

    @property
    def known_graphs(self) -> frozenset[str]:
        return self._known_graphs

    # -- reads -----------------------------------------------------------------------------
    def check_query(self, text: str, base: str | None = None) -> Inspection:
        if len(text.encode("utf-8")) > self.settings.max_query_bytes:
            raise QueryRefusedError(
                f"The query is longer than {self.settings.max_query_bytes:,} bytes.",
                code="query-too-large",
            )
        return inspect(
            text,
            known_graphs=self.known_graphs,
            max_depth=self.settings.max_query_depth,
            base=base,
        )

    async def query(
        self,
        text: str,
        fmt: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
    ) -> QueryOutput:
        """Run a public query in a worker, over the current snapshot."""
        snapshot = self.snapshot
        assert snapshot is not None
        if self.remote:
            if default_graphs is not None or named_graphs is not None:
                raise QueryRefusedError(
                    "default-graph-uri and named-graph-uri are not supported on the remote "
                    "backend; use FROM / FROM NAMED with graphs of the store.",
                    code="dataset-not-supported",
                )
            reader = self.reader
            max_rows = self.settings.max_rows
            return await asyncio.to_thread(
                lambda: cap_result(reader.engine_result(text), fmt, max_rows)
            )
        assert snapshot.path is not None
        for iri in [*(default_graphs or []), *(named_graphs or [])]:
            if iri not in self.known_graphs:
                raise QueryRefusedError(
                    f"<{iri}> names no graph of this store; this endpoint never fetches "
                    "remote data.",
                    code="remote-dataset-refused",
                    iri=iri,
                )
        job = QueryJob(
            text,
            fmt,
            str(snapshot.path),
            snapshot.generation,
            self.settings.max_rows,
            tuple(default_graphs) if default_graphs is not None else None,
            tuple(named_graphs) if named_graphs is not None else None,
            base_iri,
        )
        return await self.workers.run(job)

    # -- writes ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """The write lock.  After a failed write to the embedded store (a full disk, say)
        RocksDB refuses every later write until the store is reopened; the failed transaction
        left nothing behind.  So the next write reopens it first — by then space may be free."""
        with self._write_lock:
            if self._reopen_before_write:
                self._reopen_primary()
            try:
                yield
            except (StoreError, OSError):
                if not self.remote:
                    self._reopen_before_write = True
                raise

    def _reopen_primary(self) -> None:
        with contextlib.suppress(OSError, StoreError):
            self.primary.close()
        gc.collect()  # drop the last reference to the old RocksDB handle (and its lock)
        self.primary = OxigraphStore(self.settings.store_dir)  # StoreError: still unusable
        self._reopen_before_write = False

    def update(self, text: str, key: ApiKey, base_iri: str | None = None) -> None:
        """Apply a SPARQL Update (already checked) as one transaction, re-infer, publish."""
        with self._writing():
            assert self.primary is not None
            self.primary.update(text, base_iri=base_iri)
            self._after_write("sparql-update", key, text)

    def replace_graph(
        self, graph: URIRef | None, data: Graph, key: ApiKey, *, merge: bool = False
    ) -> None:
        """Graph Store Protocol PUT (replace) or POST (merge); ``None`` = the default graph."""
        with self._writing():
            assert self.primary is not None
            self.primary.write_graph(graph, data, replace=not merge)
            self._after_write("graph-store-" + ("post" if merge else "put"), key, str(graph))

    def drop_graph(self, graph: URIRef | None, key: ApiKey) -> bool:
        with self._writing():
            assert self.primary is not None
            existed = bool(self.primary.has_graph(graph))
            if existed:
                self.primary.write_graph(graph, Graph(), replace=True, drop=True)
                self._after_write("graph-store-delete", key, str(graph))
            return existed

    def _after_write(self, what: str, key: ApiKey, detail: str) -> None:
        from intimacy_graph import build as building

        assert self.primary is not None
        now = datetime.now(UTC)
        run = self.iris.run(building.run_id(now, [what, detail, key.id]))
        record = Graph()
        record.add((run, RDF.type, PROV.Activity))
        record.add((run, RDFS.label, Literal(what)))
        record.add((run, PROV.startedAtTime, Literal(now.isoformat(), datatype=XSD.dateTime)))
        record.add((run, DCTERMS.creator, Literal(f"key:{key.id}")))
        record.add((run, RDFS.comment, Literal(detail[:10_000])))
        building.reinfer(
            self.primary, self.iris, extra=[building.insert_data(self.iris.changes_graph, record)]
        )
        self._publish()

    # -- entries: validate, write, deprecate (DESIGN.md §3, §6) ----------------------------
    def _ontology(self) -> Graph:
        assert self.primary is not None
        ontology: Graph = self.primary.graph(self.iris.ontology_graph)
        return ontology

    def validate_entry(self, data: bytes, media_type: str, slug: str | None = None) -> Any:
        """Check an entry against the current snapshot; nothing is written."""
        from intimacy_graph import editing

        with self._snap_lock:
            reader = self.reader
        return editing.validate_entry(
            reader,
            data,
            media_type,
            self.iris,
            slug=slug,
            max_bytes=self.settings.max_note_bytes,
        )

    def write_entry(
        self,
        data: bytes,
        media_type: str,
        key: ApiKey,
        *,
        slug: str | None = None,
        if_match: str | None = None,
        dry_run: bool = False,
        activity: str = "write",
    ) -> WriteOutcome:
        """Validate then commit an entry in one transaction (or only plan it: ``dry_run``).

        Checked under the write lock against the primary store, so what is validated is what
        the write lands on.  ``if_match`` (a note's ETag, or ``*``) makes the write conditional
        on the note's current version: :class:`PreconditionFailedError` otherwise.
        """
        from intimacy_graph import editing

        with self._writing():
            assert self.primary is not None
            now = datetime.now(UTC)  # microseconds: versions written in one second stay ordered
            check = editing.validate_entry(
                self.primary,
                data,
                media_type,
                self.iris,
                slug=slug,
                max_bytes=self.settings.max_note_bytes,
                now=now,
            )
            if not check.conforms:
                return WriteOutcome(check)
            if if_match is not None:
                for compiled in check.notes:
                    self._check_precondition(compiled.slug, if_match)
            stored = {
                c.slug: editing.stored_note(self.primary, self.iris, c.slug) for c in check.notes
            }
            if all(
                (old := stored[c.slug]) is not None and old.hash == c.note.content_hash
                for c in check.notes
            ):
                return WriteOutcome(check, unchanged=True)
            plan = editing.plan_write(
                self.primary,
                self.iris,
                check.notes,
                activity=activity,
                key_id=key.id,
                now=now,
                ontology=self._ontology(),
            )
            if dry_run:
                return WriteOutcome(check, plan)
            editing.apply_plan(self.primary, plan, self.iris)
            self._publish(changed=_plan_graphs(plan))
            return WriteOutcome(check, plan, committed=True)

    def _check_precondition(self, slug: str, if_match: str) -> None:
        from intimacy_graph import editing

        current = editing.stored_note(self.primary, self.iris, slug)
        wanted = {t.strip() for t in if_match.split(",") if t.strip()}
        if "*" in wanted:
            if current is None:
                raise PreconditionFailedError(
                    f"If-Match: * but there is no note {slug!r} yet.", slug=slug
                )
            return
        tags = {t.removeprefix("W/") for t in wanted}
        if current is None or editing.etag_of(current.hash) not in tags:
            raise PreconditionFailedError(
                f"Note {slug!r} changed since the version you read (If-Match {if_match}); "
                "read it again and reapply your edit.",
                slug=slug,
                current_etag=editing.etag_of(current.hash) if current else None,
            )

    def deprecate(self, slug: str, key: ApiKey, replaced_by: str | None = None) -> dict[str, Any]:
        """Mark a concept ``owl:deprecated`` (``dcterms:isReplacedBy`` another) in
        ``graph:curated``: its notes, statements and history stay."""
        from intimacy_graph import editing

        with self._writing():
            assert self.primary is not None
            registry = self.iris.registry_graph
            text = queries.load("get_concept_record")
            if not self.primary.select(text, {"registry": registry, "c": self.iris.concept(slug)}):
                raise NotFoundError(f"There is no concept {slug!r}.", slug=slug)
            if replaced_by is not None:
                if replaced_by == slug:
                    raise UnusableInputError(
                        "A concept cannot be replaced by itself.", code="bad-replacement"
                    )
                other = self.iris.concept(replaced_by)
                if not self.primary.select(text, {"registry": registry, "c": other}):
                    raise UnusableInputError(
                        f"There is no concept {replaced_by!r} to replace {slug!r} with.",
                        code="unknown-concept",
                        replaced_by=replaced_by,
                    )
            now = datetime.now(UTC).replace(microsecond=0)
            plan = editing.plan_deprecation(
                self.primary,
                self.iris,
                slug,
                replaced_by,
                key_id=key.id,
                now=now,
                ontology=self._ontology(),
            )
            editing.apply_deprecation(self.primary, plan, self.iris)
            self._publish(changed=[plan.added, plan.inferred_removed, plan.inferred_added])
            return {
                "concept": str(self.iris.concept(slug)),
                "deprecated": True,
                "replaced_by": str(self.iris.concept(replaced_by)) if replaced_by else None,
            }


def _plan_graphs(plan: editing.WritePlan) -> list[Graph]:
    """Every graph a write replaces, adds or removes triples from (old and new content)."""
    graphs = [plan.registry_removed, plan.registry_added, plan.inferred_removed]
    graphs.append(plan.inferred_added)
    for old, new in plan.notes.values():
        graphs += [old, new]
    return graphs


def _graph_names(store: Any) -> Iterator[str]:
    """The IRIs of ``store``'s named graphs, unordered (on the embedded store straight from
    pyoxigraph: no rdflib terms, no sorting — thousands of note graphs at 100k concepts)."""
    if isinstance(store, OxigraphStore):
        for graph in store.raw.named_graphs():
            if isinstance(graph, ox.NamedNode):
                yield graph.value
        return
    for graph in store.named_graphs():
        yield str(graph)


def settle_heap() -> None:
    """Collect, then freeze what is left out of the cyclic collector's sight.

    The search index is kept in long lists (at 100k concepts, millions of items): a full
    collection walks every item, 46 ms during which no request moves — measured in the main
    process at 100k, and it came whenever enough request garbage had survived, landing on the
    slowest requests. Frozen objects are still freed by reference counting; the next call
    unfreezes first, so cyclic garbage frozen by mistake lasts one index version at most.
    Called after each new index version (start-up, every write)."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def release_free_memory() -> None:
    """Give memory the process has freed back to the OS.  glibc's allocator keeps what RocksDB
    and Python free after a big scan (``malloc_trim`` returns it); elsewhere this does
    nothing."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def _index_in_child(path: Path, generation: int, registry: str) -> ConceptIndex | None:
    """:func:`~intimacy_graph.search.index_of_snapshot` run in a fresh process; ``None`` if
    no process could be started or it died (the caller then builds the index itself)."""
    context = multiprocessing.get_context("spawn")
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            return pool.submit(index_of_snapshot, str(path), generation, registry).result()
    except (OSError, BrokenProcessPool):
        return None
