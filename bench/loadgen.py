"""A bounded loopback HTTP load generator for SPARQL endpoints (asyncio + httpx).

``concurrency`` tasks send SPARQL queries (POST, ``application/x-www-form-urlencoded``,
``Accept: application/sparql-results+json``) to one endpoint, cycling through a list of query
texts, until ``requests`` have been sent or ``duration_s`` has passed — whichever comes first;
both always have a bound. Every latency is recorded (request sent → body read). Only
``http://127.0.0.1:<port>/…`` targets are accepted, redirects are never followed and proxy
settings from the environment are ignored, so load never leaves the machine.

Usage: ``python bench/loadgen.py --url http://127.0.0.1:8000/sparql --query-file q.rq
--concurrency 8 --duration 10``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

MAX_REQUESTS = 1_000_000  # hard cap, whatever the caller asks for
MAX_DURATION_S = 3_600.0
ACCEPT = "application/sparql-results+json"


class NotLoopbackError(ValueError):
    """The target is not ``http://127.0.0.1``."""


def check_loopback(url: str) -> str:
    """Return ``url`` if it is ``http://127.0.0.1[:port]/…``; raise otherwise.

    >>> check_loopback("http://127.0.0.1:8000/sparql")
    'http://127.0.0.1:8000/sparql'
    >>> check_loopback("http://localhost:8000/sparql")
    Traceback (most recent call last):
    ...
    bench.loadgen.NotLoopbackError: refusing 'http://localhost:8000/sparql': not http://127.0.0.1
    """
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname != "127.0.0.1" or parts.username or parts.password:
        raise NotLoopbackError(f"refusing {url!r}: not http://127.0.0.1")
    return url


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (``q`` in 0..100) of already sorted values.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50)
    2.5
    """
    if not sorted_values:
        return math.nan
    rank = (len(sorted_values) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


@dataclass
class LoadResult:
    """What one load run measured; latencies in seconds."""

    url: str
    concurrency: int
    requests: int = 0  # completed with a 2xx status
    errors: int = 0  # non-2xx statuses and transport errors
    elapsed_s: float = 0.0
    latencies: list[float] = field(default_factory=list, repr=False)
    error_samples: list[str] = field(default_factory=list)
    bytes_received: int = 0

    @property
    def throughput(self) -> float:
        """Successful requests per second."""
        return self.requests / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def pct(self, q: float) -> float:
        return percentile(sorted(self.latencies), q)

    def summary(self) -> dict[str, float | int | str | list[str]]:
        ordered = sorted(self.latencies)
        return {
            "url": self.url,
            "concurrency": self.concurrency,
            "requests": self.requests,
            "errors": self.errors,
            "elapsed_s": round(self.elapsed_s, 3),
            "throughput_rps": round(self.throughput, 2),
            "p50_ms": round(percentile(ordered, 50) * 1000, 3),
            "p90_ms": round(percentile(ordered, 90) * 1000, 3),
            "p99_ms": round(percentile(ordered, 99) * 1000, 3),
            "bytes": self.bytes_received,
            "error_samples": self.error_samples[:5],
        }


async def run_load(
    url: str,
    queries: Sequence[str],
    *,
    concurrency: int = 8,
    requests: int | None = None,
    duration_s: float | None = 10.0,
    timeout_s: float = 60.0,
) -> LoadResult:
    """Send ``queries`` round-robin with ``concurrency`` tasks; stop at the first bound hit."""
    check_loopback(url)
    if not queries:
        raise ValueError("no queries to send")
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    cap = min(requests if requests is not None else MAX_REQUESTS, MAX_REQUESTS)
    window = min(duration_s if duration_s is not None else MAX_DURATION_S, MAX_DURATION_S)
    result = LoadResult(url, concurrency)
    bodies = [str(httpx.QueryParams({"query": q})).encode() for q in queries]
    headers = {"Accept": ACCEPT, "Content-Type": "application/x-www-form-urlencoded"}
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
                body = bodies[issued % len(bodies)]
                issued += 1
                sent = time.perf_counter()
                try:
                    response = await client.post(url, content=body, headers=headers)
                    data = response.content
                except httpx.HTTPError as exc:
                    result.errors += 1
                    if len(result.error_samples) < 5:
                        result.error_samples.append(f"{type(exc).__name__}: {exc}")
                    continue
                latency = time.perf_counter() - sent
                if 200 <= response.status_code < 300:
                    result.requests += 1
                    result.latencies.append(latency)
                    result.bytes_received += len(data)
                else:
                    result.errors += 1
                    if len(result.error_samples) < 5:
                        result.error_samples.append(
                            f"HTTP {response.status_code}: {data[:200].decode(errors='replace')}"
                        )

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.elapsed_s = time.perf_counter() - started
    return result


def fetch_rows(url: str, query: str, timeout_s: float = 120.0) -> int:
    """Send one query; return the number of solutions (-1 for a non-JSON or failed answer)."""
    check_loopback(url)
    with httpx.Client(timeout=timeout_s, trust_env=False, follow_redirects=False) as client:
        response = client.post(url, data={"query": query}, headers={"Accept": ACCEPT})
    if response.status_code != 200:
        return -1
    try:
        return len(response.json()["results"]["bindings"])
    except (ValueError, KeyError, TypeError):
        return -1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="http://127.0.0.1:PORT/sparql")
    parser.add_argument(
        "--query-file",
        type=Path,
        action="append",
        required=True,
        help="a .rq file to send (repeatable; sent round-robin)",
    )
    parser.add_argument("--concurrency", "-c", type=int, default=8)
    parser.add_argument("--requests", "-n", type=int, default=None)
    parser.add_argument("--duration", "-d", type=float, default=10.0, help="seconds")
    parser.add_argument("--timeout", type=float, default=60.0, help="per request, seconds")
    args = parser.parse_args(argv)
    try:
        check_loopback(args.url)
    except NotLoopbackError as exc:
        print(exc, file=sys.stderr)
        return 2
    queries = [p.read_text(encoding="utf-8") for p in args.query_file]
    result = asyncio.run(
        run_load(
            args.url,
            queries,
            concurrency=args.concurrency,
            requests=args.requests,
            duration_s=args.duration,
            timeout_s=args.timeout,
        )
    )
    print(json.dumps(result.summary(), indent=2))
    return 0 if result.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
