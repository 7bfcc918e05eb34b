"""Markdown → typed note: the seed in detail, and every legal variant in ``tests/data/notes/valid``.

Each file in ``valid/`` declares on an HTML comment the warnings and infos it is allowed to have
(``<!-- expect: missing-definition@3 -->``, or ``<!-- expect: -->`` for none); it must parse with
no error and no undeclared warning.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from intimacy_graph.diagnostics import Diagnostic, Severity
from intimacy_graph.notes import Entry, Kind, Note, parse_note, read_note, read_note_bytes
from intimacy_graph.resources import data_dir

SEED = data_dir("notes") / "emotional-intimacy.md"
VALID = Path(__file__).parent / "data" / "notes" / "valid"
VALID_FILES = sorted(VALID.glob("*.md"))
EXPECT = re.compile(r"<!--\s*expect:(?P<items>.*?)-->", re.DOTALL)


def expectations(text: str) -> set[tuple[str, int]]:
    """The ``code@line`` pairs a test note declares."""
    match = EXPECT.search(text)
    assert match, "a test note must declare its diagnostics: <!-- expect: code@line … -->"
    pairs = set()
    for item in match["items"].split():
        code, _, line = item.partition("@")
        pairs.add((code, int(line)))
    return pairs


def labels(entries: list[Entry]) -> list[str]:
    return [e.label for e in entries]


def lines(entries: list[Entry]) -> list[int]:
    return [e.line for e in entries]


def top(note: Note, kind: Kind) -> list[Entry]:
    """Numbered items only (not mechanism leaves or implication items)."""
    return [e for e in note.entries_of(kind) if e.group is None and e.domain is None]


# -- the seed ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> Note:
    note, diagnostics = read_note(SEED, SEED.parent)
    assert note is not None, diagnostics
    return note


def test_seed_parses_without_errors_or_warnings(seed: Note) -> None:
    assert seed.diagnostics == []


def test_seed_identity(seed: Note) -> None:
    assert seed.file == "emotional-intimacy.md"
    assert (seed.title, seed.title_line) == ("Emotional Intimacy", 7)
    assert seed.slug == "emotional-intimacy"
    assert seed.source == SEED.read_text(encoding="utf-8")
    assert seed.content_hash == hashlib.sha256(SEED.read_bytes()).hexdigest()


def test_seed_see_also(seed: Note) -> None:
    assert [(x.target, x.line) for x in seed.see_also] == [
        ("Attachment", 2),
        ("Emotional Bond", 3),
        ("closeness", 4),
        ("Love", 5),
    ]
    assert [x.slug for x in seed.see_also] == ["attachment", "emotional-bond", "closeness", "love"]


def test_seed_lead_and_definition(seed: Note) -> None:
    assert seed.lead is not None and seed.definition is not None
    assert seed.lead.line == 7
    assert seed.lead.text.startswith(
        "Emotional Intimacy refers to a deep sense of closeness and connection"
    )
    assert seed.lead.text.endswith("fostering trust, understanding, and mutual support.")
    assert seed.definition.line == 11
    assert seed.definition.text == (
        "Emotional intimacy is the ability to be open and vulnerable with another person, "
        "sharing personal experiences, thoughts, and feelings. It involves a high level of trust "
        "and mutual understanding, creating a safe space for emotional expression."
    )


def test_seed_characteristics(seed: Note) -> None:
    items = seed.entries_of(Kind.CHARACTERISTIC)
    assert labels(items) == ["Trust", "Vulnerability", "Empathy", "Mutual Understanding", "Support"]
    assert lines(items) == [15, 16, 17, 18, 19]
    assert [e.position for e in items] == [1, 2, 3, 4, 5]
    assert (
        items[0].description == "Confidence in the reliability and integrity of the other person."
    )
    assert items[4].description == "Providing emotional and practical assistance to each other."
    assert all(e.link is None and e.group is None for e in items)
    assert [e.object_slug for e in items][3] == "mutual-understanding"


def test_seed_types(seed: Note) -> None:
    items = seed.entries_of(Kind.TYPE)
    assert labels(items) == [
        "Romantic Intimacy",
        "Familial Intimacy",
        "Friendship Intimacy",
        "Therapeutic Intimacy",
    ]
    assert lines(items) == [22, 23, 24, 25]
    assert [e.position for e in items] == [1, 2, 3, 4]
    assert items[1].description == (
        "Emotional closeness between family members, such as parents and children or siblings."
    )


def test_seed_benefits(seed: Note) -> None:
    items = seed.entries_of(Kind.BENEFIT)
    assert labels(items) == [
        "Psychological Well-Being",
        "Physical Health",
        "Resilience",
        "Relationship Satisfaction",
    ]
    assert lines(items) == [29, 32, 35, 38]
    assert [e.position for e in items] == [1, 2, 3, 4]
    well_being = items[0]
    assert well_being.link is not None  # the label is a wiki-link: **[[Psychological Well-Being]]**
    assert (well_being.link.target, well_being.link.line) == ("Psychological Well-Being", 29)
    assert well_being.object_slug == "psychological-well-being"
    assert well_being.description == (
        "Emotional intimacy enhances mental health by providing a sense of security, belonging, "
        "and emotional support."
    )
    assert [e.link for e in items[1:]] == [None, None, None]
    assert items[3].description == (
        "High levels of emotional intimacy contribute to greater satisfaction and stability in "
        "relationships."
    )


def test_seed_mechanisms(seed: Note) -> None:
    groups = top(seed, Kind.MECHANISM)
    assert labels(groups) == [
        "Attachment Theory",
        "Neurochemical Processes",
        "Behavioral Processes",
    ]
    assert lines(groups) == [43, 46, 50]
    assert [e.position for e in groups] == [1, 2, 3]
    attachment, neuro, behavioral = groups
    assert attachment.link is not None and attachment.link.target == "Attachment Theory"
    assert attachment.description is not None
    assert attachment.description.startswith("Emotional intimacy is deeply rooted in attachment")
    assert neuro.link is None and neuro.description is None
    leaves = [e for e in seed.entries_of(Kind.MECHANISM) if e.group is not None]
    assert [(e.label, e.group.label, e.position, e.line) for e in leaves if e.group] == [
        ("Oxytocin", "Neurochemical Processes", 1, 47),
        ("Endorphins", "Neurochemical Processes", 2, 48),
        ("Self-Disclosure", "Behavioral Processes", 1, 51),
        ("Active Listening", "Behavioral Processes", 2, 52),
        ("Empathy", "Behavioral Processes", 3, 53),
    ]
    assert leaves[0].group is neuro and leaves[2].group is behavioral
    assert leaves[0].description == (
        'Known as the "bonding hormone," oxytocin plays a key role in forming and maintaining '
        "emotional intimacy."
    )


def test_seed_studies(seed: Note) -> None:
    studies = seed.entries_of(Kind.EVIDENCE)
    got = [
        (e.label, e.citation.authors, e.citation.year, e.citation.slug, e.line, e.position)
        for e in studies
        if e.citation
    ]
    assert got == [
        ("Reis and Shaver (1988)", ("Reis", "Shaver"), "1988", "reis-1988", 57, 1),
        (
            "Laurenceau, Barrett, and Pietromonaco (1998)",
            ("Laurenceau", "Barrett", "Pietromonaco"),
            "1998",
            "laurenceau-1998",
            61,
            2,
        ),
        ("Aron et al. (1997)", ("Aron",), "1997", "aron-1997", 65, 3),
    ]
    reis, laurenceau, aron = studies
    assert reis.summary == "Explored the role of intimacy in close relationships."
    assert reis.finding == (
        "Identified that intimacy is a key component of closeness, involving self-disclosure and "
        "responsiveness to each other's needs."
    )
    # "Research:"/"Results:" are the same fields as "Study:"/"Findings:"
    assert laurenceau.summary == (
        "Investigated the processes underlying intimacy in daily interactions."
    )
    assert laurenceau.finding is not None
    assert laurenceau.finding.startswith("Found that self-disclosure and perceived partner")
    assert aron.summary == (
        'Developed the "36 Questions" method to create closeness between strangers.'
    )
    assert aron.finding is not None and aron.finding.endswith("emotional intimacy and closeness.")
    assert all(e.description is None for e in studies)


def test_seed_implications(seed: Note) -> None:
    implications = seed.entries_of(Kind.IMPLICATION)
    domains = [e for e in implications if e.is_domain]
    assert [(e.label, e.line, e.position) for e in domains] == [
        ("Mental Health", 71, 1),
        ("Education", 75, 2),
        ("Workplace", 79, 3),
        ("Personal Development", 83, 4),
    ]
    items = [e for e in implications if not e.is_domain]
    assert [(e.label, e.domain.label, e.position, e.line) for e in items if e.domain] == [
        ("Therapeutic Approaches", "Mental Health", 1, 72),
        ("Self-Help", "Mental Health", 2, 73),
        ("Teaching Practices", "Education", 1, 76),
        ("Student Programs", "Education", 2, 77),
        ("Employee Well-Being", "Workplace", 1, 80),
        ("Team Dynamics", "Workplace", 2, 81),
        ("Daily Practices", "Personal Development", 1, 84),
        ("Life Satisfaction", "Personal Development", 2, 85),
    ]
    assert all(e.domain in domains for e in items)
    assert items[2].description == (
        "Educators can create a supportive classroom environment that fosters positive "
        "relationships and emotional intimacy among students."
    )


def test_seed_related_concepts(seed: Note) -> None:
    assert [(x.target, x.line) for x in seed.related] == [
        ("Attachment Theory", 89),
        ("Oxytocin", 90),
        ("Trust", 91),
        ("Empathy", 92),
        ("Social Connection", 93),
        ("Self-Disclosure", 94),
        ("Active Listening", 95),
        ("Mental Health", 96),
        ("Resilience", 97),
        ("Positive Psychology", 98),
        ("Social-Emotional Learning", 99),
        ("Emotion-Focused Therapy", 100),
        ("Relationship Satisfaction", 101),
    ]


def test_seed_closing_paragraph(seed: Note) -> None:
    assert seed.closing is not None
    assert seed.closing.line == 103
    assert seed.closing.text == (
        "Understanding and fostering emotional intimacy can significantly enhance psychological "
        "well-being, social development, and overall life satisfaction. By building strong, "
        "supportive emotional bonds, individuals can create more fulfilling and connected "
        "relationships."
    )


def test_seed_every_wikilink_with_its_line(seed: Note) -> None:
    assert [(x.target, x.line) for x in seed.links] == [
        ("Attachment", 2),
        ("Emotional Bond", 3),
        ("closeness", 4),
        ("Love", 5),
        ("Psychological Well-Being", 29),
        ("Attachment Theory", 43),
        ("Attachment Theory", 89),
        ("Oxytocin", 90),
        ("Trust", 91),
        ("Empathy", 92),
        ("Social Connection", 93),
        ("Self-Disclosure", 94),
        ("Active Listening", 95),
        ("Mental Health", 96),
        ("Resilience", 97),
        ("Positive Psychology", 98),
        ("Social-Emotional Learning", 99),
        ("Emotion-Focused Therapy", 100),
        ("Relationship Satisfaction", 101),
    ]
    source = SEED.read_text(encoding="utf-8").splitlines()
    for link in seed.links:
        assert f"[[{link.target}]]" in source[link.line - 1]


def test_seed_nothing_left_over(seed: Note) -> None:
    assert seed.sections == []
    assert seed.citations == []
    counts = {kind: len(seed.entries_of(kind)) for kind in Kind}
    assert counts == {
        Kind.CHARACTERISTIC: 5,
        Kind.TYPE: 4,
        Kind.BENEFIT: 4,
        Kind.MECHANISM: 8,
        Kind.IMPLICATION: 12,
        Kind.EVIDENCE: 3,
    }


def test_seed_texts_are_plain(seed: Note) -> None:
    texts = [seed.lead.text if seed.lead else "", seed.closing.text if seed.closing else ""]
    for e in seed.entries:
        texts += [e.label, e.description or "", e.summary or "", e.finding or ""]
    for text in texts:
        assert "**" not in text and "[[" not in text and "]]" not in text, text


# -- plain-text rules ---------------------------------------------------------------------------


def test_bold_markers_removed_and_aliases_shown() -> None:
    note = parse_note(
        "**Trust** is *firm* belief in [[Reliability|the reliability]] of [[Partner]].\n\n"
        "#### Characteristics\n\n"
        "- **Predictability**: Knowing what the [[Partner#Habits|other]] will do, **reliably**.\n",
        "trust.md",
    )
    assert note.diagnostics == [
        d for d in note.diagnostics if d.code == "missing-definition"
    ]  # nothing else
    assert note.lead is not None
    assert note.lead.text == "Trust is firm belief in the reliability of Partner."
    (item,) = note.entries_of(Kind.CHARACTERISTIC)
    assert item.description == "Knowing what the other will do, reliably."
    (mention,) = item.mentions
    assert (mention.target, mention.heading, mention.alias, mention.text, mention.slug) == (
        "Partner",
        "Habits",
        "other",
        "other",
        "partner",
    )
    reliability = note.lead.links[0]
    assert (reliability.target, reliability.alias, reliability.slug) == (
        "Reliability",
        "the reliability",
        "reliability",
    )


def test_aliased_bold_label_points_to_its_target() -> None:
    note = parse_note(
        "**Intimacy** is closeness.\n\n#### Benefits\n\n"
        "1. **[[Psychological Well-Being|well-being]]**:\n   - Feeling secure.\n",
        "intimacy.md",
    )
    (benefit,) = note.entries_of(Kind.BENEFIT)
    assert benefit.label == "well-being"  # shown as written …
    assert benefit.object_label == "Psychological Well-Being"  # … the concept is the target
    assert benefit.object_slug == "psychological-well-being"


# -- legal variants ----------------------------------------------------------------------------


def parse_valid(path: Path) -> Note:
    note, diagnostics = read_note(path, VALID)
    assert note is not None, diagnostics
    return note


def undeclared(diagnostics: list[Diagnostic], declared: set[tuple[str, int]]) -> list[str]:
    return [
        d.to_text()
        for d in diagnostics
        if d.severity is not Severity.INFO and (d.code, d.line) not in declared
    ]


@pytest.mark.parametrize("path", VALID_FILES, ids=lambda p: p.name)
def test_valid_note_has_no_error(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    declared = expectations(text)
    note = parse_valid(path)
    got = {(d.code, d.line) for d in note.diagnostics}
    assert not [d for d in note.diagnostics if d.severity is Severity.ERROR]
    assert undeclared(note.diagnostics, declared) == []
    assert declared <= got, f"declared but not reported: {sorted(declared - got)}"


@pytest.mark.parametrize("path", VALID_FILES, ids=lambda p: p.name)
def test_valid_note_is_complete(path: Path) -> None:
    """Whatever the variant: a title, a lead, ordered items on their own lines, full studies."""
    note = parse_valid(path)
    source = path.read_text(encoding="utf-8").splitlines()
    assert note.title and note.slug and note.lead is not None
    assert note.entries and note.related
    for e in note.entries:
        assert e.label and e.object_slug
        # the label (or its link's visible text) is written on the item's line
        shown = e.link.text if e.link else e.label
        assert shown.split(" (")[0] in source[e.line - 1], (e.label, e.line)
        if e.kind is Kind.EVIDENCE:
            assert e.citation and e.summary and e.finding
    for kind in Kind:
        tops = [e for e in top(note, kind) if e.group is None]
        assert [e.position for e in tops] == list(range(1, len(tops) + 1)), kind
    for link in note.links:
        assert "[[" + link.target in source[link.line - 1]


# The seed's structure survives these re-formattings unchanged (concepts, order, groups, texts).
SAME_AS_SEED = [
    "seed-bulleted.md",
    "seed-heading-levels.md",
    "seed-research-results.md",
    "seed-front-matter.md",
    "seed-bold-links.md",
    "see-also-inline.md",
]


def structure(note: Note) -> list[tuple[object, ...]]:
    return [
        (
            e.kind,
            e.object_slug,
            e.position,
            e.group.object_slug if e.group else None,
            e.domain.object_slug if e.domain else None,
            e.description,
            e.summary,
            e.finding,
            e.citation.slug if e.citation else None,
        )
        for e in note.entries
    ]


@pytest.mark.parametrize("name", SAME_AS_SEED)
def test_reformatted_seed_has_the_seed_structure(name: str, seed: Note) -> None:
    note = parse_valid(VALID / name)
    assert note.title == seed.title
    assert structure(note) == structure(seed)
    assert [x.slug for x in note.related] == [x.slug for x in seed.related]
    assert [x.slug for x in note.see_also] == [x.slug for x in seed.see_also]
    assert note.definition is not None and seed.definition is not None
    assert note.definition.text == seed.definition.text
    assert note.closing is not None and seed.closing is not None
    assert note.closing.text == seed.closing.text


def test_aliases_and_heading_links() -> None:
    note = parse_valid(VALID / "seed-aliases-and-heading-links.md")
    attachment = note.see_also[0]
    assert (attachment.target, attachment.heading, attachment.alias, attachment.text) == (
        "Attachment Theory",
        "Adult Attachment",
        "Attachment",
        "Attachment",
    )
    assert note.see_also[2].alias == "Closeness" and note.see_also[2].slug == "closeness"
    sel = next(x for x in note.related if x.target == "Social-Emotional Learning")
    assert (sel.heading, sel.alias, sel.slug) == ("In Schools", "SEL", "social-emotional-learning")
    benefit = note.entries_of(Kind.BENEFIT)[0]
    assert benefit.label == "Well-Being"
    assert benefit.object_slug == "psychological-well-being"
    attachment_mechanism = note.entries_of(Kind.MECHANISM)[0]
    assert [(m.target, m.text) for m in attachment_mechanism.mentions] == [
        ("Caregiver", "caregivers")
    ]
    assert attachment_mechanism.description is not None
    assert "early relationships with caregivers shape" in attachment_mechanism.description


def test_bold_link_labels_are_links() -> None:
    note = parse_valid(VALID / "seed-bold-links.md")
    linked = {e.label: e.link.target for e in note.entries if e.link is not None}
    assert linked == {
        "Trust": "Trust",
        "Empathy": "Empathy",
        "Psychological Well-Being": "Psychological Well-Being",
        "Resilience": "Resilience",
        "Attachment Theory": "Attachment Theory",
        "Oxytocin": "Oxytocin",
        "Self-Disclosure": "Self-Disclosure",
        "Mental Health": "Mental Health",
        "Schools": "Education",
    }
    schools = next(e for e in note.entries if e.label == "Schools")
    assert schools.is_domain and schools.object_slug == "education"
    teaching = next(e for e in note.entries if e.label == "Teaching Practices")
    assert teaching.domain is schools


def test_level_one_heading_is_the_title() -> None:
    note = parse_valid(VALID / "seed-h1-title.md")
    assert (note.title, note.title_line) == ("Emotional Intimacy", 8)
    assert note.lead is not None and note.lead.line == 10
    assert note.lead.text.startswith("Emotional intimacy refers to")


def test_front_matter_is_kept_not_parsed_as_text() -> None:
    note = parse_valid(VALID / "seed-front-matter.md")
    front = [s for s in note.sections if s.heading == "Front matter"]
    assert len(front) == 1 and front[0].line == 1
    assert "created: 2024-03-02" in front[0].text
    assert note.title_line == 15 and note.see_also[0].line == 10


def test_missing_sections_are_not_errors() -> None:
    note = parse_valid(VALID / "seed-without-evidence-and-implications.md")
    assert note.entries_of(Kind.EVIDENCE) == [] and note.entries_of(Kind.IMPLICATION) == []
    assert len(note.entries_of(Kind.MECHANISM)) == 8 and len(note.related) == 13


def test_see_also_on_one_line() -> None:
    """Regression: "See also: [[A]], [[B]]" was read as the lead paragraph, not as see-also."""
    note = parse_valid(VALID / "see-also-inline.md")
    assert [(x.target, x.line) for x in note.see_also] == [
        ("Attachment", 2),
        ("Emotional Bond", 2),
        ("closeness", 2),
        ("Love", 2),
    ]
    assert note.lead is not None and note.lead.text.startswith("Emotional Intimacy refers")


def test_see_also_line_with_other_words_stays_text() -> None:
    note = parse_note(
        "See also: the chapter on [[Attachment]] in our textbook.\n\n"
        "**Trust** is firm belief.\n\n### Related Concepts\n- [[Love]]\n",
        "trust.md",
    )
    assert note.see_also == []
    assert note.lead is not None and "the chapter on Attachment" in note.lead.text


def test_in_text_citations() -> None:
    note = parse_valid(VALID / "seed-in-text-citations.md")
    assert [(c.label, c.slug, c.line) for c in note.citations] == [
        ("Altman and Taylor (1973)", "altman-1973", 8),
        ("Collins et al. (1994)", "collins-1994", 12),
        ("Reis and Shaver (1988)", "reis-1988", 104),
    ]
    assert note.citations[0].authors == ("Altman", "Taylor")


def test_other_concepts() -> None:
    attachment = parse_valid(VALID / "attachment-theory.md")
    assert attachment.title == "Attachment Theory"
    assert labels(attachment.entries_of(Kind.TYPE))[0] == "Secure Attachment"
    assert [c.slug for c in attachment.citations] == ["bowlby-1969", "hazan-1987"]
    assert [e.citation.slug for e in attachment.entries_of(Kind.EVIDENCE) if e.citation] == [
        "ainsworth-1978",
        "hazan-1987",
    ]
    assert attachment.related[2].alias == "internal working models"

    disclosure = parse_valid(VALID / "self-disclosure.md")
    assert (disclosure.title, disclosure.title_line) == ("Self-Disclosure", 2)
    assert [c.slug for c in disclosure.citations] == ["altman-1973"]
    (penetration,) = disclosure.lead.links if disclosure.lead else []
    assert (penetration.target, penetration.heading) == ("Social Penetration Theory", "Stages")
    assert disclosure.lead is not None
    assert "the engine of the stages of social penetration" in disclosure.lead.text
    studies = disclosure.entries_of(Kind.EVIDENCE)
    assert [(e.summary is not None, e.finding is not None) for e in studies] == [(True, True)] * 2

    loneliness = parse_valid(VALID / "loneliness.md")
    assert [e.link.target for e in loneliness.entries_of(Kind.TYPE) if e.link] == [
        "Emotional Loneliness",
        "Social Loneliness",
    ]
    health = next(e for e in loneliness.entries_of(Kind.IMPLICATION) if e.is_domain)
    assert health.link is not None and health.object_slug == "public-health"

    love = parse_valid(VALID / "love.md")
    assert labels(love.entries_of(Kind.TYPE)) == [
        "Companionate Love",
        "Passionate Love",
        "Consummate Love",
        "Agape",
    ]
    assert love.definition is not None and love.definition.line == 10

    resilience = parse_valid(VALID / "resilience.md")
    assert len(resilience.entries_of(Kind.CHARACTERISTIC)) == 4
    assert [c.slug for c in resilience.citations] == ["masten-2001", "antonovsky-1987"]


def test_unicode_labels() -> None:
    flow = parse_valid(VALID / "flow.md")
    chars = flow.entries_of(Kind.CHARACTERISTIC)
    assert chars[0].label == "Concentración Total"
    assert chars[0].object_slug == "concentración-total"
    assert chars[3].object_slug == "émotion-positive"
    assert [e.citation.slug for e in flow.entries_of(Kind.EVIDENCE) if e.citation] == [
        "csíkszentmihályi-1989",
        "nakamura-2002",
    ]
    assert flow.related[-1].slug == "émotion"


# -- encodings and line endings (generated, not committed) ---------------------------------------


def snapshot(note: Note) -> tuple[object, ...]:
    return (
        note.title,
        note.title_line,
        [(e.kind, e.label, e.line, e.position, e.description) for e in note.entries],
        [(x.target, x.line) for x in note.links],
        [(x.target, x.line) for x in note.see_also + note.related],
        note.definition.text if note.definition else None,
        note.closing.text if note.closing else None,
        [(s.heading, s.line, s.text) for s in note.sections],
        sorted((d.code, d.line) for d in note.diagnostics),
    )


@pytest.mark.parametrize("path", [SEED, *VALID_FILES], ids=lambda p: p.name)
def test_crlf_and_bom_read_like_lf(path: Path) -> None:
    data = path.read_bytes()
    plain, _ = read_note_bytes(data, path.name)
    crlf, _ = read_note_bytes(data.replace(b"\n", b"\r\n"), path.name)
    bom, _ = read_note_bytes(b"\xef\xbb\xbf" + data, path.name)
    both, _ = read_note_bytes(b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"), path.name)
    assert plain is not None and crlf is not None and bom is not None and both is not None
    assert snapshot(crlf) == snapshot(plain)
    assert snapshot(bom) == snapshot(plain)
    assert snapshot(both) == snapshot(plain)
    assert not bom.title.startswith("\ufeff")


def test_line_separator_inside_a_line_keeps_later_lines() -> None:
    """Regression: ``str.splitlines`` split at U+2028, so text after it was read from the wrong
    line and an unknown section's text was dropped."""
    note = parse_note(
        "**Grief** is a response to\u2028loss.\n\n#### History\n\nFreud wrote on mourning.\n\n"
        "#### Related Concepts\n\n- [[Loss]]\n",
        "grief.md",
    )
    (history,) = [s for s in note.sections if s.heading == "History"]
    assert (history.line, history.text) == (3, "Freud wrote on mourning.")
    assert [(x.target, x.line) for x in note.related] == [("Loss", 9)]


def test_a_parsed_note_leaves_no_cyclic_garbage(monkeypatch: pytest.MonkeyPatch) -> None:
    """markdown-it's syntax tree is a cycle (parents and children); builds pause the cyclic
    garbage collector, so the parser unlinks the tree once it has read it, and reference
    counting alone frees it (it used to stay: ~250 KB a note in a build worker)."""
    import gc
    import weakref

    from intimacy_graph.notes import parse as parsing

    real = parsing.parse_blocks
    seen: list[weakref.ref[object]] = []

    def watched(text: str):  # type: ignore[no-untyped-def]
        blocks = real(text)
        todo = list(blocks)
        while todo:
            node = todo.pop()
            seen.append(weakref.ref(node))
            todo.extend(node.children)
        return blocks

    monkeypatch.setattr(parsing, "parse_blocks", watched)
    enabled = gc.isenabled()
    gc.disable()
    try:
        note = parse_note(SEED.read_text(encoding="utf-8"), SEED.name)
        assert note.entries and len(seen) > 100
        assert [r for r in seen if r() is not None] == []
    finally:
        if enabled:
            gc.enable()
