"""Note graph → Markdown in the seed's format (the inverse of :mod:`intimacy_graph.encode`).

The note is rebuilt from what its named graph *says* — title, lead (``skos:scopeNote``),
definition, statements in position order, mechanism groups and implication domains, studies
with their Study/Findings fields, kept sections, related and "see also" lists, the closing
paragraph — never from the stored ``ig:markdown`` literal (a note added as RDF has none).

Plain-text literals are escaped so that parsing the Markdown again yields the same text. Wiki
links are put back where their visible text is found: a statement's ``ig:mentions`` in its own
texts, ``ig:linksTo`` targets that nothing else accounts for in the lead, definition or closing.
Which spelling a link was written with is not in a note's graph; :func:`assign_spellings`
chooses spellings across all exported notes so that the registry (preferred label = describing
note's title or the first spelling seen, every other spelling an ``skos:altLabel``) comes out
the same when the notes are imported again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.term import Node

from intimacy_graph.namespaces import DCTERMS, IG, PROV, SKOS, Iris
from intimacy_graph.notes.markdown import split_link
from intimacy_graph.slugs import slugify

_WIKILINK = re.compile(r"\[\[([^\[\]\n]*?)\]\]")
_SPECIAL = re.compile(r"([\\`*_\[\]<>&#])")
_LINE_START = re.compile(r"^([-+=>]|\d+[.)])")
_KIND_OF: dict[Node, str] = {
    IG.CharacteristicStatement: "characteristic",
    IG.TypeStatement: "type",
    IG.BenefitStatement: "benefit",
    IG.MechanismStatement: "mechanism",
    IG.ImplicationStatement: "implication",
    IG.EvidenceStatement: "evidence",
}


def escape(text: str, indent: str = "") -> str:
    r"""Plain text → Markdown that parses back to the same plain text.

    Hard line breaks (``\n`` in the text) become a backslash line break.

    >>> escape("a *starred* [note] #1")
    'a \\*starred\\* \\[note\\] \\#1'
    >>> escape("- not a list")
    '\\- not a list'
    """
    lines = []
    for line in text.split("\n"):
        line = _SPECIAL.sub(r"\\\1", line)
        match = _LINE_START.match(line)
        if match:
            token = match.group(1)
            line = (
                "\\" + line
                if len(token) == 1
                else token[:-1] + "\\" + token[-1] + line[len(token) :]
            )
        lines.append(line)
    return ("\\\n" + indent).join(lines)


@dataclass
class Site:
    """One place in a rendered note that names a concept: a wiki-link or a plain label."""

    concept: str  # the concept's slug
    visible: str | None  # the text shown; None when the item shows the target itself
    bracket: bool = True  # written as a [[wiki-link]] (else a plain label or list item)
    spelling: str | None = None  # the concept's name as written (the link target)
    fixed: bool = False  # the spelling is given by the text (cannot be chosen)
    rendered: bool = True  # False: already written elsewhere (title, raw kept text)

    def markdown(self) -> str:
        target = self.spelling or self.visible or self.concept
        if not self.bracket:
            return f"{escape(target)}"
        if self.visible is None or self.visible == target:
            return f"[[{target}]]"
        return f"[[{target}|{self.visible}]]"


Piece = str | Site


@dataclass
class RenderedNote:
    """A note as Markdown pieces: text with the link sites left open until spellings are set."""

    slug: str
    title: str
    pieces: list[Piece] = field(default_factory=list)
    extra_sites: list[Site] = field(default_factory=list)  # spellings written as-is
    unplaced: list[str] = field(default_factory=list)  # linked concepts with no place

    @property
    def sites(self) -> list[Site]:
        """Every site, in the order the parser meets their spellings (links first)."""
        inline = [p for p in self.pieces if isinstance(p, Site)]
        title, extra = self.extra_sites[:1], self.extra_sites[1:]
        ordered = [*title, *(s for s in inline if s.bracket), *(s for s in extra if s.bracket)]
        return ordered + [s for s in [*inline, *extra] if not s.bracket]

    def markdown(self) -> str:
        text = "".join(p if isinstance(p, str) else p.markdown() for p in self.pieces)
        return text.rstrip("\n") + "\n"


@dataclass
class _Statement:
    node: URIRef
    kind: str
    label: str
    position: int
    is_link: bool
    description: str | None
    object: str | None
    group: str | None
    domain: str | None
    summary: str | None
    finding: str | None
    mentions: list[str]


class _Renderer:
    def __init__(self, g: Graph, iris: Iris, spellings: dict[str, list[str]]) -> None:
        self.g = g
        self.iris = iris
        self.spellings = spellings
        self.concept_base = str(iris.concept(""))
        doc = next(iter(g.subjects(RDF.type, IG.ConceptNote)), None)
        if not isinstance(doc, URIRef):
            raise ValueError("the graph holds no ig:ConceptNote")
        self.doc = doc
        me = g.value(doc, IG.describes)
        if not isinstance(me, URIRef):
            raise ValueError(f"{doc} describes no concept")
        self.me = me
        self.slug = self.slug_of(me)
        self.title = self.text(doc, DCTERMS.title) or self.slug
        self.links = {self.slug_of(o) for o in g.objects(doc, IG.linksTo)}
        self.placed: set[str] = set()
        self.out = RenderedNote(self.slug, self.title)

    # -- reading the graph -----------------------------------------------------------------
    def slug_of(self, node: Node) -> str:
        text = str(node)
        return text[len(self.concept_base) :] if text.startswith(self.concept_base) else text

    def text(self, subject: Node, predicate: URIRef) -> str | None:
        value = self.g.value(subject, predicate)
        return str(value) if value is not None else None

    def statements(self) -> list[_Statement]:
        found = []
        for node in set(self.g.subjects(PROV.wasDerivedFrom, self.doc)):
            if not isinstance(node, URIRef):
                continue
            kinds = [_KIND_OF[t] for t in self.g.objects(node, RDF.type) if t in _KIND_OF]
            if not kinds:
                continue

            def slug(p: URIRef, node: URIRef = node) -> str | None:
                value = self.g.value(node, p)
                return self.slug_of(value) if value is not None else None

            position = self.g.value(node, IG.position)
            work = self.g.value(node, IG.work)
            label = self.text(node, RDFS.label) or (str(work) if work is not None else "")
            found.append(
                _Statement(
                    node=node,
                    kind=kinds[0],
                    label=label,
                    position=int(position.toPython()) if isinstance(position, Literal) else 0,
                    is_link=bool(self.g.value(node, IG.labelIsLink)),
                    description=self.text(node, IG.description),
                    object=slug(IG.object),
                    group=slug(IG.group),
                    domain=slug(IG.domain),
                    summary=self.text(node, IG.studySummary),
                    finding=self.text(node, IG.finding),
                    mentions=sorted(self.slug_of(m) for m in self.g.objects(node, IG.mentions)),
                )
            )
        return sorted(found, key=lambda s: (s.position, s.label))

    def name(self, slug: str) -> str:
        names = self.spellings.get(slug)
        return names[0] if names else slug

    # -- sites -----------------------------------------------------------------------------
    def link_label(self, st: _Statement, concept: str | None) -> Site:
        """The site of a label written as a link (``**[[X]]**``); it shows the label."""
        concept = concept or slugify(st.label)
        self.placed.add(concept)
        known = st.label in self.spellings.get(concept, [])
        return Site(concept, st.label, True, st.label if known else None, fixed=known)

    def list_site(self, concept: str) -> Site:
        bracket = concept in self.links
        if bracket:
            self.placed.add(concept)
        return Site(concept, None, bracket)

    def place(self, texts: Sequence[str | None], concepts: Iterable[str]) -> list[list[Piece]]:
        """Each text as pieces, with a link for each concept whose visible text is found."""
        spans: list[list[tuple[int, int, Site]]] = [[] for _ in texts]
        for concept in concepts:
            site = self.find(texts, spans, concept)
            if site is None:
                if concept not in self.out.unplaced:
                    self.out.unplaced.append(concept)
            else:
                self.placed.add(concept)
        result: list[list[Piece]] = []
        for text, found in zip(texts, spans, strict=True):
            pieces: list[Piece] = []
            at = 0
            for start, end, site in sorted(found, key=lambda t: t[0]):
                pieces.append(text[at:start] if text else "")
                pieces.append(site)
                at = end
            pieces.append(text[at:] if text else "")
            result.append(pieces)
        return result

    def find(
        self, texts: Sequence[str | None], spans: list[list[tuple[int, int, Site]]], concept: str
    ) -> Site | None:
        names = sorted(set(self.spellings.get(concept, [])), key=lambda n: (-len(n), n))
        # Exact names first, then any case, then an inflected word ("caregivers").
        for flags, tail in ((0, r"(?!\w)"), (re.IGNORECASE, r"(?!\w)"), (re.IGNORECASE, r"\w*")):
            for name in names:
                pattern = re.compile(rf"(?<!\w){re.escape(name)}{tail}", flags)
                for i, text in enumerate(texts):
                    if not text:
                        continue
                    for match in pattern.finditer(text):
                        start, end = match.span()
                        if any(s < end and start < e for s, e, _ in spans[i]):
                            continue
                        shown = match.group()
                        known = shown in names
                        site = Site(concept, shown, True, shown if known else None, fixed=known)
                        spans[i].append((start, end, site))
                        return site
        return None


def _parts(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split("\n\n") if p.strip()]


def _inline(pieces: list[Piece], indent: str) -> list[Piece]:
    return [escape(p, indent) if isinstance(p, str) else p for p in pieces]


def _text_pieces(pieces: list[Piece], indent: str) -> list[Piece]:
    """A (multi-paragraph) text's pieces with paragraphs separated by a blank line."""
    out: list[Piece] = []
    for p in pieces:
        if isinstance(p, str):
            paragraphs = p.split("\n\n")
            for k, para in enumerate(paragraphs):
                if k:
                    out.append("\n\n" + indent)
                out.append(escape(para, indent))
        else:
            out.append(p)
    return out


def render_note(
    g: Graph, iris: Iris, spellings: dict[str, list[str]] | None = None
) -> RenderedNote:
    """Render one note graph (``graph:note/{slug}``) as Markdown pieces.

    ``spellings`` maps a concept slug to its names, preferred first (from the registry);
    call :func:`assign_spellings` before :meth:`RenderedNote.markdown`.
    """
    r = _Renderer(g, iris, spellings or {})
    out = r.out
    statements = r.statements()
    by_kind: dict[str, list[_Statement]] = {}
    for st in statements:
        by_kind.setdefault(st.kind, []).append(st)
    out.extra_sites.append(Site(r.slug, None, True, r.title, fixed=True, rendered=False))

    def item(
        st: _Statement, concept: str | None, indent: str, marker: str, inline_first: bool
    ) -> list[Piece]:
        """``{marker} **Label**: description`` with further parts as sub-bullets.

        ``concept``: the concept a plain label names (``None``: the label names none).
        """
        texts: list[str | None] = [*_parts(st.description)]
        if not st.is_link:
            texts.append(st.label)
        placed = r.place(texts, st.mentions)
        label_pieces: list[Piece]
        if st.is_link:
            label_pieces = [r.link_label(st, concept)]
        else:
            if concept is not None:
                site = Site(concept, st.label, False, st.label, fixed=True, rendered=False)
                out.extra_sites.append(site)
            label_pieces = _inline(placed.pop(), indent)
        pieces: list[Piece] = [f"{indent}{marker} **", *label_pieces, "**:"]
        parts = placed
        sub = indent + " " * (len(marker) + 1)
        if inline_first and parts:
            pieces += [" ", *_inline(parts[0], sub)]
            parts = parts[1:]
        pieces.append("\n")
        for part in parts:
            pieces += [f"{sub}- ", *_inline(part, sub + "  "), "\n"]
        return pieces

    # Statements first: their mentions are placed before the lead looks for other links.
    chars = by_kind.get("characteristic", [])
    types = by_kind.get("type", [])
    bodies: dict[str, list[Piece]] = {}
    for name, sts in (("Characteristics", chars), ("Types", types)):
        body: list[Piece] = []
        for st in sts:
            body += item(st, st.object, "   ", "-", True)
        bodies[name] = body

    benefits: list[Piece] = []
    for n, st in enumerate(by_kind.get("benefit", []), start=1):
        benefits += item(st, st.object, "", f"{n}.", False)
        benefits.append("\n")

    mechanisms: list[Piece] = []
    mech = by_kind.get("mechanism", [])
    groups = [st for st in mech if st.group is None]
    for n, st in enumerate(groups, start=1):
        mechanisms += item(st, st.object, "", f"{n}.", False)
        for leaf in (x for x in mech if x.group == st.object):
            mechanisms += item(leaf, leaf.object, "   ", "-", True)
        mechanisms.append("\n")

    evidence: list[Piece] = []
    for n, st in enumerate(by_kind.get("evidence", []), start=1):
        texts: list[str | None] = [st.summary, st.finding, *_parts(st.description)]
        placed = r.place(texts, st.mentions)
        evidence += [f"{n}. **", escape(st.label), "**:\n"]
        if st.summary:
            evidence += ["   - **Study**: ", *_inline(placed[0], "     "), "\n"]
        if st.finding:
            evidence += ["   - **Findings**: ", *_inline(placed[1], "     "), "\n"]
        for part in placed[2:]:
            evidence += ["   - ", *_inline(part, "     "), "\n"]
        evidence.append("\n")

    related = [r.list_site(r.slug_of(o)) for o in g.objects(r.me, SKOS.related)]
    see_also = [r.list_site(r.slug_of(o)) for o in g.objects(r.me, IG.seeAlso)]
    related.sort(key=lambda s: r.name(s.concept))
    see_also.sort(key=lambda s: r.name(s.concept))

    implications: list[Piece] = []
    impl = by_kind.get("implication", [])
    domain_node = {
        st.domain: st
        for st in impl
        if st.node == iris.statement(r.slug, "implication", st.domain or "")
    }
    domains = sorted(r.slug_of(d) for d in g.objects(r.me, IG.hasImplicationFor))
    ordered: list[str | None] = [None] * len(domains)
    rest = []
    for d in domains:
        dst = domain_node.get(d)
        if dst is not None and 1 <= dst.position <= len(domains) and not ordered[dst.position - 1]:
            ordered[dst.position - 1] = d
        else:
            rest.append(d)
    rest_iter = iter(sorted(rest, key=lambda d: r.name(d)))
    final = [d if d is not None else next(rest_iter) for d in ordered]
    for n, d in enumerate(final, start=1):
        dst = domain_node.get(d)
        if dst is not None:
            implications += item(dst, d, "", f"{n}.", False)
        else:
            site = Site(d, None, d in r.links and d not in r.placed)
            if site.bracket:
                r.placed.add(d)
            implications += [f"{n}. **", site, "**:\n"]
        leaves = [x for x in impl if x.domain == d and x is not dst]
        for leaf in leaves:
            implications += item(leaf, None, "   ", "-", True)
        implications.append("\n")

    sections = []
    for sec in g.objects(r.doc, IG.hasSection):
        position = g.value(sec, IG.position)
        heading = r.text(sec, DCTERMS.title) or ""
        text = r.text(sec, IG.text) or ""
        sections.append(
            (int(position.toPython()) if isinstance(position, Literal) else 0, heading, text)
        )
        for raw in _WIKILINK.findall(text):
            link = split_link(raw, 0)
            if link is not None:
                r.placed.add(link.slug)
                out.extra_sites.append(
                    Site(link.slug, None, True, link.target, fixed=True, rendered=False)
                )
    sections.sort()

    # The lead, definition and closing carry links the graph only records as ig:linksTo.
    lead = r.text(r.me, SKOS.scopeNote)
    definition = r.text(r.me, SKOS.definition)
    closing = r.text(r.doc, DCTERMS.description)
    loose = sorted(r.links - r.placed)
    lead_p, def_p, closing_p = r.place([lead, definition, closing], loose)

    # -- assemble, in the seed's order -------------------------------------------------------
    pieces = out.pieces
    front = [s for s in sections if s[1] == "Front matter" and s[0] == 1]
    if front:
        pieces.append(f"---\n{front[0][2]}\n---\n\n")
        sections.remove(front[0])
    if see_also:
        pieces.append("see also:\n")
        for site in see_also:
            pieces += ["- ", site, "\n"]
        pieces.append("\n")
    title_done = False
    if lead:
        bolded = _bold_title(lead_p, r.title)
        if bolded is None:
            pieces.append(f"# {escape(r.title)}\n\n")
            bolded = _text_pieces(lead_p, "")
        pieces += [*bolded, "\n\n"]
        title_done = True
    if not title_done:
        pieces.append(f"# {escape(r.title)}\n\n")
    if definition or chars or types:
        pieces.append("#### Key Aspects\n\n")
        n = 0
        if definition:
            n += 1
            pieces += [f"{n}. **Definition**:\n   ", *_text_pieces(def_p, "   "), "\n\n"]
        if chars:
            n += 1
            pieces += [f"{n}. **Characteristics**:\n", *bodies["Characteristics"], "\n"]
        if types:
            n += 1
            pieces += [f"{n}. **Types of {escape(r.title)}**:\n", *bodies["Types"], "\n"]
    for heading, body in (
        ("#### Benefits", benefits),
        ("#### Mechanisms", mechanisms),
        ("#### Experimental Evidence", evidence),
        ("#### Implications", implications),
    ):
        if body:
            pieces += [heading, "\n\n", *body]
    for _, heading, text in sections:
        pieces.append(f"#### {heading}\n\n{text}\n\n")
    if related:
        pieces.append("### Related Concepts\n\n")
        for site in related:
            pieces += ["- ", site, "\n"]
        pieces.append("\n")
    if closing:
        if not related:
            pieces.append("#### Conclusion\n\n")
        pieces += [*_text_pieces(closing_p, ""), "\n"]
    return out


def _bold_title(pieces: list[Piece], title: str) -> list[Piece] | None:
    """The lead with its first occurrence of the title in bold (the note's lead term)."""
    for i, piece in enumerate(pieces):
        if isinstance(piece, str):
            at = piece.find(title)
            if at >= 0 and not piece[:at].count("\n\n"):
                before = _text_pieces([piece[:at]], "")
                after = _text_pieces([piece[at + len(title) :]], "")
                head = _text_pieces(list(pieces[:i]), "")
                tail = _text_pieces(list(pieces[i + 1 :]), "")
                return [*head, *before, "**", escape(title), "**", *after, *tail]
    return None


def assign_spellings(
    notes: Sequence[RenderedNote], spellings: dict[str, list[str]], described: set[str]
) -> None:
    """Choose the target of every link whose spelling the graph does not record.

    Every spelling of a concept in ``spellings`` (preferred first) is given to at least one
    site when there are sites enough; the first site (notes by slug) of a concept no note
    describes gets the preferred spelling, so the registry chooses it again.
    """
    by_concept: dict[str, list[Site]] = {}
    for note in sorted(notes, key=lambda n: n.slug):
        for site in note.sites:
            by_concept.setdefault(site.concept, []).append(site)
    for concept, sites in by_concept.items():
        names = spellings.get(concept) or [s.spelling or s.visible or concept for s in sites]
        preferred = names[0]
        used = {s.spelling for s in sites if s.fixed}
        free = [s for s in sites if not s.fixed]
        if concept not in described and sites and not sites[0].fixed:
            sites[0].spelling = preferred
            used.add(preferred)
            free.remove(sites[0])
        missing = [n for n in names if n not in used]
        for name in missing:
            if not free:
                break
            site = free.pop()
            site.spelling = name
        for site in free:
            site.spelling = preferred
