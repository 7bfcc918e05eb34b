"""Our service over Virtuoso against SPARQLWrapper sent to Virtuoso directly (issue #3).

The remote backend puts the whole service in front of an external SPARQL server; this bench
measures what that costs a client. For each dataset size: start Virtuoso over the generated
data (``bench/peers.py``), start ``intimacy-graph serve --backend sparql --remote-flavour
virtuoso --query-endpoint <Virtuoso>`` in front of it, then send every query type of the mix
(``bench/queries/*.rq``, the same 256 drawn texts per type) one at a time with SPARQLWrapper
(POST, SPARQL JSON results) to Virtuoso directly and to our ``/sparql``, alternating request by
request so both see the same machine. Median latency per type and target, their ratio, and
whether both answered the same number of rows go to ``bench/results/<date>-remote-<size>.json``.

    python -m bench.remote_bench --sizes 10k,100k --requests 60
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from SPARQLWrapper import JSON, POST, SPARQLWrapper

from bench import generate, peers, querymix
from bench.run import machine, median, portable_config

RESULTS = Path(__file__).resolve().parent / "results"
TARGET = 1.3  # ours / direct, latency


def ask(endpoint: str, query: str, timeout_s: float) -> tuple[float, int]:
    """One SPARQLWrapper request: (seconds, result rows or 1 for a boolean)."""
    client = SPARQLWrapper(endpoint)
    client.setMethod(POST)
    client.setReturnFormat(JSON)
    client.setTimeout(int(timeout_s))
    client.setQuery(query)
    started = time.perf_counter()
    result: Any = client.query().convert()
    elapsed = time.perf_counter() - started
    rows = len(result["results"]["bindings"]) if "results" in result else 1
    return elapsed, rows


def start_ours(virtuoso: peers.Peer, logs: Path, store: Path) -> peers.Peer:
    """``intimacy-graph serve`` with the remote backend in front of ``virtuoso``."""
    args = ["--store", str(store), "--backend", "sparql", "--remote-flavour", "virtuoso"]
    args += ["--query-endpoint", virtuoso.url]
    log = logs / "remote-ours.log"
    process, port, started = peers.spawn_ours(args, log)
    url = f"http://127.0.0.1:{port}/sparql"
    peer = peers.Peer("ours-on-virtuoso", url, process, log)
    try:
        peer.ready_s = peers.wait_ready(url, process, log, 1800.0) - started
        # time the steady state: the search index is built in the background after start-up
        # (read from Virtuoso over SPARQL), and that would compete with the timed requests
        peer.settled_s = max(peer.ready_s, peers.wait_settled(process.pid, started))
    except BaseException:
        peer.stop()
        raise
    return peer


def run_size(data: generate.BenchData, args: argparse.Namespace) -> dict[str, Any]:
    logs = data.root / "logs"
    queries = querymix.load_queries()
    out: dict[str, Any] = {"types": {}}
    with (
        peers.running("virtuoso", data, logs) as virtuoso,
        tempfile.TemporaryDirectory(prefix="remote-bench-") as folder,
    ):
        ours = start_ours(virtuoso, logs, Path(folder) / "store")
        try:
            out["ours_ready_s"] = ours.ready_s
            out["ours_settled_s"] = ours.settled_s
            for query in queries:
                texts = querymix.texts(query, data.params)[: args.requests]
                for text in texts[:3]:  # warm both (plans, caches) before timing
                    ask(virtuoso.url, text, args.timeout)
                    ask(ours.url, text, args.timeout)
                direct: list[float] = []
                through: list[float] = []
                disagreements = 0
                for i, text in enumerate(texts):
                    # alternate which goes first, so drift hits both alike
                    order = [(virtuoso.url, direct), (ours.url, through)]
                    rows = []
                    for url, times in order if i % 2 == 0 else order[::-1]:
                        seconds, n = ask(url, text, args.timeout)
                        times.append(seconds)
                        rows.append(n)
                    disagreements += rows[0] != rows[1]
                d, t = median(direct), median(through)
                out["types"][query.name] = {
                    "requests": len(texts),
                    "direct_p50_ms": d * 1000,
                    "ours_p50_ms": t * 1000,
                    "ratio": t / d,
                    "met": t / d <= TARGET,
                    "row_count_disagreements": disagreements,
                }
                print(
                    f"  {query.name:18} direct {d * 1000:8.2f} ms  ours {t * 1000:8.2f} ms  "
                    f"{t / d:5.2f}x  {'met' if t / d <= TARGET else 'MISSED'}"
                    f"{f'  ({disagreements} row-count disagreements)' if disagreements else ''}",
                    flush=True,
                )
        finally:
            ours.stop()
    ratios = [v["ratio"] for v in out["types"].values()]
    out["median_ratio"] = median(ratios)
    # the whole mix, one request of each type: what a client running the mix waits in all
    out["mix_ratio"] = sum(v["ours_p50_ms"] for v in out["types"].values()) / sum(
        v["direct_p50_ms"] for v in out["types"].values()
    )
    out["all_met"] = all(v["met"] for v in out["types"].values())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k")
    parser.add_argument("--requests", type=int, default=60, help="per query type and target")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for size in args.sizes.split(","):
        n = generate.parse_size(size)
        data = generate.dataset(n, args.seed)  # an existing dataset is reused, as in api_bench
        if not (data.manifest_file.is_file() and data.manifest.get("complete")):
            data = generate.ensure(n, args.seed, log=print)
        print(f"== {data.label}: ours over Virtuoso vs SPARQLWrapper to Virtuoso", flush=True)
        info = machine()
        result = run_size(data, args)
        result["machine"] = {**info, "loadavg_end": os.getloadavg()}
        result["config"] = portable_config(args)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
        path = args.out / f"{stamp}-remote-{data.label}.json"
        path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        print(
            f"median ratio {result['median_ratio']:.2f}x, whole mix {result['mix_ratio']:.2f}x; "
            f"every type met: {result['all_met']}"
        )
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
