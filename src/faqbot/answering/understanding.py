"""Question understanding, one stage: what retrieval, the scope guard, the answerability
features and the safety gate's meaning layer read, made once per question.

Spelling repair, the glossary's expansion terms and bridged keywords used to be applied in turn
inside the answerer, the scope guard rewrote the keywords, and each later stage re-derived
words from the rewritten text. Here they produce one typed record: the question as typed, as
repaired, the article words the glossary adds, the unknown words with their vectors, the
content words with theirs, and the keywords BM25 reads. Everything is encoded in one encoder
call. Pure: the spelling tables, glossary and scope guard come in as data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from faqbot.answering.answerability import WordTable
from faqbot.answering.scope import ScopeGuard
from faqbot.answering.spelling import SpellingRepair
from faqbot.corpus.glossary import Glossary
from faqbot.embedding.encoder import Embedder, Vectors
from faqbot.text.words import content_words


@dataclass(frozen=True)
class Understanding:
    """One question as every later stage reads it. Never logged (it holds the question)."""

    typed: str  # as the visitor typed it (normalised)
    repaired: str  # with typing repaired (spelling), what the article words are added to
    expansion: tuple[str, ...]  # article words the glossary adds for the visitor's phrases
    text: str  # what the encoder and the scope guard read: repaired, then the expansion terms
    unknown: tuple[str, ...]  # content words the corpus does not cover
    asked: tuple[str, ...]  # content words of the question, for coverage (when wanted)
    keywords: str  # what BM25 reads: unknown words with a close corpus word replaced by it
    vector: Vectors  # the question's (repaired and expanded) sentence vector, shape (1, d)
    unknown_vectors: Vectors  # one row per unknown word
    word_vectors: Vectors  # one row per asked word
    gate_vector: Vectors | None  # the message as typed, when asked for (safety gate's meaning)


def bridged_keywords(
    text: str, bridges: Sequence[tuple[str, str, float]], min_similarity: float
) -> str:
    """The text with each unknown word that has a close corpus word replaced by it.

    For keyword matching only: BM25 cannot see that "heart" means the article's
    "cardiovascular" or "faster" its "rapid"; the dense side reads the question as typed.
    `bridges` holds (unknown word, nearest corpus word, cosine).
    """
    for term, word, cosine in bridges:
        if word and cosine >= min_similarity:
            text = re.sub(rf"\b{re.escape(term)}\b", word, text, flags=re.IGNORECASE)
    return text


def understand(
    question: str,
    embedder: Embedder,
    *,
    spelling: SpellingRepair | None,
    glossary: Glossary,
    scope: ScopeGuard | None,
    bridge_min_similarity: float | None,
    known_words: WordTable | None = None,
    gate: str | None = None,
) -> Understanding:
    """Repair, expand, find the unknown words, encode everything in one call, bridge.

    With `known_words` (the corpus's words with their vectors), the question's content words
    are collected too and only those outside the table are encoded. The `gate` text (the message
    as typed, for the safety gate's meaning layer) joins the same encoder call, unless repair
    and the glossary left it unchanged and its vector is already there.
    """
    repaired = spelling.repair(question) if spelling is not None else question
    expansion = tuple(glossary.expansion(repaired))
    text = glossary.annotate(repaired, expansion)
    unknown = scope.unknown_terms(text) if scope is not None else []
    asked = content_words(text) if known_words is not None else []
    table = known_words.rows if known_words is not None else {}
    fresh = [w for w in asked if w not in table and w not in unknown]
    extra = [gate] if gate is not None and gate != text else []
    vectors = embedder.encode([text, *unknown, *fresh, *extra])
    n_unknown, n_fresh = len(unknown), len(fresh)
    unknown_vectors = vectors[1 : 1 + n_unknown]
    keywords = text
    if scope is not None and bridge_min_similarity is not None:
        nearest = scope.bridges(unknown_vectors)
        bridges = [(t, w, c) for t, (w, c) in zip(unknown, nearest, strict=True)]
        keywords = bridged_keywords(text, bridges, bridge_min_similarity)
    return Understanding(
        typed=question,
        repaired=repaired,
        expansion=expansion,
        text=text,
        unknown=tuple(unknown),
        asked=tuple(asked),
        keywords=keywords,
        vector=vectors[:1],
        unknown_vectors=unknown_vectors,
        word_vectors=_word_vectors(
            asked,
            dict(zip([*unknown, *fresh], vectors[1 : 1 + n_unknown + n_fresh], strict=True)),
            known_words,
            vectors.shape[1],
        ),
        gate_vector=None if gate is None else (vectors[-1] if extra else vectors[0]),
    )


def _word_vectors(
    asked: Sequence[str],
    encoded: Mapping[str, Vectors],
    known_words: WordTable | None,
    dimension: int,
) -> Vectors:
    """A vector per asked word: encoded now (unknown or not in the table), else the table's."""
    rows = [
        encoded[w]
        if w in encoded or known_words is None
        else known_words.vectors[known_words.rows[w]]
        for w in asked
    ]
    return np.asarray(rows, dtype=np.float32).reshape(len(asked), dimension)
