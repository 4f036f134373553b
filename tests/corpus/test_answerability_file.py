"""answerability.json round-trips exactly, and a broken or inconsistent file is an error that
names the command that rewrites it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from faqbot.corpus.answerability_file import (
    AnswerabilityCalibration,
    read_answerability,
    write_answerability,
)
from faqbot.errors import CalibrationError

CALIBRATION = AnswerabilityCalibration(
    model="m",
    features=("dense", "gap"),
    mean=(0.5, 0.1),
    scale=(0.2, 0.3),
    weights=(1.5, -2.0),
    bias=-0.25,
    cut=0.61,
    figures={"cut_set_on": "clinic"},
)


def test_what_is_written_is_read_back(tmp_path: Path) -> None:
    path = write_answerability(tmp_path / "answerability.json", CALIBRATION, "test")
    assert read_answerability(path) == CALIBRATION


def test_no_file_is_no_model(tmp_path: Path) -> None:
    assert read_answerability(tmp_path / "answerability.json") is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weights": [1.0]}, "differ in length"),
        ({"cut": 1.5}, "outside 0–1"),
        ({"scale": [0.0, 1.0]}, "scale is not positive"),
        ({"bias": None}, "unreadable"),
    ],
)
def test_a_broken_file_names_the_command_that_rewrites_it(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    path = write_answerability(tmp_path / "answerability.json", CALIBRATION, "test")
    document = json.loads(path.read_text(encoding="utf-8")) | change
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(CalibrationError, match=message) as error:
        read_answerability(path)
    assert "faqbot calibrate --answerability" in str(error.value)
