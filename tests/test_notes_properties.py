"""Properties of the note reader and the slug function (Hypothesis, bounded)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intimacy_graph.diagnostics import Severity
from intimacy_graph.notes import Kind, Note, read_note_bytes
from intimacy_graph.slugs import slugify

BOUNDED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEVERITIES = set(Severity)


def line_count(data: bytes) -> int:
    """Lines as the parser counts them: LF, CRLF and CR end a line."""
    return len(re.split(rb"\r\n?|\n", data))


def check_diagnostics(data: bytes) -> tuple[Note | None, int]:
    note, diagnostics = read_note_bytes(data, "input.md")
    assert note is not None or diagnostics
    for d in diagnostics:
        assert d.code and d.message and d.severity in SEVERITIES
        assert d.file == "input.md"
        assert d.line is not None and 1 <= d.line <= line_count(data) + 1, d.to_text()
    if note is not None:
        assert note.diagnostics == diagnostics
        for link in note.links:
            assert 1 <= link.line <= line_count(data)
        for entry in note.entries:
            assert 1 <= entry.line <= line_count(data)
    return note, len(diagnostics)


# Markdown-ish text: the characters that drive the parser, plus anything at all.
MARKDOWN_BITS = st.sampled_from(
    [
        "\n",
        "\r\n",
        "\r",
        " ",
        "  ",
        "   ",
        "\t",
        "#",
        "#### ",
        "- ",
        "1. ",
        "2) ",
        "**",
        "*",
        "_",
        "__",
        "[[",
        "]]",
        "[",
        "]",
        "|",
        ":",
        "(",
        ")",
        "`",
        "```",
        ">",
        "<!--",
        "-->",
        "---",
        "\ufeff",
        "\u2028",
        "\u200b",
        "see also:",
        "Key Aspects",
        "Definition",
        "Characteristics",
        "Types of Love",
        "Benefits",
        "Mechanisms",
        "Experimental Evidence",
        "Implications",
        "Related Concepts",
        "Study",
        "Findings",
        "Reis and Shaver (1988)",
        "Aron et al. (1997)",
        "Trust",
        "Émotion",
    ]
)
MARKDOWNISH = st.lists(st.one_of(MARKDOWN_BITS, st.text(max_size=8)), max_size=60).map("".join)


@BOUNDED
@given(MARKDOWNISH)
def test_any_markdownish_text_is_read_without_raising(text: str) -> None:
    check_diagnostics(text.encode("utf-8"))


@BOUNDED
@given(st.text(max_size=400))
def test_any_text_is_read_without_raising(text: str) -> None:
    check_diagnostics(text.encode("utf-8"))


@BOUNDED
@given(st.binary(max_size=400))
def test_any_bytes_are_read_without_raising(data: bytes) -> None:
    check_diagnostics(data)


# -- generated notes: every item written is found ---------------------------------------------

WORD = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzéüøçABCDEFGHIJKLMNOPQRSTUVWXYZÉ0123456789"),
    min_size=1,
    max_size=10,
).filter(lambda w: any(ch.isalpha() for ch in w))
LABEL = st.lists(WORD, min_size=1, max_size=3).map(" ".join).map(str.title)
SURNAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=9).map(str.capitalize)
DESCRIPTION = st.lists(WORD, min_size=1, max_size=8).map(" ".join).map(lambda s: s + ".")


@dataclass
class Written:
    """A note assembled line by line, with what was written where."""

    lines: list[str] = field(default_factory=list)
    items: list[tuple[Kind, str, int, int, str | None]] = field(default_factory=list)
    studies: list[tuple[str, str, int]] = field(default_factory=list)
    related: list[tuple[str, int]] = field(default_factory=list)

    def add(self, line: str = "") -> int:
        self.lines.append(line)
        return len(self.lines)

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


@st.composite
def seed_like_notes(draw: st.DrawFn) -> Written:
    """A note shaped like the seed, with random labels, counts, list markers and headings."""
    names = draw(st.lists(LABEL, min_size=12, max_size=40, unique_by=slugify))
    names = [n for n in names if slugify(n)]
    pool = iter(names)
    heading = draw(st.sampled_from(["##", "###", "####"]))
    marker = draw(st.sampled_from(["numbered", "bulleted"]))

    def bullet(i: int) -> str:
        return f"{i}. " if marker == "numbered" else "- "

    note = Written()
    title = next(pool)
    note.add(f"**{title}** is {draw(DESCRIPTION)}")
    note.add()
    note.add(f"{heading} Key Aspects")
    note.add()
    note.add(f"{bullet(1)}**Definition**:")
    note.add(f"   {draw(DESCRIPTION)}")
    note.add()
    for kind, header in ((Kind.CHARACTERISTIC, "Characteristics"), (Kind.TYPE, "Types of X")):
        count = draw(st.integers(0, 3))
        chosen = [n for _, n in zip(range(count), pool, strict=False)]
        if not chosen:
            continue
        note.add(f"{bullet(2)}**{header}**:")
        for position, label in enumerate(chosen, start=1):
            line = note.add(f"   - **{label}**: {draw(DESCRIPTION)}")
            note.items.append((kind, label, line, position, None))
        note.add()
    for kind, header in (
        (Kind.BENEFIT, "Benefits"),
        (Kind.MECHANISM, "Mechanisms"),
        (Kind.IMPLICATION, "Implications"),
    ):
        count = draw(st.integers(0, 3))
        chosen = [n for _, n in zip(range(count), pool, strict=False)]
        if not chosen:
            continue
        note.add(f"{heading} {header}")
        note.add()
        for position, label in enumerate(chosen, start=1):
            linked = draw(st.booleans())
            shown = f"[[{label}]]" if linked else label
            line = note.add(f"{bullet(position)}**{shown}**:")
            note.items.append((kind, label, line, position, None))
            wanted = 0 if kind is Kind.BENEFIT else draw(st.integers(0, 2))
            leaves = [n for _, n in zip(range(wanted), pool, strict=False)]
            if not leaves:  # a numbered item's unlabelled sub-bullet is its description
                note.add(f"   - {draw(DESCRIPTION)}")
            for leaf_position, leaf in enumerate(leaves, start=1):
                leaf_line = note.add(f"   - **{leaf}**: {draw(DESCRIPTION)}")
                note.items.append((kind, leaf, leaf_line, leaf_position, label))
            note.add()
    years = draw(st.lists(st.integers(1900, 2024), max_size=3, unique=True))
    if years:
        note.add(f"{heading} Experimental Evidence")
        note.add()
        for position, year in enumerate(years, start=1):
            authors = draw(st.lists(SURNAME, min_size=1, max_size=3))
            form = draw(st.sampled_from(["list", "et al"]))
            if form == "et al":
                written = f"{authors[0]} et al."
            elif len(authors) == 1:
                written = authors[0]
            else:
                written = ", ".join(authors[:-1]) + f", and {authors[-1]}"
            line = note.add(f"{bullet(position)}**{written} ({year})**:")
            fields = draw(st.sampled_from([("Study", "Findings"), ("Research", "Results")]))
            note.add(f"   - **{fields[0]}**: {draw(DESCRIPTION)}")
            note.add(f"   - **{fields[1]}**: {draw(DESCRIPTION)}")
            note.add()
            note.studies.append((slugify(f"{authors[0]} {year}"), str(year), line))
    rest = list(pool)
    if rest:
        note.add(f"{heading} Related Concepts")
        note.add()
        for target in rest:
            note.related.append((target, note.add(f"- [[{target}]]")))
        note.add()
    note.add(draw(DESCRIPTION))
    return note


@settings(BOUNDED, max_examples=60)
@given(seed_like_notes())
def test_every_generated_item_is_found(written: Written) -> None:
    note, _ = check_diagnostics(written.text.encode("utf-8"))
    assert note is not None
    assert [d.to_text() for d in note.diagnostics if d.severity is not Severity.INFO] == []
    found = []
    for e in note.entries:
        if e.kind is not Kind.EVIDENCE:
            parent = e.group or e.domain
            found.append(
                (
                    e.kind,
                    e.object_label,
                    e.line,
                    e.position,
                    parent.object_label if parent else None,
                )
            )
    assert found == written.items
    studies = [
        (e.citation.slug, e.citation.year, e.line)
        for e in note.entries_of(Kind.EVIDENCE)
        if e.citation
    ]
    assert studies == written.studies
    assert all(e.summary and e.finding for e in note.entries_of(Kind.EVIDENCE))
    assert [(x.target, x.line) for x in note.related] == written.related
    assert note.definition is not None


# -- slugs ---------------------------------------------------------------------------------------


@BOUNDED
@given(st.text())
def test_slugify_is_idempotent(text: str) -> None:
    once = slugify(text)
    assert slugify(once) == once


@BOUNDED
@given(st.text())
def test_slug_has_only_letters_digits_and_single_dashes(text: str) -> None:
    slug = slugify(text)
    assert "--" not in slug
    for ch in slug:
        # letters keep their combining marks (é decomposed, Devanagari vowel signs)
        assert ch == "-" or unicodedata.category(ch)[0] in "LNM", (ch, unicodedata.name(ch, "?"))
    assert slug == unicodedata.normalize("NFC", slug)
    assert not any(ch.isspace() for ch in slug)


@BOUNDED
@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_slug_ignores_ascii_case(text: str) -> None:
    assert slugify(text.upper()) == slugify(text.lower()) == slugify(text)


@BOUNDED
@given(st.text(), st.text())
def test_slug_ignores_alias_and_heading(target: str, extra: str) -> None:
    target = target.replace("|", "").replace("#", "")
    assert slugify(f"{target}|{extra}") == slugify(target)
    assert slugify(f"{target}#{extra}") == slugify(target)
    assert slugify(f"{target}#{extra}|{extra}") == slugify(target)


@BOUNDED
@given(st.text())
def test_slug_ignores_normalisation_form(text: str) -> None:
    nfc = unicodedata.normalize("NFC", text)
    nfd = unicodedata.normalize("NFD", text)
    assert slugify(nfc) == slugify(nfd)
