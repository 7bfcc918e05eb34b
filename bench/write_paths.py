"""How fast can Oxigraph take quads, by the way they are written (issue #5's import target).

The same quads of a generated vault (``bench/synth.py`` notes compiled by the build's own code,
as ``bench/import_bench.py`` does for its bulk-load peer) go into a fresh
on-disk store through each of pyoxigraph's write paths, in one run:

* ``insert_data``: one SPARQL ``INSERT DATA`` update (what ``Store.apply`` sends: one
  transaction, so a crash leaves nothing half-written);
* ``extend``: ``Store.extend`` of ``Quad`` objects (one transaction);
* ``load``: ``Store.load`` of the N-Quads text (one transaction);
* ``bulk_load``: ``Store.bulk_load`` of the same text (no transaction: a crash can leave part
  of it).

It prints quads per second for each and the notes per second the write alone would allow at
the vault's quads per note, which bounds what ``intimacy-graph import`` can reach with each.

    python -m bench.write_paths --notes 200
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyoxigraph as ox

from bench import import_bench
from bench.run import machine, median

RESULTS = Path(__file__).resolve().parent / "results"


def timed(path: str, text: str, quads: list[ox.Quad]) -> dict[str, float]:
    out: dict[str, float] = {}
    ways = {
        "insert_data": lambda s: s.update("INSERT DATA {\n" + _as_graphs(text) + "}"),
        "extend": lambda s: s.extend(quads),
        "load": lambda s: s.load(text.encode(), format=ox.RdfFormat.N_QUADS),
        "bulk_load": lambda s: s.bulk_load(text.encode(), format=ox.RdfFormat.N_QUADS),
    }
    for name, write in ways.items():
        folder = Path(path) / name
        shutil.rmtree(folder, ignore_errors=True)
        store = ox.Store(str(folder))
        started = time.perf_counter()
        write(store)
        store.flush()
        out[name] = time.perf_counter() - started
        assert len(store) == len(quads), (name, len(store), len(quads))
        del store
        shutil.rmtree(folder, ignore_errors=True)
    return out


def _as_graphs(nquads: str) -> str:
    """N-Quads as the ``GRAPH <g> { … }`` blocks of an ``INSERT DATA``."""
    by_graph: dict[str, list[str]] = {}
    for line in nquads.splitlines():
        if not line.strip():
            continue
        body, graph = line.rstrip(" .").rsplit(" ", 1)
        by_graph.setdefault(graph, []).append(body + " .")
    return "".join(f"GRAPH {g} {{\n" + "\n".join(b) + "\n}\n" for g, b in by_graph.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    vault = import_bench.make_vault(args.notes, args.seed)
    with tempfile.TemporaryDirectory(prefix="write-paths-") as folder:
        target = Path(folder) / "compiled.nq"
        import_bench.compiled_nquads(vault, target)
        text = target.read_text(encoding="utf-8")
    quads = list(ox.parse(text.encode(), format=ox.RdfFormat.N_QUADS))
    per_note = len(quads) / args.notes
    print(f"{args.notes} notes, {len(quads):,} quads ({per_note:.0f} per note)", flush=True)
    runs = []
    with tempfile.TemporaryDirectory(prefix="write-paths-") as folder:
        for run in range(args.runs):
            runs.append(timed(folder, text, quads))
            print(f"  run {run + 1}: " + ", ".join(f"{k} {v:.2f}s" for k, v in runs[-1].items()))
    result: dict[str, object] = {"notes": args.notes, "quads": len(quads), "runs": runs}
    summary = {}
    for name in runs[0]:
        seconds = median([r[name] for r in runs])
        summary[name] = {
            "seconds": seconds,
            "quads_per_s": len(quads) / seconds,
            "notes_per_s_write_only": args.notes / seconds,
        }
        print(
            f"{name:12} {seconds:7.2f} s  {len(quads) / seconds:9,.0f} quads/s  "
            f"≤ {args.notes / seconds:6.1f} notes/s for the write alone"
        )
    result["summary"] = summary
    result["machine"] = {**machine(), "loadavg_end": os.getloadavg()}
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    path = args.out / f"{stamp}-write-paths-{args.notes}.json"
    path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
