"""The same load as :mod:`bench.loadgen`, sent by ``wrk`` so the client is not the bottleneck.

The Python generator spends 1.1–1.4 ms of CPU per request on the same two cores as the servers,
which caps every peer near 1,000 req/s; ``wrk`` (C, epoll; Debian package ``wrk``) spends a few
microseconds. Same requests: ``POST`` form-encoded ``query=…`` bodies cycling through the same
query texts, ``Accept: application/sparql-results+json``, keep-alive, ``concurrency``
connections each with one request in flight (``bench/wrk_post.lua``). Bounded: a duration (whole
seconds, 1 s to 1 h), ``-t 1`` by default, a per-request timeout, and a wall-clock guard on the
``wrk`` process itself. Every response outside 200–299 and every socket error is an error.
Only ``http://127.0.0.1`` targets are accepted.

Usage: ``python bench/wrkload.py --url http://127.0.0.1:8000/sparql --query-file q.rq -d 5``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen import MAX_DURATION_S, NotLoopbackError, check_loopback

SCRIPT = Path(__file__).resolve().parent / "wrk_post.lua"
MARKER = "WRK_JSON "


class WrkError(RuntimeError):
    """wrk failed, or a response was not 2xx."""


def wrk_path() -> str | None:
    """The ``wrk`` binary, or ``None`` when it is not installed."""
    return shutil.which("wrk")


def available() -> bool:
    return wrk_path() is not None


def body(query: str) -> str:
    """The form-encoded request body for one query (what httpx sends for ``data=``).

    >>> body("ASK {}")
    'query=ASK+%7B%7D'
    """
    return urlencode({"query": query})


@dataclass
class WrkResult:
    """What one wrk run measured (latencies from wrk's histogram, in microseconds)."""

    url: str
    concurrency: int
    threads: int
    completed: int = 0  # responses of any status
    errors: int = 0  # non-2xx responses + socket errors
    elapsed_s: float = 0.0
    bytes_received: int = 0
    latency_us: dict[str, float] = field(default_factory=dict)
    client_cpu_s: float = 0.0  # user + system CPU of the wrk process
    error_samples: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        """Successful (2xx) requests."""
        return max(0, self.completed - self.errors)

    @property
    def throughput(self) -> float:
        return self.requests / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        """The same keys as :meth:`bench.loadgen.LoadResult.summary`, plus the client's."""
        ms = {k: round(v / 1000, 3) for k, v in self.latency_us.items()}
        return {
            "url": self.url,
            "concurrency": self.concurrency,
            "requests": self.requests,
            "errors": self.errors,
            "elapsed_s": round(self.elapsed_s, 3),
            "throughput_rps": round(self.throughput, 2),
            "p50_ms": ms.get("p50", math.nan),
            "p90_ms": ms.get("p90", math.nan),
            "p99_ms": ms.get("p99", math.nan),
            "bytes": self.bytes_received,
            "error_samples": self.error_samples[:5],
            "client": "wrk",
            "wrk_threads": self.threads,
            "client_cpu_s": round(self.client_cpu_s, 4),
        }


def parse_output(stdout: str) -> dict[str, Any]:
    """The JSON line ``bench/wrk_post.lua`` prints at the end of a run."""
    for line in stdout.splitlines():
        if line.startswith(MARKER):
            found: dict[str, Any] = json.loads(line[len(MARKER) :])
            return found
    raise WrkError(f"wrk printed no results:\n{stdout[-2000:]}")


def run_load(
    url: str,
    queries: Sequence[str],
    *,
    concurrency: int = 8,
    duration_s: float = 10.0,
    timeout_s: float = 60.0,
    threads: int = 1,
) -> WrkResult:
    """POST ``queries`` to the SPARQL endpoint ``url`` for ``duration_s`` (rounded to whole
    seconds, at least 1)."""
    if not queries:
        raise ValueError("no queries to send")
    lines = [body(q) for q in queries]
    return _run(url, lines, "POST", concurrency, duration_s, timeout_s, threads)


def run_get(
    urls: Sequence[str],
    *,
    concurrency: int = 8,
    duration_s: float = 10.0,
    timeout_s: float = 60.0,
    threads: int = 1,
) -> WrkResult:
    """GET ``urls`` (one server; ``Accept: application/json`` and ``Accept-Encoding: gzip``,
    as HTTP clients send them) round-robin, as :func:`run_load` does with queries."""
    if not urls:
        raise ValueError("no URLs to send")
    origin = "/".join(urls[0].split("/", 3)[:3])
    if any(not u.startswith(origin + "/") for u in urls):
        raise ValueError(f"every URL must be on {origin}")
    paths = ["/" + u.split("/", 3)[3] for u in urls]
    return _run(origin, paths, "GET", concurrency, duration_s, timeout_s, threads)


def _run(
    url: str,
    lines: Sequence[str],
    method: str,
    concurrency: int,
    duration_s: float,
    timeout_s: float,
    threads: int,
) -> WrkResult:
    check_loopback(url)
    binary = wrk_path()
    if binary is None:
        raise WrkError("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    threads = max(1, min(threads, concurrency))
    seconds = max(1, min(round(duration_s), int(MAX_DURATION_S)))
    timeout = max(1, math.ceil(timeout_s))
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        bodies = Path(tmp) / "bodies.txt"
        bodies.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        command = [
            binary,
            "-t",
            str(threads),
            "-c",
            str(concurrency),
            "-d",
            f"{seconds}s",
            "--timeout",
            f"{timeout}s",
            "-s",
            str(SCRIPT),
            url,
            "--",
            str(bodies),
            str(threads),
            method,
        ]
        out_path = Path(tmp) / "out.txt"
        with out_path.open("wb") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
            guard = time.monotonic() + seconds + timeout + 30
            status, usage = _wait(process, guard)
        stdout = out_path.read_text(encoding="utf-8", errors="replace")
    if status != 0:
        raise WrkError(f"wrk exited with {status}:\n{stdout[-2000:]}")
    found = parse_output(stdout)
    sockets = found["socket_errors"]
    result = WrkResult(url, concurrency, threads)
    result.completed = int(found["requests"])
    result.errors = int(found["non2xx"]) + sum(int(v) for v in sockets.values())
    result.elapsed_s = found["duration_us"] / 1e6
    result.bytes_received = int(found["bytes"])
    result.latency_us = {k: float(v) for k, v in found["latency_us"].items()}
    result.client_cpu_s = usage
    if found.get("error_sample"):
        result.error_samples.append(found["error_sample"])
    if any(sockets.values()):
        result.error_samples.append(f"socket errors: {sockets}")
    return result


def _wait(process: subprocess.Popen[bytes], guard: float) -> tuple[int, float]:
    """Wait for ``process`` (killing it past ``guard``); its exit status and CPU seconds."""
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid == process.pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return process.returncode, usage.ru_utime + usage.ru_stime
        if time.monotonic() > guard:
            process.kill()
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="http://127.0.0.1:PORT/sparql")
    parser.add_argument("--query-file", type=Path, action="append", required=True)
    parser.add_argument("--concurrency", "-c", type=int, default=8)
    parser.add_argument("--duration", "-d", type=float, default=10.0, help="seconds")
    parser.add_argument("--timeout", type=float, default=60.0, help="per request, seconds")
    parser.add_argument("--threads", "-t", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        check_loopback(args.url)
    except NotLoopbackError as exc:
        print(exc, file=sys.stderr)
        return 2
    queries = [p.read_text(encoding="utf-8") for p in args.query_file]
    result = run_load(
        args.url,
        queries,
        concurrency=args.concurrency,
        duration_s=args.duration,
        timeout_s=args.timeout,
        threads=args.threads,
    )
    print(json.dumps(result.summary(), indent=2))
    return 0 if result.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
