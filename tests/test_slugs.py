"""The one slug function (DESIGN.md §4): a table of examples, one row per rule."""

from __future__ import annotations

import unicodedata

import pytest

from intimacy_graph.slugs import slugify

EXAMPLES = [
    # one concept whatever the case
    ("closeness", "closeness"),
    ("Closeness", "closeness"),
    ("CLOSENESS", "closeness"),
    # spaces become dashes, dashes stay
    ("Emotional Intimacy", "emotional-intimacy"),
    ("Self-Disclosure", "self-disclosure"),
    ("Social-Emotional Learning", "social-emotional-learning"),
    ("Emotion-Focused Therapy", "emotion-focused-therapy"),
    # alias and heading are not part of the target
    ("Psychological Well-Being|well-being", "psychological-well-being"),
    ("Attachment Theory#Bowlby", "attachment-theory"),
    ("Attachment Theory#Adult Attachment|attachment", "attachment-theory"),
    # whitespace is trimmed and collapsed (tabs and no-break spaces too)
    ("  Active   Listening  ", "active-listening"),
    ("Active\tListening", "active-listening"),
    ("Active\u00a0Listening", "active-listening"),
    # punctuation is dropped, repeated dashes collapse
    ("Trust!", "trust"),
    ("What is Love?", "what-is-love"),
    ("Self - Disclosure", "self-disclosure"),
    ("Self--Disclosure", "self-disclosure"),
    ("Love — Passion", "love-passion"),
    ("Mother's Care", "mothers-care"),
    ("Love, Actually", "love-actually"),
    ("(Perceived) Responsiveness", "perceived-responsiveness"),
    # NFKC: full-width letters, ligatures, superscripts
    ("Ｓｅｌｆ－Ｄｉｓｃｌｏｓｕｒｅ", "self-disclosure"),
    ("Self-Conﬁdence", "self-confidence"),
    ("Type²", "type2"),
    # letters beyond ASCII are kept, case-folded
    ("Émotion", "émotion"),
    ("Flow (Csíkszentmihályi)", "flow-csíkszentmihályi"),
    ("Straße", "strasse"),
    ("Привязанность", "привязанность"),
    # digits are kept
    ("36 Questions", "36-questions"),
    # invisible characters are dropped: zero-width space/joiners, BOM, bidi controls
    ("Tr\u200bust", "trust"),
    ("Trust\u200d", "trust"),
    ("\ufeffTrust", "trust"),
    ("\u202eTrust\u202c", "trust"),
    ("Trust\u2066", "trust"),
    # nothing left to name a concept by
    ("", ""),
    ("!!!", ""),
    ("|alias only", ""),
    ("#heading only", ""),
]


@pytest.mark.parametrize(("text", "slug"), EXAMPLES)
def test_slug_examples(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_closeness_in_any_case_is_one_concept() -> None:
    assert slugify("closeness") == slugify("Closeness")


@pytest.mark.parametrize("word", ["é", "Émotion", "Csíkszentmihályi", "naïve", "Ångström"])
def test_composed_and_decomposed_twins_have_one_slug(word: str) -> None:
    nfc = unicodedata.normalize("NFC", word)
    nfd = unicodedata.normalize("NFD", word)
    assert nfc != nfd
    assert slugify(nfc) == slugify(nfd)


def test_slug_is_nfc() -> None:
    slug = slugify("E\u0301motion")
    assert slug == unicodedata.normalize("NFC", slug) == "émotion"


@pytest.mark.parametrize(
    "text",
    ["closeness", "Self-Disclosure", "Ｓｅｌｆ－Ｄｉｓｃｌｏｓｕｒｅ", "Tr\u200bust", "Straße"],
)
def test_slug_is_stable(text: str) -> None:
    assert slugify(slugify(text)) == slugify(text)
