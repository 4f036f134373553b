"""`answerability.json`: the calibrated answerability model (answering/answerability.py).

Written by `faqbot calibrate --answerability` beside the articles, copied into every index
version like the other editors' files, and read back here, the one place that knows its shape.
JSON, never pickle: a logistic regression is a mean, a scale and a weight per feature, a bias,
and the cut chosen for the target precision.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faqbot.errors import CalibrationError
from faqbot.files import write_atomically

ANSWERABILITY_FILE = "answerability.json"


@dataclass(frozen=True)
class AnswerabilityCalibration:
    """What `answerability.json` holds."""

    model: str  # the encoder the features were measured with
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    cut: float  # answered at or above this probability
    figures: dict[str, Any] = field(default_factory=dict)  # what calibration measured


def read_answerability(path: Path) -> AnswerabilityCalibration | None:
    """The calibration in `path`, None when there is none; a broken file is an error that
    names the command that rewrites it."""
    if not path.is_file():
        return None
    how = "run `faqbot calibrate --answerability`, then `faqbot build`"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        calibration = AnswerabilityCalibration(
            model=str(document["model"]),
            features=tuple(str(f) for f in document["features"]),
            mean=tuple(float(v) for v in document["mean"]),
            scale=tuple(float(v) for v in document["scale"]),
            weights=tuple(float(v) for v in document["weights"]),
            bias=float(document["bias"]),
            cut=float(document["cut"]),
            figures=dict(document.get("figures", {})),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise CalibrationError(f"{path} is unreadable ({error}): {how}") from error
    sizes = {len(calibration.features), len(calibration.mean), len(calibration.scale)}
    if sizes != {len(calibration.weights)}:
        raise CalibrationError(f"{path}: features, mean, scale and weights differ in length: {how}")
    numbers = (*calibration.mean, *calibration.scale, *calibration.weights, calibration.bias)
    if not all(math.isfinite(v) for v in numbers) or not 0.0 <= calibration.cut <= 1.0:
        raise CalibrationError(f"{path}: holds non-finite numbers or a cut outside 0–1: {how}")
    if any(s <= 0 for s in calibration.scale):
        raise CalibrationError(f"{path}: a feature scale is not positive: {how}")
    return calibration


def write_answerability(path: Path, calibration: AnswerabilityCalibration, how: str) -> Path:
    """Write atomically: a build or server reading it mid-write never sees half a file."""
    payload = {
        "model": calibration.model,
        "features": list(calibration.features),
        "mean": [round(v, 7) for v in calibration.mean],
        "scale": [round(v, 7) for v in calibration.scale],
        "weights": [round(v, 7) for v in calibration.weights],
        "bias": round(calibration.bias, 7),
        "cut": calibration.cut,
        "figures": calibration.figures,
        "how": how,
    }
    write_atomically(path, json.dumps(payload, indent=2) + "\n")
    return path
