"""Shared fixtures: a store built from the bundled notes by the real `build`."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from intimacy_graph.build import BuildResult, build
from intimacy_graph.namespaces import Iris
from intimacy_graph.resources import data_dir
from intimacy_graph.store import OxigraphStore

from .servers import Server, run_server

pytest_plugins = ["tests.backends"]

TESTS = Path(__file__).parent
DATA = TESTS / "data"
SEED = data_dir("notes") / "emotional-intimacy.md"


@pytest.fixture(scope="session")
def iris() -> Iris:
    return Iris()


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[OxigraphStore, BuildResult]:
    """The bundled notes built into a real on-disk Oxigraph store (shared, read-only use)."""
    path = tmp_path_factory.mktemp("seed-store")
    store = OxigraphStore(path / "store")
    result = build(store, notes_dir=data_dir("notes"))
    return store, result


@pytest.fixture(scope="session")
def seed_store(seed_build: tuple[OxigraphStore, BuildResult]) -> OxigraphStore:
    return seed_build[0]


SERVER_BACKENDS = ["oxigraph", pytest.param("virtuoso", marks=pytest.mark.virtuoso)]


@pytest.fixture(scope="session", params=SERVER_BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One real `intimacy-graph serve` over the bundled notes, shared by read-only tests:
    on the embedded store, and on a private Virtuoso through the remote backend."""
    store = tmp_path_factory.mktemp("served") / "store"
    if request.param == "oxigraph":
        with run_server(store) as handle:
            handle.backend = "oxigraph"
            yield handle
        return
    from tests.backends import require_virtuoso, start_virtuoso, stop_virtuoso

    require_virtuoso()
    folder = tmp_path_factory.mktemp("virtuoso-api")
    port = start_virtuoso(folder)
    args = [
        "--backend",
        "sparql",
        "--remote-flavour",
        "virtuoso",
        "--query-endpoint",
        f"http://127.0.0.1:{port}/sparql",
    ]
    try:
        with run_server(store, args=args) as handle:
            handle.backend = "virtuoso"
            yield handle
    finally:
        stop_virtuoso(folder)


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium executable: skipped when missing, but a failure when ``CI=true``."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    reason = ""
    if not Path(path).exists():
        reason = f"no Chromium at {path} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright package is not installed"
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path
