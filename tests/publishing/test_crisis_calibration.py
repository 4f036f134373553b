"""Calibrating the meaning layer: cuts set by a false-alarm budget and a recall target."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from faqbot.errors import CalibrationError
from faqbot.publishing.crisis_calibration import (
    cut_for_false_alarms,
    cut_for_recall,
    fit_classifier,
    load_crisis_messages,
)

from ..conftest import REPO

MESSAGES = REPO / "tests" / "data" / "crisis_messages.jsonl"


def test_the_false_alarm_cut_lets_through_at_most_the_budget() -> None:
    scores = np.arange(1000, dtype=np.float32)
    for budget in (0.0, 0.001, 0.01, 0.5):
        cut = cut_for_false_alarms(scores, budget)
        assert (scores >= cut).mean() <= budget
        assert (scores >= cut).sum() == int(budget * len(scores))


def test_the_recall_cut_is_the_highest_that_keeps_the_needed_messages() -> None:
    scores = np.array([0.9, 0.1, 0.5, 0.7], dtype=np.float32)
    assert cut_for_recall(scores, 2) == pytest.approx(0.7)
    assert (scores >= cut_for_recall(scores, 3)).sum() == 3
    assert cut_for_recall(scores, 0) == float("inf")
    assert cut_for_recall(scores, 9) == pytest.approx(0.1)


def test_each_source_of_ordinary_text_weighs_the_same_whatever_its_size() -> None:
    rng = np.random.default_rng(0)
    crisis = rng.normal([2, 0], 0.3, (20, 2)).astype(np.float32)
    few = rng.normal([0, 2], 0.3, (10, 2)).astype(np.float32)  # a small in-domain source
    many = rng.normal([-2, 0], 0.3, (5000, 2)).astype(np.float32)  # a large public one
    weights, bias = fit_classifier(crisis, few, many)
    assert (crisis @ weights + bias > 0).all()
    assert (few @ weights + bias < 0).mean() > 0.9  # not drowned by the large source


def test_the_crisis_set_was_split_before_use_and_both_halves_hold_both_labels() -> None:
    messages = load_crisis_messages(MESSAGES)
    counts = Counter((m.split, m.emergency) for m in messages)
    assert set(counts) == {(s, e) for s in ("tune", "holdout") for e in (True, False)}
    assert all(count >= 30 for count in counts.values())


def test_a_bad_crisis_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    good = {"id": "a", "message": "m", "expect": "emergency", "kind": "k", "split": "tune"}
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "split": "x"}) + "\n")
    with pytest.raises(CalibrationError, match=rf"{path}:2"):
        load_crisis_messages(path)
