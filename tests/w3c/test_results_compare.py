"""The result comparer the suites rely on: it must tell different results apart."""

from __future__ import annotations

import pytest

from .results import XSD, Row, Solutions, order_keys, same_multiset, same_solutions


def iri(value: str) -> tuple[str, ...]:
    return ("iri", "http://example/" + value)


def bnode(label: str) -> tuple[str, ...]:
    return ("bnode", label)


def lit(value: str, datatype: str = XSD + "string") -> tuple[str, ...]:
    return ("literal", value, datatype, "")


def test_blank_nodes_match_under_a_renaming() -> None:
    expected: list[Row] = [{"x": bnode("a"), "y": bnode("a")}, {"x": bnode("b"), "y": iri("o")}]
    actual: list[Row] = [{"x": bnode("q"), "y": iri("o")}, {"x": bnode("p"), "y": bnode("p")}]
    assert same_multiset(expected, actual)


def test_blank_node_renaming_is_a_bijection() -> None:
    expected: list[Row] = [{"x": bnode("a")}, {"x": bnode("b")}]
    assert not same_multiset(expected, [{"x": bnode("c")}, {"x": bnode("c")}])
    shared: list[Row] = [{"x": bnode("a"), "y": bnode("b")}]
    assert not same_multiset(shared, [{"x": bnode("c"), "y": bnode("c")}])


def test_multiplicity_counts() -> None:
    row: Row = {"x": iri("a")}
    assert not same_multiset([row, row], [row, {"x": iri("b")}])
    assert not same_multiset([row], [row, row])


def test_unbound_differs_from_bound() -> None:
    assert not same_multiset([{"x": iri("a")}], [{"x": iri("a"), "y": iri("b")}])


def test_numbers_compare_by_value_within_a_datatype() -> None:
    assert same_multiset(
        [{"n": lit("2.0E3", XSD + "double")}], [{"n": lit("2000", XSD + "double")}]
    )
    assert not same_multiset([{"n": lit("2", XSD + "integer")}], [{"n": lit("2", XSD + "decimal")}])
    assert not same_multiset([{"s": lit("01")}], [{"s": lit("1")}])


def test_order_is_checked_on_the_sort_keys() -> None:
    rows: list[Row] = [{"x": lit("1", XSD + "integer")}, {"x": lit("2", XSD + "integer")}]
    expected, reversed_ = Solutions(["x"], rows), Solutions(["x"], rows[::-1])
    assert same_solutions(expected, reversed_, keys=[])
    assert not same_solutions(expected, reversed_, keys=["x"])
    assert not same_solutions(expected, reversed_, keys=None)


@pytest.mark.parametrize(
    ("query", "keys"),
    [
        ("SELECT * { ?s ?p ?o } ORDER BY ?s DESC(?o) LIMIT 2", ["s", "o"]),
        ("SELECT * { ?s ?p ?o } ORDER BY STR(?s)", None),
        ("SELECT * { { SELECT ?s { ?s ?p ?o } ORDER BY ?s } }", []),
        ('SELECT * { ?s ?p "ORDER BY ?x" }', []),
    ],
)
def test_order_keys(query: str, keys: list[str] | None) -> None:
    assert order_keys(query) == keys
