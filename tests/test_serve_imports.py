"""Serving starts fast because it imports only what serving needs (issue #3: ready < 1 s).

Each check runs in a fresh interpreter, since this test process has long imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

#: Loaded on first use by the write path, validation, import/export or reasoning — never at
#: start-up.
NOT_AT_START = [
    "pyshacl",
    "pyparsing",
    "rdflib.plugins.sparql",
    "markdown_it",
    "owlready2",
    "jinja2",
    "SPARQLWrapper",
    "intimacy_graph.build",
    "intimacy_graph.notes.parse",
    "intimacy_graph.qc",
    "intimacy_graph.reasoning",
    "intimacy_graph.shacl_fast",
    "intimacy_graph.store.sparql",
    "intimacy_graph.vault",
]


def loaded_after(code: str, names: list[str]) -> list[str]:
    """Which of ``names`` are in ``sys.modules`` after running ``code`` in a new process."""
    probe = (
        f"{code}\nimport json, sys\nprint(json.dumps([n for n in {names!r} if n in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    found: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def test_the_app_loads_no_build_validation_or_page_machinery(tmp_path: Path) -> None:
    code = (
        "from pathlib import Path\n"
        "from intimacy_graph.api import create_app\n"
        "from intimacy_graph.config import Settings\n"
        f"create_app(Settings(data_dir=Path({str(tmp_path)!r})))"
    )
    assert loaded_after(code, NOT_AT_START) == []


def test_a_sparql_worker_re_importing_the_cli_loads_no_heavy_library() -> None:
    """Under ``python -m intimacy_graph.cli serve`` each spawned SPARQL worker imports the CLI
    module again (as ``__mp_main__``): that must stay cheap."""
    heavy = ["rdflib", "pydantic", "pydantic_settings", "fastapi", "pyoxigraph", *NOT_AT_START]
    assert loaded_after("import intimacy_graph.cli", heavy) == []


@pytest.mark.parametrize("name", ["parse_note", "read_note", "Note", "Kind"])
def test_the_notes_package_still_exports_its_names(name: str) -> None:
    import intimacy_graph.notes as notes

    assert getattr(notes, name).__name__ == name
    with pytest.raises(AttributeError):
        _ = notes.no_such_name  # type: ignore[attr-defined]
