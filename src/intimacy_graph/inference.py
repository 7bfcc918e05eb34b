"""Materialise the inference rules of ``queries/rules/`` into the inferred graph (DESIGN.md §6).

The rules are SPARQL 1.1 Update files, run in file-name order, on any
:class:`~intimacy_graph.store.base.Store`. Each reads the schema (``rdfs:subPropertyOf``,
``owl:inverseOf``, ``rdfs:subClassOf``, ``rdfs:domain``, ``rdfs:range``) from the ontology graph
only, reads data from every other named graph (including what earlier rules inferred), and
inserts into the inferred graph only triples that no graph holds yet, so the inferred graph is
exactly what inference adds. The files name the default graph IRIs (``…/graph/ontology``,
``…/graph/inferred``) so they run as they are in any SPARQL tool; :meth:`Rule.bind` swaps in the
caller's IRIs, written as checked IRI terms.

The rules are plain SPARQL so that any SPARQL 1.1 server runs them the same way, which
Virtuoso 7.2.5 (measured) does only for a subset:

* no property paths: each rule takes one ``rdfs:subPropertyOf`` / ``rdfs:subClassOf`` step, and
  :func:`rebuild` repeats the whole sequence until a pass adds nothing (:data:`MAX_ROUNDS` at
  most). Virtuoso cannot evaluate a path whose start is unbound (``?p rdfs:subPropertyOf+ ?q``:
  "transitive start not given", or no rows without an error);
* no sub-selects: for ``INSERT … WHERE { { SELECT DISTINCT … } … }`` Virtuoso inserted too few
  or far too many triples, although the same WHERE as a query was right (10k concepts);
* no ``VALUES`` block as a ``UNION`` branch of its own: Virtuoso drops its row (``BIND``).

``tests/test_inference.py`` runs every rule test on Virtuoso too, and checks the first two.

How a rebuild is sent depends on the store (:func:`one_transaction`):

* **Oxigraph** (:class:`~intimacy_graph.store.OxigraphStore`): the caller's graph writes, the
  ``CLEAR`` of the inferred graph, every rule of the first pass and the caller's ``extra``
  updates are ONE request, so one transaction; each later pass is one more transaction.
* **Any other store** (a remote SPARQL endpoint): the graph writes, the ``DROP`` of the inferred
  graph and ``extra`` are one request, then every rule is a request of its own. This is not
  atomic: readers can see the inferred graph empty or half rebuilt while it runs, and a failure
  part-way leaves it incomplete (run the build again: it is idempotent). Virtuoso is not atomic
  even within one request (docs/deploy.md), so nothing is lost by splitting.

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
* Updates cannot use the union of all graphs as their default graph (Virtuoso's is the union),
  so the rules use ``GRAPH ?g { … }``. Triples in the store's unnamed default graph are not
  read; the project keeps all data in named graphs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph
from rdflib import Graph, URIRef

from intimacy_graph.errors import IntimacyGraphError
from intimacy_graph.namespaces import Iris
from intimacy_graph.resources import data_dir
from intimacy_graph.store import OxigraphStore, Store

#: The graph IRIs the rule files name; :meth:`Rule.bind` replaces them.
RULE_INFERRED_GRAPH = str(Iris().inferred_graph)
RULE_ONTOLOGY_GRAPH = str(Iris().ontology_graph)

#: Passes of the whole rule sequence (the first included) before :func:`rebuild` gives up.
#: Each rule takes one schema step, so a chain of n ``rdfs:subClassOf`` / ``rdfs:subPropertyOf``
#: steps, or of flips through several kinds of rules (an inverse declared on skos:narrower,
#: say), takes up to n passes, plus one that adds nothing: the cap allows chains of 7. The seed
#: takes 2 (the registry asserts ``ig:Concept`` of every concept, so one step to skos:Concept
#: is all its types need); ``tests/data/rules/chains.trig`` takes 4.
MAX_ROUNDS = 8

_PREFIX_LINE = re.compile(r"^\s*PREFIX\s+([A-Za-z][\w.-]*)?:\s*(<[^>]*>)\s*$", re.IGNORECASE)
_BASE_LINE = re.compile(r"^\s*BASE\s", re.IGNORECASE)
_ANY_PREFIX_LINE = re.compile(r"^\s*PREFIX\s", re.IGNORECASE)
# A bound variable must be projected (SEP-0007, as pyoxigraph substitutes; the Store contract).
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
    one transaction in pyoxigraph (see the module docstring). Each rule takes one schema step,
    so one pass is not always a fixpoint: :func:`rebuild` repeats passes until one adds nothing.
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


def rule_requests(
    inferred_graph_iri: str,
    *,
    ontology_graph_iri: str = RULE_ONTOLOGY_GRAPH,
    rules: Sequence[Rule] | None = None,
) -> list[str]:
    """Return one SPARQL Update request per rule, each with its own prologue, in order.

    For stores that do not run a multi-operation request as one transaction (see the module
    docstring): one pass of the rules as separate requests, without the ``CLEAR``.
    """
    rules = list(rules) if rules is not None else load_rules()
    return [rule.bind(inferred_graph_iri, ontology_graph_iri) for rule in rules]


def one_transaction(store: Store) -> bool:
    """Whether :func:`rebuild` sends a pass of the rules to ``store`` as one request.

    True for the embedded Oxigraph store, whose update request is one transaction whose
    operations see each other's writes (tested). No remote server is assumed to be: Virtuoso
    7.2.5 keeps the operations before a failing one (docs/deploy.md), so one rule per request
    loses nothing there, keeps each request short (its time limit is per request) and makes a
    failure name one rule.
    """
    return isinstance(store, OxigraphStore)


@dataclass(frozen=True)
class Closure:
    """What :func:`rebuild` did: the size of the inferred graph and the passes it took."""

    triples: int
    rounds: int  # passes of the rule sequence, the last one the pass that added nothing


def rebuild(
    store: Store,
    inferred_graph_iri: str,
    *,
    ontology_graph_iri: str = RULE_ONTOLOGY_GRAPH,
    rules: Sequence[Rule] | None = None,
    graphs: Mapping[URIRef, Graph] | None = None,
    drop: Iterable[URIRef] = (),
    extra: Iterable[str] = (),
    max_rounds: int = MAX_ROUNDS,
) -> Closure:
    """Replace ``graphs`` (and drop ``drop``), rebuild the inferred graph from scratch, run the
    ``extra`` updates, then repeat the rules until a pass adds nothing.

    On Oxigraph the writes, the ``CLEAR`` of the inferred graph, the first pass of the rules and
    ``extra`` are one transaction, so readers never see new data without its inferences or the
    inferred graph empty; each later pass is one more transaction and only adds triples that
    follow from the data, so a reader between passes sees a true but possibly incomplete
    closure. On any other store the writes and ``extra`` are one request and every rule
    another: **not atomic** (see the module docstring). Raises :class:`InferenceError` when
    ``max_rounds`` passes still add triples, ``ValueError`` for a graph IRI that is not one.
    """
    if max_rounds < 1:
        raise ValueError("max_rounds must be at least 1")
    rules = list(rules) if rules is not None else load_rules()
    inferred = URIRef(pyoxigraph.NamedNode(inferred_graph_iri).value)  # ValueError: not an IRI
    ontology = ontology_graph_iri
    dropped = [*drop]
    again: list[tuple[str, str]]  # (what, request) for each request of one pass
    if one_transaction(store):
        first = rules_update(inferred_graph_iri, ontology_graph_iri=ontology, rules=rules)
        store.replace_graphs(graphs or {}, drop=dropped, then=[first, *extra])
        passes = rules_update(
            inferred_graph_iri, ontology_graph_iri=ontology, rules=rules, clear=False
        )
        again = [("every rule", passes)]
    else:
        again = [(f"rule {r.name}", r.bind(inferred_graph_iri, ontology)) for r in rules]
        if inferred not in dropped:
            dropped.append(inferred)
        store.replace_graphs(graphs or {}, drop=dropped, then=list(extra))
        _run_pass(store, again, 1)
    count = count_triples(store, inferred)
    for rounds in range(2, max_rounds + 1):
        _run_pass(store, again, rounds)
        new_count = count_triples(store, inferred)
        if new_count == count:
            return Closure(count, rounds)
        count = new_count
    raise InferenceError(
        f"inference did not reach a fixpoint in {max_rounds} rounds",
        rounds=max_rounds,
        triples=count,
    )


def _run_pass(store: Store, requests: Sequence[tuple[str, str]], number: int) -> None:
    for what, request in requests:
        try:
            store.update(request)
        except IntimacyGraphError as exc:
            exc.add_note(f"inference: {what}, pass {number}")
            raise


def materialise(
    store: Store,
    inferred_graph_iri: str,
    *,
    ontology_graph_iri: str = RULE_ONTOLOGY_GRAPH,
    rules: Sequence[Rule] | None = None,
    max_rounds: int = MAX_ROUNDS,
) -> int:
    """Rebuild the inferred graph from scratch and return how many triples it holds.

    :func:`rebuild` without graph writes: on Oxigraph the first pass (with the ``CLEAR``) is
    one transaction, so readers never see the inferred graph empty; on other stores it is not.
    Raises :class:`InferenceError` when ``max_rounds`` passes still add triples.
    """
    return rebuild(
        store,
        inferred_graph_iri,
        ontology_graph_iri=ontology_graph_iri,
        rules=rules,
        max_rounds=max_rounds,
    ).triples


def count_triples(store: Store, graph: URIRef) -> int:
    """Return the number of triples in one named graph of ``store``."""
    rows = store.select(_COUNT_QUERY, {"graph": graph})
    for row in rows:
        total = row.get("n")
        return int(str(total)) if total is not None else 0
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
