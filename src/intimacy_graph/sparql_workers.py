"""Public SPARQL runs in worker processes with a deadline and a row cap (DESIGN.md §3).

Queries cannot be cancelled inside pyoxigraph, and some inputs crash it, so every public query
runs in a child process that reads a consistent snapshot of the store (``Store.backup()`` after
each commit, opened with ``Store.read_only``).  A query past its deadline gets its worker
killed and replaced; a crashed worker is replaced; the service goes on.

Results are capped without any hand-written serialiser. JSON and XML solutions are written
by the engine straight into a sink that counts rows on the bytes and stops past the cap; only a
result that may be over the cap is run again and counted exactly: the engine writes TSV into a
sink that stops after ``max_rows`` lines, and the kept lines are parsed back and written in the
format asked for — both by pyoxigraph. The parent hands jobs over from its event loop (a socket
per worker, no thread hop) and gets the result bytes back unpickled.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import socket
import struct
import threading
from collections.abc import Callable
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

    def rerun() -> Any:
        return store.query(job.query, **kwargs)

    return cap_result(rerun(), job.fmt, job.max_rows, rerun=rerun)


class _MarkCounter:
    """A binary sink that counts ``mark`` and stops the serialiser past ``limit`` of them."""

    def __init__(self, mark: bytes, limit: int) -> None:
        self.buffer = bytearray()
        self.mark = mark
        self.limit = limit
        self.count = 0
        self._tail = b""

    def write(self, data: bytes) -> int:
        self.buffer += data
        joined = self._tail + bytes(data)
        self.count += joined.count(self.mark)
        self._tail = joined[-(len(self.mark) - 1) :]
        if self.count > self.limit:
            raise _Full
        return len(data)

    def flush(self) -> None:
        return None


def _direct(result: Any, fmt: str, max_rows: int) -> QueryOutput | None:
    """Solutions written straight in JSON or XML when they surely fit under ``max_rows``.

    Rows are counted on the bytes: in XML each row is one ``<result>`` (a ``<`` in a value is
    escaped); in JSON rows are separated by ``,{`` — which a string value may also hold, so the
    count is an upper bound. ``None`` when it exceeds the cap: the caller counts exactly.
    """
    import pyoxigraph as ox

    if fmt == "xml":
        sink = _MarkCounter(b"<result>", max_rows)
        target = ox.QueryResultsFormat.XML
    else:
        sink = _MarkCounter(b",{", max_rows - 1)
        target = ox.QueryResultsFormat.JSON
    try:
        result.serialize(cast(IO[bytes], sink), target)
    except _Full:
        return None
    return QueryOutput(bytes(sink.buffer), "solutions", False, sink.count if fmt == "xml" else None)


def cap_result(
    result: Any, fmt: str, max_rows: int, *, rerun: Callable[[], Any] | None = None
) -> QueryOutput:
    """Serialise an engine result in ``fmt``, keeping at most ``max_rows`` rows or triples.

    ``result`` is a pyoxigraph ``QueryBoolean``, ``QuerySolutions``, ``QueryTriples`` or a list
    of ``Triple`` (what the remote store parses a server's answer into). With ``rerun`` (which
    evaluates the query again), JSON and XML solutions are written directly when they surely
    fit, and the exact TSV count below is only needed for results near or over the cap.
    """
    import pyoxigraph as ox

    if rerun is not None and fmt in ("json", "xml") and isinstance(result, ox.QuerySolutions):
        direct = _direct(result, fmt, max_rows)
        if direct is not None:
            return direct
        result = rerun()

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


# ---------------------------------------------------------------------------- wire format
#
# Parent and worker talk over a socket pair in multiprocessing's own framing (a 4-byte
# big-endian length, or -1 and an 8-byte length, then the payload), so the worker can use a
# plain ``Connection`` while the parent reads and writes the socket from its event loop.
# A job is :class:`QueryJob`'s fields as a JSON array (an empty payload stops the worker);
# a reply is ``_REPLY`` (status, form, truncated, rows) followed by the result bytes or, for
# an error, its message in UTF-8 — the result is never pickled.

_REPLY = struct.Struct("!BBBq")
_OK, _SYNTAX, _ERROR = 0, 1, 2
_FORMS = ("solutions", "boolean", "graph")
_HEADER = struct.Struct("!i")
_LONG_HEADER = struct.Struct("!Q")


def _frame(payload: bytes) -> bytes:
    if len(payload) > 0x7FFFFFFF:
        return _HEADER.pack(-1) + _LONG_HEADER.pack(len(payload)) + payload
    return _HEADER.pack(len(payload)) + payload


def encode_job(job: QueryJob) -> bytes:
    """A job as the worker receives it: its fields as a JSON array (cheap both ways).

    >>> decode_job(encode_job(QueryJob("ASK {}", "json", "/s", 3, 10, ("urn:g",))))
    QueryJob(query='ASK {}', fmt='json', snapshot='/s', generation=3, max_rows=10, \
default_graphs=('urn:g',), named_graphs=None, base_iri=None)
    """
    return json.dumps(
        [
            job.query,
            job.fmt,
            job.snapshot,
            job.generation,
            job.max_rows,
            job.default_graphs,
            job.named_graphs,
            job.base_iri,
        ]
    ).encode("utf-8")


def decode_job(payload: bytes) -> QueryJob:
    """The job :func:`encode_job` encoded."""
    query, fmt, snapshot, generation, max_rows, default, named, base = json.loads(payload)
    return QueryJob(
        query,
        fmt,
        snapshot,
        generation,
        max_rows,
        None if default is None else tuple(default),
        None if named is None else tuple(named),
        base,
    )


def encode_reply(status: int, output: QueryOutput | None = None, message: str = "") -> bytes:
    """A worker's answer: a fixed header, then the result (or the error message)."""
    if output is None:
        return _REPLY.pack(status, 0, 0, -1) + message.encode("utf-8", "replace")
    rows = -1 if output.rows is None else output.rows
    head = _REPLY.pack(status, _FORMS.index(output.form), output.truncated, rows)
    return head + output.data


def decode_reply(reply: bytes) -> tuple[int, QueryOutput | str]:
    """``(status, output)`` for a result, ``(status, message)`` for an error."""
    status, form, truncated, rows = _REPLY.unpack_from(reply)
    body = reply[_REPLY.size :]
    if status != _OK:
        return status, body.decode("utf-8", "replace")
    return status, QueryOutput(body, _FORMS[form], bool(truncated), None if rows < 0 else rows)


def _worker_main(conn: Connection) -> None:  # pragma: no cover - runs in the child
    import pyoxigraph as ox

    store: Any = None
    generation = -1
    while True:
        try:
            payload = conn.recv_bytes()
        except (EOFError, OSError):
            return
        if not payload:
            return
        try:
            job = decode_job(payload)
            if job.generation != generation:
                store = None
                store = ox.Store.read_only(job.snapshot)
                generation = job.generation
            reply = encode_reply(_OK, run_job(store, job))
        except SyntaxError as exc:
            reply = encode_reply(_SYNTAX, message=str(exc))
        except (OSError, ValueError, TypeError, RuntimeError) as exc:
            reply = encode_reply(_ERROR, message=f"{type(exc).__name__}: {exc}")
        try:
            conn.send_bytes(reply)
        except OSError:
            return


# ---------------------------------------------------------------------------- parent side


class _Worker:
    """One worker process and the parent's end of its socket, driven from the event loop."""

    def __init__(self, ctx: Any) -> None:
        parent, child = ctx.Pipe()  # duplex: a socket pair
        self.process = ctx.Process(
            target=_worker_main, args=(child,), daemon=True, name="intimacy-graph-sparql-worker"
        )
        self.process.start()
        child.close()
        self.sock = socket.socket(fileno=os.dup(parent.fileno()))
        parent.close()
        self.sock.setblocking(False)
        self.generation = -1
        self._buffer = bytearray()

    async def call(self, job: QueryJob) -> bytes:
        """Send ``job`` and wait for the reply (the caller bounds the wait)."""
        loop = asyncio.get_running_loop()
        await loop.sock_sendall(self.sock, _frame(encode_job(job)))
        size = _HEADER.unpack(await self._read(loop, _HEADER.size))[0]
        if size == -1:
            size = _LONG_HEADER.unpack(await self._read(loop, _LONG_HEADER.size))[0]
        reply = await self._read(loop, size)
        self.generation = job.generation
        return reply

    async def _read(self, loop: asyncio.AbstractEventLoop, n: int) -> bytes:
        """Exactly ``n`` bytes from the socket (reading ahead into a buffer)."""
        buffer = self._buffer
        while len(buffer) < n:
            chunk = await loop.sock_recv(self.sock, max(n - len(buffer), 65536))
            if not chunk:
                raise EOFError("the worker closed its socket")
            buffer += chunk
        data = bytes(buffer[:n])
        del buffer[:n]
        return data

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        self.process.join(timeout=5)
        self.sock.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.setblocking(True)
            self.sock.settimeout(2)
            self.sock.sendall(_frame(b""))
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.kill()
        self.sock.close()


class WorkerPool:
    """``size`` worker processes; :meth:`run` gives a query to the next idle one.

    The hand-off runs on the event loop (no thread hop): the job is written to the idle
    worker's socket and the reply read back as the loop sees it arrive, under the deadline.
    Only starting and replacing a worker (a process spawn, a kill and join) use a thread.
    """

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
        self._background: set[asyncio.Task[None]] = set()
        self._waiting = 0  # requests queued for a worker
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

    async def _replace_later(self, worker: _Worker) -> None:
        """Replace ``worker`` and put its successor in the idle queue (cancellation-safe)."""
        assert self._idle is not None
        loop = asyncio.get_running_loop()
        self._idle.put_nowait(await loop.run_in_executor(self._threads, self._replace, worker))

    @property
    def generations_in_use(self) -> set[int]:
        with self._lock:
            return {w.generation for w in self._all}

    async def run(self, job: QueryJob) -> QueryOutput:
        if self._idle is None:
            raise RuntimeError("the worker pool is not started")
        loop = asyncio.get_running_loop()
        if not self._waiting and not self._idle.empty():  # an idle worker, nobody queued
            worker = self._idle.get_nowait()
        else:
            self._waiting += 1
            try:
                async with asyncio.timeout(self.timeout_s):
                    worker = await self._idle.get()
            except TimeoutError as exc:
                raise ServiceBusyError(
                    "Every query worker stayed busy for the whole time budget; try again."
                ) from exc
            finally:
                self._waiting -= 1
        try:
            async with asyncio.timeout(self.timeout_s):
                reply = await worker.call(job)
        except TimeoutError as exc:
            await self._replace_later(worker)
            raise QueryTimeoutError(
                f"The query ran longer than the {self.timeout_s:g} s time budget and was stopped.",
                timeout_s=self.timeout_s,
            ) from exc
        except (EOFError, OSError) as exc:
            await self._replace_later(worker)
            raise QueryCrashedError(
                "The query engine crashed on this query; the query was not run. Simplify it "
                "(e.g. less nesting)."
            ) from exc
        except BaseException:
            # Cancelled mid-exchange: the socket may hold half a message, so the worker is
            # replaced (in the background: this task is being cancelled) rather than reused.
            replacing = loop.create_task(self._replace_later(worker))
            self._background.add(replacing)
            replacing.add_done_callback(self._background.discard)
            raise
        self._idle.put_nowait(worker)
        status, payload = decode_reply(reply)
        if isinstance(payload, QueryOutput):
            return payload
        if status == _SYNTAX:
            raise QuerySyntaxError(f"The query is not valid SPARQL: {payload}")
        raise QueryEvaluationError(f"The query could not be evaluated: {payload}")

    async def close(self) -> None:
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()
        self._threads.shutdown(wait=False, cancel_futures=True)
