"""The benchmark's query mix: ``bench/queries/*.rq`` and the values each one is run with.

Each file is plain SPARQL whose caller-bound values are ``$name`` variables, declared in its
header as ``# binds: $name <- pool``; ``# order: ?a ?b`` names the ORDER BY key, so results can
be compared row group by row group. Values are drawn once per dataset, with a fixed seed, from
pools that SPARQL queries select from the built store (:func:`draw_params`), and written as
N-Triples terms. To send a query to an HTTP peer, :func:`instantiate` replaces each ``$name``
with its term; the term is a serialised RDF term, never free text.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

QUERIES = Path(__file__).parent / "queries"
PER_QUERY = 256  # distinct values per query type (more than rdflib-endpoint's 128-entry cache)

_BINDS = re.compile(r"^#\s*binds:\s*\$(\w+)\s*<-\s*(\w+)\s*$", re.IGNORECASE)
_ORDER = re.compile(r"^#\s*order:\s*(.+?)\s*$", re.IGNORECASE)

_PREFIXES = """
PREFIX ig: <https://w3id.org/intimacy-graph/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
#: pool name → SPARQL selecting ?v (sorted, so the seeded draw is stable).
POOLS = {
    "concept": "SELECT ?v WHERE { GRAPH ?g { ?v a ig:Concept } } ORDER BY ?v",
    "described": "SELECT ?v WHERE { ?note ig:describes ?v } ORDER BY ?v",
    "label": "SELECT ?v WHERE { ?c a ig:Concept ; skos:prefLabel ?v } ORDER BY ?c",
    "deep": "SELECT DISTINCT ?v WHERE { ?v skos:broader/skos:broader ?x } ORDER BY ?v",
    "has_narrower": (
        "SELECT DISTINCT ?v WHERE { ?note ig:describes ?v . ?v skos:narrower ?x } ORDER BY ?v"
    ),
}


@dataclass(frozen=True)
class Query:
    """One query type of the mix."""

    name: str
    text: str
    binds: dict[str, str]  # variable → pool
    order: tuple[str, ...]  # ORDER BY key variables, () when unordered

    @property
    def ordered(self) -> bool:
        return bool(self.order)


def load_queries(folder: Path = QUERIES) -> list[Query]:
    """The query files, sorted by name."""
    found = []
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        binds: dict[str, str] = {}
        order: tuple[str, ...] = ()
        for line in text.splitlines():
            if m := _BINDS.match(line):
                binds[m.group(1)] = m.group(2)
            elif m := _ORDER.match(line):
                order = tuple(v.lstrip("?$") for v in m.group(1).split())
        found.append(Query(path.stem, text, binds, order))
    return found


def _pool_values(store: ox.Store, pool: str) -> list[str]:
    if pool in POOLS:
        result = store.query(_PREFIXES + POOLS[pool], use_default_graph_as_union=True)
        return [str(row["v"]) for row in result]  # type: ignore[union-attr]
    labels = [ox.Literal(v) for v in _literal_values(store)]
    words = [str(v.value).lower().split() for v in labels]
    if pool == "needle":  # the last two words of a label: "trust theory"
        return [str(ox.Literal(" ".join(w[-2:]))) for w in words]
    if pool == "prefix":  # a case-insensitive prefix of a label: "^secure trust"
        return [str(ox.Literal("^" + " ".join(w[:2]))) for w in words]
    raise ValueError(f"unknown pool {pool!r}")


def _literal_values(store: ox.Store) -> list[str]:
    result = store.query(_PREFIXES + POOLS["label"], use_default_graph_as_union=True)
    return [row["v"].value for row in result]  # type: ignore[union-attr]


def draw_params(store: ox.Store, seed: int, per_query: int = PER_QUERY) -> dict[str, Any]:
    """For each query, ``per_query`` bindings (variable → N-Triples term), seeded."""
    params: dict[str, Any] = {}
    cache: dict[str, list[str]] = {}
    for query in load_queries():
        rng = random.Random(f"params:{seed}:{query.name}")
        rows: list[dict[str, str]] = []
        if not query.binds:
            params[query.name] = [{}]
            continue
        drawn: dict[str, list[str]] = {}
        for var, pool in query.binds.items():
            values = cache.setdefault(pool, _pool_values(store, pool))
            if not values:
                raise ValueError(f"pool {pool!r} is empty: the dataset is too small")
            if len(values) >= per_query:
                drawn[var] = rng.sample(values, per_query)
            else:  # small datasets: every value, in a seeded order, repeated
                shuffled = rng.sample(values, len(values))
                drawn[var] = [shuffled[i % len(shuffled)] for i in range(per_query)]
        for i in range(per_query):
            rows.append({var: values[i] for var, values in drawn.items()})
        params[query.name] = rows
    return params


def instantiate(query: Query, binding: dict[str, str]) -> str:
    """The query text with each ``$name`` replaced by its (already serialised) term."""
    text = query.text
    for var, term in binding.items():
        _check_term(term)
        text = re.sub(rf"\${var}\b", lambda _m, t=term: t, text)
    return text


def _check_term(term: str) -> None:
    """Refuse anything but one N-Triples IRI or literal (parsed by pyoxigraph)."""
    quads = list(ox.parse(f"<urn:s> <urn:p> {term} .", ox.RdfFormat.N_TRIPLES))
    if len(quads) != 1 or not isinstance(quads[0].object, ox.NamedNode | ox.Literal):
        raise ValueError(f"not one RDF term: {term!r}")


def texts(query: Query, params: dict[str, Any]) -> list[str]:
    """Every instantiated text of one query type, in the drawn order."""
    return [instantiate(query, b) for b in params[query.name]]


def load_params(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
