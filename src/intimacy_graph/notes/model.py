"""The typed structure a note is parsed into; every element keeps its 1-based source line."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum

from intimacy_graph.diagnostics import Diagnostic
from intimacy_graph.slugs import slugify


@dataclass(frozen=True)
class WikiLink:
    """``[[target#heading|alias]]`` as written, with the line it is on."""

    target: str
    heading: str | None
    alias: str | None
    line: int

    @property
    def slug(self) -> str:
        return slugify(self.target)

    @property
    def text(self) -> str:
        """The visible text: the alias when there is one, else the target."""
        return self.alias if self.alias else self.target


@dataclass(frozen=True)
class Citation:
    """A work cited as ``Authors (Year)``: "Aron et al. (1997)", "Reis and Shaver (1988)"."""

    label: str
    authors: tuple[str, ...]
    year: str
    line: int

    @property
    def slug(self) -> str:
        return slugify(f"{self.authors[0]} {self.year}")


class Kind(StrEnum):
    """The statement kinds of DESIGN.md §4 (the ``{kind}`` part of a statement IRI)."""

    CHARACTERISTIC = "characteristic"
    TYPE = "type"
    BENEFIT = "benefit"
    MECHANISM = "mechanism"
    IMPLICATION = "implication"
    EVIDENCE = "evidence"


@dataclass
class Entry:
    """One listed item: a characteristic, type, benefit, mechanism, implication or study."""

    kind: Kind
    label: str
    line: int
    position: int
    link: WikiLink | None = None
    description: str | None = None
    mentions: list[WikiLink] = field(default_factory=list)
    group: Entry | None = None  # mechanisms: the numbered item a leaf belongs to
    domain: Entry | None = None  # implications: the numbered item (the domain concept)
    citation: Citation | None = None  # evidence
    summary: str | None = None  # evidence: Study/Research
    finding: str | None = None  # evidence: Findings/Results
    is_domain: bool = False  # implications: the domain item itself

    @property
    def object_slug(self) -> str:
        return self.link.slug if self.link else slugify(self.label)

    @property
    def object_label(self) -> str:
        """The concept's own spelling: a link's target, else the label as written."""
        return self.link.target.strip() if self.link else self.label


@dataclass
class Text:
    """A run of plain text (markers removed, wiki-links as their visible text)."""

    text: str
    line: int
    links: list[WikiLink] = field(default_factory=list)


@dataclass
class KeptSection:
    """Text the format gives no place to, kept as written (never dropped silently)."""

    heading: str
    text: str
    line: int
    links: list[WikiLink] = field(default_factory=list)


@dataclass
class Note:
    """A parsed concept note."""

    file: str
    source: str
    title: str
    title_line: int
    lead: Text | None = None
    definition: Text | None = None
    closing: Text | None = None
    see_also: list[WikiLink] = field(default_factory=list)
    related: list[WikiLink] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    sections: list[KeptSection] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)  # in running text
    links: list[WikiLink] = field(default_factory=list)  # every wiki-link, in order
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return slugify(self.title)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()

    def entries_of(self, kind: Kind) -> list[Entry]:
        return [e for e in self.entries if e.kind is kind]
