"""Build a synthetic benchmark dataset and the store ``intimacy-graph serve`` would serve.

Steps, each with the project's own code (so the data has exactly the contract's shape):

1. write synthetic notes (:mod:`bench.synth`) to ``notes/``;
2. compile them with the build's own :func:`intimacy_graph.build.compile_folder` (parse +
   encode) and :func:`intimacy_graph.encode.build_registry`; write ``dataset.nq`` (graphs
   ``graph/ontology``, ``graph/registry`` and one ``graph/note/{slug}`` per note);
3. ``pyoxigraph.Store(path).bulk_load`` it into ``store/`` and run the build's inference
   (:func:`intimacy_graph.build.reinfer`, with the build's provenance record for
   ``graph/changes``);
4. dump the whole store, inferred graph included, to ``full.nq`` for the other peers, and draw
   the query parameters (``params.json``).

What it skips from ``intimacy-graph build``: SHACL validation and QC (minutes at 100k).
``--verify`` runs the real build over the same notes and checks both stores hold the same
quads, apart from the build time stamps and ``graph/changes``.

Usage: ``python bench/generate.py --concepts 10000 [--seed 7] [--force] [--verify]``.
Datasets are cached in ``bench/.data/c{concepts}-s{seed}/``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef
from rdflib.term import Node

from bench import querymix, synth
from intimacy_graph import build as building
from intimacy_graph.diagnostics import Report, Severity
from intimacy_graph.encode import build_registry
from intimacy_graph.namespaces import DCTERMS, PROV, Iris
from intimacy_graph.notes.reader import DEFAULT_MAX_BYTES
from intimacy_graph.store import OxigraphStore
from intimacy_graph.store.terms import to_oxigraph

DATA = Path(__file__).resolve().parent / ".data"
DEFAULT_SEED = 7
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
#: The build time of every generated dataset (``dcterms:modified``, the run IRI).
BUILT_AT = datetime(2025, 1, 1, tzinfo=UTC)
FORMAT_VERSION = 2  # bump when the generator's output changes

Log = Callable[[str], None]
ROOT = Path(__file__).resolve().parent.parent
#: What the generated data depends on: a change to any of these regenerates cached datasets.
INPUTS = (
    "bench/synth.py",
    "ontology/*.ttl",
    "queries/rules/*.rq",
    "src/intimacy_graph/encode.py",
    "src/intimacy_graph/slugs.py",
    "src/intimacy_graph/namespaces.py",
    "src/intimacy_graph/notes/*.py",
)


def fingerprint() -> str:
    """A hash of the generator, the ontology, the rules, the parser and the encoder."""
    digest = hashlib.sha256(str(FORMAT_VERSION).encode())
    for pattern in INPUTS:
        for path in sorted(ROOT.glob(pattern)):
            digest.update(path.relative_to(ROOT).as_posix().encode())
            data = path.read_bytes()
            if path.suffix in (".rq", ".ttl"):  # comment-only lines do not change the data
                data = b"\n".join(
                    line for line in data.splitlines() if not line.lstrip().startswith(b"#")
                )
            digest.update(data)
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class BenchData:
    """The files of one cached dataset."""

    root: Path
    n_concepts: int
    seed: int

    notes = property(lambda self: self.root / "notes")
    source_nq = property(lambda self: self.root / "dataset.nq")
    full_nq = property(lambda self: self.root / "full.nq")
    store = property(lambda self: self.root / "store")
    params_file = property(lambda self: self.root / "params.json")
    manifest_file = property(lambda self: self.root / "manifest.json")

    @property
    def manifest(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.manifest_file.read_text(encoding="utf-8"))
        return data

    @property
    def params(self) -> dict[str, Any]:
        return querymix.load_params(self.params_file)

    @property
    def label(self) -> str:
        n = self.n_concepts
        return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def parse_size(text: str) -> int:
    """``1k`` / ``10k`` / ``100k`` or a number of concepts."""
    return SIZES.get(text.lower()) or int(text.replace("_", ""))


def dataset(n_concepts: int, seed: int = DEFAULT_SEED, root: Path = DATA) -> BenchData:
    return BenchData(root / f"c{n_concepts}-s{seed}", n_concepts, seed)


def ensure(
    n_concepts: int,
    seed: int = DEFAULT_SEED,
    *,
    root: Path = DATA,
    force: bool = False,
    log: Log = print,
) -> BenchData:
    """The cached dataset, generated first when missing, stale or ``force``d."""
    data = dataset(n_concepts, seed, root)
    if not force and data.manifest_file.is_file():
        manifest = data.manifest
        if manifest.get("fingerprint") == fingerprint() and manifest.get("complete"):
            return data
        log(f"{data.root.name}: the generator, ontology, rules or encoder changed; regenerating")
    generate(data, log=log)
    return data


def generate(data: BenchData, *, log: Log = print) -> dict[str, Any]:
    """Write every file of ``data`` from scratch; returns the manifest."""
    timings: dict[str, float] = {}
    if data.root.exists():
        shutil.rmtree(data.root)
    data.notes.mkdir(parents=True)
    iris = Iris()

    started = time.perf_counter()
    u = synth.universe(data.n_concepts, data.seed)
    for name, text in synth.notes(u):
        (data.notes / name).write_text(text, encoding="utf-8")
    timings["write_notes_s"] = time.perf_counter() - started
    log(f"{data.root.name}: {u.n_notes:,} notes written in {timings['write_notes_s']:.1f}s")

    started = time.perf_counter()
    report = Report()
    run = iris.run(building.run_id(BUILT_AT, []))  # what a first build of an empty store names
    compiled, rejected = building.compile_folder(
        data.notes, iris, run=run, now=BUILT_AT, max_bytes=DEFAULT_MAX_BYTES, report=report
    )
    if rejected:
        raise RuntimeError(f"the parser rejected {len(rejected)} generated notes: {rejected[:3]}")
    registry = build_registry(compiled, iris)
    timings["compile_s"] = time.perf_counter() - started
    diagnostics = _count_codes(report)
    log(f"compiled in {timings['compile_s']:.1f}s; parser diagnostics: {diagnostics or 'none'}")

    started = time.perf_counter()
    graphs: list[tuple[URIRef, Graph]] = [
        (iris.ontology_graph, building.load_ontology()),
        (iris.registry_graph, registry),
    ]
    graphs += [(iris.note_graph(c.slug), c.graph) for c in sorted(compiled, key=lambda c: c.slug)]
    ox.serialize(_quads(graphs), output=str(data.source_nq), format=ox.RdfFormat.N_QUADS)
    timings["write_nquads_s"] = time.perf_counter() - started

    started = time.perf_counter()
    load(data.source_nq, data.store)
    timings["bulk_load_s"] = time.perf_counter() - started
    started = time.perf_counter()
    store = OxigraphStore(data.store)
    try:
        provenance = building.insert_data(  # the build's own record of its run
            iris.changes_graph,
            building._provenance_graph(
                run, BUILT_AT, [iris.note_graph(c.slug) for c in compiled], []
            ),
        )
        inferred = building.reinfer(store, iris, extra=[provenance])
        store.flush()
        timings["infer_s"] = time.perf_counter() - started
        log(
            f"loaded in {timings['bulk_load_s']:.1f}s, inferred {inferred:,} triples in "
            f"{timings['infer_s']:.1f}s"
        )
        started = time.perf_counter()
        store.raw.dump(output=str(data.full_nq), format=ox.RdfFormat.N_QUADS)
        timings["dump_s"] = time.perf_counter() - started
        counts = graph_counts(store.raw, iris)
        params = querymix.draw_params(store.raw, data.seed)
    finally:
        store.close()
    data.params_file.write_text(
        json.dumps(params, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    manifest = {
        "format_version": FORMAT_VERSION,
        "fingerprint": fingerprint(),
        "complete": True,
        "concepts_requested": data.n_concepts,
        "seed": data.seed,
        "notes": len(compiled),
        "parser_diagnostics": diagnostics,
        "counts": counts,
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "bytes": {
            "dataset.nq": data.source_nq.stat().st_size,
            "full.nq": data.full_nq.stat().st_size,
            "store": dir_size(data.store),
        },
        "versions": {"python": platform.python_version(), "pyoxigraph": ox.__version__},
    }
    data.manifest_file.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    log(
        f"{data.root.name}: {counts['concepts']:,} concepts, {counts['total']:,} quads "
        f"({counts['inferred']:,} inferred)"
    )
    return manifest


def load(nquads: Path, store_dir: Path) -> None:
    """Bulk-load an N-Quads file into a new on-disk Oxigraph store."""
    if store_dir.exists():
        shutil.rmtree(store_dir)
    store = ox.Store(str(store_dir))
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    store.flush()
    del store


def _quads(graphs: list[tuple[URIRef, Graph]]) -> Iterator[ox.Quad]:
    """Quads of the named graphs; blank nodes relabelled in order of appearance (stable)."""
    labels: dict[BNode, ox.BlankNode] = {}

    def term(node: Node) -> Any:
        if isinstance(node, BNode):
            if node not in labels:
                labels[node] = ox.BlankNode(f"b{len(labels)}")
            return labels[node]
        return to_oxigraph(node)

    for name, graph in graphs:
        context = ox.NamedNode(str(name))
        for s, p, o in graph:
            yield ox.Quad(term(s), term(p), term(o), context)


def graph_counts(store: ox.Store, iris: Iris) -> dict[str, int]:
    counts: dict[str, int] = {"notes": 0, "note_graphs": 0}
    rows = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    note_prefix = str(iris.graph("note/"))
    for row in rows:  # type: ignore[union-attr]
        g, n = row["g"].value, int(row["n"].value)
        if g.startswith(note_prefix):
            counts["note_graphs"] += n
            counts["notes"] += 1
        else:
            counts[g.rsplit("/", 1)[-1]] = n
    counts["total"] = len(store)
    concept = "<https://w3id.org/intimacy-graph/ontology#Concept>"
    result = store.query(
        f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ GRAPH ?g {{ ?c a {concept} }} }}"
    )
    counts["concepts"] = int(next(iter(result))["n"].value)  # type: ignore[arg-type]
    return counts


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _count_codes(report: Report) -> dict[str, int]:
    counts: dict[str, int] = {}
    for diag in report.sorted():
        key = f"{diag.severity}:{diag.code}"
        counts[key] = counts.get(key, 0) + 1
    return counts


# ------------------------------------------------------------------------------ verification

#: Triples a real build writes with its own time stamp and run IRI.
_TIME_STAMPED = {str(DCTERMS.modified), str(PROV.wasGeneratedBy)}


def comparable(store: ox.Store, iris: Iris) -> tuple[set[str], int]:
    """The store's quads as N-Quads lines, minus time-stamped triples and ``graph/changes``;
    quads with blank nodes (the ontology's class expressions) are only counted."""
    changes = str(iris.changes_graph)
    lines: set[str] = set()
    blank = 0
    for q in store:
        if q.graph_name.value == changes or q.predicate.value in _TIME_STAMPED:
            continue
        if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode):
            blank += 1
            continue
        lines.add(str(q))
    return lines, blank


def verify(data: BenchData, *, log: Log = print) -> list[str]:
    """Run the real ``build`` over the generated notes; return the differences (none = ok)."""
    iris = Iris()
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as tmp:
        real = OxigraphStore(Path(tmp) / "store")
        try:
            result = building.build(real, notes_dir=data.notes, iris=iris)
            errors = [d for d in result.report.sorted() if d.severity is Severity.ERROR]
            ours = ox.Store.read_only(str(data.store))
            mine, mine_blank = comparable(ours, iris)
            theirs, theirs_blank = comparable(real.raw, iris)
        finally:
            real.close()
    problems = [f"build rejected {f}" for f in result.rejected]
    problems += [f"build error: {d.to_text()}" for d in errors[:10]]
    problems += [f"QC: {f.message}" for f in result.qc[:10]]
    problems += [f"only in the generated store: {line}" for line in sorted(mine - theirs)[:10]]
    problems += [f"only in the real build: {line}" for line in sorted(theirs - mine)[:10]]
    if mine_blank != theirs_blank:
        problems.append(f"blank-node quads: generated {mine_blank}, real build {theirs_blank}")
    log(
        f"verify: {len(mine):,} comparable quads, real build {len(theirs):,}; "
        f"{len(problems)} problem(s); SHACL conforms: {result.report.conforms}"
    )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--concepts", "-n", default="1k", help="1k, 10k, 100k or a number (default 1k)"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--force", action="store_true", help="regenerate even when cached")
    parser.add_argument(
        "--verify",
        action="store_true",
        help="also run the real build over the notes and compare the stores",
    )
    args = parser.parse_args(argv)
    data = ensure(parse_size(args.concepts), args.seed, force=args.force)
    print(json.dumps(data.manifest, indent=2))
    if args.verify:
        problems = verify(data)
        for line in problems:
            print(line)
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
