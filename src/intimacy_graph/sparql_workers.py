"""Public SPARQL runs in worker processes with a deadline and a row cap (DESIGN.md §3).

Queries cannot be cancelled inside pyoxigraph, and some inputs crash it, so every public query
runs in a child process that reads a consistent snapshot of the store (``Store.backup()`` after
each commit, opened with ``Store.read_only``).  A query past its deadline gets its worker
killed and replaced; a crashed worker is replaced; the service goes on.

Results are capped without any hand-written serialiser: the engine writes TSV into a sink that
stops after ``max_rows`` lines, and the kept lines are parsed back and written in the format
asked for — both by pyoxigraph.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import IO, Any, cast

from intimacy_graph.errors import (
    IntimacyGraphError,
    QueryEvaluationError,
    QuerySyntaxError,
    QueryTimeoutError,
)

RESULT_FORMATS = ("json", "xml", "csv", "tsv")
GRAPH_FORMATS = ("turtle", "ntriples", "rdfxml", "jsonld", "nquads", "trig")


class QueryCrashedError(IntimacyGraphError):
    """The engine died on this query; its worker was replaced."""

    code = "query-crashed-engine"


class ServiceBusyError(IntimacyGraphError):
    """Every worker stayed busy for longer than the deadline."""

    code = "service-busy"


@dataclass(frozen=True)
class QueryJob:
    """One query for a worker: what to run, over which snapshot and dataset, in which format."""

    query: str
    fmt: str
    snapshot: str
    generation: int
    max_rows: int
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    base_iri: str | None = None


@dataclass
class QueryOutput:
    data: bytes
    form: str  # "solutions", "boolean" or "graph"
    truncated: bool = False
    rows: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------- worker side


class _Full(Exception):
    pass


class _CappedSink:
    """A binary sink that stops the serialiser after ``cap`` lines."""

    def __init__(self, cap: int) -> None:
        self.buffer = bytearray()
        self.lines = 0
        self.cap = cap

    def write(self, data: bytes) -> int:
        self.buffer += data
        self.lines += data.count(b"\n")
        if self.lines > self.cap:
            raise _Full
        return len(data)

    def flush(self) -> None:
        return None

    def first_lines(self) -> tuple[bytes, bool]:
        if self.lines <= self.cap:
            return bytes(self.buffer), False
        kept = bytes(self.buffer).split(b"\n")[: self.cap]
        return b"\n".join(kept) + b"\n", True


def run_job(store: Any, job: QueryJob) -> QueryOutput:
    """Run one job on an open pyoxigraph store (also used in-process by tests)."""
    import pyoxigraph as ox

    kwargs: dict[str, Any] = {"base_iri": job.base_iri}
    if job.default_graphs is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
    else:
        kwargs["use_default_graph_as_union"] = True
    if job.named_graphs is not None:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    return cap_result(store.query(job.query, **kwargs), job.fmt, job.max_rows)


def cap_result(result: Any, fmt: str, max_rows: int) -> QueryOutput:
    """Serialise an engine result in ``fmt``, keeping at most ``max_rows`` rows or triples.

    ``result`` is a pyoxigraph ``QueryBoolean``, ``QuerySolutions``, ``QueryTriples`` or a list
    of ``Triple`` (what the remote store parses a server's answer into).
    """
    import pyoxigraph as ox

    if isinstance(result, ox.QueryBoolean):
        fmt_enum = ox.QueryResultsFormat.XML if fmt == "xml" else ox.QueryResultsFormat.JSON
        if fmt in ("csv", "tsv"):
            fmt_enum = getattr(ox.QueryResultsFormat, fmt.upper())
        return QueryOutput(bytes(result.serialize(format=fmt_enum) or b""), "boolean")
    if isinstance(result, ox.QueryTriples | list):
        sink = _CappedSink(max_rows)
        with contextlib.suppress(_Full):
            if isinstance(result, list):
                ox.serialize(result, cast(IO[bytes], sink), ox.RdfFormat.N_TRIPLES)
            else:
                result.serialize(cast(IO[bytes], sink), ox.RdfFormat.N_TRIPLES)
        data, truncated = sink.first_lines()
        if fmt != "ntriples":
            triples = ox.parse(data, ox.RdfFormat.N_TRIPLES)
            data = bytes(ox.serialize(triples, format=_rdf_format(fmt)) or b"")
        return QueryOutput(data, "graph", truncated, min(sink.lines, max_rows))
    # solutions: one header line + max_rows rows
    sink = _CappedSink(max_rows + 1)
    with contextlib.suppress(_Full):
        result.serialize(cast(IO[bytes], sink), ox.QueryResultsFormat.TSV)
    data, truncated = sink.first_lines()
    rows = max(0, min(sink.lines, max_rows + 1) - 1)
    if fmt != "tsv":
        solutions = ox.parse_query_results(data, ox.QueryResultsFormat.TSV)
        data = bytes(solutions.serialize(format=getattr(ox.QueryResultsFormat, fmt.upper())) or b"")
    return QueryOutput(data, "solutions", truncated, rows)


def _rdf_format(fmt: str) -> Any:
    import pyoxigraph as ox

    return {
        "turtle": ox.RdfFormat.TURTLE,
        "ntriples": ox.RdfFormat.N_TRIPLES,
        "rdfxml": ox.RdfFormat.RDF_XML,
        "jsonld": ox.RdfFormat.JSON_LD,
        "nquads": ox.RdfFormat.N_QUADS,
        "trig": ox.RdfFormat.TRIG,
    }[fmt]


def _worker_main(conn: Connection) -> None:  # pragma: no cover - runs in the child
    import pyoxigraph as ox

    store: Any = None
    generation = -1
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            if job.generation != generation:
                store = None
                store = ox.Store.read_only(job.snapshot)
                generation = job.generation
            conn.send(("ok", run_job(store, job)))
        except SyntaxError as exc:
            conn.send(("syntax", str(exc)))
        except (OSError, ValueError, TypeError, RuntimeError) as exc:
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


# ---------------------------------------------------------------------------- parent side


class _Worker:
    def __init__(self, ctx: Any) -> None:
        parent, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_worker_main, args=(child,), daemon=True, name="intimacy-graph-sparql-worker"
        )
        self.process.start()
        child.close()
        self.conn: Connection = parent
        self.generation = -1

    def call(self, job: QueryJob, timeout_s: float) -> tuple[str, Any]:
        self.conn.send(job)
        if not self.conn.poll(timeout_s):
            raise TimeoutError
        reply: tuple[str, Any] = self.conn.recv()
        self.generation = job.generation
        return reply

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self.conn.send(None)
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.kill()


class WorkerPool:
    """``size`` worker processes; :meth:`run` gives a query to the next idle one."""

    def __init__(self, size: int = 2, *, timeout_s: float = 10.0) -> None:
        self.size = max(1, size)
        self.timeout_s = timeout_s
        self._ctx = mp.get_context("spawn")
        self._threads = ThreadPoolExecutor(
            max_workers=self.size + 2, thread_name_prefix="sparql-call"
        )
        self._idle: asyncio.Queue[_Worker] | None = None
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self.restarts = 0

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._idle = asyncio.Queue()
        workers = await asyncio.gather(
            *[loop.run_in_executor(self._threads, self._spawn) for _ in range(self.size)]
        )
        for worker in workers:
            self._idle.put_nowait(worker)

    def _spawn(self) -> _Worker:
        worker = _Worker(self._ctx)
        with self._lock:
            self._all.append(worker)
        return worker

    def _replace(self, worker: _Worker) -> _Worker:
        worker.kill()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
            self.restarts += 1
        return self._spawn()

    @property
    def generations_in_use(self) -> set[int]:
        with self._lock:
            return {w.generation for w in self._all}

    async def run(self, job: QueryJob) -> QueryOutput:
        if self._idle is None:
            raise RuntimeError("the worker pool is not started")
        loop = asyncio.get_running_loop()
        try:
            worker = await asyncio.wait_for(self._idle.get(), timeout=self.timeout_s)
        except TimeoutError as exc:
            raise ServiceBusyError(
                "Every query worker stayed busy for the whole time budget; try again."
            ) from exc
        try:
            status, payload = await loop.run_in_executor(
                self._threads, worker.call, job, self.timeout_s
            )
        except TimeoutError as exc:
            worker = await loop.run_in_executor(self._threads, self._replace, worker)
            raise QueryTimeoutError(
                f"The query ran longer than the {self.timeout_s:g} s time budget and was stopped.",
                timeout_s=self.timeout_s,
            ) from exc
        except (EOFError, OSError, BrokenPipeError) as exc:
            worker = await loop.run_in_executor(self._threads, self._replace, worker)
            raise QueryCrashedError(
                "The query engine crashed on this query; the query was not run. Simplify it "
                "(e.g. less nesting)."
            ) from exc
        finally:
            self._idle.put_nowait(worker)
        if status == "ok":
            output: QueryOutput = payload
            return output
        if status == "syntax":
            raise QuerySyntaxError(f"The query is not valid SPARQL: {payload}")
        raise QueryEvaluationError(f"The query could not be evaluated: {payload}")

    async def close(self) -> None:
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()
        self._threads.shutdown(wait=False, cancel_futures=True)
