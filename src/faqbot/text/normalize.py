"""Question normalisation: one clean form for retrieval, one folded form for safety matching.

Visitors paste text from phones, chat apps and word processors, so the same question can
arrive with zero-width characters, full-width letters or look-alike letters from other
scripts. Both functions here are pure and idempotent.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["fold_for_matching", "normalize_question", "visible_char_pattern"]

# Categories dropped outright: controls (Cc) and invisible formatting characters (Cf), which
# include zero-width space/joiners (U+200B-U+200D), word joiner (U+2060), BOM (U+FEFF) and
# the soft hyphen (U+00AD), and lone surrogates (Cs), which are not text and which the
# tokenizer cannot encode. Whitespace controls are turned into spaces first so that
# "end\tmy life" keeps its word break.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})

# Combining marks (accents, strike-throughs such as U+0336) are removed when folding, so
# "kílḷ" and "k̶i̶l̶l̶" match like "kill".
_COMBINING_CATEGORIES = frozenset({"Mn", "Me"})

# Apostrophe look-alikes are removed (not spaced) so "can't", "can’t" and "cant" fold alike.
# Curly double quotes need no entry: like all punctuation they become a space below.
_APOSTROPHES = "'\u2018\u2019\u201b\u02bc\u02bb\u02b9\u2032\u0060"
_REMOVE_APOSTROPHES = str.maketrans("", "", _APOSTROPHES)

# Lower-case letters from other scripts that look like Latin ones. Applied after case
# folding, so upper-case look-alikes are covered too. Digits are left alone on purpose:
# "45 minutes" must stay "45 minutes".
_HOMOGLYPHS = str.maketrans(
    {
        # Cyrillic
        "а": "a",
        "в": "b",
        "е": "e",
        "ё": "e",
        "һ": "h",
        "н": "h",
        "і": "i",
        "ї": "i",
        "ј": "j",
        "к": "k",
        "ӏ": "l",
        "м": "m",
        "о": "o",
        "р": "p",
        "ԛ": "q",
        "ѕ": "s",
        "т": "t",
        "у": "y",
        "ԝ": "w",
        "х": "x",
        "с": "c",
        "ԁ": "d",
        "ɡ": "g",
        # Greek
        "α": "a",
        "β": "b",
        "ε": "e",
        "η": "n",
        "ι": "i",
        "κ": "k",
        "ν": "v",
        "ο": "o",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "χ": "x",
        "ϲ": "c",
        # Latin letters that read as plain ones
        "ı": "i",
        "ł": "l",
        "ø": "o",
        "đ": "d",
    }
)

# Everything that is not a letter or digit (punctuation, symbols, underscores, spaces)
# becomes a single space, so rules can be written with plain single spaces.
_NON_WORD_RUN = re.compile(r"[\W_]+")


def _drop_invisible(text: str) -> str:
    """Remove control and formatting characters; whitespace controls become spaces."""
    kept: list[str] = []
    for char in text:
        if unicodedata.category(char) in _DROPPED_CATEGORIES:
            if char.isspace():
                kept.append(" ")
            continue
        kept.append(char)
    return "".join(kept)


def normalize_question(text: str) -> str:
    """Return the question in one canonical form, keeping its case and punctuation.

    Invisible characters go first so that NFKC composes across them, and NFKC turns
    full-width and stylised letters ("ｋｉｌｌ", "𝐤𝐢𝐥𝐥") into plain ones.
    """
    visible = _drop_invisible(text)
    composed = unicodedata.normalize("NFKC", visible)
    return " ".join(_drop_invisible(composed).split())


def _strip_combining_marks(text: str) -> str:
    """Drop accents and overlay marks so decorated letters match their plain form."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) not in _COMBINING_CATEGORIES)


def fold_for_matching(text: str) -> str:
    """Return the lower-case, letters-digits-and-single-spaces form that safety rules match.

    Normalises first, so callers may pass raw or already normalised text.
    """
    folded = normalize_question(text)
    folded = folded.translate(_REMOVE_APOSTROPHES)
    folded = _strip_combining_marks(folded.casefold())
    folded = folded.translate(_HOMOGLYPHS)
    return _NON_WORD_RUN.sub(" ", folded).strip()


@lru_cache(maxsize=1)
def visible_char_pattern() -> str:
    """A regex character class matching one character that survives normalisation (not dropped,
    not whitespace), over the Basic Multilingual Plane, written with \\uXXXX escapes so that
    JSON Schema (ECMA-262) and Python read it alike. The API schema declares it for questions.
    """
    ranges: list[tuple[int, int]] = []
    for code in range(0x10000):
        char = chr(code)
        category = unicodedata.category(char)
        if category == "Cs":  # not characters at all; a regex engine in Unicode mode refuses them
            continue
        if category in _DROPPED_CATEGORIES or char.isspace():
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    parts = [f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges]
    return f"[^{''.join(parts)}]"
