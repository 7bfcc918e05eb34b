"""The worker side of a pooled build (:mod:`intimacy_graph.buildpool`): what runs in each
forked worker process, and what it sends back.

A worker answers two requests on its pipe, keeping what it compiled between them (``state``):
``compile`` a chunk of notes (read, parse, encode into a list of triples, text for the store
and the rules) and ``validate`` all of its notes with the build's registry (SHACL, and the
rules' conclusions of each note that will be written). Only plain data crosses the pipe.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from rdflib import URIRef
from rdflib.term import Node

from intimacy_graph import closure
from intimacy_graph.diagnostics import Diagnostic, Severity
from intimacy_graph.encode import (
    EncodedNote,
    RegistryPlan,
    encode_note_triples,
    registry_text,
    registry_triples,
)
from intimacy_graph.errors import UnusableInputError
from intimacy_graph.namespaces import Iris
from intimacy_graph.notes import read_note
from intimacy_graph.notes.model import Citation
from intimacy_graph.store.terms import to_oxigraph

Triple = tuple[Node, Node, Node]
TextTriple = closure.TextTriple
#: file → (SHACL diagnostics, conclusions line → generation, or None when not written)
Checked = dict[str, tuple[list[Diagnostic], dict[str, int] | None]]


@dataclass
class Compiled:
    """What a worker returns for one note that parsed without errors."""

    slug: str
    title: str
    title_line: int
    content_hash: str
    concepts: dict[str, list[str]]
    works: dict[str, tuple[Citation, bool]]
    nquads: bytes  # the note graph, N-Quads
    #: its triples that the rules could conclude too (N-Triples without the final " ."): the
    #: inferred graph leaves out what any graph holds
    concludable: list[str]


class Lines:
    """Triples → N-Triples lines (no final ``" ."``), terms written by pyoxigraph (memoised)."""

    def __init__(self) -> None:
        self.memo: dict[Node, str] = {}

    def term(self, term: Node) -> str:
        text = self.memo.get(term)
        if text is None:
            try:
                text = self.memo[term] = str(to_oxigraph(term))
            except (ValueError, TypeError, UnicodeError) as exc:
                raise UnusableInputError(
                    f"A term cannot be stored: {str(exc)[:200]}", code="invalid-term"
                ) from exc
        return text

    def __call__(self, triples: Iterable[Triple]) -> list[TextTriple]:
        term = self.term
        return [(term(s), term(p), term(o)) for s, p, o in triples]


def serve(pipe: Connection, inherited: list[Connection], parent: int) -> None:
    """A worker's loop: answer each request on ``pipe`` with ``("ok", answer)`` or
    ``("error", exception)`` until ``"stop"`` or the end of the pipe. ``inherited`` are the
    parent's ends of the pipes, which the fork copied and this worker closes."""
    for other in inherited:
        other.close()
    _die_with_parent(parent)
    state: dict[str, Any] = {}
    while True:
        try:
            message = pipe.recv()
        except EOFError:
            return
        if message[0] == "stop":
            return
        try:
            if message[0] == "compile":
                answer: Any = _compile(state, *message[1:])
            else:
                answer = _validate(state, *message[1:])
            pipe.send(("ok", answer))
        except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
            try:
                pipe.send(("error", exc))
            except Exception:  # noqa: BLE001 - an exception that does not pickle
                pipe.send(("error", traceback.format_exc()))


def _die_with_parent(parent: int) -> None:
    """Have Linux kill this worker when the build's process dies (``PR_SET_PDEATHSIG``): a
    killed import leaves no worker computing for nobody."""
    with contextlib.suppress(AttributeError, OSError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it died before that
        os._exit(1)


def _begin(state: dict[str, Any], iris: Iris) -> None:
    """What a worker keeps for one build, made on its first request (a worker may get no
    notes to compile when there are fewer chunks than workers)."""
    from intimacy_graph.build import load_ontology

    if "notes" not in state:
        state["lines"] = lines = Lines()
        schema = closure.TextSchema(closure.Schema.of(load_ontology()), lines.term)
        state["schema"], state["concluded"] = schema, schema.conclusion_predicates()
        state["notes"], state["texts"], state["iris"] = {}, {}, iris


def _compile(
    state: dict[str, Any],
    notes_dir: Path,
    files: list[Path],
    iris: Iris,
    run: URIRef,
    now: datetime,
    max_bytes: int,
) -> list[tuple[str, list[Diagnostic], Compiled | None]]:
    _begin(state, iris)
    lines: Lines = state["lines"]
    concluded: frozenset[str] = state["concluded"]
    notes: dict[str, EncodedNote] = state["notes"]
    texts: dict[str, list[TextTriple]] = state["texts"]
    out: list[tuple[str, list[Diagnostic], Compiled | None]] = []
    for path in files:
        note, diags = read_note(path, notes_dir, max_bytes)
        file = str(path.relative_to(notes_dir))
        if note is None or any(d.severity is Severity.ERROR for d in diags):
            out.append((file, diags, None))
            continue
        c = encode_note_triples(note, iris, run=run, modified=now)
        notes[file] = c
        texts[file] = text = lines(c.triples)
        graph = f" {lines.term(iris.note_graph(c.slug))} .\n"
        compiled = Compiled(
            c.slug,
            note.title,
            note.title_line,
            note.content_hash,
            c.concepts,
            c.works,
            "".join(f"{s} {p} {o}{graph}" for s, p, o in text).encode("utf-8"),
            [f"{s} {p} {o}" for s, p, o in text if p in concluded],
        )
        out.append((file, diags, compiled))
    return out


def _validate(
    state: dict[str, Any],
    iris: Iris,
    plan: RegistryPlan,
    todo: dict[str, bool],
    part: int,
    parts: int,
) -> tuple[Checked, list[TextTriple], dict[str, int]]:
    from intimacy_graph.build import RegistryIndex, validate_compiled

    _begin(state, iris)
    notes: dict[str, EncodedNote] = state["notes"]
    mentioned = {
        term[1:-1]
        for file in todo
        if file in notes
        for s, _, o in state["texts"][file]
        for term in (s, o)
        if term[0] == "<"
    }
    index = RegistryIndex(registry_triples(plan, iris, only=mentioned))
    schema: closure.TextSchema = state["schema"]
    out: dict[str, tuple[list[Diagnostic], dict[str, int] | None]] = {}
    for file, c in notes.items():
        if file not in todo:
            continue
        diags = validate_compiled(c, index)
        reached = None
        if todo[file] and not any(d.severity is Severity.ERROR for d in diags):
            found = closure.text_depths(state["texts"][file], schema)
            reached = {" ".join(t): d for t, d in found.items()}
        out[file] = (diags, reached)
    share = registry_text(plan, iris, part, parts)
    share_reached = {" ".join(t): d for t, d in closure.text_depths(share, schema).items()}
    return out, share, share_reached
