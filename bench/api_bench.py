"""The concept API against its own ``/api/v1/health``, in one run on one server (issue #4).

For each dataset size: start ``intimacy-graph serve`` over the generated store, wait until it
has settled (the concept index is built), then ``--repeats`` times run each endpoint for
``--duration`` seconds at ``--concurrency`` (endpoints in a rotating order): ``health``,
``card`` (``/api/v1/concepts/{slug}``, 256 slugs, each asked for once before: from the card
cache), ``search`` (``/api/v1/search?q=``, 256 phrases), ``suggest``
(``/api/v1/suggest?q=``, 256 prefixes) and ``sparql_ask`` (``ASK {}`` on ``/sparql``: the
per-request cost of the SPARQL route, issue #3). Then, one request at a time,
the same phrases through the search index and through a SPARQL ``CONTAINS`` scan over the
labels (``bench/queries/search_contains.rq``). Medians over the repeats, the ratios and the
verdict go to ``bench/results/<date>-api-<size>.json``. Then a second server with the card
cache switched off (``INTIMACY_GRAPH_CARD_CACHE_SIZE=0``) runs ``health`` and ``card`` the same
way, and ``search`` and ``suggest`` with their per-index-version answer caches off
(``INTIMACY_GRAPH_SEARCH_MEMO_SIZE=0``): every card computed from the store and every search
ranked afresh, as for what nobody asked for since the last write.

With ``wrk`` installed (Debian package ``wrk``) the GET endpoints are driven by it (C, one
thread per core, a Lua script cycling through the URLs); ``--client python`` uses the httpx
generator instead, which spends more CPU per request than the cheap routes and so compresses
every ratio towards 1.

``--src DIR`` serves the package found in ``DIR`` (``PYTHONPATH``), to measure another version
of the code in the same way (``--label`` names the result file). Datasets come from
``bench/generate.py``; an existing one is reused even when its fingerprint is stale
(``--regenerate`` forces a fresh one), and the staleness is recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench import generate, loadgen, peers, querymix, wrkload
from bench.run import machine, median, portable_config

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent
ENDPOINTS = ("health", "card", "search", "suggest", "sparql_ask")
UNCACHED = ("health", "card", "search", "suggest")
NO_CACHES = {"INTIMACY_GRAPH_CARD_CACHE_SIZE": "0", "INTIMACY_GRAPH_SEARCH_MEMO_SIZE": "0"}


async def run_get(
    urls: Sequence[str],
    *,
    concurrency: int,
    duration_s: float | None = None,
    requests: int | None = None,
    timeout_s: float = 120.0,
) -> loadgen.LoadResult:
    """GET ``urls`` round-robin with ``concurrency`` tasks until ``requests`` or ``duration_s``
    (both bounded, as in :func:`bench.loadgen.run_load`); loopback only."""
    for url in urls[:1]:
        loadgen.check_loopback(url)
    if not urls or concurrency < 1:
        raise ValueError("need URLs and a concurrency of at least 1")
    cap = min(requests if requests is not None else loadgen.MAX_REQUESTS, loadgen.MAX_REQUESTS)
    window = min(duration_s or loadgen.MAX_DURATION_S, loadgen.MAX_DURATION_S)
    result = loadgen.LoadResult(urls[0], concurrency)
    issued = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        timeout=timeout_s, limits=limits, trust_env=False, follow_redirects=False
    ) as client:
        started = time.perf_counter()
        deadline = started + window

        async def worker() -> None:
            nonlocal issued
            while issued < cap and time.perf_counter() < deadline:
                url = urls[issued % len(urls)]
                issued += 1
                sent = time.perf_counter()
                try:
                    response = await client.get(url, headers={"Accept": "application/json"})
                    data = response.content
                except httpx.HTTPError as exc:
                    result.errors += 1
                    if len(result.error_samples) < 5:
                        result.error_samples.append(f"{type(exc).__name__}: {exc}")
                    continue
                latency = time.perf_counter() - sent
                if response.status_code == 200:
                    result.requests += 1
                    result.latencies.append(latency)
                    result.bytes_received += len(data)
                else:
                    result.errors += 1
                    if len(result.error_samples) < 5:
                        result.error_samples.append(f"HTTP {response.status_code}: {url}")

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.elapsed_s = time.perf_counter() - started
    return result


def _unquote_literal(n3: str) -> str:
    return n3.split('"')[1] if '"' in n3 else n3


def workload(base: str, params: dict[str, Any]) -> dict[str, list[str]]:
    """The URLs each endpoint cycles through, from the dataset's drawn values."""
    slugs = [b["concept"].strip("<>").rsplit("/", 1)[-1] for b in params["concept_card"]]
    phrases = [_unquote_literal(b["needle"]) for b in params["search_contains"]]
    labels = [_unquote_literal(b["label"]) for b in params["lookup_label"]]
    prefixes = [label[: 3 + i % 4].lower() for i, label in enumerate(labels)]
    return {
        "health": [f"{base}/api/v1/health"],
        "card": [f"{base}/api/v1/concepts/{quote(s)}" for s in slugs],
        "search": [f"{base}/api/v1/search?q={quote(p)}" for p in phrases],
        "suggest": [f"{base}/api/v1/suggest?q={quote(p)}" for p in prefixes],
    }


def server_store(data: generate.BenchData) -> Path:
    """A copy of the generated store for this bench (hard links), so that other benches can
    serve the original at the same time (RocksDB allows one opener per folder)."""
    return peers._store_copy(data, "store-api")


def start_server(
    data: generate.BenchData, logs: Path, src: Path | None, extra_env: dict[str, str] | None = None
) -> peers.Peer:
    """``intimacy-graph serve`` over a copy of ``data``'s store on a free loopback port,
    settled."""
    env = {**(extra_env or {}), **({"PYTHONPATH": str(src)} if src else {})}
    log = logs / "api-bench-ours.log"
    process, port, started = peers.spawn_ours(["--store", str(server_store(data))], log, env)
    url = f"http://127.0.0.1:{port}"
    peer = peers.Peer("ours", url, process, log)
    try:
        peer.ready_s = peers.wait_ready(url + "/sparql", process, log, 1800.0) - started
        peer.settled_s = max(peer.ready_s, peers.wait_settled(process.pid, started))
        peer.idle = peer.memory()
    except BaseException:
        peer.stop()
        raise
    return peer


def search_vs_contains(
    base: str, params: dict[str, Any], n_index: int, n_scan: int, timeout_s: float
) -> dict[str, Any]:
    """One request at a time: the same phrases through ``/api/v1/search`` and through a SPARQL
    ``CONTAINS`` scan over the labels; median latencies and their ratio."""
    query = next(q for q in querymix.load_queries() if q.name == "search_contains")
    texts = querymix.texts(query, params)
    phrases = [_unquote_literal(b["needle"]) for b in params["search_contains"]]
    scan = asyncio.run(
        loadgen.run_load(
            base + "/sparql", texts, concurrency=1, requests=n_scan, timeout_s=timeout_s
        )
    )
    urls = [f"{base}/api/v1/search?q={quote(p)}" for p in phrases]
    index = asyncio.run(run_get(urls, concurrency=1, requests=n_index, timeout_s=timeout_s))
    out = {
        "requests": {"index": index.requests, "scan": scan.requests},
        "errors": {"index": index.errors, "scan": scan.errors},
        "index_p50_ms": index.pct(50) * 1000,
        "scan_p50_ms": scan.pct(50) * 1000,
        "index_p99_ms": index.pct(99) * 1000,
        "scan_p99_ms": scan.pct(99) * 1000,
    }
    out["speedup_p50"] = out["scan_p50_ms"] / out["index_p50_ms"]
    return out


def measure(
    peer: peers.Peer,
    urls: dict[str, list[str]],
    names: Sequence[str],
    args: argparse.Namespace,
    log: Any,
) -> dict[str, Any]:
    """``args.repeats`` rounds of every endpoint in ``names`` (rotating order); medians."""
    runs: dict[str, list[dict[str, Any]]] = {e: [] for e in names}
    for rep in range(args.repeats):
        order = list(names[rep % len(names) :]) + list(names[: rep % len(names)])
        for name in order:
            cpu = peer.cpu_s()
            if name == "sparql_ask":  # a POST: the SPARQL load generator
                summary: dict[str, Any] = asyncio.run(
                    loadgen.run_load(
                        peer.url + "/sparql",
                        ["ASK {}"],
                        concurrency=args.concurrency,
                        duration_s=args.duration,
                        timeout_s=args.timeout,
                    )
                ).summary()
            elif args.client == "wrk":
                summary = wrkload.run_get(
                    urls[name],
                    concurrency=args.concurrency,
                    duration_s=args.duration,
                    timeout_s=args.timeout,
                    threads=min(args.concurrency, os.cpu_count() or 1),
                ).summary()
            else:
                summary = asyncio.run(
                    run_get(
                        urls[name],
                        concurrency=args.concurrency,
                        duration_s=args.duration,
                        timeout_s=args.timeout,
                    )
                ).summary()
            done = max(int(summary["requests"]) + int(summary["errors"]), 1)
            summary["server_cpu_ms_per_request"] = (peer.cpu_s() - cpu) / done * 1000
            runs[name].append(summary)
        log(f"  repeat {rep + 1}/{args.repeats} done")
    return {
        name: {
            "throughput_rps": median([s["throughput_rps"] for s in summaries]),
            "p50_ms": median([s["p50_ms"] for s in summaries]),
            "p99_ms": median([s["p99_ms"] for s in summaries]),
            "server_cpu_ms": median([s["server_cpu_ms_per_request"] for s in summaries]),
            "errors": sum(s["errors"] for s in summaries),
            "repeats": summaries,
        }
        for name, summaries in runs.items()
    }


def run_size(data: generate.BenchData, args: argparse.Namespace, log: Any) -> dict[str, Any]:
    params = data.params
    peer = start_server(data, data.root / "logs", args.src)
    log(f"  ready in {peer.ready_s:.2f}s, settled in {peer.settled_s:.2f}s")
    result: dict[str, Any] = {"server": {"ready_s": peer.ready_s, "settled_s": peer.settled_s}}
    try:
        base = peer.url
        urls = workload(base, params)
        for name, batch in urls.items():  # every URL answers 200 before the load
            bad = [u for u in batch[:20] if httpx.get(u, timeout=args.timeout).status_code != 200]
            if bad:
                raise SystemExit(f"{name}: not 200 for {bad[:3]}")
        # "card" measures cards served from the card cache: ask for each once first (the
        # cards computed from the store are measured below, on a server without the cache)
        for url in urls["card"]:
            httpx.get(url, timeout=args.timeout).raise_for_status()
        result["endpoints"] = measure(peer, urls, ENDPOINTS, args, log)
        n_scan = args.scan_requests or (40 if data.n_concepts < 50_000 else 12)
        result["search_vs_contains"] = search_vs_contains(
            base, params, args.index_requests, n_scan, args.timeout
        )
        result["server"]["peak_after_rss_mb"] = peer.memory().rss_mb
    finally:
        peer.stop()
    log("  card cache and search-answer caches off:")
    peer = start_server(data, data.root / "logs", args.src, NO_CACHES)
    try:
        result["endpoints_uncached"] = measure(
            peer, workload(peer.url, params), UNCACHED, args, log
        )
    finally:
        peer.stop()
    result["ratios"] = ratios(result)
    result["targets"] = targets(result)
    return result


def ratios(result: dict[str, Any]) -> dict[str, float]:
    e, u = result["endpoints"], result["endpoints_uncached"]
    h = e["health"]
    return {
        "card_throughput_vs_health": e["card"]["throughput_rps"] / h["throughput_rps"],
        "card_p99_vs_health": e["card"]["p99_ms"] / h["p99_ms"],
        "uncached_card_throughput_vs_health": u["card"]["throughput_rps"]
        / u["health"]["throughput_rps"],
        "uncached_card_p99_vs_health": u["card"]["p99_ms"] / u["health"]["p99_ms"],
        "uncached_search_p99_vs_health": u["search"]["p99_ms"] / u["health"]["p99_ms"],
        "uncached_suggest_p99_vs_health": u["suggest"]["p99_ms"] / u["health"]["p99_ms"],
        "search_p99_vs_health": e["search"]["p99_ms"] / h["p99_ms"],
        "suggest_p99_vs_health": e["suggest"]["p99_ms"] / h["p99_ms"],
        "search_index_speedup_vs_contains": result["search_vs_contains"]["speedup_p50"],
    }


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    r = result["ratios"]
    goals = [
        ("card throughput vs health", "card_throughput_vs_health", ">= 0.6x", lambda v: v >= 0.6),
        ("card p99 vs health", "card_p99_vs_health", "<= 3x", lambda v: v <= 3),
        (
            "uncached card throughput vs health",
            "uncached_card_throughput_vs_health",
            ">= 0.6x",
            lambda v: v >= 0.6,
        ),
        ("uncached card p99 vs health", "uncached_card_p99_vs_health", "<= 3x", lambda v: v <= 3),
        ("search p99 vs health", "search_p99_vs_health", "<= 2x", lambda v: v <= 2),
        ("suggest p99 vs health", "suggest_p99_vs_health", "<= 2x", lambda v: v <= 2),
        (
            "uncached search p99 vs health",
            "uncached_search_p99_vs_health",
            "<= 2x",
            lambda v: v <= 2,
        ),
        (
            "uncached suggest p99 vs health",
            "uncached_suggest_p99_vs_health",
            "<= 2x",
            lambda v: v <= 2,
        ),
        (
            "search index vs SPARQL CONTAINS (p50)",
            "search_index_speedup_vs_contains",
            ">= 25x",
            lambda v: v >= 25,
        ),
    ]
    return [
        {"target": name, "value": r[key], "goal": goal, "met": bool(test(r[key]))}
        for name, key, goal, test in goals
    ]


def table(result: dict[str, Any]) -> str:
    lines = [f"{'endpoint':20} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'CPU ms/req':>11} err"]
    rows = [*result["endpoints"].items()]
    rows += [(f"{k} (no cache)", v) for k, v in result["endpoints_uncached"].items()]
    for name, s in rows:
        lines.append(
            f"{name:20} {s['throughput_rps']:9.1f} {s['p50_ms']:9.2f} {s['p99_ms']:9.2f} "
            f"{s['server_cpu_ms']:11.3f} {s['errors']}"
        )
    c = result["search_vs_contains"]
    lines.append(
        f"search index p50 {c['index_p50_ms']:.2f} ms vs SPARQL CONTAINS p50 "
        f"{c['scan_p50_ms']:.1f} ms: {c['speedup_p50']:.0f}x"
    )
    for t in result["targets"]:
        lines.append(
            f"  {'MET' if t['met'] else 'MISSED':7} {t['target']}: {t['value']:.3g} "
            f"(goal {t['goal']})"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1k", help="comma-separated: 1k,10k,100k or numbers")
    parser.add_argument("--concurrency", "-c", type=int, default=8)
    parser.add_argument("--duration", "-d", type=float, default=3.0)
    parser.add_argument("--repeats", "-r", type=int, default=3)
    parser.add_argument("--index-requests", type=int, default=256)
    parser.add_argument("--scan-requests", type=int, default=0, help="default 40 (12 at 100k)")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument(
        "--client",
        choices=("wrk", "python"),
        default="wrk" if wrkload.available() else "python",
        help="load generator for the GET routes (default: wrk when installed)",
    )
    parser.add_argument("--src", type=Path, default=None, help="serve the package in DIR")
    parser.add_argument("--label", default="", help="suffix of the result file name")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    command = " ".join([Path(sys.executable).name, "bench/api_bench.py", *(argv or sys.argv[1:])])
    args.out.mkdir(parents=True, exist_ok=True)
    for size in args.sizes.split(","):
        n = generate.parse_size(size)
        data = generate.dataset(n, args.seed)
        manifest = data.manifest if data.manifest_file.is_file() else {}
        if args.regenerate or not manifest.get("complete"):
            data = generate.ensure(n, args.seed, force=args.regenerate, log=print)
            manifest = data.manifest
        stale = manifest.get("fingerprint") != generate.fingerprint()
        print(
            f"== {data.label}: {manifest['counts']['concepts']:,} concepts, "
            f"{manifest['counts']['total']:,} quads{' (stale fingerprint)' if stale else ''}; "
            f"concurrency {args.concurrency}, {args.repeats} x {args.duration:g}s per endpoint",
            flush=True,
        )
        info = machine()
        started = time.time()
        result = run_size(data, args, lambda m: print(m, flush=True))
        result["dataset"] = {**manifest, "stale_fingerprint": stale}
        result["machine"] = {**info, "loadavg_end": os.getloadavg()}
        result["config"] = {**portable_config(args), "command": command}
        result["wall_s"] = round(time.time() - started, 1)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
        label = f"-{args.label}" if args.label else ""
        path = args.out / f"{stamp}-api-{data.label}{label}.json"
        path.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
        print(table(result))
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
