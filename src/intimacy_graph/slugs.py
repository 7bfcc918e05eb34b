"""The one slug function (DESIGN.md §4): used for every concept, note and work IRI."""

from __future__ import annotations

import functools
import re
import unicodedata

_WS = re.compile(r"\s+")
_DASHES = re.compile(r"-{2,}")


@functools.lru_cache(maxsize=65_536)  # pure, and called for every link of every note
def slugify(text: str) -> str:
    """Turn a wiki-link target or a label into a slug.

    Drops ``|alias`` and ``#heading``, applies NFKC, trims and collapses whitespace,
    case-folds, turns spaces into ``-``, drops what is not a letter, digit or ``-`` and
    collapses repeated ``-``, exactly as the contract says (no other trimming).

    >>> slugify("Closeness")
    'closeness'
    >>> slugify("Self-Disclosure")
    'self-disclosure'
    >>> slugify("Psychological Well-Being|well-being")
    'psychological-well-being'
    >>> slugify("Attachment Theory#Bowlby")
    'attachment-theory'
    >>> slugify("  Émotion —  Focused  ")
    'émotion-focused'
    """
    target = text.split("|", 1)[0].split("#", 1)[0]
    target = unicodedata.normalize("NFKC", target)
    target = _WS.sub(" ", target.strip()).casefold()
    target = target.replace(" ", "-")
    kept = "".join(ch for ch in target if ch == "-" or _is_letter_or_digit(ch))
    # NFKC again: case-folding can produce sequences that compose differently.
    kept = unicodedata.normalize("NFKC", kept)
    return _DASHES.sub("-", kept)


def _is_letter_or_digit(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] == "L" or category in ("Nd", "Nl", "No") or category[0] == "M"
