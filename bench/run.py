"""``make bench``: our SPARQL server against its peers, same data, same run, same machine.

For each dataset size: generate (or reuse) the dataset; start every peer on 127.0.0.1 and
time it to its first answer (``--ready-repeats`` times; rdflib-endpoint, which re-parses the
data on each start, once) with its process-tree memory; check every peer returns the same
number of rows for each query type; then, ``--repeats`` times, run each query type against
each peer for ``--duration`` seconds at ``--concurrency`` (peers in a rotating order, so drift
on a noisy machine is shared), sampling peak memory. Medians over the repeats give the table,
the ratios (ours / peer) and the verdict against the targets; everything goes to
``bench/results/<date>-<size>.json``.

The load comes from ``wrk`` when it is installed (``bench/wrkload.py``: a C client that costs
a few microseconds per request, so it does not cap the servers; any non-2xx answer stops the
run), else from the Python generator ``bench/loadgen.py`` (``--client`` chooses). Defaults are a
quick run (1k concepts, concurrency 8, 3 × 3.4 s per query type per peer — wrk rounds to whole
seconds); ``--full`` runs 1k, 10k and 100k.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import generate, loadgen, peers, querymix, wrkload

RESULTS = Path(__file__).resolve().parent / "results"
OURS = "ours"
#: Not in the mix: ``ASK {}`` touches no data, so it measures each server's per-request cost.
OVERHEAD = "overhead_ask"
LOOKUPS = ("lookup_iri", "lookup_label")
CARD = "concept_card"


def portable_config(args: Any) -> dict[str, str]:
    """A run's arguments for its result file, paths inside the repository relative to it (no
    machine paths in committed results)."""
    root = RESULTS.parent.parent
    out: dict[str, str] = {}
    for key, value in vars(args).items():
        if isinstance(value, Path) and value.resolve().is_relative_to(root):
            value = value.resolve().relative_to(root).as_posix()
        out[key] = str(value)
    return out


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    free = subprocess.run(["free", "-h"], capture_output=True, text=True, check=False).stdout
    versions = {}
    for dist in ("pyoxigraph", "rdflib", "rdflib-endpoint", "fastapi", "uvicorn", "httpx"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[dist] = metadata.version(dist)
    if peers.available("virtuoso"):
        out = subprocess.run(
            [str(peers.VIRTUOSO), "-?"], capture_output=True, text=True, check=False
        )
        first = (out.stdout + out.stderr).strip().splitlines()
        versions["virtuoso"] = next((line for line in first if "Version" in line), "?")
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "free_h": free.strip(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "loadavg_start": os.getloadavg(),
    }


def load_data(n: int, seed: int, *, reuse_stale: bool, log: Any = print) -> generate.BenchData:
    """The cached dataset of ``n`` concepts; with ``reuse_stale``, a complete one is used even
    when the generator's inputs changed since (regenerating 100k takes minutes and reloads
    Virtuoso), and the result file says so."""
    data = generate.dataset(n, seed)
    if reuse_stale and data.manifest_file.is_file() and data.manifest.get("complete"):
        if data.manifest.get("fingerprint") != generate.fingerprint():
            log(f"{data.root.name}: reusing the cached dataset although its inputs changed")
        return data
    return generate.ensure(n, seed, log=log)


def median(values: list[float]) -> float:
    clean = [v for v in values if not math.isnan(v)]
    return statistics.median(clean) if clean else math.nan


def run_size(
    data: generate.BenchData, names: list[str], args: argparse.Namespace, log: Any
) -> dict[str, Any]:
    queries = querymix.load_queries()
    if args.queries:
        wanted = set(args.queries.split(","))
        queries = [q for q in queries if q.name in wanted]
    params = data.params
    texts = {q.name: querymix.texts(q, params) for q in queries}
    if not args.no_overhead:
        texts = {OVERHEAD: ["ASK {}"], **texts}
    logs = data.root / "logs"
    result: dict[str, Any] = {"dataset": data.manifest, "peers": {}, "queries": {}, "row_check": {}}
    with ExitStack() as stack:
        if "raw-pyoxigraph" in names:
            peers.raw_store(data)  # before `ours` opens the store
        if "virtuoso" in names:
            peers.prepare_virtuoso(data, logs, log)
        running: dict[str, peers.Peer] = {}
        for name in names:  # --- ready time and idle memory, one peer at a time
            repeats = 1 if name == "rdflib-endpoint" else args.ready_repeats
            readies, settles, idles = [], [], []
            for r in range(repeats):
                peer = peers.start(
                    name, data, logs, workers=args.workers, ready_timeout_s=args.ready_timeout
                )
                readies.append(peer.ready_s)
                settles.append(peer.settled_s)
                assert peer.idle is not None
                idles.append(peer.idle)
                if r < repeats - 1:
                    peer.stop()
            stack.callback(peer.stop)
            running[name] = peer
            result["peers"][name] = {
                "url": peer.url,
                "ready_s": readies,
                "ready_s_median": median(readies),
                "settled_s": settles,
                "settled_s_median": median(settles),
                "idle": [asdict(m) for m in idles],
                "idle_rss_mb_median": median([m.rss_mb for m in idles]),
                "idle_pss_mb_median": median([m.pss_mb or math.nan for m in idles]),
                "processes": idles[-1].processes,
                **peer.extra,
            }
            log(
                f"  {name:16} ready in {median(readies):6.2f}s, settled in "
                f"{median(settles):6.2f}s; idle RSS "
                f"{median([m.rss_mb for m in idles]):7.1f} MB ({idles[-1].processes} procs)"
            )
        for name, texts_ in texts.items():  # --- same answers everywhere (row counts)
            if name == OVERHEAD:
                continue
            counts = {p: loadgen.fetch_rows(running[p].url, texts_[0], args.timeout) for p in names}
            result["row_check"][name] = counts
            if len(set(counts.values())) > 1:
                log(f"  ROW COUNTS DIFFER for {name}: {counts}")
        peak: dict[str, float] = dict.fromkeys(names, 0.0)
        runs: dict[str, dict[str, list[dict[str, Any]]]] = {
            q: {p: [] for p in names} for q in texts
        }
        for rep in range(args.repeats):  # --- load
            for qi, (qname, qtexts) in enumerate(texts.items()):
                shift = (rep + qi) % len(names)
                for name in names[shift:] + names[:shift]:
                    peer = running[name]
                    server_cpu = peer.cpu_s()
                    with peers.MemorySampler(peer) as sampler:
                        summary, client_cpu = load(args, peer.url, qtexts)
                    server_cpu = peer.cpu_s() - server_cpu
                    peak[name] = max(peak[name], sampler.peak_mb)
                    done = max(summary["requests"] + summary["errors"], 1)
                    if summary["errors"] and args.client == "wrk":
                        raise LoadError(
                            f"{name} answered {summary['errors']} {qname} requests with an "
                            f"error: {summary['error_samples']}"
                        )
                    runs[qname][name].append(
                        {
                            **summary,
                            "server_cpu_ms_per_request": round(server_cpu / done * 1000, 4),
                            "client_cpu_ms_per_request": round(client_cpu / done * 1000, 4),
                        }
                    )
            log(f"  repeat {rep + 1}/{args.repeats} done")
        for name in names:
            result["peers"][name]["peak_rss_mb"] = peak[name]
            result["peers"][name]["after_rss_mb"] = running[name].memory().rss_mb
    for qname, by_peer in runs.items():
        result["queries"][qname] = {}
        for name, summaries in by_peer.items():
            result["queries"][qname][name] = {
                "throughput_rps": median([s["throughput_rps"] for s in summaries]),
                "p50_ms": median([s["p50_ms"] for s in summaries]),
                "p90_ms": median([s["p90_ms"] for s in summaries]),
                "p99_ms": median([s["p99_ms"] for s in summaries]),
                "server_cpu_ms": median([s["server_cpu_ms_per_request"] for s in summaries]),
                "client_cpu_ms": median([s["client_cpu_ms_per_request"] for s in summaries]),
                "requests": sum(s["requests"] for s in summaries),
                "errors": sum(s["errors"] for s in summaries),
                "repeats": summaries,
            }
    result["ratios"] = ratios(result, names)
    return result


class LoadError(RuntimeError):
    """A peer answered with errors under load (the wrk mode stops the run)."""


def load(args: argparse.Namespace, url: str, texts: list[str]) -> tuple[dict[str, Any], float]:
    """One load window with the chosen client: its summary and the client's CPU seconds."""
    if args.client == "wrk":
        outcome = wrkload.run_load(
            url,
            texts,
            concurrency=args.concurrency,
            duration_s=args.duration,
            timeout_s=args.timeout,
            threads=args.wrk_threads,
        )
        return outcome.summary(), outcome.client_cpu_s
    started = time.process_time()
    result = asyncio.run(
        loadgen.run_load(
            url,
            texts,
            concurrency=args.concurrency,
            duration_s=args.duration,
            timeout_s=args.timeout,
        )
    )
    return {**result.summary(), "client": "httpx"}, time.process_time() - started


def ratios(result: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """ours / peer: throughput (higher is better for us) and p99 (lower is better)."""
    out: dict[str, Any] = {}
    if OURS not in names:
        return out
    for qname, by_peer in result["queries"].items():
        ours = by_peer[OURS]
        out[qname] = {}
        for name in names:
            if name == OURS:
                continue
            other = by_peer[name]
            out[qname][name] = {
                "throughput": _div(ours["throughput_rps"], other["throughput_rps"]),
                "p99": _div(ours["p99_ms"], other["p99_ms"]),
                # > 1 when a request costs our server less CPU than it costs the peer
                "cpu_efficiency": _div(other["server_cpu_ms"], ours["server_cpu_ms"]),
            }
    peers_ = result["peers"]
    out["ready"] = {
        n: _div(peers_[OURS]["ready_s_median"], peers_[n]["ready_s_median"])
        for n in names
        if n != OURS
    }
    out["idle_rss"] = {
        n: _div(peers_[OURS]["idle_rss_mb_median"], peers_[n]["idle_rss_mb_median"])
        for n in names
        if n != OURS
    }
    return out


def _div(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan


def targets(result: dict[str, Any], n_concepts: int) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured value and met / missed / not measured."""
    r = result.get("ratios", {})
    checks: list[dict[str, Any]] = []

    def add(name: str, value: float, goal: str, met: bool | None) -> None:
        checks.append(
            {
                "target": name,
                "value": value,
                "goal": goal,
                "met": None if value is None or math.isnan(value) else met,
            }
        )

    for q in LOOKUPS:
        if q not in r:
            continue
        for peer, minimum in (("rdflib-endpoint", 8.0), ("virtuoso", 2.0)):
            if peer in r[q]:
                v = r[q][peer]["throughput"]
                add(f"{q} throughput vs {peer}", v, f">= {minimum}x", v >= minimum)
        if "virtuoso" in r[q]:
            v = r[q]["virtuoso"]["p99"]
            add(f"{q} p99 vs virtuoso", v, "<= 0.5x", v <= 0.5)
    if CARD in r:
        for peer, minimum in (("rdflib-endpoint", 40.0), ("virtuoso", 1.5)):
            if peer in r[CARD]:
                v = r[CARD][peer]["throughput"]
                add(f"{CARD} throughput vs {peer}", v, f">= {minimum}x", v >= minimum)
    for q, by_peer in r.items():
        if q in ("ready", "idle_rss") or "raw-pyoxigraph" not in by_peer:
            continue
        v = by_peer["raw-pyoxigraph"]["throughput"]
        add(f"{q} throughput vs raw-pyoxigraph", v, ">= 0.7x", v >= 0.7)
    ours = result["peers"].get(OURS)
    if ours and n_concepts >= 100_000:
        add(
            "ready on a built 100k store",
            ours["ready_s_median"],
            "< 1 s",
            ours["ready_s_median"] < 1.0,
        )
        add(
            "memory at 100k (idle RSS, process tree)",
            ours["idle_rss_mb_median"],
            "<= 400 MB",
            ours["idle_rss_mb_median"] <= 400,
        )
        add(
            "memory at 100k (peak RSS under load)",
            ours["peak_rss_mb"],
            "<= 400 MB",
            ours["peak_rss_mb"] <= 400,
        )
    return checks


def table(result: dict[str, Any], names: list[str]) -> str:
    lines = []
    lines.append(
        f"{'peer':16} {'ready s':>8} {'settled s':>9} {'idle RSS MB':>12} {'idle PSS MB':>12} "
        f"{'peak RSS MB':>12} {'procs':>6}"
    )
    for name in names:
        p = result["peers"][name]
        lines.append(
            f"{name:16} {p['ready_s_median']:8.2f} {p['settled_s_median']:9.2f} "
            f"{p['idle_rss_mb_median']:12.1f} "
            f"{p['idle_pss_mb_median']:12.1f} {p['peak_rss_mb']:12.1f} "
            f"{p['processes']:6}"
        )
    lines.append("")
    lines.append(
        f"{'query':22} {'peer':16} {'req/s':>9} {'p50 ms':>9} {'p90 ms':>9} "
        f"{'p99 ms':>9} {'CPU ms/req':>10} {'client ms':>9} {'errors':>7} {'rows':>6}"
    )
    for qname, by_peer in result["queries"].items():
        for name in names:
            s = by_peer[name]
            rows = result["row_check"].get(qname, {}).get(name, "")
            lines.append(
                f"{qname:22} {name:16} {s['throughput_rps']:9.1f} {s['p50_ms']:9.2f} "
                f"{s['p90_ms']:9.2f} {s['p99_ms']:9.2f} {s['server_cpu_ms']:10.3f} "
                f"{s['client_cpu_ms']:9.3f} {s['errors']:7} {rows:>6}"
            )
    if result.get("ratios"):
        others = [n for n in names if n != OURS]
        lines.append("")
        lines.append(
            "ours vs peer: throughput ours/peer (higher is better) / p99 ours/peer (lower is "
            "better) / server CPU per request peer/ours (higher is better)"
        )
        lines.append(f"{'query':22} " + " ".join(f"{n:>26}" for n in others))
        for qname in result["queries"]:
            cells = []
            for n in others:
                c = result["ratios"][qname][n]
                cells.append(f"{c['throughput']:6.2f} /{c['p99']:6.2f} /{c['cpu_efficiency']:6.2f}")
            lines.append(f"{qname:22} " + " ".join(f"{c:>26}" for c in cells))
        lines.append(
            f"{'ready time':22} "
            + " ".join(f"{result['ratios']['ready'][n]:>25.2f}x" for n in others)
        )
        lines.append(
            f"{'idle RSS':22} "
            + " ".join(f"{result['ratios']['idle_rss'][n]:>25.2f}x" for n in others)
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1k", help="comma-separated: 1k,10k,100k or numbers")
    parser.add_argument("--full", action="store_true", help="sizes 1k,10k,100k")
    parser.add_argument(
        "--peers",
        default=",".join(peers.PEERS),
        help="comma-separated subset of: " + ", ".join(peers.PEERS),
    )
    parser.add_argument("--concurrency", "-c", type=int, default=8)
    parser.add_argument(
        "--duration",
        "-d",
        type=float,
        default=3.4,
        help="seconds per query type per peer per repeat (default 3.4)",
    )
    parser.add_argument("--repeats", "-r", type=int, default=3)
    parser.add_argument("--ready-repeats", type=int, default=3)
    parser.add_argument("--ready-timeout", type=float, default=1800.0)
    parser.add_argument("--timeout", type=float, default=120.0, help="per request, seconds")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="our server's SPARQL workers (default: the server's default)",
    )
    parser.add_argument(
        "--client",
        choices=("auto", "wrk", "httpx"),
        default="auto",
        help="load generator: wrk (C; durations round to whole seconds; any non-2xx answer "
        "stops the run), httpx (bench/loadgen.py), auto = wrk when installed (default)",
    )
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk -t (1 or 2)")
    parser.add_argument("--queries", default="", help="comma-separated subset of the mix")
    parser.add_argument("--no-overhead", action="store_true", help="skip the ASK {} probe")
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument(
        "--reuse-stale",
        action="store_true",
        help="use a complete cached dataset even if the generator's inputs changed since",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    def stop(signum: int, _frame: object) -> None:  # SIGTERM → unwind, stopping every peer
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    if args.client == "auto":
        args.client = "wrk" if wrkload.available() else "httpx"
        if args.client == "httpx":
            print("wrk not found: using the Python load generator", file=sys.stderr)
    sizes = ["1k", "10k", "100k"] if args.full else args.sizes.split(",")
    wanted = [p.strip() for p in args.peers.split(",") if p.strip()]
    names = [p for p in wanted if peers.available(p)]
    for p in set(wanted) - set(names):
        print(f"skipping {p}: not installed", file=sys.stderr)
    if OURS in names:  # ours first, so the ratios' numerator is always measured
        names = [OURS, *[n for n in names if n != OURS]]
    command = " ".join([Path(sys.executable).name, "bench/run.py", *(argv or sys.argv[1:])])

    def log(message: str) -> None:
        print(message, flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    for size in sizes:
        n = generate.parse_size(size)
        data = load_data(n, args.seed, reuse_stale=args.reuse_stale, log=log)
        counts = data.manifest["counts"]
        log(
            f"== {data.label}: {counts['concepts']:,} concepts, {counts['total']:,} quads; "
            f"peers: {', '.join(names)}; client {args.client}, concurrency {args.concurrency}, "
            f"{args.repeats} x {args.duration:g}s per query type per peer"
        )
        info = machine()
        started = time.time()
        result = run_size(data, names, args, log)
        result["machine"] = {**info, "loadavg_end": os.getloadavg()}
        result["config"] = {
            "command": command,
            "concurrency": args.concurrency,
            "client": args.client,
            "wrk_threads": args.wrk_threads if args.client == "wrk" else None,
            "duration_s": round(args.duration) if args.client == "wrk" else args.duration,
            "repeats": args.repeats,
            "ready_repeats": args.ready_repeats,
            "timeout_s": args.timeout,
            "workers": args.workers,
            "seed": args.seed,
            "peers": names,
            "values_per_query": querymix.PER_QUERY,
            "dataset_current": data.manifest.get("fingerprint") == generate.fingerprint(),
        }
        result["targets"] = targets(result, n)
        result["wall_s"] = round(time.time() - started, 1)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
        path = args.out / f"{stamp}-{data.label}.json"
        path.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
        print()
        print(table(result, names))
        print()
        for check in result["targets"]:
            verdict = {True: "MET", False: "MISSED", None: "n/a"}[check["met"]]
            print(f"  {verdict:7} {check['target']}: {check['value']:.3g} (goal {check['goal']})")
        print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
