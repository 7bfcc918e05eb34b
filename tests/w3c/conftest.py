"""Two real servers for the W3C suites, each started on an empty notes folder (no seed data).

``query_endpoint`` holds the data of every query test at once, each file in a graph named by
its suite IRI, and is never written again: the query and query-syntax tests only read it, each
naming its dataset with ``default-graph-uri``/``named-graph-uri``.  ``write_endpoint`` serves
the protocol, update, Graph Store and update-syntax tests; each of those resets it first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest

from tests.servers import run_server

from .endpoint import EMPTY_GRAPH, Endpoint, insert_operations
from .manifest import iri_of, path_of, query_tests

_FROM = re.compile(r"\bFROM\s+(?:NAMED\s+)?<([^<>]*)>", re.IGNORECASE)


def dataset_files() -> list[Path]:
    """Every data file the query tests name: qt:data, qt:graphData, and FROM in queries."""
    files: set[Path] = set()
    for test in query_tests():
        files.update(test.data)
        files.update(test.graph_data)
        base = iri_of(test.query)
        for iri in _FROM.findall(test.query.read_text("utf-8")):
            path = path_of(urljoin(base, iri))
            if path.is_file():
                files.add(path)
    return sorted(files)


@pytest.fixture(scope="session")
def w3c_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("w3c")


def _serve(folder: Path) -> Iterator[Endpoint]:
    notes = folder / "notes"
    notes.mkdir(parents=True)
    with run_server(folder / "store", notes=notes) as server:
        endpoint = Endpoint(server)
        try:
            yield endpoint
        finally:
            endpoint.close()


@pytest.fixture(scope="session")
def query_endpoint(w3c_tmp: Path) -> Iterator[Endpoint]:
    """A server holding all query-test data, read-only after loading."""
    for endpoint in _serve(w3c_tmp / "query"):
        named = [(path, iri_of(path)) for path in dataset_files()]
        endpoint.write(insert_operations((), named, empty=[EMPTY_GRAPH]))
        yield endpoint


@pytest.fixture(scope="session")
def write_endpoint(w3c_tmp: Path) -> Iterator[Endpoint]:
    """A server that tests reset and write to."""
    yield from _serve(w3c_tmp / "write")
