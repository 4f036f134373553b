"""The scope guard: a question about something the corpus never mentions falls back.

What the corpus covers is learnt from the corpus itself (every word of its titles, headings and
passages), so a new article widens the scope by itself; there is no hand-kept topic list.

For each content word of a question that the corpus does not contain, even as a morphological
variant (same Snowball stem, a one-letter stem difference such as relieve/relief, or a corpus
word that starts a compound such as pain/painkillers), the guard measures a *gap*:

    gap = specificity × (1 − bridge)
    specificity = max(0, GENERIC_ZIPF − zipf frequency of the word in general English)
    bridge      = best cosine between the word and any corpus word (same embedding model)

Everyday words ("soon", "happen", "people") have no specificity; a word that is specific but
close in meaning to corpus words ("traumatic" ~ "PTSD", "surgery" ~ "surgical") has a strong
bridge. Names of other drugs, conditions and services (sertraline, eczema, Medicare, refunds)
are specific and far from every corpus word: a large gap. A question whose largest gap reaches
`limit` is out of scope unless its best passage matches it very strongly (`override`), because
a paraphrase the dense model recognises with high confidence should not be refused for one
unfamiliar word. Neither signal alone separates the cases (word frequency puts
"schizophrenia" next to "traumatic"; embeddings put it next to "psychiatric"); together they do
far better. Both parameters are settings, chosen by measurement (see README).

Only a term the question is about counts: one whose cosine to the whole question reaches
`min_centrality`. A long question's back-story ("my sister's therapist mentioned it") and
slang in a paraphrase ("does it like rewire your brain") are not what it asks about.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from faqbot.embedding.encoder import Embedder, Vectors
from faqbot.models import Passage
from faqbot.text.edits import WORD_CHARACTERS, one_edit_variants
from faqbot.text.words import (
    GENERIC_ZIPF,
    MIN_WORD,
    STOPWORDS,
    content_words,
    corpus_vocabulary,
    stem,
    zipf,
)

COMPOUND_HEAD = 4  # "pain" may start "painkillers" ...
COMPOUND_TAIL = 4  # ... when at least this much word follows it


@dataclass(frozen=True)
class ScopeVerdict:
    """Why a question is (not) in scope. Never holds the question's words (privacy)."""

    in_scope: bool
    gap: float
    unknown_terms: int


def _adjective_bases(word: str) -> list[str]:
    """The noun a -y, -ier or -iest adjective is built on: risky/riskier → risk, bloody → blood.
    (Not -er: "liver" is not a form of "live".)"""
    suffixes = ("iest", "ier", "y")
    bases = [word[: -len(s)] for s in suffixes if word.endswith(s)]
    return [b for b in bases if len(b) >= COMPOUND_HEAD]


class ScopeGuard:
    """Knows the corpus's words and their vectors; judges whether a question stays inside."""

    def __init__(
        self,
        corpus_words: Iterable[str],
        embedder: Embedder,
        limit: float,
        override: float,
        min_centrality: float = 0.0,
    ) -> None:
        self.vocabulary = frozenset(corpus_words)
        self.stems = frozenset(stem(w) for w in self.vocabulary)
        # Look-ups by key, not scans: a 16k-passage corpus has tens of thousands of words.
        self._heads = frozenset(w for w in self.vocabulary if len(w) >= COMPOUND_HEAD)
        self._stems_by_prefix: dict[str, list[str]] = {}
        for t in self.stems:
            if len(t) >= 5:
                self._stems_by_prefix.setdefault(t[:4], []).append(t)
        self.content_words = sorted(
            w for w in self.vocabulary if w not in STOPWORDS and len(w) >= MIN_WORD
        )
        self.word_vectors = embedder.encode(self.content_words) if self.content_words else None
        self.limit = limit
        self.override = override
        self.min_centrality = min_centrality

    @classmethod
    def from_passages(
        cls,
        passages: Sequence[Passage],
        embedder: Embedder,
        limit: float,
        override: float,
        min_centrality: float = 0.0,
        also_known: Iterable[str] = (),
    ) -> ScopeGuard:
        """The corpus's words, plus words editors declare it covers (the glossary's)."""
        vocabulary = corpus_vocabulary(passages) | set(also_known)
        return cls(vocabulary, embedder, limit, override, min_centrality)

    def covers(self, word: str) -> bool:
        """The corpus has this word or a close morphological relative of it."""
        if word in self.vocabulary:
            return True
        s = stem(word)
        if s in self.stems:
            return True
        heads = range(COMPOUND_HEAD, len(word) - COMPOUND_TAIL + 1)  # "pain" + "killers"
        if any(word[:n] in self._heads for n in heads):
            return True
        if any(stem(base) in self.stems for base in _adjective_bases(word)):
            return True
        return len(s) >= 5 and not one_edit_variants(s, WORD_CHARACTERS, swaps=False).isdisjoint(
            self._stems_by_prefix.get(s[:4], ())
        )

    def unknown_terms(self, question: str) -> list[str]:
        """Content words of the question the corpus does not cover (unique, in order).

        Tokens with digits (numbers, codes, reference ids) are not topic words and are skipped.
        """
        return [w for w in content_words(question) if not self.covers(w)]

    def bridges(self, term_vectors: Vectors) -> list[tuple[str, float]]:
        """Each unknown term's closest corpus word and their cosine."""
        if self.word_vectors is None or not len(term_vectors):
            return [("", 0.0)] * len(term_vectors)
        cosines = term_vectors @ self.word_vectors.T
        nearest = cosines.argmax(axis=1)
        return [(self.content_words[j], float(cosines[i, j])) for i, j in enumerate(nearest)]

    def gaps(self, terms: Sequence[str], term_vectors: Vectors) -> list[float]:
        """Each unknown term's gap: specificity × (1 − its best cosine to a corpus word)."""
        return [
            max(0.0, GENERIC_ZIPF - zipf(t)) * (1.0 - float(np.clip(cosine, 0.0, 1.0)))
            for t, (_, cosine) in zip(terms, self.bridges(term_vectors), strict=True)
        ]

    def judge(
        self,
        terms: Sequence[str],
        term_vectors: Vectors,
        best_score: float,
        question_vector: Vectors | None = None,
    ) -> ScopeVerdict:
        """Out of scope when a central term's gap reaches the limit without a very strong match.

        Central: the term's cosine to the whole question reaches `min_centrality`, i.e. the
        question is about it ("does ketamine treat schizophrenia?"), not a word of its
        wording or its back-story ("does it like rewire your brain", "my sister's therapist
        brought up ketamine, how soon…"). Without the question's vector every term counts.
        """
        gaps = self.gaps(terms, term_vectors)
        if question_vector is not None and len(gaps):
            centrality = term_vectors @ question_vector.reshape(-1)
            gaps = [
                g if c >= self.min_centrality else 0.0
                for g, c in zip(gaps, centrality, strict=True)
            ]
        gap = max(gaps, default=0.0)
        in_scope = gap < self.limit or best_score >= self.override
        return ScopeVerdict(in_scope=in_scope, gap=round(gap, 4), unknown_terms=len(terms))
