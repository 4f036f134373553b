"""crisis.json: written and read back by one module; a broken file is a clear error."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from faqbot.corpus.crisis_file import (
    CrisisCalibration,
    examples_digest,
    read_crisis_calibration,
    write_crisis_calibration,
)
from faqbot.errors import CalibrationError

CALIBRATION = CrisisCalibration(
    model="m",
    dimension=3,
    examples_sha256=examples_digest(["a", "b"]),
    example_cut=0.612345678901,
    weights=(0.1, -0.2, 0.3),
    bias=-1.5,
    classifier_cut=0.25,
    figures={"tune_recall": 0.9},
)


def test_a_written_calibration_reads_back_with_its_cuts_exact(tmp_path: Path) -> None:
    path = write_crisis_calibration(tmp_path / "crisis.json", CALIBRATION, "test")
    assert read_crisis_calibration(path) == CALIBRATION


def test_no_file_means_no_calibration(tmp_path: Path) -> None:
    assert read_crisis_calibration(tmp_path / "crisis.json") is None


def test_a_calibration_without_a_classifier_has_an_unreachable_classifier_cut(
    tmp_path: Path,
) -> None:
    bare = CrisisCalibration("m", 3, "x", 0.7)
    read = read_crisis_calibration(write_crisis_calibration(tmp_path / "c.json", bare, "t"))
    assert read is not None and read.weights == () and math.isinf(read.classifier_cut)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is unreadable"),
        (json.dumps({"model": "m"}), "is unreadable"),
        (
            json.dumps(
                {
                    "model": "m",
                    "dimension": 4,
                    "examples_sha256": "x",
                    "example_cut": 0.5,
                    "classifier": {"weights": [1, 2], "bias": 0, "cut": 0},
                }
            ),
            "2 weights for vectors of 4 dimensions",
        ),
    ],
    ids=["not json", "missing keys", "wrong number of weights"],
)
def test_a_broken_file_names_itself_and_the_command_that_rewrites_it(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "crisis.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CalibrationError, match=message) as caught:
        read_crisis_calibration(path)
    assert str(path) in str(caught.value)


def test_the_examples_digest_changes_when_an_example_does() -> None:
    assert examples_digest(["a", "b"]) != examples_digest(["a", "c"])
    assert examples_digest(["a", "b"]) != examples_digest(["b", "a"])
