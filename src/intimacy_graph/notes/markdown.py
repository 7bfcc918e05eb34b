"""CommonMark parsing (markdown-it-py) with Obsidian wiki-links and source lines.

This layer knows Markdown, not psychology: it turns a note into blocks and list items whose
text is already plain (``**bold**`` markers removed, ``[[X|alias]]`` shown as ``alias``) and
whose wiki-links carry their line numbers.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.front_matter import front_matter_plugin

from intimacy_graph.notes.model import WikiLink

LABEL_SEPARATORS = (":", "-", "–", "—")  # en and em dash are separators too


@dataclass
class BrokenLink:
    """A ``[[`` that never closes on its line, or a ``[[ ]]`` with no target."""

    code: str
    line: int
    raw: str


@dataclass
class Inline:
    """One paragraph's inline content as plain text plus what was found in it."""

    text: str
    line: int
    links: list[WikiLink] = field(default_factory=list)
    broken: list[BrokenLink] = field(default_factory=list)


@dataclass
class ListItem:
    """A list item: an optional bold label, the text after it, and nested items."""

    line: int
    label: str | None
    label_link: WikiLink | None
    text: str
    links: list[WikiLink]
    children: list[ListItem]
    broken: list[BrokenLink]
    extra: list[str] = field(default_factory=list)  # non-list blocks inside the item, as written


# What ends a ``[[``: its ``]]``, or (unclosed) a new ``[[`` or the end of the line.
_LINK_STOP = re.compile(r"\[\[|\]\]|\n")
_RAW_MAX = 60  # characters of an unclosed link quoted in its diagnostic


def _wikilink_rule(state: StateInline, silent: bool) -> bool:
    src, pos = state.src, state.pos
    if not src.startswith("[[", pos):
        return False
    # One forward search that stops at the first ``[[``/``]]``/newline: linear in the note
    # (searching for each separately was quadratic on a run of ``[[``).
    stop = _LINK_STOP.search(src, pos + 2)
    if stop is None or stop.group() != "]]":
        if not silent:
            raw = src[pos : pos + _RAW_MAX + 1].split("\n", 1)[0]
            if len(raw) > _RAW_MAX:
                raw = raw[:_RAW_MAX] + "…"
            token = state.push("wikilink_broken", "", 0)
            token.content = "[["
            token.meta = {"offset": pos, "raw": raw}
        state.pos = pos + 2
        return True
    if not silent:
        token = state.push("wikilink", "", 0)
        token.content = src[pos + 2 : stop.start()]
        token.meta = {"offset": pos}
    state.pos = stop.end()
    return True


def make_parser() -> MarkdownIt:
    """CommonMark plus YAML front matter plus ``[[wiki-links]]``."""
    md = MarkdownIt("commonmark").use(front_matter_plugin)
    md.inline.ruler.before("link", "wikilink", _wikilink_rule)
    return md


_PARSER = make_parser()


def parse_blocks(text: str) -> list[SyntaxTreeNode]:
    """The top-level blocks of a note (front matter, headings, paragraphs, lists, ...)."""
    return list(SyntaxTreeNode(_PARSER.parse(text)).children)


def release(blocks: list[SyntaxTreeNode]) -> None:
    """Unlink a parsed note's syntax tree (each node's ``parent``) once it has been read.

    The tree is a cycle (parents and children), so only the cyclic garbage collector would
    free it, and a build pauses that collector (:func:`intimacy_graph.build.no_cyclic_gc`):
    every parsed note then left ~250 KB behind, more than half of what a build worker held.
    Unlinked, the tree is freed as soon as it is no longer used.
    """
    todo = list(blocks)
    while todo:  # bounded: each node once
        node = todo.pop()
        todo.extend(node.children)
        node.parent = None


def split_link(raw: str, line: int) -> WikiLink | None:
    """``X#H|alias`` → WikiLink; ``None`` when the target is empty."""
    target, _, alias = raw.partition("|")
    target, _, heading = target.partition("#")
    target = target.strip()
    if not target:
        return None
    return WikiLink(
        target=target, heading=heading.strip() or None, alias=alias.strip() or None, line=line
    )


def render_inline(inline: SyntaxTreeNode, first_line: int) -> Inline:
    """Plain text of an ``inline`` node, its wiki-links and its broken links."""
    out = Inline(text="", line=first_line)
    out.text = _render(inline.children, inline.content, first_line, out).strip()
    return out


def _line_at(content: str, offset: int, first_line: int) -> int:
    # Bisect over cached newline offsets: counting from 0 for every link was quadratic.
    return first_line + bisect_left(_newlines(content), offset)


@lru_cache(maxsize=8)
def _newlines(content: str) -> tuple[int, ...]:
    return tuple(m.start() for m in re.finditer("\n", content))


def _render(nodes: list[SyntaxTreeNode], content: str, first_line: int, out: Inline) -> str:
    parts: list[str] = []
    for node in nodes:
        kind = node.type
        if kind == "wikilink":
            line = _line_at(content, int(node.meta["offset"]), first_line)
            link = split_link(node.content, line)
            if link is None:
                out.broken.append(BrokenLink("empty-wikilink", line, f"[[{node.content}]]"))
                parts.append(f"[[{node.content}]]")
            else:
                out.links.append(link)
                parts.append(link.text)
        elif kind == "wikilink_broken":
            line = _line_at(content, int(node.meta["offset"]), first_line)
            out.broken.append(BrokenLink("unclosed-wikilink", line, str(node.meta["raw"])))
            parts.append("[[")
        elif kind == "softbreak":
            parts.append(" ")
        elif kind == "hardbreak":
            parts.append("\n")
        elif kind in ("text", "code_inline", "html_inline"):
            parts.append(node.content)
        elif kind == "image":
            parts.append(_render(node.children, content, first_line, out) or node.content)
        else:  # strong, em, link, s: keep the visible text, drop the markers
            parts.append(_render(node.children, content, first_line, out))
    return "".join(parts)


def block_line(node: SyntaxTreeNode) -> int:
    """1-based first line of a block node."""
    return (node.map[0] + 1) if node.map else 1


def block_source(node: SyntaxTreeNode, lines: list[str]) -> str:
    """The block's Markdown exactly as written."""
    if not node.map:
        return node.content
    return "\n".join(lines[node.map[0] : node.map[1]]).strip("\n")


def paragraph_inline(node: SyntaxTreeNode) -> Inline:
    inline = node.children[0]
    return render_inline(inline, block_line(node))


def _split_label(
    inline_node: SyntaxTreeNode, line: int
) -> tuple[str | None, WikiLink | None, Inline]:
    """Split ``**Label**: text`` into the label (plain), its link if it is one, and the rest."""
    children = list(inline_node.children)
    while children and children[0].type == "text" and not children[0].content.strip():
        children.pop(0)
    if not children or children[0].type != "strong":
        return None, None, render_inline(inline_node, line)
    strong = children[0]
    label_part = Inline(text="", line=line)
    label = _render(strong.children, inline_node.content, line, label_part).strip()
    label_link = None
    meaningful = [c for c in strong.children if not (c.type == "text" and not c.content.strip())]
    if len(meaningful) == 1 and meaningful[0].type == "wikilink" and label_part.links:
        label_link = label_part.links[0]
    rest = Inline(
        text="",
        line=line,
        links=list(label_part.links) if label_link is None else [],
        broken=list(label_part.broken),
    )
    text = _render(children[1:], inline_node.content, line, rest).strip()
    label = label.rstrip(":").strip()
    for sep in LABEL_SEPARATORS:
        if text.startswith(sep):
            text = text[len(sep) :].strip()
            break
    rest.text = text
    if not label:
        return None, None, render_inline(inline_node, line)
    return label, label_link, rest


def list_items(node: SyntaxTreeNode, lines: list[str]) -> list[ListItem]:
    """The items of a ``bullet_list``/``ordered_list`` node, nested items included."""
    items: list[ListItem] = []
    for item_node in node.children:
        line = block_line(item_node)
        label: str | None = None
        label_link: WikiLink | None = None
        texts: list[str] = []
        links: list[WikiLink] = []
        broken: list[BrokenLink] = []
        children: list[ListItem] = []
        extra: list[str] = []
        for i, child in enumerate(item_node.children):
            if child.type == "paragraph":
                if i == 0:
                    label, label_link, rest = _split_label(child.children[0], block_line(child))
                    line = block_line(child)
                else:
                    rest = paragraph_inline(child)
                if rest.text:
                    texts.append(rest.text)
                links.extend(rest.links)
                broken.extend(rest.broken)
            elif child.type in ("bullet_list", "ordered_list"):
                children.extend(list_items(child, lines))
            else:
                extra.append(block_source(child, lines))
        items.append(
            ListItem(
                line=line,
                label=label,
                label_link=label_link,
                text="\n\n".join(texts),
                links=links,
                children=children,
                broken=broken,
                extra=extra,
            )
        )
    return items
