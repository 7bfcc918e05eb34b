"""The remote backend: any SPARQL 1.1 Query/Update endpoint, through SPARQLWrapper (DESIGN.md §3).

The service stays stateless over it, so many API replicas can share one store; what the server
must provide (a union default graph, updates, timeouts) and what changes compared with the
embedded store (atomicity) is in ``docs/deploy.md``.

Values are never formatted into SPARQL by hand: bound values become a ``VALUES`` block of RDF
terms (rdflib ``.n3()``, every IRI checked) put at the start of the query's WHERE group, which
gives them the meaning of pyoxigraph's ``substitutions`` (aggregates, FILTERs and OPTIONALs of
that group see them); written graphs are serialised term by term in the same way.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import re
import socket
import urllib.error
from collections.abc import Iterable, Iterator, Mapping
from http.client import HTTPException
from typing import Any, Literal

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.term import Node
from SPARQLWrapper import JSON, POST, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import (
    EndPointInternalError,
    EndPointNotFound,
    QueryBadFormed,
    SPARQLWrapperException,
    Unauthorized,
    URITooLong,
)

from intimacy_graph.errors import (
    QueryEvaluationError,
    QuerySyntaxError,
    QueryTimeoutError,
    StoreError,
    StoreUnavailableError,
    UnusableInputError,
)
from intimacy_graph.sparql_guard import _TOKEN, QUERY_FORMS, UPDATE_FORMS
from intimacy_graph.store.base import Row
from intimacy_graph.store.http import ConnectionPool, Redirected, poolable
from intimacy_graph.store.oxigraph import _GRAPH_FORMATS, _RESULT_FORMATS, _split_prologue
from intimacy_graph.store.terms import solution_rows, solution_texts, to_rdflib

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
_BOOLEAN_CANONICAL = {"1": "true", "0": "false"}
#: What we ask for: SPARQL JSON results for SELECT/ASK, N-Triples for graphs.
RESULTS_JSON = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.5"
#: Default namespace of this project's graphs (DESIGN.md §4).
DEFAULT_GRAPH_NAMESPACE = "https://w3id.org/intimacy-graph/"

_VARNAME = re.compile(r"[\w\u00b7\u0300-\u036f\u203f-\u2040]+")
_BNODE_LABEL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
#: Virtuoso's messages for a query or transaction stopped by a time limit. Its ``timeout``
#: (the query's deadline) is usually an "anytime" answer (S1TAT, refused), but on a busy
#: machine it may stop the query with HY008 "SR203: Async statement killed by SQLCancel".
_TIMEOUT_MESSAGES = ("SR171", "S1T00", "S1TAT", "SR203", "estimated execution time")


def term_n3(term: Node) -> str:
    """``term`` as SPARQL text, refusing anything that could change the text's structure.

    rdflib checks an IRI in ``URIRef.n3()`` but not a literal's datatype IRI, and a NUL byte
    ends the query text for some servers (Virtuoso): both are handled here.

    >>> term_n3(RdfLiteral('say "hi" } #'))
    '"say \\\\"hi\\\\" } #"'
    >>> term_n3(RdfLiteral("x", datatype=URIRef("http://e.org/a> } DROP ALL #")))
    Traceback (most recent call last):
    ...
    ValueError: not an IRI that can be sent to a SPARQL server: 'http://e.org/a> } DROP ALL #'
    """
    if isinstance(term, URIRef):
        return _iri_n3(term)
    if isinstance(term, RdfLiteral):
        if term.datatype is not None:
            _iri_n3(term.datatype)
        return term.n3().replace("\x00", "\\u0000")
    if isinstance(term, BNode):
        raise ValueError("a blank node cannot be bound or named in a request to a remote store")
    raise TypeError(f"unsupported term {term!r}")


def _iri_n3(iri: str) -> str:
    try:
        text = URIRef(iri).n3()
    except Exception as exc:  # rdflib raises a bare Exception for an invalid IRI
        raise ValueError(f"not an IRI that can be sent to a SPARQL server: {str(iri)!r}") from exc
    if not (text.startswith("<") and text.endswith(">")) or ">" in text[1:-1]:
        raise ValueError(f"not an IRI that can be sent to a SPARQL server: {str(iri)!r}")
    return text


def _significant(query: str) -> Iterator[re.Match[str]]:
    """Tokens of ``query`` that are not whitespace, comments, strings, IRIs or variables."""
    for match in _TOKEN.finditer(query):
        if match.lastgroup not in ("ws", "comment", "string", "iri", "var"):
            yield match


def query_form(query: str) -> str | None:
    """The form of a request: SELECT, CONSTRUCT, ASK, DESCRIBE, UPDATE, or None if it is neither.

    The form is the first keyword after the prologue (PREFIX and BASE), never a keyword
    further in: ``INSERT { … } WHERE { SELECT … }`` is an update.

    >>> query_form("# ASK?\\nPREFIX s: <http://e.org/select#> CONSTRUCT WHERE { ?s ?p ?o }")
    'CONSTRUCT'
    >>> query_form("PREFIX : <http://e.org/> INSERT { :a :b ?n } WHERE { SELECT ?n {} }")
    'UPDATE'
    """
    expect_prefix_name = False
    for match in _significant(query):
        if match.lastgroup != "word":
            return None
        upper = match.group().upper()
        if expect_prefix_name:
            expect_prefix_name = False
        elif upper == "PREFIX":
            expect_prefix_name = True
        elif upper != "BASE":
            if upper in QUERY_FORMS:
                return upper
            return "UPDATE" if upper in UPDATE_FORMS else None
    return None


def projected(query: str) -> set[str] | None:
    """The variables a SELECT query projects, or None for ``SELECT *`` and other forms.

    >>> sorted(projected("SELECT DISTINCT ?s (STR(?o) AS ?label) WHERE { ?s ?p ?o }"))
    ['label', 's']
    """
    names: set[str] = set()
    in_select = after_as = False
    depth = 0
    for match in _TOKEN.finditer(query):
        kind, text = match.lastgroup, match.group()
        if kind in ("ws", "comment", "string", "iri"):
            continue
        if not in_select:
            if kind == "word" and text.upper() in QUERY_FORMS:
                if text.upper() != "SELECT":
                    return None
                in_select = True
            continue
        if kind == "open":
            if text == "{" and depth == 0:
                break
            depth += 1
        elif kind == "close":
            depth -= 1
        elif kind == "word" and depth == 0 and text.upper() in ("WHERE", "FROM"):
            break
        elif kind == "other" and text == "*" and depth == 0:
            return None
        elif kind == "var" and (depth == 0 or after_as):
            names.add(text[1:])
        after_as = kind == "word" and text.upper() == "AS"
    return names


def bind_values(query: str, bindings: Mapping[str, Node] | None) -> str:
    """``query`` with ``bindings`` as a ``VALUES`` block opening its WHERE group.

    Nothing else in the text changes. A block at the start of the group joins before GROUP BY,
    aggregates and the group's FILTERs, as pre-bound variables do (a trailing VALUES clause
    would join after aggregation, so ``COUNT`` would ignore it). A WHERE group that is a
    sub-select is wrapped: ``{ VALUES … { SELECT … } }``.

    >>> bind_values("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
    ...             {"g": URIRef("http://e.org/g")})
    'SELECT (COUNT(*) AS ?n) WHERE { VALUES (?g) { (<http://e.org/g>) } GRAPH ?g { ?s ?p ?o } }'
    """
    if not bindings:
        return query
    names = list(bindings)
    for name in names:
        if not _VARNAME.fullmatch(name):
            raise ValueError(f"not a SPARQL variable name: {name!r}")
    row = " ".join(term_n3(bindings[name]) for name in names)
    block = f"VALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }}"

    form: str | None = None
    seen_where = False
    template_done = False
    depth = 0
    tokens = _significant(query)
    for match in tokens:
        kind, text = match.lastgroup, match.group()
        if kind == "word" and depth == 0:
            upper = text.upper()
            if form is None and upper in QUERY_FORMS:
                form = upper
            elif upper == "WHERE":
                seen_where = True
        elif kind == "open":
            if text == "{" and depth == 0 and form is not None:
                if form == "CONSTRUCT" and not template_done and not seen_where:
                    template_done = True  # CONSTRUCT { template } WHERE? { pattern }
                elif form == "CONSTRUCT" and not template_done:
                    raise QuerySyntaxError(
                        "values cannot be bound in the short form CONSTRUCT WHERE { … }: "
                        "write CONSTRUCT { … } WHERE { … }"
                    )
                else:
                    return _inject(query, match.end(), tokens, block)
            depth += 1
        elif kind == "close":
            depth -= 1
    raise QuerySyntaxError("values can only be bound in a query with a WHERE group")


def _inject(query: str, start: int, tokens: Iterator[re.Match[str]], block: str) -> str:
    first = next(tokens, None)
    if first is None or not (first.lastgroup == "word" and first.group().upper() == "SELECT"):
        return f"{query[:start]} {block}{query[start:]}"
    depth = 1
    for match in tokens:  # find the brace that closes the WHERE group
        if match.lastgroup == "open":
            depth += 1
        elif match.lastgroup == "close":
            depth -= 1
            if depth == 0:
                end = match.start()
                return f"{query[:start]} {block} {{ {query[start:end]} }}{query[end:]}"
    raise QuerySyntaxError("the WHERE group of the query is not closed")


def _server_message(exc: BaseException) -> str:
    """The server's own error text, out of a SPARQLWrapper exception."""
    text = str(exc)
    _, found, tail = text.partition("Response:\n")
    if found:
        try:
            body = ast.literal_eval(tail.strip())
            if isinstance(body, bytes):
                text = body.decode("utf-8", "replace")
        except (ValueError, SyntaxError):
            pass
    # Virtuoso echoes the whole request after the message: keep the message only.
    return text.split("\n\nSPARQL query:", 1)[0].strip()[:2000]


class RemoteStore:
    """A :class:`~intimacy_graph.store.base.Store` over a SPARQL 1.1 Query + Update endpoint.

    ``timeout_s`` bounds each query on both sides. The server is asked to stop after
    ``timeout_s`` when ``server_timeout_param`` is set (Virtuoso's ``timeout``, in milliseconds;
    ``server_timeout_unit`` for servers that count in seconds), and the HTTP
    client gives up ``grace_s`` later (its socket timeout, per connect or read, in whole
    seconds: SPARQLWrapper takes an ``int``), so a server that keeps its limit answers first
    with a typed error. Writes get no server parameter (the server's own limit applies, e.g.
    Virtuoso's ``MaxQueryExecutionTime``); the client waits ``update_timeout_s + grace_s`` for
    them, which must exceed that limit: a write the client stopped waiting for may still be
    applied, even in part (``StoreUnavailableError`` with ``applied="unknown"``).

    The query's default graph must be the union of the named graphs (DESIGN.md §3): Virtuoso
    does this by itself, other servers need a setting (docs/deploy.md); ``default_graph_uri``
    is sent as the protocol's ``default-graph-uri`` with every query. ``graph_namespace``
    limits :meth:`named_graphs`, :meth:`dataset` and ``len()`` to graphs whose IRI starts with
    it (a Virtuoso server also holds its own system graphs). The WHERE of an update must name
    its graphs (``GRAPH ?g``): its default graph differs between servers.

    ``update_prologue`` is put before every update request (for Virtuoso,
    ``DEFINE sql:big-data-const 1``, without which INSERT DATA fails above about a thousand
    triples); ``insert_chunk`` is the number of triples per INSERT DATA operation and
    ``max_update_bytes`` refuses, before sending, an update request the server cannot take.
    """

    def __init__(
        self,
        query_endpoint: str,
        update_endpoint: str | None = None,
        *,
        timeout_s: float = 10,
        update_timeout_s: float = 60,
        grace_s: float = 5,
        user: str | None = None,
        password: str | None = None,
        http_auth: Literal["basic", "digest"] = "basic",
        server_timeout_param: str | None = "timeout",
        server_timeout_unit: Literal["ms", "s"] = "ms",
        default_graph_uri: str | None = None,
        graph_namespace: str | None = None,
        update_prologue: str = "",
        insert_chunk: int = 2000,
        max_update_bytes: int | None = None,
    ) -> None:
        if timeout_s <= 0 or update_timeout_s <= 0 or grace_s < 0:
            raise ValueError("timeouts must be positive")
        if insert_chunk < 1:
            raise ValueError("insert_chunk must be at least 1")
        self.query_endpoint = query_endpoint
        self.update_endpoint = update_endpoint
        self.timeout_s = timeout_s
        self.update_timeout_s = update_timeout_s
        self.grace_s = grace_s
        self._user = user
        self._password = password
        self._http_auth = http_auth.upper()
        self.server_timeout_param = server_timeout_param
        self.server_timeout_unit = server_timeout_unit
        self.default_graph_uri = default_graph_uri
        self.graph_namespace = graph_namespace
        self.update_prologue = update_prologue.strip()
        self.insert_chunk = insert_chunk
        self.max_update_bytes = max_update_bytes
        # Queries go over kept-alive connections (store/http.py) unless urlopen must send them
        # (a proxy applies, or digest authentication's challenge round trip).
        digest = user is not None and password is not None and self._http_auth == "DIGEST"
        self._pool = (
            ConnectionPool(query_endpoint) if poolable(query_endpoint) and not digest else None
        )

    @classmethod
    def virtuoso(
        cls,
        endpoint: str,
        *,
        user: str | None = None,
        password: str | None = None,
        timeout_s: float = 10,
        update_timeout_s: float = 60,
        grace_s: float = 5,
        graph_namespace: str | None = DEFAULT_GRAPH_NAMESPACE,
    ) -> RemoteStore:
        """A store on Virtuoso 7: ``endpoint`` is ``…/sparql-auth`` (digest authentication)
        with ``user``/``password``, or ``…/sparql`` where the anonymous user may update."""
        return cls(
            endpoint,
            endpoint,
            timeout_s=timeout_s,
            update_timeout_s=update_timeout_s,
            grace_s=grace_s,
            user=user,
            password=password,
            http_auth="digest",
            server_timeout_param="timeout",
            server_timeout_unit="ms",
            graph_namespace=graph_namespace,
            update_prologue="DEFINE sql:big-data-const 1",
            insert_chunk=2000,
            max_update_bytes=10_000_000,  # "string session is longer than 10Mb"
        )

    def __repr__(self) -> str:
        return f"RemoteStore({self.query_endpoint!r})"

    # -- HTTP ----------------------------------------------------------------------------

    def _wrapper(self, timeout_s: float, *, update: bool) -> SPARQLWrapper:
        # One wrapper per request: SPARQLWrapper objects hold per-query state.
        sparql = SPARQLWrapper(self.query_endpoint, self.update_endpoint)
        sparql.setMethod(POST)
        sparql.setRequestMethod(URLENCODED)
        sparql.setOnlyConneg(True)
        sparql.setTimeout(max(1, math.ceil(timeout_s + self.grace_s)))
        if self.server_timeout_param and not update:
            # Never on updates: with Virtuoso's `timeout` an INSERT … WHERE that runs out of
            # time commits what the interrupted WHERE had found so far (measured).
            scale = 1000 if self.server_timeout_unit == "ms" else 1
            sparql.addParameter(self.server_timeout_param, str(math.ceil(timeout_s * scale)))
        if self.default_graph_uri and not update:
            sparql.addParameter("default-graph-uri", self.default_graph_uri)
        if self._user is not None and self._password is not None:
            sparql.setHTTPAuth(self._http_auth)
            sparql.setCredentials(self._user, self._password)
        return sparql

    def _send(
        self, sparql: SPARQLWrapper, what: str, timeout_s: float
    ) -> tuple[bytes, dict[str, str]]:
        try:
            body, headers = self._exchange(sparql, what)
        except QueryBadFormed as exc:
            raise QuerySyntaxError(_server_message(exc)) from exc
        except Unauthorized as exc:
            endpoint = self.update_endpoint if what == "update" else self.query_endpoint
            raise StoreError(
                f"the store refused our credentials for the {what}", status=401, endpoint=endpoint
            ) from exc
        except EndPointNotFound as exc:
            raise StoreUnavailableError(
                f"no SPARQL endpoint at {self.query_endpoint} (404)", endpoint=self.query_endpoint
            ) from exc
        except EndPointInternalError as exc:
            message = _server_message(exc)
            if any(marker in message for marker in _TIMEOUT_MESSAGES):
                raise QueryTimeoutError(
                    f"the store stopped the {what}: {message}", timeout_s=timeout_s
                ) from exc
            raise StoreError(f"the store failed the {what}: {message}", status=500) from exc
        except SPARQLWrapperException as exc:
            raise StoreError(f"the store refused the {what}: {_server_message(exc)}") from exc
        except urllib.error.HTTPError as exc:
            if exc.code in (502, 503, 504):
                raise StoreUnavailableError(
                    f"the store is unavailable ({exc.code})", endpoint=self.query_endpoint
                ) from exc
            raise StoreError(
                f"the store answered the {what} with HTTP {exc.code}", status=exc.code
            ) from exc
        except (OSError, HTTPException) as exc:  # refused, reset, timed out, DNS, bad reply
            reason = getattr(exc, "reason", exc)
            details: dict[str, str] = {"endpoint": self.query_endpoint}
            if what == "update":
                # Refused: never sent. Timed out or cut: the server may still apply it, in
                # part (Virtuoso commits the operations before a failure when we are gone).
                sent = not isinstance(reason, ConnectionRefusedError | socket.gaierror)
                details["applied"] = "unknown" if sent else "no"
            raise StoreUnavailableError(
                f"cannot reach the store at {self.query_endpoint}: {reason}", **details
            ) from exc
        # Virtuoso's "anytime" queries answer 200 with partial results when time runs out,
        # and cut results at ResultSetMaxRows: both must fail rather than look complete.
        if headers.get("x-sql-state") == "S1TAT":
            raise QueryTimeoutError(
                f"the store stopped the {what} after its time limit and returned partial results",
                timeout_s=timeout_s,
            )
        if "x-sparql-maxrows" in headers:
            raise StoreError(
                f"the store cut the result of the {what} at its row limit "
                f"({headers['x-sparql-maxrows']} rows): raise ResultSetMaxRows",
                max_rows=headers["x-sparql-maxrows"],
            )
        return body, headers

    def _exchange(self, sparql: SPARQLWrapper, what: str) -> tuple[bytes, dict[str, str]]:
        """Send the request SPARQLWrapper built: a query over a kept-alive connection when
        the pool may, anything else (and a redirected query) through SPARQLWrapper itself."""
        if what == "query" and self._pool is not None:
            try:
                # SPARQLWrapper builds the request (parameters, headers, basic credentials);
                # only the sending differs from its own query().
                request = sparql._createRequest()
                data, message = self._pool.send(request, float(sparql.timeout or self.timeout_s))
                return data, {k.lower(): v for k, v in message.items()}
            except Redirected:
                pass
            except urllib.error.HTTPError as exc:
                raise _wrapper_error(exc) from exc
        result = sparql.query()
        with result.response as response:
            return response.read(), {k.lower(): v for k, v in response.headers.items()}

    def _run_query(self, query: str, form: str) -> tuple[bytes, dict[str, str]]:
        sparql = self._wrapper(self.timeout_s, update=False)
        sparql.setQuery(query)
        sparql.queryType = form  # our lexer's reading, not SPARQLWrapper's keyword search
        if form in ("CONSTRUCT", "DESCRIBE"):
            sparql.addCustomHttpHeader("Accept", GRAPH_ACCEPT)
        else:
            sparql.setReturnFormat(JSON)
            sparql.addCustomHttpHeader("Accept", RESULTS_JSON)
        return self._send(sparql, "query", self.timeout_s)

    def _results(self, query: str, form: str) -> ox.QuerySolutions | ox.QueryBoolean:
        body, headers = self._run_query(query, form)
        if not headers.get("content-type", "").startswith(RESULTS_JSON):
            raise StoreError(
                "the store did not answer with SPARQL JSON results",
                content_type=headers.get("content-type"),
            )
        try:
            document = json.loads(body)
            return ox.parse_query_results(
                _normalise_results(document), format=ox.QueryResultsFormat.JSON
            )
        except (ValueError, SyntaxError) as exc:
            raise StoreError(f"unreadable results from the store: {exc}") from exc

    def _triples(self, query: str, form: str) -> list[ox.Triple]:
        body, headers = self._run_query(query, form)
        media_type = headers.get("content-type", "").split(";")[0].strip()
        rdf_format = ox.RdfFormat.from_media_type(media_type) if media_type else None
        if rdf_format is None:
            raise StoreError(
                "the store answered a graph query with an unknown format", content_type=media_type
            )
        try:
            return [q.triple for q in ox.parse(body, format=rdf_format)]
        except SyntaxError as exc:
            raise StoreError(f"unreadable graph from the store: {exc}") from exc

    # -- queries -------------------------------------------------------------------------

    @staticmethod
    def _checked_form(query: str, expected: tuple[str, ...], name: str) -> str:
        form = query_form(query)
        if form is None:
            raise QuerySyntaxError(
                "not a SPARQL query: after PREFIX and BASE it must start "
                "with SELECT, CONSTRUCT, ASK or DESCRIBE"
            )
        if form not in expected:
            raise QuerySyntaxError(f"expected {name} query, not {form}")
        return form

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Row]:
        return solution_rows(self._solutions(query, bindings))

    def select_text(
        self, query: str, bindings: Mapping[str, Node] | None = None
    ) -> list[dict[str, str]]:
        return solution_texts(self._solutions(query, bindings))

    def _solutions(self, query: str, bindings: Mapping[str, Node] | None) -> ox.QuerySolutions:
        form = self._checked_form(query, ("SELECT",), "a SELECT")
        projection = projected(query)
        for name in bindings or ():
            if projection is not None and name not in projection:
                # as the embedded store (SEP-0007): a bound variable must be projected
                raise QueryEvaluationError(
                    f"The query could not be evaluated: ?{name} is bound but not projected"
                )
        solutions = self._results(bind_values(query, bindings), form)
        if not isinstance(solutions, ox.QuerySolutions):
            raise QuerySyntaxError("expected a SELECT query")
        return solutions

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool:
        form = self._checked_form(query, ("ASK",), "an ASK")
        result = self._results(bind_values(query, bindings), form)
        if not isinstance(result, ox.QueryBoolean):
            raise QuerySyntaxError("expected an ASK query")
        return bool(result)

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> Graph:
        form = self._checked_form(query, ("CONSTRUCT", "DESCRIBE"), "a CONSTRUCT or DESCRIBE")
        graph = Graph()
        for triple in self._triples(bind_values(query, bindings), form):
            graph.add(
                (to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object))
            )
        return graph

    def engine_result(self, query: str) -> ox.QueryBoolean | ox.QuerySolutions | list[ox.Triple]:
        """Run any query; the server's answer parsed into pyoxigraph's result types."""
        form = self._checked_form(query, tuple(sorted(QUERY_FORMS)), "a")
        if form in ("CONSTRUCT", "DESCRIBE"):
            return self._triples(query, form)
        return self._results(query, form)

    def query_serialized(self, query: str, fmt: str) -> tuple[bytes, str]:
        """Run any query; the result is serialised here, exactly as the embedded store does."""
        form = self._checked_form(query, tuple(sorted(QUERY_FORMS)), "a")
        if form in ("CONSTRUCT", "DESCRIBE"):
            triples = self._triples(query, form)
            data = ox.serialize(triples, format=_GRAPH_FORMATS.get(fmt, ox.RdfFormat.TURTLE))
            return bytes(data or b""), "graph"
        result = self._results(query, form)
        kind = "boolean" if isinstance(result, ox.QueryBoolean) else "solutions"
        out = result.serialize(format=_RESULT_FORMATS.get(fmt, ox.QueryResultsFormat.JSON))
        return bytes(out or b""), kind

    # -- writes --------------------------------------------------------------------------

    def _update_text(self, prologue: Iterable[str], operations: list[str]) -> str:
        head = [self.update_prologue] if self.update_prologue else []
        return "\n".join([*head, *prologue, " ;\n".join(operations)])

    def _run_update(self, text: str) -> None:
        if self.update_endpoint is None:
            raise StoreError(
                "this store has no update endpoint: it is read-only", endpoint=self.query_endpoint
            )
        size = len(text.encode("utf-8"))
        if self.max_update_bytes is not None and size > self.max_update_bytes:
            raise StoreError(
                f"the write is {size} bytes, more than the store takes in one "
                f"request ({self.max_update_bytes})",
                size=size,
            )
        sparql = self._wrapper(self.update_timeout_s, update=True)
        sparql.setQuery(text)
        sparql.queryType = "INSERT"  # any update form: it goes to the update endpoint
        self._send(sparql, "update", self.update_timeout_s)

    def _insert_operations(self, name: URIRef, graph: Graph) -> list[str]:
        """INSERT DATA operations of at most ``insert_chunk`` triples for ``graph``.

        Triples with blank nodes go into one ``INSERT { … } WHERE {}`` so that a blank node
        stays one node (Virtuoso also refuses blank nodes in INSERT DATA).
        """
        target = _iri_n3(name)
        plain: list[str] = []
        with_bnodes: list[str] = []
        for s, p, o in graph:
            line = f"{_write_n3(s)} {term_n3(p)} {_write_n3(o)} ."
            if isinstance(s, BNode) or isinstance(o, BNode):
                with_bnodes.append(line)
            else:
                plain.append(line)
        plain.sort()  # deterministic requests
        operations = [
            f"INSERT DATA {{ GRAPH {target} {{\n"
            + "\n".join(plain[i : i + self.insert_chunk])
            + "\n} }"
            for i in range(0, len(plain), self.insert_chunk)
        ]
        if with_bnodes:
            operations.append(
                f"INSERT {{ GRAPH {target} {{\n" + "\n".join(sorted(with_bnodes)) + "\n} } WHERE {}"
            )
        return operations

    def replace_graphs(
        self,
        graphs: Mapping[URIRef, Graph],
        *,
        drop: Iterable[URIRef] = (),
        then: Iterable[str] = (),
    ) -> None:
        """One update request: drop, insert, then the ``then`` updates.

        Whether a failure part-way leaves nothing written is up to the server: Virtuoso 7
        keeps the operations before the failing one (measured; docs/deploy.md).
        """
        prologue: list[str] = []
        operations: list[str] = []
        try:
            for name in [*graphs, *drop]:
                operations.append(f"DROP SILENT GRAPH {_iri_n3(name)}")
            for name, graph in graphs.items():
                operations.extend(self._insert_operations(name, graph))
        except (ValueError, TypeError) as exc:
            raise StoreError(f"the write was not applied: {exc}") from exc
        for request in then:
            # PREFIX lines are allowed only at the start of a request: hoist them.
            head, body = _split_prologue(request)
            prologue.extend(line for line in head if line not in prologue)
            operations.append(body)
        if not operations:
            return
        try:
            self._run_update(self._update_text(prologue, operations))
        except QuerySyntaxError as exc:  # refused before any operation ran
            raise StoreError(f"the write was not applied: {exc.message}") from exc
        except StoreError as exc:
            if exc.details.get("status") != 500:
                raise
            raise StoreError(
                f"the write failed part-way: {exc.message}. This store may keep the operations "
                "before the failure (Virtuoso does: docs/deploy.md).",
                status=500,
            ) from exc

    def apply(
        self,
        *,
        replace: Mapping[URIRef, Graph] | None = None,
        delete: Mapping[URIRef, Graph] | None = None,
        insert: Mapping[URIRef, Graph] | None = None,
    ) -> None:
        """One update request: replace graphs, then delete and insert triples per graph (as
        atomic as the server makes one request: Virtuoso does not, docs/deploy.md)."""
        operations: list[str] = []
        try:
            for name, graph in (replace or {}).items():
                operations.append(f"DROP SILENT GRAPH {_iri_n3(name)}")
                operations.extend(self._insert_operations(name, graph))
            for name, graph in (delete or {}).items():
                lines = sorted(
                    f"{_write_n3(s)} {term_n3(p)} {_write_n3(o)} ."
                    for s, p, o in graph
                    if not isinstance(s, BNode) and not isinstance(o, BNode)
                )
                for i in range(0, len(lines), self.insert_chunk):
                    operations.append(
                        f"DELETE DATA {{ GRAPH {_iri_n3(name)} {{\n"
                        + "\n".join(lines[i : i + self.insert_chunk])
                        + "\n} }"
                    )
            for name, graph in (insert or {}).items():
                if len(graph):
                    operations.extend(self._insert_operations(name, graph))
        except (ValueError, TypeError) as exc:
            raise StoreError(f"the write was not applied: {exc}") from exc
        if operations:
            self._run_update(self._update_text([], operations))

    def update(self, sparql: str, *, base_iri: str | None = None) -> None:
        head, body = _split_prologue(sparql)
        if base_iri is not None:
            head = [f"BASE {_iri_n3(base_iri)}", *head]
        self._run_update(self._update_text(head, [body]))

    def write_graph(
        self, name: URIRef | None, data: Graph, *, replace: bool = True, drop: bool = False
    ) -> None:
        """Replace (or merge into) one named graph in one request; ``drop`` removes it."""
        if name is None:
            raise StoreError(
                "the default graph of this store is the union of its named graphs: "
                "write to a named graph"
            )
        operations = [f"DROP SILENT GRAPH {_iri_n3(name)}"] if replace or drop else []
        if not drop:
            operations.extend(self._insert_operations(name, data))
        if operations:
            self._run_update(self._update_text([], operations))

    def has_graph(self, name: URIRef | None) -> bool:
        """Whether ``name`` holds triples (a remote store may not keep empty graphs)."""
        if name is None:
            return True
        return self.ask(f"ASK {{ GRAPH {_iri_n3(name)} {{ ?s ?p ?o }} }}")

    # -- whole graphs --------------------------------------------------------------------

    def _graph_filter(self, variable: str) -> str:
        if not self.graph_namespace:
            return ""
        return f"FILTER(STRSTARTS(STR(?{variable}), {term_n3(RdfLiteral(self.graph_namespace))}))"

    def graph(self, name: URIRef) -> Graph:
        # SELECT rather than CONSTRUCT: Virtuoso marks a SELECT cut at ResultSetMaxRows
        # (X-SPARQL-MaxRows), but cuts a CONSTRUCT silently.
        query = f"SELECT ?s ?p ?o WHERE {{ GRAPH {_iri_n3(name)} {{ ?s ?p ?o }} }}"
        graph = Graph()
        for row in self.select(query):
            graph.add((row["s"], row["p"], row["o"]))
        return graph

    def named_graphs(self) -> list[URIRef]:
        query = f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {self._graph_filter('g')} }}"
        return sorted(
            URIRef(str(row["g"])) for row in self.select(query) if isinstance(row.get("g"), URIRef)
        )

    def dataset(self) -> Dataset:
        query = f"SELECT ?g ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {self._graph_filter('g')} }}"
        ds = Dataset()
        for row in self.select(query):
            ds.add((row["s"], row["p"], row["o"], row["g"]))  # type: ignore[arg-type]
        return ds

    def __len__(self) -> int:
        query = (
            f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {self._graph_filter('g')} }}"
        )
        rows = self.select(query)
        return int(str(rows[0]["n"])) if rows and "n" in rows[0] else 0

    def flush(self) -> None:
        """Nothing to flush: the server commits each request."""

    def close(self) -> None:
        """Close the kept-alive query connections (updates open their own each time)."""
        if self._pool is not None:
            self._pool.close()


def _wrapper_error(exc: urllib.error.HTTPError) -> Exception:
    """The exception SPARQLWrapper's own ``query()`` raises for this HTTP error."""
    kinds: dict[int, type[SPARQLWrapperException]] = {
        400: QueryBadFormed,
        401: Unauthorized,
        404: EndPointNotFound,
        414: URITooLong,
        500: EndPointInternalError,
    }
    kind = kinds.get(exc.code)
    return exc if kind is None else kind(exc.read())


def _write_n3(term: Node) -> str:
    """A term of a written graph: blank nodes allowed (in INSERT templates only).

    A term that cannot be written safely is the writer's input error, not ours.
    """
    try:
        return f"_:{_bnode_id(str(term))}" if isinstance(term, BNode) else term_n3(term)
    except ValueError as exc:
        raise UnusableInputError(
            f"A term cannot be stored: {str(exc)[:200]}", code="invalid-term"
        ) from exc


def _normalise_results(document: Any) -> bytes:
    """SPARQL JSON results in the form pyoxigraph reads: Virtuoso writes the 2008 draft's
    ``typed-literal`` and blank node ids such as ``nodeID://b10000``."""
    if not isinstance(document, dict):
        raise ValueError("results are not a JSON object")
    bindings = document.get("results", {}).get("bindings")
    if isinstance(bindings, list):
        for binding in bindings:
            for value in binding.values():
                kind = value.get("type")
                if kind == "typed-literal":
                    value["type"] = "literal"
                datatype = value.get("datatype")
                if value.get("type") == "literal" and datatype == XSD_STRING:
                    del value["datatype"]
                elif datatype == XSD_BOOLEAN and value.get("value") in _BOOLEAN_CANONICAL:
                    # Virtuoso keeps booleans as integers and writes 1 / 0: legal lexical forms,
                    # but the embedded store, and every reader of lexical rows, say true / false
                    value["value"] = _BOOLEAN_CANONICAL[value["value"]]
                elif kind == "bnode":
                    value["value"] = _bnode_id(str(value.get("value", "")))
    head = document.get("head")
    if isinstance(head, dict):
        head.pop("link", None)
    return json.dumps(document).encode("utf-8")


def _bnode_id(value: str) -> str:
    if value.startswith("nodeID://"):
        value = value[len("nodeID://") :]
    if _BNODE_LABEL.fullmatch(value) and not value.endswith("."):
        return value
    return "b" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]
