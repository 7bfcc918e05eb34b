"""Bytes → note: refuse what is not a readable text note, with a ``file:line`` diagnostic."""

from __future__ import annotations

import re
from pathlib import Path

from intimacy_graph.diagnostics import Diagnostic, Severity
from intimacy_graph.notes.model import Note

#: A long real note is ~20 kB; markdown-it is slow on some pathological 100 kB+ inputs.
DEFAULT_MAX_BYTES = 512 * 1024
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

#: Codes that mean the input could not be read as a note at all (CLI exit status 2).
UNUSABLE_CODES = frozenset(
    {
        "binary-file",
        "empty-file",
        "file-too-large",
        "invalid-utf8",
        "control-characters",
        "unreadable-file",
    }
)


def _unusable(code: str, message: str, file: str, line: int | None = None) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, file=file, line=line)


def _too_large(size: int, max_bytes: int, file: str) -> Diagnostic:
    return _unusable(
        "file-too-large",
        f"The file is {size:,} bytes; a note may be at most {max_bytes:,} bytes. "
        "Split it into one note per concept.",
        file,
        1,
    )


def read_note_bytes(
    data: bytes, file: str, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[Note | None, list[Diagnostic]]:
    """Decode and parse one note; ``(None, [error])`` when it cannot be read as text."""
    if len(data) > max_bytes:
        return None, [_too_large(len(data), max_bytes, file)]
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        return None, [
            _unusable(
                "binary-file",
                "This is a binary file, not a Markdown note (it contains NUL bytes).",
                file,
                line,
            )
        ]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, [
            _unusable(
                "invalid-utf8",
                f"The file is not valid UTF-8 (byte {exc.start}): save it as UTF-8.",
                file,
                line,
            )
        ]
    if not text.strip().removeprefix("\ufeff").strip():
        return None, [_unusable("empty-file", "The file is empty.", file, 1)]
    control = _CONTROL.search(text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        return None, [
            _unusable(
                "control-characters",
                f"The file contains the control character "
                f"U+{ord(control.group()):04X}, which a note cannot hold.",
                file,
                line,
            )
        ]
    note = parse_note(text, file)
    return note, list(note.diagnostics)


def read_note(
    path: Path, root: Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[Note | None, list[Diagnostic]]:
    """Read a note file; ``file`` in diagnostics is relative to ``root`` when given."""
    file = str(path.relative_to(root)) if root is not None else str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return None, [_too_large(size, max_bytes, file)]
        data = path.read_bytes()
    except OSError as exc:
        return None, [
            _unusable("unreadable-file", f"The file cannot be read: {exc.strerror}.", file, 1)
        ]
    return read_note_bytes(data, file, max_bytes)


def parse_note(text: str, file: str = "<input>") -> Note:
    """:func:`intimacy_graph.notes.parse.parse_note`, imported on first use: reading this
    module (for :data:`DEFAULT_MAX_BYTES`, say) does not load the Markdown parser."""
    from intimacy_graph.notes.parse import parse_note as parse

    return parse(text, file)
