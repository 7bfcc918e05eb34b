"""``/api/v1``: concept cards, relations, hierarchy, graph, paths, search, studies, notes,
stats, downloads — and the JSON-LD context they are written in."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from rdflib import Dataset, Graph

from intimacy_graph import concepts, queries
from intimacy_graph.api import models as m
from intimacy_graph.api.deps import ServiceDep
from intimacy_graph.api.models import EXAMPLES, LDJSONResponse, ok
from intimacy_graph.cache import GenerationCache
from intimacy_graph.errors import NotFoundError, NotReadyError, UnusableInputError
from intimacy_graph.jsonld import VERSION, context
from intimacy_graph.namespaces import PREFIXES
from intimacy_graph.rdfio import MEDIA_TYPES, format_of, serialize
from intimacy_graph.search import MATCH_NAMES, ROLE_CLASSES, ConceptIndex
from intimacy_graph.service import Service
from intimacy_graph.slugs import slugify

router = APIRouter(prefix="/api/v1", tags=["concepts"])
root = APIRouter(tags=["concepts"])

Slug = Annotated[
    str,
    Path(
        min_length=1, max_length=200, description="A concept slug", examples=["emotional-intimacy"]
    ),
]
Limit = Annotated[int, Query(ge=1, le=1000, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip")]
Role = Annotated[
    str | None, Query(description="Role filter: " + ", ".join(ROLE_CLASSES), max_length=40)
]
Depth = Annotated[int, Query(ge=1, le=3, description="Hops (1–3)")]


def _generation(service: Service) -> int:
    return service.snapshot.generation if service.snapshot else 0


def _json(
    request: Request,
    service: Service,
    body: Any,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A cacheable JSON-LD response: ETag from the snapshot generation and the URL."""
    tag = hashlib.sha256(f"{_generation(service)}:{request.url}".encode()).hexdigest()[:20]
    etag = f'W/"{tag}"'
    common = {
        "ETag": etag,
        "Cache-Control": "public, max-age=30",
        "Vary": "Accept",
        **(headers or {}),
    }
    if status == 200 and etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=common)
    return JSONResponse(body, status_code=status, headers=common, media_type=m.LD)


def _response_cache(
    request: Request, service: Service, name: str
) -> GenerationCache[str, EncodedBody]:
    """One of the app's caches of encoded responses: ``card`` (``Settings.card_cache_size``;
    off over a remote store, where other replicas write unseen), ``search`` and ``suggest``
    (``Settings.search_memo_size``, keyed by the search index's generation)."""
    caches: dict[str, GenerationCache[str, EncodedBody]] | None = getattr(
        request.app.state, "response_caches", None
    )
    if caches is None:
        settings = service.settings
        caches = {
            "card": GenerationCache(0 if service.remote else settings.card_cache_size),
            "search": GenerationCache(settings.search_memo_size),
            "suggest": GenerationCache(settings.search_memo_size),
        }
        request.app.state.response_caches = caches
    return caches[name]


def _index(service: Service) -> ConceptIndex:
    if service.index is None:
        raise NotReadyError("The search index is still being built; try again shortly.")
    return service.index


def _check_slug(service: Service, slug: str) -> str:
    """The slug if it names a concept; else 404 with "did you mean" suggestions."""
    index = service.index
    if slugify(slug) == slug and (index is None or index.get(slug) is not None):
        return slug
    _not_found(service, slug)


def _not_found(service: Service, slug: str) -> NoReturn:
    index = service.index
    suggestions = (
        []
        if index is None
        else [{"slug": e.slug, "prefLabel": e.pref} for e in index.did_you_mean(slug)]
    )
    hint = (
        " Did you mean " + ", ".join(f"“{s['prefLabel']}”" for s in suggestions) + "?"
        if suggestions
        else ""
    )
    shown = slug if len(slug) <= 80 else slug[:80] + "…"
    raise NotFoundError(f"There is no concept “{shown}”.{hint}", suggestions=suggestions)


def _page_links(request: Request, total: int, limit: int, offset: int) -> dict[str, str]:
    def url(new_offset: int) -> str:
        params = dict(request.query_params)
        params.update({"limit": str(limit), "offset": str(new_offset)})
        return f"{request.url.path}?{urlencode(params)}"

    links = [f'<{url(0)}>; rel="first"']
    if offset > 0:
        links.append(f'<{url(max(0, offset - limit))}>; rel="prev"')
    if offset + limit < total:
        links.append(f'<{url(offset + limit)}>; rel="next"')
    last = max(0, (total - 1) // limit * limit) if total else 0
    links.append(f'<{url(last)}>; rel="last"')
    return {"Link": ", ".join(links), "X-Total-Count": str(total)}


# -- concepts -------------------------------------------------------------------------------


@router.get(
    "/concepts",
    summary="List concepts (paged; filter by role, note, described/stub)",
    response_model=m.ConceptPage,
    response_class=LDJSONResponse,
    responses=ok(EXAMPLES["concepts"], 400, 503),
)
async def list_concepts(
    request: Request,
    service: ServiceDep,
    limit: Limit = 50,
    offset: Offset = 0,
    role: Role = None,
    note: Annotated[str | None, Query(max_length=200)] = None,
    described: bool | None = None,
) -> Response:
    index = _index(service)
    if role is not None and role not in ROLE_CLASSES:
        raise UnusableInputError(
            f"Unknown role {role!r}; use one of {', '.join(ROLE_CLASSES)}.", code="bad-parameter"
        )
    selected = index.select(role=role, note=note, described=described)
    page = [index.entries[slug] for slug in selected[offset : offset + limit]]
    body = {
        "@context": "/context.jsonld",
        "total": len(selected),
        "limit": limit,
        "offset": offset,
        "items": [
            {
                "@id": e.iri,
                "@type": ["ig:Concept", "skos:Concept"],
                "slug": e.slug,
                "prefLabel": e.pref,
                "described": e.described,
                "roles": sorted(e.roles),
            }
            for e in page
        ],
    }
    return _json(request, service, body, headers=_page_links(request, len(selected), limit, offset))


@router.get(
    "/concepts/{slug}",
    summary="A concept card: labels, definition, every typed "
    "relation by role, evidence, the inverse view",
    response_model=m.ConceptCard,
    response_class=LDJSONResponse,
    responses=ok(EXAMPLES["described_card"], 400, 404, 503),
)
async def get_concept(request: Request, service: ServiceDep, slug: Slug) -> Response:
    slug = _check_slug(service, slug)
    # The generation first, then the reader (see intimacy_graph.cache): a card is computed,
    # encoded and gzipped once per snapshot and served from memory until the next write.
    generation = _generation(service)
    cache = _response_cache(request, service, "card")
    cached = cache.get(generation, slug)
    if cached is None:
        reader = _reader(service)
        card = await run_in_threadpool(concepts.concept_card, reader, service.iris, slug)
        if card is None:
            _not_found(service, slug)
        cached = _encoded(card, f"{generation}:card:{slug}")
        cache.put(generation, slug, cached)
    return _send(request, cached)


def _send(request: Request, cached: EncodedBody) -> Response:
    """An encoded JSON-LD body: 304 for a matching If-None-Match, gzip when accepted."""
    headers = {
        "ETag": cached.etag,
        "Cache-Control": "public, max-age=30",
        "Vary": "Accept, Accept-Encoding",
    }
    if cached.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if _accepts_gzip(request.headers.get("accept-encoding", "")):
        headers["Content-Encoding"] = "gzip"
        return Response(cached.gzipped, headers=headers, media_type=m.LD)
    return Response(cached.body, headers=headers, media_type=m.LD)


@dataclass(frozen=True)
class EncodedBody:
    """A JSON-LD response body as sent: the bytes, gzipped once, and its ETag."""

    body: bytes
    gzipped: bytes
    etag: str


def _encoded(value: Any, identity: str) -> EncodedBody:
    body = bytes(JSONResponse(value).body)
    tag = hashlib.sha256(identity.encode()).hexdigest()[:20]
    # mtime=0: the same body gives the same bytes (ETags name the representation)
    return EncodedBody(body, gzip.compress(body, compresslevel=6, mtime=0), f'W/"{tag}"')


def _accepts_gzip(header: str) -> bool:
    """Whether ``Accept-Encoding`` names gzip without ``q=0`` (``*`` is not taken up: identity
    is always acceptable, and a client that names no coding gets none)."""
    for part in header.split(","):
        name, _, params = part.partition(";")
        if name.strip().lower() == "gzip":
            q = params.replace(" ", "").lower().removeprefix("q=")
            return not params.strip() or q.rstrip("0").rstrip(".") not in ("0", "")
    return False


def _from_index(
    request: Request, service: Service, name: str, make: Callable[[ConceptIndex], Any]
) -> Response:
    """A response computed from the search index, kept for the index's generation and
    keyed by the query string (a write makes a new index, and so a new generation)."""
    index = _index(service)
    key = str(sorted(request.query_params.multi_items()))
    cache = _response_cache(request, service, name)
    cached = cache.get(index.generation, key)
    if cached is None:
        cached = _encoded(make(index), f"{index.generation}:{name}:{key}")
        cache.put(index.generation, key, cached)
    return _send(request, cached)


@router.get(
    "/concepts/{slug}/related",
    summary="Typed neighbours up to depth 3",
    response_model=m.RelatedList,
    response_class=LDJSONResponse,
    responses=ok(EXAMPLES["related"], 400, 404, 503),
)
async def get_related(
    request: Request,
    service: ServiceDep,
    slug: Slug,
    relation: Annotated[str | None, Query(max_length=40)] = None,
    depth: Depth = 1,
) -> Response:
    slug = _check_slug(service, slug)
    if relation is not None and relation not in concepts.RELATIONS:
        raise UnusableInputError(
            f"Unknown relation {relation!r}; use one of {', '.join(concepts.RELATIONS)}.",
            code="bad-parameter",
        )
    items = await run_in_threadpool(
        concepts.related, _reader(service), service.iris, slug, relation, depth
    )
    return _json(
        request,
        service,
        {
            "@context": "/context.jsonld",
            "concept": slug,
            "relation": relation,
            "depth": depth,
            "items": items,
        },
    )


def _hierarchy(name: str) -> Any:
    async def route(request: Request, service: ServiceDep, slug: Slug) -> Response:
        slug = _check_slug(service, slug)
        items = await run_in_threadpool(
            concepts.hierarchy, _reader(service), service.iris, slug, name
        )
        return _json(
            request,
            service,
            {"@context": "/context.jsonld", "concept": slug, "relation": name, "items": items},
        )

    route.__name__ = f"get_{name}"
    return route


for _name, _summary in (
    ("broader", "Broader concepts (one step)"),
    ("narrower", "Narrower concepts (one step)"),
    ("ancestors", "All broader concepts, transitively"),
    ("descendants", "All narrower concepts, transitively"),
):
    router.add_api_route(
        f"/concepts/{{slug}}/{_name}",
        _hierarchy(_name),
        methods=["GET"],
        summary=_summary,
        response_model=m.HierarchyList,
        response_class=LDJSONResponse,
        responses=ok({**EXAMPLES["hierarchy"], "relation": _name}, 400, 404, 503),
    )


@router.get(
    "/roots",
    summary="Top concepts: narrower concepts below, nothing above",
    response_model=m.RefList,
    response_class=LDJSONResponse,
    responses=ok(EXAMPLES["roots"], 503),
)
async def get_roots(request: Request, service: ServiceDep) -> Response:
    items = await run_in_threadpool(concepts.roots, _reader(service))
    return _json(request, service, {"@context": "/context.jsonld", "items": items})


@router.get(
    "/concepts/{slug}/graph",
    summary="Neighbourhood as nodes and typed edges",
    response_model=m.Neighbourhood,
    response_class=LDJSONResponse,
    responses=ok(EXAMPLES["graph"], 400, 404, 503),
)
async def get_graph(
    request: Request, service: ServiceDep, slug: Slug, depth: Depth = 1
) -> Response:
    slug = _check_slug(service, slug)
    labels = _index(service).labels
    body = await run_in_threadpool(
        concepts.neighbourhood, _reader(service), service.iris, slug, depth, labels
    )
    return _json(request, service, body)


@router.get(
    "/concepts/{slug}/path/{other}",
    summary="Shortest connections between two concepts, each edge typed and directed",
    response_model=m.PathResult,
    response_class=LDJSONResponse,
    responses=ok(EXAMPLES["path"], 400, 404, 503),
)
async def get_path(
    request: Request,
    service: ServiceDep,
    slug: Slug,
    other: Annotated[str, Path(min_length=1, max_length=200)],
) -> Response:
    slug = _check_slug(service, slug)
    other = _check_slug(service, other)
    labels = _index(service).labels
    found = await run_in_threadpool(
        concepts.paths, _reader(service), service.iris, slug, other, labels
    )
    body = {
        "@context": "/context.jsonld",
        "from": slug,
        "to": other,
        "connected": bool(found),
        "length": len(found[0]) if found else None,
        "paths": found,
    }
    if not found:
        body["message"] = f"{slug!r} and {other!r} are not connected within 6 steps."
    return _json(request, service, body)


# -- search -----------------------------------------------------------------------------------


@router.get(
    "/search",
    summary="Ranked concept search (labels first, then definitions)",
    response_model=m.SearchResult,
    response_class=LDJSONResponse,
    responses=ok(EXAMPLES["search"], 400, 503),
)
async def search(
    request: Request,
    service: ServiceDep,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    role: Role = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    if role is not None and role not in ROLE_CLASSES:
        raise UnusableInputError(
            f"Unknown role {role!r}; use one of {', '.join(ROLE_CLASSES)}.", code="bad-parameter"
        )

    def make(index: ConceptIndex) -> dict[str, Any]:
        return {
            "@context": "/context.jsonld",
            "q": q,
            "role": role,
            "items": [
                {
                    "@id": h.entry.iri,
                    "slug": h.entry.slug,
                    "prefLabel": h.entry.pref,
                    "matched": h.matched,
                    "match": h.match,
                    "rank": h.rank,
                    "definition": h.entry.definition,
                    "roles": sorted(h.entry.roles),
                }
                for h in index.search(q, role=role, limit=limit)
            ],
            "ranking": list(MATCH_NAMES),
        }

    return _from_index(request, service, "search", make)


@router.get(
    "/suggest",
    summary="Autocomplete: labels starting with q",
    response_model=m.SuggestResult,
    response_class=LDJSONResponse,
    responses=ok(EXAMPLES["suggest"], 400, 503),
)
async def suggest(
    request: Request,
    service: ServiceDep,
    q: Annotated[str, Query(min_length=1, max_length=100)],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    def make(index: ConceptIndex) -> dict[str, Any]:
        found = index.suggest(q, limit)
        return {
            "q": q,
            "items": [
                {"@id": e.iri, "slug": e.slug, "prefLabel": e.pref, "matched": label}
                for e, label in found
            ],
        }

    return _from_index(request, service, "suggest", make)


# -- studies, notes ------------------------------------------------------------------------------


@router.get(
    "/studies",
    summary="Studies cited as evidence",
    response_model=m.StudyList,
    response_class=LDJSONResponse,
    responses=ok(EXAMPLES["studies"], 503),
)
async def list_studies(request: Request, service: ServiceDep) -> Response:
    rows = await run_in_threadpool(_reader(service).select, queries.load("list_studies"))
    items = [
        {
            "@id": str(r["work"]),
            "@type": "ig:Study",
            "slug": concepts._slug(r["work"]),
            "label": concepts._str(r, "label"),
            "year": concepts._str(r, "year"),
            "authors": sorted(a for a in str(r.get("authors", "")).split("|") if a),
            "citedBy": concepts._int(r, "citedBy"),
        }
        for r in rows
    ]
    return _json(request, service, {"@context": "/context.jsonld", "items": items})


@router.get(
    "/studies/{slug}",
    summary="A study with the claims each note makes from it",
    response_model=m.Study,
    response_class=LDJSONResponse,
    responses=ok(EXAMPLES["study"], 400, 404, 503),
)
async def get_study(request: Request, service: ServiceDep, slug: Slug) -> Response:
    if slugify(slug) != slug:
        raise NotFoundError(f"There is no study {slug!r}.")
    work = service.iris.work(slug)
    rows = await run_in_threadpool(
        _reader(service).select, queries.load("get_work"), {"work": work}
    )
    if not rows:
        raise NotFoundError(f"There is no study {slug!r}.")
    first = rows[0]
    claims: dict[str, dict[str, Any]] = {}
    for r in rows:
        if "statement" in r:
            claims[str(r["statement"])] = {
                "@id": str(r["statement"]),
                "@type": "ig:EvidenceStatement",
                "note": concepts._str(r, "note"),
                "concept": concepts.ref(r["subject"], r.get("subjectLabel")),
                "studySummary": concepts._str(r, "summary"),
                "finding": concepts._str(r, "finding"),
            }
    body = {
        "@context": "/context.jsonld",
        "@id": str(work),
        "@type": ["ig:Study", "ig:Work"]
        if concepts._str(first, "isStudy") == "true"
        else ["ig:Work"],
        "slug": slug,
        "label": concepts._str(first, "label"),
        "year": concepts._str(first, "year"),
        "authors": sorted({str(r["author"]) for r in rows if "author" in r}),
        "citedBy": sorted({str(r["citingNote"]) for r in rows if "citingNote" in r}),
        "claims": list(claims.values()),
    }
    return _json(request, service, body)


@router.get(
    "/notes",
    summary="Notes in the graph",
    response_model=m.NoteList,
    response_class=LDJSONResponse,
    responses=ok(EXAMPLES["notes"], 503),
)
async def list_notes(request: Request, service: ServiceDep) -> Response:
    rows = await run_in_threadpool(_reader(service).select, queries.load("list_notes"))
    items = [
        {
            "@id": str(r["note"]),
            "@type": "ig:ConceptNote",
            "slug": concepts._slug(r["note"]),
            "title": concepts._str(r, "title"),
            "concept": str(r["concept"]),
            "source": concepts._str(r, "source"),
            "contentHash": concepts._str(r, "hash"),
            "modified": concepts._str(r, "modified"),
        }
        for r in rows
    ]
    return _json(request, service, {"@context": "/context.jsonld", "items": items})


@router.get(
    "/notes/{slug}",
    summary="A note: metadata, Markdown source (`Accept: text/markdown`), compiled graph",
    response_model=m.Note,
    response_class=LDJSONResponse,
    responses=m.merge(
        ok(EXAMPLES["note"], 400, 404, 503),
        {200: {"content": {"text/markdown": m.text("see also:\n- [[Attachment]]\n…")}}},
    ),
)
async def get_note(request: Request, service: ServiceDep, slug: Slug) -> Response:
    if slugify(slug) != slug:
        raise NotFoundError(f"There is no note {slug!r}.")
    iris = service.iris
    rows = await run_in_threadpool(
        _reader(service).select,
        queries.load("get_note"),
        {"note": iris.note(slug), "g": iris.note_graph(slug)},
    )
    if not rows or "concept" not in rows[0]:
        raise NotFoundError(f"There is no note {slug!r}.")
    r = rows[0]
    if "text/markdown" in request.headers.get("accept", ""):
        return Response(
            concepts._str(r, "markdown") or "",
            media_type="text/markdown",
            headers={"Vary": "Accept"},
        )
    graph_url = f"/graph/note/{slug}"
    body = {
        "@context": "/context.jsonld",
        "@id": str(iris.note(slug)),
        "@type": "ig:ConceptNote",
        "slug": slug,
        "title": concepts._str(r, "title"),
        "concept": str(r["concept"]),
        "source": concepts._str(r, "source"),
        "contentHash": concepts._str(r, "hash"),
        "modified": concepts._str(r, "modified"),
        "closing": concepts._str(r, "description"),
        "markdown": concepts._str(r, "markdown"),
        "generatedBy": concepts._str(r, "run"),
        "graph": {
            "@id": str(iris.note_graph(slug)),
            "triples": concepts._int(r, "triples"),
            "download": {
                fmt: f"{graph_url}?format={fmt}" for fmt in ("ttl", "jsonld", "nt", "rdf")
            },
        },
    }
    return _json(request, service, body)


# -- stats, downloads, context -----------------------------------------------------------------


@router.get(
    "/stats",
    summary="Counts per class and per relation",
    response_model=m.Stats,
    response_class=LDJSONResponse,
    responses=ok(EXAMPLES["stats"], 503),
)
async def stats(request: Request, service: ServiceDep) -> Response:
    reader = _reader(service)
    classes = await run_in_threadpool(reader.select, queries.load("count_by_class"))
    relations = await run_in_threadpool(reader.select, queries.load("count_by_relation"))
    body = {
        "classes": {concepts.curie(str(r["class"])): int(str(r["count"])) for r in classes},
        "relations": {concepts.curie(str(r["relation"])): int(str(r["count"])) for r in relations},
        "quads": len(reader),
        "generation": service.snapshot.generation if service.snapshot else None,
    }
    return _json(request, service, body)


@router.get(
    "/download/{name}.{ext}",
    summary="Download the ontology or the whole graph",
    response_class=Response,
    responses=m.merge(m.downloads(), m.errors(400, 503)),
)
async def download(
    service: ServiceDep,
    name: Annotated[str, Path(pattern="^(ontology|graph)$")],
    ext: Annotated[str, Path(pattern="^(ttl|nt|nq|trig|jsonld|rdf)$")],
) -> Response:
    reader = _reader(service)
    fmt = format_of(ext)
    if name == "ontology":
        data: Graph | Any = await run_in_threadpool(reader.graph, service.iris.ontology_graph)
        if fmt in ("nquads", "trig"):  # a dataset format: the ontology in its named graph
            dataset = Dataset()
            named = dataset.graph(service.iris.ontology_graph)
            for triple in data:
                named.add(triple)
            data = dataset
    else:
        data = await run_in_threadpool(reader.dataset)
    body = await run_in_threadpool(serialize, data, fmt, PREFIXES)
    return Response(
        body,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="intimacy-graph-{name}.{ext}"',
            "Cache-Control": "public, max-age=60",
        },
    )


_CONTEXT_DOC: dict[str, Any] = {
    "response_model": m.ContextDocument,
    "response_class": LDJSONResponse,
    "responses": ok(EXAMPLES["context"], cached=False),
}


@root.get(
    "/context.jsonld", summary="The JSON-LD context of the API (latest version)", **_CONTEXT_DOC
)
@root.get(
    f"/context/{VERSION}.jsonld",
    summary="The JSON-LD context, version " + VERSION,
    **_CONTEXT_DOC,
)
async def get_context(service: ServiceDep) -> Response:
    return JSONResponse(
        context(service.iris.base),
        media_type="application/ld+json",
        headers={"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"},
    )


def _reader(service: Service) -> Any:
    reader = service.reader
    if reader is None:
        raise NotReadyError("The store is not open yet; try again shortly.")
    return reader
