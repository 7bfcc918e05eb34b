"""Start the real service (``intimacy-graph serve``) in a child process on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from intimacy_graph.config import Settings
from intimacy_graph.keys import KeyRing, Role


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    store: Path
    editor_key: str
    reader_key: str
    log: Path
    backend: str = "oxigraph"

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"

    def editor(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.editor_key}"}


def wait_ready(
    url: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float = 90.0
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(url + "/api/v1/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not ready after {timeout_s}s:\n{log.read_text()}")


@contextmanager
def run_server(
    store: Path,
    *,
    notes: Path | None = None,
    env: dict[str, str] | None = None,
    args: list[str] | None = None,
) -> Iterator[Server]:
    """Serve ``store`` (built from ``notes`` on first start) on a free loopback port."""
    settings = Settings(store_path=store)
    ring = KeyRing(settings.keys_file)
    editor, _ = ring.create(Role.EDITOR, "tests")
    reader, _ = ring.create(Role.READER, "tests")
    port = free_port()
    log = store.with_name(store.name + f".server-{port}.log")
    command = [
        sys.executable,
        "-m",
        "intimacy_graph.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--store",
        str(store),
        *(args or []),
    ]
    if notes is not None:
        command += ["--notes", str(notes)]
    full_env = {**os.environ, **(env or {})}
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=full_env, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, process, log)
        yield Server(url, process, store, editor, reader, log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
