"""Training and calibrating the meaning layer of the safety gate (`faqbot calibrate-crisis`).

Positives are the editors' example messages (safety.yaml `examples:`) and the labelled
emergencies of the dev and extra questions. Negatives are text nobody here wrote — CLINC150's
everyday requests (train split; Larson et al. 2019, CC BY 3.0) and MedQuAD questions about half
of its source pages (Ben Abacha & Demner-Fushman 2019, CC BY 4.0) — plus the bundled articles
and the ordinary dev and extra questions. A logistic regression over the encoder's unit vectors
learns what separates them.

The cuts are set on data the classifier never saw: the false-alarm budget on CLINC150 val and
the other half of MedQuAD's pages, the recall target on the tune half of the crisis messages.
The holdout half is only ever scored (`faqbot eval-crisis`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from faqbot.answering.crisis import (
    CrisisClassifier,
    CrisisModel,
    Floats,
    message_vectors,
    recognise_crisis,
)
from faqbot.corpus.crisis_file import CrisisCalibration, examples_digest
from faqbot.corpus.safety_rules import SafetyRules, check_safety
from faqbot.embedding.encoder import Embedder
from faqbot.errors import CalibrationError
from faqbot.publishing.retrieval_eval import load_queries
from faqbot.text.normalize import normalize_question

# Near-duplicates only: the cosine to an example that ordinary text reaches this rarely.
EXAMPLE_FALSE_ALARMS = 0.001
REGULARISATION = 1.0  # sklearn's default strength


@dataclass(frozen=True)
class CrisisMessage:
    """One labelled message of the crisis set (`tests/data/crisis_messages.jsonl`)."""

    id: str
    message: str
    emergency: bool
    kind: str
    split: str  # "tune" (cuts may be set on it) or "holdout" (scored, never tuned on)


def load_crisis_messages(path: Path) -> list[CrisisMessage]:
    """Read the labelled crisis set; a bad line is an error naming file:line."""
    messages = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if row["split"] not in ("tune", "holdout"):
                raise ValueError("split must be tune or holdout")
            messages.append(
                CrisisMessage(
                    row["id"],
                    row["message"],
                    row["expect"] == "emergency",
                    row["kind"],
                    row["split"],
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CalibrationError(f"{path}:{number}: not a valid crisis message ({exc})") from exc
    return messages


@dataclass(frozen=True)
class OrdinaryText:
    """Text nobody here wrote, none of it a crisis: what training sees, and what the cuts'
    false-alarm budget is spent on."""

    train: list[str]
    calibrate: list[str]


def _half(key: str) -> int:
    """A fixed split by a hash, so one MedQuAD page never sits on both sides."""
    return hashlib.sha256(key.encode("utf-8")).digest()[0] % 2


def load_ordinary(shared: Path) -> OrdinaryText:
    """CLINC150 train / val and MedQuAD dev questions split by page, from `../shared/data`."""
    clinc_path = shared / "clinc150" / "dev.json"
    medquad_path = shared / "medquad" / "dev_queries.jsonl"
    if not clinc_path.is_file() or not medquad_path.is_file():
        raise CalibrationError(
            f"calibrate-crisis needs {clinc_path} and {medquad_path} (the shared data sets)"
        )
    clinc = json.loads(clinc_path.read_text(encoding="utf-8"))
    pages: tuple[list[str], list[str]] = ([], [])
    for query in load_queries(medquad_path):
        page = query.id.removeprefix("q-").rsplit("-", 1)[0]
        pages[_half(page)].append(query.text)
    return OrdinaryText(
        train=[t for t, _ in clinc["train"] + clinc["oos_train"]] + pages[0],
        calibrate=[t for t, _ in clinc["val"] + clinc["oos_val"]] + pages[1],
    )


def fit_classifier(positives: Floats, *negatives: Floats) -> tuple[Floats, float]:
    """Logistic regression; returns (weights, bias) in logit units.

    The crisis side weighs as much as the ordinary side, and within the ordinary side each
    source (the clinic's own questions and articles; the public sets) weighs the same: thousands
    of everyday requests must not teach it that any talk of medicine is a crisis."""
    groups = [positives, *negatives]
    vectors = np.vstack(groups)
    labels = np.r_[np.ones(len(positives)), np.zeros(len(vectors) - len(positives))]
    shares = [1.0] + [1.0 / len(negatives)] * len(negatives)
    weights = np.concatenate(
        [np.full(len(g), share / len(g)) for g, share in zip(groups, shares, strict=True)]
    )
    model = LogisticRegression(C=REGULARISATION, max_iter=5000)
    model.fit(vectors, labels, sample_weight=weights * len(vectors) / 2)
    return model.coef_[0].astype(np.float32), float(model.intercept_[0])


def cut_for_false_alarms(scores: Floats, budget: float) -> float:
    """The lowest cut at which at most `budget` of ordinary texts score at or above it."""
    ordered = np.sort(scores)[::-1]
    allowed = int(np.floor(budget * len(ordered)))
    if allowed >= len(ordered):
        return float(ordered[-1])
    return float(np.nextafter(ordered[allowed], np.float32(np.inf)))


def cut_for_recall(scores: Floats, needed: int) -> float:
    """The highest cut that still lets the `needed` best-scoring messages through."""
    if needed <= 0:
        return float("inf")
    ordered = np.sort(scores)[::-1]
    return float(ordered[min(needed, len(ordered)) - 1])


@dataclass(frozen=True)
class CrisisTraining:
    """Every text calibration reads, already split by role."""

    examples: list[str]
    example_rules: list[str]
    positives: list[str]  # labelled emergencies besides the examples (dev, extra)
    negatives: list[str]  # ordinary text for training (own questions, articles, `ordinary.train`)
    ordinary: OrdinaryText
    tune: list[CrisisMessage]


def caught_by_rules(messages: Sequence[CrisisMessage], rules: SafetyRules) -> np.ndarray:
    """Which messages the editors' patterns already make an emergency."""
    flags = []
    for message in messages:
        verdict = check_safety(normalize_question(message.message), rules)
        flags.append(verdict is not None and verdict.category == "emergency")
    return np.array(flags, dtype=bool)


def calibrate_crisis(
    embedder: Embedder,
    rules: SafetyRules,
    training: CrisisTraining,
    false_alarms: float,
    recall: float,
) -> CrisisCalibration:
    """Train the classifier, then set both cuts on data it did not see (module docstring)."""
    if not training.examples:
        raise CalibrationError("no emergency rule has examples: nothing to calibrate")
    examples = message_vectors(embedder, training.examples)
    own = message_vectors(embedder, training.negatives)
    coef, bias = fit_classifier(
        message_vectors(embedder, [*training.examples, *training.positives]),
        own,
        message_vectors(embedder, training.ordinary.train),
    )
    ordinary = message_vectors(embedder, training.ordinary.calibrate)
    # An example vouches alone only for near-duplicates: closer than public text comes but
    # rarely, and closer than any of the clinic's own ordinary questions and articles comes.
    example_cut = max(
        cut_for_false_alarms((ordinary @ examples.T).max(axis=1), EXAMPLE_FALSE_ALARMS),
        cut_for_false_alarms((own @ examples.T).max(axis=1), 0.0),
    )
    crisis = [m for m in training.tune if m.emergency]
    if not crisis:
        raise CalibrationError("the crisis messages have no tune emergencies to calibrate on")
    vectors = message_vectors(embedder, [m.message for m in crisis])
    caught = caught_by_rules(crisis, rules) | ((vectors @ examples.T).max(axis=1) >= example_cut)
    needed = int(np.ceil(recall * len(crisis))) - int(caught.sum())
    scores = vectors[~caught] @ coef + bias
    cut = max(
        cut_for_recall(scores, needed) if len(scores) else float("inf"),
        cut_for_false_alarms(ordinary @ coef + bias, false_alarms),
    )
    model = CrisisModel(
        examples, tuple(training.example_rules), example_cut, CrisisClassifier(coef, bias, cut)
    )
    figures = {
        "tune_emergencies": len(crisis),
        "tune_recall": _recall(model, rules, crisis, vectors),
        "ordinary_calibration_texts": len(training.ordinary.calibrate),
        "ordinary_false_alarms": _false_alarm_rate(model, ordinary),
        "trained_on": {
            "positives": len(training.examples) + len(training.positives),
            "negatives": len(training.negatives) + len(training.ordinary.train),
        },
        "false_alarm_budget": false_alarms,
        "recall_target": recall,
    }
    return CrisisCalibration(
        model=embedder.model_name,
        dimension=embedder.dimension,
        examples_sha256=examples_digest(training.examples),
        example_cut=example_cut,
        weights=tuple(float(w) for w in coef),
        bias=bias,
        classifier_cut=cut,
        figures=figures,
    )


def _recall(
    model: CrisisModel, rules: SafetyRules, crisis: Sequence[CrisisMessage], vectors: Floats
) -> float:
    by_rules = caught_by_rules(crisis, rules)
    found = [by_rules[i] or recognise_crisis(v, model) is not None for i, v in enumerate(vectors)]
    return round(float(np.mean(found)), 4)


def _false_alarm_rate(model: CrisisModel, vectors: Floats) -> float:
    alarms = sum(recognise_crisis(v, model) is not None for v in vectors)
    return round(alarms / max(len(vectors), 1), 5)
