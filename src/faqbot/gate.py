"""The regression gate: a new index version is scored on the dev questions beside the published
one (same thresholds, safety rules and responses) and is not published when it answers fewer
of them correctly, unless the editor insists (`faqbot build --force`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from faqbot.answer import (
    SAFETY_FILE,
    Answerer,
    Policy,
    ServingState,
    fusion_config,
    read_thresholds,
)
from faqbot.corpus import load_articles, load_responses
from faqbot.embedding import Embedder, Vectors
from faqbot.evaluation import EvalQuestion, EvalReport, EvalResult, evaluate
from faqbot.index import PassageIndex
from faqbot.normalize import normalize_question
from faqbot.retrieval import FusionConfig
from faqbot.safety import load_safety_rules
from faqbot.settings import Settings


class _MemoEmbedder:
    """Encodes each distinct question once (in one batch) for both versions being compared."""

    def __init__(self, inner: Embedder, warm: Sequence[str]) -> None:
        self._inner = inner
        self.model_name = inner.model_name
        self.dimension = inner.dimension
        texts = sorted(set(warm))
        self._memo = dict(zip(texts, inner.encode(texts), strict=True)) if texts else {}

    def encode(self, texts: Sequence[str]) -> Vectors:
        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if missing:
            self._memo.update(zip(missing, self._inner.encode(missing), strict=True))
        return np.stack([self._memo[t] for t in texts]).astype(np.float32)


@dataclass(frozen=True)
class QuestionChange:
    """A dev question whose outcome differs between the published and the new version."""

    id: str
    expect: str
    old_status: str
    new_status: str
    old_correct: bool
    new_correct: bool

    def __str__(self) -> str:
        def verdict(correct: bool, status: str) -> str:
            return f"{'right' if correct else 'wrong'} ({status})"

        return (
            f"{self.id} expect={self.expect}: was {verdict(self.old_correct, self.old_status)}, "
            f"now {verdict(self.new_correct, self.new_status)}"
        )


@dataclass(frozen=True)
class GateResult:
    old_accuracy: float
    new_accuracy: float
    questions: int
    changes: tuple[QuestionChange, ...]
    non_verbatim: int

    @property
    def passed(self) -> bool:
        return self.new_accuracy >= self.old_accuracy and self.non_verbatim == 0

    def lines(self) -> list[str]:
        head = (
            f"regression gate: accuracy {self.new_accuracy:.3f} on {self.questions} dev "
            f"questions (published version: {self.old_accuracy:.3f})"
        )
        if self.non_verbatim:
            head += f", {self.non_verbatim} non-verbatim passage(s)"
        return [head, *(f"  {c}" for c in self.changes)]


def _score(
    index: PassageIndex,
    policy: Policy,
    fusion: FusionConfig,
    corpus_dir: Path,
    embedder: Embedder,
    candidates: int,
    questions: Sequence[EvalQuestion],
    bodies: dict[str, str],
) -> EvalReport:
    state = ServingState(
        index=index, responses=load_responses(corpus_dir), policy=policy, fusion=fusion
    )
    return evaluate(Answerer(embedder, state, candidates).ask, questions, bodies)


def _top_changed(old: EvalResult, new: EvalResult) -> bool:
    return old.status != new.status or old.correct != new.correct


def regression_gate(
    new: PassageIndex,
    published: PassageIndex,
    corpus_dir: Path,
    settings: Settings,
    embedder: Embedder,
    questions: Sequence[EvalQuestion],
) -> GateResult:
    """Score both versions with the corpus's current policy and list the questions that moved."""
    policy = Policy(
        thresholds=read_thresholds(settings, corpus_dir),
        safety=load_safety_rules(corpus_dir / SAFETY_FILE),
        max_passages=settings.max_passages,
        margin=settings.answer_margin,
    )
    bodies = {a.id: a.body for a in load_articles(corpus_dir)}
    memo = _MemoEmbedder(embedder, [normalize_question(q.question) for q in questions])
    # Scored as served: the production fusion, alternate questions included.
    args = (
        policy,
        fusion_config(settings),
        corpus_dir,
        memo,
        settings.candidates,
        questions,
        bodies,
    )
    before = _score(published, *args)
    after = _score(new, *args)
    changes = tuple(
        QuestionChange(o.question.id, o.question.expect, o.status, n.status, o.correct, n.correct)
        for o, n in zip(before.results, after.results, strict=True)
        if _top_changed(o, n)
    )
    return GateResult(
        old_accuracy=before.accuracy,
        new_accuracy=after.accuracy,
        questions=len(questions),
        changes=changes,
        non_verbatim=after.non_verbatim,
    )
