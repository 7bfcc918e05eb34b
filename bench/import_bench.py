"""Import benchmark (issue #5): ``intimacy-graph import`` of a synthetic vault, end to end.

The vault is ``--notes`` notes in the seed's format from :mod:`bench.synth` (33 concepts per
note, as in the seed), written once to ``bench/.data/vault-n{notes}-s{seed}/``. Each run imports
it into a fresh Oxigraph store on disk with :func:`intimacy_graph.vault.import_vault` — exactly
what the CLI runs: read, parse, encode, registry, SHACL (the engine ``validation.shacl_validate``
selects), the inference rules, the all-or-nothing write (bulk load into a checkpoint swapped in:
``OxigraphStore.bulk_replace``) and the stats; the QC checks are ``import --qc``'s, not timed.

Peers, in the same run and on the same vault:

- ``intimacy-graph build`` of the same folder (:func:`intimacy_graph.build.build`);
- the floor: ``pyoxigraph.Store.bulk_load`` of the same notes already compiled to N-Quads (note
  graphs, registry, ontology; no parsing, validation or inference — only the store's write).

Reports the median of ``--runs`` runs (default 3), notes/s, the phase split of the median import
run (``BuildResult.timings``) and the ratios; writes ``bench/results/{stamp}-import-{n}.json``.

    .venv/bin/python -m bench.import_bench --notes 2000 --runs 3

``--reimport-runs N`` also times importing the vault again into a store that holds it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyoxigraph as ox

from bench import synth
from intimacy_graph import build as building
from intimacy_graph import validation
from intimacy_graph.diagnostics import Report
from intimacy_graph.encode import build_registry
from intimacy_graph.namespaces import Iris
from intimacy_graph.notes.reader import DEFAULT_MAX_BYTES
from intimacy_graph.store import OxigraphStore
from intimacy_graph.store.terms import ntriples
from intimacy_graph.vault import import_vault, vault_files

DATA = Path(__file__).resolve().parent / ".data"
RESULTS = Path(__file__).resolve().parent / "results"
TARGET = 100.0  # notes/s, issue #5


def make_vault(n_notes: int, seed: int, root: Path = DATA) -> Path:
    """The synthetic vault of ``n_notes`` notes (cached; rewritten when incomplete)."""
    vault = root / f"vault-n{n_notes}-s{seed}"
    if vault.is_dir() and len(list(vault.glob("*.md"))) == n_notes:
        return vault
    shutil.rmtree(vault, ignore_errors=True)
    vault.mkdir(parents=True)
    u = synth.universe(n_notes * synth.CONCEPTS_PER_NOTE, seed)
    for name, text in synth.notes(u):
        (vault / name).write_text(text, encoding="utf-8")
    return vault


def compiled_nquads(vault: Path, target: Path) -> int:
    """Compile the vault with the build's own code and write it as N-Quads; the quad count."""
    iris = Iris()
    now = datetime(2025, 1, 1, tzinfo=UTC)
    compiled, _ = building.compile_folder(
        vault,
        iris,
        run=iris.run("bench"),
        now=now,
        max_bytes=DEFAULT_MAX_BYTES,
        report=Report(),
        files=vault_files(vault),
    )
    graphs = {iris.note_graph(c.slug): c.graph for c in compiled}
    graphs[iris.registry_graph] = build_registry(compiled, iris)
    graphs[iris.ontology_graph] = building.load_ontology()
    count = 0
    with target.open("w", encoding="utf-8") as out:
        for name, graph in graphs.items():
            for line in ntriples(graph).splitlines():
                if not line.strip():
                    continue
                out.write(f"{line[:-1].rstrip()} {name.n3()} .\n")
                count += 1
    return count


def _cpu() -> float:
    """CPU seconds used so far by this process and its reaped children (the build's workers)."""
    me, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def timed(
    fn: Callable[[Path], Any], work: Path, runs: int, cpu: list[float] | None = None
) -> tuple[list[float], list[Any]]:
    """Wall seconds (and, into ``cpu``, CPU seconds of this process and of the worker
    processes it waited for) of ``runs`` calls."""
    seconds: list[float] = []
    results: list[Any] = []
    for i in range(runs):
        store_dir = work / f"run-{i}"
        started, started_cpu = time.perf_counter(), _cpu()
        results.append(fn(store_dir))
        seconds.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(_cpu() - started_cpu)
        shutil.rmtree(store_dir, ignore_errors=True)
    return seconds, results


def reimport(run_import: Callable[..., Any], store_dir: Path, runs: int) -> dict[str, Any]:
    """Seconds of ``runs`` imports of the vault into one store that already holds it (every
    note unchanged: the registry and the inferred graph are still recomputed)."""
    run_import(store_dir)  # not timed: the store now holds the vault
    seconds: list[float] = []
    cpu: list[float] = []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), _cpu()
        run_import(store_dir, again=True)
        seconds.append(time.perf_counter() - started)
        cpu.append(_cpu() - started_cpu)
    shutil.rmtree(store_dir, ignore_errors=True)
    return {
        "runs": seconds,
        "median": statistics.median(seconds),
        "cpu_median": statistics.median(cpu),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peer-runs", type=int, default=0, help="runs of `build` (default --runs)")
    parser.add_argument("--no-peers", action="store_true", help="time the import only")
    parser.add_argument(
        "--reimport-runs",
        type=int,
        default=0,
        help="also time importing the same vault again into a store that holds it",
    )
    args = parser.parse_args(argv)
    vault = make_vault(args.notes, args.seed)
    engine = "fast" if validation.compiled_shapes(None) is not None else "pyshacl"
    print(f"vault: {vault} ({args.notes} notes); SHACL engine: {engine}", flush=True)

    def run_import(store_dir: Path, again: bool = False) -> building.BuildResult:
        store = OxigraphStore(store_dir)
        try:
            # as the CLI calls it: bulk write swapped in, QC only with --qc
            result = import_vault(store, vault, exclusive=True, run_qc=False)
        finally:
            store.close()
        done = result.unchanged if again else result.loaded
        assert result.ok and len(done) == args.notes, result.rejected[:5]
        return result

    def run_build(store_dir: Path) -> building.BuildResult:
        store = OxigraphStore(store_dir)
        try:
            return building.build(store, notes_dir=vault, exclusive=True)  # as the CLI
        finally:
            store.close()

    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        work = Path(tmp)
        cpu: list[float] = []
        seconds, results = timed(run_import, work, args.runs, cpu)
        median = statistics.median(seconds)
        phases = results[seconds.index(sorted(seconds)[len(seconds) // 2])].timings
        figures["import"] = {
            "runs": seconds,
            "median": median,
            "cpu_runs": cpu,
            "cpu_median": statistics.median(cpu),
            "phases": phases,
        }
        print(
            f"import: median {median:.2f}s = {args.notes / median:.1f} notes/s "
            f"(CPU, with the worker processes, {statistics.median(cpu):.2f}s = "
            f"{args.notes / statistics.median(cpu):.1f} notes per CPU-second)",
            flush=True,
        )
        print("  phases: " + ", ".join(f"{k} {v:.2f}s" for k, v in phases.items()), flush=True)
        if args.reimport_runs:
            figures["reimport"] = reimport(run_import, work / "reimport", args.reimport_runs)
            print(
                f"re-import of the unchanged vault: median {figures['reimport']['median']:.2f}s",
                flush=True,
            )
        if not args.no_peers:
            b_cpu: list[float] = []
            b_seconds, _ = timed(run_build, work, args.peer_runs or args.runs, b_cpu)
            figures["build"] = {
                "runs": b_seconds,
                "median": statistics.median(b_seconds),
                "cpu_median": statistics.median(b_cpu),
            }
            nq = work / "compiled.nq"
            quads = compiled_nquads(vault, nq)

            def bulk(store_dir: Path) -> None:
                ox.Store(str(store_dir)).bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)

            f_cpu: list[float] = []
            f_seconds, _ = timed(bulk, work, args.runs, f_cpu)
            figures["bulk_load"] = {
                "runs": f_seconds,
                "median": statistics.median(f_seconds),
                "cpu_median": statistics.median(f_cpu),
                "quads": quads,
            }
    imp = figures["import"]["median"]
    rate = args.notes / imp
    verdict = "met" if rate >= TARGET else "NOT met"
    print(f"import {rate:.1f} notes/s (target ≥ {TARGET:.0f}): {verdict}")
    for peer in ("build", "bulk_load"):
        if peer in figures:
            other = figures[peer]["median"]
            print(
                f"{peer}: median {other:.2f}s = {args.notes / other:.1f} notes/s; "
                f"import / {peer} = {imp / other:.2f}×"
            )
    record = {
        "benchmark": "import",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "notes": args.notes,
        "seed": args.seed,
        "runs": args.runs,
        "shacl_engine": engine,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
            "pyoxigraph": ox.__version__ if hasattr(ox, "__version__") else "?",
        },
        "notes_per_second": rate,
        "target_notes_per_second": TARGET,
        "figures": figures,
    }
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    out = RESULTS / f"{stamp}-import-{args.notes}.json"
    out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
