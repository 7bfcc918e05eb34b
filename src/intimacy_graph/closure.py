"""The inference rules of ``queries/rules/``, evaluated in Python over a set of triples.

The SPARQL rules stay the specification (any SPARQL 1.1 server runs them, and the remote
backend does); this module computes the same inferred graph without running them inside the
store, so a build or a write puts its inferences in the same transaction as its data and takes
one pass over the triples instead of several passes of joins. ``tests/test_closure.py`` checks
that both give the same graph on the rule fixtures, the seed and a synthetic corpus.

Every rule reads ONE data triple plus the ontology (schema read from the ontology graph only;
data from every other graph) and concludes one triple:

* ``10-inverse-of``: ``s p o`` → ``o r s`` for ``p owl:inverseOf r`` (either direction), also
  through one ``rdfs:subPropertyOf`` step;
* ``20-symmetric``: ``s p o`` → ``o q s`` for ``skos:related`` and symmetric properties (and
  their direct sub-properties);
* ``30-broader-narrower``: ``skos:broader`` ↔ ``skos:narrower`` (and direct sub-properties);
* ``40-subproperty``: ``s p o`` → ``s q o`` for ``p rdfs:subPropertyOf q``;
* ``50-domain-range``: ``s p o`` → ``s a C`` / ``o a C``;
* ``60-subclass``: ``x a C`` → ``x a D`` for ``C rdfs:subClassOf D`` (not owl:Thing,
  rdfs:Resource).

A conclusion is kept only when no graph (the ontology's included) holds it already; the rules'
closure is the least fixpoint, which the worklist below reaches (the SPARQL passes stop after
``inference.MAX_ROUNDS``, longer schema chains than any ontology here has).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import TypeVar

from rdflib import OWL, RDF, RDFS, BNode, Graph, URIRef
from rdflib.term import Node

from intimacy_graph.namespaces import SKOS

Triple = tuple[Node, Node, Node]
T = TypeVar("T")
_TOP = {OWL.Thing, RDFS.Resource}


@dataclass(frozen=True)
class Schema:
    """The ontology read the way the rules read it."""

    sub: dict[Node, set[Node]]  # p → q for (s p o) ⇒ (s q o)
    flip: dict[Node, set[Node]]  # p → r for (s p o) ⇒ (o r s)
    domain: dict[Node, set[Node]]
    range: dict[Node, set[Node]]
    subclass: dict[Node, set[Node]]
    asserted: frozenset[Triple]  # the ontology graph's own triples (never concluded again)

    def object_predicates(self) -> tuple[frozenset[Node], frozenset[Node]]:
        """``(flipping, ranged)``: predicates whose triples may lead to any conclusion about
        their object (through ``rdfs:subPropertyOf`` steps), and those that lead only to a
        type of it from a range (one such triple is enough for it)."""
        predicates = set(self.sub) | set(self.flip) | set(self.range)
        flipping, ranged = set(), set()
        for p in predicates:
            seen, todo = {p}, [p]
            while todo:
                for q in self.sub.get(todo.pop(), ()):
                    if q not in seen:
                        seen.add(q)
                        todo.append(q)
            if any(q in self.flip for q in seen):
                flipping.add(p)
            elif any(q in self.range for q in seen):
                ranged.add(p)
        return frozenset(flipping), frozenset(ranged)

    @classmethod
    def of(cls, ontology: Graph) -> Schema:
        sub: dict[Node, set[Node]] = defaultdict(set)
        for p, q in ontology.subject_objects(RDFS.subPropertyOf):
            if isinstance(p, URIRef) and isinstance(q, URIRef) and p != q:
                sub[p].add(q)
        flip: dict[Node, set[Node]] = defaultdict(set)
        inverse: dict[Node, set[Node]] = defaultdict(set)
        for p, r in ontology.subject_objects(OWL.inverseOf):
            if isinstance(p, URIRef) and isinstance(r, URIRef):
                inverse[p].add(r)
                inverse[r].add(p)
        symmetric = {p for p in ontology.subjects(RDF.type, OWL.SymmetricProperty)}
        related_like = {SKOS.related} | {p for p, q in _pairs(sub) if q == SKOS.related}
        for p in related_like:
            flip[p].add(SKOS.related)
        for q in symmetric:
            if isinstance(q, URIRef):
                flip[q].add(q)
                for p, sup in _pairs(sub):
                    if sup == q:
                        flip[p].add(q)
        flip[SKOS.broader].add(SKOS.narrower)
        flip[SKOS.narrower].add(SKOS.broader)
        for p, q in _pairs(sub):
            if q == SKOS.broader:
                flip[p].add(SKOS.narrower)
            if q == SKOS.narrower:
                flip[p].add(SKOS.broader)
            for r in inverse.get(q, ()):
                flip[p].add(r)
        for p, rs in inverse.items():
            flip[p] |= rs
        domain: dict[Node, set[Node]] = defaultdict(set)
        range_: dict[Node, set[Node]] = defaultdict(set)
        for p, c in ontology.subject_objects(RDFS.domain):
            if isinstance(c, URIRef):
                domain[p].add(c)
        for p, c in ontology.subject_objects(RDFS.range):
            if isinstance(c, URIRef):
                range_[p].add(c)
        subclass: dict[Node, set[Node]] = defaultdict(set)
        for c, d in ontology.subject_objects(RDFS.subClassOf):
            if isinstance(c, URIRef) and isinstance(d, URIRef) and c != d and d not in _TOP:
                subclass[c].add(d)
        return cls(
            dict(sub),
            {p: rs for p, rs in flip.items() if isinstance(p, URIRef)},
            dict(domain),
            dict(range_),
            dict(subclass),
            frozenset(ontology),
        )


def _pairs(mapping: dict[Node, set[Node]]) -> list[tuple[Node, Node]]:
    return [(k, v) for k, vs in mapping.items() for v in vs]


def conclusions(t: Triple, schema: Schema) -> list[Triple]:
    """What the rules conclude from one data triple (one step)."""
    s, p, o = t
    out: list[Triple] = []
    s_iri = isinstance(s, URIRef)
    o_iri = isinstance(o, URIRef)
    if s_iri and not isinstance(o, BNode):
        out += [(s, q, o) for q in schema.sub.get(p, ())]
    if s_iri and o_iri:
        out += [(o, r, s) for r in schema.flip.get(p, ())]
    if s_iri:
        out += [(s, RDF.type, c) for c in schema.domain.get(p, ())]
    if o_iri:
        out += [(o, RDF.type, c) for c in schema.range.get(p, ())]
    if p == RDF.type and s_iri:
        out += [(s, RDF.type, d) for d in schema.subclass.get(o, ())]
    return out


def infer(data: Iterable[Triple], schema: Schema) -> tuple[set[Triple], int]:
    """``(inferred, generations)``: every triple the rules add to ``data`` (the triples of
    every graph but the ontology and the inferred graph), and how many generations of
    conclusions the fixpoint took."""
    asserted = set(data)
    closure = set(asserted)
    frontier = list(asserted)
    generations = 0
    while frontier:
        generations += 1
        found: list[Triple] = []
        for t in frontier:
            for c in conclusions(t, schema):
                if c not in closure and c not in schema.asserted:
                    closure.add(c)
                    found.append(c)
        frontier = found
    return closure - asserted, generations


def depths(data: Iterable[Triple], schema: Schema) -> dict[Triple, int]:
    """Every triple the rules add to ``data``, with the generation that first concludes it
    (what :func:`infer` computes, by generation).

    The rules read one triple each, so ``data`` may be split: over the union of the parts, a
    triple is inferred when some part concludes it and no part holds it, and its generation
    is the smallest any part gives it (``infer``'s count of generations is that largest
    generation plus one).
    """
    return _generations(data, lambda t: conclusions(t, schema), schema.asserted)


def _generations(
    data: Iterable[T], conclude: Callable[[T], list[T]], ontology: Collection[T]
) -> dict[T, int]:
    """The worklist of :func:`depths` and :func:`text_depths`: each triple concluded from
    ``data`` (and from what it concludes) that neither ``data`` nor ``ontology`` holds, with
    the generation that first concludes it."""
    asserted = set(data)
    found: dict[T, int] = {}
    frontier = list(asserted)
    generation = 0
    while frontier:
        generation += 1
        fresh: list[T] = []
        for t in frontier:
            for c in conclude(t):
                if c not in found and c not in asserted and c not in ontology:
                    found[c] = generation
                    fresh.append(c)
        frontier = fresh
    return found


TextTriple = tuple[str, str, str]


class TextSchema:
    """:class:`Schema` with every term as its N-Triples text, for :func:`text_depths` (the
    worker processes of a build hold triples as text: comparing ``str`` is several times
    cheaper than comparing rdflib terms)."""

    def __init__(self, schema: Schema, text: Callable[[Node], str]) -> None:
        def table(mapping: dict[Node, set[Node]]) -> dict[str, tuple[str, ...]]:
            return {text(k): tuple(sorted(text(v) for v in vs)) for k, vs in mapping.items()}

        self.sub = table(schema.sub)
        self.flip = table(schema.flip)
        self.domain = table(schema.domain)
        self.range = table(schema.range)
        self.subclass = table(schema.subclass)
        self.type = text(RDF.type)
        self.asserted = frozenset((text(s), text(p), text(o)) for s, p, o in schema.asserted)
        #: predicate → (sub, flip, domain, range): one lookup for the predicates of the rules
        self.rules = {
            p: (
                self.sub.get(p, ()),
                self.flip.get(p, ()),
                self.domain.get(p, ()),
                self.range.get(p, ()),
            )
            for p in {*self.sub, *self.flip, *self.domain, *self.range}
        }

    def read_predicates(self) -> frozenset[str]:
        """Every predicate of a triple that the rules conclude from, or that a conclusion
        can be (so the triple may make a conclusion redundant): the triples with any other
        predicate change nothing in the inferred graph."""
        return frozenset({*self.rules, self.type, *self.conclusion_predicates()})

    def conclusion_predicates(self) -> frozenset[str]:
        """Every predicate a conclusion can have."""
        found = {self.type}
        for table in (self.sub, self.flip):
            for targets in table.values():
                found.update(targets)
        return frozenset(found)


def text_conclusions(t: TextTriple, schema: TextSchema) -> list[TextTriple]:
    """:func:`conclusions` over N-Triples text (``<iri>``, ``_:blank``, ``"literal"``)."""
    s, p, o = t
    out: list[TextTriple] = []
    s_iri = s[0] == "<"
    rule = schema.rules.get(p)
    if rule is not None:
        sub, flip, domain, range_ = rule
        o_iri = o[0] == "<"
        if s_iri:
            if sub and o[0] != "_":
                out += [(s, q, o) for q in sub]
            if flip and o_iri:
                out += [(o, r, s) for r in flip]
            if domain:
                out += [(s, schema.type, c) for c in domain]
        if range_ and o_iri:
            out += [(o, schema.type, c) for c in range_]
    if s_iri and p == schema.type:
        out += [(s, p, d) for d in schema.subclass.get(o, ())]
    return out


def text_depths(data: Iterable[TextTriple], schema: TextSchema) -> dict[TextTriple, int]:
    """:func:`depths` over N-Triples text."""
    return _generations(data, lambda t: text_conclusions(t, schema), schema.asserted)
