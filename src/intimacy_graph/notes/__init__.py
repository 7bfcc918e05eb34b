"""Markdown concept notes: reading, parsing and the typed note model.

The names below load their module on first use (PEP 562), so importing one submodule — say
``notes.reader`` for a constant — does not load the Markdown parser.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from intimacy_graph.notes.model import Citation, Entry, KeptSection, Kind, Note, Text, WikiLink
    from intimacy_graph.notes.parse import parse_note
    from intimacy_graph.notes.reader import read_note, read_note_bytes

_MODULE_OF = {
    "Citation": "model",
    "Entry": "model",
    "KeptSection": "model",
    "Kind": "model",
    "Note": "model",
    "Text": "model",
    "WikiLink": "model",
    "parse_note": "parse",
    "read_note": "reader",
    "read_note_bytes": "reader",
}

__all__ = [
    "Citation",
    "Entry",
    "KeptSection",
    "Kind",
    "Note",
    "Text",
    "WikiLink",
    "parse_note",
    "read_note",
    "read_note_bytes",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
