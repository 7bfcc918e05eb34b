"""``/api/v1``: validating entries, writing them (editor key), deprecation, changes and history.

* ``POST /validate`` — a Markdown note or RDF entry checked in context; nothing written.
* ``PUT /notes/{slug}`` — a note, validated then committed in one transaction; ``?dry_run``
  answers with the report and the diff only; ``If-Match`` makes it conditional (412 if stale).
* ``POST /concepts`` — an RDF entry (each concept becomes the note it stands for).
* ``DELETE /concepts/{slug}`` — deprecation (``owl:deprecated``), never erasure.
* ``GET /changes``, ``GET /concepts/{slug}/history``, ``GET /notes/{slug}/versions[/{n}]`` and
  ``POST /notes/{slug}/versions/{n}/restore``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from rdflib import RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.namespace import SH

from intimacy_graph import editing, history, queries
from intimacy_graph.api import models as m
from intimacy_graph.api.deps import EditorDep, ServiceDep
from intimacy_graph.api.negotiation import choose
from intimacy_graph.diagnostics import Severity
from intimacy_graph.errors import NotFoundError, UnusableInputError
from intimacy_graph.namespaces import DCTERMS, IG
from intimacy_graph.rdfio import serialize
from intimacy_graph.service import Service, WriteOutcome
from intimacy_graph.slugs import slugify
from intimacy_graph.validation import SHAPES_NS

router = APIRouter(prefix="/api/v1", tags=["entries"])

Slug = Annotated[
    str,
    Path(min_length=1, max_length=200, description="A note or concept slug", examples=["trust"]),
]
DryRun = Annotated[bool, Query(description="Validate and return the diff; write nothing")]
Limit = Annotated[int, Query(ge=1, le=1000, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip")]

_REPORT_TYPES = {"application/json": "json", "application/ld+json": "json", "text/turtle": "turtle"}
_SEVERITY = {Severity.ERROR: SH.Violation, Severity.WARNING: SH.Warning, Severity.INFO: SH.Info}
_NOTE_BODY: dict[str, Any] = {
    "schema": {"type": "string"},
    "example": "**Trust** is a firm belief in the reliability of someone.\n\n"
    "#### Key Aspects\n\n1. **Definition**:\n   Trust is the belief that another "
    "person is reliable.\n\n### Related Concepts\n\n- [[Emotional Intimacy]]\n",
}
_ENTRY_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "text/markdown": _NOTE_BODY,
        **{
            media: {"schema": {"type": "string"}}
            for media in editing.RDF_MEDIA_TYPES
            if media != "application/x-turtle"
        },
    },
}


# --- response models (for the OpenAPI schema) -------------------------------------------------


class Result(BaseModel):
    code: str = Field(examples=["note-definition"])
    severity: str = Field(examples=["error"])
    message: str
    file: str | None = None
    line: int | None = None
    focus: str | None = None
    path: str | None = None
    value: str | None = None
    shape: str | None = None


class Report(BaseModel):
    conforms: bool
    kind: str = Field(description="note or rdf")
    slug: str | None = None
    notes: list[str] = Field(description="The notes the entry stands for")
    results: list[Result]
    counts: dict[str, int]


class Relation(BaseModel):
    subject: str
    relation: str
    object: str


class Diff(BaseModel):
    added: int
    removed: int
    triples_added: list[str]
    triples_removed: list[str]
    inferred_added: int
    inferred_removed: int
    concepts_created: list[str]
    concepts_modified: list[str]
    relations_added: list[Relation]
    relations_removed: list[Relation]


class WriteResult(BaseModel):
    slug: str | None
    notes: list[str]
    version: int | None = None
    etag: str | None = None
    dry_run: bool
    committed: bool
    unchanged: bool
    run: str | None = None
    report: Report
    diff: Diff | None = None


class Change(BaseModel):
    id: str
    time: str
    activity: str | None
    key: str | None
    notes: list[str]
    notes_removed: list[str]
    concepts_created: list[str]
    concepts_modified: list[str]
    added: int | None
    removed: int | None


class ChangePage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[Change]


class HistoryEvent(BaseModel):
    id: str
    time: str
    activity: str | None
    key: str | None
    what: list[str]


class ConceptHistory(BaseModel):
    concept: str
    events: list[HistoryEvent]


class VersionSummary(BaseModel):
    version: int
    hash: str
    etag: str
    time: str | None
    recorded_by: str | None
    current: bool


class NoteVersions(BaseModel):
    note: str
    versions: list[VersionSummary]


class NoteVersion(VersionSummary):
    markdown: str


class Deprecation(BaseModel):
    concept: str
    deprecated: bool
    replaced_by: str | None


# --- examples (for /docs; tests/api/test_openapi.py checks them against the models) --------

_C = "https://w3id.org/intimacy-graph/concept/"
_RUN = "https://w3id.org/intimacy-graph/run/20261127T101500000000Z-4b3c12ab"
_HASH = "26e6529ec38bed4c21733dec933e8e20047ec5080d35088acb59c38010dc0025"
REPORT_EXAMPLE: dict[str, Any] = {
    "conforms": False,
    "kind": "note",
    "slug": "secure-base",
    "notes": ["secure-base"],
    "results": [
        {
            "code": "unclosed-wikilink",
            "severity": "error",
            "message": "This [[ is never closed with ]]: close the link or remove the brackets.",
            "file": "secure-base.md",
            "line": 6,
        }
    ],
    "counts": {"error": 1, "warning": 0, "info": 0},
}
WRITE_EXAMPLE: dict[str, Any] = {
    "slug": "secure-base",
    "notes": ["secure-base"],
    "version": 1,
    "etag": f'"{_HASH}"',
    "dry_run": False,
    "committed": True,
    "unchanged": False,
    "run": _RUN,
    "report": {
        **REPORT_EXAMPLE,
        "conforms": True,
        "results": [],
        "counts": {"error": 0, "warning": 0, "info": 0},
    },
    "diff": {
        "added": 41,
        "removed": 0,
        "triples_added": [
            f'<{_C}secure-base> <http://www.w3.org/2004/02/skos/core#prefLabel> "Secure Base"@en .'
        ],
        "triples_removed": [],
        "inferred_added": 12,
        "inferred_removed": 0,
        "concepts_created": ["availability", "secure-base"],
        "concepts_modified": ["trust"],
        "relations_added": [
            {
                "subject": f"{_C}secure-base",
                "relation": "https://w3id.org/intimacy-graph/ontology#hasMechanism",
                "object": f"{_C}oxytocin",
            }
        ],
        "relations_removed": [],
    },
}
CHANGES_EXAMPLE: dict[str, Any] = {
    "total": 1,
    "limit": 50,
    "offset": 0,
    "items": [
        {
            "id": _RUN,
            "time": "2026-11-27T10:15:00+00:00",
            "activity": "put-note",
            "key": "61032b3f",
            "notes": ["secure-base"],
            "notes_removed": [],
            "concepts_created": ["availability", "secure-base"],
            "concepts_modified": ["trust"],
            "added": 41,
            "removed": 0,
        }
    ],
}
HISTORY_EXAMPLE: dict[str, Any] = {
    "concept": f"{_C}trust",
    "events": [
        {
            "id": _RUN,
            "time": "2026-11-27T10:15:00+00:00",
            "activity": "put-note",
            "key": "61032b3f",
            "what": ["modified"],
        }
    ],
}
_VERSION = {
    "version": 1,
    "hash": _HASH,
    "etag": f'"{_HASH}"',
    "time": "2026-11-27T10:15:00+00:00",
    "recorded_by": _RUN,
    "current": True,
}
VERSIONS_EXAMPLE: dict[str, Any] = {
    "note": "https://w3id.org/intimacy-graph/note/secure-base",
    "versions": [_VERSION],
}
VERSION_EXAMPLE: dict[str, Any] = {**_VERSION, "markdown": _NOTE_BODY["example"]}
DEPRECATION_EXAMPLE: dict[str, Any] = {
    "concept": f"{_C}love",
    "deprecated": True,
    "replaced_by": f"{_C}emotional-intimacy",
}


def _ok(example: dict[str, Any], *statuses: int) -> dict[int | str, Any]:
    return m.ok(example, *statuses, media_type="application/json", cached=False)


# --- helpers --------------------------------------------------------------------------------


async def _entry(request: Request) -> tuple[bytes, str]:
    media = request.headers.get("content-type", "")
    editing.entry_kind(media)  # 415 before reading a body we cannot take
    body = await request.body()
    if not body.strip():
        raise UnusableInputError("The request body is empty: send the entry.", code="empty-body")
    return body, media


def _canonical(slug: str) -> str:
    if slugify(slug) != slug:
        raise NotFoundError(
            f"{slug!r} is not a slug (lower case letters, digits and hyphens); "
            f"did you mean {slugify(slug)!r}?",
            suggestion=slugify(slug) or None,
        )
    return slug


def report_graph(check: editing.EntryCheck) -> Graph:
    """The report as a ``sh:ValidationReport`` (parser diagnostics included, with their line
    as ``ig:sourceLine`` and their code as ``dcterms:identifier``)."""
    g = Graph()
    g.bind("sh", SH)
    g.bind("ig", IG)
    g.bind("igsh", SHAPES_NS)
    report = BNode()
    g.add((report, RDF.type, SH.ValidationReport))
    g.add((report, SH.conforms, Literal(check.conforms)))
    for d in check.report.sorted():
        result = BNode()
        g.add((report, SH.result, result))
        g.add((result, RDF.type, SH.ValidationResult))
        g.add((result, SH.resultSeverity, _SEVERITY[d.severity]))
        g.add((result, SH.resultMessage, Literal(d.message)))
        g.add((result, DCTERMS.identifier, Literal(d.code)))
        if d.focus:
            g.add((result, SH.focusNode, _node(d.focus)))
        if d.path and ":" in d.path and " " not in d.path:
            g.add((result, SH.resultPath, URIRef(d.path)))
        if d.value is not None:
            g.add((result, SH.value, Literal(d.value)))
        g.add((result, SH.sourceShape, URIRef(d.shape) if d.shape else URIRef(SHAPES_NS + d.code)))
        if d.line is not None:
            g.add((result, IG.sourceLine, Literal(d.line, datatype=XSD.integer)))
    return g


def _node(text: str) -> URIRef | Literal:
    if text.startswith(("http://", "https://", "urn:")) and not any(c in text for c in ' <>"{}'):
        return URIRef(text)
    return Literal(text)


def _report_response(request: Request, check: editing.EntryCheck, status: int = 200) -> Response:
    fmt = choose(
        request.headers.get("accept"), _REPORT_TYPES, override=request.query_params.get("format")
    )
    if fmt == "turtle":
        return Response(
            serialize(report_graph(check), "turtle"),
            status_code=status,
            media_type="text/turtle; charset=utf-8",
            headers={"Vary": "Accept"},
        )
    return JSONResponse(check.to_dict(), status_code=status, headers={"Vary": "Accept"})


def _not_conforming(request: Request, check: editing.EntryCheck) -> Response:
    body = {
        "code": "entry-does-not-conform",
        "message": "The entry does not conform; nothing was written. See the report.",
        "report": check.to_dict(),
    }
    fmt = choose(
        request.headers.get("accept"), _REPORT_TYPES, override=request.query_params.get("format")
    )
    if fmt == "turtle":
        return Response(
            serialize(report_graph(check), "turtle"),
            status_code=422,
            media_type="text/turtle; charset=utf-8",
        )
    return JSONResponse(body, status_code=422)


def _write_response(
    request: Request, service: Service, outcome: WriteOutcome, *, dry_run: bool
) -> Response:
    check = outcome.check
    if not check.conforms:
        return _not_conforming(request, check)
    plan = outcome.plan
    slug = check.slug
    body: dict[str, Any] = {
        "slug": slug,
        "notes": [c.slug for c in check.notes],
        "dry_run": dry_run,
        "committed": outcome.committed,
        "unchanged": outcome.unchanged,
        "run": str(plan.run) if plan is not None else None,
        "report": check.to_dict(),
        "diff": plan.diff() if plan is not None else None,
        "version": None,
        "etag": None,
    }
    headers: dict[str, str] = {}
    status = 200
    if slug is not None:
        body["etag"] = editing.etag_of(check.notes[0].note.content_hash)
        if outcome.committed or outcome.unchanged:
            reader = service.primary if service.remote else service.reader
            versions = history.note_versions(reader, service.iris, slug)
            body["version"] = versions[-1].number
            headers["ETag"] = body["etag"]
        headers["Location"] = f"/api/v1/notes/{slug}"
    if outcome.committed and plan is not None and plan.created:
        status = 201
    return JSONResponse(body, status_code=status, headers=headers)


# --- routes ---------------------------------------------------------------------------------


@router.post(
    "/validate",
    summary="Validate a note or an RDF entry in context (nothing is written)",
    response_model=Report,
    openapi_extra={"requestBody": _ENTRY_BODY},
    responses=m.merge(
        _ok(REPORT_EXAMPLE, 400, 413, 415),
        {
            200: {
                "content": {"text/turtle": m.text("[] a sh:ValidationReport ; sh:conforms true .")}
            }
        },
    ),
)
async def validate(
    request: Request,
    service: ServiceDep,
    slug: Annotated[
        str | None, Query(max_length=200, description="The slug the note must have")
    ] = None,
) -> Response:
    body, media = await _entry(request)
    expected = _canonical(slug) if slug is not None else None
    check = await run_in_threadpool(service.validate_entry, body, media, expected)
    return _report_response(request, check)


@router.put(
    "/notes/{slug}",
    summary="Add or replace a note (editor key)",
    response_model=WriteResult,
    status_code=200,
    openapi_extra={
        "requestBody": {
            **_ENTRY_BODY,
            "content": {"text/markdown": _NOTE_BODY},
        }
    },
    responses=m.merge(
        _ok(WRITE_EXAMPLE, 400, 401, 403, 413, 415),
        {
            201: {"description": "Created", "model": WriteResult},
            412: {"description": "The note changed since the ETag given in If-Match"},
            422: {"description": "The note does not conform; nothing was written"},
        },
    ),
)
async def put_note(
    request: Request,
    service: ServiceDep,
    key: EditorDep,
    slug: Slug,
    dry_run: DryRun = False,
    if_match: Annotated[str | None, Header(max_length=500)] = None,
) -> Response:
    _canonical(slug)
    media = request.headers.get("content-type", "")
    if editing.entry_kind(media) != "note":
        raise UnusableInputError(
            "PUT /notes/{slug} takes a Markdown note (text/markdown); "
            "post RDF entries to /api/v1/concepts.",
            code="unsupported-media-type",
        )
    body, media = await _entry(request)
    outcome = await run_in_threadpool(
        lambda: service.write_entry(
            body,
            media,
            key,
            slug=slug,
            if_match=if_match,
            dry_run=dry_run,
            activity="put-note",
        )
    )
    return _write_response(request, service, outcome, dry_run=dry_run)


@router.post(
    "/concepts",
    summary="Add concepts from an RDF entry (editor key)",
    response_model=WriteResult,
    openapi_extra={"requestBody": _ENTRY_BODY},
    responses=m.merge(
        _ok(WRITE_EXAMPLE, 400, 401, 403, 413, 415),
        {
            201: {"description": "Created", "model": WriteResult},
            422: {"description": "The entry does not conform; nothing was written"},
        },
    ),
)
async def post_concepts(
    request: Request, service: ServiceDep, key: EditorDep, dry_run: DryRun = False
) -> Response:
    body, media = await _entry(request)
    outcome = await run_in_threadpool(
        lambda: service.write_entry(body, media, key, dry_run=dry_run, activity="post-concepts")
    )
    response = _write_response(request, service, outcome, dry_run=dry_run)
    if outcome.check.notes and response.status_code < 300:
        response.headers["Location"] = f"/api/v1/concepts/{outcome.check.notes[0].slug}"
    return response


@router.delete(
    "/concepts/{slug}",
    summary="Deprecate a concept (owl:deprecated; history is kept) (editor key)",
    response_model=Deprecation,
    responses=_ok(DEPRECATION_EXAMPLE, 400, 401, 403, 404),
)
async def deprecate(
    service: ServiceDep,
    key: EditorDep,
    slug: Slug,
    replaced_by: Annotated[
        str | None, Query(max_length=200, description="The slug of the concept replacing it")
    ] = None,
) -> JSONResponse:
    _canonical(slug)
    if replaced_by is not None and slugify(replaced_by) != replaced_by:
        raise UnusableInputError(f"{replaced_by!r} is not a slug.", code="bad-slug")
    result = await run_in_threadpool(service.deprecate, slug, key, replaced_by)
    return JSONResponse(result)


@router.get(
    "/changes",
    summary="The feed of writes, newest first",
    response_model=ChangePage,
    responses=_ok(CHANGES_EXAMPLE, 400),
)
async def changes(
    request: Request,
    service: ServiceDep,
    since: Annotated[
        datetime | None, Query(description="Only changes at or after this time (ISO 8601)")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> JSONResponse:
    if since is not None and since.tzinfo is None:
        raise UnusableInputError(
            "since needs a time zone, e.g. 2026-11-27T10:00:00Z.", code="bad-parameter"
        )
    stamp = Literal(since.isoformat(), datatype=XSD.dateTime) if since else None
    reader = service.reader
    total, items = await run_in_threadpool(
        history.changes, reader, service.iris, since=stamp, limit=limit, offset=offset
    )
    headers = {"Cache-Control": "no-cache"}
    links = []
    base = {k: v for k, v in request.query_params.items() if k not in ("limit", "offset")}
    pages = []
    if offset + limit < total:
        pages.append(("next", offset + limit))
    if offset > 0:
        pages.append(("prev", max(0, offset - limit)))
    for rel, start in pages:
        links.append(f'<?{urlencode({**base, "limit": limit, "offset": start})}>; rel="{rel}"')
    if links:
        headers["Link"] = ", ".join(links)
    return JSONResponse(
        {"total": total, "limit": limit, "offset": offset, "items": items}, headers=headers
    )


@router.get(
    "/concepts/{slug}/history",
    summary="Every write that created, changed or deprecated a concept",
    response_model=ConceptHistory,
    responses=_ok(HISTORY_EXAMPLE, 404),
)
async def concept_history(service: ServiceDep, slug: Slug) -> JSONResponse:
    _canonical(slug)
    reader = service.reader
    events = await run_in_threadpool(history.concept_history, reader, service.iris, slug)
    if not events:
        exists = await run_in_threadpool(
            reader.select,
            queries.load("get_concept_record"),
            {"registry": service.iris.registry_graph, "c": service.iris.concept(slug)},
        )
        if not exists:
            raise NotFoundError(f"There is no concept {slug!r}.", slug=slug)
    return JSONResponse({"concept": str(service.iris.concept(slug)), "events": events})


@router.get(
    "/notes/{slug}/versions",
    summary="Every version of a note, oldest first",
    response_model=NoteVersions,
    responses=_ok(VERSIONS_EXAMPLE, 404),
)
async def note_versions(service: ServiceDep, slug: Slug) -> JSONResponse:
    _canonical(slug)
    versions = await run_in_threadpool(history.note_versions, service.reader, service.iris, slug)
    return JSONResponse(
        {"note": str(service.iris.note(slug)), "versions": [v.summary() for v in versions]}
    )


@router.get(
    "/notes/{slug}/versions/{number}",
    summary="One version of a note: its Markdown (text/markdown) or summary with Markdown (JSON)",
    response_model=NoteVersion,
    responses=m.merge(
        _ok(VERSION_EXAMPLE, 404),
        {200: {"content": {"text/markdown": m.text(_NOTE_BODY["example"])}}},
    ),
)
async def note_version(
    request: Request,
    service: ServiceDep,
    slug: Slug,
    number: Annotated[int, Path(ge=1, le=1_000_000)],
) -> Response:
    _canonical(slug)
    version = await run_in_threadpool(
        history.note_version, service.reader, service.iris, slug, number
    )
    fmt = choose(
        request.headers.get("accept"),
        {"application/json": "json", "text/markdown": "markdown"},
        override=request.query_params.get("format"),
    )
    headers = {"ETag": editing.etag_of(version.hash), "Vary": "Accept"}
    if fmt == "markdown":
        return Response(
            version.markdown, media_type="text/markdown; charset=utf-8", headers=headers
        )
    return JSONResponse({**version.summary(), "markdown": version.markdown}, headers=headers)


@router.post(
    "/notes/{slug}/versions/{number}/restore",
    summary="Make an earlier version of a note the current one (editor key)",
    response_model=WriteResult,
    responses=_ok(WRITE_EXAMPLE, 401, 403, 404, 412),
)
async def restore(
    request: Request,
    service: ServiceDep,
    key: EditorDep,
    slug: Slug,
    number: Annotated[int, Path(ge=1, le=1_000_000)],
    dry_run: DryRun = False,
    if_match: Annotated[str | None, Header(max_length=500)] = None,
) -> Response:
    _canonical(slug)
    version = await run_in_threadpool(
        history.note_version, service.primary, service.iris, slug, number
    )
    outcome = await run_in_threadpool(
        lambda: service.write_entry(
            version.markdown.encode("utf-8"),
            "text/markdown",
            key,
            slug=slug,
            if_match=if_match,
            dry_run=dry_run,
            activity=f"restore-version-{number}",
        )
    )
    return _write_response(request, service, outcome, dry_run=dry_run)
