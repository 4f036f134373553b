"""The regression gate: a new index version is scored on the dev questions beside the published
one, each exactly as it would be served (`serving.state.load_state`, passed in: its own rules, wording,
thresholds and every served stage), and is not published when it answers fewer of them
correctly or weakens an emergency rule, unless the editor insists (`faqbot build --force`).

A dev question whose expected wording no article has any more is *stale*, not a regression: it
is reported with where it lives and what answers it now, and left out of both scores.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from faqbot.answering.answerer import Answerer, ServingState
from faqbot.corpus.safety_rules import SafetyRules, WeakenedRule, weakened_emergency_rules
from faqbot.embedding.encoder import Embedder, Vectors
from faqbot.models import Passage
from faqbot.publishing.evaluation import EvalQuestion, EvalReport, EvalResult, evaluate, is_stale
from faqbot.text.normalize import normalize_question


class _MemoEmbedder:
    """Encodes each distinct text once for both versions being compared."""

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


# Loads a version (None: the published one) as served, with the given embedder: the serving
# layer's load_state, passed in so this layer need not import it.
StateLoader = Callable[[Embedder, str | None], ServingState]


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
class StaleQuestion:
    """A dev question whose accepted wording the new articles no longer contain."""

    question: EvalQuestion
    now_answered_by: Passage | None  # the new version's top passage for it, if any

    def __str__(self) -> str:
        q = self.question
        wording = " / ".join(repr(s) for s in q.accept)
        now = "nothing (it falls back)"
        if self.now_answered_by is not None:
            text = self.now_answered_by.text
            short = text if len(text) <= 80 else text[:79] + "…"
            now = f"[{self.now_answered_by.section}] {short!r}"
        return (
            f"stale: {q.id} ({q.where}) expects wording no article has any more: {wording}; "
            f"the new version answers it with {now}. Update its 'accept' in the questions "
            "file; it is left out of both scores"
        )


@dataclass(frozen=True)
class RuleLoss:
    """A weakened emergency rule and the dev questions it caught in the published version."""

    rule: WeakenedRule
    caught: tuple[str, ...]

    def __str__(self) -> str:
        caught = ", ".join(self.caught) if self.caught else "none of the dev questions"
        return (
            f"emergency rule {self.rule.rule_id!r} {self.rule.change} in safety.yaml; "
            f"it caught {caught}"
        )


@dataclass(frozen=True)
class GateResult:
    old_accuracy: float
    new_accuracy: float
    questions: int  # scored in both versions (stale ones left out)
    changes: tuple[QuestionChange, ...]
    non_verbatim: int
    stale: tuple[StaleQuestion, ...] = ()
    rule_losses: tuple[RuleLoss, ...] = ()
    old_report: EvalReport | None = None
    new_report: EvalReport | None = None

    @property
    def passed(self) -> bool:
        return (
            self.new_accuracy >= self.old_accuracy
            and self.non_verbatim == 0
            and not self.rule_losses
        )

    def lines(self) -> list[str]:
        head = (
            f"regression gate: accuracy {self.new_accuracy:.3f} on {self.questions} dev "
            f"questions (published version: {self.old_accuracy:.3f})"
        )
        if self.stale:
            head += f"; {len(self.stale)} stale question(s) left out"
        if self.non_verbatim:
            head += f", {self.non_verbatim} non-verbatim passage(s)"
        return [
            head,
            *(f"  {s}" for s in self.stale),
            *(f"  {loss}" for loss in self.rule_losses),
            *(f"  {c}" for c in self.changes),
        ]

    def refusal(self) -> list[str]:
        """Why the version was not published and what an editor can do about it."""
        lines = []
        worse = [c.id for c in self.changes if c.old_correct and not c.new_correct]
        if self.rule_losses:
            rules = ", ".join(repr(loss.rule.rule_id) for loss in self.rule_losses)
            lines.append(
                f"NOT published: the change to safety.yaml weakens emergency rule(s) {rules}, "
                "so messages they caught would no longer get the emergency wording. Put the "
                "rule back as it was; if the change is deliberate and has been reviewed, "
                "publish with `faqbot build --force`."
            )
        if self.new_accuracy < self.old_accuracy:
            lines.append(
                f"NOT published: {len(worse)} dev question(s) ({', '.join(worse)}) that the "
                "published version answers correctly would now get the wrong reply. Change the "
                "article so they are answered again; if the new reply is the right one, update "
                "the question's 'accept' wording in the questions file. To publish this version "
                "anyway: `faqbot build --force`."
            )
        if self.non_verbatim:
            lines.append(
                f"NOT published: {self.non_verbatim} passage(s) would not be word for word the "
                "approved text; this is a faqbot bug, please report it."
            )
        return lines


def _changed(old: EvalResult, new: EvalResult) -> bool:
    return old.status != new.status or old.correct != new.correct


def _rule_losses(
    old_rules: SafetyRules, new_rules: SafetyRules, before: EvalReport
) -> tuple[RuleLoss, ...]:
    """Weakened emergency rules, each with the dev questions it caught before."""
    return tuple(
        RuleLoss(
            rule,
            tuple(r.question.id for r in before.results if r.reason == f"emergency:{rule.rule_id}"),
        )
        for rule in weakened_emergency_rules(old_rules, new_rules)
    )


def regression_gate(
    load: StateLoader,
    new_version: str,
    published_version: str,
    candidates: int,
    embedder: Embedder,
    questions: Sequence[EvalQuestion],
    bodies: Mapping[str, str],
) -> GateResult:
    """Score both versions as served and list the questions that moved and the rules lost.

    `bodies` are the new articles' bodies (article id → text): what a passage must be a verbatim
    slice of, and where a stale question's wording is looked for.
    """
    memo = _MemoEmbedder(embedder, [normalize_question(q.question) for q in questions])
    old_state = load(memo, published_version)
    new_state = load(memo, new_version)
    stale: list[EvalQuestion] = []
    scored: list[EvalQuestion] = []
    for question in questions:
        (stale if is_stale(question, bodies) else scored).append(question)
    old_answerer = Answerer(memo, old_state, candidates)
    new_answerer = Answerer(memo, new_state, candidates)
    before = evaluate(old_answerer.ask, scored, bodies)
    after = evaluate(new_answerer.ask, scored, bodies)
    changes = tuple(
        QuestionChange(o.question.id, o.question.expect, o.status, n.status, o.correct, n.correct)
        for o, n in zip(before.results, after.results, strict=True)
        if _changed(o, n)
    )
    return GateResult(
        old_accuracy=before.accuracy,
        new_accuracy=after.accuracy,
        questions=len(scored),
        changes=changes,
        non_verbatim=after.non_verbatim,
        stale=tuple(StaleQuestion(q, _top(new_answerer, q)) for q in stale),
        rule_losses=_rule_losses(old_state.policy.safety, new_state.policy.safety, before),
        old_report=before,
        new_report=after,
    )


def _top(answerer: Answerer, question: EvalQuestion) -> Passage | None:
    answer = answerer.ask(question.question)
    return answer.hits[0].passage if answer.hits else None
