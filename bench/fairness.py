"""Fairness under load: cheap requests from one client keep their latency while another client
floods the server with expensive SPARQL queries — with and without per-client rate limits.

Three phases against our real server (``intimacy-graph serve`` on 127.0.0.1, bundled notes):

1. ``alone`` — client B alone: concept cards (``GET /api/v1/concepts/{slug}``), one at a time;
2. ``flood, no limits`` — B again while client A (its own API key, so its own budget) sends an
   expensive query from ``concurrency`` tasks without pause, ignoring ``Retry-After``;
3. ``flood, limits on`` — the same, with the rate limiter on (an expensive budget per client:
   ``--rate`` per second, ``--burst``, at most ``--in-flight`` at once).

Reports B's p50/p99 per phase and the ratio p99(flood)/p99(alone) without and with limits,
plus what happened to A (answered, refused with 429). Every phase is bounded by ``--seconds``.

Usage: ``python bench/fairness.py [--seconds 10] [--concurrency 4] [--out bench/results/…]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench.loadgen import check_loopback

ROOT = Path(__file__).resolve().parent.parent
#: A two-way cross product with a string filter: hundreds of ms to seconds of engine time.
EXPENSIVE = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f "
    "FILTER(STRLEN(STR(?c)) > STRLEN(STR(?f))) }"
)
SLUGS = ["trust", "emotional-intimacy", "vulnerability", "empathy", "love", "attachment"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    """``intimacy-graph serve`` in its own process group, stopped on exit."""

    def __init__(self, store: Path, env: dict[str, str]) -> None:
        from intimacy_graph.config import Settings
        from intimacy_graph.keys import KeyRing, Role

        self.key, _ = KeyRing(Settings(store_path=store).keys_file).create(Role.READER, "bench")
        port = free_port()
        self.url = check_loopback(f"http://127.0.0.1:{port}")
        self.log = store.with_name(f"serve-{port}.log")
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    *[sys.executable, "-m", "intimacy_graph.cli", "serve"],
                    *["--host", "127.0.0.1", "--port", str(port), "--store", str(store)],
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **env},
                start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.log.read_text())
            try:
                if httpx.get(self.url + "/api/v1/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("the server did not become ready")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def cheap_client(url: str, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
        i = 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            r = await client.get(f"{url}/api/v1/concepts/{SLUGS[i % len(SLUGS)]}")
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[r.status_code] += 1
            i += 1
    return {
        "requests": len(latencies),
        "statuses": dict(statuses),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
    }


async def flood(url: str, key: str, seconds: float, concurrency: int) -> dict[str, Any]:
    statuses: Counter[int] = Counter()
    deadline = time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/sparql-results+json"}

    async def task(client: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            r = await client.post(f"{url}/sparql", data={"query": EXPENSIVE}, headers=headers)
            statuses[r.status_code] += 1

    async with httpx.AsyncClient(timeout=60, trust_env=False) as client:
        await asyncio.gather(*(task(client) for _ in range(concurrency)))
    return {"statuses": dict(statuses), "requests": sum(statuses.values())}


async def phase(served: Served, seconds: float, concurrency: int, loaded: bool) -> dict[str, Any]:
    if not loaded:
        return {"cheap": await cheap_client(served.url, seconds)}
    cheap, heavy = await asyncio.gather(
        cheap_client(served.url, seconds), flood(served.url, served.key, seconds, concurrency)
    )
    return {"cheap": cheap, "expensive": heavy}


def run(
    seconds: float, concurrency: int, rate: float, burst: int, in_flight: int
) -> dict[str, Any]:
    limits_off = {
        "INTIMACY_GRAPH_RATE_LIMIT_EXPENSIVE_PER_S": "0",
        "INTIMACY_GRAPH_RATE_LIMIT_CHEAP_PER_S": "0",
    }
    limits_on = {
        "INTIMACY_GRAPH_RATE_LIMIT_EXPENSIVE_PER_S": str(rate),
        "INTIMACY_GRAPH_RATE_LIMIT_EXPENSIVE_BURST": str(burst),
        "INTIMACY_GRAPH_RATE_LIMIT_EXPENSIVE_CONCURRENCY": str(in_flight),
    }
    common = {"INTIMACY_GRAPH_QUERY_TIMEOUT_S": "5"}
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="fairness-") as tmp:
        store = Path(tmp) / "store"
        for name, env, loaded in (
            ("alone", limits_off, False),
            ("flood, no limits", limits_off, True),
            ("flood, limits on", limits_on, True),
        ):
            served = Served(store, {**common, **env})
            try:
                asyncio.run(phase(served, 2, concurrency, False))  # warm up the caches
                results[name] = asyncio.run(phase(served, seconds, concurrency, loaded))
            finally:
                served.stop()
    alone = results["alone"]["cheap"]["p99_ms"]
    return {
        "seconds_per_phase": seconds,
        "flood_concurrency": concurrency,
        "expensive_budget": {"per_s": rate, "burst": burst, "in_flight": in_flight},
        "expensive_query": EXPENSIVE,
        "phases": results,
        "p99_ratio_no_limits": round(results["flood, no limits"]["cheap"]["p99_ms"] / alone, 2),
        "p99_ratio_limits_on": round(results["flood, limits on"]["cheap"]["p99_ms"] / alone, 2),
        "cpu_count": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rate", type=float, default=1.0, help="expensive requests/s (limits on)")
    parser.add_argument("--burst", type=int, default=2)
    parser.add_argument(
        "--in-flight", type=int, default=1, help="expensive requests per client at once"
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    report = run(
        min(args.seconds, 600.0),
        max(1, min(args.concurrency, 64)),
        args.rate,
        args.burst,
        args.in_flight,
    )
    text = json.dumps(report, indent=1)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
