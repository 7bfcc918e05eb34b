"""The benchmark measures the right thing: its synthetic data is what the real build writes, and
its query mix gets the same answers from pyoxigraph (our engine) and rdflib (rdflib-endpoint's).

A small dataset (300 concepts, 9 notes) keeps this fast; ``python bench/agreement.py`` runs the
same comparison on the 1k dataset (docs/benchmarks.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bench import agreement, generate, querymix
from bench.loadgen import NotLoopbackError, check_loopback, percentile

# rdflib's own N-Quads parser and Dataset warn about themselves thousands of times.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Dataset.default_context is deprecated:DeprecationWarning"
)


def _quiet(_message: str) -> None:
    return None


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> generate.BenchData:
    root: Path = tmp_path_factory.mktemp("bench-data")
    return generate.ensure(300, root=root, log=_quiet)


def test_generator_is_deterministic_and_exact(small: generate.BenchData) -> None:
    manifest = small.manifest
    assert manifest["counts"]["concepts"] == 300
    assert manifest["notes"] == 9
    again = generate.dataset(300, small.seed, small.root.parent / "again")
    generate.generate(again, log=_quiet)
    assert again.source_nq.read_bytes() == small.source_nq.read_bytes()
    assert again.params == small.params


def test_generated_store_is_what_the_build_writes(small: generate.BenchData) -> None:
    assert generate.verify(small, log=_quiet) == []


def test_query_mix_agrees_between_pyoxigraph_and_rdflib(small: generate.BenchData) -> None:
    outcome, _ = agreement.check(small, per_query=5)
    names = {q.name for q in querymix.load_queries()}
    assert set(outcome.per_query) == names
    assert all(stats["rows"] > 0 for stats in outcome.per_query.values()), outcome.per_query
    assert outcome.ok, [f"{d.query} {d.binding}: {d.detail}" for d in outcome.disagreements]


def test_agreement_notices_a_difference(small: generate.BenchData) -> None:
    query = next(q for q in querymix.load_queries() if q.name == "concept_card")
    rows = [(("part", "'about'"), ("value", "'x'"))]
    assert agreement._difference(query, ["part", "value"], rows, ["part", "value"], []) is not None


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000/sparql",
        "https://127.0.0.1/sparql",
        "http://127.0.0.1.example.org/",
        "http://10.0.0.1/sparql",
        "http://127.0.0.1@example.org/sparql",
    ],
)
def test_load_generator_refuses_anything_but_loopback(url: str) -> None:
    with pytest.raises(NotLoopbackError):
        check_loopback(url)


def test_percentile() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 99) == 5.0
