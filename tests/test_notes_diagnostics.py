"""Parser diagnostics: broken notes in ``tests/data/notes/broken`` and unusable inputs.

Each broken note declares what it must produce on its first HTML comment, as ``code@line``
pairs (``<!-- expect: unclosed-wikilink@14 duplicate-item@22 -->``). The test checks that every
declared pair is reported and that no undeclared error or warning is (infos are free). Unusable
inputs (binary, empty, huge, badly encoded) are generated here rather than committed.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from intimacy_graph.diagnostics import Diagnostic, Severity
from intimacy_graph.notes import Note, parse_note, read_note, read_note_bytes
from intimacy_graph.notes import reader as reader_module
from intimacy_graph.resources import data_dir

BROKEN = Path(__file__).parent / "data" / "notes" / "broken"
BROKEN_FILES = sorted(BROKEN.glob("*.md"))
SEED = data_dir("notes") / "emotional-intimacy.md"
EXPECT = re.compile(r"<!--\s*expect:(?P<items>.*?)-->", re.DOTALL)

#: Every code the parser and the reader emit, with its severity (the contract).
SEVERITY = {
    "unclosed-wikilink": Severity.ERROR,
    "empty-wikilink": Severity.ERROR,
    "duplicate-item": Severity.ERROR,
    "study-without-year": Severity.ERROR,
    "invalid-label": Severity.ERROR,
    "not-a-note": Severity.ERROR,
    "binary-file": Severity.ERROR,
    "empty-file": Severity.ERROR,
    "file-too-large": Severity.ERROR,
    "invalid-utf8": Severity.ERROR,
    "control-characters": Severity.ERROR,
    "unreadable-file": Severity.ERROR,
    "missing-definition": Severity.WARNING,
    "missing-description": Severity.WARNING,
    "missing-study-field": Severity.WARNING,
    "empty-section": Severity.WARNING,
    "duplicate-link": Severity.WARNING,
    "unlabelled-item": Severity.WARNING,
    "missing-title": Severity.WARNING,
    "unknown-section": Severity.INFO,
    "unplaced-text": Severity.INFO,
    "unlinked-item": Severity.INFO,
}
UNUSABLE = {"binary-file", "empty-file", "file-too-large", "invalid-utf8", "control-characters"}
# What a message must never look like: a traceback, an object's repr, an escaped string.
NOT_PLAIN = re.compile(
    r"Traceback|object at 0x|<class |<[A-Za-z]+\.[A-Z_]+: |\b[A-Z]\w+\(\w+=|\\[xuUN][0-9a-fA-F{]"
    r"|\\'|\\n"
)


def expectations(text: str) -> set[tuple[str, int]]:
    match = EXPECT.search(text)
    assert match, "a test note must declare its diagnostics: <!-- expect: code@line … -->"
    pairs = set()
    for item in match["items"].split():
        code, _, line = item.partition("@")
        assert code in SEVERITY, f"unknown code {code!r} in the expect comment"
        pairs.add((code, int(line)))
    return pairs


def line_count(data: bytes) -> int:
    """Lines as the parser counts them (LF, CRLF or CR end a line)."""
    return len(re.split(rb"\r\n?|\n", data))


def check_well_formed(diagnostics: list[Diagnostic], file: str, data: bytes) -> None:
    for d in diagnostics:
        assert d.code in SEVERITY, d.code
        assert d.severity is SEVERITY[d.code], d.to_text()
        assert d.file == file
        assert d.line is not None and 1 <= d.line <= line_count(data) + 1, d.to_text()
        assert d.message.strip() and d.message == d.message.strip()
        assert "\n" not in d.message, d.to_text()
        assert not NOT_PLAIN.search(d.message), d.message
        assert d.message[0].isupper() or d.message[0] in "'[", d.message
        assert d.message.endswith((".", ")")), d.message
        assert d.to_text().startswith(f"{file}:{d.line}: {d.severity}: ")


# -- broken notes -------------------------------------------------------------------------------


def test_there_are_enough_broken_notes() -> None:
    declared = [expectations(p.read_text(encoding="utf-8")) for p in BROKEN_FILES]
    assert len(BROKEN_FILES) >= 36
    assert sum(1 for pairs in declared if len({c for c, _ in pairs}) >= 3) >= 6
    covered = {code for pairs in declared for code, _ in pairs}
    assert covered == set(SEVERITY) - UNUSABLE - {"unreadable-file"}


@pytest.mark.parametrize("path", BROKEN_FILES, ids=lambda p: p.name)
def test_broken_note(path: Path) -> None:
    data = path.read_bytes()
    declared = expectations(data.decode("utf-8"))
    note, diagnostics = read_note(path, BROKEN)
    assert note is not None
    assert diagnostics == note.diagnostics
    got = {(d.code, d.line) for d in diagnostics}
    assert declared <= got, f"not reported: {sorted(declared - got)}; got {sorted(got)}"
    undeclared = [
        d.to_text()
        for d in diagnostics
        if d.severity is not Severity.INFO and (d.code, d.line) not in declared
    ]
    assert undeclared == []
    check_well_formed(diagnostics, path.name, data)


def parse_broken(name: str) -> Note:
    note, _ = read_note(BROKEN / name, BROKEN)
    assert note is not None
    return note


def by_code(note: Note, code: str) -> list[Diagnostic]:
    return [d for d in note.diagnostics if d.code == code]


def test_unknown_section_text_is_kept() -> None:
    note = parse_broken("unknown-section-history.md")
    (history,) = [s for s in note.sections if s.heading == "History"]
    assert history.line == 28
    assert history.text.startswith("The study of intimacy grew out of Erikson's stage")
    assert [c.slug for c in note.citations] == ["altman-1973"]
    # the rest of the note is still read
    assert len(note.entries) == 36 and len(note.related) == 13


def test_unclosed_link_message_quotes_what_was_written() -> None:
    note = parse_broken("unclosed-link-in-related.md")
    (d,) = by_code(note, "unclosed-wikilink")
    assert "'[[Social Connection'" in d.message and "]]" in d.message
    # the broken item is not also read as an unlinked concept name
    assert by_code(note, "unlinked-item") == []
    assert "social-connection" not in [x.slug for x in note.related]
    assert len(note.related) == 12


def test_unclosed_link_in_bold_label_still_reads_the_list() -> None:
    note = parse_broken("unclosed-link-in-bold-label.md")
    (d,) = by_code(note, "unclosed-wikilink")
    assert d.line == 30
    assert len(note.entries) == 36


def test_empty_links_are_not_concepts() -> None:
    for name in ("empty-link-in-related.md", "empty-link-blank-target.md"):
        note = parse_broken(name)
        assert "" not in [x.slug for x in note.links + note.related]
        assert len(note.related) == 12
        assert by_code(note, "unlinked-item") == []


def test_duplicate_item_points_at_the_first() -> None:
    note = parse_broken("duplicate-characteristic.md")
    (d,) = by_code(note, "duplicate-item")
    assert "'Trust'" in d.message and "line 16" in d.message
    # the first one is kept, the second is not an item
    assert [e.label for e in note.entries if e.label == "Trust"] == ["Trust"]


def test_duplicate_mechanism_leaf_in_two_groups() -> None:
    note = parse_broken("duplicate-mechanism-leaf.md")
    (d,) = by_code(note, "duplicate-item")
    assert d.line == 55 and "line 48" in d.message
    oxytocin = [e for e in note.entries if e.label == "Oxytocin"]
    assert len(oxytocin) == 1 and oxytocin[0].group is not None
    assert oxytocin[0].group.label == "Neurochemical Processes"


def test_duplicate_study_is_one_work() -> None:
    note = parse_broken("duplicate-study.md")
    (d,) = by_code(note, "duplicate-item")
    assert "'Reis and Shaver (1988)'" in d.message and "line 58" in d.message
    assert [e.citation.slug for e in note.entries if e.citation] == [
        "reis-1988",
        "laurenceau-1998",
        "aron-1997",
    ]


def test_study_without_year_is_kept_as_text() -> None:
    note = parse_broken("study-without-year.md")
    (d,) = by_code(note, "study-without-year")
    assert "'Reis and Shaver'" in d.message
    assert any("Reis and Shaver" in s.text for s in note.sections)
    assert len([e for e in note.entries if e.citation]) == 2


def test_empty_section_at_end_of_file() -> None:
    note = parse_broken("empty-section-at-end.md")
    (d,) = by_code(note, "empty-section")
    assert "'Further Reading'" in d.message
    assert d.line == len((BROKEN / "empty-section-at-end.md").read_text().splitlines())
    assert note.closing is not None and note.closing.text.startswith("Understanding and fostering")


@pytest.mark.parametrize(
    "name",
    [
        "not-a-note-shopping-list.md",
        "not-a-note-python-script.md",
        "not-a-note-readme.md",
        "not-a-note-meeting-minutes.md",
    ],
)
def test_not_a_note(name: str) -> None:
    note = parse_broken(name)
    errors = [d for d in note.diagnostics if d.severity is Severity.ERROR]
    assert [(d.code, d.line) for d in errors] == [("not-a-note", 1)]
    assert not by_code(note, "missing-title") and not by_code(note, "missing-definition")


def test_title_without_letters() -> None:
    note = parse_broken("title-without-letters.md")
    (d,) = by_code(note, "invalid-label")
    assert (note.title, note.title_line, d.line) == ("!!!", 8, 8)
    assert "'!!!'" in d.message


def test_note_without_lead_term_takes_its_title_from_the_file_name() -> None:
    note = parse_broken("no-lead-term.md")
    assert note.title == "no lead term"
    assert [d.code for d in note.diagnostics] == ["missing-title"]


def test_messages_quote_labels_as_written() -> None:
    """Regression: labels were quoted with ``repr`` (``'Aron\\'s "36 Questions" study'``)."""
    note = parse_note(
        "**Intimacy** is closeness.\n\n#### Experimental Evidence\n\n"
        '1. **Aron\'s "36 Questions" study**:\n   - **Study**: Strangers asked each other.\n\n'
        "#### Characteristics\n\n- **Tr\u200bust**: a\n- **Tr\u200bust**: b\n",
        "intimacy.md",
    )
    no_year = by_code(note, "study-without-year")[0].message
    assert "'Aron's \"36 Questions\" study'" in no_year
    duplicate = by_code(note, "duplicate-item")[0].message
    assert "\\u200b" not in duplicate and "Tr\u200bust" in duplicate
    check_well_formed(note.diagnostics, "intimacy.md", note.source.encode())


# -- unusable inputs (generated) ------------------------------------------------------------------

SEED_BYTES = SEED.read_bytes()


def with_line(data: bytes, line: int, insert: bytes) -> bytes:
    """``data`` with ``insert`` put in the middle of (1-based) ``line``."""
    lines = data.split(b"\n")
    middle = len(lines[line - 1]) // 2
    lines[line - 1] = lines[line - 1][:middle] + insert + lines[line - 1][middle:]
    return b"\n".join(lines)


UNUSABLE_INPUTS: list[tuple[str, bytes, str, int]] = [
    (
        "png",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + b"\x00" * 64,
        "binary-file",
        3,
    ),
    ("nul-in-note", with_line(SEED_BYTES, 40, b"\x00"), "binary-file", 40),
    ("empty", b"", "empty-file", 1),
    ("whitespace", b"  \n\t\n   \r\n\n", "empty-file", 1),
    ("bom-only", b"\xef\xbb\xbf\n\n", "empty-file", 1),
    ("invalid-utf8", with_line(SEED_BYTES, 17, b"\xff\xfe"), "invalid-utf8", 17),
    ("latin-1", "**Émotion** est un état.\n".encode("latin-1"), "invalid-utf8", 1),
    ("truncated-utf8", SEED_BYTES + "é".encode()[:1], "invalid-utf8", SEED_BYTES.count(b"\n") + 1),
    ("utf-16", "**Love** is.\n".encode("utf-16"), "binary-file", 1),
    ("bell", with_line(SEED_BYTES, 12, b"\x07"), "control-characters", 12),
    ("escape", with_line(SEED_BYTES, 89, b"\x1b[31m"), "control-characters", 89),
    ("lone-control", b"\x07", "control-characters", 1),
    ("delete", b"**Trust** is.\n\x7f\n", "control-characters", 2),
    ("form-feed", b"**Trust** is.\n\n\x0c\n", "control-characters", 3),
]


@pytest.mark.parametrize(
    ("data", "code", "line"),
    [pytest.param(data, code, line, id=name) for name, data, code, line in UNUSABLE_INPUTS],
)
def test_unusable_input(data: bytes, code: str, line: int) -> None:
    note, diagnostics = read_note_bytes(data, "input.md")
    assert note is None
    assert [(d.code, d.line) for d in diagnostics] == [(code, line)]
    check_well_formed(diagnostics, "input.md", data)


def test_huge_note_is_refused_fast_without_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_parse(text: str, file: str = "") -> Note:
        raise AssertionError("a file over the size limit must not be parsed")

    monkeypatch.setattr(reader_module, "parse_note", must_not_parse)
    data = SEED_BYTES * (50 * 1024 * 1024 // len(SEED_BYTES) + 1)
    assert len(data) >= 50 * 1024 * 1024
    start = time.perf_counter()
    note, diagnostics = read_note_bytes(data, "huge.md")
    assert time.perf_counter() - start < 1.0
    assert note is None
    assert [d.code for d in diagnostics] == ["file-too-large"]
    assert "Split it" in diagnostics[0].message
    assert diagnostics[0].line == 1
    check_well_formed(diagnostics, "huge.md", b"")


def test_huge_file_on_disk_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    with path.open("wb") as handle:  # sparse: no 50 MB written
        handle.truncate(50 * 1024 * 1024)
    note, diagnostics = read_note(path, tmp_path)
    assert note is None
    assert [(d.code, d.file) for d in diagnostics] == [("file-too-large", "huge.md")]


def test_size_limit_is_a_parameter() -> None:
    note, diagnostics = read_note_bytes(SEED_BYTES, "seed.md", max_bytes=1000)
    assert note is None and [d.code for d in diagnostics] == ["file-too-large"]
    note, diagnostics = read_note_bytes(SEED_BYTES, "seed.md", max_bytes=len(SEED_BYTES))
    assert note is not None and diagnostics == []


def test_unreadable_file(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.md"
    folder.mkdir()
    note, diagnostics = read_note(folder, tmp_path)
    assert note is None
    assert [(d.code, d.severity, d.file) for d in diagnostics] == [
        ("unreadable-file", Severity.ERROR, "a-folder.md")
    ]
    assert "cannot be read" in diagnostics[0].message


def test_unusable_codes_are_the_documented_ones() -> None:
    assert UNUSABLE | {"unreadable-file"} == reader_module.UNUSABLE_CODES


# -- adversarial inputs stay fast (regressions) ---------------------------------------------------


def test_run_of_unclosed_links_is_linear() -> None:
    """Regression: each ``[[`` searched to the end of the text and copied the rest of its line,
    so 100 kB of ``[[a `` took minutes and gigabytes."""
    text = "**Trust** is " + "[[a " * 25_000
    start = time.perf_counter()
    note = parse_note(text, "links.md")
    assert time.perf_counter() - start < 8.0
    unclosed = by_code(note, "unclosed-wikilink")
    assert len(unclosed) == 25_000
    assert max(len(d.message) for d in unclosed) < 200


def test_long_list_of_capitalised_names_is_fast() -> None:
    """Regression: the author-list pattern re-walked a run of "Name, Name, …" from every name."""
    text = "**Trust** is " + "Aa, " * 5_000 + "and Bb (1990).\n"
    start = time.perf_counter()
    note = parse_note(text, "names.md")
    assert time.perf_counter() - start < 3.0
    assert note.lead is not None


def test_parse_note_accepts_what_the_reader_refuses() -> None:
    """``parse_note`` never raises, even on text the reader would refuse."""
    for text in ("", "   ", "\x00\x01\x02", "\ufeff", "**\x07**", "[[", "]]", "#", "- "):
        note = parse_note(text, "odd.md")
        assert isinstance(note, Note)
