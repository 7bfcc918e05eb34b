"""Read the W3C SPARQL 1.1 test manifests (with rdflib) into plain, typed test records.

The manifests name files with IRIs under ``SUITE_BASE``; they map onto the local copy of
w3c/rdf-tests ``sparql/sparql11`` (``W3C_SPARQL11_DIR``,
default ``../shared/w3c/sparql11`` beside the checkout).
Known failures live in ``known_failures.toml`` (test IRI → reason) beside this file, so the list
is reviewable data; :func:`params` turns records into ``pytest.param`` with a strict ``xfail``
for each listed IRI.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from rdflib import RDF, RDFS, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

SUITE_BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/"
_REPO = Path(__file__).resolve().parents[2]
ROOT = Path(os.environ.get("W3C_SPARQL11_DIR", str(_REPO.parent / "shared" / "w3c" / "sparql11")))
KNOWN_FAILURES = Path(__file__).with_name("known_failures.toml")

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")

#: Suites (manifests) and the test types each test module runs.
QUERY_MANIFESTS = ("manifest-sparql11-query.ttl", "manifest-sparql11-results.ttl")
UPDATE_MANIFESTS = ("manifest-sparql11-update.ttl",)
QUERY_EVAL_TYPES = ("QueryEvaluationTest", "CSVResultFormatTest")
SYNTAX_TYPES = {
    "PositiveSyntaxTest11": True,
    "NegativeSyntaxTest11": False,
    "PositiveUpdateSyntaxTest11": True,
    "NegativeUpdateSyntaxTest11": False,
}


def available() -> bool:
    return (ROOT / "manifest-all.ttl").is_file()


def path_of(iri: str | Node) -> Path:
    """The local file behind a suite IRI."""
    text = str(iri)
    if not text.startswith(SUITE_BASE):
        raise ValueError(f"{text} is not under {SUITE_BASE}")
    return ROOT / text[len(SUITE_BASE) :]


def iri_of(path: Path) -> str:
    """The suite IRI of a local file (the inverse of :func:`path_of`)."""
    return SUITE_BASE + path.relative_to(ROOT).as_posix()


def short_id(iri: str) -> str:
    """A readable test id: ``aggregates/agg01`` for ``…/aggregates/manifest#agg01``."""
    text = iri[len(SUITE_BASE) :] if iri.startswith(SUITE_BASE) else iri
    folder, _, name = text.partition("#")
    folder = folder.rsplit("/", 1)[0] if "/" in folder else folder
    return f"{folder}/{name}" if name else folder


@cache
def _manifest(path: Path) -> Graph:
    graph = Graph()
    graph.parse(path, format="turtle", publicID=iri_of(path))
    return graph


def _list(graph: Graph, node: Node | None) -> list[Node]:
    return [] if node is None else list(Collection(graph, node))


@dataclass(frozen=True)
class Entry:
    """One ``mf:entries`` member of a manifest, with the graph that describes it."""

    iri: str
    kind: str  # the local name of its rdf:type, e.g. "QueryEvaluationTest"
    name: str
    graph: Graph = field(repr=False, compare=False)
    node: URIRef = field(repr=False, compare=False)

    def value(self, predicate: URIRef, subject: Node | None = None) -> Node | None:
        return self.graph.value(self.node if subject is None else subject, predicate)

    def values(self, predicate: URIRef, subject: Node | None = None) -> list[Node]:
        return list(self.graph.objects(self.node if subject is None else subject, predicate))


def entries(manifest: Path) -> Iterator[Entry]:
    """Every entry of ``manifest`` and of the manifests it includes, in manifest order."""
    graph = _manifest(manifest)
    for node in graph.subjects(RDF.type, MF.Manifest):
        for included in _list(graph, graph.value(node, MF.include)):
            yield from entries(path_of(included))
        for entry in _list(graph, graph.value(node, MF.entries)):
            kind = graph.value(entry, RDF.type)
            yield Entry(
                iri=str(entry),
                kind=str(kind).rsplit("#", 1)[-1] if kind is not None else "",
                name=str(graph.value(entry, MF.name) or ""),
                graph=graph,
                node=URIRef(str(entry)),
            )


# ------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class QueryTest:
    iri: str
    name: str
    query: Path
    data: tuple[Path, ...]
    graph_data: tuple[Path, ...]
    result: Path


@dataclass(frozen=True)
class UpdateTest:
    iri: str
    name: str
    request: Path
    data: tuple[Path, ...]
    graph_data: tuple[tuple[Path, str], ...]
    result_data: tuple[Path, ...]
    result_graph_data: tuple[tuple[Path, str], ...]
    success: bool


@dataclass(frozen=True)
class SyntaxTest:
    iri: str
    name: str
    file: Path
    positive: bool
    update: bool


@dataclass(frozen=True)
class HttpRequest:
    """One ``ht:Request`` of a protocol test and what its ``ht:Response`` must be."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    statuses: tuple[str, ...]  # local names in the hts: namespace
    expected_format: str | None = None  # "boolean", "tabular" or "RDF"
    expected_boolean: bool | None = None
    expected_location: str | None = None  # a template variable such as "$LOCATION$"
    response_headers: tuple[tuple[str, str], ...] = ()
    response_body: str | None = None


@dataclass(frozen=True)
class HttpTest:
    iri: str
    name: str
    requests: tuple[HttpRequest, ...]
    graph_data: tuple[tuple[Path, str], ...] = ()
    requires: tuple[str, ...] = ()


def _paths(entry: Entry, predicate: URIRef, subject: Node | None) -> tuple[Path, ...]:
    return tuple(sorted(path_of(v) for v in entry.values(predicate, subject)))


def _labelled(entry: Entry, subject: Node | None) -> tuple[tuple[Path, str], ...]:
    out = []
    for node in entry.values(UT.graphData, subject):
        graph = entry.value(UT.graph, node)
        label = entry.value(RDFS.label, node)
        assert graph is not None and label is not None, f"{entry.iri}: graphData without name"
        out.append((path_of(graph), str(label)))
    return tuple(sorted(out))


def query_tests() -> list[QueryTest]:
    tests = []
    for manifest in QUERY_MANIFESTS:
        for entry in entries(ROOT / manifest):
            if entry.kind not in QUERY_EVAL_TYPES:
                continue
            action = entry.value(MF.action)
            result = entry.value(MF.result)
            query = entry.value(QT.query, action)
            assert query is not None and result is not None, entry.iri
            tests.append(
                QueryTest(
                    iri=entry.iri,
                    name=entry.name,
                    query=path_of(query),
                    data=_paths(entry, QT.data, action),
                    graph_data=_paths(entry, QT.graphData, action),
                    result=path_of(result),
                )
            )
    return tests


def update_tests() -> list[UpdateTest]:
    tests = []
    for manifest in UPDATE_MANIFESTS:
        for entry in entries(ROOT / manifest):
            if entry.kind != "UpdateEvaluationTest":
                continue
            action = entry.value(MF.action)
            result = entry.value(MF.result)
            request = entry.value(UT.request, action)
            assert request is not None and result is not None, entry.iri
            tests.append(
                UpdateTest(
                    iri=entry.iri,
                    name=entry.name,
                    request=path_of(request),
                    data=_paths(entry, UT.data, action),
                    graph_data=_labelled(entry, action),
                    result_data=_paths(entry, UT.data, result),
                    result_graph_data=_labelled(entry, result),
                    success=entry.value(UT.result, result) != UT.failure,
                )
            )
    return tests


def syntax_tests() -> list[SyntaxTest]:
    tests = []
    for manifest in (*QUERY_MANIFESTS, *UPDATE_MANIFESTS):
        for entry in entries(ROOT / manifest):
            if entry.kind not in SYNTAX_TYPES:
                continue
            action = entry.value(MF.action)
            assert action is not None, entry.iri
            file = path_of(action)
            tests.append(
                SyntaxTest(
                    iri=entry.iri,
                    name=entry.name,
                    file=file,
                    positive=SYNTAX_TYPES[entry.kind],
                    update="Update" in entry.kind or file.suffix == ".ru",
                )
            )
    return tests


def _text(entry: Entry, body: Node | None) -> bytes | None:
    if body is None:
        return None
    chars = entry.value(CNT.chars, body)
    encoding = str(entry.value(CNT.characterEncoding, body) or "UTF-8")
    return str(chars or "").encode(encoding.lower())


def _headers(entry: Entry, node: Node | None) -> tuple[tuple[str, str], ...]:
    headers = entry.value(HT.headers, node)
    return tuple(
        (str(entry.value(HT.fieldName, h)), str(entry.value(HT.fieldValue, h)))
        for h in _list(entry.graph, headers)
    )


def _http_tests(manifest: str, kind: str) -> list[HttpTest]:
    tests = []
    for entry in entries(ROOT / manifest):
        if entry.kind != kind:
            continue
        connection = entry.value(MF.action)
        requests = []
        for node in _list(entry.graph, entry.value(HT.requests, connection)):
            response = entry.value(HT.resp, node)
            boolean = entry.value(MF.expectedBoolean, response)
            fmt = entry.value(MF.expectedFormat, response)
            location = entry.value(MF.expectedLocation, response)
            statuses = sorted(
                str(s).rsplit("#", 1)[-1] for s in entry.values(MF.expectedStatus, response)
            )
            body = entry.value(HT.body, response)
            requests.append(
                HttpRequest(
                    method=str(entry.value(HT.methodName, node)),
                    path=str(entry.value(HT.absolutePath, node)),
                    headers=_headers(entry, node),
                    body=_text(entry, entry.value(HT.body, node)),
                    statuses=tuple(statuses),
                    expected_format=None if fmt is None else str(fmt),
                    expected_boolean=None if boolean is None else bool(boolean.toPython()),  # type: ignore[attr-defined]
                    expected_location=None if location is None else str(location),
                    response_headers=_headers(entry, response),
                    response_body=None if body is None else str(entry.value(CNT.chars, body)),
                )
            )
        tests.append(
            HttpTest(
                iri=entry.iri,
                name=entry.name,
                requests=tuple(requests),
                graph_data=_labelled(entry, None),
                requires=tuple(
                    sorted(str(r).rsplit("#", 1)[-1] for r in entry.values(MF.requires))
                ),
            )
        )
    return tests


def protocol_tests() -> list[HttpTest]:
    return _http_tests("protocol/manifest.ttl", "ProtocolTest")


def graph_store_tests() -> list[HttpTest]:
    return _http_tests("graph-store-protocol/manifest.ttl", "GraphStoreProtocolTest")


# ------------------------------------------------------------------------- known failures


@cache
def known_failures() -> dict[str, dict[str, str]]:
    """``known_failures.toml``: one table per suite, test IRI → reason."""
    with KNOWN_FAILURES.open("rb") as handle:
        data: dict[str, Any] = tomllib.load(handle)
    return {suite: dict(table) for suite, table in data.items()}


def params(suite: str, tests: Sequence[Any]) -> list[Any]:
    """``pytest.param`` per test, ids from the test IRI, a strict xfail for known failures."""
    reasons = known_failures().get(suite, {})
    out = []
    for test in tests:
        marks: tuple[pytest.MarkDecorator, ...] = ()
        reason = reasons.get(test.iri)
        if reason is not None:
            marks = (pytest.mark.xfail(strict=True, reason=reason),)
        out.append(pytest.param(test, id=short_id(test.iri), marks=marks))
    return out


def skip_if_missing() -> None:
    """Skip the calling test module when the W3C suite is not on disk (fail in CI)."""
    if not available():
        if os.environ.get("CI") == "true":
            pytest.fail(
                f"the W3C SPARQL 1.1 suite is not at {ROOT} (set W3C_SPARQL11_DIR)", pytrace=False
            )
        pytest.skip(
            f"the W3C SPARQL 1.1 suite is not at {ROOT} (set W3C_SPARQL11_DIR)",
            allow_module_level=True,
        )
