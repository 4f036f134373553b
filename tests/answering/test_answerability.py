"""The answerability model: coverage is measured word by word, the probability follows its
weights, and its verdict replaces the score threshold and scope veto — never the safety gate."""

from __future__ import annotations

import numpy as np
import pytest

from faqbot.answering.answerability import (
    FEATURES,
    AnswerabilityModel,
    TopHit,
    WordTable,
    answer_features,
    word_coverage,
)
from faqbot.answering.answerer import decide
from faqbot.answering.retrieval import HeadingVectors, heading_paths
from faqbot.models import Passage
from faqbot.text.words import content_words

from .test_answerer import POLICY, STRONG, _hit


def _passage(section: str, text: str) -> Passage:
    return Passage(
        id=f"a:{section}",
        article_id="a",
        article_title="Ketamine",
        section=section,
        anchor=section.lower(),
        url="https://x.example/a",
        text=text,
        version="1",
        approved_on="2026-01-01",
    )


WORDS = ["ketamine", "nausea", "vomiting", "dizziness", "price"]
VECTORS = np.eye(5, dtype=np.float32)
VECTORS[1, 2] = VECTORS[2, 1] = 0.8  # nausea ~ vomiting
VECTORS /= np.linalg.norm(VECTORS, axis=1, keepdims=True)
PASSAGES = [_passage("Side effects", "Vomiting and dizziness are common.")]
TABLE = WordTable.build(WORDS, VECTORS, PASSAGES)


def test_a_word_the_passage_shows_is_covered_exactly() -> None:
    asked = content_words("Is ketamine followed by dizziness?")
    assert asked == ["ketamine", "followed", "dizziness"]
    asked = [w for w in asked if w in WORDS]
    vectors = VECTORS[[WORDS.index(w) for w in asked]]
    assert word_coverage(asked, vectors, 0, TABLE) == (1.0, 1.0, 1.0)


def test_a_close_word_is_covered_softly_and_an_unrelated_one_is_the_weakest() -> None:
    asked = ["nausea", "price"]
    exact, soft, weakest = word_coverage(asked, VECTORS[[1, 4]], 0, TABLE)
    nausea_to_vomiting = float(VECTORS[1] @ VECTORS[2])
    assert exact == 0.0
    assert soft == pytest.approx((nausea_to_vomiting + 0.0) / 2, abs=1e-6)
    assert weakest == pytest.approx(0.0, abs=1e-6)


def test_every_feature_is_computed_for_the_top_hit() -> None:
    paths, of_passage = heading_paths(PASSAGES)
    assert paths == ["Ketamine › Side effects"]
    headings = HeadingVectors(VECTORS[:1], of_passage)
    top = TopHit(row=0, dense=0.7, lexical=0.4, fused=0.9, runner_up=0.6)
    features = answer_features(
        VECTORS[0], ["ketamine"], VECTORS[:1], top, TABLE, headings, 0.0, 0.2
    )
    assert set(features) == set(FEATURES)
    assert features["margin"] == pytest.approx(0.3)
    assert features["heading"] == pytest.approx(1.0)
    assert features["gap"] == 0.2


def test_the_probability_is_the_logistic_of_the_standardised_weighted_sum() -> None:
    model = AnswerabilityModel(("dense", "gap"), (0.5, 0.0), (0.1, 1.0), (2.0, -1.0), 0.5, 0.6)
    logit = (0.7 - 0.5) / 0.1 * 2.0 + (0.3 - 0.0) * -1.0 + 0.5
    assert model.probability({"dense": 0.7, "gap": 0.3}) == pytest.approx(1 / (1 + np.exp(-logit)))


@pytest.mark.parametrize(
    ("question", "answerable", "status"),
    [
        ("How long is each session?", True, "answered"),
        ("How long is each session?", False, "fallback"),
        ("I am going to end my life", True, "emergency"),
        ("How many milligrams are in a typical dose?", True, "fallback"),  # advice stays advice
    ],
)
def test_the_model_decides_between_answer_and_fallback_only(
    question: str, answerable: bool, status: str
) -> None:
    assert decide(question, STRONG, POLICY, answerable=answerable).status == status


def test_the_model_answers_below_the_score_threshold_and_refuses_above_it() -> None:
    weak = [_hit(0.4)]  # below POLICY's answer threshold of 0.5
    assert decide("How long is each session?", weak, POLICY, answerable=True).status == "answered"
    refused = decide("How long is each session?", STRONG, POLICY, answerable=False)
    assert refused.status == "fallback" and refused.reason == "below-threshold"
    assert refused.related  # a near miss is still offered as a link
