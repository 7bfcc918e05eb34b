"""Synthetic concept notes in the seed's Markdown format, from a seed number (deterministic).

One note per described concept, shaped like ``notes/emotional-intimacy.md``: a "see also:" list,
a bold lead term, Key Aspects (Definition, Characteristics, Types of …), Benefits, Mechanisms
(numbered groups with labelled leaves), Experimental Evidence, Implications, Related Concepts
and a closing paragraph; some notes add an unknown section, running-text citations, aliased
links, links inside bold labels and wiki-links inside descriptions.

The concept pool has exactly ``n_concepts`` names. About one note in 33 (the seed's own ratio:
one note, 33 concepts) describes a concept; every other concept is a stub that at least one
note links to. ``Types of …`` items form a tree over the notes (note ``j``'s parent is
``(j - 1) // 3``), so ``skos:broader+`` chains are several levels deep; cross-links never
relate a concept to one of its broader or narrower ones, so the QC checks stay clean.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from intimacy_graph.slugs import slugify

CONCEPTS_PER_NOTE = 33
TREE_FANOUT = 3

MODIFIERS = (  # noqa: SIM905
    "Adaptive Affective Anxious Avoidant Behavioral Cognitive Collective Compassionate "
    "Contextual Cultural Developmental Dispositional Dyadic Emotional Empathic Existential "
    "Explicit Familial Implicit Interpersonal Intrinsic Extrinsic Maternal Moral Narrative "
    "Neural Parental Perceived Physiological Positive Negative Prosocial Reciprocal Reflective "
    "Relational Romantic Secure Sexual Social Somatic Spiritual Structural Symbolic Therapeutic "
    "Verbal Nonverbal Vicarious Volitional"
).split()
NOUNS = (  # noqa: SIM905
    "Attachment Attention Autonomy Belonging Bonding Care Closeness Commitment Communication "
    "Compassion Conflict Connection Coping Curiosity Disclosure Empathy Engagement Esteem "
    "Expression Forgiveness Friendship Gratitude Grief Growth Happiness Hope Identity Insight "
    "Intimacy Jealousy Kindness Loneliness Love Memory Mentalization Mindfulness Motivation "
    "Openness Partnership Perception Play Presence Reassurance Recognition Regulation Rejection "
    "Repair Resilience Respect Responsiveness Safety Satisfaction Security Sensitivity Shame "
    "Sharing Solidarity Stress Support Sympathy Touch Trust Validation Vulnerability"
).split()
HEADS = (  # noqa: SIM905
    "Theory Model Process Style Pattern Response Orientation Capacity Skill Need Bias Schema "
    "Cycle Network Dynamics Strategy Tendency Deficit Disorder Index Scale Effect Hypothesis "
    "Paradigm Practice Intervention Therapy Training Behavior Signal Cue Norm Script Trait "
    "State Threshold Loop Balance Climate Factor"
).split()
SURNAMES = (  # noqa: SIM905
    "Ainsworth Altman Aron Barrett Bartholomew Baumeister Bowlby Brennan Cacioppo Carstensen "
    "Cassidy Clark Cohen Collins Cozby Cutrona Derlega Diamond Dunbar Eisenberger Feeney Fehr "
    "Finkel Fraley Gable Gottman Gross Hazan Heller Hendrick Holt Impett Jourard Kelley Kiecolt "
    "Kobak Laurenceau Leary Levenson Lieberman Main Maisel Mikulincer Mills Murray Neff Noller "
    "Overall Pietromonaco Prager Reis Rholes Rusbult Sbarra Selcuk Shaver Simpson Slatcher "
    "Sprecher Stanton Story Tabak Taylor Thibaut Uchino Vohs Waldinger Weiss Zayas Zeifman"
).split()
VERBS = (
    "build",
    "sustain",
    "repair",
    "signal",
    "regulate",
    "share",
    "protect",
    "deepen",
    "negotiate",
    "express",
    "recognise",
    "strengthen",
    "restore",
    "anticipate",
)
OBJECTS = (
    "trust between partners",
    "a sense of safety",
    "mutual understanding",
    "emotional availability",
    "shared meaning",
    "felt security",
    "daily closeness",
    "open communication",
    "responsive care",
    "a stable bond",
    "honest feedback",
    "collaborative coping",
    "felt acceptance",
    "emotional attunement",
)
CONTEXTS = (
    "everyday conversations",
    "times of stress",
    "early development",
    "conflict",
    "long-term relationships",
    "therapy sessions",
    "family life",
    "team work",
    "transitions",
    "shared activities",
    "online interaction",
    "caregiving",
)
PRACTICES = (
    "Teaching Practices",
    "Student Programs",
    "Therapeutic Approaches",
    "Self-Help",
    "Employee Well-Being",
    "Team Dynamics",
    "Daily Practices",
    "Life Satisfaction",
    "Peer Mentoring",
    "Parent Training",
    "Screening",
    "Group Sessions",
    "Coaching",
    "Workplace Policies",
    "Community Outreach",
    "Clinical Assessment",
)
UNKNOWN_HEADINGS = ("History", "Measurement", "Criticism", "Open Questions", "Historical Notes")

Slot = tuple[int, str]  # (concept id, spelling as written)


@dataclass(frozen=True)
class Work:
    authors: tuple[str, ...]
    year: int

    @property
    def label(self) -> str:
        a, y = self.authors, self.year
        if len(a) == 1:
            return f"{a[0]} ({y})"
        if len(a) == 2:
            return f"{a[0]} and {a[1]} ({y})"
        if len(a) == 3:
            return f"{a[0]}, {a[1]}, and {a[2]} ({y})"
        return f"{a[0]} et al. ({y})"

    @property
    def slug(self) -> str:
        return slugify(f"{self.authors[0]} {self.year}")


@dataclass
class Universe:
    """The concept pool and the shape of the note tree for one size and seed."""

    n_concepts: int
    seed: int
    names: list[str]
    n_notes: int
    n_domains: int
    works: list[Work]
    # anchor[c] = the note whose Types section puts c in the tree (c described: its own note)
    anchor: dict[int, int] = field(default_factory=dict)
    type_stub: set[int] = field(default_factory=set)
    blocks: list[range] = field(default_factory=list)  # note → its own stubs

    def parent(self, note: int) -> int | None:
        return None if note == 0 else (note - 1) // TREE_FANOUT

    def ancestors(self, note: int) -> set[int]:
        found: set[int] = set()
        parent = self.parent(note)
        while parent is not None:  # bounded: the depth is log3(n_notes)
            found.add(parent)
            parent = self.parent(parent)
        return found

    def children(self, note: int) -> list[int]:
        first = note * TREE_FANOUT + 1
        return [j for j in range(first, first + TREE_FANOUT) if j < self.n_notes]

    def in_chain(self, note: int, concept: int) -> bool:
        """True when ``concept`` is ``note``'s own concept, a broader or a narrower one."""
        if concept not in self.anchor:
            return False
        j = self.anchor[concept]
        if j == note or note in self.ancestors(j):
            return True
        return concept not in self.type_stub and j in self.ancestors(note)


def unique_names(n: int, rng: random.Random) -> list[str]:
    """``n`` distinct three-word names (distinct slugs too), in a seeded random order."""
    space = len(MODIFIERS) * len(NOUNS) * len(HEADS)
    if n > space:
        raise ValueError(f"at most {space:,} concepts (the name space), not {n:,}")
    names: list[str] = []
    slugs: set[str] = set()
    for index in rng.sample(range(space), n):
        m, rest = divmod(index, len(NOUNS) * len(HEADS))
        noun, head = divmod(rest, len(HEADS))
        name = f"{MODIFIERS[m]} {NOUNS[noun]} {HEADS[head]}"
        slug = slugify(name)
        if slug not in slugs:
            slugs.add(slug)
            names.append(name)
    if len(names) != n:  # three distinct words never collide, so this is a bug
        raise AssertionError("name collision")
    return names


def universe(n_concepts: int, seed: int) -> Universe:
    rng = random.Random(f"universe:{seed}:{n_concepts}")
    names = unique_names(n_concepts, rng)
    n_notes = max(1, round(n_concepts / CONCEPTS_PER_NOTE))
    n_domains = min(n_notes, max(4, round(math.sqrt(n_concepts) / 2)))
    works: list[Work] = []
    seen: set[str] = set()
    for _ in range(50 * (n_notes + 8)):  # bounded: stops when the pool is full
        if len(works) >= n_notes + 8:
            break
        size = rng.choice((1, 2, 2, 3, 4, 5))
        work = Work(tuple(rng.sample(SURNAMES, size)), rng.randint(1965, 2023))
        if work.slug not in seen:
            seen.add(work.slug)
            works.append(work)
    u = Universe(n_concepts, seed, names, n_notes, n_domains, works)
    for j in range(n_notes):
        u.anchor[j] = j
    start = n_notes + n_domains
    for j in range(n_notes):  # each note's block of stubs; its first ones are its types
        end = start + round((n_concepts - n_notes - n_domains) * (j + 1) / n_notes)
        block = range(u.blocks[-1].stop if u.blocks else start, end)
        u.blocks.append(block)
        for c in block[: rng.randint(1, 3)]:
            u.anchor[c] = j
            u.type_stub.add(c)
    return u


class _NoteWriter:
    def __init__(self, u: Universe, i: int, rng: random.Random) -> None:
        self.u = u
        self.i = i
        self.fresh = iter(u.blocks[i])
        self.rng = rng
        self.used: set[int] = {i}
        self.lines: list[str] = []

    # -- text ------------------------------------------------------------------------------
    def sentence(self, mention: bool = False) -> str:
        r = self.rng
        verb = r.choice(VERBS)
        verb = verb + ("es" if verb.endswith("ss") else "s")
        text = (
            f"{verb.capitalize()} {r.choice(OBJECTS)} during "
            f"{r.choice(CONTEXTS)} and helps to {r.choice(VERBS)} {r.choice(OBJECTS)}"
        )
        if mention and r.random() < 0.25:
            other = self.any_concept()
            text += f", much as [[{self.u.names[other]}]] does"
        return text + "."

    def any_concept(self) -> int:
        c = self.rng.randrange(self.u.n_concepts - 1)
        return c + 1 if c >= self.i else c  # never the note's own concept

    def shared(self) -> Slot:
        """An existing concept outside this note's broader/narrower chain."""
        u, r = self.u, self.rng
        for _ in range(100):  # bounded retries; the pool is large
            if r.random() < 0.5:
                c = r.randrange(u.n_notes)
            else:
                c = r.randrange(u.n_notes + u.n_domains, u.n_concepts)
            if c in self.used or c in u.blocks[self.i] or u.in_chain(self.i, c):
                continue
            self.used.add(c)
            name = u.names[c]
            return c, (name.lower() if r.random() < 0.08 else name)
        raise RuntimeError("no shared concept found")

    def take_fresh(self) -> Slot | None:
        c = next(self.fresh, None)
        if c is None:
            return None
        self.used.add(c)
        return c, self.u.names[c]

    def label(self, slot: Slot, link_share: float) -> str:
        _, spelling = slot
        return f"[[{spelling}]]" if self.rng.random() < link_share else spelling

    # -- the note --------------------------------------------------------------------------
    def write(self) -> str:
        u, r, i = self.u, self.rng, self.i
        title = u.names[i]
        n_fresh = len(u.blocks[i])
        n_types_fresh = sum(1 for c in u.blocks[i] if c in u.type_stub)
        n_char, n_ben = r.randint(3, 6), r.randint(2, 5)
        leaves = [r.choice((0, 2, 2, 3)) for _ in range(r.randint(2, 4))]
        n_see = r.randint(0, 4)
        n_shared = r.randint(3, 7)
        base = n_types_fresh + n_char + n_ben + len(leaves) + sum(leaves) + n_see
        n_related = max(3, n_fresh + n_shared - base)
        sizes = [n_char, n_ben, len(leaves), sum(leaves), n_see, n_related]
        n_slots = sum(sizes)
        order = list(range(n_slots))
        r.shuffle(order)
        fresh_positions = set(order[: max(0, n_fresh - n_types_fresh)])
        types: list[Slot] = [(c, u.names[c]) for c in u.children(i)]
        for _ in range(n_types_fresh):
            slot = self.take_fresh()
            if slot is not None:
                types.append(slot)
        slots: list[Slot] = []
        for k in range(n_slots):
            slot = self.take_fresh() if k in fresh_positions else None
            slots.append(slot if slot is not None else self.shared())
        it = iter(slots)
        chars, bens, groups = ([next(it) for _ in range(n)] for n in sizes[:3])
        leaf_slots = [[next(it) for _ in range(n)] for n in leaves]
        see, related = [next(it) for _ in range(n_see)], [next(it) for _ in range(n_related)]

        out = self.lines
        if see:
            out += ["see also:", *[f"- [[{s}]]" for _, s in see], ""]
        out += [
            f"**{title}** refers to {r.choice(OBJECTS)} that lets people "
            f"{r.choice(VERBS)} {r.choice(OBJECTS)}. {self.sentence(mention=True)}",
            "",
        ]
        out += [
            "#### Key Aspects",
            "",
            "1. **Definition**:",
            f"   {title} is the capacity to {r.choice(VERBS)} {r.choice(OBJECTS)} with "
            f"another person. {self.sentence()}",
            "",
        ]
        out += ["2. **Characteristics**:"]
        out += [f"   - **{s}**: {self.sentence(mention=True)}" for _, s in chars]
        out += ["", f"3. **Types of {title}**:"]
        out += [f"   - **{s}**: {self.sentence()}" for _, s in types]
        out += ["", "#### Benefits", ""]
        for n, slot in enumerate(bens, start=1):
            out += [f"{n}. **{self.label(slot, 0.3)}**:", f"   - {self.sentence(True)}", ""]
        out += ["#### Mechanisms", ""]
        for n, (slot, group_leaves) in enumerate(zip(groups, leaf_slots, strict=True), 1):
            out += [f"{n}. **{self.label(slot, 0.3)}**:"]
            if group_leaves:
                out += [f"   - **{s}**: {self.sentence()}" for _, s in group_leaves]
            else:
                out += [f"   - {self.sentence(True)}"]
            out += [""]
        out += ["#### Experimental Evidence", ""]
        for n, work in enumerate(r.sample(u.works, r.randint(1, 3)), start=1):
            summary, finding = r.choice((("Study", "Findings"), ("Research", "Results")))
            out += [
                f"{n}. **{work.label}**:",
                f"   - **{summary}**: Examined how people {r.choice(VERBS)} "
                f"{r.choice(OBJECTS)} in {r.choice(CONTEXTS)}.",
                f"   - **{finding}**: {self.sentence()}",
                "",
            ]
        out += ["#### Implications", ""]
        domains = [u.n_notes + i % u.n_domains]
        domains += r.sample(range(u.n_notes, u.n_notes + u.n_domains), r.randint(0, 2))
        for n, d in enumerate(dict.fromkeys(domains), start=1):
            out += [f"{n}. **{u.names[d]}**:"]
            out += [
                f"   - **{p}**: {self.sentence()}" for p in r.sample(PRACTICES, r.randint(1, 2))
            ]
            out += [""]
        if r.random() < 0.1:
            out += [f"#### {r.choice(UNKNOWN_HEADINGS)}", "", self.sentence(mention=True), ""]
        out += ["### Related Concepts", ""]
        for _, spelling in related:
            alias = r.random() < 0.05
            out += [f"- [[{spelling}|{spelling.lower()}]]" if alias else f"- [[{spelling}]]"]
        closing = f"Understanding {title.lower()} can {r.choice(VERBS)} {r.choice(OBJECTS)}."
        if r.random() < 0.2:
            closing += f" As shown by {r.choice(u.works).label}, {self.sentence()[:-1].lower()}."
        out += ["", closing, ""]
        return "\n".join(out)


def notes(u: Universe) -> Iterator[tuple[str, str]]:
    """Yield ``(file name, Markdown)`` for every note, in order; links every stub."""
    for i in range(u.n_notes):
        writer = _NoteWriter(u, i, random.Random(f"note:{u.seed}:{u.n_concepts}:{i}"))
        text = writer.write()
        leftover = list(writer.fresh)
        if leftover:  # every stub must be linked by some note
            text = text.replace(
                "### Related Concepts\n\n",
                "### Related Concepts\n\n" + "".join(f"- [[{u.names[c]}]]\n" for c in leftover),
                1,
            )
        yield f"{slugify(u.names[i])}.md", text
