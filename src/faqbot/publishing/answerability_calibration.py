"""Training the answerability model and choosing its cut (`faqbot calibrate --answerability`).

Each sample is one question's top hit: its features (answering/answerability.py) and whether
that passage answers it. Most samples come from data nobody here wrote: MedQuAD as an open set
(Ben Abacha & Demner-Fushman 2019, CC BY 4.0; the training half of its pages, see open_set.py)
and CLINC150's everyday requests (Larson et al. 2019, CC BY 3.0; train split, all
unanswerable); the rest are the dev and extra questions on the clinic's corpus. Each source
weighs the same in the fit, so neither the 1,000s of MedQuAD questions nor the everyday
requests drown the clinic's own questions.

The cut is set on out-of-fold probabilities (5-fold cross-validation), never on probabilities
of samples the model was fitted on, and on the served corpus's own questions: the lowest cut at
which the precision of its answered questions reaches the target. Precision depends on the
corpus (how often its best passage is the right one at all), so the other sources shape the
model and the clinic's questions place the cut, as they placed the score threshold before.
The risk–coverage table is reported per source.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from faqbot.answering.answerability import FEATURES, AnswerabilityModel
from faqbot.answering.answerer import Answerer
from faqbot.corpus.safety_rules import check_safety
from faqbot.errors import CalibrationError
from faqbot.models import Passage
from faqbot.publishing.evaluation import EvalQuestion
from faqbot.publishing.open_set import OpenQuestion
from faqbot.publishing.retrieval_eval import row_id
from faqbot.text.normalize import normalize_question

FOLDS = 5
CURVE_CUTS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)

# Features without evidence: a model that scores every question alike, so the answerer
# computes features (what observing needs) before any model is trained.
OBSERVING = AnswerabilityModel(
    FEATURES, (0.0,) * len(FEATURES), (1.0,) * len(FEATURES), (0.0,) * len(FEATURES), 0.0, 0.5
)


@dataclass(frozen=True)
class Sample:
    """One question's top hit: where it came from, its features, and whether it answers."""

    source: str
    features: Mapping[str, float]
    answers: bool
    answerable: bool  # some passage of the corpus answers the question


def _observe(answerer: Answerer, text: str) -> tuple[Mapping[str, float], Passage] | None:
    """The features and top hit of a question the safety gate lets through, if any hit."""
    state = answerer.state
    text = normalize_question(text)
    if check_safety(text, state.policy.safety) is not None:
        return None
    found = answerer.search(text, state, answerer.candidates)
    if not found.hits or found.features is None:
        return None
    return found.features, found.hits[0].passage


def observe_questions(
    answerer: Answerer, questions: Sequence[EvalQuestion], source: str
) -> list[Sample]:
    """Labelled questions on the clinic's corpus; emergencies are the gate's, not this model's."""
    samples = []
    for question in questions:
        if question.expect == "emergency":
            continue
        seen = _observe(answerer, question.question)
        if seen is None:
            continue
        features, top = seen
        answers = question.expect == "answer" and any(s in top.text for s in question.accept)
        samples.append(Sample(source, features, answers, question.expect == "answer"))
    return samples


def observe_open_set(
    answerer: Answerer,
    questions: Sequence[OpenQuestion],
    row_of: Mapping[str, str],
    source: str,
) -> list[Sample]:
    """MedQuAD questions on the indexed half of its pages: right when the top is judged."""
    samples = []
    for question in questions:
        seen = _observe(answerer, question.query.text)
        if seen is None:
            continue
        features, top = seen
        answers = row_id(top, row_of) in question.relevant
        samples.append(Sample(source, features, answers, question.answerable))
    return samples


def observe_requests(answerer: Answerer, texts: Sequence[str], source: str) -> list[Sample]:
    """Everyday requests: nothing in a clinic's corpus answers them."""
    samples = []
    for text in texts:
        seen = _observe(answerer, text)
        if seen is not None:
            samples.append(Sample(source, seen[0], False, False))
    return samples


def _matrix(samples: Sequence[Sample]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels and weights (each source the same total weight)."""
    x = np.array([[s.features[f] for f in FEATURES] for s in samples], dtype=np.float64)
    y = np.array([s.answers for s in samples], dtype=bool)
    per_source = Counter(s.source for s in samples)
    w = np.array([len(samples) / (len(per_source) * per_source[s.source]) for s in samples])
    return x, y, w


def _fit(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, Any]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(max_iter=1000)
    model.fit((x - mean) / scale, y, sample_weight=w)
    return mean, scale, model


def out_of_fold(samples: Sequence[Sample]) -> np.ndarray:
    """Each sample's probability from a model fitted without its fold."""
    x, y, w = _matrix(samples)
    strata = np.array([f"{s.source}:{s.answers}" for s in samples])
    probabilities = np.zeros(len(samples))
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=0)
    for train, test in folds.split(x, strata):
        mean, scale, model = _fit(x[train], y[train], w[train])
        probabilities[test] = model.predict_proba((x[test] - mean) / scale)[:, 1]
    return probabilities


def choose_cut(samples: Sequence[Sample], probabilities: np.ndarray, precision: float) -> float:
    """The lowest cut whose answered questions reach `precision` (weighted as in the fit)."""
    _, y, w = _matrix(samples)
    for cut in np.unique(probabilities):
        answered = probabilities >= cut
        if w[answered].sum() == 0:
            break
        if w[answered & y].sum() / w[answered].sum() >= precision:
            return float(cut)
    raise CalibrationError(f"no cut reaches precision {precision} on the training questions")


def selective_figures(
    samples: Sequence[Sample], probabilities: np.ndarray, cut: float
) -> dict[str, dict[str, float]]:
    """Per source: answered precision, coverage of answerable questions, false answers on
    unanswerable ones, at one cut."""
    figures = {}
    for source in dict.fromkeys(s.source for s in samples):
        rows = [i for i, s in enumerate(samples) if s.source == source]
        answered = [i for i in rows if probabilities[i] >= cut]
        right = sum(samples[i].answers for i in answered)
        answerable = [i for i in rows if samples[i].answerable]
        unanswerable = [i for i in rows if not samples[i].answerable]
        figures[source] = {
            "questions": len(rows),
            "answered_precision": round(right / len(answered), 4) if answered else 1.0,
            "coverage": round(right / len(answerable), 4) if answerable else 0.0,
            "false_answers_on_unanswerable": round(
                sum(probabilities[i] >= cut for i in unanswerable) / len(unanswerable), 4
            )
            if unanswerable
            else 0.0,
        }
    return figures


def train(
    samples: Sequence[Sample], precision: float, cut_source: str
) -> tuple[AnswerabilityModel, dict[str, Any]]:
    """The model fitted on every sample, its cut from the out-of-fold probabilities of
    `cut_source`'s samples, and the calibration report (risk–coverage per source)."""
    if len({s.answers for s in samples}) < 2:
        raise CalibrationError("answerability needs questions the top passage answers and not")
    probabilities = out_of_fold(samples)
    own = [i for i, s in enumerate(samples) if s.source == cut_source]
    if not own:
        raise CalibrationError(f"no {cut_source} questions to set the cut on")
    cut = choose_cut([samples[i] for i in own], probabilities[own], precision)
    x, y, w = _matrix(samples)
    mean, scale, fitted = _fit(x, y, w)
    model = AnswerabilityModel(
        FEATURES,
        tuple(float(v) for v in mean),
        tuple(float(v) for v in scale),
        tuple(float(v) for v in fitted.coef_[0]),
        float(fitted.intercept_[0]),
        round(cut, 6),
    )
    report = {
        "target_precision": precision,
        "cut_set_on": cut_source,
        "cut": model.cut,
        "at_cut": selective_figures(samples, probabilities, cut),
        "risk_coverage": {str(c): selective_figures(samples, probabilities, c) for c in CURVE_CUTS},
        "samples": dict(Counter(s.source for s in samples)),
    }
    return model, report
