"""One note rewrite on a large store: the write path against re-running inference over it all.

For each size, on a copy (``Store.backup``: hard links) of the dataset ``bench/generate.py``
built: rewrite ``--writes`` synthetic notes through the write path (validate in context, plan,
commit in one transaction) and time each; then, in the same run, time the peer — the same
rewrite committed by replacing the note graph and rebuilding ``graph:inferred`` with
:func:`intimacy_graph.build.reinfer`, which is what every write did before incremental
inference (once: it takes minutes at 100k).

Usage: ``python bench/write_bench.py --sizes 1000 100000 [--writes 15]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from intimacy_graph import build as building  # noqa: E402
from intimacy_graph import editing  # noqa: E402
from intimacy_graph.namespaces import Iris  # noqa: E402
from intimacy_graph.store import OxigraphStore  # noqa: E402


def edited(path: Path, i: int) -> bytes:
    return path.read_bytes().replace(b"\n\n", b"\n\nEdited in benchmark run %d.\n\n" % i, 1)


def run(size: int, writes: int) -> dict[str, object]:
    data = ROOT / "bench" / ".data" / f"c{size}-s7"
    if not (data / "store").exists():
        raise SystemExit(f"no dataset for {size}: python bench/generate.py --concepts {size}")
    iris = Iris()
    folder = Path(tempfile.mkdtemp(prefix="write-bench-"))
    try:
        source = pyoxigraph.Store.read_only(str(data / "store"))
        source.backup(str(folder / "store"))
        del source
        store = OxigraphStore(folder / "store")
        ontology = store.graph(iris.ontology_graph)
        notes = sorted((data / "notes").glob("*.md"))
        validate_s, write_s = [], []
        for i, path in enumerate(notes[: writes + 1]):
            started = time.perf_counter()
            check = editing.validate_entry(store, edited(path, i), "text/markdown", iris)
            checked = time.perf_counter()
            assert check.conforms, [d.to_text() for d in check.report.results][:3]
            plan = editing.plan_write(
                store, iris, check.notes, activity="bench", key_id="bench",
                now=datetime.now(UTC), ontology=ontology,
            )  # fmt: skip
            editing.apply_plan(store, plan, iris)
            done = time.perf_counter()
            if i:  # the first warms caches
                validate_s.append(checked - started)
                write_s.append(done - checked)
        # the peer: the same kind of rewrite, committed with a full inference rebuild
        path = notes[writes + 1]
        check = editing.validate_entry(store, edited(path, 999), "text/markdown", iris)
        started = time.perf_counter()
        graph = iris.note_graph(check.notes[0].slug)
        store.write_graph(graph, check.notes[0].graph)
        building.reinfer(store, iris)
        full_s = time.perf_counter() - started
        store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    write_median = statistics.median(write_s)
    return {
        "concepts": size,
        "writes": len(write_s),
        "validate_median_ms": round(statistics.median(validate_s) * 1000, 1),
        "write_median_ms": round(write_median * 1000, 1),
        "write_max_ms": round(max(write_s) * 1000, 1),
        "full_reinfer_write_s": round(full_s, 2),
        "speedup_vs_full_reinfer": round(full_s / write_median, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100000])
    parser.add_argument("--writes", type=int, default=15)
    args = parser.parse_args()
    results = [run(size, args.writes) for size in args.sizes]
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()} {platform.python_version()}",
        "results": results,
    }
    out = ROOT / "bench" / "results" / f"{datetime.now(UTC):%Y%m%d-%H%M}-write.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
