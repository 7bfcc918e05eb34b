"""HTML pages for browsers: home (``/``), search (``/search``), the path finder (``/path``),
the validation page (``/validate``) and a note's Markdown (``/note/{slug}/markdown``).

Every page is rendered on the server and readable with JavaScript off; scripts (suggestions,
the live graph, validation) are files under ``/static/js`` and only add to it.  ``/`` answers
HTML to clients that ask for it (browsers); to anyone else it stays what it was, a 404
``no-such-route``, so no API client starts depending on an HTML page.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs

import mimeparse
from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from intimacy_graph import concepts, history, queries
from intimacy_graph.api.deps import ServiceDep
from intimacy_graph.errors import (
    NotFoundError,
    NotReadyError,
    UnsupportedMediaTypeError,
    UnusableInputError,
)
from intimacy_graph.search import MATCH_NAMES, ROLE_CLASSES, ConceptIndex, Entry
from intimacy_graph.service import Service
from intimacy_graph.slugs import slugify
from intimacy_graph.web.site import render

router = APIRouter(tags=["pages"], include_in_schema=False)

SCRIPTS = ["js/site.js"]
GRAPH_SCRIPTS = ["vendor/cytoscape/cytoscape.min.js", "js/site.js", "js/graph.js"]
#: Role filter value → how the page names it.
ROLE_NAMES = {
    "characteristic": "Characteristics",
    "type": "Types",
    "benefit": "Benefits",
    "mechanism": "Mechanisms",
    "implication-domain": "Implication domains",
}
#: Classes counted on the home page, in this order: (CURIE, name).
COUNTED = (
    ("ig:Concept", "concepts"),
    ("ig:ConceptNote", "notes"),
    ("ig:Statement", "statements"),
    ("ig:Study", "studies"),
    ("ig:Characteristic", "characteristics"),
    ("ig:Mechanism", "mechanisms"),
    ("ig:Benefit", "benefits"),
    ("ig:ImplicationDomain", "implication domains"),
)
MAX_LISTED = 500

Text = Annotated[str | None, Query(max_length=200)]


def _html(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return HTMLResponse(
        render(template, root=root, **context),
        status_code=status,
        headers={"Vary": "Accept", "Cache-Control": "no-cache"},
    )


def _reader(service: Service) -> Any:
    if service.reader is None:
        raise NotReadyError("The store is not open yet; try again shortly.")
    return service.reader


def _index(service: Service) -> ConceptIndex:
    if service.index is None:
        raise NotReadyError("The search index is still being built; try again shortly.")
    return service.index


def wants_html(accept: str | None) -> bool:
    """Whether a client asked for HTML first (a browser), not JSON or anything at all.

    >>> wants_html("text/html,application/xhtml+xml,*/*;q=0.8"), wants_html("*/*")
    (True, False)
    >>> wants_html(None), wants_html("application/json")
    (False, False)
    """
    if not accept or "html" not in accept:
        return False
    best = mimeparse.best_match(["application/json", "text/html"], accept)
    return bool(best == "text/html")


def resolve(index: ConceptIndex, text: str) -> Entry | None:
    """The concept a person meant by ``text``: a slug, a label, else the best search hit.

    >>> idx = ConceptIndex([Entry("x:trust", "trust", pref="Trust")])
    >>> resolve(idx, "Trust").slug, resolve(idx, "trus").slug, resolve(idx, "zzz")
    ('trust', 'trust', None)
    """
    text = text.strip()
    if not text:
        return None
    entry = index.get(text) or index.get(slugify(text))
    if entry is not None:
        return entry
    hits = index.search(text, limit=1)
    return hits[0].entry if hits else None


def _role(role: str | None) -> str | None:
    if role in (None, "", "all"):
        return None
    if role not in ROLE_CLASSES:
        raise UnusableInputError(
            f"Unknown role {role!r}; use one of {', '.join(ROLE_CLASSES)}.", code="bad-parameter"
        )
    return role


# -- home ----------------------------------------------------------------------------------------
def _home_data(service: Service) -> dict[str, Any]:
    reader = _reader(service)
    index = _index(service)
    classes = {
        concepts.curie(str(r["class"])): int(str(r["count"]))
        for r in reader.select(queries.load("count_by_class"))
    }
    relations = sorted(
        (
            (concepts.curie(str(r["relation"])), int(str(r["count"])))
            for r in reader.select(queries.load("count_by_relation"))
        ),
        key=lambda kv: -kv[1],
    )
    described = sorted(
        (index.entries[s] for s in index.select(described=True, deprecated=False)),
        key=lambda e: e.pref.casefold(),
    )
    roots = concepts.roots(reader)
    # the same feed as GET /api/v1/changes, newest first
    total_changes, changes = history.changes(reader, service.iris, since=None, limit=8, offset=0)
    centre = described[0].slug if described else (roots[0]["slug"] if roots else None)
    return {
        "counts": [(name, classes.get(curie, 0), curie) for curie, name in COUNTED],
        "relations_count": relations[:8],
        "described": described,
        "stubs": len(index.select(described=False)),
        "roots": roots,
        "changes": changes,
        "total_changes": total_changes,
        "graph_slug": centre,
        "graph_label": index.labels.get(str(service.iris.concept(centre)), centre)
        if centre
        else None,
    }


@router.get("/", response_model=None)
async def home(
    request: Request, service: ServiceDep, accept: Annotated[str | None, Header()] = None
) -> Response:
    if not wants_html(accept):
        raise StarletteHTTPException(status_code=404, detail="Not Found")
    data = await run_in_threadpool(_home_data, service)
    return _html(request, "home.html", nav="home", scripts=GRAPH_SCRIPTS, **data)


# -- search --------------------------------------------------------------------------------------
@router.get("/search", response_class=HTMLResponse)
async def search_page(
    request: Request, service: ServiceDep, q: Text = None, role: Text = None
) -> HTMLResponse:
    index = _index(service)
    wanted = _role(role)
    query = (q or "").strip()
    results: list[dict[str, Any]] = []
    if query:
        for hit in index.search(query, role=wanted, limit=100):
            results.append({"entry": hit.entry, "match": hit.match, "matched": hit.matched})
        total = len(results)
    else:  # every concept (of the role), Entry objects only for those shown
        slugs = index.select(role=wanted)
        total = len(slugs)
        for slug in slugs[:MAX_LISTED]:
            entry = index.entries[slug]
            results.append({"entry": entry, "match": None, "matched": entry.pref})
    shown = results[:MAX_LISTED]
    return _html(
        request,
        "search.html",
        nav="search",
        scripts=SCRIPTS,
        title=f"“{query}” – search" if query else "All concepts",
        q=query,
        role=wanted,
        roles=ROLE_NAMES,
        results=shown,
        total=total,
        match_names={name: name.replace("-", " ") for name in MATCH_NAMES},
    )


# -- path finder ---------------------------------------------------------------------------------
@router.get("/path", response_class=HTMLResponse)
async def path_page(
    request: Request,
    service: ServiceDep,
    from_: Annotated[str | None, Query(alias="from", max_length=200)] = None,
    to: Text = None,
) -> HTMLResponse:
    index = _index(service)
    problems = []
    start = resolve(index, from_) if from_ else None
    goal = resolve(index, to) if to else None
    if from_ and start is None:
        problems.append(f"No concept matches “{from_}”.")
    if to and goal is None:
        problems.append(f"No concept matches “{to}”.")
    found: list[list[dict[str, Any]]] | None = None
    if start is not None and goal is not None:
        found = await run_in_threadpool(
            concepts.paths, _reader(service), service.iris, start.slug, goal.slug, index.labels
        )
    return _html(
        request,
        "path.html",
        status=404 if problems else 200,
        nav="path",
        scripts=GRAPH_SCRIPTS if found else SCRIPTS,
        title=f"{start.pref} → {goal.pref}" if start and goal else "Path finder",
        from_text=start.pref if start else (from_ or ""),
        to_text=goal.pref if goal else (to or ""),
        start=start,
        goal=goal,
        problems=problems,
        paths=found,
    )


# -- validation ----------------------------------------------------------------------------------
ENTRY_TYPES = {
    "text/markdown": "Markdown note",
    "text/turtle": "Turtle",
    "application/ld+json": "JSON-LD",
    "application/n-triples": "N-Triples",
    "application/rdf+xml": "RDF/XML",
}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def report_view(report: dict[str, Any], text: str) -> dict[str, Any]:
    """The entry's lines, each with the results that point at it and its worst severity.

    >>> v = report_view({"results": [{"line": 2, "severity": "warning", "code": "x"}]}, "a\\nb")
    >>> [(n, worst) for n, _, worst, _ in v["lines"]]
    [(1, None), (2, 'warning')]
    """
    by_line: dict[int, list[dict[str, Any]]] = {}
    for result in report.get("results", []):
        line = result.get("line")
        if isinstance(line, int):
            by_line.setdefault(line, []).append(result)
    lines = []
    for number, line_text in enumerate(text.split("\n"), start=1):
        found = by_line.get(number, [])
        worst = min(
            (r.get("severity", "info") for r in found),
            key=lambda s: SEVERITY_ORDER.get(s, 3),
            default=None,
        )
        lines.append((number, line_text, worst, found))
    return {"lines": lines}


def _validate_page(request: Request, **context: Any) -> HTMLResponse:
    return _html(
        request,
        "validate.html",
        nav="validate",
        scripts=["js/site.js", "js/validate.js"],
        title="Validate a note",
        entry_types=ENTRY_TYPES,
        **context,
    )


@router.get("/validate", response_class=HTMLResponse)
async def validate_page(request: Request) -> HTMLResponse:
    return _validate_page(request, entry="", entry_type="text/markdown", slug="")


@router.post("/validate", response_class=HTMLResponse)
async def validate_form(request: Request, service: ServiceDep) -> HTMLResponse:
    """The form without JavaScript: the same check as ``POST /api/v1/validate``, its report
    rendered on the page.  (With JavaScript the page calls the API itself.)"""
    if request.headers.get("content-type", "").split(";")[0].strip() != (
        "application/x-www-form-urlencoded"
    ):
        raise UnsupportedMediaTypeError(
            "Send the form (application/x-www-form-urlencoded); to validate a file, "
            "POST it to /api/v1/validate."
        )
    try:
        fields = parse_qs((await request.body()).decode("utf-8"), max_num_fields=10)
    except (UnicodeDecodeError, ValueError) as exc:
        raise UnusableInputError("The form could not be read.", code="bad-form") from exc
    entry = (fields.get("entry") or [""])[0].replace("\r\n", "\n")
    entry_type = (fields.get("type") or ["text/markdown"])[0]
    slug = (fields.get("slug") or [""])[0].strip()
    if entry_type not in ENTRY_TYPES:
        raise UnusableInputError(f"Unknown entry type {entry_type!r}.", code="bad-parameter")
    if slug and slugify(slug) != slug:
        raise UnusableInputError(f"{slug!r} is not a slug.", code="bad-slug")
    if not entry.strip():
        raise UnusableInputError("The entry is empty: paste a note.", code="empty-body")
    check = await run_in_threadpool(
        service.validate_entry, entry.encode("utf-8"), entry_type, slug or None
    )
    report = check.to_dict()
    return _validate_page(
        request,
        entry=entry,
        entry_type=entry_type,
        slug=slug,
        report=report,
        **report_view(report, entry),
    )


# -- a note's Markdown ---------------------------------------------------------------------------
@router.get("/note/{slug}/markdown", response_class=Response)
async def note_markdown(service: ServiceDep, slug: str) -> Response:
    """The note's Markdown source as written (``ig:markdown``), to read or download."""
    if len(slug) > 200 or slugify(slug) != slug:
        raise NotFoundError(f"There is no note {slug[:80]!r}.")
    iris = service.iris
    rows = await run_in_threadpool(
        _reader(service).select,
        queries.load("get_note"),
        {"note": iris.note(slug), "g": iris.note_graph(slug)},
    )
    if not rows or "markdown" not in rows[0]:
        raise NotFoundError(f"There is no note {slug[:80]!r}.")
    return Response(
        str(rows[0]["markdown"]),
        media_type="text/markdown; charset=utf-8",
        headers={
            "Content-Disposition": f'inline; filename="{slug}.md"',
            "Cache-Control": "public, max-age=60",
        },
    )
