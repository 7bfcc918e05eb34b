"""W3C SPARQL 1.1 syntax tests (query and update), sent to the endpoint.

One test per positive/negative syntax test of the query and update manifests.  Queries go to
the read-only query server over an empty dataset; updates go, with the editor key, to the
write server, reset first (a positive update really runs).
``BASE <file>`` is prepended, as a file would have it.

A positive test passes when the endpoint answers with success or with a typed error (a JSON
body with a ``code``) that does not call the request malformed — it may refuse it by design
(``load-refused``, ``service-refused``, ``remote-dataset-refused``) or report that running it
failed.  An untyped 500 fails.  A negative test passes when the endpoint answers 400.
"""

from __future__ import annotations

import pytest

from .endpoint import EMPTY_GRAPH, Endpoint
from .manifest import SyntaxTest, iri_of, params, skip_if_missing, syntax_tests

skip_if_missing()

#: Error codes that say the request is not valid SPARQL (of the kind sent).
MALFORMED = {"query-syntax", "not-an-update", "update-on-query-route", "missing-query"}


def send(request: pytest.FixtureRequest, test: SyntaxTest) -> tuple[int, str, str]:
    text = f"BASE <{iri_of(test.file)}>\n{test.file.read_text('utf-8')}"
    if test.update:
        endpoint: Endpoint = request.getfixturevalue("write_endpoint")
        endpoint.reset()  # the outcome of e.g. CREATE GRAPH must not depend on test order
        response = endpoint.update(text)
    else:
        endpoint = request.getfixturevalue("query_endpoint")
        response = endpoint.query(text, accept="*/*", default_graphs=[EMPTY_GRAPH])
    code = ""
    if response.headers.get("content-type", "").startswith("application/json"):
        code = str(response.json().get("code", ""))
    return response.status_code, code, response.text[:1000]


@pytest.mark.parametrize("test", params("syntax", syntax_tests()))
def test_syntax(request: pytest.FixtureRequest, test: SyntaxTest) -> None:
    status, code, body = send(request, test)
    if test.positive:
        assert status < 400 or code, f"untyped {status}: {body}"
        assert code not in MALFORMED, f"called malformed: {status} {body}"
    else:
        assert status == 400, f"accepted ({status}): {body}"
