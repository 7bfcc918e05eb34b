"""Validating one entry — a Markdown note or an RDF file — with one report format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from intimacy_graph.diagnostics import Diagnostic, Severity
from intimacy_graph.encode import CompiledNote, build_registry, encode_note
from intimacy_graph.errors import UnusableInputError
from intimacy_graph.namespaces import Iris
from intimacy_graph.notes import read_note_bytes
from intimacy_graph.notes.reader import DEFAULT_MAX_BYTES, UNUSABLE_CODES
from intimacy_graph.rdfio import format_of, parse_rdf, union
from intimacy_graph.validation import shacl_validate

NOTE_SUFFIXES = {".md", ".markdown"}


@dataclass
class Outcome:
    """The report for one input, and whether the input was usable at all."""

    results: list[Diagnostic] = field(default_factory=list)
    unusable: bool = False
    compiled: CompiledNote | None = None

    @property
    def conforms(self) -> bool:
        return not any(d.severity is Severity.ERROR for d in self.results)


def validate_note_bytes(
    data: bytes, file: str, iris: Iris, max_bytes: int = DEFAULT_MAX_BYTES
) -> Outcome:
    """Parser diagnostics, then (if the note has no errors) SHACL over its compiled graph."""
    note, diags = read_note_bytes(data, file, max_bytes)
    outcome = Outcome(results=list(diags))
    if note is None:
        outcome.unusable = any(d.code in UNUSABLE_CODES for d in diags)
        return outcome
    if not outcome.conforms:
        return outcome
    now = datetime.now(UTC).replace(microsecond=0)
    compiled = encode_note(note, iris, run=iris.run("validation"), modified=now)
    data_graph = compiled.graph + build_registry([compiled], iris)
    outcome.results.extend(shacl_validate(data_graph, file=file))
    outcome.compiled = compiled
    return outcome


def validate_rdf_bytes(data: bytes, file: str, fmt: str) -> Outcome:
    try:
        graph = union(parse_rdf(data, fmt))
    except UnusableInputError as exc:
        line = exc.details.get("line")
        return Outcome(
            [
                Diagnostic(
                    exc.code,
                    Severity.ERROR,
                    exc.message,
                    file=file,
                    line=line if isinstance(line, int) else None,
                )
            ],
            unusable=True,
        )
    return Outcome(shacl_validate(graph, file=file))


def validate_file(path: Path, *, iris: Iris, max_bytes: int = DEFAULT_MAX_BYTES) -> Outcome:
    """Validate a note or an RDF file from disk (the CLI's ``validate``)."""
    file = str(path)
    try:
        if path.stat().st_size > max_bytes:
            return Outcome(
                [
                    Diagnostic(
                        "file-too-large",
                        Severity.ERROR,
                        f"The file is larger than {max_bytes:,} bytes.",
                        file=file,
                    )
                ],
                unusable=True,
            )
        data = path.read_bytes()
    except OSError as exc:
        return Outcome(
            [
                Diagnostic(
                    "unreadable-file",
                    Severity.ERROR,
                    f"The file cannot be read: {exc.strerror}.",
                    file=file,
                )
            ],
            unusable=True,
        )
    if path.suffix.lower() in NOTE_SUFFIXES:
        return validate_note_bytes(data, file, iris, max_bytes)
    try:
        fmt = format_of(path.name)
    except UnusableInputError:
        return validate_note_bytes(data, file, iris, max_bytes)
    return validate_rdf_bytes(data, file, fmt)
