"""Linked Data HTML pages: one resource, or one graph, as a readable table of its triples.

The pages work with JavaScript off, load nothing from other sites and carry no script at all.
Every value goes through Jinja2's autoescaping; an IRI becomes a link only when its scheme is
``http``, ``https`` or ``mailto``, and IRIs under the deployment's base become links to their
own pages on this host (``https://w3id.org/intimacy-graph/concept/trust`` → ``/concept/trust``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.term import Node

from intimacy_graph.namespaces import DCTERMS, DEFAULT_BASE, IAO_DEFINITION, IG, SKOS

if TYPE_CHECKING:  # jinja2 loads with the first page, not at start-up
    from jinja2 import Environment

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

#: Properties whose values name a thing, best first; English wins inside each.
LABEL_PROPERTIES = (SKOS.prefLabel, RDFS.label, DCTERMS.title)
#: Properties whose value is shown under the heading as the resource's summary, best first.
SUMMARY_PROPERTIES = (SKOS.definition, DCTERMS.description, IG.description, RDFS.comment)
#: Properties listed first in a table, in this order; the others follow by label.
LEADING_PROPERTIES = (
    RDF.type,
    SKOS.prefLabel,
    RDFS.label,
    SKOS.altLabel,
    DCTERMS.title,
    SKOS.definition,
    IAO_DEFINITION,
    SKOS.scopeNote,
    DCTERMS.description,
    IG.description,
)

#: A literal longer than this (or with a line break) is folded into ``<details>``.
LONG_LITERAL = 400
#: At most this many subjects are drawn on a graph page; the RDF links carry all of them.
MAX_GRAPH_SUBJECTS = 500
_LINKABLE_SCHEMES = {"http", "https", "mailto"}
_ONTOLOGY = DEFAULT_BASE + "ontology"


@dataclass(frozen=True)
class Link:
    """An IRI as shown: its label, CURIE (when a prefix fits) and where it links to."""

    iri: str
    label: str
    curie: str | None
    href: str | None


@dataclass(frozen=True)
class Value:
    """One object of a triple: a link for an IRI, or a literal's text."""

    text: str
    link: Link | None = None
    lang: str | None = None
    datatype: str | None = None
    long: bool = False


@dataclass(frozen=True)
class Row:
    """One property of a resource with all its values."""

    prop: Link
    values: list[Value]


@dataclass(frozen=True)
class Described:
    """What a page shows about one subject."""

    link: Link
    anchor: str | None
    types: list[Link]
    summary: Value | None
    rows: list[Row]
    incoming: list[Row] = field(default_factory=list)


@dataclass(frozen=True)
class Alternate:
    """One representation of the same resource (a ``?format=`` link)."""

    name: str
    media_type: str
    href: str


class Namer:
    """Labels, CURIEs and local links for IRIs, from the labels found in ``labels``.

    >>> n = Namer(Graph(), base=DEFAULT_BASE, prefixes={"concept": DEFAULT_BASE + "concept/"})
    >>> trust = n.link(URIRef(DEFAULT_BASE + "concept/trust"))
    >>> trust.label, trust.curie, trust.href
    ('concept:trust', 'concept:trust', '/concept/trust')
    >>> n.href("javascript:alert(1)") is None
    True
    """

    def __init__(
        self, labels: Graph, *, base: str, prefixes: Mapping[str, str], root_path: str = ""
    ) -> None:
        self.labels = labels
        self.base = base
        self.root = root_path.rstrip("/")
        # Longest namespace first, so ``graph:`` does not swallow what ``note:`` should name.
        self.prefixes = sorted(prefixes.items(), key=lambda item: -len(item[1]))

    def local_path(self, iri: str) -> str | None:
        """The path of ``iri`` on this host, if this host serves it (percent-encoded)."""
        for namespace in (self.base, DEFAULT_BASE):
            rest = iri[len(namespace) :] if iri.startswith(namespace) else None
            if rest is None or (namespace != self.base and not rest.startswith("ontology")):
                continue
            path, hash_, fragment = rest.partition("#")
            local = self.root + "/" + quote(path, safe="/-._~")
            return local + (hash_ + quote(fragment, safe="-._~") if hash_ else "")
        return None

    def href(self, iri: str) -> str | None:
        local = self.local_path(iri)
        if local is not None:
            return local
        return iri if urlsplit(iri).scheme.lower() in _LINKABLE_SCHEMES else None

    def curie(self, iri: str) -> str | None:
        for prefix, namespace in self.prefixes:
            if iri.startswith(namespace) and len(iri) > len(namespace):
                return f"{prefix}:{iri[len(namespace) :]}"
        return None

    def label(self, iri: Node) -> str | None:
        return best_literal(self.labels, iri, LABEL_PROPERTIES)

    def link(self, iri: Node) -> Link:
        text = str(iri)
        curie = self.curie(text)
        return Link(text, self.label(iri) or curie or text, curie, self.href(text))


def best_literal(graph: Graph, subject: Node, properties: Iterable[URIRef]) -> str | None:
    """The first property's English literal, else its untagged one, else any; in order."""
    for prop in properties:
        literals = sorted(
            (o for o in graph.objects(subject, prop) if isinstance(o, Literal)), key=str
        )
        for wanted in ("en", None):
            for literal in literals:
                lang = (literal.language or "").lower().split("-")[0] or None
                if lang == wanted:
                    return str(literal)
        if literals:
            return str(literals[0])
    return None


def _value(namer: Namer, node: Node) -> Value:
    if isinstance(node, Literal):
        text = str(node)
        datatype = None
        if node.datatype is not None:
            datatype = namer.curie(str(node.datatype)) or str(node.datatype)
        return Value(
            text,
            lang=node.language,
            datatype=datatype,
            long="\n" in text or len(text) > LONG_LITERAL,
        )
    link = namer.link(node)
    return Value(link.label, link=link)


def _sort_key(value: Value) -> tuple[int, str]:
    return (0 if value.link is None else 1, value.text.casefold())


def _rows(namer: Namer, pairs: Iterable[tuple[Node, Node]]) -> list[Row]:
    grouped: dict[Node, list[Node]] = {}
    for prop, obj in pairs:
        grouped.setdefault(prop, []).append(obj)
    rows = [
        Row(namer.link(prop), sorted((_value(namer, o) for o in objs), key=_sort_key))
        for prop, objs in grouped.items()
    ]
    leading = {str(p): i for i, p in enumerate(LEADING_PROPERTIES)}
    return sorted(
        rows,
        key=lambda row: (leading.get(row.prop.iri, len(leading)), row.prop.label.casefold()),
    )


def describe(
    graph: Graph, subject: Node, namer: Namer, *, incoming: bool = False, anchor_base: str = ""
) -> Described:
    """The view of ``subject``: its types, summary and properties (and who points at it)."""
    link = namer.link(subject)
    types = sorted(
        (namer.link(t) for t in graph.objects(subject, RDF.type)), key=lambda t: t.label.casefold()
    )
    summary_text = best_literal(graph, subject, SUMMARY_PROPERTIES)
    summary = Value(summary_text) if summary_text else None
    rows = _rows(namer, graph.predicate_objects(subject))
    pointing = []
    if incoming:
        pointing = _rows(
            namer, ((p, s) for s, p in graph.subject_predicates(subject) if s != subject)
        )
    anchor = None
    if anchor_base and str(subject).startswith(anchor_base + "#"):
        anchor = str(subject)[len(anchor_base) + 1 :] or None
    return Described(link, anchor, types, summary, rows, pointing)


@cache
def _environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader  # loaded with the first page

    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_resource_page(
    graph: Graph,
    resource: URIRef,
    namer: Namer,
    alternates: Sequence[Alternate],
    *,
    sparql_path: str = "/sparql",
) -> str:
    """The HTML page of one resource from its description (``describe_resource.rq``).

    >>> g = Graph()
    >>> trust = URIRef(DEFAULT_BASE + "concept/trust")
    >>> _ = g.add((trust, SKOS.prefLabel, Literal("Trust <&>", lang="en")))
    >>> html = render_resource_page(g, trust, Namer(g, base=DEFAULT_BASE, prefixes={}), [])
    >>> '<h1 id="title">Trust &lt;&amp;&gt;</h1>' in html
    True
    """
    main = describe(graph, resource, namer, incoming=True)
    return (
        _environment()
        .get_template("resource.html")
        .render(
            title=main.link.label,
            main=main,
            others=[],
            truncated=0,
            alternates=alternates,
            root=namer.root,
            sparql_path=namer.root + sparql_path,
        )
    )


def render_graph_page(
    graph: Graph,
    resource: URIRef,
    namer: Namer,
    alternates: Sequence[Alternate],
    *,
    title: str | None = None,
    main_subject: Node | None = None,
    sparql_path: str = "/sparql",
) -> str:
    """The HTML page of a whole graph (the ontology, ``graph:registry``, ...): one section per
    subject, ``main_subject`` (e.g. the ``owl:Ontology`` header) first.

    Subjects under ``main_subject#`` get their fragment as ``id``, so ``/ontology#Concept`` lands on
    the term ``ig:Concept``.
    """
    head = main_subject if main_subject is not None else resource
    main = describe(graph, head, namer, anchor_base=str(head))
    if not main.rows:
        # The graph says nothing about itself: head the page with the graph's name only.
        main = Described(namer.link(resource), None, [], None, [])
    subjects = sorted(
        {s for s in graph.subjects() if s != head},
        key=lambda s: (
            min((namer.link(t).label.casefold() for t in graph.objects(s, RDF.type)), default=""),
            (namer.label(s) or str(s)).casefold(),
        ),
    )
    shown = subjects[:MAX_GRAPH_SUBJECTS]
    others = [describe(graph, s, namer, anchor_base=str(head)) for s in shown]
    return (
        _environment()
        .get_template("resource.html")
        .render(
            title=title or main.link.label,
            main=main,
            others=others,
            truncated=len(subjects) - len(shown),
            alternates=alternates,
            root=namer.root,
            sparql_path=namer.root + sparql_path,
        )
    )


def ontology_header(graph: Graph) -> Node | None:
    """The ``owl:Ontology`` a graph declares (the first, by IRI), if any."""
    return min(graph.subjects(RDF.type, OWL.Ontology), key=str, default=None)
