"""The embedded default backend: a pyoxigraph store on disk (RocksDB).

Every write is one transaction, except :meth:`OxigraphStore.bulk_replace` (the CLI's
``build`` and ``import``): it writes a checkpoint of the store with the bulk loader and swaps
it in as a whole, so it is all-or-nothing too, but only for a process that holds the store
alone (see there).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import re
import shutil
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph, URIRef
from rdflib.term import Node

from intimacy_graph.errors import (
    QueryEvaluationError,
    QuerySyntaxError,
    StoreError,
    UnusableInputError,
)
from intimacy_graph.store.base import Row
from intimacy_graph.store.terms import (
    ntriples,
    solution_rows,
    solution_texts,
    to_oxigraph,
    to_rdflib,
)

_RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
_GRAPH_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
}


_PROLOGUE_LINE = re.compile(r"^\s*(PREFIX|BASE)\s", re.IGNORECASE)


def _split_prologue(request: str) -> tuple[list[str], str]:
    """Split the leading PREFIX/BASE lines (and comments) of an update from its operations."""
    lines = request.splitlines()
    head: list[str] = []
    i = 0
    while i < len(lines) and (
        _PROLOGUE_LINE.match(lines[i]) or not lines[i].strip() or lines[i].lstrip().startswith("#")
    ):
        if _PROLOGUE_LINE.match(lines[i]):
            head.append(lines[i].strip())
        i += 1
    return head, "\n".join(lines[i:])


def _substitutions(
    bindings: Mapping[str, Node] | None,
) -> dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] | None:
    if not bindings:
        return None
    return {ox.Variable(name): to_oxigraph(value) for name, value in bindings.items()}


def nquads(graphs: Mapping[URIRef, Iterable[tuple[Node, Node, Node]]]) -> bytes:
    """The triples of each named graph as N-Quads, every term written by pyoxigraph (which
    refuses IRIs that are not IRIs, as :func:`~intimacy_graph.store.terms.ntriples` does)."""
    memo: dict[Node, str] = {}
    lines: list[str] = []
    append = lines.append
    try:
        for name, triples in graphs.items():
            g = f" {ox.NamedNode(str(name))} .\n"
            for triple in triples:
                parts = []
                for term in triple:
                    text = memo.get(term)
                    if text is None:
                        text = memo[term] = str(to_oxigraph(term))
                    parts.append(text)
                append(" ".join(parts) + g)
    except (ValueError, TypeError, UnicodeError) as exc:
        raise UnusableInputError(
            f"A term cannot be stored: {str(exc)[:200]}", code="invalid-term"
        ) from exc
    return "".join(lines).encode("utf-8")


def _side(path: Path, what: str) -> Path:
    """A hidden sibling of the store folder (``.{name}.{what}``) used by the swap."""
    return path.parent / f".{path.name}.{what}"


@contextlib.contextmanager
def _swap_lock(path: Path, *, wait: bool = True) -> Iterator[None]:
    """Hold the store's swap lock (``flock`` on a sibling file): a swap in another process
    closes the store for an instant, and nobody may open it in that instant. ``wait=False``
    raises :class:`BlockingIOError` at once when another process holds it (a bulk write is
    under way there: the store is in use)."""
    try:
        fd = os.open(_side(path, "lock"), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:  # a read-only parent folder: no swap can happen there either
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield
    finally:
        os.close(fd)  # releases the lock


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically (Linux ``renameat2(RENAME_EXCHANGE)``); ``False`` when the
    system or the file system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    rc = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EPERM):
        return False
    raise OSError(code, os.strerror(code), str(a))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def recover_swap(path: Path) -> None:
    """Finish or undo a :meth:`OxigraphStore.bulk_replace` that was interrupted.

    ``.{name}.next`` is either a new store that was never swapped in or, after the swap, the
    old one: both go. ``.{name}.old`` without the store is the old store moved aside by the
    two-rename fallback before the new one took its place: it comes back.
    """
    old, new = _side(path, "old"), _side(path, "next")
    if old.is_dir() and not path.exists():
        old.rename(path)
        _fsync_dir(path.parent)
    for leftover in (old, new):
        if leftover.exists():
            shutil.rmtree(leftover)


class OxigraphStore:
    """A :class:`~intimacy_graph.store.base.Store` over ``pyoxigraph.Store(path)``.

    ``path=None`` gives an in-memory store (tests of pure logic only). Opening a store on disk
    for writing first finishes or undoes an interrupted :meth:`bulk_replace`.
    """

    def __init__(self, path: Path | None = None, *, read_only: bool = False) -> None:
        try:
            if path is None:
                self._store = ox.Store()
            elif read_only:
                self._store = ox.Store.read_only(str(path))
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                with _swap_lock(path, wait=False):
                    recover_swap(path)
                    path.mkdir(exist_ok=True)
                    self._store = ox.Store(str(path))
        except OSError as exc:
            raise StoreError(f"cannot open the store at {path}: {exc}", path=str(path)) from exc
        self.path = path
        self.read_only = read_only

    @property
    def raw(self) -> ox.Store:
        """The pyoxigraph store, for code that needs the engine itself (benchmarks, rules)."""
        return self._store

    def _query(self, query: str, bindings: Mapping[str, Node] | None) -> object:
        try:
            return self._store.query(
                query, use_default_graph_as_union=True, substitutions=_substitutions(bindings)
            )
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from exc
        except RuntimeError as exc:  # pyoxigraph's evaluation errors
            raise QueryEvaluationError(f"The query could not be evaluated: {exc}") from exc

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Row]:
        solutions = self._query(query, bindings)
        if not isinstance(solutions, ox.QuerySolutions):
            raise QuerySyntaxError("expected a SELECT query")
        return solution_rows(solutions)

    def select_text(
        self, query: str, bindings: Mapping[str, Node] | None = None
    ) -> list[dict[str, str]]:
        solutions = self._query(query, bindings)
        if not isinstance(solutions, ox.QuerySolutions):
            raise QuerySyntaxError("expected a SELECT query")
        return solution_texts(solutions)

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool:
        result = self._query(query, bindings)
        if not isinstance(result, ox.QueryBoolean):
            raise QuerySyntaxError("expected an ASK query")
        return bool(result)

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> Graph:
        result = self._query(query, bindings)
        if not isinstance(result, ox.QueryTriples):
            raise QuerySyntaxError("expected a CONSTRUCT or DESCRIBE query")
        graph = Graph()
        for triple in result:
            graph.add(
                (
                    to_rdflib(triple.subject),
                    to_rdflib(triple.predicate),
                    to_rdflib(triple.object),
                )
            )
        return graph

    def query_serialized(self, query: str, fmt: str) -> tuple[bytes, str]:
        result = self._query(query, None)
        if isinstance(result, ox.QueryTriples):
            data = result.serialize(format=_GRAPH_FORMATS.get(fmt, ox.RdfFormat.TURTLE))
            return bytes(data or b""), "graph"
        form = "boolean" if isinstance(result, ox.QueryBoolean) else "solutions"
        data = result.serialize(format=_RESULT_FORMATS.get(fmt, ox.QueryResultsFormat.JSON))  # type: ignore[attr-defined]
        return bytes(data or b""), form

    def replace_graphs(
        self,
        graphs: Mapping[URIRef, Graph],
        *,
        drop: Iterable[URIRef] = (),
        then: Iterable[str] = (),
    ) -> None:
        prologue: list[str] = []
        operations: list[str] = []
        for name in [*graphs, *drop]:
            operations.append(f"DROP SILENT GRAPH {URIRef(name).n3()}")
        for name, graph in graphs.items():
            if len(graph):
                body = ntriples(graph)
                operations.append(f"INSERT DATA {{ GRAPH {URIRef(name).n3()} {{\n{body}\n}} }}")
        for request in then:
            # pyoxigraph accepts PREFIX only at the start of a request: hoist them.
            head, body = _split_prologue(request)
            prologue.extend(line for line in head if line not in prologue)
            operations.append(body)
        if not operations:
            return
        try:
            self._store.update("\n".join(prologue) + "\n" + " ;\n".join(operations))
        except (OSError, SyntaxError, RuntimeError) as exc:
            raise StoreError(f"the write was not applied: {exc}") from exc

    def bulk_replace(self, nquads: bytes, *, drop: Iterable[URIRef]) -> None:
        """Empty the named graphs ``drop`` and add ``nquads`` (N-Quads text), all or nothing,
        with the bulk loader: 3-4× faster than a transaction, for whole builds and imports.

        Only for a store this process holds alone, with nobody reading it (the CLI opens it
        exclusively; the server's writes use :meth:`replace_graphs`): see :class:`BulkWrite`.
        ``nquads`` must come from terms that pyoxigraph accepted (:func:`nquads`): it is
        loaded without checking IRIs again.
        """
        with self.bulk_write(drop=drop) as write:
            write.load(nquads)
            write.commit()

    def bulk_write(self, *, drop: Iterable[URIRef]) -> BulkWrite:
        """Start a :class:`BulkWrite` of this store that first empties the graphs ``drop``."""
        path = self.path
        if path is None or self.read_only:
            raise StoreError("a bulk write needs a store on disk opened for writing")
        if sys.getrefcount(self._store) > 2:  # this object's own reference and the call's
            raise StoreError("a bulk write needs the store, which is in use elsewhere here")
        return BulkWrite(self, path, drop)

    @staticmethod
    def _swap(path: Path, new: Path) -> None:
        if _exchange(new, path):
            _fsync_dir(path.parent)
        else:  # no atomic exchange: old aside, new in place (recover_swap undoes a crash)
            old = _side(path, "old")
            path.rename(old)
            new.rename(path)
            _fsync_dir(path.parent)
        recover_swap(path)

    def _reopen(self, path: Path) -> None:
        self._store = ox.Store(str(path))

    def _release(self) -> None:
        del self._store

    def apply(
        self,
        *,
        replace: Mapping[URIRef, Graph] | None = None,
        delete: Mapping[URIRef, Graph] | None = None,
        insert: Mapping[URIRef, Graph] | None = None,
    ) -> None:
        """In ONE transaction: put each graph of ``replace`` in place of the old one, remove the
        triples of ``delete`` and add those of ``insert`` (per named graph)."""
        operations: list[str] = []
        for name, graph in (replace or {}).items():
            operations.append(f"DROP SILENT GRAPH {URIRef(name).n3()}")
            if len(graph):
                operations.append(
                    f"INSERT DATA {{ GRAPH {URIRef(name).n3()} {{\n{ntriples(graph)}\n}} }}"
                )
        for name, graph in (delete or {}).items():
            if len(graph):
                operations.append(
                    f"DELETE DATA {{ GRAPH {URIRef(name).n3()} {{\n{ntriples(graph)}\n}} }}"
                )
        for name, graph in (insert or {}).items():
            if len(graph):
                operations.append(
                    f"INSERT DATA {{ GRAPH {URIRef(name).n3()} {{\n{ntriples(graph)}\n}} }}"
                )
        if not operations:
            return
        try:
            self._store.update(" ;\n".join(operations))
        except (OSError, SyntaxError, RuntimeError) as exc:
            raise StoreError(f"the write was not applied: {exc}") from exc

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        try:
            self._store.update(sparql, base_iri=base_iri)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from exc
        except RuntimeError as exc:  # pyoxigraph's evaluation errors (missing graph, ...)
            raise QueryEvaluationError(
                f"The update could not be applied: {exc}", code="update-failed"
            ) from exc
        except OSError as exc:
            raise StoreError(f"the update was not applied: {exc}") from exc

    def write_graph(
        self, name: URIRef | None, data: Graph, *, replace: bool = True, drop: bool = False
    ) -> None:
        """Replace (or merge into) one graph — ``None`` is the default graph — in one
        transaction; ``drop`` removes a named graph altogether."""
        target = "DEFAULT" if name is None else f"GRAPH {URIRef(name).n3()}"
        operations = []
        if replace or drop:
            operations.append(
                f"DROP SILENT {target}" if drop or name is not None else "CLEAR SILENT DEFAULT"
            )
        if len(data) and not drop:
            body = ntriples(data)
            inner = body if name is None else f"GRAPH {URIRef(name).n3()} {{\n{body}\n}}"
            operations.append(f"INSERT DATA {{\n{inner}\n}}")
        if not operations:
            return
        if name is not None and not drop and not len(data):
            operations.append(f"CREATE SILENT GRAPH {URIRef(name).n3()}")
        self.update(" ;\n".join(operations))

    def has_graph(self, name: URIRef | None) -> bool:
        if name is None:
            return True
        return bool(self._store.contains_named_graph(ox.NamedNode(str(name))))

    def graph(self, name: URIRef | None) -> Graph:
        graph = Graph()
        context = ox.DefaultGraph() if name is None else ox.NamedNode(str(name))
        for quad in self._store.quads_for_pattern(None, None, None, context):
            graph.add(
                (
                    to_rdflib(quad.subject),
                    to_rdflib(quad.predicate),
                    to_rdflib(quad.object),
                )
            )
        return graph

    def named_graphs(self) -> list[URIRef]:
        return sorted(
            URIRef(g.value) for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)
        )

    def dataset(self) -> Dataset:
        data = self._store.dump(format=ox.RdfFormat.N_QUADS)
        ds = Dataset()
        ds.parse(data=bytes(data or b""), format="nquads")
        return ds

    def __len__(self) -> int:
        return len(self._store)

    def flush(self) -> None:
        if self.path is not None and not self.read_only:
            self._store.flush()

    def close(self) -> None:
        """Flush and release the store (its lock too), even when the flush fails (a full
        disk); closing twice is harmless."""
        if not hasattr(self, "_store"):
            return
        try:
            self.flush()
        finally:
            del self._store


class BulkWrite:
    """An all-or-nothing write of an :class:`OxigraphStore` with the bulk loader.

    The store is copied to a checkpoint (``.{name}.next`` beside it, hard links), the graphs
    ``drop`` are emptied there, :meth:`load` adds N-Quads to it without a transaction (it may
    run in a thread while this process does other work) and :meth:`commit` flushes it and
    swaps the two folders with one atomic rename (Linux ``renameat2(RENAME_EXCHANGE)``): a
    crash before the swap leaves the old store, after it the new one, and the next open
    removes what is left over (:func:`recover_swap`). Where renaming cannot swap two folders
    atomically, the store is moved aside and the new one into its place; an open after a
    crash in between puts the old one back. Leaving the ``with`` block without
    :meth:`commit` removes the checkpoint. The store is closed for the instant of the swap, so
    only a process that holds it alone may do this (the CLI); a sibling lock file keeps other
    openers out for that instant.
    """

    def __init__(self, owner: OxigraphStore, path: Path, drop: Iterable[URIRef]) -> None:
        self._owner, self._path = owner, path
        self._new = _side(path, "next")
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(_swap_lock(path))
        self._copy: ox.Store | None = None
        try:
            recover_swap(path)
            owner.raw.flush()
            owner.raw.backup(str(self._new))
            self._copy = ox.Store(str(self._new))
            for name in drop:
                self._copy.remove_graph(ox.NamedNode(str(name)))
        except (OSError, ValueError, RuntimeError) as exc:
            self.abort()
            raise StoreError(f"the write was not applied: {exc}") from exc
        except BaseException:
            self.abort()
            raise

    def __enter__(self) -> BulkWrite:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._copy is not None or self._new.exists():
            self.abort()

    def _store(self) -> ox.Store:
        if self._copy is None:
            raise StoreError("this bulk write is over")
        return self._copy

    def load(self, nquads: bytes) -> None:
        """Add N-Quads (from terms pyoxigraph accepted: IRIs are not checked again)."""
        if not nquads:
            return
        try:
            self._store().bulk_load(nquads, format=ox.RdfFormat.N_QUADS, lenient=True)
        except (OSError, SyntaxError, ValueError, RuntimeError) as exc:
            raise StoreError(f"the write was not applied: {exc}") from exc

    def drop(self, names: Iterable[URIRef]) -> None:
        """Empty the graphs ``names`` (in the checkpoint), as ``drop`` does when it opens."""
        copy = self._store()
        try:
            for name in names:
                copy.remove_graph(ox.NamedNode(str(name)))
        except (OSError, ValueError, RuntimeError) as exc:
            raise StoreError(f"the write was not applied: {exc}") from exc

    def restore(self, names: Iterable[URIRef]) -> None:
        """Give the graphs ``names`` back their content in the store as it is now (undo what
        was loaded into them, and their ``drop``)."""
        copy, live = self._store(), self._owner.raw
        for name in names:
            graph = ox.NamedNode(str(name))
            copy.remove_graph(graph)
            copy.extend(live.quads_for_pattern(None, None, None, graph))

    def commit(self) -> None:
        """Flush the checkpoint and swap it in place of the store (then reopened)."""
        path, new, owner = self._path, self._new, self._owner
        try:
            try:
                self._store().flush()
            finally:
                self._copy = None  # closes it
            _fsync_dir(path.parent)
        except (OSError, RuntimeError) as exc:
            self.abort()
            raise StoreError(f"the write was not applied: {exc}") from exc
        owner._release()  # the folder (and RocksDB's lock) must be free to be swapped
        try:
            probe = ox.Store(str(path))  # fails while anything still holds it open
            del probe
        except OSError as exc:
            self.abort()
            with contextlib.suppress(OSError):
                owner._reopen(path)
            raise StoreError(f"the write was not applied: {exc}") from exc
        try:
            OxigraphStore._swap(path, new)
        finally:
            owner._reopen(path)
            self._stack.close()

    def abort(self) -> None:
        """Remove the checkpoint; the store stays as it was."""
        self._copy = None
        try:
            shutil.rmtree(self._new, ignore_errors=True)
        finally:
            self._stack.close()
