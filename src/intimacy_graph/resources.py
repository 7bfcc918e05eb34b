"""Where the top-level data folders (ontology, shapes, queries, notes) are.

In a checkout (editable install) they sit at the repository root; in a wheel they are shipped
inside the package as ``intimacy_graph/_data/<name>``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CANDIDATES = (_PACKAGE / "_data", _PACKAGE.parent.parent)


def data_dir(name: str) -> Path:
    """Return the folder ``name`` (``ontology``, ``shapes``, ``queries`` or ``notes``)."""
    for root in _CANDIDATES:
        path = root / name
        if path.is_dir():
            return path
    raise FileNotFoundError(f"data folder {name!r} is not installed with intimacy_graph")


def ontology_file() -> Path:
    return data_dir("ontology") / "intimacy.ttl"


def shapes_files() -> list[Path]:
    return sorted(data_dir("shapes").glob("*.shapes.ttl"))
