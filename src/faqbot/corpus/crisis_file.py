"""`crisis.json`: the calibrated cuts and classifier of the meaning layer of the safety gate.

Written by `faqbot calibrate-crisis` beside the articles, copied into every index version like
the other editors' files, and read back here, the one place that knows its shape. JSON, never
pickle: the classifier is a weight per vector dimension and a bias.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faqbot.errors import CalibrationError
from faqbot.files import write_atomically

CRISIS_FILE = "crisis.json"


@dataclass(frozen=True)
class CrisisCalibration:
    """What `crisis.json` holds; `weights` empty when no classifier was trained."""

    model: str
    dimension: int
    examples_sha256: str  # the examples the classifier was trained with (stale when changed)
    example_cut: float
    weights: tuple[float, ...] = ()
    bias: float = 0.0
    classifier_cut: float = math.inf
    figures: dict[str, Any] = field(default_factory=dict)  # what calibration measured


def examples_digest(examples: Sequence[str]) -> str:
    """One hash of the editors' example messages, in order, to tell a stale calibration."""
    return hashlib.sha256("\n".join(examples).encode("utf-8")).hexdigest()


def read_crisis_calibration(path: Path) -> CrisisCalibration | None:
    """The calibration in `path`, None when there is none; a broken file is an error that
    names the command that rewrites it (never a silently weaker gate)."""
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        classifier = document.get("classifier") or {}
        calibration = CrisisCalibration(
            model=str(document["model"]),
            dimension=int(document["dimension"]),
            examples_sha256=str(document["examples_sha256"]),
            example_cut=float(document["example_cut"]),
            weights=tuple(float(w) for w in classifier.get("weights", ())),
            bias=float(classifier.get("bias", 0.0)),
            classifier_cut=float(classifier.get("cut", math.inf)),
            figures=dict(document.get("figures", {})),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise CalibrationError(
            f"{path} is unreadable ({error}): run `faqbot calibrate-crisis`, then `faqbot build`"
        ) from error
    if calibration.weights and len(calibration.weights) != calibration.dimension:
        raise CalibrationError(
            f"{path}: the classifier has {len(calibration.weights)} weights for vectors of "
            f"{calibration.dimension} dimensions: run `faqbot calibrate-crisis`"
        )
    if not all(math.isfinite(v) for v in (*calibration.weights, calibration.bias)):
        raise CalibrationError(f"{path}: the classifier holds non-finite numbers")
    return calibration


def write_crisis_calibration(path: Path, calibration: CrisisCalibration, how: str) -> Path:
    """Write atomically: a build or server reading it mid-write never sees half a file."""
    payload = {
        "model": calibration.model,
        "dimension": calibration.dimension,
        "examples_sha256": calibration.examples_sha256,
        "example_cut": calibration.example_cut,  # exact: a rounded cut could let one text by
        "classifier": {
            "weights": [round(w, 7) for w in calibration.weights],
            "bias": round(calibration.bias, 7),
            "cut": calibration.classifier_cut,
        }
        if calibration.weights
        else None,
        "figures": calibration.figures,
        "how": how,
    }
    write_atomically(path, json.dumps(payload, indent=2) + "\n")
    return path
