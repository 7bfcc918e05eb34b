"""W3C SPARQL 1.1 Protocol tests (``protocol/manifest.ttl``), over real HTTP.

One test per ``mf:ProtocolTest``.  The endpoint never fetches remote graphs, so before each
test the harness loads each ``ut:graphData`` into the graph its ``rdfs:label`` names and
creates, empty, every other graph the test names in ``default-graph-uri``/``named-graph-uri``
(the suite expects those documents to be fetched from the web; the queries that use them do
not depend on their content).  Update requests carry the editor key.  Also here: updates
without a key are refused (401), and with a reader key forbidden (403).
"""

from __future__ import annotations

import httpx
import pytest

from .endpoint import Endpoint
from .http_tests import dataset_graphs, is_update, run
from .manifest import HttpTest, params, protocol_tests, skip_if_missing

skip_if_missing()


@pytest.mark.parametrize("test", params("protocol", protocol_tests()))
def test_protocol(write_endpoint: Endpoint, test: HttpTest) -> None:
    loaded = {name for _, name in test.graph_data}
    write_endpoint.reset(named=test.graph_data, empty=sorted(dataset_graphs(test) - loaded))
    run(write_endpoint, test, prefix="/sparql/", ours="/sparql", needs_key=is_update)


UPDATE = "INSERT DATA { <http://example.org/s> <http://example.org/p> 1 }"


@pytest.mark.parametrize("encoding", ["direct", "form"])
def test_update_without_key_is_unauthorized(write_endpoint: Endpoint, encoding: str) -> None:
    response = _post_update(write_endpoint, encoding, {})
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("encoding", ["direct", "form"])
def test_update_with_reader_key_is_forbidden(write_endpoint: Endpoint, encoding: str) -> None:
    reader = {"Authorization": f"Bearer {write_endpoint.server.reader_key}"}
    response = _post_update(write_endpoint, encoding, reader)
    assert response.status_code == 403, response.text


def _post_update(endpoint: Endpoint, encoding: str, auth: dict[str, str]) -> httpx.Response:
    if encoding == "direct":
        return endpoint.http.post(
            "/sparql",
            content=UPDATE.encode(),
            headers={"Content-Type": "application/sparql-update", **auth},
        )
    return endpoint.http.post("/sparql", data={"update": UPDATE}, headers=auth)
