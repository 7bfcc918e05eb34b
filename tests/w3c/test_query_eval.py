"""W3C SPARQL 1.1 query evaluation tests (and the JSON/CSV/TSV result-format tests), over HTTP.

One test per ``mf:QueryEvaluationTest`` of ``manifest-sparql11-query.ttl`` and
``manifest-sparql11-results.ttl``.  The query goes to ``/sparql`` with ``BASE <query file>``
prepended (the base IRI a file would have), the dataset named by the protocol parameters —
``default-graph-uri`` for each ``qt:data`` (an empty graph if none), ``named-graph-uri`` for each
``qt:graphData`` — unless the query names its own with ``FROM``.  Results are asked for in the
format of the expected file (XML, JSON, TSV, CSV; N-Triples for graphs) and compared as the spec
says: multisets up to blank-node renaming, ordered by the sort keys under ``ORDER BY``.
"""

from __future__ import annotations

import re

import pytest
from pyoxigraph import RdfFormat
from rdflib import Graph

from .endpoint import EMPTY_GRAPH, Endpoint
from .manifest import QueryTest, iri_of, params, query_tests, skip_if_missing
from .results import (
    RESULT_FORMATS,
    Solutions,
    describe,
    order_keys,
    parse_csv,
    parse_graph,
    parse_solutions,
    read_graph,
    read_rdf_results,
    read_results,
    same_graph,
    same_solutions,
)

skip_if_missing()

_DATASET_CLAUSE = re.compile(r"\bFROM\s+(NAMED\s+)?<", re.IGNORECASE)


def run_query(endpoint: Endpoint, test: QueryTest, accept: str) -> bytes:
    text = test.query.read_text("utf-8")
    query = f"BASE <{iri_of(test.query)}>\n{text}"
    if _DATASET_CLAUSE.search(text):
        response = endpoint.query(query, accept=accept)
    else:
        response = endpoint.query(
            query,
            accept=accept,
            default_graphs=[iri_of(p) for p in test.data] or [EMPTY_GRAPH],
            named_graphs=[iri_of(p) for p in test.graph_data],
        )
    assert response.status_code == 200, f"{response.status_code}: {response.text[:2000]}"
    media = response.headers["content-type"].split(";")[0].strip()
    assert media == accept, f"asked for {accept}, got {media}"
    return response.content


@pytest.mark.parametrize("test", params("query", query_tests()))
def test_query_evaluation(query_endpoint: Endpoint, test: QueryTest) -> None:
    if test.result.suffix == ".ttl":
        expected = read_rdf_results(test.result, iri_of(test.result))
        if expected is None:  # a CONSTRUCT result
            expected_graph = read_graph(test.result, iri_of(test.result))
            data = run_query(query_endpoint, test, "application/n-triples")
            actual_graph = parse_graph(data, RdfFormat.N_TRIPLES)
            assert same_graph(expected_graph, actual_graph), _diff(expected_graph, actual_graph)
            return
        media, fmt = RESULT_FORMATS[".srj"]  # a result set written in RDF
    else:
        media, fmt = RESULT_FORMATS[test.result.suffix]
        expected = read_results(test.result)
    data = run_query(query_endpoint, test, media)
    actual = parse_csv(data) if fmt is None else parse_solutions(data, fmt)
    if isinstance(expected, bool) or isinstance(actual, bool):
        assert actual == expected
        return
    keys = order_keys(test.query.read_text("utf-8"))
    assert same_solutions(expected, actual, keys), _diff(expected, actual)


def _diff(expected: Solutions | Graph, actual: Solutions | Graph) -> str:
    return f"\nexpected:\n{describe(expected)}\nactual:\n{describe(actual)}"
