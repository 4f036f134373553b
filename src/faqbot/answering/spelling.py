"""Repairing visitors' typing before retrieval: "wat r the side efects" → "what are the side effects".

Visitors type on phones. A misspelt word matches nothing in BM25, pulls the dense vector away
from the passage that answers it, and looks to the scope guard like an unknown, specific topic
word ("efects" is as rare in English as a drug name). So before retrieval:

- a few chat spellings of function words are written out ("u" → "you", "b4" → "before");
- a real word the corpus does not use, which is one edit from a corpus word that its neighbour
  stands beside in the corpus, is that word: "side affects" → "side effects", "mental heath"
  → "mental health";
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
from itertools import pairwise

from faqbot.models import Passage
from faqbot.text.edits import one_edit_variants
from faqbot.text.words import passage_words, zipf

MISSPELT_ZIPF = 1.8  # rarer than this in English (and unknown to the corpus): likely a typo
SLIP_ZIPF = 5.0  # an everyday word ("last", "loss") is meant as typed, whatever stands beside it
KNOWN_ZIPF = 3.0  # an English word at least this common can be what the visitor meant
ENGLISH_WORDS = 50_000  # how many of the most common English words count as known
MIN_LENGTH = 4  # shorter words have too many neighbours one edit away to guess from

# Chat spellings of function words; never topic words, so they never change what is asked.
CHAT_SPELLINGS = {
    "u": "you",
    "ppl": "people",
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


@lru_cache(maxsize=1)
def common_english() -> frozenset[str]:
    """The most common English words (wordfreq's list, shipped with the package)."""
    from wordfreq import top_n_list

    return frozenset(w for w in top_n_list("en", ENGLISH_WORDS) if w.isalpha())


class SpellingRepair:
    """Knows the corpus's words; rewrites a question's misspelt words into known ones."""

    def __init__(
        self, corpus_words: Iterable[str], corpus_pairs: Iterable[tuple[str, str]] = ()
    ) -> None:
        self.corpus = frozenset(corpus_words)
        self.pairs = frozenset(corpus_pairs)

    @classmethod
    def from_passages(cls, passages: Iterable[Passage]) -> SpellingRepair:
        """The words of the passages, their sections and titles, and the word pairs of each."""
        tokens = [passage_words(p) for p in passages]
        return cls((w for t in tokens for w in t), (pair for t in tokens for pair in pairwise(t)))

    def _may_be_typo(self, lower: str, below_zipf: float) -> bool:
        """Long enough to guess from, letters only, not the corpus's, and rarer than given."""
        return (
            len(lower) >= MIN_LENGTH
            and lower.isalpha()
            and lower not in self.corpus
            and zipf(lower) < below_zipf
        )

    def in_context(self, word: str, before: str, after: str) -> str | None:
        """A real word that is a slip for a corpus word its neighbour stands beside in the
        corpus: "side affects" → "side effects", "mental heath" → "mental health"."""
        lower = word.lower()
        if not self._may_be_typo(lower, SLIP_ZIPF):
            return None
        fits = {
            v
            for v in one_edit_variants(lower) & self.corpus
            if (before, v) in self.pairs or (v, after) in self.pairs
        }
        return _unique_best(fits) if fits else None

    def replacement(self, word: str) -> str | None:
        """The word the visitor most likely meant, or None to keep the word as typed."""
        lower = word.lower()
        if lower in CHAT_SPELLINGS:
            return CHAT_SPELLINGS[lower]
        if not self._may_be_typo(lower, MISSPELT_ZIPF):
            return None
        variants = one_edit_variants(lower)
        in_corpus = variants & self.corpus
        if in_corpus:
            return _unique_best(in_corpus)
        english = {v for v in variants & common_english() if zipf(v) >= KNOWN_ZIPF}
        return _unique_best(english) if english else None

    def repair(self, question: str) -> str:
        """The question with each misspelt word replaced; everything else kept as it was."""
        tokens = list(_TOKEN.finditer(question))
        lowered = [t.group(0).lower() for t in tokens]
        parts, end = [], 0
        for i, token in enumerate(tokens):
            before = lowered[i - 1] if i else ""
            after = lowered[i + 1] if i + 1 < len(lowered) else ""
            word = token.group(0)
            found = self.replacement(word) or self.in_context(word, before, after)
            parts += [question[end : token.start()], word if found is None else found]
            end = token.end()
        return "".join([*parts, question[end:]])


def _unique_best(candidates: set[str]) -> str | None:
    """The most common candidate, unless another is as common (then nobody can tell)."""
    ranked = sorted(candidates, key=lambda w: (-zipf(w), w))
    if len(ranked) > 1 and zipf(ranked[0]) == zipf(ranked[1]):
        return None
    return ranked[0]
