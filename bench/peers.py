"""The SPARQL servers compared, each started on 127.0.0.1 over the same dataset.

* ``ours`` — ``python -m intimacy_graph.cli serve --store PATH`` over the generated store;
* ``raw-pyoxigraph`` — :mod:`bench.raw_app` (FastAPI + ``pyoxigraph.Store(path).query()``) over
  a hard-linked copy of the same store (RocksDB allows one opener per directory);
* ``rdflib-endpoint`` — the PyPI package's own CLI (``rdflib_endpoint serve``), which parses
  ``full.nq`` into an ``rdflib.Dataset(default_union=True)``;
* ``virtuoso`` — ``/usr/bin/virtuoso-t`` with a private database folder, loaded once from
  ``full.nq`` with its bulk loader (``ld_dir`` + ``rdf_loader_run``) and checked to hold every
  quad. Not ``.ci/virtuoso.sh``: its template is sized for CI (80 MB of buffers) and lets the
  server read only its own folder, while the benchmark needs bigger buffers and the loader.

Every server runs in its own process group and is stopped (SIGTERM, then SIGKILL) when its
:class:`Peer` is stopped, including on exceptions and Ctrl-C through the callers' ``with``
blocks. Memory is the sum over the server's process tree (psutil).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import pyoxigraph as ox

from bench.generate import BenchData
from bench.loadgen import ACCEPT, check_loopback

ROOT = Path(__file__).resolve().parent.parent
PEERS = ("ours", "raw-pyoxigraph", "rdflib-endpoint", "virtuoso")
VIRTUOSO = Path("/usr/bin/virtuoso-t")
ISQL = Path("/usr/bin/isql-vt")
PROBE = "ASK { ?s ?p ?o }"


class PeerError(RuntimeError):
    """A peer did not start, load or answer."""


def available(name: str) -> bool:
    if name == "virtuoso":
        return VIRTUOSO.exists() and ISQL.exists()
    return name in PEERS


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Memory:
    rss_mb: float
    pss_mb: float | None
    processes: int


def tree_memory(pid: int) -> Memory:
    """RSS (and PSS where readable) summed over a process and all its descendants."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return Memory(0.0, None, 0)
    rss = 0
    pss: int | None = 0
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            rss += proc.memory_info().rss
            try:
                full = proc.memory_full_info()
                pss = None if pss is None else pss + getattr(full, "pss", 0)
            except psutil.AccessDenied:
                pss = None
    return Memory(rss / 2**20, None if pss is None else pss / 2**20, len(procs))


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds used so far by a process and its live descendants."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


@dataclass
class Peer:
    """One running server."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    ready_s: float = 0.0  # start → first SPARQL answer
    settled_s: float = 0.0  # start → background start-up work done (CPU quiet)
    idle: Memory | None = None  # once settled
    extra: dict[str, Any] = field(default_factory=dict)

    def memory(self) -> Memory:
        return tree_memory(self.process.pid)

    def cpu_s(self) -> float:
        return tree_cpu_s(self.process.pid)

    def stop(self) -> None:
        """SIGTERM the process group we started, then SIGKILL it if it lingers."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


class MemorySampler:
    """Samples a peer's process-tree RSS every ``interval_s`` in a thread; keeps the peak."""

    def __init__(self, peer: Peer, interval_s: float = 0.5) -> None:
        self.peer = peer
        self.interval_s = interval_s
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self.peer.memory().rss_mb)
            self._stop.wait(self.interval_s)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float) -> float:
    """Poll ``url`` with an ASK query until it answers 200; return seconds since ``start``."""
    check_loopback(url)
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=5.0, trust_env=False, follow_redirects=False) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise PeerError(f"exited with {process.returncode}; see {log}:\n{_tail(log)}")
            try:
                response = client.post(url, data={"query": PROBE}, headers={"Accept": ACCEPT})
                if response.status_code == 200:
                    return time.monotonic()
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
    raise PeerError(f"not ready after {timeout_s:.0f}s; see {log}:\n{_tail(log)}")


def wait_settled(
    pid: int,
    started: float,
    *,
    quiet: float = 0.05,
    window_s: float = 1.0,
    timeout_s: float = 300.0,
) -> float:
    """Wait until the process tree uses under ``quiet`` of one core over ``window_s`` (start-up
    work such as index building is done); return seconds since ``started`` (bounded)."""
    deadline = time.monotonic() + timeout_s
    before = tree_cpu_s(pid)
    while time.monotonic() < deadline:
        time.sleep(window_s)
        after = tree_cpu_s(pid)
        if after - before < quiet * window_s:
            return time.monotonic() - window_s - started
        before = after
    return time.monotonic() - started


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _spawn(
    command: list[str], log: Path, *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )


# ----------------------------------------------------------------------------- preparation


def raw_store(data: BenchData) -> Path:
    """A copy of the served store for the raw peer (hard links where possible)."""
    return _store_copy(data, "store-raw")


def ours_store(data: BenchData) -> Path:
    """A private copy of the store for our server, which opens it read-write (and writes its
    snapshots beside it): other tools may have ``store/`` itself open at the same time."""
    return _store_copy(data, "store-ours")


def _store_copy(data: BenchData, name: str) -> Path:
    target = data.root / name
    stamp = target / ".bench-copy"
    if stamp.exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    source = ox.Store.read_only(str(data.store))
    try:
        source.backup(str(target))
    finally:
        del source
    stamp.write_text("copy of store/\n")
    return target


def _virtuoso_dir(data: BenchData) -> Path:
    return data.root / "virtuoso"


def _virtuoso_ini(folder: Path, sql_port: int, http_port: int, allowed: Path) -> Path:
    ini = folder / "virtuoso.ini"
    ini.write_text(f"""[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 20
CheckpointInterval = 60
CaseMode = 2
AllowOSCalls = 0
DirsAllowed = {allowed}, {folder}
NumberOfBuffers = 100000
MaxDirtyBuffers = 75000
ThreadsPerQuery = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {folder}
MaxClientConnections = 20
ServerThreads = 20
MaxKeepAlives = 20
EnabledDavVSP = 0
HTTPProxyEnabled = 0
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime = 120
""")
    return ini


def _isql(sql_port: int, statements: str, timeout_s: float = 1800.0) -> str:
    done = subprocess.run(
        [str(ISQL), f"127.0.0.1:{sql_port}", "dba", "dba", f"exec={statements}"],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if done.returncode != 0 or "*** Error" in done.stdout:
        raise PeerError(f"isql failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done.stdout


def _start_virtuoso(data: BenchData, logs: Path) -> tuple[subprocess.Popen[bytes], int, int, float]:
    folder = _virtuoso_dir(data)
    folder.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    ini = _virtuoso_ini(folder, sql_port, http_port, data.root)
    started = time.monotonic()
    process = _spawn(
        [str(VIRTUOSO), "+configfile", str(ini), "+foreground"], logs / "virtuoso.log", cwd=folder
    )
    return process, sql_port, http_port, started


def _count_our_quads(url: str) -> int:
    """Quads in the project's named graphs (Virtuoso's own system graphs left out)."""
    query = (
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
        'FILTER (STRSTARTS(STR(?g), "https://w3id.org/intimacy-graph/graph/")) }'
    )
    with httpx.Client(timeout=600, trust_env=False, follow_redirects=False) as client:
        response = client.post(
            check_loopback(url), data={"query": query}, headers={"Accept": ACCEPT}
        )
    response.raise_for_status()
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def prepare_virtuoso(data: BenchData, logs: Path, log: Any = print) -> None:
    """Create the database and bulk-load ``full.nq`` once (a stamp records it)."""
    folder = _virtuoso_dir(data)
    stamp = folder / ".bench-loaded"
    if stamp.exists():
        return
    shutil.rmtree(folder, ignore_errors=True)
    process, sql_port, http_port, _ = _start_virtuoso(data, logs)
    try:
        url = f"http://127.0.0.1:{http_port}/sparql"
        wait_ready(url, process, logs / "virtuoso.log", 300)
        t0 = time.monotonic()
        nq_dir = str(data.full_nq.parent)
        _isql(
            sql_port,
            f"ld_dir('{nq_dir}', '{data.full_nq.name}', "
            "'urn:bench:unused-default'); rdf_loader_run(); checkpoint;",
        )
        loaded = time.monotonic() - t0
        expected = data.manifest["counts"]["total"]
        found = _count_our_quads(url)
        if found != expected:
            raise PeerError(f"virtuoso holds {found} of our quads after loading, not {expected}")
        log(f"virtuoso: loaded {data.full_nq.name} in {loaded:.1f}s")
        stamp.write_text(f"{loaded:.3f}\n")
    finally:
        peer = Peer("virtuoso", "", process, logs / "virtuoso.log")
        peer.stop()


# ------------------------------------------------------------------------------- starting


def spawn_ours(
    args: list[str], log: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], int, float]:
    """``intimacy-graph serve`` with ``args`` on a free loopback port, without the per-client
    rate limits (a load generator is one client by design): the process, its port and the
    monotonic time it was started."""
    port = free_port()
    command = [sys.executable, "-m", "intimacy_graph.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), *args]
    no_limits = {f"INTIMACY_GRAPH_RATE_LIMIT_{c}_PER_S": "0" for c in ("EXPENSIVE", "CHEAP")}
    started = time.monotonic()
    return _spawn(command, log, cwd=ROOT, env={**no_limits, **(env or {})}), port, started


def start(
    name: str,
    data: BenchData,
    logs: Path,
    *,
    ready_timeout_s: float = 1800.0,
    workers: int | None = None,
) -> Peer:
    """Start one peer over ``data`` and wait until it answers a SPARQL ASK."""
    logs.mkdir(parents=True, exist_ok=True)
    if name == "ours":
        more = ["--workers", str(workers)] if workers is not None else []
        args = ["--store", str(ours_store(data)), *more]
        process, port, started = spawn_ours(args, logs / "ours.log")
        url = f"http://127.0.0.1:{port}/sparql"
        extra: dict[str, Any] = {"workers": workers}
    elif name == "raw-pyoxigraph":
        store = raw_store(data)
        port = free_port()
        command = [
            sys.executable,
            str(ROOT / "bench" / "raw_app.py"),
            "--store",
            str(store),
            "--port",
            str(port),
        ]
        url = f"http://127.0.0.1:{port}/sparql"
        started = time.monotonic()
        process = _spawn(command, logs / "raw.log", cwd=ROOT)
        extra = {}
    elif name == "rdflib-endpoint":
        port = free_port()
        command = [
            sys.executable,
            "-m",
            "rdflib_endpoint",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            str(data.full_nq),
        ]
        url = f"http://127.0.0.1:{port}/"
        started = time.monotonic()
        process = _spawn(command, logs / "rdflib-endpoint.log", cwd=ROOT)
        extra = {}
    elif name == "virtuoso":
        prepare_virtuoso(data, logs)
        process, _, http_port, started = _start_virtuoso(data, logs)
        url = f"http://127.0.0.1:{http_port}/sparql"
        extra = {"number_of_buffers": 100000}
    else:
        raise ValueError(f"unknown peer {name!r}; known: {', '.join(PEERS)}")
    log = logs / ("raw.log" if name == "raw-pyoxigraph" else f"{name}.log")
    peer = Peer(name, url, process, log, extra=extra)
    try:
        peer.ready_s = wait_ready(url, process, log, ready_timeout_s) - started
        peer.settled_s = max(peer.ready_s, wait_settled(process.pid, started))
        peer.idle = peer.memory()
    except BaseException:
        peer.stop()
        raise
    return peer


@contextlib.contextmanager
def running(name: str, data: BenchData, logs: Path, **kwargs: Any) -> Iterator[Peer]:
    peer = start(name, data, logs, **kwargs)
    try:
        yield peer
    finally:
        peer.stop()
