"""After each new version of the search index the service collects and freezes its heap
(``service.settle_heap``): full collections then skip the index, and a replaced index is
still freed."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from intimacy_graph.api import create_app
from intimacy_graph.config import Settings
from intimacy_graph.keys import KeyRing, Role
from intimacy_graph.service import Service, settle_heap

NOTE = """**Heap Settling Probe** is a note written to replace the search index.

#### Key Aspects
1. **Definition**:
   A probe concept that exists only to make the service publish a new index.
2. **Characteristics**:
   - **[[Trust]]**: it links to an existing concept.
"""


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Service, str]]:
    folder = tmp_path_factory.mktemp("heap")
    settings = Settings(
        store_path=folder / "store",
        data_dir=folder / "data",
        rate_limit_expensive_per_s=0,
        rate_limit_cheap_per_s=0,
        query_workers=1,
    )
    editor, _ = KeyRing(settings.keys_file).create(Role.EDITOR, "heap")
    application = create_app(settings)
    with TestClient(application, raise_server_exceptions=False) as client:
        service: Service = application.state.service
        for _ in range(600):  # the first index is built in the background: bounded wait
            if service.index is not None and gc.get_freeze_count() > 0:
                break  # built, swapped in, and the heap settled after it
            threading.Event().wait(0.05)
        yield client, service, editor
    gc.unfreeze()  # leave the test process as other tests expect it


def test_the_index_is_frozen_once_built(app: tuple[TestClient, Service, str]) -> None:
    _, service, _ = app
    assert service.index is not None
    assert gc.get_freeze_count() > 1000
    # what the collector still walks is a small part of what lives
    assert len(gc.get_objects(generation=2)) < gc.get_freeze_count()


def test_a_replaced_index_is_freed(app: tuple[TestClient, Service, str]) -> None:
    client, service, editor = app
    old = service.index
    assert old is not None
    generation = old.generation
    gone = weakref.ref(old)
    del old
    r = client.put(
        "/api/v1/notes/heap-settling-probe",
        content=NOTE.encode(),
        headers={"Authorization": f"Bearer {editor}", "Content-Type": "text/markdown"},
    )
    assert r.status_code == 201, r.text
    assert service.index is not None and service.index.generation > generation
    found = client.get("/api/v1/search", params={"q": "Heap Settling Probe"}).json()
    assert [hit["slug"] for hit in found["items"]][:1] == ["heap-settling-probe"]
    assert gone() is None  # freed by reference counting or by the settle's collection
    assert gc.get_freeze_count() > 1000


def test_settle_heap_collects_cycles_frozen_before() -> None:
    """A cycle that was alive at one freeze and dropped later is collected at the next."""

    class Node:
        other: object = None

    a, b = Node(), Node()
    a.other, b.other = b, a
    probe = weakref.ref(a)
    gc.freeze()
    del a, b
    gc.collect()
    assert probe() is not None  # frozen: the collector does not see it
    settle_heap()
    assert probe() is None
    gc.unfreeze()
