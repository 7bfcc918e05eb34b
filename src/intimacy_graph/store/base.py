"""The store interface (DESIGN.md §3, a contract): one protocol, two backends.

Terms cross the interface as rdflib terms; queries are SPARQL text from ``queries/*.rq`` with
values bound (``bindings``), never formatted in.  The default graph of every query is the union
of all named graphs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from rdflib import Dataset, Graph, URIRef
from rdflib.term import Node

Row = dict[str, Node]

#: Result serialisations the engines write themselves, by short name.
RESULT_FORMATS = {"json", "xml", "csv", "tsv"}
GRAPH_FORMATS = {"turtle", "ntriples", "nquads", "trig", "rdfxml", "jsonld"}


class Store(Protocol):
    """What the build, the API and the CLI need from a quad store."""

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Row]:
        """Rows of a SELECT query, unbound variables left out of each row.

        A bound variable must be projected (SEP-0007 substitution, as pyoxigraph does it).
        """
        ...

    def select_text(
        self, query: str, bindings: Mapping[str, Node] | None = None
    ) -> list[dict[str, str]]:
        """As :meth:`select`, each value as its lexical form (``str`` of the rdflib term)."""
        ...

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool: ...

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> Graph: ...

    def query_serialized(self, query: str, fmt: str) -> tuple[bytes, str]:
        """Run any query and serialise its result; returns the bytes and the query form."""
        ...

    def replace_graphs(
        self,
        graphs: Mapping[URIRef, Graph],
        *,
        drop: Iterable[URIRef] = (),
        then: Iterable[str] = (),
    ) -> None:
        """In ONE transaction: empty each graph in ``graphs`` and ``drop``, insert the new
        contents, then run the ``then`` SPARQL updates (the inference rules)."""
        ...

    def update(self, sparql: str) -> None: ...

    def graph(self, name: URIRef) -> Graph: ...

    def named_graphs(self) -> list[URIRef]: ...

    def dataset(self) -> Dataset: ...

    def __len__(self) -> int: ...

    def close(self) -> None: ...
