"""Materialise the inference rules of ``queries/rules/`` into the inferred graph (DESIGN.md §6).

The rules are SPARQL 1.1 Update files, run in file-name order. Each reads the schema
(``rdfs:subPropertyOf``, ``owl:inverseOf``, ``rdfs:subClassOf``, ``rdfs:domain``,
``rdfs:range``) from the ontology graph only, reads data from every other named graph
(including what earlier rules inferred), and inserts into the inferred graph only triples
that no graph holds yet, so the inferred graph is exactly what inference adds. The files name
the default graph IRIs (``…/graph/ontology``, ``…/graph/inferred``) so they run as they are in
any SPARQL tool; :meth:`Rule.bind` swaps in the caller's IRIs, written as checked IRI terms.

Facts about pyoxigraph 0.5 (checked on 0.5.13; ``tests/test_inference.py`` keeps them true):

* ``Store.update`` runs the *whole* request, every ``;``-separated operation, in one
  transaction (``Store::update_opt`` wraps ``evaluate_update`` in one
  ``storage.transaction``): when a later operation fails, earlier ones are rolled back, each
  operation sees the writes of the ones before it (both tested, in memory and on disk), and a
  reader thread querying during a two-operation update only ever saw the state before it
  (measured once, 5k and 138k reads in memory/on disk; not a test: timing-dependent).
  So :func:`rules_update` gives one string that clears and rebuilds the inferred graph
  atomically.
* Its parser does not accept a prologue (``PREFIX``/``BASE``) after ``;``, although SPARQL 1.1
  (grammar rule 29) allows it. :func:`rules_update` therefore declares every prefix once at
  the top. A prefix that two rule files bind to different IRIs is an error.
* Zero-length property paths (``?p rdfs:subPropertyOf* ?q``) only match terms that occur in
  the graph, so the rules never rely on them for predicates the ontology does not mention.
* Updates cannot use the union of all graphs as their default graph, so the rules use
  ``GRAPH ?g { … }``. Triples in the store's unnamed default graph are not read; the project
  keeps all data in named graphs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph

from intimacy_graph.errors import IntimacyGraphError
from intimacy_graph.namespaces import Iris
from intimacy_graph.resources import data_dir

#: The graph IRIs the rule files name; :meth:`Rule.bind` replaces them.
RULE_INFERRED_GRAPH = str(Iris().inferred_graph)
RULE_ONTOLOGY_GRAPH = str(Iris().ontology_graph)

#: Passes of the whole rule sequence before :func:`materialise` gives up. The project ontology
#: closes in one pass (the second only confirms it); a chain of flips through several kinds of
#: rules (an inverse declared on skos:narrower, say) needs one more pass per link.
MAX_ROUNDS = 8

_PREFIX_LINE = re.compile(r"^\s*PREFIX\s+([A-Za-z][\w.-]*)?:\s*(<[^>]*>)\s*$", re.IGNORECASE)
_BASE_LINE = re.compile(r"^\s*BASE\s", re.IGNORECASE)
_ANY_PREFIX_LINE = re.compile(r"^\s*PREFIX\s", re.IGNORECASE)
# pyoxigraph substitutes only variables that the query projects.
_COUNT_QUERY = "SELECT ?graph (COUNT(*) AS ?n) WHERE { GRAPH ?graph { ?s ?p ?o } } GROUP BY ?graph"


class InferenceError(IntimacyGraphError):
    """The rules are broken or do not reach a fixpoint within the cap."""

    code = "inference-error"


@dataclass(frozen=True)
class Rule:
    """One rule file: its name (the file stem, e.g. ``10-inverse-of``) and its text."""

    name: str
    text: str

    @property
    def prefixes(self) -> dict[str, str]:
        """The ``PREFIX`` declarations of the file, name → ``<iri>``."""
        found: dict[str, str] = {}
        for line in self.text.splitlines():
            match = _PREFIX_LINE.match(line)
            if match:
                found[match.group(1) or ""] = match.group(2)
        return found

    @property
    def body(self) -> str:
        """The text without its ``PREFIX`` lines (comments and operations stay)."""
        return "\n".join(
            line for line in self.text.splitlines() if not _PREFIX_LINE.match(line)
        ).strip()

    def bind(self, inferred_graph_iri: str, ontology_graph_iri: str) -> str:
        """Return the file text with the caller's graph IRIs in place of the defaults."""
        return _bind_graphs(self.text, inferred_graph_iri, ontology_graph_iri)


def load_rules(folder: Path | None = None) -> list[Rule]:
    """Read ``*.rq`` from ``queries/rules`` (or ``folder``), sorted by file name.

    A rule must write to the inferred graph and keep its ``PREFIX`` lines one per line
    (so they can be hoisted); ``BASE`` is not allowed.
    """
    folder = folder if folder is not None else data_dir("queries") / "rules"
    rules = []
    for path in sorted(folder.glob("*.rq")):
        rule = Rule(path.stem, path.read_text(encoding="utf-8"))
        if f"<{RULE_INFERRED_GRAPH}>" not in rule.text:
            raise InferenceError(
                f"rule {rule.name} does not write to <{RULE_INFERRED_GRAPH}>", rule=rule.name
            )
        lines = rule.text.splitlines()
        if any(_BASE_LINE.match(line) for line in lines):
            raise InferenceError(f"rule {rule.name} declares BASE", rule=rule.name)
        if any(_ANY_PREFIX_LINE.match(line) and not _PREFIX_LINE.match(line) for line in lines):
            raise InferenceError(
                f"rule {rule.name} has a PREFIX line that is not alone on its line",
                rule=rule.name,
            )
        rules.append(rule)
    if not rules:
        raise InferenceError(f"no rules in {folder}")
    return rules


def rules_update(
    inferred_graph_iri: str,
    *,
    ontology_graph_iri: str = RULE_ONTOLOGY_GRAPH,
    rules: Sequence[Rule] | None = None,
    clear: bool = True,
    passes: int = 1,
) -> str:
    """Return one SPARQL Update request: (``CLEAR SILENT`` the inferred graph,) then the rules.

    The sequence is repeated ``passes`` times. Run it with one ``Store.update`` call and it is
    one transaction in pyoxigraph (see the module docstring). For the project ontology one
    pass reaches the fixpoint; :func:`materialise` checks that instead of assuming it.
    """
    if passes < 1:
        raise ValueError("passes must be at least 1")
    rules = list(rules) if rules is not None else load_rules()
    prologue = _merged_prologue(rules)
    operations = [rule.body for rule in rules] * passes
    if clear:
        operations.insert(0, f"CLEAR SILENT GRAPH <{RULE_INFERRED_GRAPH}>")
    text = "\n".join([*prologue, "", "\n;\n".join(operations)])
    return _bind_graphs(text, inferred_graph_iri, ontology_graph_iri)


def materialise(
    store: pyoxigraph.Store,
    inferred_graph_iri: str,
    *,
    ontology_graph_iri: str = RULE_ONTOLOGY_GRAPH,
    rules: Sequence[Rule] | None = None,
    max_rounds: int = MAX_ROUNDS,
) -> int:
    """Rebuild the inferred graph from scratch and return how many triples it holds.

    Round one clears the inferred graph and runs every rule in one transaction, so readers
    never see it empty. Later rounds run the sequence again, each in its own transaction,
    until a round adds nothing; they only add triples that follow from the data, so a reader
    between rounds sees a true but possibly incomplete closure. Raises
    :class:`InferenceError` when ``max_rounds`` rounds still add triples.
    """
    rules = list(rules) if rules is not None else load_rules()
    graph = pyoxigraph.NamedNode(inferred_graph_iri)
    first = rules_update(inferred_graph_iri, ontology_graph_iri=ontology_graph_iri, rules=rules)
    again = rules_update(
        inferred_graph_iri, ontology_graph_iri=ontology_graph_iri, rules=rules, clear=False
    )
    store.update(first)
    count = count_triples(store, graph)
    for _ in range(max_rounds - 1):
        store.update(again)
        new_count = count_triples(store, graph)
        if new_count == count:
            return count
        count = new_count
    raise InferenceError(
        f"inference did not reach a fixpoint in {max_rounds} rounds",
        rounds=max_rounds,
        triples=count,
    )


def count_triples(store: pyoxigraph.Store, graph: pyoxigraph.NamedNode) -> int:
    """Return the number of triples in one named graph of ``store``."""
    solutions = store.query(_COUNT_QUERY, substitutions={pyoxigraph.Variable("graph"): graph})
    if not isinstance(solutions, pyoxigraph.QuerySolutions):  # a SELECT always gives these
        raise InferenceError("counting the inferred graph did not give solutions")
    for solution in solutions:
        total = solution["n"]
        return int(total.value) if total is not None else 0
    return 0


def _merged_prologue(rules: Iterable[Rule]) -> list[str]:
    merged: dict[str, str] = {}
    for rule in rules:
        for name, iri in rule.prefixes.items():
            if merged.setdefault(name, iri) != iri:
                raise InferenceError(
                    f"rule {rule.name} binds prefix {name}: to {iri}, another rule to "
                    f"{merged[name]}",
                    rule=rule.name,
                )
    return [f"PREFIX {name}: {iri}" for name, iri in sorted(merged.items())]


def _bind_graphs(text: str, inferred_graph_iri: str, ontology_graph_iri: str) -> str:
    inferred = str(pyoxigraph.NamedNode(inferred_graph_iri))  # raises ValueError if not an IRI
    ontology = str(pyoxigraph.NamedNode(ontology_graph_iri))
    if inferred == ontology:
        raise ValueError("the inferred graph cannot be the ontology graph")
    return text.replace(f"<{RULE_INFERRED_GRAPH}>", inferred).replace(
        f"<{RULE_ONTOLOGY_GRAPH}>", ontology
    )
