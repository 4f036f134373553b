"""Fusion: each method orders passages as documented; hit scores stay dense cosines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from faqbot.answering.retrieval import FusionConfig, best_first, fused_scores, lift_lists, rank
from faqbot.index.version import load_published
from faqbot.publishing.build import build_index

from ..conftest import CORPUS, FakeEmbedder

DENSE = np.array([0.9, 0.8, 0.1], dtype=np.float32)
LEXICAL = np.array([0.0, 0.5, 1.0], dtype=np.float32)


def _order(config: FusionConfig) -> list[int]:
    return [int(i) for i in np.argsort(-fused_scores(DENSE, LEXICAL, config), kind="stable")]


def test_dense_and_bm25_alone_follow_their_own_scores() -> None:
    assert _order(FusionConfig("dense")) == [0, 1, 2]
    assert _order(FusionConfig("bm25")) == [2, 1, 0]


def test_mix_adds_weighted_lexical_evidence() -> None:
    assert _order(FusionConfig("mix", lexical_weight=0.3)) == [1, 0, 2]
    assert _order(FusionConfig("mix", lexical_weight=0.0)) == [0, 1, 2]


def test_rrf_rewards_agreement_between_the_rankings() -> None:
    dense = np.array([0.9, 0.8, 0.1, 0.0], dtype=np.float32)
    lexical = np.array([0.0, 0.5, 0.0, 1.0], dtype=np.float32)
    assert int(np.argmax(fused_scores(dense, lexical, FusionConfig("rrf", rrf_k=60)))) == 1


def test_rank_scores_fall_with_rank_and_report_the_best_dense_cosine(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    build_index(CORPUS, tmp_path, embedder)
    index = load_published(tmp_path, embedder.model_name)
    question = "can ketamine cause vomiting"
    vector = embedder.encode([question])
    ranking = rank(index, vector, question, 5, FusionConfig("bm25"))
    assert "Vomiting" in ranking.hits[0].passage.text
    mixed = rank(index, vector, question, 5, FusionConfig("mix", 0.3)).hits
    scores = [h.score for h in mixed]
    assert scores == sorted(scores, reverse=True)
    assert ranking.best_dense == float(index.dense_scores(vector).max())


def test_no_ranking_shows_a_list_and_one_of_its_items_together(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    build_index(CORPUS, tmp_path, embedder)
    index = load_published(tmp_path, embedder.model_name)
    question = "who are ideal candidates for treatment-resistant depression and chronic pain"
    hits = rank(index, embedder.encode([question]), question, 10, FusionConfig("bm25")).hits
    texts = [h.passage.text for h in hits]
    assert len(texts) == 10
    assert any("Treatment-Resistant Depression" in t for t in texts)
    for i, a in enumerate(texts):
        assert not any(a in b or b in a for b in texts[i + 1 :]), a


def test_a_list_matches_words_at_least_as_well_as_its_best_item() -> None:
    lexical = np.array([0.2, 0.9, 0.1, 0.4], dtype=np.float32)  # row 0 is the list of 1 and 2
    lifted = lift_lists(lexical, {0: [1, 2]})
    assert lifted.tolist() == pytest.approx([0.9, 0.9, 0.1, 0.4])
    assert lexical[0] == pytest.approx(0.2)  # the input is left alone


def test_best_first_matches_a_full_stable_sort_including_ties() -> None:
    rng = np.random.default_rng(7)
    scores = rng.integers(0, 50, size=2000).astype(np.float32)  # many ties
    full = np.argsort(-scores, kind="stable")
    for want in (1, 10, 40, 1999, 2000, 5000):
        assert best_first(scores, want).tolist() == full[: min(want, 2000)].tolist()
