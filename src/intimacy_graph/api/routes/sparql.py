"""``/sparql``: the W3C SPARQL 1.1 Protocol (query and, with an editor key, update)."""

from __future__ import annotations

import functools
import hashlib
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef

from intimacy_graph.api.negotiation import (
    BOOLEAN_TYPES,
    CONTENT_TYPES,
    GRAPH_TYPES,
    SOLUTION_TYPES,
    choose,
)
from intimacy_graph.errors import (
    QueryRefusedError,
    UnsupportedMediaTypeError,
    UnusableInputError,
)
from intimacy_graph.keys import Role
from intimacy_graph.service import Service

router = APIRouter(tags=["sparql"])
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS_NS = Namespace("http://www.w3.org/ns/formats/")


class ProtocolError(UnusableInputError):
    """A request that breaks the SPARQL Protocol (missing or repeated parameters, ...)."""

    def __init__(self, message: str, code: str = "bad-sparql-request") -> None:
        super().__init__(message, code=code)


def _one(params: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in params if k == name]
    if len(values) > 1:
        raise ProtocolError(f"The parameter {name!r} may appear only once.")
    return values[0] if values else None


def _all(params: list[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in params if k == name]


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError("The request body is not valid UTF-8.", "invalid-utf8") from exc


def _accepts_html(accept: str | None) -> bool:
    if not accept:
        return False
    import mimeparse

    try:
        best = mimeparse.best_match(["text/turtle", "application/rdf+xml", "text/html"], accept)
    except ValueError:  # a malformed Accept header: not a browser
        return False
    return bool(best == "text/html")


def _header_parameter(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": False,
        "schema": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": name.title()},
    }


#: The handlers read their headers from the request rather than as ``Header(...)`` parameters
#: (FastAPI's dependency solving was a fifth of the main process's CPU per query), so the
#: OpenAPI document lists them here instead; errors are the one error shape.
_ERRORS = {
    "4XX": {
        "description": "Refused, in the one error shape",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
}
_GET_DOC: dict[str, Any] = {"parameters": [_header_parameter("accept")], "responses": _ERRORS}
_POST_DOC: dict[str, Any] = {
    "parameters": [_header_parameter(n) for n in ("accept", "authorization", "content-type")],
    "responses": _ERRORS,
}


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


@router.get(
    "/sparql",
    summary="SPARQL 1.1 query (GET)",
    response_class=Response,
    openapi_extra=_GET_DOC,
)
async def sparql_get(request: Request) -> Response:
    service = _service(request)
    accept = request.headers.get("accept")
    params = parse_qsl(request.url.query, keep_blank_values=True)
    query = _one(params, "query")
    if _one(params, "update") is not None:
        raise ProtocolError("SPARQL Update must be sent with POST.", "update-needs-post")
    if query is None:
        if _accepts_html(accept):
            return _query_page()
        return _service_description(request, service, accept)
    return await _run_query(service, query, params, accept, _endpoint(request))


@router.post(
    "/sparql",
    summary="SPARQL 1.1 query or update (POST)",
    response_class=Response,
    openapi_extra=_POST_DOC,
)
async def sparql_post(request: Request) -> Response:
    service = _service(request)
    accept, content_type, authorization = _headers(request)
    url_params = parse_qsl(request.url.query, keep_blank_values=True)
    media = (content_type or "").split(";", 1)[0].strip().lower()
    body = await request.body()
    if media == "application/x-www-form-urlencoded":
        form = parse_qsl(_decode(body), keep_blank_values=True)
        params = [*url_params, *form]
        query, update = _one(params, "query"), _one(params, "update")
    elif media == "application/sparql-query":
        params, query, update = url_params, _decode(body), None
    elif media == "application/sparql-update":
        params, query, update = url_params, None, _decode(body)
    else:
        raise UnsupportedMediaTypeError(
            "POST /sparql takes application/x-www-form-urlencoded, application/sparql-query "
            f"or application/sparql-update, not {media or 'no content type'!r}."
        )
    if query is not None and update is not None:
        raise ProtocolError("Send either a query or an update, not both.")
    base = _endpoint(request)
    if update is not None:
        key = service.keys.require(authorization, Role.EDITOR)
        seen = service.check_query(update, base)
        if seen.empty:  # only comments, PREFIX and BASE: a legal no-op
            return Response(status_code=204)
        if not seen.is_update:
            raise ProtocolError(
                "The 'update' parameter holds a query; send it as 'query'.", "not-an-update"
            )
        if _all(params, "using-graph-uri") or _all(params, "using-named-graph-uri"):
            raise QueryRefusedError(
                "using-graph-uri is not supported; use USING in the update.",
                code="remote-dataset-refused",
            )
        await run_in_threadpool(service.update, update, key, base)
        return Response(status_code=204)
    if query is None:
        raise ProtocolError("The request has no 'query' (or 'update') parameter.", "missing-query")
    return await _run_query(service, query, params, accept, base)


def _headers(request: Request) -> tuple[str | None, str | None, str | None]:
    """``Accept``, ``Content-Type`` and ``Authorization`` (the first of each), in one pass."""
    found: dict[bytes, str] = {}
    for name, value in request.scope["headers"]:
        if name in _WANTED and name not in found:
            found[name] = value.decode("latin-1")
    return found.get(b"accept"), found.get(b"content-type"), found.get(b"authorization")


_WANTED = frozenset({b"accept", b"content-type", b"authorization"})


def _endpoint(request: Request) -> str:
    """The endpoint's own URL: the base IRI of requests that declare none (Protocol §2.1)."""
    return str(request.url.replace(query=""))


async def _run_query(
    service: Service,
    query: str,
    params: list[tuple[str, str]],
    accept: str | None,
    base: str | None = None,
) -> Response:
    seen = service.check_query(query, base)
    if seen.is_update:
        raise ProtocolError(
            "This is an update; send it with POST as 'update' (editors only).",
            "update-on-query-route",
        )
    if seen.form is None:
        raise ProtocolError(
            "The query has no SELECT, ASK, CONSTRUCT or DESCRIBE form.", "query-syntax"
        )
    kind = (
        "graph"
        if seen.form in ("CONSTRUCT", "DESCRIBE")
        else "boolean"
        if seen.form == "ASK"
        else "solutions"
    )
    fmt = _negotiate(accept, kind, _one(params, "format"))
    default_graphs = _all(params, "default-graph-uri")
    named_graphs = _all(params, "named-graph-uri")
    has_dataset = bool(default_graphs or named_graphs)
    output = await service.query(
        query,
        fmt,
        default_graphs=default_graphs if has_dataset else None,
        named_graphs=named_graphs if has_dataset else None,
        base_iri=base,
    )
    headers = {"X-SPARQL-MaxRows": str(service.settings.max_rows), "Vary": "Accept"}
    if output.truncated:
        headers["X-Truncated"] = "true"
        headers["Warning"] = (
            f'199 intimacy-graph "results truncated to {service.settings.max_rows} rows"'
        )
    return Response(output.data, media_type=CONTENT_TYPES[fmt], headers=headers)


_OFFERED = {"graph": GRAPH_TYPES, "boolean": BOOLEAN_TYPES, "solutions": SOLUTION_TYPES}


def _negotiate(accept: str | None, kind: str, override: str | None) -> str:
    """:func:`choose` for one kind of result; clients repeat their ``Accept`` header, so the
    answers for ordinary-sized headers are remembered (a refusal is not)."""
    if accept is not None and len(accept) > 512:
        return choose(accept, _OFFERED[kind], override=override)
    return _negotiate_cached(accept, kind, override)


@functools.lru_cache(maxsize=256)
def _negotiate_cached(accept: str | None, kind: str, override: str | None) -> str:
    return choose(accept, _OFFERED[kind], override=override)


def _query_page() -> HTMLResponse:
    from intimacy_graph.web.sparql_page import render_sparql_page

    return HTMLResponse(render_sparql_page(), headers={"Vary": "Accept"})


def _service_description(request: Request, service: Service, accept: str | None) -> Response:
    fmt = choose(accept, GRAPH_TYPES, override=request.query_params.get("format"))
    endpoint = URIRef(str(request.url.replace(query="")))
    g = Graph()
    g.bind("sd", SD)
    node = URIRef(str(endpoint) + "#service")
    g.add((node, RDF.type, SD.Service))
    g.add((node, SD.endpoint, endpoint))
    for language in ("SPARQL11Query", "SPARQL11Update"):
        g.add((node, SD.supportedLanguage, SD[language]))
    g.add((node, SD.feature, SD.UnionDefaultGraph))
    for name in (
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "RDF_XML",
        "JSON-LD",
    ):
        g.add((node, SD.resultFormat, FORMATS_NS[name]))
    dataset = URIRef(str(endpoint) + "#dataset")
    g.add((node, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    default = URIRef(str(endpoint) + "#default-graph")
    g.add((dataset, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    for name in sorted(service.known_graphs):
        named = URIRef(str(endpoint) + "#graph-" + hashlib.sha256(name.encode()).hexdigest()[:12])
        g.add((dataset, SD.namedGraph, named))
        g.add((named, RDF.type, SD.NamedGraph))
        g.add((named, SD.name, URIRef(name)))
    g.add(
        (
            node,
            RDFS.comment,
            Literal(
                "Read-only for the public; SPARQL Update and the Graph Store Protocol "
                "need an editor key. The default graph is the union of all named graphs."
            ),
        )
    )
    from intimacy_graph.rdfio import serialize

    data = serialize(g, fmt)
    return Response(data, media_type=CONTENT_TYPES[fmt], headers={"Vary": "Accept"})
