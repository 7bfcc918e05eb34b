"""Concept cards, typed relations, hierarchy, neighbourhoods and paths (the concept API).

Every read goes through ``queries/*.rq`` with bound values; the JSON these functions return is
JSON-LD under ``/context.jsonld`` (see :mod:`intimacy_graph.jsonld`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from rdflib import URIRef
from rdflib.term import Node

from intimacy_graph import queries
from intimacy_graph.namespaces import IG, SKOS, Iris
from intimacy_graph.store.base import Store

#: A result row: rdflib terms (``Store.select``) or their lexical forms (``Store.select_text``).
Row = Mapping[str, Node | str]

KIND_KEYS = {
    str(IG.CharacteristicStatement): "characteristics",
    str(IG.TypeStatement): "types",
    str(IG.BenefitStatement): "benefits",
    str(IG.MechanismStatement): "mechanisms",
    str(IG.ImplicationStatement): "implications",
    str(IG.EvidenceStatement): "evidence",
}
INVERSE_KEYS = {
    ("object", str(IG.CharacteristicStatement)): "characteristicOf",
    ("object", str(IG.TypeStatement)): "typeOf",
    ("object", str(IG.BenefitStatement)): "benefitOf",
    ("object", str(IG.MechanismStatement)): "mechanismOf",
    ("group", str(IG.MechanismStatement)): "mechanismGroupOf",
    ("domain", str(IG.ImplicationStatement)): "implicationDomainOf",
}
LINK_KEYS = {
    str(SKOS.related): "related",
    str(SKOS.broader): "broader",
    str(SKOS.narrower): "narrower",
    str(IG.seeAlso): "seeAlso",
}
#: Relation names accepted by ``/related?relation=`` → the properties they follow.
RELATIONS = {
    "related": SKOS.related,
    "broader": SKOS.broader,
    "narrower": SKOS.narrower,
    "see-also": IG.seeAlso,
    "characteristic": IG.hasCharacteristic,
    "characteristic-of": IG.isCharacteristicOf,
    "type": IG.hasType,
    "type-of": IG.isTypeOf,
    "benefit": IG.hasBenefit,
    "benefit-of": IG.isBenefitOf,
    "mechanism": IG.hasMechanism,
    "mechanism-of": IG.isMechanismOf,
    "implication": IG.hasImplicationFor,
    "implication-domain-of": IG.isImplicationDomainOf,
}
EDGE_NAMES = {
    str(IG.hasCharacteristic): "characteristic",
    str(IG.hasType): "type",
    str(IG.hasBenefit): "benefit",
    str(IG.hasMechanism): "mechanism",
    str(IG.hasImplicationFor): "implication",
    str(SKOS.related): "related",
    str(IG.seeAlso): "see-also",
    str(SKOS.broader): "broader",
}
#: Edge names that say only that two concepts are linked, not how.
GENERIC_EDGES = frozenset({"related", "see-also", "broader"})


def _str(row: Row, key: str) -> str | None:
    value = row.get(key)
    return None if value is None else str(value)


def _int(row: Row, key: str) -> int | None:
    value = row.get(key)
    return int(str(value)) if value is not None else None


def _slug(iri: Node | str | None) -> str | None:
    return None if iri is None else str(iri).rstrip("/").rsplit("/", 1)[-1]


def ref(iri: Node | str, label: Node | str | None) -> dict[str, Any]:
    """A reference to another resource: its IRI, slug and label."""
    return {"@id": str(iri), "slug": _slug(iri), "prefLabel": str(label) if label else None}


def concept_card(store: Store, iris: Iris, slug: str) -> dict[str, Any] | None:
    """Everything about one concept, grouped by role, with the inverse view."""
    concept = iris.concept(slug)
    rows = store.select_text(queries.load("get_concept"), {"concept": concept})
    if not rows:
        return None
    first = rows[0]
    roles = sorted({_role_name(str(r["role"])) for r in rows if "role" in r})
    card: dict[str, Any] = {
        "@context": "/context.jsonld",
        "@id": str(concept),
        "@type": ["ig:Concept", "skos:Concept", "schema:DefinedTerm"],
        "slug": slug,
        "prefLabel": _str(first, "prefLabel"),
        "altLabels": sorted({str(r["altLabel"]) for r in rows if "altLabel" in r}),
        "definition": _str(first, "definition"),
        "scopeNote": _str(first, "scopeNote"),
        "inScheme": str(iris.scheme),
        "described": "note" in first,
        "describedBy": _str(first, "note"),
        "roles": roles,
        "deprecated": _str(first, "deprecated") == "true",
        "replacedBy": _str(first, "replacedBy"),
        "relations": {key: [] for key in KIND_KEYS.values()},
        "inverse": {key: [] for key in INVERSE_KEYS.values()},
    }
    for row in store.select_text(queries.load("list_statements_by_subject"), {"subject": concept}):
        card["relations"][KIND_KEYS[str(row["kind"])]].append(statement_json(row))
    for row in store.select_text(queries.load("list_statements_by_object"), {"target": concept}):
        key = INVERSE_KEYS.get((str(row["role"]), str(row["kind"])))
        if key is None:
            continue
        card["inverse"][key].append(
            {
                **ref(row["subject"], row.get("subjectLabel")),
                "via": {
                    "statement": str(row["statement"]),
                    "label": _str(row, "label"),
                    "description": _str(row, "description"),
                    "note": _str(row, "note"),
                },
            }
        )
    links: dict[str, list[dict[str, Any]]] = {key: [] for key in LINK_KEYS.values()}
    for link in concept_links(store, iris, concept):
        key = LINK_KEYS.get(link["relation"])
        if key is not None:
            links[key].append(
                {**ref(link["other"], link["otherLabel"]), "asserted": link["asserted"]}
            )
    card.update(links)
    return card


def concept_links(store: Store, iris: Iris, concept: Node) -> list[dict[str, Any]]:
    """``concept``'s concept-to-concept links (``list_concept_links``), one per relation and
    other concept, ordered by relation and label: ``relation``, ``other``, ``otherLabel`` and
    ``asserted`` (stated by a note or curated, not only inferred)."""
    inferred = str(iris.graph("inferred"))
    links: dict[tuple[str, str], dict[str, Any]] = {}
    for row in store.select_text(queries.load("list_concept_links"), {"concept": concept}):
        key = (str(row["relation"]), str(row["other"]))
        link = links.get(key)
        if link is None:
            label = row.get("otherLabel")
            link = links[key] = {
                "relation": key[0],
                "other": key[1],
                "otherLabel": None if label is None else str(label),
                "asserted": False,
            }
        if str(row["g"]) != inferred:
            link["asserted"] = True
    return sorted(
        links.values(),
        key=lambda link: (
            link["relation"],
            link["otherLabel"] is not None,
            link["otherLabel"] or "",
        ),
    )


def _role_name(iri: str) -> str:
    return {
        str(IG.Characteristic): "characteristic",
        str(IG.Benefit): "benefit",
        str(IG.Mechanism): "mechanism",
        str(IG.ImplicationDomain): "implication-domain",
    }.get(iri, iri)


def statement_json(row: Row) -> dict[str, Any]:
    """One statement (a row of ``list_statements_by_subject``) as JSON-LD."""
    out: dict[str, Any] = {
        "@id": str(row["statement"]),
        "@type": "ig:" + str(row["kind"]).rsplit("#", 1)[-1],
        "label": _str(row, "label"),
        "labelIsLink": _str(row, "labelIsLink") == "true",
        "description": _str(row, "description"),
        "position": _int(row, "position"),
        "sourceLine": _int(row, "line"),
        "note": _str(row, "note"),
    }
    if "object" in row:
        out["concept"] = ref(row["object"], row.get("objectLabel"))
    if "group" in row:
        out["group"] = ref(row["group"], row.get("groupLabel"))
    if "domain" in row:
        out["domain"] = ref(row["domain"], row.get("domainLabel"))
    if "work" in row:
        out["work"] = {
            **ref(row["work"], None),
            "label": _str(row, "workLabel"),
            "year": _str(row, "year"),
        }
        out["work"].pop("prefLabel")
        out["studySummary"] = _str(row, "summary")
        out["finding"] = _str(row, "finding")
    return out


def related(
    store: Store, iris: Iris, slug: str, relation: str | None, depth: int
) -> list[dict[str, Any]]:
    """Typed neighbours up to ``depth`` hops (1–3), breadth first, each once."""
    wanted = {str(RELATIONS[relation])} if relation else None
    start = iris.concept(slug)
    seen = {str(start)}
    out: list[dict[str, Any]] = []
    frontier = [start]
    for hop in range(1, depth + 1):
        nxt: list[URIRef] = []
        for node in frontier:
            for link in concept_links(store, iris, node):
                rel = link["relation"]
                if wanted is not None and rel not in wanted:
                    continue
                other = link["other"]
                if other in seen:
                    continue
                seen.add(other)
                nxt.append(URIRef(other))
                out.append(
                    {
                        **ref(other, link["otherLabel"]),
                        "relation": curie(rel),
                        "from": str(node),
                        "depth": hop,
                        "asserted": link["asserted"],
                    }
                )
        frontier = nxt
    return out


def hierarchy(store: Store, iris: Iris, slug: str, name: str) -> list[dict[str, Any]]:
    """``broader``/``narrower`` (one step) or ``ancestors``/``descendants`` (transitive)."""
    concept = iris.concept(slug)
    if name in ("broader", "narrower"):
        prop = str(SKOS.broader if name == "broader" else SKOS.narrower)
        return [
            ref(link["other"], link["otherLabel"])
            for link in concept_links(store, iris, concept)
            if link["relation"] == prop
        ]
    query = "list_ancestors" if name == "ancestors" else "list_descendants"
    rows = store.select(queries.load(query), {"concept": concept})
    unique = {str(r["other"]): r.get("otherLabel") for r in rows}
    return sorted((ref(k, v) for k, v in unique.items()), key=lambda d: d["prefLabel"] or "")


def roots(store: Store) -> list[dict[str, Any]]:
    return [ref(r["concept"], r.get("prefLabel")) for r in store.select(queries.load("list_roots"))]


def curie(iri: str) -> str:
    """A CURIE for our own and SKOS/CiTO/RDFS terms; other IRIs unchanged."""
    for prefix, ns in (
        ("ig", str(IG)),
        ("skos", str(SKOS)),
        ("cito", "http://purl.org/spar/cito/"),
        ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ):
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri


def _edges(store: Store, iris: Iris, node: URIRef) -> list[tuple[str, str, str]]:
    bindings = {"concept": node, "inferred": iris.graph("inferred")}
    rows = store.select_text(queries.load("list_concept_edges"), bindings)
    # sorted: the walks that use them (and where they stop at their bounds) do not depend on
    # the store's order of rows, which differs between engines and base IRIs
    return sorted((r["from"], r["relation"], r["to"]) for r in rows)


def neighbourhood(
    store: Store, iris: Iris, slug: str, depth: int, labels: Mapping[str, str], max_nodes: int = 300
) -> dict[str, Any]:
    """Nodes and typed, directed edges within ``depth`` hops, ready for a graph viewer."""
    start = str(iris.concept(slug))
    dist = {start: 0}
    edges: dict[tuple[str, str, str], None] = {}
    queue = deque([start])
    truncated = False
    while queue:
        node = queue.popleft()
        if dist[node] >= depth:
            continue
        for edge in _edges(store, iris, URIRef(node)):
            edges[edge] = None
            for end in (edge[0], edge[2]):
                if end not in dist:
                    if len(dist) >= max_nodes:
                        truncated = True
                        continue
                    dist[end] = dist[node] + 1
                    queue.append(end)
    nodes = [
        {"id": n, "slug": _slug(n), "label": labels.get(n, _slug(n)), "depth": d}
        for n, d in sorted(dist.items(), key=lambda kv: (kv[1], kv[0]))
    ]
    kept = [e for e in edges if e[0] in dist and e[2] in dist]
    return {
        "@context": "/context.jsonld",
        "center": start,
        "depth": depth,
        "nodes": nodes,
        "truncated": truncated,
        "edges": [
            {
                "source": s,
                "target": t,
                "relation": EDGE_NAMES.get(r, curie(r)),
                "property": curie(r),
            }
            for s, r, t in kept
        ],
    }


def paths(
    store: Store,
    iris: Iris,
    source: str,
    target: str,
    labels: Mapping[str, str],
    *,
    max_depth: int = 6,
    max_nodes: int = 5000,
    max_paths: int = 10,
) -> list[list[dict[str, Any]]]:
    """All shortest undirected connections from ``source`` to ``target``, each step in walking
    order with the edge's type and direction; ``[]`` when not connected within bounds."""
    start, goal = str(iris.concept(source)), str(iris.concept(target))
    if start == goal:
        return [[]]
    parents: dict[str, list[tuple[str, tuple[str, str, str]]]] = {start: []}
    level = [start]
    found = False
    for _ in range(max_depth):
        next_level: dict[str, list[tuple[str, tuple[str, str, str]]]] = {}
        for node in level:
            for edge in _edges(store, iris, URIRef(node)):
                other = edge[2] if edge[0] == node else edge[0]
                if other in parents:
                    continue
                next_level.setdefault(other, []).append((node, edge))
        if not next_level:
            break
        parents.update(next_level)
        if goal in next_level:
            found = True
            break
        if len(parents) > max_nodes:
            break
        level = list(next_level)
    if not found:
        return []
    results: list[list[dict[str, Any]]] = []
    gathered = max_paths * 10  # then the most specific are kept

    def walk(node: str, suffix: list[dict[str, Any]]) -> None:
        if len(results) >= gathered:
            return
        if node == start:
            results.append(suffix)
            return
        for parent, (frm, rel, to) in parents[node]:
            # steps read in walking order; "backward" means the stored edge points the
            # other way (e.g. Oxytocin → Emotional Intimacy walks ig:hasMechanism backwards)
            step = {
                "from": ref(parent, labels.get(parent)),
                "to": ref(node, labels.get(node)),
                "relation": EDGE_NAMES.get(rel, curie(rel)),
                "property": curie(rel),
                "direction": "forward" if frm == parent else "backward",
                "edge": {"subject": frm, "property": curie(rel), "object": to},
            }
            walk(parent, [step, *suffix])

    walk(goal, [])
    # Typed steps (mechanism, benefit, …) say more than generic ones (related, see also,
    # broader): paths with fewer generic steps first, then in a stable order.
    results.sort(
        key=lambda path: (
            sum(step["relation"] in GENERIC_EDGES for step in path),
            [(step["relation"], step["to"]["@id"]) for step in path],
        )
    )
    return results[:max_paths]
