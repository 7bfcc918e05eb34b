"""The rich page of one concept (``/concept/{slug}`` for browsers), from its concept card.

The card is the API's (:func:`intimacy_graph.concepts.concept_card`), so the page and
``/api/v1/concepts/{slug}`` never disagree.  Here it is only arranged for reading:
mechanisms under their groups, implications under their domains, the inverse view by role.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rdflib import RDF, Graph, URIRef

from intimacy_graph.web.pages import Alternate, Link, Namer
from intimacy_graph.web.site import render

#: Sections of the card's ``relations``, in the order of the note, with their headings.
SECTIONS = (
    ("characteristics", "Characteristics"),
    ("types", "Types"),
    ("benefits", "Benefits"),
)
#: The inverse view: card key → how it reads ("Trust is a characteristic of …").
INVERSE = (
    ("characteristicOf", "Is a characteristic of"),
    ("typeOf", "Is a type of"),
    ("benefitOf", "Is a benefit of"),
    ("mechanismOf", "Is a mechanism of"),
    ("mechanismGroupOf", "Groups mechanisms of"),
    ("implicationDomainOf", "Is an implication domain of"),
)
LINKS = (
    ("broader", "Broader"),
    ("narrower", "Narrower"),
    ("related", "Related concepts"),
    ("seeAlso", "See also"),
)


@dataclass
class Item:
    """One statement as listed: what it names, its text and where the note says it."""

    label: str
    href: str | None
    description: str | None
    statement: str | None
    source: str | None  # link to the line in the note page
    line: int | None
    children: list[Item] = field(default_factory=list)


@dataclass
class Group:
    heading: str
    href: str | None
    items: list[Item]


def _local(namer: Namer, iri: str | None) -> str | None:
    return None if iri is None else namer.href(iri)


def _source(namer: Namer, statement: Mapping[str, Any]) -> tuple[str | None, int | None]:
    note, line = statement.get("note"), statement.get("sourceLine")
    href = _local(namer, note)
    if href is None:
        return None, line
    return (href + f"#L{line}" if line else href), line


def item(namer: Namer, st: Mapping[str, Any]) -> Item:
    """A statement of the card as a list item (linked to its concept, if it names one)."""
    concept = st.get("concept") or {}
    source, line = _source(namer, st)
    return Item(
        label=st.get("label") or concept.get("prefLabel") or concept.get("slug") or "",
        href=_local(namer, concept.get("@id")),
        description=st.get("description"),
        statement=_local(namer, st.get("@id")),
        source=source,
        line=line,
    )


def _by_position(statements: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(statements, key=lambda s: (s.get("position") or 0, s.get("label") or ""))


def mechanisms(namer: Namer, statements: Sequence[Mapping[str, Any]]) -> list[Item]:
    """Numbered mechanisms with their leaves nested under them, as the note lists them."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    top = []
    for st in statements:
        group = (st.get("group") or {}).get("@id")
        if group:
            groups.setdefault(group, []).append(st)
        else:
            top.append(st)
    out = []
    placed: set[str] = set()
    for st in _by_position(top):
        it = item(namer, st)
        concept = (st.get("concept") or {}).get("@id")
        if concept in groups:
            it.children = [item(namer, leaf) for leaf in _by_position(groups[concept])]
            placed.add(concept)
        out.append(it)
    for group, leaves in groups.items():  # a group with no numbered item of its own
        if group not in placed:
            first = leaves[0].get("group") or {}
            head = Item(first.get("prefLabel") or "", _local(namer, group), None, None, None, None)
            head.children = [item(namer, leaf) for leaf in _by_position(leaves)]
            out.append(head)
    return out


def implications(namer: Namer, statements: Sequence[Mapping[str, Any]]) -> list[Group]:
    """Implication items under their domain (Mental Health, Education, …), in note order."""
    groups: dict[str, Group] = {}
    for st in sorted(statements, key=lambda s: s.get("sourceLine") or 0):
        domain = st.get("domain") or {}
        key = domain.get("@id") or ""
        if key not in groups:
            groups[key] = Group(
                domain.get("prefLabel") or domain.get("slug") or "Other", _local(namer, key), []
            )
        groups[key].items.append(item(namer, st))
    return list(groups.values())


def evidence(namer: Namer, statements: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for st in _by_position(statements):
        work = st.get("work") or {}
        source, line = _source(namer, st)
        out.append(
            {
                "label": work.get("label") or st.get("label"),
                "href": _local(namer, work.get("@id")),
                "year": work.get("year"),
                "summary": st.get("studySummary"),
                "finding": st.get("finding"),
                "statement": _local(namer, st.get("@id")),
                "source": source,
                "line": line,
            }
        )
    return out


def _ref(namer: Namer, ref: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "label": ref.get("prefLabel") or ref.get("slug") or ref.get("@id"),
        "href": _local(namer, ref.get("@id")),
        "asserted": ref.get("asserted", True),
    }


def inverse(namer: Namer, card: Mapping[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    out = []
    for key, heading in INVERSE:
        rows = []
        for ref in card.get("inverse", {}).get(key, []):
            via = ref.get("via") or {}
            rows.append(
                {
                    **_ref(namer, ref),
                    "description": via.get("description"),
                    "statement": _local(namer, via.get("statement")),
                    "as": via.get("label"),
                }
            )
        if rows:
            out.append((heading, rows))
    return out


def render_concept_page(
    card: Mapping[str, Any],
    graph: Graph,
    namer: Namer,
    alternates: Sequence[Alternate],
    *,
    note: Mapping[str, Any] | None = None,
) -> str:
    """The concept page: ``card`` as the API gives it, ``graph`` its Linked Data description
    (for its types), ``note`` the describing note's record (``slug``, ``title``)."""
    iri = URIRef(card["@id"])
    types: list[Link] = sorted(
        (namer.link(t) for t in graph.objects(iri, RDF.type)), key=lambda t: t.label.casefold()
    )
    relations = card.get("relations", {})
    sections = [
        (key, heading, [item(namer, st) for st in _by_position(relations.get(key, []))])
        for key, heading in SECTIONS
    ]
    links = [
        (key, heading, [_ref(namer, r) for r in card.get(key, [])])
        for key, heading in LINKS
        if card.get(key)
    ]
    return render(
        "concept.html",
        root=namer.root,
        nav="concept",
        scripts=["vendor/cytoscape/cytoscape.min.js", "js/site.js", "js/graph.js"],
        title=card.get("prefLabel") or card["slug"],
        card=card,
        iri=card["@id"],
        types=types,
        sections=[s for s in sections if s[2]],
        mechanisms=mechanisms(namer, relations.get("mechanisms", [])),
        implications=implications(namer, relations.get("implications", [])),
        evidence=evidence(namer, relations.get("evidence", [])),
        inverse=inverse(namer, card),
        links=links,
        note=note,
        alternates=alternates,
        replaced_by=_local(namer, card.get("replacedBy")),
    )
