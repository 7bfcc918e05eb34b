"""Run the HTTP exchanges of a protocol manifest (``ht:Request`` → expected ``ht:Response``).

Shared by the SPARQL Protocol and the Graph Store Protocol suites.  Each request's path has its
manifest prefix (``/sparql/``, ``/gsp``) swapped for ours; writes get the editor key; a
``mf:expectedLocation`` template variable is filled from the ``Location`` header and replaced
in later requests of the same test.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import httpx
import pyoxigraph as ox

from .endpoint import Endpoint
from .manifest import HttpRequest, HttpTest
from .results import parse_graph, same_graph

#: ``hts:`` status names used by the manifests → the codes they allow.
STATUSES: dict[str, Callable[[int], bool]] = {
    "StatusCode2xx": lambda code: 200 <= code < 300,
    "StatusCode3xx": lambda code: 300 <= code < 400,
    "StatusCode4xx": lambda code: 400 <= code < 500,
    "StatusCode5xx": lambda code: 500 <= code < 600,
    "OK": lambda code: code == 200,
    "Created": lambda code: code == 201,
    "NoContent": lambda code: code == 204,
    "NotFound": lambda code: code == 404,
}
#: ``mf:expectedFormat`` → the media types that satisfy it (SPARQL 1.1 Protocol §2.1.6).
FORMATS = {
    "boolean": {"application/sparql-results+xml", "application/sparql-results+json"},
    "tabular": {
        "application/sparql-results+xml",
        "application/sparql-results+json",
        "text/csv",
        "text/tab-separated-values",
    },
    "RDF": {"application/rdf+xml", "text/turtle", "application/n-triples", "text/html"},
}
RESULT_PARSERS = {
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
}
RDF_PARSERS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


def media_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def same_header(expected: str, actual: str) -> bool:
    """Media types (and their parameters) compare case-insensitively, ignoring spaces."""

    def norm(value: str) -> list[str]:
        return [part.strip().lower() for part in value.split(";")]

    return norm(expected) == norm(actual)


def is_update(request: HttpRequest) -> bool:
    headers = {k.lower(): v for k, v in request.headers}
    media = media_type(headers.get("content-type", ""))
    if media == "application/sparql-update":
        return True
    form = request.body.decode("utf-8", "replace") if request.body else ""
    url_params = parse_qsl(urlsplit(request.path).query)
    form_params = parse_qsl(form) if media == "application/x-www-form-urlencoded" else []
    return any(name == "update" for name, _ in [*url_params, *form_params])


def dataset_graphs(test: HttpTest) -> set[str]:
    """Graph IRIs a test names in ``default-graph-uri``/``named-graph-uri`` parameters."""
    names: set[str] = set()
    for request in test.requests:
        params = parse_qsl(urlsplit(request.path).query)
        if request.body and b"=" in request.body:
            params += parse_qsl(request.body.decode("utf-8", "replace"))
        names.update(v for k, v in params if k in ("default-graph-uri", "named-graph-uri"))
    return names


def run(
    endpoint: Endpoint,
    test: HttpTest,
    *,
    prefix: str,
    ours: str,
    needs_key: Callable[[HttpRequest], bool],
) -> None:
    """Send every request of ``test`` in order and check each response."""
    variables: dict[str, str] = {}
    for number, request in enumerate(test.requests, 1):
        path, body = request.path, request.body
        for name, value in variables.items():
            path = path.replace(name, value)
            body = body.replace(name.encode(), value.encode()) if body is not None else None
        assert path.startswith(prefix), path
        path = ours + path[len(prefix) :]
        headers = dict(request.headers)
        if needs_key(request):
            headers.update(endpoint.editor)
        response = endpoint.http.request(request.method, path, content=body, headers=headers)
        where = f"request {number} ({request.method} {path})"
        check(response, request, where, str(response.request.url))
        if request.expected_location:
            location = response.headers.get("location")
            assert location, f"{where}: no Location header"
            variables[request.expected_location] = location


def check(response: httpx.Response, request: HttpRequest, where: str, url: str) -> None:
    status = response.status_code
    detail = f"{where}: {status} {response.text[:800]}"
    if request.statuses:
        allowed = [STATUSES[name] for name in request.statuses]
        assert any(ok(status) for ok in allowed), f"{detail} (expected {request.statuses})"
    media = media_type(response.headers.get("content-type", ""))
    if request.expected_format is not None:
        assert media in FORMATS[request.expected_format], f"{where}: content type {media!r}"
    if request.expected_boolean is not None:
        parsed = ox.parse_query_results(response.content, format=RESULT_PARSERS[media])
        assert isinstance(parsed, ox.QueryBoolean), f"{where}: not a boolean result"
        assert bool(parsed) is request.expected_boolean, f"{where}: {bool(parsed)}"
    for name, value in request.response_headers:
        actual = response.headers.get(name)
        assert actual is not None, f"{where}: no {name} header"
        assert same_header(value, actual), f"{where}: {name} is {actual!r}, not {value!r}"
    if request.response_body is not None:
        expected_type = dict((k.lower(), v) for k, v in request.response_headers).get(
            "content-type", "text/turtle"
        )
        expected = parse_graph(
            request.response_body.encode(), RDF_PARSERS[media_type(expected_type)], url
        )
        actual_graph = parse_graph(response.content, RDF_PARSERS[media], url)
        assert same_graph(expected, actual_graph), f"{where}: body differs\n{response.text[:2000]}"
