"""Load the service's SPARQL from ``queries/*.rq`` (one query per file, values bound later)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from intimacy_graph.resources import data_dir


@dataclass(frozen=True)
class QueryFile:
    """A ``.rq`` file: its name, its ``#`` header and its text."""

    name: str
    path: Path
    header: str
    text: str


def _read(path: Path) -> QueryFile:
    text = path.read_text(encoding="utf-8")
    header_lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header_lines.append(line.lstrip("#").strip())
    return QueryFile(path.stem, path, "\n".join(header_lines).strip(), text)


@cache
def load(name: str) -> str:
    """The text of ``queries/<name>.rq``."""
    return _read(data_dir("queries") / f"{name}.rq").text


def folder(sub: str) -> list[QueryFile]:
    """Every ``.rq`` file in ``queries/<sub>/``, in file-name order."""
    return [_read(p) for p in sorted((data_dir("queries") / sub).glob("*.rq"))]
