"""Note → typed :class:`Note` with diagnostics (DESIGN.md §5).

Reading order: YAML front matter, an optional "see also:" list, the title (the bold lead term
or a level-1 heading), the lead paragraph, then sections whose *names* say what they hold, and
a closing paragraph.  Text the format has no place for is kept as a :class:`KeptSection`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePath

from markdown_it.tree import SyntaxTreeNode

from intimacy_graph.diagnostics import Diagnostic, Severity
from intimacy_graph.notes import citations
from intimacy_graph.notes.markdown import (
    Inline,
    ListItem,
    block_line,
    block_source,
    list_items,
    paragraph_inline,
    parse_blocks,
    release,
    render_inline,
)
from intimacy_graph.notes.model import Entry, KeptSection, Kind, Note, Text, WikiLink
from intimacy_graph.notes.sections import SectionKind, classify, normalise_heading
from intimacy_graph.slugs import slugify

_LISTS = ("bullet_list", "ordered_list")
# Lines as markdown-it counts them (``str.splitlines`` also splits at U+2028, U+0085, …, which
# shifted every later line and lost kept text).
_NEWLINE = re.compile(r"\r\n?|\n")
_QUOTE_MAX = 80
_SEPARATORS = re.compile(r"[\s,;]+|\band\b")
_SIMPLE = {
    SectionKind.CHARACTERISTICS: Kind.CHARACTERISTIC,
    SectionKind.TYPES: Kind.TYPE,
    SectionKind.BENEFITS: Kind.BENEFIT,
}
_SUMMARY = {
    "study",
    "research",
    "summary",
    "method",
    "methods",
    "design",
    "aim",
    "aims",
    "procedure",
    "objective",
}
_FINDING = {
    "findings",
    "finding",
    "results",
    "result",
    "conclusion",
    "conclusions",
    "outcome",
    "outcomes",
}


class _Section:
    def __init__(self, heading: str | None, line: int, kind: SectionKind | None) -> None:
        self.heading = heading
        self.line = line
        self.kind = kind
        self.blocks: list[SyntaxTreeNode] = []


class _Parser:
    def __init__(self, text: str, file: str) -> None:
        self.file = file
        self.lines = _NEWLINE.split(text.removeprefix("\ufeff"))
        self.note = Note(file=file, source=text, title="", title_line=1)
        self.diags = self.note.diagnostics
        self.seen: dict[tuple[str, ...], int] = {}
        self.lead_term = False  # the first lead paragraph names a concept in bold

    # -- diagnostics -------------------------------------------------------------------
    def report(self, code: str, severity: Severity, line: int | None, message: str) -> None:
        self.diags.append(Diagnostic(code, severity, message, file=self.file, line=line))

    # -- top level -----------------------------------------------------------------------
    def parse(self, markdown: str) -> Note:
        blocks = parse_blocks(markdown)
        try:
            self._collect_links(blocks)
            preamble, sections = self._split(blocks)
            self._preamble(preamble)
            known = [s for s in sections if s.kind is not None]
            if sections and sections[-1].kind not in (None, SectionKind.CLOSING):
                self._take_closing(sections[-1])
            for section in sections:
                self._section(section)
            self._finish(bool(known))
            return self.note
        finally:
            release(blocks)

    def _collect_links(self, blocks: list[SyntaxTreeNode]) -> None:
        for node in _walk(blocks):
            if node.type == "inline":
                inline = render_inline(node, block_line(node))
                self.note.links.extend(inline.links)
                for broken in inline.broken:
                    if broken.code == "unclosed-wikilink":
                        msg = (
                            f"The wiki-link {_q(broken.raw.strip())} is never closed: "
                            "end it with ']]' on the same line."
                        )
                    else:
                        msg = (
                            f"The wiki-link {_q(broken.raw)} has no target: write the "
                            "concept's name between [[ and ]]."
                        )
                    self.report(broken.code, Severity.ERROR, broken.line, msg)

    def _split(self, blocks: list[SyntaxTreeNode]) -> tuple[_Section, list[_Section]]:
        preamble = _Section(None, 1, None)
        sections: list[_Section] = []
        current = preamble
        for node in blocks:
            if node.type == "front_matter":
                self.note.sections.append(
                    KeptSection("Front matter", node.content.strip(), block_line(node))
                )
            elif node.type == "heading":
                text = render_inline(node.children[0], block_line(node)).text
                kind = classify(text)
                if (
                    node.tag == "h1"
                    and kind is None
                    and not sections
                    and not self.note.title
                    and text
                ):
                    self.note.title, self.note.title_line = text, block_line(node)
                    continue
                current = _Section(text, block_line(node), kind)
                sections.append(current)
            else:
                current.blocks.append(node)
        return preamble, sections

    def _preamble(self, section: _Section) -> None:
        blocks = section.blocks
        lead_parts: list[Text] = []
        i = 0
        while i < len(blocks):
            node = blocks[i]
            if node.type == "paragraph":
                inline = paragraph_inline(node)
                if _is_see_also(inline):
                    self.note.see_also.extend(
                        self._link_list(
                            list_items(blocks[i + 1], self.lines)
                            if i + 1 < len(blocks) and blocks[i + 1].type in _LISTS
                            else [],
                            "see also",
                            inline.links,
                        )
                    )
                    i += 2 if i + 1 < len(blocks) and blocks[i + 1].type in _LISTS else 1
                    continue
                strong = _first_strong(node)
                if strong and not lead_parts:
                    self.lead_term = True
                if strong and not self.note.title:
                    self.note.title, self.note.title_line = strong, block_line(node)
                lead_parts.append(Text(inline.text, inline.line, inline.links))
            else:
                self._keep("Preamble", [node], block_line(node))
            i += 1
        if lead_parts:
            self.note.lead = Text(
                "\n\n".join(p.text for p in lead_parts),
                lead_parts[0].line,
                [link for p in lead_parts for link in p.links],
            )

    def _take_closing(self, section: _Section) -> None:
        tail: list[SyntaxTreeNode] = []
        while section.blocks and section.blocks[-1].type == "paragraph":
            tail.insert(0, section.blocks.pop())
        if not tail:
            return
        if not section.blocks:  # a section made of paragraphs only keeps them
            section.blocks = tail
            return
        parts = [paragraph_inline(node) for node in tail]
        self.note.closing = Text(
            "\n\n".join(p.text for p in parts),
            parts[0].line,
            [link for p in parts for link in p.links],
        )

    # -- sections ------------------------------------------------------------------------
    def _section(self, section: _Section) -> None:
        heading = section.heading or ""
        if not section.blocks:
            self.report(
                "empty-section",
                Severity.WARNING,
                section.line,
                f"The section {_q(heading)} is empty: add its content or remove the heading.",
            )
            return
        if section.kind is None:
            self._keep(heading, section.blocks, section.line)
            self.report(
                "unknown-section",
                Severity.INFO,
                section.line,
                f"The section {_q(heading)} is not one the format knows; its text is kept "
                "as written.",
            )
            return
        if section.kind is SectionKind.CLOSING:
            parts = [paragraph_inline(n) for n in section.blocks if n.type == "paragraph"]
            if parts:
                self.note.closing = Text(
                    "\n\n".join(p.text for p in parts),
                    parts[0].line,
                    [link for p in parts for link in p.links],
                )
            others = [n for n in section.blocks if n.type != "paragraph"]
            if others:
                self._keep(heading, others, block_line(others[0]))
            return
        items: list[ListItem] = []
        for node in section.blocks:
            if node.type in _LISTS:
                items.extend(list_items(node, self.lines))
            elif section.kind is SectionKind.DEFINITION and node.type == "paragraph":
                self._definition(
                    paragraph_inline(node).text, block_line(node), paragraph_inline(node).links
                )
            else:
                self._unplaced(heading, node)
        self._items(section.kind, items, heading)

    def _items(self, kind: SectionKind, items: list[ListItem], heading: str) -> None:
        if kind is SectionKind.KEY_ASPECTS:
            self._key_aspects(items, heading)
        elif kind is SectionKind.DEFINITION:
            for item in items:
                self._definition(_full_text(item), item.line, _all_links(item))
        elif kind in _SIMPLE:
            self._simple(_SIMPLE[kind], items, heading)
        elif kind is SectionKind.MECHANISMS:
            self._mechanisms(items, heading)
        elif kind is SectionKind.IMPLICATIONS:
            self._implications(items, heading)
        elif kind is SectionKind.EVIDENCE:
            self._evidence(items, heading)
        elif kind is SectionKind.RELATED:
            self.note.related.extend(self._link_list(items, heading, []))
        elif kind is SectionKind.SEE_ALSO:
            self.note.see_also.extend(self._link_list(items, heading, []))

    def _key_aspects(self, items: list[ListItem], heading: str) -> None:
        for item in items:
            kind = classify(item.label) if item.label else None
            if kind is None or kind is SectionKind.KEY_ASPECTS:
                self._keep(item.label or heading, [], item.line, _item_markdown(item))
                self.report(
                    "unknown-section",
                    Severity.INFO,
                    item.line,
                    f"{_q(item.label) if item.label else 'This item'} under {_q(heading)} is not "
                    "a part the format knows; its text is kept as written.",
                )
            elif kind is SectionKind.DEFINITION:
                self._definition(_full_text(item), item.line, _all_links(item))
            else:
                if item.text:
                    self._keep(item.label or heading, [], item.line, item.text)
                if not item.children:
                    self.report(
                        "empty-section",
                        Severity.WARNING,
                        item.line,
                        f"{_q(item.label or heading)} lists nothing: add its items or remove it.",
                    )
                self._items(kind, item.children, item.label or heading)

    def _definition(self, text: str, line: int, links: list[WikiLink]) -> None:
        if not text:
            self.report(
                "missing-description",
                Severity.WARNING,
                line,
                "The Definition is empty: write what the concept is.",
            )
            return
        if self.note.definition is None:
            self.note.definition = Text(text, line, links)
        else:
            self.note.definition.text += "\n\n" + text
            self.note.definition.links.extend(links)

    def _entry(
        self,
        kind: Kind,
        item: ListItem,
        position: int,
        heading: str,
        *,
        group: Entry | None = None,
        domain: Entry | None = None,
        nested_are_items: bool = False,
    ) -> Entry | None:
        label, link = item.label, item.label_link
        if label is None:
            only = item.links[0] if len(item.links) == 1 else None
            if only is not None and item.text.strip() == only.text:
                label, link = only.text, only
            else:
                self._keep(heading, [], item.line, _item_markdown(item))
                self.report(
                    "unlabelled-item",
                    Severity.WARNING,
                    item.line,
                    f"This item in {_q(heading)} has no bold label (write '**Name**: "
                    "description'); its text is kept but it is not a "
                    f"{kind.value}.",
                )
                return None
        entry = Entry(
            kind=kind,
            label=label,
            line=item.line,
            position=position,
            link=link,
            group=group,
            domain=domain,
        )
        if not slugify(entry.object_label):
            self.report(
                "invalid-label",
                Severity.ERROR,
                item.line,
                f"The label {_q(label)} has no letters or digits to name a concept by.",
            )
            return None
        parts = [item.text] if item.text else []
        mentions = [x for x in item.links if x is not link]
        for child in item.children:
            if child.label is None or not nested_are_items:
                text = _full_text(child)
                if child.label is not None:
                    text = f"{child.label}: {text}" if text else child.label
                if text:
                    parts.append(text)
                mentions.extend(_all_links(child))
        parts.extend(item.extra)
        entry.description = "\n\n".join(parts) or None
        entry.mentions = mentions
        key = (kind.value, domain.object_slug if domain else "", entry.object_slug)
        if key in self.seen:
            self.report(
                "duplicate-item",
                Severity.ERROR,
                item.line,
                f"{_q(label)} is listed twice (first on line {self.seen[key]}): keep one and "
                "merge their descriptions.",
            )
            return None
        self.seen[key] = item.line
        self.note.entries.append(entry)
        return entry

    def _need_description(self, entry: Entry, has_items: bool = False) -> None:
        if not entry.description and not has_items:
            self.report(
                "missing-description",
                Severity.WARNING,
                entry.line,
                f"{_q(entry.label)} has no description: add one after the colon.",
            )

    def _simple(self, kind: Kind, items: list[ListItem], heading: str) -> None:
        position = 0
        for item in items:
            entry = self._entry(kind, item, position + 1, heading)
            if entry:
                position += 1
                self._need_description(entry)

    def _mechanisms(self, items: list[ListItem], heading: str) -> None:
        position = 0
        for item in items:
            entry = self._entry(Kind.MECHANISM, item, position + 1, heading, nested_are_items=True)
            if entry is None:
                continue
            position += 1
            leaves = [c for c in item.children if c.label is not None]
            self._need_description(entry, bool(leaves))
            for i, leaf_item in enumerate(leaves, start=1):
                leaf = self._entry(Kind.MECHANISM, leaf_item, i, entry.label, group=entry)
                if leaf:
                    self._need_description(leaf)

    def _implications(self, items: list[ListItem], heading: str) -> None:
        position = 0
        for item in items:
            domain = self._entry(
                Kind.IMPLICATION, item, position + 1, heading, nested_are_items=True
            )
            if domain is None:
                continue
            position += 1
            domain.is_domain = True
            leaves = [c for c in item.children if c.label is not None]
            self._need_description(domain, bool(leaves))
            for i, leaf_item in enumerate(leaves, start=1):
                leaf = self._entry(Kind.IMPLICATION, leaf_item, i, domain.label, domain=domain)
                if leaf:
                    self._need_description(leaf)

    def _evidence(self, items: list[ListItem], heading: str) -> None:
        position = 0
        for item in items:
            label = item.label or item.text.split("\n", 1)[0]
            citation = citations.parse_label(label, item.line)
            if citation is None:
                self._keep(heading, [], item.line, _item_markdown(item))
                self.report(
                    "study-without-year",
                    Severity.ERROR,
                    item.line,
                    f"The study {_q(label)} has no year: write it as 'Authors (Year)', "
                    "e.g. 'Aron et al. (1997)'.",
                )
                continue
            key = ("evidence", "", citation.slug)
            if key in self.seen:
                self.report(
                    "duplicate-item",
                    Severity.ERROR,
                    item.line,
                    f"The study {_q(citation.label)} is listed twice (first on line "
                    f"{self.seen[key]}): keep one.",
                )
                continue
            self.seen[key] = item.line
            position += 1
            entry = Entry(Kind.EVIDENCE, citation.label, item.line, position, citation=citation)
            rest = [item.text] if item.label and item.text else []
            for child in item.children:
                field = normalise_heading(child.label) if child.label else None
                text = _full_text(child)
                if field in _SUMMARY and not entry.summary:
                    entry.summary = text or None
                elif field in _FINDING and not entry.finding:
                    entry.finding = text or None
                elif text or child.label:
                    rest.append(f"{child.label}: {text}" if child.label else text)
                entry.mentions.extend(_all_links(child))
            entry.mentions.extend(item.links)
            entry.description = "\n\n".join(rest) or None
            for missing, value in (("Study", entry.summary), ("Findings", entry.finding)):
                if not value:
                    self.report(
                        "missing-study-field",
                        Severity.WARNING,
                        item.line,
                        f"The study {_q(citation.label)} has no '{missing}:' line.",
                    )
            self.note.entries.append(entry)

    def _link_list(
        self, items: list[ListItem], heading: str, inline: list[WikiLink]
    ) -> list[WikiLink]:
        found: list[WikiLink] = list(inline)
        for item in items:
            links = _all_links(item)
            if item.label_link:
                links.insert(0, item.label_link)
            # An item whose only link is broken already has an error; it names no concept.
            if not links and (item.label or item.text) and not item.broken:
                text = item.label or item.text
                self.report(
                    "unlinked-item",
                    Severity.INFO,
                    item.line,
                    f"{_q(text)} in {_q(heading)} is not a [[wiki-link]]; it is read as the "
                    "concept of that name.",
                )
                links = [WikiLink(text.strip(), None, None, item.line)]
            found.extend(links)
        unique: list[WikiLink] = []
        first: dict[str, int] = {}
        for link in found:
            if link.slug in first:
                self.report(
                    "duplicate-link",
                    Severity.WARNING,
                    link.line,
                    f"[[{link.target}]] is listed twice in {_q(heading)} (first on line "
                    f"{first[link.slug]}).",
                )
                continue
            if not link.slug:
                continue
            first[link.slug] = link.line
            unique.append(link)
        return unique

    # -- kept text -----------------------------------------------------------------------
    def _keep(
        self, heading: str, blocks: list[SyntaxTreeNode], line: int, text: str | None = None
    ) -> None:
        body = (
            text if text is not None else "\n\n".join(block_source(b, self.lines) for b in blocks)
        )
        links = [x for b in blocks for x in _links_in(b)]
        if body.strip():
            self.note.sections.append(KeptSection(heading, body.strip(), line, links))

    def _unplaced(self, heading: str, node: SyntaxTreeNode) -> None:
        self._keep(heading, [node], block_line(node))
        self.report(
            "unplaced-text",
            Severity.INFO,
            block_line(node),
            f"Text under {_q(heading)} that is not a list item is kept as written.",
        )

    def _finish(self, has_known_sections: bool) -> None:
        note = self.note
        # A level-1 heading or a bold word deep in the text does not make a note: a README
        # ("# Project") or a script ("if __name__ …") has neither a bold lead term nor sections.
        if not has_known_sections and not self.lead_term:
            self.report(
                "not-a-note",
                Severity.ERROR,
                1,
                "This file is not a concept note: it has no bold lead term "
                "('**Concept** is …') and none of the sections a note has.",
            )
        if not note.title:
            if has_known_sections:
                self.report(
                    "missing-title",
                    Severity.WARNING,
                    1,
                    "The note has no bold lead term ('**Concept** is …'); its title is "
                    "taken from the file name.",
                )
            note.title = PurePath(self.file).stem.replace("-", " ").replace("_", " ").strip()
        if not slugify(note.title):
            self.report(
                "invalid-label",
                Severity.ERROR,
                note.title_line,
                f"The title {_q(note.title)} has no letters or digits to name a concept by.",
            )
        if note.definition is None and note.title and has_known_sections:
            self.report(
                "missing-definition",
                Severity.WARNING,
                note.title_line,
                f"{_q(note.title)} has no Definition: add a '**Definition**:' item under "
                "Key Aspects.",
            )
        texts = [note.lead, note.definition, note.closing]
        for t in texts:
            if t is not None:
                note.citations.extend(citations.find_in_text(t.text, t.line))
        for entry in note.entries:
            for value in (entry.description, entry.summary, entry.finding):
                if value:
                    note.citations.extend(citations.find_in_text(value, entry.line))
        for kept in note.sections:
            note.citations.extend(citations.find_in_text(kept.text, kept.line))


def _is_see_also(inline: Inline) -> bool:
    """True for "see also:" alone or followed only by wiki-links: "see also: [[A]], [[B]]"."""
    head, _, rest = inline.text.partition(":")
    if classify(head) is not SectionKind.SEE_ALSO:
        return False
    for link in inline.links:
        rest = rest.replace(link.text, "", 1)
    return not _SEPARATORS.sub("", rest)


def _walk(nodes: list[SyntaxTreeNode]) -> Iterator[SyntaxTreeNode]:
    for node in nodes:
        yield node
        if node.type != "inline":
            yield from _walk(list(node.children))


def _links_in(node: SyntaxTreeNode) -> list[WikiLink]:
    return [
        link
        for n in _walk([node])
        if n.type == "inline"
        for link in render_inline(n, block_line(n)).links
    ]


def _first_strong(paragraph: SyntaxTreeNode) -> str | None:
    for node in _walk(list(paragraph.children[0].children)):
        if node.type == "strong":
            text = render_inline(node, block_line(paragraph)).text
            return text.rstrip(":").strip() or None
    return None


def _full_text(item: ListItem) -> str:
    parts = [item.text] if item.text else []
    for child in item.children:
        text = _full_text(child)
        if child.label:
            text = f"{child.label}: {text}" if text else child.label
        if text:
            parts.append(text)
    parts.extend(item.extra)
    return "\n\n".join(parts)


def _all_links(item: ListItem) -> list[WikiLink]:
    links = list(item.links)
    for child in item.children:
        if child.label_link:
            links.append(child.label_link)
        links.extend(_all_links(child))
    return links


def _item_markdown(item: ListItem) -> str:
    text = _full_text(item)
    return f"{item.label}: {text}" if item.label and text else (item.label or text)


def _q(text: str) -> str:
    """Quote a label for a message as the reader wrote it (one line, not a Python repr)."""
    text = " ".join(text.split())
    if len(text) > _QUOTE_MAX:
        text = text[:_QUOTE_MAX] + "…"
    return f"'{text}'"


def parse_note(text: str, file: str = "<input>") -> Note:
    """Parse a note's text; problems are in ``note.diagnostics``, never raised."""
    parser = _Parser(text, file)
    return parser.parse(text.removeprefix("\ufeff"))
