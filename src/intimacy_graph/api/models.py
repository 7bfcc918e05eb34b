"""Response models of ``/api/v1`` — the OpenAPI contract at ``/docs``, with an example each.

The routes build their JSON themselves (see :mod:`intimacy_graph.concepts`) and return it as a
``Response``, so these models document and never re-serialise: a route's ``response_model`` is
its schema, :func:`ok` its example. JSON-LD keys (``@id``, ``@type``, ``@context``) are aliases.
``tests/api/test_openapi.py`` checks every example and real answers against these schemas.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

C = "https://w3id.org/intimacy-graph/concept/"
N = "https://w3id.org/intimacy-graph/note/"
S = "https://w3id.org/intimacy-graph/statement/"
W = "https://w3id.org/intimacy-graph/work/"
LD = "application/ld+json"


class LDJSONResponse(JSONResponse):
    """JSON-LD (``application/ld+json``); used as ``response_class`` so docs name it."""

    media_type = LD


class Model(BaseModel):
    """A documented shape. Nullable fields default to ``None`` (so are not "required"): FastAPI
    drops ``null`` values from the examples it writes into the OpenAPI document."""

    model_config = ConfigDict(populate_by_name=True)


def _context() -> Any:
    return Field(alias="@context", description="The JSON-LD context: `/context.jsonld`")


def _id() -> Any:
    return Field(alias="@id", description="The resource's IRI")


def _type() -> Any:
    return Field(alias="@type", description="Its classes as CURIEs")


# -- errors, health -----------------------------------------------------------------------------


class ErrorBody(Model):
    """Every 4xx/5xx: a stable machine-readable ``code`` and a message for people; some errors
    add fields (a 404 for a concept adds ``suggestions``)."""

    model_config = ConfigDict(extra="allow")
    code: str = Field(examples=["not-found"])
    message: str


class Suggestion(Model):
    slug: str
    prefLabel: str | None = None


class Health(Model):
    status: Literal["ok"]
    version: str


class Ready(Model):
    ready: bool
    generation: int | None = Field(None, description="Snapshot generation (grows with every write)")
    workers: int
    worker_restarts: int
    search_ready: bool = Field(
        False, description="The search index is built (search, suggest and slug checks answer)"
    )
    search_generation: int | None = Field(
        None, description="Snapshot generation the search index reflects"
    )
    code: str | None = Field(None, description="`not-ready` while starting (503)")
    message: str | None = None


# -- references, concepts -----------------------------------------------------------------------


class Ref(Model):
    """A link to another concept: IRI, slug and preferred label."""

    id: str = _id()
    slug: str | None = None
    prefLabel: str | None = None


class Link(Ref):
    asserted: bool = Field(description="Stated by a note (false: inferred)")


class ConceptItem(Model):
    id: str = _id()
    type: list[str] = _type()
    slug: str
    prefLabel: str | None = None
    described: bool
    roles: list[str]


class ConceptPage(Model):
    context: str = _context()
    total: int
    limit: int
    offset: int
    items: list[ConceptItem]


class WorkRef(Model):
    id: str = _id()
    slug: str | None = None
    label: str | None = None
    year: str | None = None


class Statement(Model):
    """What one note says about the concept: one listed item of one section."""

    id: str = _id()
    type: str = _type()
    label: str | None = None
    labelIsLink: bool
    description: str | None = None
    position: int | None = None
    sourceLine: int | None = None
    note: str | None = None
    concept: Ref | None = Field(None, description="The item's concept (not for implications)")
    group: Ref | None = Field(None, description="Mechanism group of a leaf mechanism")
    domain: Ref | None = Field(None, description="Domain of an implication item")
    work: WorkRef | None = Field(None, description="The study (evidence statements)")
    studySummary: str | None = None
    finding: str | None = None


class Via(Model):
    statement: str
    label: str | None = None
    description: str | None = None
    note: str | None = None


class InverseRef(Ref):
    via: Via


class Relations(Model):
    characteristics: list[Statement]
    types: list[Statement]
    benefits: list[Statement]
    mechanisms: list[Statement]
    implications: list[Statement]
    evidence: list[Statement]


class Inverse(Model):
    characteristicOf: list[InverseRef]
    typeOf: list[InverseRef]
    benefitOf: list[InverseRef]
    mechanismOf: list[InverseRef]
    mechanismGroupOf: list[InverseRef]
    implicationDomainOf: list[InverseRef]


class ConceptCard(Model):
    context: str = _context()
    id: str = _id()
    type: list[str] = _type()
    slug: str
    prefLabel: str | None = None
    altLabels: list[str]
    definition: str | None = None
    scopeNote: str | None = None
    inScheme: str
    described: bool
    describedBy: str | None = None
    roles: list[str]
    deprecated: bool
    replacedBy: str | None = None
    relations: Relations
    inverse: Inverse
    related: list[Link]
    broader: list[Link]
    narrower: list[Link]
    seeAlso: list[Link]


class RelatedItem(Ref):
    relation: str = Field(description="The property followed, as a CURIE")
    from_: str = Field(alias="from", description="The concept it was reached from")
    depth: int
    asserted: bool


class RelatedList(Model):
    context: str = _context()
    concept: str
    relation: str | None = None
    depth: int
    items: list[RelatedItem]


class HierarchyList(Model):
    context: str = _context()
    concept: str
    relation: Literal["broader", "narrower", "ancestors", "descendants"]
    items: list[Ref]


class RefList(Model):
    context: str = _context()
    items: list[Ref]


class Node(Model):
    id: str
    slug: str | None = None
    label: str | None = None
    depth: int


class Edge(Model):
    source: str
    target: str
    relation: str
    property: str


class Neighbourhood(Model):
    context: str = _context()
    center: str
    depth: int
    nodes: list[Node]
    truncated: bool = Field(description="True when the node cap cut the neighbourhood")
    edges: list[Edge]


class StoredEdge(Model):
    subject: str
    property: str
    object: str


class Step(Model):
    from_: Ref = Field(alias="from")
    to: Ref
    relation: str
    property: str
    direction: Literal["forward", "backward"]
    edge: StoredEdge


class PathResult(Model):
    context: str = _context()
    from_: str = Field(alias="from")
    to: str
    connected: bool
    length: int | None = None
    paths: list[list[Step]]
    message: str | None = Field(None, description="Present when not connected")


# -- search ---------------------------------------------------------------------------------------


class SearchHit(Model):
    id: str = _id()
    slug: str
    prefLabel: str | None = None
    matched: str
    match: str = Field(description="How it matched; see `ranking`")
    rank: int
    definition: str | None = None
    roles: list[str]


class SearchResult(Model):
    context: str = _context()
    q: str
    role: str | None = None
    items: list[SearchHit]
    ranking: list[str] = Field(description="Match kinds, best first")


class SuggestItem(Model):
    id: str = _id()
    slug: str
    prefLabel: str | None = None
    matched: str


class SuggestResult(Model):
    q: str
    items: list[SuggestItem]


# -- studies, notes, stats --------------------------------------------------------------------


class StudyItem(Model):
    id: str = _id()
    type: str = _type()
    slug: str | None = None
    label: str | None = None
    year: str | None = None
    authors: list[str]
    citedBy: int | None = None


class StudyList(Model):
    context: str = _context()
    items: list[StudyItem]


class Claim(Model):
    id: str = _id()
    type: str = _type()
    note: str | None = None
    concept: Ref
    studySummary: str | None = None
    finding: str | None = None


class Study(Model):
    context: str = _context()
    id: str = _id()
    type: list[str] = _type()
    slug: str
    label: str | None = None
    year: str | None = None
    authors: list[str]
    citedBy: list[str]
    claims: list[Claim]


class NoteItem(Model):
    id: str = _id()
    type: str = _type()
    slug: str | None = None
    title: str | None = None
    concept: str
    source: str | None = None
    contentHash: str | None = None
    modified: str | None = None


class NoteList(Model):
    context: str = _context()
    items: list[NoteItem]


class NoteGraph(Model):
    id: str = _id()
    triples: int | None = None
    download: dict[str, str]


class Note(NoteItem):
    context: str = _context()
    closing: str | None = None
    markdown: str | None = None
    generatedBy: str | None = None
    graph: NoteGraph


class Stats(Model):
    classes: dict[str, int]
    relations: dict[str, int]
    quads: int
    generation: int | None = None


class ContextDocument(Model):
    context: dict[str, Any] = _context()


# -- OpenAPI helpers ----------------------------------------------------------------------------

_ERRORS = {
    400: ("bad-parameter", "limit: Input should be less than or equal to 1000"),
    404: ("not-found", "There is no concept “empaty”. Did you mean “Empathy”?"),
    503: ("not-ready", "The search index is still being built; try again shortly."),
}


ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for error statuses, all in the one error shape (JSON, whatever
    the route's own media type). ``ErrorBody`` enters the components through the health
    routes, which name it as a model."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        code, message = _ERRORS.get(status, ("http-error", "…"))
        example: dict[str, Any] = {"code": code, "message": message}
        if status == 404:
            example["suggestions"] = [{"slug": "empathy", "prefLabel": "Empathy"}]
        out[status] = {
            "description": {400: "Bad parameters", 404: "Unknown slug", 503: "Not ready"}.get(
                status, "Error"
            ),
            "content": {"application/json": {"schema": ERROR_REF, "example": example}},
        }
    return out


def ok(
    example: dict[str, Any], *statuses: int, media_type: str = LD, cached: bool = True
) -> dict[int | str, Any]:
    """``responses=`` for a route: its 200 example (under ``media_type``), the 304 of a
    conditional read when ``cached``, and the error shapes of ``statuses``.

    Declaring the 400 here also stops FastAPI from documenting its own 422 body, which this
    app never sends (bad parameters are 400 ``bad-parameter``).
    """
    out: dict[int | str, Any] = {200: {"content": {media_type: {"example": example}}}}
    out["4XX"] = {
        "description": "Any other refusal, in the one error shape",
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    if cached:
        out[304] = {"description": "Not modified: `If-None-Match` matched the `ETag`"}
    return {**out, **errors(*statuses)}


def text(example: str) -> dict[str, Any]:
    """A media type whose body is text (RDF, Markdown, HTML): schema and example."""
    return {"schema": {"type": "string"}, "example": example}


#: Examples of each RDF serialisation the service writes.
RDF_EXAMPLES = {
    "text/turtle": "<https://w3id.org/intimacy-graph/concept/trust> a ig:Concept ;\n"
    '    skos:prefLabel "Trust"@en .\n',
    "application/n-triples": f"<{C}trust> <http://www.w3.org/2004/02/skos/core#prefLabel> "
    '"Trust"@en .\n',
    "application/n-quads": f"<{C}trust> <http://www.w3.org/2004/02/skos/core#prefLabel> "
    '"Trust"@en <https://w3id.org/intimacy-graph/graph/registry> .\n',
    "application/trig": "GRAPH <https://w3id.org/intimacy-graph/graph/registry> {\n"
    f'  <{C}trust> skos:prefLabel "Trust"@en .\n}}\n',
    "application/rdf+xml": '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    f'<rdf:Description rdf:about="{C}trust"/></rdf:RDF>',
    LD: f'[{{"@id": "{C}trust", "http://www.w3.org/2004/02/skos/core#prefLabel": '
    '[{"@value": "Trust", "@language": "en"}]}]',
}


def rdf_content() -> dict[str, Any]:
    """Each RDF media type with its schema and example: text, except JSON-LD, a JSON document
    (an object or an array) that schema validators parse."""
    content = {mt: text(example) for mt, example in RDF_EXAMPLES.items()}
    content[LD] = {"schema": {"type": ["object", "array"]}, "example": json.loads(RDF_EXAMPLES[LD])}
    return content


def downloads() -> dict[int | str, Any]:
    """The dumps' 200: one RDF media type per file extension."""
    return {
        200: {
            "description": "The dump, as an attachment",
            "content": rdf_content(),
        }
    }


SPARQL_RESULTS = {
    "application/sparql-results+json": {
        "schema": {"type": "object"},
        "example": {
            "head": {"vars": ["c"]},
            "results": {"bindings": [{"c": {"type": "uri", "value": C + "trust"}}]},
        },
    },
    "application/sparql-results+xml": text(
        '<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head><variable name="c"/>'
        f'</head><results><result><binding name="c"><uri>{C}trust</uri></binding></result>'
        "</results></sparql>"
    ),
    "text/csv": text(f"c\r\n{C}trust\r\n"),
    "text/tab-separated-values": text(f"?c\n<{C}trust>\n"),
}
_LINKED_DATA = ("/concept/", "/note/", "/work/", "/statement/", "/run/", "/ontology", "/graph/")


def document_protocols(schema: dict[str, Any]) -> dict[str, Any]:
    """Document the media types of the SPARQL, Graph Store and Linked Data routes (which
    negotiate their answers) in an OpenAPI ``schema``, and their errors in the one error shape
    instead of FastAPI's unused 422 body. Returns ``schema``, changed in place."""
    error = {
        "description": "Refused, in the one error shape",
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    rdf = rdf_content()
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            if "422" in responses and "HTTPValidationError" in str(responses["422"]):
                del responses["422"]
                responses.setdefault("4XX", error)
            if path == "/sparql":
                content = {**SPARQL_RESULTS, **rdf}
                what = "Query results (SELECT/ASK) or a graph (CONSTRUCT/DESCRIBE), negotiated"
            elif path == "/graph-store" and method == "get":
                content, what = rdf, "The graph, negotiated"
            elif path.startswith(_LINKED_DATA):
                content = {**rdf, "text/html": text("<!doctype html><title>Trust</title>…")}
                what = "The resource: HTML for browsers, RDF by `Accept` or `?format=`"
            else:
                continue
            if method in ("get", "head", "post") and "200" in responses:
                responses["200"] = {"description": what, "content": content}
    return schema


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` (``/openapi.json``, ``/docs``) include :func:`document_protocols`."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_protocols(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def merge(*parts: dict[int | str, Any]) -> dict[int | str, Any]:
    """Several ``responses=`` dicts as one; content of the same status is combined."""
    out: dict[int | str, Any] = {}
    for part in parts:
        for status, response in part.items():
            into = out.setdefault(status, {})
            for key, value in response.items():
                if key == "content":
                    into.setdefault("content", {}).update(value)
                else:
                    into[key] = value
    return out


# -- examples (from the served seed note, shortened) ---------------------------------------------


def _ref(slug: str, label: str) -> dict[str, Any]:
    return {"@id": C + slug, "slug": slug, "prefLabel": label}


_OXYTOCIN_STATEMENT = {
    "@id": S + "emotional-intimacy/mechanism/oxytocin",
    "@type": "ig:MechanismStatement",
    "label": "Oxytocin",
    "labelIsLink": False,
    "description": "Often called the 'love hormone,' oxytocin is released during…",
    "position": 1,
    "sourceLine": 47,
    "note": N + "emotional-intimacy",
    "concept": _ref("oxytocin", "Oxytocin"),
    "group": _ref("neurochemical-processes", "Neurochemical Processes"),
}
_EMPTY_RELATIONS: dict[str, list[Any]] = {
    k: [] for k in ("characteristics", "types", "benefits", "mechanisms", "implications")
}
_EMPTY_INVERSE: dict[str, list[Any]] = {
    k: []
    for k in (
        "characteristicOf",
        "typeOf",
        "benefitOf",
        "mechanismOf",
        "mechanismGroupOf",
        "implicationDomainOf",
    )
}
_STEP = {
    "from": _ref("oxytocin", "Oxytocin"),
    "to": _ref("emotional-intimacy", "Emotional Intimacy"),
    "relation": "mechanism",
    "property": "ig:hasMechanism",
    "direction": "backward",
    "edge": {
        "subject": C + "emotional-intimacy",
        "property": "ig:hasMechanism",
        "object": C + "oxytocin",
    },
}

EXAMPLES: dict[str, dict[str, Any]] = {
    "health": {"status": "ok", "version": "0.1.0"},
    "ready": {
        "ready": True,
        "generation": 1,
        "workers": 2,
        "worker_restarts": 0,
        "search_ready": True,
        "search_generation": 1,
    },
    "concepts": {
        "@context": "/context.jsonld",
        "total": 8,
        "limit": 1,
        "offset": 0,
        "items": [
            {
                "@id": C + "active-listening",
                "@type": ["ig:Concept", "skos:Concept"],
                "slug": "active-listening",
                "prefLabel": "Active Listening",
                "described": False,
                "roles": ["mechanism"],
            }
        ],
    },
    "card": {
        "@context": "/context.jsonld",
        "@id": C + "neurochemical-processes",
        "@type": ["ig:Concept", "skos:Concept", "schema:DefinedTerm"],
        "slug": "neurochemical-processes",
        "prefLabel": "Neurochemical Processes",
        "altLabels": [],
        "definition": None,
        "scopeNote": None,
        "inScheme": C + "scheme",
        "described": False,
        "describedBy": None,
        "roles": ["mechanism"],
        "deprecated": False,
        "replacedBy": None,
        "relations": {**_EMPTY_RELATIONS, "evidence": []},
        "inverse": {
            **_EMPTY_INVERSE,
            "mechanismOf": [
                {
                    **_ref("emotional-intimacy", "Emotional Intimacy"),
                    "via": {
                        "statement": S + "emotional-intimacy/mechanism/neurochemical-processes",
                        "label": "Neurochemical Processes",
                        "description": None,
                        "note": N + "emotional-intimacy",
                    },
                }
            ],
        },
        "related": [{**_ref("emotional-intimacy", "Emotional Intimacy"), "asserted": False}],
        "broader": [],
        "narrower": [],
        "seeAlso": [],
    },
    "related": {
        "@context": "/context.jsonld",
        "concept": "oxytocin",
        "relation": None,
        "depth": 1,
        "items": [
            {
                **_ref("emotional-intimacy", "Emotional Intimacy"),
                "relation": "skos:related",
                "from": C + "oxytocin",
                "depth": 1,
                "asserted": False,
            }
        ],
    },
    "hierarchy": {
        "@context": "/context.jsonld",
        "concept": "romantic-intimacy",
        "relation": "broader",
        "items": [_ref("emotional-intimacy", "Emotional Intimacy")],
    },
    "roots": {
        "@context": "/context.jsonld",
        "items": [_ref("emotional-intimacy", "Emotional Intimacy")],
    },
    "graph": {
        "@context": "/context.jsonld",
        "center": C + "oxytocin",
        "depth": 1,
        "nodes": [
            {"id": C + "oxytocin", "slug": "oxytocin", "label": "Oxytocin", "depth": 0},
            {
                "id": C + "emotional-intimacy",
                "slug": "emotional-intimacy",
                "label": "Emotional Intimacy",
                "depth": 1,
            },
        ],
        "truncated": False,
        "edges": [
            {
                "source": C + "emotional-intimacy",
                "target": C + "oxytocin",
                "relation": "mechanism",
                "property": "ig:hasMechanism",
            }
        ],
    },
    "path": {
        "@context": "/context.jsonld",
        "from": "oxytocin",
        "to": "relationship-satisfaction",
        "connected": True,
        "length": 2,
        "paths": [
            [
                _STEP,
                {
                    "from": _ref("emotional-intimacy", "Emotional Intimacy"),
                    "to": _ref("relationship-satisfaction", "Relationship Satisfaction"),
                    "relation": "benefit",
                    "property": "ig:hasBenefit",
                    "direction": "forward",
                    "edge": {
                        "subject": C + "emotional-intimacy",
                        "property": "ig:hasBenefit",
                        "object": C + "relationship-satisfaction",
                    },
                },
            ]
        ],
    },
    "search": {
        "@context": "/context.jsonld",
        "q": "empathy",
        "role": None,
        "items": [
            {
                "@id": C + "empathy",
                "slug": "empathy",
                "prefLabel": "Empathy",
                "matched": "Empathy",
                "match": "exact-preferred-label",
                "rank": 0,
                "definition": None,
                "roles": ["characteristic", "mechanism"],
            }
        ],
        "ranking": [
            "exact-preferred-label",
            "exact-alternative-label",
            "label-prefix",
            "label-words",
            "text",
        ],
    },
    "suggest": {
        "q": "emo",
        "items": [
            {
                "@id": C + "emotional-bond",
                "slug": "emotional-bond",
                "prefLabel": "Emotional Bond",
                "matched": "Emotional Bond",
            }
        ],
    },
    "studies": {
        "@context": "/context.jsonld",
        "items": [
            {
                "@id": W + "aron-1997",
                "@type": "ig:Study",
                "slug": "aron-1997",
                "label": "Aron et al. (1997)",
                "year": "1997",
                "authors": ["Aron"],
                "citedBy": 1,
            }
        ],
    },
    "study": {
        "@context": "/context.jsonld",
        "@id": W + "aron-1997",
        "@type": ["ig:Study", "ig:Work"],
        "slug": "aron-1997",
        "label": "Aron et al. (1997)",
        "year": "1997",
        "authors": ["Aron"],
        "citedBy": [N + "emotional-intimacy"],
        "claims": [
            {
                "@id": S + "emotional-intimacy/evidence/aron-1997",
                "@type": "ig:EvidenceStatement",
                "note": N + "emotional-intimacy",
                "concept": _ref("emotional-intimacy", "Emotional Intimacy"),
                "studySummary": 'Developed the "36 Questions" method to create closeness…',
                "finding": "Demonstrated that mutual self-disclosure and empathetic responses…",
            }
        ],
    },
    "notes": {
        "@context": "/context.jsonld",
        "items": [
            {
                "@id": N + "emotional-intimacy",
                "@type": "ig:ConceptNote",
                "slug": "emotional-intimacy",
                "title": "Emotional Intimacy",
                "concept": C + "emotional-intimacy",
                "source": "emotional-intimacy.md",
                "contentHash": "7bf10636e0b1a7df318291e89b8d10e2ff1c15c0dc7255a50913420eeaecc549",
                "modified": "2026-11-27T16:57:41+00:00",
            }
        ],
    },
    "stats": {
        "classes": {"ig:Concept": 33, "ig:ConceptNote": 1, "ig:Study": 3},
        "relations": {"ig:hasMechanism": 8, "skos:related": 48},
        "quads": 1081,
        "generation": 1,
    },
    "context": {
        "@context": {
            "@version": 1.1,
            "skos": "http://www.w3.org/2004/02/skos/core#",
            "prefLabel": {"@id": "skos:prefLabel", "@language": "en"},
        }
    },
}
EXAMPLES["note"] = {
    **EXAMPLES["notes"]["items"][0],
    "@context": "/context.jsonld",
    "closing": "Understanding and fostering emotional intimacy can significantly enhance…",
    "markdown": "see also:\n- [[Attachment]]\n…",
    "generatedBy": "https://w3id.org/intimacy-graph/run/20261127T165741832208Z-e3b0c442",
    "graph": {
        "@id": "https://w3id.org/intimacy-graph/graph/note/emotional-intimacy",
        "triples": 339,
        "download": {"ttl": "/graph/note/emotional-intimacy?format=ttl"},
    },
}
#: A described concept's card, its lists cut to one entry each where shown.
EXAMPLES["described_card"] = {
    **EXAMPLES["card"],
    "@id": C + "emotional-intimacy",
    "slug": "emotional-intimacy",
    "prefLabel": "Emotional Intimacy",
    "definition": "Emotional intimacy is the ability to be open and vulnerable with another…",
    "scopeNote": "Emotional Intimacy refers to a deep sense of closeness and connection…",
    "described": True,
    "describedBy": N + "emotional-intimacy",
    "roles": [],
    "relations": {**_EMPTY_RELATIONS, "mechanisms": [_OXYTOCIN_STATEMENT], "evidence": []},
    "inverse": _EMPTY_INVERSE,
    "related": [{**_ref("oxytocin", "Oxytocin"), "asserted": True}],
    "narrower": [{**_ref("romantic-intimacy", "Romantic Intimacy"), "asserted": True}],
}
