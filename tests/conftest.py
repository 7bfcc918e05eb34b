"""Shared fixtures: a store built from the bundled notes by the real `build`."""

from __future__ import annotations

from pathlib import Path

import pytest

from intimacy_graph.build import BuildResult, build
from intimacy_graph.namespaces import Iris
from intimacy_graph.resources import data_dir
from intimacy_graph.store import OxigraphStore

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
