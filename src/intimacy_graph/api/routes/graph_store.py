"""``/graph-store``: the SPARQL 1.1 Graph Store HTTP Protocol (indirect identification).

Reads are open to all; PUT, POST and DELETE need an editor key.  ``?default`` is the store's
own default graph (empty unless someone writes to it); ``?graph=IRI`` a named graph.  Note
that the *query* default graph is the union of all graphs (DESIGN.md §3).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from rdflib import Graph, URIRef

from intimacy_graph.api.deps import EditorDep, ServiceDep
from intimacy_graph.api.negotiation import CONTENT_TYPES, GRAPH_TYPES, choose
from intimacy_graph.errors import NotFoundError, UnsupportedMediaTypeError, UnusableInputError
from intimacy_graph.rdfio import parse_rdf, serialize, union

router = APIRouter(tags=["graph-store"])

_INPUT_TYPES = {media: fmt for media, fmt in GRAPH_TYPES.items() if fmt not in ("nquads", "trig")}


def _target(request: Request) -> URIRef | None:
    params = parse_qsl(request.url.query, keep_blank_values=True)
    graphs = [v for k, v in params if k == "graph"]
    default = any(k == "default" for k, _ in params)
    if default == bool(graphs) or len(graphs) > 1:
        raise UnusableInputError(
            "Name exactly one graph: '?default' or '?graph=IRI'.", code="bad-graph-parameter"
        )
    if default:
        return None
    iri = graphs[0]
    if not iri or any(ch in iri for ch in ' <>"{}|^`\\') or ":" not in iri:
        raise UnusableInputError(f"{iri!r} is not an absolute IRI.", code="bad-graph-iri")
    return URIRef(iri)


@router.get("/graph-store", summary="Read a graph (Graph Store Protocol)", response_class=Response)
@router.head("/graph-store", include_in_schema=False, response_class=Response)
async def read_graph(
    request: Request, service: ServiceDep, accept: Annotated[str | None, Header()] = None
) -> Response:
    name = _target(request)
    fmt = choose(
        accept,
        {k: v for k, v in GRAPH_TYPES.items() if v not in ("nquads", "trig")},
        override=request.query_params.get("format"),
    )
    reader = service.reader
    assert reader is not None
    if name is not None and str(name) not in service.known_graphs:
        raise NotFoundError(f"There is no graph <{name}> in this store.")
    data = serialize(reader.graph(name), fmt)
    return Response(data, media_type=CONTENT_TYPES[fmt], headers={"Vary": "Accept"})


async def _body_graph(request: Request, content_type: str | None) -> Graph:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    fmt = _INPUT_TYPES.get(media)
    if fmt is None:
        raise UnsupportedMediaTypeError(
            f"Send RDF as one of {', '.join(_INPUT_TYPES)}, not {media or 'no content type'!r}."
        )
    body = await request.body()
    return union(parse_rdf(body, fmt, base=str(request.url)))


@router.put(
    "/graph-store", summary="Replace a graph (editor key)", status_code=204, response_class=Response
)
async def put_graph(
    request: Request,
    service: ServiceDep,
    key: EditorDep,
    content_type: Annotated[str | None, Header()] = None,
) -> Response:
    name = _target(request)
    existed = name is None or str(name) in service.known_graphs
    data = await _body_graph(request, content_type)
    await run_in_threadpool(service.replace_graph, name, data, key)
    return Response(status_code=204 if existed else 201)


@router.post(
    "/graph-store",
    summary="Merge into a graph (editor key)",
    status_code=204,
    response_class=Response,
)
async def post_graph(
    request: Request,
    service: ServiceDep,
    key: EditorDep,
    content_type: Annotated[str | None, Header()] = None,
) -> Response:
    name = _target(request)
    existed = name is None or str(name) in service.known_graphs
    data = await _body_graph(request, content_type)
    await run_in_threadpool(service.replace_graph, name, data, key, merge=True)
    return Response(status_code=204 if existed else 201)


@router.delete(
    "/graph-store", summary="Delete a graph (editor key)", status_code=204, response_class=Response
)
async def delete_graph(request: Request, service: ServiceDep, key: EditorDep) -> Response:
    name = _target(request)
    if name is not None and str(name) not in service.known_graphs:
        raise NotFoundError(f"There is no graph <{name}> in this store.")
    await run_in_threadpool(service.drop_graph, name, key)
    return Response(status_code=204)
