"""Training the answerability model: the cut is set out of fold on the served corpus's own
questions for the target precision, every source weighs the same, and the report says what
the cut costs on each source."""

from __future__ import annotations

import numpy as np
import pytest

from faqbot.answering.answerability import FEATURES
from faqbot.errors import CalibrationError
from faqbot.publishing.answerability_calibration import (
    Sample,
    _matrix,
    choose_cut,
    selective_figures,
    train,
)


def _samples(source: str, n: int, seed: int, shift: float = 0.0) -> list[Sample]:
    """Answering questions have higher dense cosine and coverage, with overlap (noise)."""
    rng = np.random.default_rng(seed)
    samples = []
    for i in range(n):
        answers = i % 2 == 0
        centre = (0.7 if answers else 0.4) + shift
        features = dict.fromkeys(FEATURES, 0.0)
        features["dense"] = float(rng.normal(centre, 0.1))
        features["soft_coverage"] = float(rng.normal(centre, 0.15))
        samples.append(Sample(source, features, answers, answerable=answers))
    return samples


def test_the_cut_reaches_the_target_precision_on_the_chosen_source() -> None:
    clinic = _samples("clinic", 200, 1)
    samples = clinic + _samples("medquad", 400, 2, shift=-0.1)
    model, report = train(samples, 0.95, "clinic")
    probabilities = np.array([model.probability(s.features) for s in clinic])
    answered = probabilities >= model.cut
    precision = np.mean([s.answers for s, a in zip(clinic, answered, strict=True) if a])
    assert precision >= 0.9  # the in-sample figure of a cut set out of fold
    assert report["at_cut"]["clinic"]["answered_precision"] >= 0.95
    assert set(report["risk_coverage"]["0.5"]) == {"clinic", "medquad"}
    assert report["cut_set_on"] == "clinic"
    assert model.features == FEATURES


def test_a_higher_target_never_lowers_the_cut() -> None:
    # right more often the higher the probability: every 2nd wrong low, every 10th wrong high
    samples = [
        Sample("clinic", dict.fromkeys(FEATURES, 0.0), i % (10 if i > 150 else 2) != 0, True)
        for i in range(300)
    ]
    probabilities = np.linspace(0, 1, len(samples))
    cuts = [choose_cut(samples, probabilities, p) for p in (0.5, 0.7, 0.9)]
    assert cuts == sorted(cuts)


def test_every_source_weighs_the_same_in_the_fit() -> None:
    samples = _samples("small", 10, 4) + _samples("large", 1000, 5)
    _, _, weights = _matrix(samples)
    assert weights[:10].sum() == pytest.approx(weights[10:].sum())


def test_figures_count_false_answers_on_unanswerable_questions_only() -> None:
    samples = [
        Sample("s", dict.fromkeys(FEATURES, 0.0), True, True),
        Sample("s", dict.fromkeys(FEATURES, 0.0), False, True),  # answerable, wrong passage
        Sample("s", dict.fromkeys(FEATURES, 0.0), False, False),
        Sample("s", dict.fromkeys(FEATURES, 0.0), False, False),
    ]
    figures = selective_figures(samples, np.array([0.9, 0.8, 0.7, 0.1]), 0.5)["s"]
    assert figures["answered_precision"] == pytest.approx(1 / 3, abs=1e-4)
    assert figures["coverage"] == 0.5
    assert figures["false_answers_on_unanswerable"] == 0.5


def test_training_needs_both_outcomes_and_the_cut_source() -> None:
    only_right = [s for s in _samples("clinic", 20, 6) if s.answers]
    with pytest.raises(CalibrationError, match="answers and not"):
        train(only_right, 0.95, "clinic")
    with pytest.raises(CalibrationError, match="no elsewhere questions"):
        train(_samples("clinic", 40, 7), 0.95, "elsewhere")
