"""Repairing visitors' typing before retrieval: "wat r the side efects" → "what are the side effects".

Visitors type on phones. A misspelt word matches nothing in BM25, pulls the dense vector away
from the passage that answers it, and looks to the scope guard like an unknown, specific topic
word ("efects" is as rare in English as a drug name). So before retrieval:

- a few chat spellings of function words are written out ("u" → "you", "b4" → "before");
- a word that is practically never written in English (zipf below `MISSPELT_ZIPF`) and that the
  corpus does not use is replaced by the one known word a single edit away (a letter dropped,
  added, changed, or two neighbours swapped). Known words are the corpus's own words first,
  then common English words. With no candidate, or two equally good ones, the word is kept:
  a drug name the corpus never mentions ("spravato") stays as typed, and still falls back.

Only retrieval and the scope guard see the repaired text; the safety gate reads the question
as typed (its rules carry their own misspellings), and nothing here is logged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from faqbot.lexical import zipf

MISSPELT_ZIPF = 1.8  # rarer than this in English (and unknown to the corpus): likely a typo
KNOWN_ZIPF = 3.0  # an English word at least this common can be what the visitor meant
ENGLISH_WORDS = 50_000  # how many of the most common English words count as known
MIN_LENGTH = 4  # shorter words have too many neighbours one edit away to guess from
LETTERS = "abcdefghijklmnopqrstuvwxyz"

# Chat spellings of function words; never topic words, so they never change what is asked.
CHAT_SPELLINGS = {
    "u": "you",
    "ur": "your",
    "r": "are",
    "wat": "what",
    "wht": "what",
    "b4": "before",
    "pls": "please",
    "plz": "please",
    "abt": "about",
    "bc": "because",
    "cuz": "because",
    "coz": "because",
    "thru": "through",
    "w/o": "without",
}

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:/[A-Za-z0-9]+)?")


def one_edit_variants(word: str) -> set[str]:
    """Every string one deletion, transposition, substitution or insertion away."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    changes = {a + c + b[1:] for a, b in splits if b for c in LETTERS}
    inserts = {a + c + b for a, b in splits for c in LETTERS}
    return (deletes | swaps | changes | inserts) - {word}


@lru_cache(maxsize=1)
def common_english() -> frozenset[str]:
    """The most common English words (wordfreq's list, shipped with the package)."""
    from wordfreq import top_n_list

    return frozenset(w for w in top_n_list("en", ENGLISH_WORDS) if w.isalpha())


class SpellingRepair:
    """Knows the corpus's words; rewrites a question's misspelt words into known ones."""

    def __init__(self, corpus_words: Iterable[str]) -> None:
        self.corpus = frozenset(corpus_words)

    def replacement(self, word: str) -> str | None:
        """The word the visitor most likely meant, or None to keep the word as typed."""
        lower = word.lower()
        if lower in CHAT_SPELLINGS:
            return CHAT_SPELLINGS[lower]
        if (
            len(lower) < MIN_LENGTH
            or not lower.isalpha()
            or lower in self.corpus
            or zipf(lower) >= MISSPELT_ZIPF
        ):
            return None
        variants = one_edit_variants(lower)
        in_corpus = variants & self.corpus
        if in_corpus:
            return _unique_best(in_corpus)
        english = {v for v in variants & common_english() if zipf(v) >= KNOWN_ZIPF}
        return _unique_best(english) if english else None

    def repair(self, question: str) -> str:
        """The question with each misspelt word replaced; everything else kept as it was."""

        def swap(match: re.Match[str]) -> str:
            found = self.replacement(match.group(0))
            return match.group(0) if found is None else found

        return _TOKEN.sub(swap, question)


def _unique_best(candidates: set[str]) -> str | None:
    """The most common candidate, unless another is as common (then nobody can tell)."""
    ranked = sorted(candidates, key=lambda w: (-zipf(w), w))
    if len(ranked) > 1 and zipf(ranked[0]) == zipf(ranked[1]):
        return None
    return ranked[0]
