"""Whether the top passage answers the question: a calibrated probability, not a score cut.

A single retrieval score mixes "this passage is about the question's subject" with "it says
what was asked". The answerability model reads several kinds of evidence about the top hit —
its dense cosine and BM25 score, its heading's cosine to the question (headings say what a
section answers), how well each content word of the question is covered by the passage and its
heading (exactly, or by the nearest word's vector), the gap to the runner-up, the editors'
alternate questions and the scope guard's gap — and a logistic regression trained by
`faqbot calibrate --answerability` (mostly on data nobody here wrote: MedQuAD as an open set,
CLINC150) turns them into one probability. The cut on it is chosen for a target precision.

Pure: vectors, tables and weights come in as data; nothing here reads files or settings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from faqbot.answering.retrieval import HeadingVectors
from faqbot.models import Passage
from faqbot.text.words import passage_words, stem

Floats = npt.NDArray[np.float32]
Rows = npt.NDArray[np.int64]

FEATURES: tuple[str, ...] = (
    "dense",  # cosine of the question to the top passage (its text with title and section)
    "lexical",  # the top passage's BM25 score relative to what the question's words can score
    "margin",  # top fused score minus the runner-up's
    "heading",  # cosine of the question to the top passage's heading path alone
    "coverage",  # share of the question's content words the passage or its heading contains
    "soft_coverage",  # mean, over those words, of the best cosine to a word of the passage
    "weakest_word",  # the least covered content word's best cosine (1 when contained)
    "alternate",  # best cosine to an editor's alternate question of the top section (0: none)
    "gap",  # the scope guard's largest gap for a central unknown word (0: none)
)


@dataclass(frozen=True)
class WordTable:
    """The corpus's content words with their vectors (the scope guard's), and for each passage
    the rows of its words and the stems of every word it shows (title, section, text)."""

    rows: Mapping[str, int]
    vectors: Floats
    passage_rows: tuple[Rows, ...]
    passage_stems: tuple[frozenset[str], ...]

    @classmethod
    def build(
        cls, words_: Sequence[str], vectors: Floats, passages: Sequence[Passage]
    ) -> WordTable:
        rows = {w: i for i, w in enumerate(words_)}
        passage_rows = []
        passage_stems = []
        for passage in passages:
            shown = passage_words(passage)
            passage_stems.append(frozenset(stem(w) for w in shown))
            found = sorted({rows[w] for w in shown if w in rows})
            passage_rows.append(np.asarray(found, dtype=np.int64))
        return cls(rows, vectors, tuple(passage_rows), tuple(passage_stems))


@dataclass(frozen=True)
class TopHit:
    """What retrieval knows about the best hit: its row, its scores and the runner-up's."""

    row: int
    dense: float
    lexical: float
    fused: float
    runner_up: float  # the second hit's fused score (the top's own when there is none)


def word_coverage(
    question_words: Sequence[str],
    word_vectors: Floats,
    row: int,
    table: WordTable,
) -> tuple[float, float, float]:
    """(exact coverage, mean soft coverage, weakest word) of the question's content words by
    one passage. A word is covered exactly when the passage shows a word with its stem; else by
    its best cosine to the passage's words (each word's vector encoded alone)."""
    if not question_words:
        return 0.0, 0.0, 0.0
    stems = table.passage_stems[row]
    rows = table.passage_rows[row]
    exact = np.array([stem(w) in stems for w in question_words])
    soft = np.ones(len(question_words), dtype=np.float32)
    missing = np.flatnonzero(~exact)
    if len(missing):
        if len(rows):
            cosines = word_vectors[missing] @ table.vectors[rows].T
            soft[missing] = np.clip(cosines.max(axis=1), 0.0, 1.0)
        else:
            soft[missing] = 0.0
    return float(exact.mean()), float(soft.mean()), float(soft.min())


def answer_features(
    question_vector: Floats,
    question_words: Sequence[str],
    word_vectors: Floats,
    top: TopHit,
    table: WordTable,
    headings: HeadingVectors,
    alternate: float,
    gap: float,
) -> dict[str, float]:
    """The features of FEATURES for the top hit of one question."""
    coverage, soft, weakest = word_coverage(question_words, word_vectors, top.row, table)
    heading = headings.vectors[headings.of_passage[top.row]]
    return {
        "dense": top.dense,
        "lexical": top.lexical,
        "margin": top.fused - top.runner_up,
        "heading": float(np.asarray(question_vector).reshape(-1) @ heading),
        "coverage": coverage,
        "soft_coverage": soft,
        "weakest_word": weakest,
        "alternate": alternate,
        "gap": gap,
    }


@dataclass(frozen=True)
class AnswerabilityModel:
    """Standardised features → logistic regression → probability; answered at or above `cut`."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    cut: float

    def probability(self, values: Mapping[str, float]) -> float:
        x = np.array([values[name] for name in self.features], dtype=np.float64)
        z = (x - np.array(self.mean)) / np.array(self.scale)
        logit = float(z @ np.array(self.weights) + self.bias)
        return float(1.0 / (1.0 + np.exp(-logit)))
