"""Choosing the answer and related-links thresholds from labelled questions, not by guessing.

For every question the safety gate lets through, the best retrieval score is recorded. The
answer threshold is the cut that classifies the most of them correctly (answerable with the
right top passage above it, out-of-scope below it), placed in the middle of the widest best
interval so it generalises. The related threshold is the lower cut that offers useful links to
the most answerable questions below the answer threshold while showing links to the fewest
out-of-scope ones.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from faqbot.answering.answerer import CALIBRATION_FILE, Answerer, Thresholds
from faqbot.corpus.safety_rules import check_safety
from faqbot.errors import CalibrationError
from faqbot.files import write_atomically
from faqbot.publishing.evaluation import EvalQuestion
from faqbot.text.normalize import normalize_question


@dataclass(frozen=True)
class Observation:
    """A gated-through question's best score and whether its candidates hold the answer."""

    id: str
    expect: str
    top_score: float
    top_correct: bool
    any_correct: bool


@dataclass(frozen=True)
class BandFigures:
    """Precision and recall of one band, over the observed questions."""

    precision: float
    recall: float
    shown: int


def observe(answerer: Answerer, questions: Sequence[EvalQuestion]) -> list[Observation]:
    """Retrieval scores for the questions the safety gate and scope guard do not decide."""
    state = answerer.state
    observations = []
    for question in questions:
        text = normalize_question(question.question)
        if question.expect == "emergency" or check_safety(text, state.policy.safety) is not None:
            continue
        found = answerer.search(text, state, answerer.candidates)
        if found.scope is not None and not found.scope.in_scope:
            continue  # the scope guard decides these, whatever the thresholds
        hits = found.hits
        correct = [any(s in h.passage.text for s in question.accept) for h in hits]
        observations.append(
            Observation(
                question.id,
                question.expect,
                hits[0].score if hits else 0.0,
                bool(correct and correct[0]),
                any(correct),
            )
        )
    return observations


def _cuts(scores: Sequence[float]) -> list[float]:
    """Candidate thresholds: midpoints between neighbouring observed scores, plus the ends."""
    ordered = sorted(set(scores))
    if not ordered:
        raise CalibrationError("no questions to calibrate on")
    mids = [(a + b) / 2 for a, b in itertools.pairwise(ordered)]
    return [ordered[0] - 1e-6, *mids, ordered[-1] + 1e-6]


def _answer_correct(obs: Sequence[Observation], cut: float) -> int:
    return sum(
        (o.expect == "answer" and o.top_correct and o.top_score >= cut)
        or (o.expect == "fallback" and o.top_score < cut)
        for o in obs
    )


def _middle_of_best(cuts: Sequence[float], values: Sequence[int]) -> float:
    """The middle of the longest run of neighbouring cuts that share the best value."""
    best = max(values)
    runs: list[tuple[int, int]] = []
    for i, value in enumerate(values):
        if value != best:
            continue
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    first, last = max(runs, key=lambda r: (cuts[r[1]] - cuts[r[0]], -r[0]))
    return (cuts[first] + cuts[last]) / 2


def choose_thresholds(obs: Sequence[Observation]) -> Thresholds:
    """Answer cut by best accuracy; related cut by most useful links minus noise below it."""
    cuts = _cuts([o.top_score for o in obs])
    answer = _middle_of_best(cuts, [_answer_correct(obs, c) for c in cuts])
    lower = [c for c in cuts if c <= answer] or [answer]
    below = [o for o in obs if o.top_score < answer]

    def usefulness(cut: float) -> int:
        useful = sum(o.expect == "answer" and o.any_correct and o.top_score >= cut for o in below)
        noise = sum(o.expect == "fallback" and o.top_score >= cut for o in below)
        return useful - noise

    values = [usefulness(c) for c in lower]
    best = max(values)
    related = max(c for c, v in zip(lower, values, strict=True) if v == best)  # most conservative
    return Thresholds(answer=round(answer, 4), related=round(min(related, answer), 4))


def band_figures(obs: Sequence[Observation], thresholds: Thresholds) -> dict[str, BandFigures]:
    """Precision/recall of the answered band and of the related-links band."""
    answerable = [o for o in obs if o.expect == "answer"]
    answered = [o for o in obs if o.top_score >= thresholds.answer]
    linked = [o for o in obs if thresholds.related <= o.top_score < thresholds.answer]
    answered_right = sum(o.expect == "answer" and o.top_correct for o in answered)
    linked_right = sum(o.expect == "answer" and o.any_correct for o in linked)
    missed = [o for o in answerable if not (o.top_score >= thresholds.answer and o.top_correct)]
    return {
        "answered": BandFigures(
            precision=answered_right / max(len(answered), 1),
            recall=answered_right / max(len(answerable), 1),
            shown=len(answered),
        ),
        "related": BandFigures(
            precision=linked_right / max(len(linked), 1),
            recall=linked_right / max(len(missed), 1),
            shown=len(linked),
        ),
    }


def write_calibration(
    corpus_dir: Path,
    model: str,
    thresholds: Thresholds,
    figures: dict[str, BandFigures],
    questions_file: str,
    observed: int,
) -> Path:
    """Record the chosen values and the figures beside the corpus they were chosen for."""
    path = corpus_dir / CALIBRATION_FILE
    payload = {
        "model": model,
        "thresholds": asdict(thresholds),
        "figures": {band: asdict(f) for band, f in figures.items()},
        "questions": questions_file,
        "questions_observed": observed,
        "calibrated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "how": "faqbot calibrate (see src/faqbot/publishing/calibration.py)",
    }
    # Atomic: a build or a server reading it mid-write must never see half a file.
    write_atomically(path, json.dumps(payload, indent=2) + "\n")
    return path
