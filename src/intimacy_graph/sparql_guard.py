"""Refuse dangerous SPARQL before any engine sees it (DESIGN.md §3, §8).

A small lexer (strings, IRIs and comments are skipped, never searched) finds the query form,
every ``SERVICE``/``LOAD`` keyword, the IRIs of ``FROM``/``FROM NAMED``/``USING``, and the
nesting depth.  It never evaluates anything and costs microseconds, unlike rdflib's parser.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from urllib.parse import urljoin

from intimacy_graph.errors import QueryRefusedError

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+)
  | (?P<word>[^\W\d][\w.-]*(?::[\w.%:-]*)?|:[\w.%:-]*|\d[\w.]*)
  | (?P<open>[{(\[])
  | (?P<close>[})\]])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
QUERY_FORMS = {"SELECT", "CONSTRUCT", "ASK", "DESCRIBE"}
UPDATE_FORMS = {
    "INSERT",
    "DELETE",
    "LOAD",
    "CLEAR",
    "CREATE",
    "DROP",
    "COPY",
    "MOVE",
    "ADD",
    "WITH",
}


@dataclass
class Inspection:
    """What the lexer saw in one request."""

    form: str | None = None  # SELECT, CONSTRUCT, ASK, DESCRIBE, or UPDATE
    empty: bool = True  # nothing but comments, PREFIX and BASE (an empty update is legal)
    dataset: list[str] = field(default_factory=list)  # FROM / FROM NAMED / USING IRIs
    depth: int = 0

    @property
    def is_update(self) -> bool:
        return self.form == "UPDATE"


def inspect(
    text: str,
    *,
    known_graphs: Collection[str] | None = None,
    max_depth: int = 64,
    base: str | None = None,
) -> Inspection:
    """Lex ``text`` and refuse SERVICE, LOAD, remote datasets and deep nesting.

    >>> inspect("SELECT * WHERE { ?s ?p ?o }").form
    'SELECT'
    >>> inspect("SELECT * { SERVICE <http://127.0.0.1/> { ?s ?p ?o } }")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    intimacy_graph.errors.QueryRefusedError: SERVICE is not allowed: ...
    """
    # SPARQL applies \u codepoint escapes to the whole request before parsing (§19.2), so a
    # keyword could hide behind them: undo them first.
    text = _CODEPOINT.sub(lambda m: _codepoint(m.group(1) or m.group(2)), text)
    seen = Inspection()
    prefixes: dict[str, str] = {}
    depth = 0
    expect: str | None = None  # after FROM / USING / PREFIX
    pending_prefix: str | None = None
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        value = match.group()
        if kind in ("ws", "comment"):
            continue
        if expect not in ("prefix", "prefix-iri", "base") and not (
            kind == "word" and value.upper() in ("PREFIX", "BASE")
        ):
            seen.empty = False
        if kind == "string":
            continue
        if kind == "open":
            depth += 1
            if depth > max_depth:
                raise QueryRefusedError(
                    f"The request nests brackets deeper than {max_depth} levels.",
                    code="too-deeply-nested",
                )
            seen.depth = max(seen.depth, depth)
            expect = None
            continue
        if kind == "close":
            depth = max(0, depth - 1)
            continue
        if kind == "word" and ":" not in value:
            upper = value.upper()
            if upper == "SERVICE":
                raise QueryRefusedError(
                    "SERVICE is not allowed: this endpoint never calls other servers.",
                    code="service-refused",
                )
            if upper == "LOAD":
                raise QueryRefusedError(
                    "LOAD is not allowed: this endpoint never fetches data from a URL.",
                    code="load-refused",
                )
            if seen.form is None and upper in QUERY_FORMS:
                seen.form = upper
            elif seen.form is None and upper in UPDATE_FORMS:
                seen.form = "UPDATE"
            if upper in ("FROM", "USING"):
                expect = "dataset"
            elif upper == "NAMED" and expect == "dataset":
                pass
            elif upper == "PREFIX":
                expect = "prefix"
            elif upper == "BASE":
                expect = "base"
            elif expect != "prefix-iri":
                expect = None
            continue
        if kind == "word" and expect == "prefix":
            pending_prefix = value.split(":", 1)[0]
            expect = "prefix-iri"
            continue
        if kind == "iri" and expect == "base":
            base = _resolve(base, value[1:-1])
            expect = None
            continue
        if kind == "iri" and expect == "prefix-iri":
            prefixes[pending_prefix or ""] = _resolve(base, value[1:-1])
            expect = None
            continue
        if expect == "dataset" and kind in ("iri", "word"):
            if kind == "iri":
                iri = _resolve(base, value[1:-1])
            else:
                prefix, _, local = value.partition(":")
                iri = prefixes.get(prefix, prefix + ":") + local
            seen.dataset.append(iri)
            expect = None
            continue
        expect = None
    if known_graphs is not None:
        for iri in seen.dataset:
            if iri not in known_graphs:
                raise QueryRefusedError(
                    f"FROM/USING <{iri}> names no graph of this store; this endpoint never "
                    "fetches remote data.",
                    code="remote-dataset-refused",
                    iri=iri,
                )
    return seen


def _resolve(base: str | None, iri: str) -> str:
    """Resolve a relative IRI against the current BASE (RFC 3986), as the engine will."""
    return urljoin(base, iri) if base else iri


def _codepoint(hex_digits: str) -> str:
    value = int(hex_digits, 16)
    return chr(value) if value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF else "\ufffd"
