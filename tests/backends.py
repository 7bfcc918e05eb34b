"""Store backends for tests: one private Virtuoso per session, one fresh store per test.

Register in ``tests/conftest.py`` with ``pytest_plugins = ["tests.backends"]``; then

- ``virtuoso_server`` (session): starts Debian's Virtuoso through ``.ci/virtuoso.sh`` on a free
  loopback port with its own database folder, yields its ``/sparql`` URL (a ``str`` that also
  carries ``.folder``, ``.auth_endpoint`` and ``.writer``), and stops it at the end. Without
  Virtuoso installed the tests that need it skip, except under ``CI=true`` where they fail.
- ``store_backend``: parametrised over :data:`BACKENDS`, a fresh, empty store of that backend
  for each test. Virtuoso's system graphs are never touched: only graphs under
  :data:`TEST_GRAPHS` are cleared, before and after each test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from intimacy_graph.namespaces import DEFAULT_BASE
from intimacy_graph.store import OxigraphStore, Store
from intimacy_graph.store.sparql import RemoteStore
from tests.servers import free_port

SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "virtuoso.sh"
BACKENDS = ["oxigraph", pytest.param("virtuoso", marks=pytest.mark.virtuoso)]
#: Every graph a test may write lives under this namespace (our deployment default).
TEST_GRAPHS = DEFAULT_BASE
START_TIMEOUT_S = 120  # the script itself gives up after 60 s


class VirtuosoEndpoint(str):
    """The ``/sparql`` URL of a test Virtuoso, with what else tests may need."""

    folder: Path
    auth_endpoint: str  # /sparql-auth: digest authentication
    writer: tuple[str, str]  # a user with SPARQL UPDATE there, and its password

    def __new__(cls, base: str, folder: Path) -> VirtuosoEndpoint:
        endpoint = super().__new__(cls, base + "/sparql")
        endpoint.folder = folder
        endpoint.auth_endpoint = base + "/sparql-auth"
        endpoint.writer = ("ig_writer", (folder / "writer.password").read_text().strip())
        return endpoint


def _script(
    *args: str, timeout: float, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **(env or {})},
    )


def require_virtuoso() -> None:
    """Skip when Virtuoso is not installed; fail instead in CI, where it must run."""
    binary = os.environ.get("VIRTUOSO_BIN", "virtuoso-t")
    if shutil.which(binary) is None:
        message = f"{binary} not found: apt-get install virtuoso-opensource (.ci/apt-packages)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def stop_virtuoso(folder: Path) -> None:
    _script("stop", str(folder), timeout=60)


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoEndpoint]:
    """A Virtuoso serving ``http://127.0.0.1:{free port}/sparql`` for the whole session."""
    require_virtuoso()
    folder = tmp_path_factory.mktemp("virtuoso")
    port = start_virtuoso(folder)
    try:
        yield VirtuosoEndpoint(f"http://127.0.0.1:{port}", folder)
    finally:
        _script("stop", str(folder), timeout=60)


def start_virtuoso(
    folder: Path,
    port: int | None = None,
    *,
    attempts: int = 3,
    env: Mapping[str, str] | None = None,
) -> int:
    """Start (or restart) the Virtuoso of ``folder``; returns its HTTP port.

    A port that was free when chosen can be taken before Virtuoso binds it (other processes
    on a shared CI machine): then it tries again on new ports, ``attempts`` times at most.
    """
    output = ""
    for _ in range(attempts):
        http_port = port or free_port()
        started = _script("start", str(folder), str(http_port), timeout=START_TIMEOUT_S, env=env)
        if started.returncode == 0:
            return http_port
        _script("stop", str(folder), timeout=60)
        output = f"{started.stdout}\n{started.stderr}"
        if "Failed to start listening" not in output and "already in use" not in output:
            break
    pytest.fail(f"Virtuoso did not start in {folder}:\n{output}")


def clear_test_graphs(store: RemoteStore) -> None:
    """Drop every graph under :data:`TEST_GRAPHS`, in one request."""
    graphs = [g for g in store.named_graphs() if str(g).startswith(TEST_GRAPHS)]
    if graphs:
        store.update(" ;\n".join(f"DROP SILENT GRAPH {g.n3()}" for g in graphs))


def virtuoso_store(endpoint: str, *, timeout_s: float = 10) -> RemoteStore:
    """A store on the test Virtuoso that sees only the test graphs."""
    return RemoteStore.virtuoso(endpoint, graph_namespace=TEST_GRAPHS, timeout_s=timeout_s)


@pytest.fixture(params=BACKENDS)
def store_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh, empty store of each backend."""
    if request.param == "oxigraph":
        store = OxigraphStore(tmp_path / "store")
        yield store
        store.close()
        return
    endpoint: str = request.getfixturevalue("virtuoso_server")
    remote = virtuoso_store(endpoint)
    clear_test_graphs(remote)
    try:
        yield remote
    finally:
        clear_test_graphs(remote)
        remote.close()
