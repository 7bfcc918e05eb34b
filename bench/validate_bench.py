"""Validation benchmark (issue #5): one new entry validated in context, at 1k and 100k concepts.

The entry is a synthetic note in the seed's format (bench/synth.py's first note, renamed so it
describes a new concept) that links to concepts already in the store. For each store size:

- **ours, end to end** (≥ 30 runs): parse the Markdown, encode it, take the registry records of
  every IRI it mentions from the store (``graph:registry``; the entry's own records only for
  concepts the store does not have), and validate with the fast engine. When the lead's
  ``intimacy_graph.editing.validate_entry`` exists, it is timed too (the real write-path check).
- **pySHACL, the same entry inside the full graph**: the whole store (every named graph) loaded
  once into one rdflib graph plus the entry, validated by pySHACL with its ``focus_nodes`` set to
  the entry's subjects (load not timed; fewer runs).
- **pySHACL over the whole graph**, once.

Ratios: pySHACL-in-full / ours, pySHACL-whole / ours, flatness = ours(100k) / ours(1k).

    .venv/bin/python -m bench.validate_bench --sizes 1k,100k --runs 30
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pyshacl
from rdflib import Graph, Node, URIRef

from bench import synth
from bench.generate import dataset, parse_size
from intimacy_graph.diagnostics import Diagnostic, Severity
from intimacy_graph.encode import CompiledNote, build_registry, encode_note
from intimacy_graph.namespaces import Iris
from intimacy_graph.notes import read_note_bytes
from intimacy_graph.slugs import slugify
from intimacy_graph.store.terms import to_rdflib
from intimacy_graph.validation import load_shapes, shacl_validate

RESULTS = Path(__file__).parent / "results"
ENTRY_NAME = "Bench Validation Entry"


def entry_note(n_concepts: int, seed: int) -> tuple[str, bytes]:
    """A new note (file name, bytes): the first synthetic note, describing a new concept."""
    u = synth.universe(n_concepts, seed)
    _file, text = next(synth.notes(u))
    text = text.replace(u.names[0], ENTRY_NAME)
    return f"{slugify(ENTRY_NAME)}.md", text.encode("utf-8")


Triple = tuple[Node, Node, Node]


def registry_fragment(
    store: ox.Store, compiled: CompiledNote, iris: Iris
) -> tuple[list[Triple], set[URIRef]]:
    """The store's registry records of every concept and work the note names, and which it has."""
    where = ox.NamedNode(str(iris.registry_graph))
    named = [iris.concept(s) for s in compiled.concepts] + [iris.work(s) for s in compiled.works]
    memo: dict[object, Node] = {}

    def term(t: object) -> Node:  # predicates, classes and the scheme repeat: convert each once
        found = memo.get(t)
        if found is None:
            found = memo[t] = to_rdflib(t)
        return found

    triples: list[Triple] = []
    known: set[URIRef] = set()
    for iri in named:
        for q in store.quads_for_pattern(ox.NamedNode(str(iri)), None, None, where):
            triples.append((iri, term(q.predicate), term(q.object)))
            known.add(iri)
    return triples, known


def entry_context(
    store: ox.Store, data: bytes, file: str, iris: Iris
) -> tuple[Graph, list[Triple], list[float]]:
    """Parse + encode + registry context: the entry's graph, its context, the stage times (s)."""
    t0 = time.perf_counter()
    note, diags = read_note_bytes(data, file)
    if note is None or any(d.severity is Severity.ERROR for d in diags):
        raise SystemExit(f"the bench entry does not parse: {[d.to_text() for d in diags]}")
    t1 = time.perf_counter()
    now = datetime.now(UTC).replace(microsecond=0)
    compiled = encode_note(note, iris, run=iris.run("validation"), modified=now)
    t2 = time.perf_counter()
    context, known = registry_fragment(store, compiled, iris)
    # New records only for what the store does not have: the store's record wins elsewhere.
    new = dataclasses.replace(
        compiled,
        concepts={k: v for k, v in compiled.concepts.items() if iris.concept(k) not in known},
        works={k: v for k, v in compiled.works.items() if iris.work(k) not in known},
    )
    context += build_registry([new], iris)
    t3 = time.perf_counter()
    return compiled.graph, context, [t1 - t0, t2 - t1, t3 - t2]


def ours(
    store: ox.Store, data: bytes, file: str, iris: Iris
) -> tuple[list[Diagnostic], list[float]]:
    graph, context, stages = entry_context(store, data, file, iris)
    t = time.perf_counter()
    found = shacl_validate(graph, context=[context], file=file)
    return found, [*stages, time.perf_counter() - t]


def entry_graph(store: ox.Store, data: bytes, file: str, iris: Iris) -> Graph:
    """The entry and its context as one graph (for the peers)."""
    graph, context, _ = entry_context(store, data, file, iris)
    merged = Graph()
    for triple in [*graph, *context]:
        merged.add(triple)
    return merged


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def timed(
    fn: Callable[[], object], runs: int, budget_s: float = float("inf")
) -> tuple[list[float], object]:
    """Time ``runs`` calls, or fewer (at least 3) once ``budget_s`` seconds are spent."""
    samples: list[float] = []
    result: object = None
    started = time.perf_counter()
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - t)
        if len(samples) >= 3 and time.perf_counter() - started > budget_s:
            break
    return samples, result


def whole_graph(store: ox.Store) -> Graph:
    """Every triple of every named graph of the store, as one rdflib graph."""
    graph = Graph()
    add = graph.add
    for q in store.quads_for_pattern(None, None, None, None):
        add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return graph


def run_pyshacl(graph: Graph, focus: list[URIRef] | None) -> tuple[bool, int]:
    conforms, report, _text = pyshacl.validate(
        graph,
        shacl_graph=load_shapes(),
        inference="none",
        advanced=False,
        allow_infos=True,
        allow_warnings=True,
        do_owl_imports=False,
        meta_shacl=False,
        focus_nodes=focus,
    )
    assert isinstance(report, Graph)
    results = len(
        set(
            report.subjects(
                predicate=None, object=URIRef("http://www.w3.org/ns/shacl#ValidationResult")
            )
        )
    )
    return bool(conforms), results


def bench_size(
    n: int, seed: int, runs: int, peer_runs: int, peers: bool, log: Callable[[str], None]
) -> dict[str, Any]:
    data = dataset(n, seed)
    if not (data.store / "CURRENT").exists() and not data.store.is_dir():
        raise SystemExit(f"{data.store} is missing: run `python -m bench.generate {n}` first")
    iris = Iris()
    store = ox.Store.read_only(str(data.store))
    file, note = entry_note(n, seed)
    out: dict[str, Any] = {"concepts": n, "entry_bytes": len(note)}

    found, _ = ours(store, note, file, iris)  # warm-up: compiles the shapes, fills caches
    graph = entry_graph(store, note, file, iris)
    same = shacl_validate(graph, file=file, engine="pyshacl")
    if sorted(same, key=str) != sorted(found, key=str):  # the two engines must agree
        raise SystemExit(f"fast and pySHACL disagree on the entry: {found} != {same}")
    out["entry_triples"] = len(graph)
    out["entry_results"] = [d.to_dict() for d in found]
    stage_samples: list[list[float]] = []
    totals: list[float] = []
    cpu: list[float] = []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        _found, stages = ours(store, note, file, iris)
        totals.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        stage_samples.append(stages)
    out["ours_ms"] = {
        "median": median_ms(totals),
        "cpu_median": median_ms(cpu),
        "p90": round(sorted(totals)[int(0.9 * (len(totals) - 1))] * 1000, 3),
        "runs": runs,
        "stages_median": {
            name: median_ms([s[i] for s in stage_samples])
            for i, name in enumerate(("parse", "encode", "store_context", "validate_fast"))
        },
    }
    samples, _ = timed(lambda: shacl_validate(graph, engine="pyshacl"), max(5, runs // 3))
    out["pyshacl_entry_alone_ms"] = median_ms(samples)
    ms = out["ours_ms"]
    log(f"{n:>7,} concepts: ours {ms['median']} ms (cpu {ms['cpu_median']}), {ms['stages_median']}")

    try:
        from intimacy_graph.editing import validate_entry  # type: ignore[attr-defined]
        from intimacy_graph.store.oxigraph import OxigraphStore
    except ImportError:
        out["validate_entry_ms"] = None
    else:
        store_api = OxigraphStore(data.store, read_only=True)
        validate_entry(store_api, note, "text/markdown", iris)
        samples, check = timed(
            lambda: validate_entry(store_api, note, "text/markdown", iris), runs, budget_s=60
        )
        out["validate_entry_ms"] = {"median": median_ms(samples), "runs": len(samples)}
        out["validate_entry_conforms"] = bool(getattr(check, "conforms", False))
        log(f"{n:>7,} concepts: editing.validate_entry {out['validate_entry_ms']['median']} ms")

    if peers:
        t = time.perf_counter()
        full = whole_graph(store)
        out["full_graph_triples"] = len(full)
        out["full_graph_load_s"] = round(time.perf_counter() - t, 1)
        log(f"{n:>7,} concepts: loaded {len(full):,} triples in {out['full_graph_load_s']} s")
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        whole_conforms, results = run_pyshacl(full, None)
        out["pyshacl_whole_ms"] = round((time.perf_counter() - t) * 1000, 1)
        out["pyshacl_whole_cpu_ms"] = round((time.process_time() - c) * 1000, 1)
        out["pyshacl_whole_results"] = results
        out["pyshacl_whole_conforms"] = whole_conforms
        log(
            f"{n:>7,} concepts: pySHACL whole graph {out['pyshacl_whole_ms']} ms, {results} results"
        )
        for triple in graph:
            full.add(triple)
        focus = sorted({s for s in graph.subjects() if isinstance(s, URIRef)})
        samples, res = timed(lambda: run_pyshacl(full, focus), peer_runs)
        out["pyshacl_entry_in_full_ms"] = {"median": median_ms(samples), "runs": peer_runs}
        out["pyshacl_entry_in_full_results"] = res[1] if isinstance(res, tuple) else None
        in_full = out["pyshacl_entry_in_full_ms"]["median"]
        log(f"{n:>7,} concepts: pySHACL entry in full graph {in_full} ms")
        base = out["ours_ms"]["median"]
        out["ratios"] = {
            "pyshacl_entry_in_full_over_ours": round(
                out["pyshacl_entry_in_full_ms"]["median"] / base, 1
            ),
            "pyshacl_whole_over_ours": round(out["pyshacl_whole_ms"] / base, 1),
            "pyshacl_whole_over_ours_cpu": round(
                out["pyshacl_whole_cpu_ms"] / out["ours_ms"]["cpu_median"], 1
            ),
        }
        del full
        gc.collect()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1k,100k")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--peer-runs", type=int, default=3)
    parser.add_argument("--no-peers", action="store_true", help="skip the pySHACL full-graph peers")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    def log(text: str) -> None:
        print(text, flush=True)

    sizes = [parse_size(s) for s in args.sizes.split(",")]
    started = datetime.now(UTC)
    by_size = [
        bench_size(n, args.seed, args.runs, args.peer_runs, not args.no_peers, log) for n in sizes
    ]
    result: dict[str, Any] = {
        "benchmark": "validate",
        "date": started.isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "pyshacl": pyshacl.__version__,
        },
        "load_average_at_start": os.getloadavg(),
        "sizes": by_size,
    }
    if len(by_size) >= 2:
        result["flatness"] = round(
            by_size[-1]["ours_ms"]["median"] / by_size[0]["ours_ms"]["median"], 2
        )
        big, small = by_size[-1]["concepts"], by_size[0]["concepts"]
        log(f"flatness ({big:,} / {small:,}): {result['flatness']}")
    out = args.out or RESULTS / f"validate-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
