"""The meaning layer of the safety gate, as a pure function of vectors and cuts."""

from __future__ import annotations

import numpy as np
import pytest

from faqbot.answering.crisis import CrisisClassifier, CrisisModel, recognise_crisis


def _unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


EXAMPLES = np.stack([_unit(1, 0, 0), _unit(0, 1, 0)])
MODEL = CrisisModel(
    EXAMPLES,
    ("suicidal-thoughts", "unresponsive"),
    example_cut=0.9,
    classifier=CrisisClassifier(np.array([0, 0, 5], dtype=np.float32), bias=-3.0, cut=0.0),
)


def test_a_message_close_to_an_example_is_a_crisis_under_that_examples_rule() -> None:
    match = recognise_crisis(_unit(0.1, 1, 0), MODEL)
    assert match is not None
    assert (match.rule_id, match.signal) == ("unresponsive", "example")
    assert match.similarity == pytest.approx(float(_unit(0.1, 1, 0)[1]))


def test_the_classifier_catches_what_no_example_is_close_to_and_names_the_nearest_rule() -> None:
    match = recognise_crisis(_unit(0.5, 0.1, 1), MODEL)  # score 5·0.89 − 3 > 0
    assert match is not None
    assert (match.rule_id, match.signal) == ("suicidal-thoughts", "classifier")


@pytest.mark.parametrize(
    "vector", [_unit(0.5, 0.5, 0.1), _unit(-1, -1, 0)], ids=["between examples", "far away"]
)
def test_a_message_below_both_cuts_is_not_a_crisis(vector: np.ndarray) -> None:
    assert recognise_crisis(vector, MODEL) is None


def test_without_a_classifier_only_examples_decide() -> None:
    examples_only = CrisisModel(EXAMPLES, MODEL.example_rules, 0.9, classifier=None)
    assert recognise_crisis(_unit(0.5, 0.1, 1), examples_only) is None
    assert recognise_crisis(_unit(1, 0.05, 0), examples_only) is not None


def test_a_model_without_examples_never_fires() -> None:
    empty = CrisisModel(np.zeros((0, 3), dtype=np.float32), (), 0.0, MODEL.classifier)
    assert recognise_crisis(_unit(0, 0, 1), empty) is None
