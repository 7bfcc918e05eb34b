"""Linked Data: every IRI of the graph resolves on this host (content negotiation: RDF or HTML).

Paths are the paths of the contract's IRIs (DESIGN.md §4) under the deployment's base:
``/concept/{slug}`` (``/concept/scheme`` is the concept scheme), ``/note/{slug}``,
``/note/{slug}/section/{n}``, ``/work/{slug}``, ``/statement/{note}/{kind}/...``,
``/run/{id}``, ``/ontology`` (+ its version IRIs, e.g. ``/ontology/0.1.0``) and
``/graph/{name}`` (a named graph's triples).  The IRI described is always built from the
deployment's base (``service.iris``), never from the request's host.

Negotiation (``?format=`` wins over ``Accept``):

* ``?format=``: ``ttl``/``turtle``, ``jsonld``/``json``, ``nt``/``ntriples``,
  ``rdf``/``xml``/``owl``, ``html``, or a media type;
* no ``Accept``, or ``*/*`` alone → Turtle (an RDF client that says nothing gets RDF);
* otherwise the best match by q-value, specific types before wildcards; on a tie between an
  RDF type and ``text/html`` RDF wins (browsers never list RDF types, RDF clients sometimes
  list ``text/html`` too), so a browser's ``text/html,...,*/*;q=0.8`` gets HTML and rdflib's
  list of RDF types gets Turtle;
* nothing acceptable → 406.

Slugs: a segment that ``slugify`` maps to itself is canonical.  A segment that differs from
its slug only by case, Unicode form, spaces or repeated hyphens (``/concept/Trust``,
``/concept/Emotional%20Intimacy``) is answered with a 301 to the canonical path when that
resource exists; anything else (quotes, braces, ``#``, NUL, ``..``, empty, over 200
characters) is a 404 ``not-found`` and never reaches SPARQL.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import RedirectResponse, Response
from rdflib import Graph, URIRef

from intimacy_graph import __version__, concepts, queries
from intimacy_graph.api.deps import ServiceDep
from intimacy_graph.api.negotiation import CONTENT_TYPES, GRAPH_TYPES, choose
from intimacy_graph.errors import NotFoundError, StoreUnavailableError
from intimacy_graph.namespaces import DEFAULT_BASE, IG, PREFIXES, Iris
from intimacy_graph.rdfio import serialize
from intimacy_graph.service import Service
from intimacy_graph.slugs import slugify
from intimacy_graph.store import OxigraphStore
from intimacy_graph.web.concept_page import render_concept_page
from intimacy_graph.web.entity_pages import (
    render_note_page,
    render_ontology_page,
    render_study_page,
)
from intimacy_graph.web.pages import (
    Alternate,
    Namer,
    ontology_header,
    render_graph_page,
    render_resource_page,
)

router = APIRouter(tags=["linked-data"])

HTML = "html"
#: The RDF formats a description is served in, in order of preference (the first is the default).
RDF_FORMATS = ("turtle", "jsonld", "ntriples", "rdfxml")
#: Media type → format, for :func:`~intimacy_graph.api.negotiation.choose`.
OFFERED: dict[str, str] = {
    **{media: fmt for media, fmt in GRAPH_TYPES.items() if fmt in RDF_FORMATS},
    "application/json": "jsonld",
    "text/html": HTML,
    "application/xhtml+xml": HTML,
}
#: The ``?format=`` value each format is linked with, and its name on the page.
FORMAT_PARAM = {
    "turtle": "ttl",
    "jsonld": "jsonld",
    "ntriples": "nt",
    "rdfxml": "rdf",
    HTML: "html",
}
FORMAT_NAMES = {
    "turtle": "Turtle",
    "jsonld": "JSON-LD",
    "ntriples": "N-Triples",
    "rdfxml": "RDF/XML",
}
#: ``?format=`` values that the shared aliases (SPARQL's) would read otherwise.
_OVERRIDES = {
    "html": "text/html",
    "htm": "text/html",
    "xhtml": "text/html",
    "json": "application/ld+json",
    "xml": "application/rdf+xml",
    "owl": "application/rdf+xml",
    "rdf/xml": "application/rdf+xml",
}
MAX_SEGMENT = 200
CACHE_CONTROL = "public, max-age=60"
#: Changes on every start: a restarted service counts snapshot generations from 1 again.
_BOOT = secrets.token_hex(8)
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+-]{0,63}", re.ASCII)
_RUN_ID = re.compile(r"[0-9]{8}T[0-9]{6,12}Z-[0-9a-f]{4,64}", re.ASCII)
_POSITION = re.compile(r"[1-9][0-9]{0,5}", re.ASCII)
_SEPARATORS = re.compile(r"[\s-]+")

IfNoneMatch = Annotated[str | None, Header()]
Accept = Annotated[str | None, Header()]


# -- paths -------------------------------------------------------------------------------------
def canonical_slug(segment: str) -> str | None:
    """The slug ``segment`` spells: itself if canonical, the slug if it only differs in case,
    Unicode form, spaces or repeated hyphens, else ``None`` (nothing to look up).

    >>> canonical_slug("trust"), canonical_slug("Trust"), canonical_slug("Emotional  Intimacy")
    ('trust', 'trust', 'emotional-intimacy')
    >>> [canonical_slug(s) for s in ('"trust"', "..", "a\\x00b", "", "x" * 201)]
    [None, None, None, None, None]
    """
    if not segment or len(segment) > MAX_SEGMENT:
        return None
    slug = slugify(segment)
    if not slug or slugify(slug) != slug:
        return None
    if slug == segment:
        return slug
    loose = _SEPARATORS.sub("", unicodedata.normalize("NFKC", segment).casefold())
    return slug if loose == slug.replace("-", "") else None


@dataclass(frozen=True)
class Target:
    """What a request names: the IRI to describe and, for graphs, the graph to dump."""

    iri: URIRef
    graph: URIRef | None = None


def _slugs(segments: list[str]) -> tuple[list[str], bool]:
    """Canonical slugs for path segments, and whether any was respelled; 404 if one is bad."""
    slugs = [canonical_slug(s) for s in segments]
    if any(s is None for s in slugs):
        raise NotFoundError("No resource has this address: it is not a canonical slug.")
    clean = [s for s in slugs if s is not None]
    return clean, clean != segments


def _not_found(path: str) -> NotFoundError:
    return NotFoundError(f"Nothing in the graph has the address {path!r}.", path=path)


# -- headers -----------------------------------------------------------------------------------
def etag(generation: int, path: str, fmt: str) -> str:
    """A weak validator for one representation of one snapshot."""
    key = f"{_BOOT}|{__version__}|{generation}|{path}|{fmt}"
    return 'W/"' + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + '"'


def _matches(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    wanted = tag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def alternates(path: str) -> list[Alternate]:
    """The ``?format=`` links of ``path`` (RDF formats, then HTML)."""
    out = [
        Alternate(
            FORMAT_NAMES[fmt],
            CONTENT_TYPES[fmt].split(";")[0],
            f"{path}?format={FORMAT_PARAM[fmt]}",
        )
        for fmt in RDF_FORMATS
    ]
    out.append(Alternate("HTML", "text/html", f"{path}?format=html"))
    return out


def _headers(path: str, tag: str) -> dict[str, str]:
    links = ", ".join(
        f'<{a.href}>; rel="alternate"; type="{a.media_type}"' for a in alternates(path)
    )
    return {"Vary": "Accept", "Link": links, "ETag": tag, "Cache-Control": CACHE_CONTROL}


def deployment_prefixes(iris: Iris) -> dict[str, str]:
    """:data:`PREFIXES` with our instance namespaces moved onto the deployment's base."""
    out = dict(PREFIXES)
    for prefix, namespace in PREFIXES.items():
        if prefix != "ig" and namespace.startswith(DEFAULT_BASE):
            out[prefix] = iris.base + namespace[len(DEFAULT_BASE) :]
    return out


# -- answering ---------------------------------------------------------------------------------
def _negotiate(request: Request, accept: str | None) -> str:
    override = request.query_params.get("format")
    if override:
        override = _OVERRIDES.get(override.strip().lower(), override.strip())
    return choose(accept, OFFERED, override=override or None)


def _reader(service: Service) -> tuple[int, OxigraphStore]:
    # The generation first: if a write publishes in between, the tag is older than the data,
    # which only costs a client a full answer later (never a stale 304).
    snapshot, reader = service.snapshot, service.reader
    if snapshot is None or reader is None:
        raise StoreUnavailableError("The store is not open yet.")
    return snapshot.generation, reader


def _redirect(request: Request, path: str) -> Response:
    query = request.url.query
    return RedirectResponse(path + (f"?{query}" if query else ""), status_code=301)


def _answer(
    request: Request,
    service: Service,
    accept: str | None,
    if_none_match: str | None,
    target: Target,
    load: Callable[[OxigraphStore, Target], Graph],
    page: Callable[[OxigraphStore, Graph, Target, Namer, list[Alternate]], str],
) -> Response:
    """Negotiate, check the validator, load the description and write it out."""
    fmt = _negotiate(request, accept)
    generation, reader = _reader(service)
    prefixes = deployment_prefixes(service.iris)
    root = request.scope.get("root_path", "")
    namer = Namer(Graph(), base=service.iris.base, prefixes=prefixes, root_path=root)
    path = namer.local_path(str(target.iri)) or request.url.path
    tag = etag(generation, path, fmt)
    headers = _headers(path, tag)
    if _matches(if_none_match, tag) and "*" not in (if_none_match or ""):
        # Same tag, same immutable snapshot: the client's copy is still this one.
        return Response(status_code=304, headers=headers)
    graph = load(reader, target)
    if not len(graph):
        raise _not_found(request.url.path)
    if _matches(if_none_match, tag):
        return Response(status_code=304, headers=headers)
    if fmt == HTML:
        html = page(reader, graph, target, namer, alternates(path)[:-1])
        return Response(html, media_type="text/html; charset=utf-8", headers=headers)
    body = serialize(graph, fmt, prefixes)
    return Response(body, media_type=CONTENT_TYPES[fmt], headers=headers)


def _describe(reader: OxigraphStore, target: Target) -> Graph:
    graph = reader.construct(queries.load("describe_resource"), {"resource": target.iri})
    if next(graph.triples((target.iri, None, None)), None) is None:
        return Graph()  # only pointed at, never described: unknown here
    return graph


def _dump(reader: OxigraphStore, target: Target) -> Graph:
    assert target.graph is not None
    return reader.construct(queries.load("describe_graph"), {"graph": target.graph})


def _resource_page(
    reader: OxigraphStore, graph: Graph, target: Target, namer: Namer, alts: list[Alternate]
) -> str:
    named = Namer(graph, base=namer.base, prefixes=dict(namer.prefixes), root_path=namer.root)
    return render_resource_page(graph, target.iri, named, alts)


def _graph_page(
    reader: OxigraphStore, graph: Graph, target: Target, namer: Namer, alts: list[Alternate]
) -> str:
    assert target.graph is not None
    labels = reader.construct(queries.load("describe_graph_labels"), {"graph": target.graph})
    named = Namer(
        labels + graph, base=namer.base, prefixes=dict(namer.prefixes), root_path=namer.root
    )
    header = ontology_header(graph)
    return render_graph_page(graph, target.iri, named, alts, main_subject=header)


# -- rich pages (HTML only; the RDF answers above are the same for every resource) -------------
PageMaker = Callable[[OxigraphStore, Graph, Target, Namer, list[Alternate]], str]


def _named(graph: Graph, namer: Namer) -> Namer:
    return Namer(graph, base=namer.base, prefixes=dict(namer.prefixes), root_path=namer.root)


def _last_segment(iri: URIRef) -> str:
    return str(iri).rstrip("/").rsplit("/", 1)[-1]


def _concept_page(
    reader: OxigraphStore, graph: Graph, target: Target, namer: Namer, alts: list[Alternate]
) -> str:
    """A concept's page from its concept card; the scheme keeps the generic page."""
    iris = Iris(namer.base)
    card = None if target.iri == iris.scheme else concepts.concept_card(
        reader, iris, _last_segment(target.iri)
    )  # fmt: skip
    if card is None:
        return _resource_page(reader, graph, target, namer, alts)
    named = _named(graph, namer)
    note = None
    if card.get("describedBy"):
        note_iri = URIRef(card["describedBy"])
        note = {"slug": _last_segment(note_iri), "title": named.label(note_iri) or "its note"}
    return render_concept_page(card, graph, named, alts, note=note)


def _note_page(
    reader: OxigraphStore, graph: Graph, target: Target, namer: Namer, alts: list[Alternate]
) -> str:
    named = _named(graph, namer)
    statements = [
        (int(str(row["line"])), str(row["statement"]))
        for concept in graph.objects(target.iri, IG.describes)
        for row in reader.select(queries.load("list_statements_by_subject"), {"subject": concept})
        if str(row.get("note")) == str(target.iri) and "line" in row
    ]
    return render_note_page(
        graph, target.iri, named, alts, slug=_last_segment(target.iri), statements=statements
    )


def _study_page(
    reader: OxigraphStore, graph: Graph, target: Target, namer: Namer, alts: list[Alternate]
) -> str:
    rows = reader.select(queries.load("get_work"), {"work": target.iri})
    named = _named(graph, namer)
    return render_study_page(
        graph, target.iri, named, alts, slug=_last_segment(target.iri), rows=rows
    )


def _ontology_page(
    reader: OxigraphStore, graph: Graph, target: Target, namer: Namer, alts: list[Alternate]
) -> str:
    assert target.graph is not None
    labels = reader.construct(queries.load("describe_graph_labels"), {"graph": target.graph})
    named = _named(labels + graph, namer)
    return render_ontology_page(graph, ontology_header(graph), named, alts)


def _resource(
    request: Request,
    service: ServiceDep,
    accept: str | None,
    if_none_match: str | None,
    segments: list[str],
    iri_of: Callable[[list[str]], URIRef],
    path_of: Callable[[list[str]], str],
    page: PageMaker = _resource_page,
) -> Response:
    slugs, respelled = _slugs(segments)
    target = Target(iri_of(slugs))
    if respelled:
        _, reader = _reader(service)
        if not len(_describe(reader, target)):
            raise _not_found(request.url.path)
        return _redirect(request, request.scope.get("root_path", "") + path_of(slugs))
    return _answer(request, service, accept, if_none_match, target, _describe, page)


# -- routes ------------------------------------------------------------------------------------


@router.get("/concept/{slug}", summary="A concept (or concept:scheme)")
@router.head("/concept/{slug}", include_in_schema=False)
def concept(
    request: Request,
    service: ServiceDep,
    slug: str,
    accept: Accept = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """A concept's description: RDF for RDF clients, HTML for browsers. ``/concept/scheme``
    is the SKOS concept scheme, listing every concept."""
    return _resource(
        request, service, accept, if_none_match, [slug],
        lambda s: service.iris.concept(s[0]), lambda s: f"/concept/{s[0]}", _concept_page,
    )  # fmt: skip


@router.get("/note/{slug}", summary="A concept note")
@router.head("/note/{slug}", include_in_schema=False)
def note(
    request: Request,
    service: ServiceDep,
    slug: str,
    accept: Accept = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """A note: title, source, Markdown, the links and citations it holds, its statements."""
    return _resource(
        request, service, accept, if_none_match, [slug],
        lambda s: service.iris.note(s[0]), lambda s: f"/note/{s[0]}", _note_page,
    )  # fmt: skip


@router.get("/note/{slug}/section/{position}", summary="A kept note section")
@router.head("/note/{slug}/section/{position}", include_in_schema=False)
def note_section(
    request: Request,
    service: ServiceDep,
    slug: str,
    position: str,
    accept: Accept = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """A section under a heading the parser does not know, kept on its note."""
    if not _POSITION.fullmatch(position):
        raise _not_found(request.url.path)
    return _resource(
        request, service, accept, if_none_match, [slug],
        lambda s: service.iris.section(s[0], int(position)),
        lambda s: f"/note/{s[0]}/section/{position}",
    )  # fmt: skip


@router.get("/work/{slug}", summary="A cited work or study")
@router.head("/work/{slug}", include_in_schema=False)
def work(
    request: Request,
    service: ServiceDep,
    slug: str,
    accept: Accept = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """A work: its label as cited, authors, year, and the notes and statements citing it."""
    return _resource(
        request, service, accept, if_none_match, [slug],
        lambda s: service.iris.work(s[0]), lambda s: f"/work/{s[0]}", _study_page,
    )  # fmt: skip


@router.get("/statement/{path:path}", summary="A statement a note makes")
@router.head("/statement/{path:path}", include_in_schema=False)
def statement(
    request: Request,
    service: ServiceDep,
    path: str,
    accept: Accept = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """``/statement/{note}/{kind}/{object}`` (or ``.../implication/{domain}/{item}``)."""
    segments = path.split("/")
    if not 3 <= len(segments) <= 4:
        raise _not_found(request.url.path)
    return _resource(
        request, service, accept, if_none_match, segments,
        lambda s: service.iris.statement(*s), lambda s: "/statement/" + "/".join(s),
    )  # fmt: skip


@router.get("/run/{run_id}", summary="A build or write run (provenance)")
@router.head("/run/{run_id}", include_in_schema=False)
def run(
    request: Request,
    service: ServiceDep,
    run_id: str,
    accept: Accept = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """One import, build or write: a ``prov:Activity`` recorded in ``graph:changes``."""
    if not _RUN_ID.fullmatch(run_id):
        raise _not_found(request.url.path)
    target = Target(service.iris.run(run_id))
    return _answer(request, service, accept, if_none_match, target, _describe, _resource_page)


@router.get("/ontology", summary="The OWL ontology")
@router.head("/ontology", include_in_schema=False)
def ontology(
    request: Request, service: ServiceDep, accept: Accept = None, if_none_match: IfNoneMatch = None
) -> Response:
    """The whole ontology graph; ``/ontology#Term`` anchors each term on the HTML page."""
    target = Target(URIRef(service.iris.base + "ontology"), service.iris.ontology_graph)
    return _answer(request, service, accept, if_none_match, target, _dump, _ontology_page)


@router.get("/ontology/{version}", summary="One version of the ontology")
@router.head("/ontology/{version}", include_in_schema=False)
def ontology_version(
    request: Request,
    service: ServiceDep,
    version: str,
    accept: Accept = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """The ontology at a version IRI it declares (``owl:versionIRI``), e.g. ``/ontology/0.1.0``."""
    if not _VERSION.fullmatch(version):
        raise _not_found(request.url.path)
    iri = URIRef(service.iris.base + "ontology/" + version)
    _, reader = _reader(service)
    declared = reader.construct(
        queries.load("describe_ontology_versions"), {"graph": service.iris.ontology_graph}
    )
    if iri not in set(declared.objects()):
        raise _not_found(request.url.path)
    target = Target(iri, service.iris.ontology_graph)
    return _answer(request, service, accept, if_none_match, target, _dump, _graph_page)


@router.get("/graph/{name:path}", summary="A named graph (read-only)")
@router.head("/graph/{name:path}", include_in_schema=False)
def named_graph(
    request: Request,
    service: ServiceDep,
    name: str,
    accept: Accept = None,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Every triple of one named graph, e.g. ``/graph/registry``, ``/graph/note/{slug}``."""
    slugs, respelled = _slugs(name.split("/"))
    iri = service.iris.graph("/".join(slugs))
    if str(iri) not in service.known_graphs:
        raise _not_found(request.url.path)
    if respelled:
        return _redirect(request, request.scope.get("root_path", "") + "/graph/" + "/".join(slugs))
    target = Target(iri, iri)
    return _answer(request, service, accept, if_none_match, target, _dump, _graph_page)
