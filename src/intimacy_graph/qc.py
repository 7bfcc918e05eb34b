"""Run the quality checks of ``queries/qc/*-violation.rq`` (DESIGN.md §6).

Each check is a ``SELECT`` that returns no rows on good data; every row is a
:class:`QcFinding`. The checks run on any :class:`~intimacy_graph.store.base.Store`, over the
union of all named graphs (after inference), with the severity their header declares
(``# severity: error|warning|info``, see ``queries/qc/README.md``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph
from rdflib import BNode
from rdflib.term import Node

from intimacy_graph.diagnostics import Diagnostic, Severity
from intimacy_graph.errors import IntimacyGraphError
from intimacy_graph.namespaces import Iris
from intimacy_graph.resources import data_dir
from intimacy_graph.store.base import Row
from intimacy_graph.store.sparql import projected, query_form
from intimacy_graph.store.terms import to_rdflib

#: The registry graph IRI the check files name; :func:`run_qc` rebinds it.
QC_REGISTRY_GRAPH = str(Iris().registry_graph)

_SUFFIX = "-violation"
_SEVERITY_LINE = re.compile(r"^#\s*severity:\s*(\w+)\s*$", re.IGNORECASE | re.MULTILINE)
_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


class QcCheckError(IntimacyGraphError):
    """A check file is malformed (no severity, wrong projection)."""

    code = "qc-check-error"


@dataclass(frozen=True)
class QcCheck:
    """One check file: its name (``broader-cycle``), severity and query text."""

    name: str
    severity: Severity
    text: str


@dataclass(frozen=True)
class QcFinding:
    """One row of a check: what is wrong (``message``) and where (``focus``, ``value``)."""

    check: str
    severity: Severity
    focus: str
    message: str
    value: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``value`` left out when there is none)."""
        data = asdict(self)
        data["severity"] = str(self.severity)
        return {k: v for k, v in data.items() if v is not None}

    def to_diagnostic(self) -> Diagnostic:
        """The same finding in the report format of the parser and SHACL."""
        return Diagnostic(
            code=f"qc-{self.check}",
            severity=self.severity,
            message=self.message,
            focus=self.focus,
            value=self.value,
        )


def load_checks(folder: Path | None = None) -> list[QcCheck]:
    """Read every ``*-violation.rq`` of ``queries/qc`` (or ``folder``), sorted by name."""
    folder = folder if folder is not None else data_dir("queries") / "qc"
    checks = []
    for path in sorted(folder.glob(f"*{_SUFFIX}.rq")):
        name = path.stem.removesuffix(_SUFFIX)
        text = path.read_text(encoding="utf-8")
        header = "\n".join(_header_lines(text))
        match = _SEVERITY_LINE.search(header)
        if match is None:
            raise QcCheckError(f"check {name} has no '# severity:' header line", check=name)
        try:
            severity = Severity(match.group(1).lower())
        except ValueError:
            raise QcCheckError(
                f"check {name} has an unknown severity {match.group(1)!r}", check=name
            ) from None
        checks.append(QcCheck(name, severity, text))
    return checks


class Selects(Protocol):
    """The part of :class:`~intimacy_graph.store.base.Store` the checks need."""

    def select(self, query: str, bindings: Mapping[str, Node] | None = None) -> list[Row]: ...


def run_check(
    store: Selects | pyoxigraph.Store,
    check: QcCheck,
    *,
    registry_graph_iri: str = QC_REGISTRY_GRAPH,
) -> list[QcFinding]:
    """Run one check over the union of the store's named graphs.

    ``store`` is a :class:`~intimacy_graph.store.base.Store`; a bare ``pyoxigraph.Store`` is
    still accepted (read with its union default graph).
    """
    registry = str(pyoxigraph.NamedNode(registry_graph_iri))  # raises ValueError if not an IRI
    query = check.text.replace(f"<{QC_REGISTRY_GRAPH}>", registry)
    if query_form(query) != "SELECT":
        raise QcCheckError(f"check {check.name} is not a SELECT query", check=check.name)
    names = projected(query)  # None for SELECT *: checked row by row below
    if names is not None and not {"focus", "message"} <= names:
        raise QcCheckError(f"check {check.name} must project ?focus and ?message", check=check.name)
    rows = _select_raw(store, query) if isinstance(store, pyoxigraph.Store) else store.select(query)
    findings = []
    for row in rows:
        focus, message = row.get("focus"), row.get("message")
        if focus is None or message is None:
            raise QcCheckError(
                f"check {check.name} returned a row without ?focus or ?message",
                check=check.name,
            )
        value = row.get("value")
        findings.append(
            QcFinding(
                check=check.name,
                severity=check.severity,
                focus=_text(focus),
                message=_text(message),
                value=_text(value) if value is not None else None,
            )
        )
    return findings


def run_qc(
    store: Selects | pyoxigraph.Store,
    *,
    checks: Sequence[QcCheck] | None = None,
    registry_graph_iri: str = QC_REGISTRY_GRAPH,
) -> list[QcFinding]:
    """Run every check; return the findings, errors first, then by check and focus."""
    checks = list(checks) if checks is not None else load_checks()
    findings = [
        finding
        for check in checks
        for finding in run_check(store, check, registry_graph_iri=registry_graph_iri)
    ]
    return sorted(
        findings,
        key=lambda f: (_SEVERITY_ORDER[f.severity], f.check, f.focus, f.value or "", f.message),
    )


def _select_raw(store: pyoxigraph.Store, query: str) -> list[Row]:
    solutions = store.query(query, use_default_graph_as_union=True)
    if not isinstance(solutions, pyoxigraph.QuerySolutions):
        raise QcCheckError("a check is not a SELECT query")
    names = [variable.value for variable in solutions.variables]
    return [
        {name: to_rdflib(solution[name]) for name in names if solution[name] is not None}
        for solution in solutions
    ]


def _header_lines(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line)
    return lines


def _text(term: Node) -> str:
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)
