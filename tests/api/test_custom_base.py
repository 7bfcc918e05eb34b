"""A deployment with its own base IRI (DESIGN.md §4: every IRI derives from it) answers the
concept API exactly as the default deployment does, with only the base changed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from intimacy_graph.namespaces import DEFAULT_BASE
from tests.servers import Server, run_server

CUSTOM = "https://example.org/psychology/"
ROUTES = [
    "/api/v1/concepts/emotional-intimacy",
    "/api/v1/concepts/trust",
    "/api/v1/concepts/emotional-intimacy/graph?depth=2",
    "/api/v1/concepts/emotional-intimacy/related?depth=2",
    "/api/v1/concepts/oxytocin/path/relationship-satisfaction",
    "/api/v1/search?q=trust",
    "/api/v1/suggest?q=emo",
]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    folder = tmp_path_factory.mktemp("bases")
    with (
        run_server(folder / "default" / "store") as default,
        run_server(folder / "custom" / "store", env={"INTIMACY_GRAPH_BASE_IRI": CUSTOM}) as custom,
    ):
        yield default, custom


def _get(server: Server, route: str) -> object:
    r = httpx.get(server.url + route, timeout=60)
    assert r.status_code == 200, (route, r.text)
    return r.json()


@pytest.mark.parametrize("route", ROUTES)
def test_same_answers_with_another_base(servers: tuple[Server, Server], route: str) -> None:
    default, custom = servers
    expected = json.dumps(_get(default, route), sort_keys=True).replace(DEFAULT_BASE, CUSTOM)
    got = json.dumps(_get(custom, route), sort_keys=True)
    assert got == expected
    assert DEFAULT_BASE not in got


def test_the_custom_base_is_really_used(servers: tuple[Server, Server]) -> None:
    _, custom = servers
    card = _get(custom, ROUTES[0])
    assert isinstance(card, dict) and card["@id"] == CUSTOM + "concept/emotional-intimacy"
    assert any(link["asserted"] for link in card["related"])
    assert Path(custom.store).is_dir()
