"""Do pyoxigraph and rdflib give the same answers to the benchmark's query mix?

Runs every query of :mod:`bench.querymix`, with the dataset's drawn values, through the embedded
pyoxigraph store (``use_default_graph_as_union=True``, as our server queries) and through rdflib
in-process (``rdflib.Dataset(default_union=True)`` parsed from ``full.nq``, as rdflib-endpoint
serves it), and compares the solutions: as multisets, blank nodes all equal to each other; for
queries with an ``# order:`` key, as the same sequence of key groups, each group a multiset.

Usage: ``python bench/agreement.py [--concepts 1k] [--per-query 20]``; exit 1 on any
disagreement.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyoxigraph as ox
from rdflib import BNode, Dataset, Literal, URIRef

from bench import generate, querymix
from bench.generate import BenchData

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
Row = tuple[tuple[str, str], ...]  # (variable, canonical term) pairs, bound ones, sorted


def canonical_ox(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        return "_:"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"{term.value!r}@{term.language.lower()}"
        return f"{term.value!r}^^{term.datatype.value}"
    raise TypeError(f"unexpected term {term!r}")


def canonical_rdflib(term: Any) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return "_:"
    if isinstance(term, Literal):
        if term.language:
            return f"{str(term)!r}@{term.language.lower()}"
        return f"{str(term)!r}^^{term.datatype or XSD_STRING}"
    raise TypeError(f"unexpected term {term!r}")


def oxigraph_rows(store: ox.Store, text: str) -> tuple[list[str], list[Row]]:
    result = store.query(text, use_default_graph_as_union=True)
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError("the mix has SELECT queries only")
    names = [v.value for v in result.variables]
    rows = []
    for solution in result:
        rows.append(
            tuple(sorted((n, canonical_ox(solution[n])) for n in names if solution[n] is not None))
        )
    return names, rows


def rdflib_rows(ds: Dataset, text: str) -> tuple[list[str], list[Row]]:
    result = ds.query(text)
    names = [str(v) for v in result.vars or []]
    rows = []
    for solution in result:
        values = solution.asdict()  # type: ignore[union-attr]
        rows.append(
            tuple(
                sorted((n, canonical_rdflib(values[n])) for n in names if values.get(n) is not None)
            )
        )
    return names, rows


def groups(rows: Iterable[Row], order: Sequence[str]) -> list[tuple[tuple[str, ...], Counter[Row]]]:
    """Consecutive rows with equal ORDER BY keys, each group as a multiset."""
    found: list[tuple[tuple[str, ...], Counter[Row]]] = []
    for row in rows:
        values = dict(row)
        key = tuple(values.get(v, "") for v in order)
        if found and found[-1][0] == key:
            found[-1][1][row] += 1
        else:
            found.append((key, Counter([row])))
    return found


@dataclass
class Disagreement:
    query: str
    binding: dict[str, str]
    detail: str


@dataclass
class Agreement:
    """The outcome of one comparison run."""

    compared: int = 0  # query executions compared
    rows: int = 0  # rows compared (oxigraph's count)
    disagreements: list[Disagreement] = field(default_factory=list)
    oxigraph_s: float = 0.0
    rdflib_s: float = 0.0
    per_query: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.disagreements


def compare(store: ox.Store, ds: Dataset, params: dict[str, Any], per_query: int) -> Agreement:
    outcome = Agreement()
    for query in querymix.load_queries():
        stats = outcome.per_query.setdefault(
            query.name, {"runs": 0, "rows": 0, "oxigraph_s": 0.0, "rdflib_s": 0.0}
        )
        for binding in params[query.name][:per_query]:
            text = querymix.instantiate(query, binding)
            t0 = time.perf_counter()
            ox_names, ox_rows = oxigraph_rows(store, text)
            t1 = time.perf_counter()
            rl_names, rl_rows = rdflib_rows(ds, text)
            t2 = time.perf_counter()
            stats["runs"] += 1
            stats["rows"] += len(ox_rows)
            stats["oxigraph_s"] += t1 - t0
            stats["rdflib_s"] += t2 - t1
            outcome.compared += 1
            outcome.rows += len(ox_rows)
            problem = _difference(query, ox_names, ox_rows, rl_names, rl_rows)
            if problem:
                outcome.disagreements.append(Disagreement(query.name, binding, problem))
    outcome.oxigraph_s = sum(s["oxigraph_s"] for s in outcome.per_query.values())
    outcome.rdflib_s = sum(s["rdflib_s"] for s in outcome.per_query.values())
    return outcome


def _difference(
    query: querymix.Query,
    ox_names: list[str],
    ox_rows: list[Row],
    rl_names: list[str],
    rl_rows: list[Row],
) -> str | None:
    if set(ox_names) != set(rl_names):
        return f"variables differ: oxigraph {ox_names}, rdflib {rl_names}"
    if query.ordered:
        a, b = groups(ox_rows, query.order), groups(rl_rows, query.order)
        if a != b:
            where = next(
                (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                min(len(a), len(b)),
            )
            return (
                f"ordered results differ at group {where}: oxigraph "
                f"{a[where] if where < len(a) else None}, rdflib "
                f"{b[where] if where < len(b) else None}"
            )
        return None
    ca, cb = Counter(ox_rows), Counter(rl_rows)
    if ca != cb:
        only_ox, only_rl = ca - cb, cb - ca
        return (
            f"{len(ox_rows)} vs {len(rl_rows)} rows; only oxigraph: "
            f"{list(only_ox.elements())[:3]}; only rdflib: {list(only_rl.elements())[:3]}"
        )
    return None


def load_rdflib(data: BenchData) -> Dataset:
    ds = Dataset(default_union=True)
    ds.parse(data.full_nq, format="nquads")
    return ds


def check(data: BenchData, per_query: int = 20) -> tuple[Agreement, dict[str, float]]:
    """Compare both engines on ``data``; also returns load timings."""
    t0 = time.perf_counter()
    ds = load_rdflib(data)
    t1 = time.perf_counter()
    store = ox.Store.read_only(str(data.store))
    t2 = time.perf_counter()
    outcome = compare(store, ds, data.params, per_query)
    return outcome, {
        "rdflib_parse_s": t1 - t0,
        "oxigraph_open_s": t2 - t1,
        "triples": float(len(ds)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concepts", "-n", default="1k")
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument(
        "--per-query", type=int, default=20, help="values per query type (default 20)"
    )
    args = parser.parse_args(argv)
    data = generate.ensure(generate.parse_size(args.concepts), args.seed)
    outcome, load = check(data, args.per_query)
    print(
        f"dataset {data.root.name}: {int(load['triples']):,} quads; rdflib parsed them in "
        f"{load['rdflib_parse_s']:.1f}s"
    )
    print(
        f"{'query':24} {'runs':>5} {'rows':>7} {'oxigraph ms':>12} {'rdflib ms':>10} {'ratio':>7}"
    )
    for name, s in outcome.per_query.items():
        ox_ms = s["oxigraph_s"] / s["runs"] * 1000
        rl_ms = s["rdflib_s"] / s["runs"] * 1000
        print(
            f"{name:24} {int(s['runs']):5} {int(s['rows']):7} {ox_ms:12.2f} {rl_ms:10.2f} "
            f"{rl_ms / ox_ms:7.0f}x"
        )
    print(
        f"{outcome.compared} query runs, {outcome.rows:,} rows compared, "
        f"{len(outcome.disagreements)} disagreement(s)"
    )
    for d in outcome.disagreements[:20]:
        print(f"DISAGREE {d.query} {d.binding}: {d.detail}")
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
