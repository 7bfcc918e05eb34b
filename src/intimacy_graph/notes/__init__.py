"""Markdown concept notes: reading, parsing and the typed note model."""

from intimacy_graph.notes.model import Citation, Entry, KeptSection, Kind, Note, Text, WikiLink
from intimacy_graph.notes.parse import parse_note
from intimacy_graph.notes.reader import read_note, read_note_bytes

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
