"""Where does a request's CPU time go? CPU milliseconds per request, per server process.

Starts one peer at a time over a dataset, sends ``--requests`` copies of one query type
(concurrency ``--concurrency``) with the Python load generator — or, with ``--client wrk``,
sends the query type for ``--duration`` seconds with ``wrk`` — and divides each process's CPU
time (user + system, from psutil) by the number of requests; the load generator's own CPU per
request is shown too.
With ``--py-spy`` it also records a py-spy profile (``--gil``: only the thread holding the GIL,
so idle threads do not hide the work) of every process of the peer, to
``bench/.data/<dataset>/profiles/``.

Usage: ``python bench/cpu.py --query lookup_iri --peers ours,raw-pyoxigraph [--client wrk]
[--py-spy]``.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psutil

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import generate, loadgen, peers, querymix, wrkload
from bench.run import load_data


def cpu_seconds(procs: list[psutil.Process]) -> dict[int, float]:
    found = {}
    for proc in procs:
        try:
            t = proc.cpu_times()
            found[proc.pid] = t.user + t.system
        except psutil.NoSuchProcess:
            continue
    return found


def measure(
    peer: peers.Peer,
    texts: list[str],
    requests: int,
    concurrency: int,
    spy_dir: Path | None,
    *,
    client: str = "httpx",
    duration_s: float = 5.0,
) -> list[str]:
    root = psutil.Process(peer.process.pid)
    procs = [root, *root.children(recursive=True)]
    names = {p.pid: " ".join(p.cmdline()[1:4])[:60] for p in procs}
    spies = []
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if spy_dir is not None and Path(spy).exists():
        spy_dir.mkdir(parents=True, exist_ok=True)
        for proc in procs:
            out = spy_dir / f"{peer.name}-{proc.pid}.txt"
            spies.append(
                subprocess.Popen(
                    [
                        spy,
                        "record",
                        "--gil",
                        "-r",
                        "250",
                        "-f",
                        "raw",
                        "-o",
                        str(out),
                        "-p",
                        str(proc.pid),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        time.sleep(1.0)
    before = cpu_seconds(procs)
    client_before = time.process_time()
    result: loadgen.LoadResult | wrkload.WrkResult
    if client == "wrk":
        result = wrkload.run_load(peer.url, texts, concurrency=concurrency, duration_s=duration_s)
        client_cpu = result.client_cpu_s
    else:
        result = asyncio.run(
            loadgen.run_load(
                peer.url, texts, concurrency=concurrency, requests=requests, duration_s=600
            )
        )
        client_cpu = time.process_time() - client_before
    after = cpu_seconds(procs)
    for recorder in spies:
        recorder.send_signal(2)  # SIGINT: py-spy writes its profile and exits
        recorder.wait(timeout=30)
    n = max(result.requests, 1)
    p50 = result.summary()["p50_ms"]
    lines = [
        f"{peer.name}: {result.requests} requests ({client}), {result.throughput:.0f} req/s, "
        f"p50 {p50:.2f} ms, errors {result.errors}"
    ]
    total = 0.0
    for pid, start in before.items():
        used = after.get(pid, start) - start
        total += used
        lines.append(f"  {used / n * 1000:7.3f} ms CPU/request  pid {pid} {names[pid]}")
    lines.append(f"  {total / n * 1000:7.3f} ms CPU/request  server total")
    lines.append(f"  {client_cpu / n * 1000:7.3f} ms CPU/request  load generator ({client})")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concepts", "-n", default="1k")
    parser.add_argument("--query", default="lookup_iri", help="a query of the mix, or 'ask'")
    parser.add_argument("--peers", default="ours,raw-pyoxigraph")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", "-c", type=int, default=8)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--py-spy", action="store_true", help="record py-spy profiles")
    parser.add_argument(
        "--client",
        choices=("auto", "wrk", "httpx"),
        default="httpx",
        help="load generator: httpx (--requests), wrk (--duration), auto = wrk if installed",
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds, with wrk")
    parser.add_argument(
        "--reuse-stale",
        action="store_true",
        help="use a complete cached dataset even if the generator's inputs changed since",
    )
    args = parser.parse_args(argv)
    client = args.client
    if client == "auto":
        client = "wrk" if wrkload.available() else "httpx"
    data = load_data(
        generate.parse_size(args.concepts), generate.DEFAULT_SEED, reuse_stale=args.reuse_stale
    )
    if args.query == "ask":
        texts = ["ASK {}"]
    else:
        query = next(q for q in querymix.load_queries() if q.name == args.query)
        texts = querymix.texts(query, data.params)
    names = [p for p in args.peers.split(",") if p]
    if "raw-pyoxigraph" in names:
        peers.raw_store(data)
    for name in names:
        with peers.running(name, data, data.root / "logs", workers=args.workers) as peer:
            spy_dir = data.root / "profiles" if args.py_spy else None
            lines = measure(
                peer,
                texts,
                args.requests,
                args.concurrency,
                spy_dir,
                client=client,
                duration_s=args.duration,
            )
            for line in lines:
                print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
