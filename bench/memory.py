"""Ready time and memory of ``intimacy-graph serve`` (issue #3: ready < 1 s and ≤ 400 MB at 100k).

1. ``--starts`` times: start ``python -m intimacy_graph.cli serve`` over a copy of the
   dataset's store (hard links, ``store-memory/``) on a free 127.0.0.1 port and time process
   start → first SPARQL answer (``ASK``; also the CPU the process tree used until then, the
   steadier figure on a shared machine, and — just before — the same for ``bench/raw_app.py``,
   the engine's floor, as a reference), then → the concept index answering
   (``/api/v1/suggest`` stops saying 503), then → settled (the process tree's CPU goes quiet);
   record RSS and PSS of every process of the tree once settled. Medians over the starts.
2. On the last server, ``--load-s`` seconds of the benchmark's query mix (``bench/queries/*.rq``
   with the dataset's drawn values, every query type interleaved) at ``--concurrency``, RSS
   and PSS of each process sampled every 0.5 s; the peak total is kept with its breakdown.
3. The same server idle again (settled after the load): what stays.

Writes ``bench/results/<UTC date-time>-memory-<size>.json``.

Usage: ``python bench/memory.py [--size 100k] [--starts 3] [--load-s 20] [--concurrency 8]``.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import json
import os
import shutil
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import psutil
import pyoxigraph as ox

from bench import generate, loadgen, peers, querymix
from bench.run import machine, median

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent
BUDGET_MB = 400.0
READY_GOAL_S = 1.0


def store_copy(data: generate.BenchData, name: str = "store-memory") -> Path:
    """A fresh hard-linked copy of the dataset's store, private to this bench (RocksDB allows
    one opener per folder; other benches may serve the original or their own copies)."""
    target = data.root / name
    shutil.rmtree(target, ignore_errors=True)
    shutil.rmtree(target.with_name(target.name + ".snapshots"), ignore_errors=True)
    source = ox.Store.read_only(str(data.store))
    try:
        source.backup(str(target))
    finally:
        del source
    return target


def role(proc: psutil.Process, root: int) -> str:
    """What a process of the server's tree is: main, worker or multiprocessing's helper."""
    if proc.pid == root:
        return "main"
    with contextlib.suppress(psutil.Error):
        line = " ".join(proc.cmdline())
        if "resource_tracker" in line:
            return "resource-tracker"
        if "multiprocessing" in line or "spawn_main" in line:
            return "worker"
    return "other"


def breakdown(pid: int) -> dict[str, Any]:
    """RSS and PSS (MB) of each process in the tree rooted at ``pid``, and their sums."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return {"rss_mb": 0.0, "pss_mb": 0.0, "processes": []}
    rows = []
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            full = proc.memory_full_info()
            rows.append(
                {
                    "pid": proc.pid,
                    "role": role(proc, pid),
                    "rss_mb": round(full.rss / 2**20, 1),
                    "pss_mb": round(getattr(full, "pss", 0) / 2**20, 1),
                    "uss_mb": round(getattr(full, "uss", 0) / 2**20, 1),
                }
            )
    return {
        "rss_mb": round(sum(r["rss_mb"] for r in rows), 1),
        "pss_mb": round(sum(r["pss_mb"] for r in rows), 1),
        "processes": rows,
    }


def wait_index(base: str, process: Any, timeout_s: float) -> float:
    """Poll ``/api/v1/suggest`` until the concept index answers (not 503); the time then."""
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=10.0, trust_env=False, follow_redirects=False) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise peers.PeerError(f"server exited with {process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if client.get(base + "/api/v1/suggest", params={"q": "a"}).status_code == 200:
                    return time.monotonic()
            time.sleep(0.05)
    raise peers.PeerError(f"concept index not ready after {timeout_s:.0f}s")


def start(store: Path, logs: Path, workers: int | None) -> tuple[peers.Peer, dict[str, Any]]:
    """Start one server; time it to its first SPARQL answer, to its index, to settled."""
    more = ["--workers", str(workers)] if workers is not None else []
    log = logs / "memory-ours.log"
    process, port, started = peers.spawn_ours(["--store", str(store), *more], log)
    base = f"http://127.0.0.1:{port}"
    peer = peers.Peer("ours", base, process, log)
    try:
        peer.ready_s = peers.wait_ready(base + "/sparql", process, log, 600.0) - started
        ready_cpu_s = peer.cpu_s()
        index_s = wait_index(base, process, 600.0) - started
        peer.settled_s = max(index_s, peers.wait_settled(process.pid, started))
        idle = breakdown(process.pid)
    except BaseException:
        peer.stop()
        raise
    return peer, {
        "ready_s": round(peer.ready_s, 3),
        "ready_cpu_s": round(ready_cpu_s, 3),
        "index_ready_s": round(index_s, 3),
        "settled_s": round(peer.settled_s, 3),
        "idle": idle,
    }


def start_raw(store: Path, logs: Path) -> float:
    """The reference: ``bench/raw_app.py`` (FastAPI + pyoxigraph, nothing else) over its own
    copy of the store; seconds from process start to its first SPARQL answer."""
    port = peers.free_port()
    command = [sys.executable, str(ROOT / "bench" / "raw_app.py"), "--store", str(store)]
    command += ["--port", str(port)]
    log = logs / "memory-raw.log"
    started = time.monotonic()
    process = peers._spawn(command, log, cwd=ROOT)
    peer = peers.Peer("raw-pyoxigraph", f"http://127.0.0.1:{port}", process, log)
    try:
        return peers.wait_ready(peer.url + "/sparql", process, log, 600.0) - started
    finally:
        peer.stop()


def mix(data: generate.BenchData) -> list[str]:
    """Every query type's texts, interleaved (type 1 value 1, type 2 value 1, …)."""
    params = data.params
    per_type = [querymix.texts(q, params) for q in querymix.load_queries()]
    out = []
    for i in range(max(len(t) for t in per_type)):
        out += [t[i] for t in per_type if i < len(t)]
    return out


def under_load(
    peer: peers.Peer, texts: list[str], seconds: float, concurrency: int
) -> dict[str, Any]:
    """Run the mix; sample each process's memory every 0.5 s; keep the peak total."""
    peak: dict[str, Any] = {"rss_mb": 0.0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            now = breakdown(peer.process.pid)
            if now["rss_mb"] > peak["rss_mb"]:
                peak.clear()
                peak.update(now)
            stop.wait(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    cpu_before = peer.cpu_s()
    sampler.start()
    try:
        result = asyncio.run(
            loadgen.run_load(
                peer.url + "/sparql",
                texts,
                concurrency=concurrency,
                duration_s=seconds,
                timeout_s=120.0,
            )
        )
    finally:
        stop.set()
        sampler.join(timeout=10)
    end = breakdown(peer.process.pid)
    summary = result.summary()
    summary["server_cpu_ms_per_req"] = round(
        (peer.cpu_s() - cpu_before) * 1000 / max(1, result.requests), 2
    )
    return {"load": summary, "peak": peak, "at_end": end}


def run(args: argparse.Namespace) -> dict[str, Any]:
    data = generate.dataset(generate.parse_size(args.size))
    if not data.store.exists():
        raise SystemExit(f"no dataset at {data.root}; run bench/generate.py --concepts {args.size}")
    logs = data.root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    if args.precompile:  # as an installed package has (this shell may set DONTWRITEBYTECODE)
        compileall.compile_dir(str(ROOT / "src"), quiet=1)
    store = store_copy(data)
    result: dict[str, Any] = {
        "what": "intimacy-graph serve: ready time and memory (issue #3)",
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "size": data.label,
        "machine": machine(),
        "started_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "starts": [],
        "bytecode": "precompiled (compileall)" if args.precompile else "as found",
        "pythondontwritebytecode": os.environ.get("PYTHONDONTWRITEBYTECODE"),
    }
    peer = None
    try:
        for i in range(args.starts):
            if args.reference:  # the engine's floor, started just before ours
                raw = store_copy(data, "store-memory-raw")
                facts_raw = round(start_raw(raw, logs), 3)
                shutil.rmtree(raw, ignore_errors=True)
            peer, facts = start(store, logs, args.workers)
            if args.reference:
                facts["raw_ready_s"] = facts_raw
            result["starts"].append(facts)
            raw_s = facts.get("raw_ready_s", float("nan"))
            print(
                f"start {i + 1}: ready {facts['ready_s']:.2f} s (CPU {facts['ready_cpu_s']:.2f}"
                f" s; raw_app {raw_s:.2f} s), index {facts['index_ready_s']:.2f} s, settled"
                f" {facts['settled_s']:.1f} s, idle RSS {facts['idle']['rss_mb']:.0f} MB"
                f" (PSS {facts['idle']['pss_mb']:.0f})",
                flush=True,
            )
            if i < args.starts - 1:
                peer.stop()
                peer = None
        assert peer is not None
        if args.load_s > 0:
            loaded = under_load(peer, mix(data), args.load_s, args.concurrency)
            result["under_load"] = loaded
            print(
                f"load: {loaded['load']['requests']} requests ({loaded['load']['errors']} errors),"
                f" peak RSS {loaded['peak']['rss_mb']:.0f} MB (PSS {loaded['peak']['pss_mb']:.0f})",
                flush=True,
            )
            peers.wait_settled(peer.process.pid, time.monotonic())
            result["idle_after_load"] = breakdown(peer.process.pid)
    finally:
        if peer is not None:
            peer.stop()
        shutil.rmtree(store, ignore_errors=True)
        shutil.rmtree(store.with_name(store.name + ".snapshots"), ignore_errors=True)
    starts = result["starts"]
    summary = {
        "ready_s_median": round(median([s["ready_s"] for s in starts]), 3),
        "index_ready_s_median": round(median([s["index_ready_s"] for s in starts]), 3),
        "ready_cpu_s_median": round(median([s["ready_cpu_s"] for s in starts]), 3),
        "settled_s_median": round(median([s["settled_s"] for s in starts]), 3),
        "idle_rss_mb_median": round(median([s["idle"]["rss_mb"] for s in starts]), 1),
        "idle_pss_mb_median": round(median([s["idle"]["pss_mb"] for s in starts]), 1),
    }
    if "under_load" in result:
        summary["peak_rss_mb"] = result["under_load"]["peak"]["rss_mb"]
        summary["peak_pss_mb"] = result["under_load"]["peak"].get("pss_mb")
        summary["idle_after_load_rss_mb"] = result["idle_after_load"]["rss_mb"]
    if args.reference:
        summary["raw_ready_s_median"] = round(median([s["raw_ready_s"] for s in starts]), 3)
    summary["ready_goal_met"] = summary["ready_s_median"] < READY_GOAL_S
    summary["memory_goal_met_idle"] = summary["idle_rss_mb_median"] <= BUDGET_MB
    if "peak_rss_mb" in summary:
        summary["memory_goal_met_under_load"] = summary["peak_rss_mb"] <= BUDGET_MB
    result["summary"] = summary
    result["machine"]["loadavg_end"] = list(os.getloadavg())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="100k", help="1k, 10k, 100k or a number of concepts")
    parser.add_argument("--starts", type=int, default=3, help="server starts (ready time)")
    parser.add_argument("--load-s", type=float, default=20.0, help="seconds of load (0: none)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=None, help="SPARQL workers (default 2)")
    parser.add_argument(
        "--no-precompile",
        dest="precompile",
        action="store_false",
        help="do not byte-compile src/ first (every start then compiles it when "
        "PYTHONDONTWRITEBYTECODE is set)",
    )
    parser.add_argument(
        "--no-reference",
        dest="reference",
        action="store_false",
        help="do not time bench/raw_app.py's start before each of ours",
    )
    parser.add_argument("--out", type=Path, default=None, help="result file (default: results/)")
    args = parser.parse_args(argv)
    if not 1 <= args.starts <= 10 or not 0 <= args.load_s <= 600:
        parser.error("--starts must be 1–10 and --load-s 0–600")
    result = run(args)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    out = args.out or RESULTS / f"{stamp}-memory-{result['size']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result["summary"], indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
