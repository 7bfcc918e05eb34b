"""``known_failures.toml`` stays true: every entry names a real test and says why it fails."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from .manifest import (
    graph_store_tests,
    known_failures,
    protocol_tests,
    query_tests,
    skip_if_missing,
    syntax_tests,
    update_tests,
)

skip_if_missing()

SUITES: dict[str, Callable[[], Sequence[Any]]] = {
    "protocol": protocol_tests,
    "query": query_tests,
    "update": update_tests,
    "graph-store": graph_store_tests,
    "syntax": syntax_tests,
}
KINDS = ("by design: ", "not implemented: ", "server bug: ", "pyoxigraph 0.5")


def test_every_suite_has_a_table() -> None:
    assert set(known_failures()) == set(SUITES)


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_entries_name_tests_of_their_suite(suite: str) -> None:
    iris = {test.iri for test in SUITES[suite]()}
    unknown = sorted(set(known_failures()[suite]) - iris)
    assert not unknown, f"not tests of the {suite} suite: {unknown}"


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_reasons_say_who_is_at_fault(suite: str) -> None:
    vague = [
        iri
        for iri, reason in known_failures()[suite].items()
        if not reason.startswith(KINDS) or len(reason) < 40
    ]
    assert not vague, f"reasons must start with one of {KINDS} and explain: {vague}"
