"""Every REST parameter with arbitrary text (Hypothesis, issue #7 §2): never a 5xx, and a
parameter never changes the structure of the SPARQL that is sent.

In process (FastAPI's TestClient) over a real on-disk Oxigraph store: the service's reader is
wrapped in a recorder, so every query the routes send can be checked to be, text for text,
one of the fixed ``queries/**/*.rq`` files, with user values arriving only as bound RDF terms.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib.term import Literal, Node, URIRef

from intimacy_graph.api.app import create_app
from intimacy_graph.config import Settings
from intimacy_graph.resources import data_dir

QUERY_TEXTS = frozenset(p.read_text("utf-8") for p in data_dir("queries").rglob("*.rq"))
BOUNDED = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
#: Text as users type it, plus the characters that matter in SPARQL, IRIs, paths and JSON.
HOSTILE = st.sampled_from(
    ['"', "'", "<", ">", "{", "}", "\\", "#", "?", "/", "%", ";", "\x00", "\u202e", "\u200b", " "]
)
TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(HOSTILE, st.text(max_size=5)), max_size=12).map("".join),
    st.sampled_from(["trust", "emotional-intimacy", "1", "-1", "0", "true", "9" * 30, ""]),
)


class RecordingStore:
    """A store proxy that records every query text and its bindings."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.sent: list[tuple[str, Mapping[str, Node] | None]] = []
        self._lock = threading.Lock()

    def _record(self, query: str, bindings: Mapping[str, Node] | None) -> None:
        with self._lock:
            self.sent.append((query, bindings))

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> Any:
        self._record(query, bindings)
        return self.inner.select(query, bindings)

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> Any:
        self._record(query, bindings)
        return self.inner.ask(query, bindings)

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> Any:
        self._record(query, bindings)
        return self.inner.construct(query, bindings)

    def query_serialized(self, query: str, fmt: str) -> Any:
        self._record(query, None)
        return self.inner.query_serialized(query, fmt)

    def __len__(self) -> int:
        return len(self.inner)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Any]]:
    store = tmp_path_factory.mktemp("properties") / "store"
    settings_ = Settings(
        store_path=store, rate_limit_expensive_per_s=0, rate_limit_cheap_per_s=0, query_workers=1
    )
    app = create_app(settings_)
    with TestClient(app, raise_server_exceptions=False) as client:
        service = app.state.service
        for _ in range(600):  # the search index is built in the background: bounded wait
            if service.index is not None:
                break
            threading.Event().wait(0.05)
        recorder = RecordingStore(service.reader)
        service.reader = recorder
        yield client, recorder


def _get_routes() -> list[tuple[str, list[str], list[str]]]:
    """Every GET route of the API with its path and query parameters, from the OpenAPI."""
    app = create_app(Settings(store_path=Path("/nonexistent")))
    routes = []
    for path, ops in app.openapi()["paths"].items():
        op = ops.get("get")
        if op is None or not (path.startswith("/api/v1/") or path.count("/") >= 2):
            continue
        if path.startswith(("/static", "/sparql", "/graph-store")):
            continue
        params = op.get("parameters", [])
        in_path = [p["name"] for p in params if p["in"] == "path"]
        in_query = [p["name"] for p in params if p["in"] == "query"]
        if in_path or in_query:
            routes.append((path, in_path, in_query))
    return routes


ROUTES = _get_routes()


def test_the_routes_under_test_are_the_api() -> None:
    paths = {p for p, _, _ in ROUTES}
    assert "/api/v1/concepts/{slug}" in paths
    assert "/api/v1/search" in paths
    assert len(ROUTES) >= 10


#: The one change of structure allowed: paging integers (validated by FastAPI as ``int``)
#: appended as ``LIMIT n OFFSET m``, which SPARQL cannot bind (``/api/v1/changes`` does it).
PAGING = re.compile(r"\nLIMIT \d{1,7} OFFSET \d{1,9}\n\Z")


def _check_sent(recorder: RecordingStore, start: int) -> None:
    for query, bindings in recorder.sent[start:]:
        fixed = PAGING.sub("", query) if PAGING.search(query) else query
        assert fixed in QUERY_TEXTS, "a query was built, not loaded: " + query[:300]
        for name, value in (bindings or {}).items():
            assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)
            assert isinstance(value, URIRef | Literal), (name, value)


@pytest.mark.parametrize(("path", "in_path", "in_query"), ROUTES, ids=[r[0] for r in ROUTES])
def test_arbitrary_parameters_never_5xx_nor_change_the_sparql(
    app_client: tuple[TestClient, RecordingStore],
    path: str,
    in_path: list[str],
    in_query: list[str],
) -> None:
    client, recorder = app_client

    @BOUNDED
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        url = path
        for name in in_path:
            value = data.draw(TEXT.filter(bool), label=name)
            url = url.replace("{" + name + "}", quote(value, safe=""))
        params = {}
        for name in in_query:
            if data.draw(st.booleans(), label=f"send {name}"):
                params[name] = data.draw(TEXT, label=name)
        start = len(recorder.sent)
        response = client.get(url, params=params)
        assert response.status_code < 500, (url, params, response.text[:300])
        if response.status_code >= 400:
            assert response.json()["code"]
        _check_sent(recorder, start)

    run()
