"""Hybrid retrieval: dense cosine (sentence-transformers + FAISS) fused with BM25 (bm25s).

Fusion methods, chosen by the `FAQBOT_FUSION` setting and compared by `faqbot eval-retrieval`:
    mix    dense cosine + weight × BM25 relative to what the question's words can score at most
    rrf    reciprocal-rank fusion, Σ 1 / (k + rank) over the two rankings
    dense  dense only (the foundation's behaviour)
    bm25   BM25 only (dense breaks ties)
A hit's score is the fusion's own score (for `mix`: cosine plus the weighted lexical part), so
scores fall as ranks do; thresholds are calibrated for one fusion (`faqbot calibrate` again after
changing FAQBOT_FUSION or FAQBOT_LEXICAL_WEIGHT).

Editors' alternate questions (answering/alternates.py) may then raise one section's passages. They are
applied to the cosine-scaled fusions (`mix`, `dense`) only: a rank-based score has no scale a
similarity could be put on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from faqbot.answering.alternates import AlternateMatch, lift_by_alternates
from faqbot.corpus.chunking import heading_text
from faqbot.embedding.encoder import Vectors
from faqbot.index.version import PassageIndex
from faqbot.models import Hit, Passage

Fusion = Literal["mix", "rrf", "dense", "bm25"]
FUSIONS: tuple[Fusion, ...] = ("mix", "rrf", "dense", "bm25")
COSINE_SCALED: tuple[Fusion, ...] = ("mix", "dense")  # scores a similarity can be compared with
Floats = npt.NDArray[np.float32]
Rows = npt.NDArray[np.int64]
CANDIDATE_FACTOR = 4  # rows ranked per wanted hit, leaving room for overlapping lists/items


@dataclass(frozen=True)
class HeadingVectors:
    """One vector per heading path ("title › section"), and each passage's heading row."""

    vectors: Floats
    of_passage: Rows


def heading_paths(passages: Sequence[Passage]) -> tuple[list[str], Rows]:
    """The distinct heading texts of the passages (what the encoder sees for a heading), and
    the row of each passage's heading among them."""
    distinct: dict[str, int] = {}
    of_passage = [distinct.setdefault(heading_text(p), len(distinct)) for p in passages]
    return list(distinct), np.asarray(of_passage, dtype=np.int64)


@dataclass(frozen=True)
class FusionConfig:
    """How the two rankings are combined."""

    method: Fusion = "mix"
    lexical_weight: float = 0.5  # FAQBOT_LEXICAL_WEIGHT's default; serving passes the setting
    rrf_k: int = 60
    alternates: AlternateMatch | None = None  # None: editors' alternate questions are not used
    heading_weight: float = 0.0  # × the question's cosine to a passage's heading path alone


def _ranks(scores: Floats) -> npt.NDArray[np.int64]:
    """Rank of every row (0 = best); ties keep reading order."""
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.int64)
    ranks[order] = np.arange(len(scores))
    return ranks


def fused_scores(dense: Floats, lexical: Floats, config: FusionConfig) -> Floats:
    """One ordering score per passage from the dense cosines and the relative BM25 scores."""
    if config.method == "dense":
        return dense
    if config.method == "bm25":
        return lexical + 1e-6 * dense  # dense only breaks ties (and orders non-matches)
    if config.method == "mix":
        return dense + config.lexical_weight * lexical
    rrf = 1.0 / (config.rrf_k + 1 + _ranks(dense))
    matched = lexical > 0
    rrf[matched] += 1.0 / (config.rrf_k + 1 + _ranks(lexical)[matched])
    return rrf.astype(np.float32)


@dataclass(frozen=True)
class Ranking:
    """Hits best first, scored by the fusion's own score, and the best dense cosine; for each
    hit also its passage row, dense cosine and relative BM25 score (evidence for answerability)."""

    hits: list[Hit]
    best_dense: float
    rows: list[int] = field(default_factory=list)
    dense: list[float] = field(default_factory=list)
    lexical: list[float] = field(default_factory=list)


def lift_lists(lexical: Floats, list_items: dict[int, list[int]]) -> Floats:
    """A whole list matches a question's words at least as well as its best item does.

    BM25 normalises by length, so a list scores below its own items for the words of one of
    them; the dense side then decides between the list and the item.
    """
    if not list_items:
        return lexical
    lifted = lexical.copy()
    for row, items in list_items.items():
        lifted[row] = max(lifted[row], float(lexical[items].max()))
    return lifted


def _overlaps(a: Passage, b: Passage) -> bool:
    """One passage holds the other (a whole list and one of its items)."""
    return a.article_id == b.article_id and (a.text in b.text or b.text in a.text)


def heading_scores(headings: HeadingVectors, vector: Vectors) -> Floats:
    """Each passage's heading cosine with the question (passages of a section share it)."""
    per_heading = headings.vectors @ np.asarray(vector, np.float32).reshape(-1)
    return per_heading[headings.of_passage]


def rank(
    index: PassageIndex,
    vector: Vectors,
    question: str,
    k: int,
    config: FusionConfig,
    headings: HeadingVectors | None = None,
) -> Ranking:
    """The k best passages for one question, best first, each scored by the fused score.

    With heading vectors and a heading weight, the heading path is a field of its own: its
    cosine to the question, weighted, is added to the fused score.

    A passage that overlaps a better one (a list item under its whole list, or the list under
    its best item) is left out, so no answer shows the same sentence twice.
    """
    dense = index.dense_scores(vector)
    lexical = lift_lists(index.lexical.relative_scores(question), index.list_items)
    fused = fused_scores(dense, lexical, config)
    if config.heading_weight and headings is not None:
        fused = fused + np.float32(config.heading_weight) * heading_scores(headings, vector)
    if (
        config.alternates is not None
        and index.alternates is not None
        and config.method in COSINE_SCALED
    ):
        fused = lift_by_alternates(fused, index.alternates, vector, config.alternates)
    hits: list[Hit] = []
    rows: list[int] = []
    want = CANDIDATE_FACTOR * k
    while True:
        hits.clear()
        rows.clear()
        for i in best_first(fused, want):
            passage = index.passages[i]
            if any(_overlaps(passage, h.passage) for h in hits):
                continue
            hits.append(Hit(passage, float(fused[i])))
            rows.append(int(i))
            if len(hits) == k:
                break
        if len(hits) == k or want >= len(fused):
            break
        want = len(fused)  # overlaps ate the candidates: rank everything (rare)
    best = float(dense.max()) if len(dense) else 0.0
    return Ranking(
        hits, best, rows, [float(dense[i]) for i in rows], [float(lexical[i]) for i in rows]
    )


def best_first(scores: Floats, want: int) -> npt.NDArray[np.int64]:
    """The rows of the `want` highest scores, best first (ties keep reading order).

    A partial selection, then a sort of only those: a full sort of every passage's score cost
    more than the rest of a cached question's search on 16k passages.
    """
    if want <= 0:
        return np.zeros(0, dtype=np.int64)
    if want >= len(scores):
        return np.argsort(-scores, kind="stable")
    kth = -np.partition(-scores, want - 1)[want - 1]  # the want-th highest score
    above = np.flatnonzero(scores > kth)
    tied = np.flatnonzero(scores == kth)[: want - len(above)]  # earliest rows first, as a sort
    top = np.concatenate([above, tied])
    return top[np.lexsort((top, -scores[top]))]
