"""What a heading or a structural label means: the names carry meaning, not the levels."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum


class SectionKind(StrEnum):
    KEY_ASPECTS = "key-aspects"
    DEFINITION = "definition"
    CHARACTERISTICS = "characteristics"
    TYPES = "types"
    BENEFITS = "benefits"
    MECHANISMS = "mechanisms"
    EVIDENCE = "evidence"
    IMPLICATIONS = "implications"
    RELATED = "related"
    SEE_ALSO = "see-also"
    CLOSING = "closing"


_RULES: tuple[tuple[SectionKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        (
            SectionKind.KEY_ASPECTS,
            r"^(key )?aspects( of .*)?$|^overview$|^key (features|elements)$",
        ),
        (SectionKind.DEFINITION, r"^(definition|definitions|what is .*|meaning)$"),
        (SectionKind.CHARACTERISTICS, r"^(key |core |main )?(characteristics|features)( of .*)?$"),
        (SectionKind.TYPES, r"^(types|kinds|forms|varieties|subtypes)( of .*)?$"),
        (SectionKind.BENEFITS, r"^(key |main )?benefits( of .*)?$"),
        (SectionKind.MECHANISMS, r"^(underlying |key |psychological )?mechanisms( .*)?$"),
        (
            SectionKind.EVIDENCE,
            r"^((experimental|empirical|research|scientific) )?evidence$|^(key )?(studies|research)"
            r"( findings)?$",
        ),
        (SectionKind.IMPLICATIONS, r"^((practical|clinical) )?implications( .*)?$|^applications$"),
        (SectionKind.RELATED, r"^related( concepts| topics| notes| terms)?$"),
        (SectionKind.SEE_ALSO, r"^see also$"),
        (SectionKind.CLOSING, r"^(conclusion|conclusions|summary|in summary|closing thoughts)$"),
    )
)


def normalise_heading(text: str) -> str:
    """Lower-case, accent- and punctuation-insensitive form of a heading or label."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = re.sub(r"^\s*(\d+[.)]\s*)", "", text)
    text = re.sub(r"[^\w\s]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def classify(heading: str) -> SectionKind | None:
    """The kind of a section heading or a structural label; ``None`` when unknown.

    >>> classify("Key Aspects"), classify("Types of Emotional Intimacy:")
    (<SectionKind.KEY_ASPECTS: 'key-aspects'>, <SectionKind.TYPES: 'types'>)
    >>> classify("Experimental Evidence"), classify("Related Concepts"), classify("History")
    (<SectionKind.EVIDENCE: 'evidence'>, <SectionKind.RELATED: 'related'>, None)
    """
    name = normalise_heading(heading)
    for kind, pattern in _RULES:
        if pattern.match(name):
            return kind
    return None
