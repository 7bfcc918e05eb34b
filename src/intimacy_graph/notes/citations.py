"""Citations: ``Authors (Year)`` study labels and author–year citations in running text."""

from __future__ import annotations

import re

from intimacy_graph.notes.model import Citation

_NAME = r"[A-Z][\w'’-]*(?:\s+(?:van|von|de|der|den|da|di|du|la|le)\s+[A-Z][\w'’-]*)?"
# At most eight names: an unbounded repetition made a long run of "Name, Name, …" take
# seconds to scan (each start position re-walked the whole run).
_AUTHORS = (
    rf"(?P<authors>{_NAME}(?:(?:,\s+(?:and\s+|&\s+)?|\s+and\s+|\s+&\s+){_NAME}){{0,7}}"
    r"(?:,?\s+et\s+al\.?)?)"
)
_YEAR = r"(?P<year>(?:1[5-9]|20)\d{2}[a-z]?)"
LABEL = re.compile(rf"^\s*(?P<authors>.+?)\s*\(\s*{_YEAR}\s*\)\s*[:.]?\s*$")
LABEL_NO_YEAR = re.compile(r"^\s*(?P<authors>.+?)\s*(\((?P<rest>[^)]*)\))?\s*[:.]?\s*$")
IN_TEXT = re.compile(rf"\b{_AUTHORS}\s+\(\s*{_YEAR}\s*\)")
PARENTHETICAL = re.compile(rf"\(\s*{_AUTHORS},?\s+{_YEAR}\s*\)")
_SPLIT = re.compile(r"\s*,\s*(?:and\s+|&\s*)?|\s+and\s+|\s*&\s*")
_ET_AL = re.compile(r",?\s+et\s+al\.?\s*$")


def split_authors(authors: str) -> tuple[str, ...]:
    """Family names as written; "et al." keeps only the first author.

    >>> split_authors("Laurenceau, Barrett, and Pietromonaco")
    ('Laurenceau', 'Barrett', 'Pietromonaco')
    >>> split_authors("Aron et al.")
    ('Aron',)
    """
    authors = _ET_AL.sub("", authors.strip())
    return tuple(name.strip() for name in _SPLIT.split(authors) if name.strip())


def parse_label(label: str, line: int) -> Citation | None:
    """A study label such as "Aron et al. (1997)"; ``None`` when it has no year.

    >>> parse_label("Reis and Shaver (1988)", 3).slug
    'reis-1988'
    """
    match = LABEL.match(label)
    if not match:
        return None
    authors = split_authors(match["authors"])
    if not authors:
        return None
    return Citation(
        label=label.strip().rstrip(":").strip(), authors=authors, year=match["year"], line=line
    )


def find_in_text(text: str, line: int) -> list[Citation]:
    """Author–year citations in running text: "Collins et al. (1994)", "(Altman & Taylor, 1973)".

    >>> text = "as Altman and Taylor (1973) and (Collins et al., 1994) show"
    >>> [c.slug for c in find_in_text(text, 1)]
    ['altman-1973', 'collins-1994']
    """
    found: list[tuple[int, Citation]] = []
    for pattern in (IN_TEXT, PARENTHETICAL):
        for match in pattern.finditer(text):
            authors = split_authors(match["authors"])
            if authors:
                label = f"{match['authors'].strip()} ({match['year']})"
                found.append((match.start(), Citation(label, authors, match["year"], line)))
    return [c for _, c in sorted(found, key=lambda pair: pair[0])]
