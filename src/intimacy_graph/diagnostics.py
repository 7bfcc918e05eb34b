"""One report format for the parser's diagnostics and SHACL's results (DESIGN.md §6)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Diagnostic:
    """One finding about one input: a stable ``code``, a severity and a plain-words message.

    ``file``/``line`` point at the Markdown (1-based); SHACL results also carry the focus node,
    path, value and shape that produced them.
    """

    code: str
    severity: Severity
    message: str
    file: str | None = None
    line: int | None = None
    focus: str | None = None
    path: str | None = None
    value: str | None = None
    shape: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = str(self.severity)
        return {k: v for k, v in data.items() if v is not None}

    def to_text(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        extra = f" [{self.focus}]" if self.focus and self.line is None else ""
        return f"{where}: {self.severity}: {self.message} ({self.code}){extra}"


@dataclass
class Report:
    """A list of diagnostics; it conforms when none of them is an error."""

    results: list[Diagnostic] = field(default_factory=list)

    def extend(self, items: Iterable[Diagnostic]) -> None:
        self.results.extend(items)

    @property
    def conforms(self) -> bool:
        return not any(d.severity is Severity.ERROR for d in self.results)

    def has(self, *severities: Severity) -> bool:
        return any(d.severity in severities for d in self.results)

    def sorted(self) -> list[Diagnostic]:
        order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
        return sorted(
            self.results,
            key=lambda d: (d.file or "", d.line or 0, order[d.severity], d.code, d.message),
        )

    def to_dict(self) -> dict[str, Any]:
        return {"conforms": self.conforms, "results": [d.to_dict() for d in self.sorted()]}
