"""W3C SPARQL 1.1 update evaluation tests, over HTTP with the editor key.

One test per ``mf:UpdateEvaluationTest`` of ``manifest-sparql11-update.ttl``.  The store is
reset and loaded in one write (``ut:data`` into the store's default graph, each
``ut:graphData`` into the graph its ``rdfs:label`` names), the request is POSTed as
``application/sparql-update`` with ``BASE <request file>`` prepended, and every graph is read
back through the Graph Store Protocol and compared with the expected ones (isomorphism; an
empty graph counts as absent).  The service's own graphs (ontology, registry, inferred,
changes — the inference rules run after every write) are left out of the comparison.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import RdfFormat
from rdflib import Graph

from .endpoint import Endpoint
from .manifest import UpdateTest, iri_of, params, skip_if_missing, update_tests
from .results import describe, parse_graph, read_graph, same_graph

skip_if_missing()


def expected_graph(paths: list[Path]) -> Graph:
    graph = Graph()
    for path in paths:
        graph += read_graph(path, iri_of(path))
    return graph


def read_back(endpoint: Endpoint, name: str | None) -> Graph:
    response = endpoint.graph(name)
    assert response.status_code == 200, f"GET graph {name}: {response.status_code} {response.text}"
    return parse_graph(response.content, RdfFormat.N_TRIPLES)


@pytest.mark.parametrize("test", params("update", update_tests()))
def test_update_evaluation(write_endpoint: Endpoint, test: UpdateTest) -> None:
    write_endpoint.reset(default=test.data, named=test.graph_data)
    request = f"BASE <{iri_of(test.request)}>\n{test.request.read_text('utf-8')}"
    response = write_endpoint.update(request)
    if not test.success:
        assert response.status_code == 400, f"{response.status_code}: {response.text[:2000]}"
        return
    assert response.status_code == 204, f"{response.status_code}: {response.text[:2000]}"

    expected: dict[str | None, Graph] = {None: expected_graph(list(test.result_data))}
    for path, name in test.result_graph_data:
        expected.setdefault(name, Graph())
        expected[name] += read_graph(path, iri_of(path))
    actual: dict[str | None, Graph] = {None: read_back(write_endpoint, None)}
    for name in write_endpoint.test_graphs():
        actual[name] = read_back(write_endpoint, name)

    expected_names = {n for n, g in expected.items() if n is None or len(g)}
    actual_names = {n for n, g in actual.items() if n is None or len(g)}
    assert actual_names == expected_names, "non-empty graphs differ"
    for graph in sorted(expected_names, key=str):
        assert same_graph(expected[graph], actual[graph]), (
            f"graph {graph or 'DEFAULT'}:\nexpected:\n{describe(expected[graph])}\n"
            f"actual:\n{describe(actual[graph])}"
        )
