"""The per-note work of a big build in worker processes (issue #5: import ≥ 100 notes/s).

Reading, parsing, encoding, SHACL and the inference rules take ~10 ms of CPU per note, and the
notes do not depend on each other except through the registry. :class:`Workers` splits the
notes of one build between processes that keep what they compiled between two steps:

1. :meth:`Workers.compile`: read, parse and encode each note (into a plain list of triples,
   :func:`intimacy_graph.encode.encode_note_triples`); return its diagnostics, what the
   registry needs (spellings, works), its graph as N-Quads and the triples the rules could
   also conclude as N-Triples lines (no rdflib objects cross a process boundary: unpickling
   them cost more than making them). The notes go out in chunks of :data:`CHUNK`, the next
   to whichever worker answers first, and the main process loads the N-Quads of each chunk
   into the checkpoint as they come back (:class:`_Feeder`);
2. :meth:`Workers.validate`: with the registry rebuilt from everybody's spellings, validate
   each note as :func:`intimacy_graph.build.validate_compiled` does and, for a note that will
   be written, compute what the rules conclude from its triples, each conclusion with its
   generation (:func:`intimacy_graph.closure.depths`).

What runs in the workers is :mod:`intimacy_graph.buildworker`.

The rules read one triple each, so the conclusions of all notes together are the union of
each note's, and a conclusion's generation is the smallest any note gives it:
:func:`intimacy_graph.build.build` merges them into exactly the inferred graph that
:func:`intimacy_graph.closure.infer` computes over everything (tested equal).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import queue
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph
from rdflib import URIRef

from intimacy_graph import buildworker, closure
from intimacy_graph.buildworker import Checked, Compiled, Lines, TextTriple
from intimacy_graph.diagnostics import Diagnostic, Report, Severity
from intimacy_graph.encode import (
    EncodedNote,
    RegistryPlan,
    encode_note_triples,
    registry_plan,
    registry_text,
)
from intimacy_graph.namespaces import Iris
from intimacy_graph.store.base import Row
from intimacy_graph.store.oxigraph import BulkWrite, OxigraphStore, nquads

if TYPE_CHECKING:
    from intimacy_graph.build import BuildResult, Progress

#: Fewer notes than this are compiled in the calling process: starting workers costs ~0.5 s.
MIN_NOTES = 300
#: Notes a worker compiles per request (it asks for more when it answers).
CHUNK = 50
#: N-Quads collected before the main process loads them into the checkpoint.
FEED_BYTES = 48 << 20


def usable() -> int:
    """How many worker processes pay on this machine (0: compile in the calling process)."""
    if not sys.platform.startswith("linux"):  # forking a process with threads: Linux only
        return 0
    return 2 if len(os.sched_getaffinity(0)) >= 2 else 0


class Workers:
    """Worker processes, each owning a contiguous share of the notes of one build."""

    def __init__(self, count: int) -> None:
        # fork: the workers start in milliseconds with everything imported and the shapes
        # compiled, and never touch the store this process has open.
        context = multiprocessing.get_context("fork")
        self._pipes: list[Connection] = []
        self._procs: list[Any] = []
        for _ in range(count):
            mine, theirs = context.Pipe()
            # A forked worker inherits this process's end of every pipe made so far; it
            # closes them, or it would never see end-of-file when this process dies.
            inherited = [*self._pipes, mine]
            proc = context.Process(
                target=buildworker.serve, args=(theirs, inherited, os.getpid()), daemon=True
            )
            proc.start()
            theirs.close()
            self._pipes.append(mine)
            self._procs.append(proc)

    def close(self) -> None:
        for pipe in self._pipes:
            with contextlib.suppress(OSError):
                pipe.send(("stop",))
            pipe.close()
        for proc in self._procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, messages: Sequence[tuple[Any, ...]]) -> None:
        for pipe, message in zip(self._pipes, messages, strict=True):
            pipe.send(message)

    def _receive(self) -> list[Any]:
        return [self._answer(pipe) for pipe in self._pipes]

    @staticmethod
    def _answer(pipe: Connection) -> Any:
        try:
            kind, value = pipe.recv()
        except EOFError:
            raise RuntimeError("a build worker process died (out of memory?)") from None
        if kind == "error":
            if isinstance(value, BaseException):
                raise value
            raise RuntimeError(f"a build worker failed:\n{value}")
        return value

    def compile(
        self,
        notes_dir: Path,
        files: list[Path],
        iris: Iris,
        *,
        run: URIRef,
        now: datetime,
        max_bytes: int,
    ) -> Iterator[list[tuple[str, list[Diagnostic], Compiled | None]]]:
        """``(file, diagnostics, compiled or None)`` for every file, in the order given, a
        chunk at a time as soon as it and every chunk before it are compiled. A worker that
        answers gets the next chunk, so a faster (or less disturbed) one takes more."""
        chunks = [files[i : i + CHUNK] for i in range(0, len(files), CHUNK)]
        done: dict[int, list[tuple[str, list[Diagnostic], Compiled | None]]] = {}
        busy: dict[Connection, int] = {}
        sent = released = 0
        while released < len(chunks):
            for pipe in self._pipes:
                if pipe not in busy and sent < len(chunks):
                    pipe.send(("compile", notes_dir, chunks[sent], iris, run, now, max_bytes))
                    busy[pipe] = sent
                    sent += 1
            ready = multiprocessing.connection.wait(list(busy))
            for answered in [pipe for pipe in list(busy) if pipe in ready]:
                done[busy.pop(answered)] = self._answer(answered)
            while released in done:
                yield done.pop(released)
                released += 1

    def validate(self, iris: Iris, plan: RegistryPlan, todo: dict[str, bool]) -> None:
        """Start validating every file of ``todo`` with the registry of ``plan`` (the
        answer: :meth:`validated`)."""
        n = len(self._pipes)
        self._send([("validate", iris, plan, todo, part, n) for part in range(n)])

    def validated(self) -> tuple[Checked, list[TextTriple], dict[str, int]]:
        """For every file of :meth:`validate`'s ``todo``: its SHACL diagnostics and, when it
        is valid and ``todo[file]`` (it will be written), its conclusions (line →
        generation); the registry's triples (as text: :func:`registry_text`) and their
        conclusions."""
        answers = self._receive()
        merged: Checked = {}
        registry: list[TextTriple] = []
        reached: dict[str, int] = {}
        for checked, share, share_reached in answers:
            merged.update(checked)
            registry.extend(share)
            _merge(reached, share_reached)
        return merged, registry, reached


@dataclass
class Job:
    """One build, as :func:`intimacy_graph.build.build` was asked for it."""

    store: OxigraphStore
    iris: Iris
    notes_dir: Path
    files: list[Path]
    run: URIRef
    now: datetime
    max_bytes: int
    prune: bool
    activity: str
    progress: Progress | None = None  # advanced as the workers finish notes


def build_pooled(
    job: Job, stored: dict[str, Row], workers: int
) -> tuple[BuildResult, float, float]:
    """:func:`intimacy_graph.build.build`'s steps with the notes in ``workers`` processes,
    written with :meth:`OxigraphStore.bulk_replace`: ``(result, time compiled, time
    validated)``. Same diagnostics in the same order, same graphs, same summary."""
    from intimacy_graph import build as building

    iris, report = job.iris, Report()
    # Exits in reverse order: the feeder stops loading before the checkpoint can go.
    with (
        Workers(workers) as pool,
        job.store.bulk_write(drop=[]) as write,
        _Feeder(write, FEED_BYTES) as feeder,
    ):
        # Emptied while the notes compile: on a store that has them, removing the inferred
        # graph and the registry of 2,000 notes takes ~12 s.
        feeder.put([iris.ontology_graph, iris.registry_graph, iris.inferred_graph], b"")
        compiled: list[tuple[str, Compiled]] = []
        rejected: list[str] = []
        by_slug: dict[str, str] = {}
        changed: dict[str, bool] = {}
        chunks = pool.compile(
            job.notes_dir, job.files, iris, run=job.run, now=job.now, max_bytes=job.max_bytes
        )
        ticks = iter(job.progress(job.files)) if job.progress else iter(())
        for chunk in chunks:
            for _ in chunk:  # one step of the progress bar per note compiled
                next(ticks, None)
            fresh: list[Compiled] = []
            for file, diags, c in chunk:
                report.extend(diags)
                if c is None:
                    rejected.append(file)
                elif c.slug in by_slug:
                    report.extend(
                        [building.duplicate_note(c.title, by_slug[c.slug], file, c.title_line)]
                    )
                    rejected.append(file)
                else:
                    by_slug[c.slug] = file
                    compiled.append((file, c))
                    changed[file] = _changed(stored, iris, c)
                    if changed[file]:
                        fresh.append(c)
            # Meanwhile, load the notes that will be written (if they pass) into the
            # checkpoint, in place of their stored graphs.
            old = [g for g in (iris.note_graph(c.slug) for c in fresh) if str(g) in stored]
            feeder.put(old, b"".join(c.nquads for c in fresh))
            for c in fresh:  # the feeder holds them now; a big vault's would add up
                c.nquads = b""
        for _ in ticks:  # to its end (which closes the bar)
            pass
        in_folder = {str(iris.note_graph(c.slug)) for _, c in compiled}
        kept_notes, removed = building.stored_elsewhere(
            stored, in_folder, rejected, job.notes_dir, job.prune
        )
        feeder.put(removed, b"")
        kept = [encode_note_triples(n, iris, run=job.run, modified=job.now) for n in kept_notes]
        compiled_at = time.perf_counter()
        pool.validate(iris, registry_plan([*(c for _, c in compiled), *kept]), changed)
        checked, registry, registry_reached = pool.validated()
        feeder.close()
        pool.close()
        result, validated_at = _finish(
            job,
            stored,
            compiled,
            rejected,
            kept,
            removed,
            report,
            checked,
            registry,
            registry_reached,
            changed,
            write,
        )
    return result, compiled_at, validated_at


def _finish(
    job: Job,
    stored: dict[str, Row],
    compiled: list[tuple[str, Compiled]],
    rejected: list[str],
    kept: list[EncodedNote],
    removed: list[URIRef],
    report: Report,
    checked: Checked,
    registry: list[TextTriple],
    registry_reached: dict[str, int] | None,
    changed: dict[str, bool],
    write: BulkWrite,
) -> tuple[BuildResult, float]:
    """After validation: the registry, the inferred graph, the provenance; commit."""
    from intimacy_graph import build as building

    iris = job.iris
    valid: list[tuple[str, Compiled, dict[str, int] | None]] = []
    for file, c in compiled:
        diags, reached = checked[file]
        report.extend(diags)
        if any(d.severity is Severity.ERROR for d in diags):
            rejected.append(file)
        else:
            valid.append((file, c, reached))
    if len(valid) != len(compiled):
        registry = registry_text(registry_plan([*(c for _, c, _ in valid), *kept]), iris)
        registry_reached = None  # computed below with the rest
        loaded_early = {file for file, _ in compiled if changed[file]}
        write.restore(  # the old version (or nothing) of a changed note that failed
            iris.note_graph(c.slug)
            for file, c in compiled
            if file in loaded_early and file not in {f for f, _, _ in valid}
        )
    ontology = building.load_ontology()
    # Known now: load the ontology and the registry while the rules' results are merged.
    loaders = [
        _loading(
            write,
            nquads({iris.ontology_graph: ontology})
            + _with_graph((" ".join(t) for t in registry), iris.registry_graph),
        )
    ]
    try:
        result = building.BuildResult(report=report, rejected=rejected, run=str(job.run))
        validated_at = time.perf_counter()
        written: list[tuple[URIRef, Compiled, dict[str, int]]] = []
        for file, c, reached in valid:
            if changed[file]:
                assert reached is not None
                written.append((iris.note_graph(c.slug), c, reached))
                result.loaded.append(c.slug)
            else:
                result.unchanged.append(c.slug)
        result.removed = [str(g).rsplit("/", 1)[-1] for g in removed]
        record = building.provenance_graph(
            job.run, job.now, [g for g, _, _ in written], removed, job.activity
        )
        replaced = [iris.ontology_graph, iris.registry_graph, *(g for g, _, _ in written)]
        lines = Lines()
        schema = closure.TextSchema(closure.Schema.of(ontology), lines.term)
        rest = _stored_text(
            job.store, [*replaced, *removed, iris.inferred_graph], schema.read_predicates()
        )
        if written or removed:
            rest.update(lines(record))
        rest_text = list(rest)
        if registry_reached is None:
            rest_text += registry
        data = {" ".join(t) for t in rest_text}
        data.update(" ".join(t) for t in registry)
        for _, c, _ in written:
            data.update(c.concludable)
        reached_all = {" ".join(t): d for t, d in closure.text_depths(rest_text, schema).items()}
        _merge(reached_all, registry_reached or {})
        for _, _, reached in written:
            _merge(reached_all, reached)
        inferred = [line for line in reached_all if line not in data]
        result.inference_rounds = (
            1 + max((reached_all[line] for line in inferred), default=0) if data else 0
        )
        chunks = [_with_graph(inferred, iris.inferred_graph)]
        if written or removed:
            chunks.append(nquads({iris.changes_graph: record}))
        # Beside the registry's load, not after it: the bulk loader keeps one CPU busy, and
        # two loads into one store run side by side.
        loaders.append(_loading(write, b"".join(chunks)))
    finally:
        errors = []
        for running in loaders:  # all of them, before the checkpoint they write to can go
            try:
                running.close()
            except BaseException as exc:  # noqa: BLE001 - the first is raised below
                errors.append(exc)
    if errors:
        raise errors[0]
    write.commit()
    return result, validated_at


class _Feeder:
    """:meth:`BulkWrite.load` of N-Quads as they come, in a thread: what queues up while a
    load runs is loaded together, once there are ``batch`` bytes of it (or at the end), so
    the store gets a few big loads rather than many small ones. Each :meth:`put` first
    empties its graphs (the stored versions of the notes it loads)."""

    def __init__(self, write: BulkWrite, batch: int) -> None:
        self._write, self._batch = write, batch
        self._queue: queue.SimpleQueue[tuple[list[URIRef], bytes] | None] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def put(self, drop: list[URIRef], nquads: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put((drop, nquads))

    def _run(self) -> None:
        pending: list[bytes] = []
        size = 0
        try:
            while (item := self._queue.get()) is not None:
                drop, nquads = item
                if drop:
                    self._write.drop(drop)
                pending.append(nquads)
                size += len(nquads)
                if size >= self._batch:
                    self._write.load(b"".join(pending))
                    pending, size = [], 0
            self._write.load(b"".join(pending))
        except BaseException as exc:  # noqa: BLE001 - raised again by close() or put()
            self._error = exc

    def close(self) -> None:
        """Load what is left and wait for it; raise what went wrong."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._error is not None:
            raise self._error

    def __enter__(self) -> _Feeder:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if kind is None:
            self.close()
        else:  # stop; the error on its way out is the one to report
            with contextlib.suppress(BaseException):
                self.close()


def _loading(write: BulkWrite, nquads: bytes) -> _Feeder:
    """A thread loading ``nquads`` into ``write`` (pyoxigraph lets go of the GIL while it
    loads); ``close()`` waits for it and raises what went wrong."""
    feeder = _Feeder(write, FEED_BYTES)
    feeder.put([], nquads)
    return feeder


def _stored_text(
    store: OxigraphStore, skip: Iterable[URIRef], predicates: Iterable[str]
) -> set[TextTriple]:
    """The triples with one of ``predicates`` (N-Triples text) in the store's named graphs
    but ``skip``, as N-Triples text: what :func:`intimacy_graph.build.data_after` reads and
    the rules can use, without making rdflib terms of them. (Reading every triple of an
    unchanged 2,000-note vault for a re-import took ~25 s through rdflib, ~12 s as text.)"""
    skipped = {str(g) for g in skip}
    found: set[TextTriple] = set()
    for p in sorted(predicates):
        if not (p.startswith("<") and p.endswith(">")):
            continue  # a predicate is an IRI
        for quad in store.raw.quads_for_pattern(None, pyoxigraph.NamedNode(p[1:-1]), None, None):
            graph = quad.graph_name
            if not isinstance(graph, pyoxigraph.DefaultGraph) and graph.value not in skipped:
                found.add((str(quad.subject), p, str(quad.object)))
    return found


def _merge(into: dict[str, int], reached: dict[str, int]) -> None:
    """Conclusions of two parts of the data: each with the smaller generation."""
    for line, depth in reached.items():
        if depth < into.get(line, depth + 1):
            into[line] = depth


def _changed(stored: dict[str, Row], iris: Iris, c: Compiled) -> bool:
    previous = stored.get(str(iris.note_graph(c.slug)))
    return previous is None or str(previous["hash"]) != c.content_hash


def _with_graph(lines: Iterable[str], graph: URIRef) -> bytes:
    suffix = f" <{graph}> .\n"
    return "".join(line + suffix for line in lines).encode("utf-8")
