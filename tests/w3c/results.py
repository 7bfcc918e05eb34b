"""Parse SPARQL results and RDF exactly, and compare them the way the W3C suites mean.

Terms are parsed exactly (pyoxigraph parses results and RDF without normalising, unlike
rdflib's default) and compared by RDF term equality, with one exception: literals of the
numeric XSD datatypes compare by datatype *and value* ("2.0E3"^^xsd:double equals
"2000"^^xsd:double, "1.0"^^xsd:decimal equals "1"^^xsd:decimal).  That is Jena's rule for its
result-set comparison; the spec leaves the lexical form of computed numbers to the engine and
the suite's own expected files disagree with each other on it (w3c/rdf-tests#58).  Set
``W3C_STRICT_LITERALS=1`` to compare every literal by its lexical form instead.

Solution sequences are compared as multisets up to a renaming of blank nodes (a bijection,
found by backtracking); when the query ends in ``ORDER BY`` the order of the sort keys is
compared too.  Graphs are compared with :func:`rdflib.compare.isomorphic`.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RS = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
STRICT_LITERALS = os.environ.get("W3C_STRICT_LITERALS", "") not in ("", "0")

_INTEGER_TYPES = {
    XSD + name
    for name in (
        "integer",
        "nonPositiveInteger",
        "negativeInteger",
        "long",
        "int",
        "short",
        "byte",
        "nonNegativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
        "positiveInteger",
    )
}
_INTEGER = re.compile(r"[+-]?\d+")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_DOUBLE = re.compile(r"[+-]?((\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|INF)|NaN")

#: A term as a hashable tuple: ("iri", v) / ("bnode", id) / ("literal", v, datatype, lang).
Term = tuple[str, ...]
Row = dict[str, Term]

RESULT_FORMATS = {
    ".srx": ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
    ".srj": ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
    ".tsv": ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
    ".csv": ("text/csv", None),
}
RDF_FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".rdf": ox.RdfFormat.RDF_XML,
}


@dataclass
class Solutions:
    variables: list[str]
    rows: list[Row]


# ------------------------------------------------------------------------------ parsing


def numeric_value(lexical: str, datatype: str) -> str | None:
    """A canonical spelling of a well-formed numeric literal's value (``None`` otherwise).

    >>> numeric_value("2.0E3", XSD + "double") == numeric_value("2000", XSD + "double")
    True
    >>> numeric_value("1.0", XSD + "decimal"), numeric_value("01", XSD + "integer")
    ('1', '1')
    """
    text = lexical.strip()
    try:
        if datatype in _INTEGER_TYPES and _INTEGER.fullmatch(text):
            return str(int(text))
        if datatype == XSD + "decimal" and _DECIMAL.fullmatch(text):
            value = Decimal(text)
            return "0" if value == 0 else f"{value.normalize():f}"
        if datatype in (XSD + "double", XSD + "float") and _DOUBLE.fullmatch(text):
            number = float(text)
            return "NaN" if math.isnan(number) else repr(number)
        if datatype == XSD + "boolean" and text in ("true", "false", "1", "0"):
            return "true" if text in ("true", "1") else "false"
    except (ValueError, InvalidOperation):
        return None
    return None


def compare_key(value: Term) -> Term:
    """What two terms must share to be equal (see the module docstring)."""
    if STRICT_LITERALS or value[0] != "literal":
        return value
    canonical = numeric_value(value[1], value[2])
    return value if canonical is None else ("literal", canonical, value[2], value[3])


def term(value: Any) -> Term:
    """A pyoxigraph term as a hashable tuple (language tags lower-cased, as RDF compares)."""
    if isinstance(value, ox.NamedNode):
        return ("iri", value.value)
    if isinstance(value, ox.BlankNode):
        return ("bnode", value.value)
    if isinstance(value, ox.Literal):
        if value.language:
            return ("literal", value.value, RDF_LANG_STRING, value.language.lower())
        return ("literal", value.value, value.datatype.value, "")
    raise TypeError(f"unexpected term {value!r}")


def parse_solutions(data: bytes, fmt: Any) -> Solutions | bool:
    """SPARQL JSON, XML or TSV results: a boolean or the solution sequence."""
    parsed = ox.parse_query_results(data, format=fmt)
    if isinstance(parsed, ox.QueryBoolean):
        return bool(parsed)
    variables = [v.value for v in parsed.variables]
    rows = []
    for solution in parsed:
        row = {}
        for name in variables:
            value = solution[name]
            if value is not None:
                row[name] = term(value)
        rows.append(row)
    return Solutions(variables, rows)


def parse_csv(data: bytes) -> Solutions:
    """SPARQL CSV results: strings only (the format keeps no types); ``_:x`` are blank nodes."""
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    records = list(reader)
    variables = records[0] if records else []
    rows = []
    for record in records[1:]:
        row: Row = {}
        for name, cell in zip(variables, record, strict=True):
            if cell.startswith("_:"):
                row[name] = ("bnode", cell[2:])
            elif cell != "":
                row[name] = ("text", cell)
        rows.append(row)
    return Solutions(variables, rows)


def read_rdf_results(path: Path, base: str) -> Solutions | bool | None:
    """A result set written in RDF (the DAWG ``rs:`` vocabulary); ``None`` if the file is a
    plain graph (a CONSTRUCT result)."""
    triples = [
        q.triple
        for q in ox.parse(path.read_bytes(), format=RDF_FORMATS[path.suffix], base_iri=base)
    ]
    by_subject: dict[Any, list[Any]] = defaultdict(list)
    for triple in triples:
        by_subject[triple.subject].append(triple)

    def objects(subject: Any, predicate: str) -> list[Any]:
        return [t.object for t in by_subject[subject] if t.predicate.value == predicate]

    sets = [
        t.subject
        for t in triples
        if t.predicate.value == RDF_TYPE and t.object == ox.NamedNode(RS + "ResultSet")
    ]
    if not sets:
        return None
    (result_set,) = sets
    booleans = objects(result_set, RS + "boolean")
    if booleans:
        return bool(booleans[0].value == "true")
    variables = sorted(v.value for v in objects(result_set, RS + "resultVariable"))
    indexed = []
    for solution in objects(result_set, RS + "solution"):
        row: Row = {}
        for binding in objects(solution, RS + "binding"):
            (name,) = objects(binding, RS + "variable")
            (value,) = objects(binding, RS + "value")
            row[name.value] = term(value)
        index = objects(solution, RS + "index")
        indexed.append((int(index[0].value) if index else 0, row))
    indexed.sort(key=lambda pair: pair[0])
    return Solutions(variables, [row for _, row in indexed])


def read_results(path: Path) -> Solutions | bool:
    """An expected-results file (``.srx``, ``.srj``, ``.tsv``, ``.csv``)."""
    data = path.read_bytes()
    _, fmt = RESULT_FORMATS[path.suffix]
    return parse_csv(data) if fmt is None else parse_solutions(data, fmt)


def _rdflib(value: Any) -> Any:
    if isinstance(value, ox.NamedNode):
        return URIRef(value.value)
    if isinstance(value, ox.BlankNode):
        return BNode(value.value)
    if value.language:
        return Literal(value.value, lang=value.language.lower(), normalize=False)
    if value.datatype.value == XSD_STRING:
        return Literal(value.value, normalize=False)
    datatype = value.datatype.value
    lexical = value.value
    if not STRICT_LITERALS:
        lexical = numeric_value(lexical, datatype) or lexical
    return Literal(lexical, datatype=URIRef(datatype), normalize=False)


def parse_graph(data: bytes, fmt: Any, base: str | None = None) -> Graph:
    """RDF as an rdflib graph whose literals keep their lexical form exactly."""
    graph = Graph()
    for quad in ox.parse(data, format=fmt, base_iri=base):
        graph.add((_rdflib(quad.subject), _rdflib(quad.predicate), _rdflib(quad.object)))
    return graph


def read_graph(path: Path, base: str) -> Graph:
    return parse_graph(path.read_bytes(), RDF_FORMATS[path.suffix], base)


# ---------------------------------------------------------------------------- comparing


def _shape(row: Row) -> tuple[tuple[str, Term], ...]:
    """The row with every blank node replaced by a marker (rows that can match share it)."""
    return tuple(
        sorted((k, ("bnode",) if v[0] == "bnode" else compare_key(v)) for k, v in row.items())
    )


def _has_bnode(row: Row) -> bool:
    return any(v[0] == "bnode" for v in row.values())


def _extend(
    expected: Row, actual: Row, mapping: dict[str, str], used: set[str]
) -> list[str] | None:
    """Bind the blank nodes of ``expected`` to those of ``actual``; the new keys, or None."""
    added: list[str] = []
    for name, value in expected.items():
        other = actual.get(name)
        if other is None:
            break
        if value[0] != "bnode":
            if compare_key(value) != compare_key(other):
                break
            continue
        if other[0] != "bnode":
            break
        bound = mapping.get(value[1])
        if bound is None:
            if other[1] in used:
                break
            mapping[value[1]] = other[1]
            used.add(other[1])
            added.append(value[1])
        elif bound != other[1]:
            break
    else:
        if len(expected) == len(actual):
            return added
    for key in added:
        used.discard(mapping.pop(key))
    return None


def _match_all(
    expected: list[Row], pools: dict[Any, list[Row]], mapping: dict[str, str], used: set[str]
) -> bool:
    """Pair every expected row with a distinct actual row of the same shape, under one
    blank-node bijection (backtracking)."""
    if not expected:
        return True
    row, rest = expected[0], expected[1:]
    pool = pools[_shape(row)]
    for index, candidate in enumerate(pool):
        added = _extend(row, candidate, mapping, used)
        if added is None:
            continue
        del pool[index]
        try:
            if _match_all(rest, pools, mapping, used):
                return True
        finally:
            pool.insert(index, candidate)
        for key in added:
            used.discard(mapping.pop(key))
    return False


def same_multiset(expected: Sequence[Row], actual: Sequence[Row]) -> bool:
    """Equal as multisets of rows, up to a bijective renaming of blank nodes."""
    if len(expected) != len(actual):
        return False
    if Counter(_shape(r) for r in expected) != Counter(_shape(r) for r in actual):
        return False
    open_e = [r for r in expected if _has_bnode(r)]
    if not open_e:
        return True
    pools: dict[Any, list[Row]] = defaultdict(list)
    for row in actual:
        if _has_bnode(row):
            pools[_shape(row)].append(row)
    # match the rarest shapes first: fewer candidates, less backtracking
    counts = Counter(_shape(r) for r in open_e)
    open_e.sort(key=lambda r: counts[_shape(r)])
    return _match_all(open_e, pools, {}, set())


_ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)
_KEY = re.compile(r"\s*(?:(ASC|DESC)\s*\(\s*\?(\w+)\s*\)|\?(\w+))", re.IGNORECASE)
_SKIP = re.compile(r"#[^\n]*|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|<[^<>\s]*>")


def order_keys(query: str) -> list[str] | None:
    """The variables of the outermost ``ORDER BY`` (``[]`` if there is none).

    ``None`` when a sort key is an expression: then the whole row order is compared.

    >>> order_keys("SELECT * { ?s ?p ?o } ORDER BY ?s DESC(?o)")
    ['s', 'o']
    >>> order_keys("SELECT * { { SELECT ?s { ?s ?p ?o } ORDER BY ?s LIMIT 1 } }")
    []
    """
    text = _SKIP.sub(lambda m: " " * len(m.group()), query)
    for match in _ORDER_BY.finditer(text):
        before = text[: match.start()]
        if before.count("{") != before.count("}"):
            continue
        keys: list[str] = []
        position = match.end()
        while True:
            found = _KEY.match(text, position)
            if found is None:
                break
            keys.append(found.group(2) or found.group(3))
            position = found.end()
        rest = text[position:].strip()
        if not keys or (rest and not re.match(r"(LIMIT|OFFSET|VALUES)\b", rest, re.IGNORECASE)):
            return None
        return keys
    return []


def _key_sequence(rows: Sequence[Row], keys: list[str]) -> list[tuple[Any, ...]]:
    return [
        tuple(
            None if (v := row.get(k)) is None else ("bnode",) if v[0] == "bnode" else compare_key(v)
            for k in keys
        )
        for row in rows
    ]


def same_solutions(expected: Solutions, actual: Solutions, keys: list[str] | None) -> bool:
    """W3C result-set equality; ``keys`` from :func:`order_keys` (``[]``: order is free)."""
    if sorted(expected.variables) != sorted(actual.variables):
        return False
    if not same_multiset(expected.rows, actual.rows):
        return False
    if keys is None:
        mapping: dict[str, str] = {}
        used: set[str] = set()
        return all(
            _extend(e, a, mapping, used) is not None
            for e, a in zip(expected.rows, actual.rows, strict=True)
        )
    return not keys or _key_sequence(expected.rows, keys) == _key_sequence(actual.rows, keys)


def same_graph(expected: Graph, actual: Graph) -> bool:
    return isomorphic(expected, actual)


def describe(value: Solutions | bool | Graph, limit: int = 40) -> str:
    """A short readable dump for assertion messages."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Graph):
        lines = sorted(value.serialize(format="nt").splitlines())
        return "\n".join(lines[:limit]) + (
            f"\n… {len(lines)} triples" if len(lines) > limit else ""
        )
    rows = [
        " ".join(f"?{k}={_show(r[k])}" for k in sorted(r)) or "(empty solution)"
        for r in value.rows[:limit]
    ]
    more = f"\n… {len(value.rows)} rows" if len(value.rows) > limit else ""
    return f"vars {value.variables}\n" + "\n".join(rows) + more


def _show(value: Term) -> str:
    if value[0] == "iri":
        return f"<{value[1]}>"
    if value[0] == "bnode":
        return f"_:{value[1]}"
    if value[0] == "text":
        return repr(value[1])
    literal = repr(value[1])
    if value[3]:
        return f"{literal}@{value[3]}"
    return literal if value[2] == XSD_STRING else f"{literal}^^<{value[2]}>"
