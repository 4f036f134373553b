"""Deciding what a question gets: the safety gate, retrieval, then one pure decision.

The decision never writes text: it picks the editors' fallback or emergency wording, or
passages that are verbatim slices of approved articles.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from faqbot.answering.answerability import (
    AnswerabilityModel,
    TopHit,
    WordTable,
    answer_features,
)
from faqbot.answering.crisis import CrisisMatch, CrisisModel, recognise_crisis
from faqbot.answering.retrieval import FusionConfig, HeadingVectors, Ranking, rank
from faqbot.answering.scope import ScopeGuard, ScopeVerdict
from faqbot.answering.spelling import SpellingRepair
from faqbot.answering.understanding import Understanding, understand
from faqbot.corpus.glossary import Glossary
from faqbot.corpus.safety_rules import SafetyRules, check_safety
from faqbot.embedding.encoder import Embedder
from faqbot.index.version import PassageIndex
from faqbot.models import Answer, Hit, Passage, Responses, Status
from faqbot.text.normalize import normalize_question

CALIBRATION_FILE = "calibration.json"


@dataclass(frozen=True)
class Thresholds:
    """Scores that separate the three bands: answered ≥ answer > related-links ≥ related."""

    answer: float
    related: float


@dataclass(frozen=True)
class Policy:
    """Everything the decision needs besides the question and the hits."""

    thresholds: Thresholds
    safety: SafetyRules
    max_passages: int
    margin: float


@dataclass(frozen=True)
class Decision:
    """The outcome for one question; passages only when answered."""

    status: Status
    hits: tuple[Hit, ...]
    related: tuple[Passage, ...]
    reason: str


def _related(hits: Sequence[Hit], policy: Policy) -> tuple[Passage, ...]:
    """Near misses worth offering as links: one per section, best first."""
    sections: dict[str, Passage] = {}
    for hit in hits:
        if hit.score >= policy.thresholds.related and hit.passage.url not in sections:
            sections[hit.passage.url] = hit.passage
    return tuple(sections.values())[: policy.max_passages]


def decide(
    question: str,
    hits: Sequence[Hit],
    policy: Policy,
    scope: ScopeVerdict | None = None,
    crisis: CrisisMatch | None = None,
    answerable: bool | None = None,
) -> Decision:
    """Pure: emergency (by a rule's pattern, or by meaning) beats everything; advice,
    out-of-scope and weak matches fall back. With the answerability model's verdict
    (`answerable`), that verdict replaces the scope guard and the score threshold."""
    verdict = check_safety(question, policy.safety)
    if verdict is not None and verdict.category == "emergency":
        return Decision("emergency", (), (), f"emergency:{verdict.rule_id}")
    if crisis is not None:
        return Decision("emergency", (), (), f"emergency:{crisis.rule_id}")
    if verdict is not None:
        return Decision("fallback", (), (), f"advice:{verdict.rule_id}")
    if answerable is not None:
        if not hits or not answerable:
            return Decision("fallback", (), _related(hits, policy), "below-threshold")
        return _answered(hits, policy, hits[0].score - policy.margin)
    if scope is not None and not scope.in_scope:
        return Decision("fallback", (), (), "out-of-scope")
    if not hits or hits[0].score < policy.thresholds.answer:
        return Decision("fallback", (), _related(hits, policy), "below-threshold")
    return _answered(hits, policy, max(policy.thresholds.answer, hits[0].score - policy.margin))


def _answered(hits: Sequence[Hit], policy: Policy, floor: float) -> Decision:
    """The hits at or above `floor`, best first, at most `max_passages`."""
    chosen = tuple(h for h in hits if h.score >= floor)[: policy.max_passages]
    return Decision("answered", chosen, (), "answered")


@dataclass(frozen=True)
class Answerability:
    """The calibrated model and the tables its features are read from (built per version)."""

    model: AnswerabilityModel
    words: WordTable


@dataclass(frozen=True)
class ServingState:
    """One consistent published version: swapped as a whole, never mixed."""

    index: PassageIndex
    responses: Responses
    policy: Policy
    fusion: FusionConfig = field(default_factory=FusionConfig)
    scope: ScopeGuard | None = None
    spelling: SpellingRepair | None = None
    bridge_min_similarity: float | None = None
    glossary: Glossary = field(default_factory=Glossary)
    crisis: CrisisModel | None = None  # the meaning layer of the safety gate; None: rules only
    answerability: Answerability | None = None  # None: the score threshold and scope guard
    headings: HeadingVectors | None = None  # with a heading weight or answerability

    @property
    def version(self) -> str:
        return self.index.version


@dataclass(frozen=True)
class Retrieval:
    """Ranked hits for a question, and the scope guard's verdict on it (if any)."""

    hits: list[Hit]
    scope: ScopeVerdict | None
    crisis: CrisisMatch | None = None  # only when asked for (`gate_text`)
    features: dict[str, float] | None = None  # the answerability evidence (with a model)
    probability: float | None = None  # that the top hit answers (with a model)
    answerable: bool | None = None  # the probability reached the model's cut (with a model)


class Answerer:
    """Answers questions from the current serving state (replaceable in one assignment)."""

    stage_timer: Callable[[str, float], None] | None = None  # ("encode"|"search", seconds)

    def __init__(self, embedder: Embedder, state: ServingState, candidates: int) -> None:
        self.embedder = embedder
        self.state = state
        self.candidates = candidates

    def search(
        self, question: str, state: ServingState, k: int, gate_text: str | None = None
    ) -> Retrieval:
        """Hybrid-ranked passages and the scope verdict, with one call to the encoder.

        Retrieval and the scope guard read the question with its typing repaired. With
        `gate_text` (the message as typed) and a meaning layer, the same call also encodes it
        for the safety gate, unless repair left it unchanged and its vector is already there."""
        started = time.perf_counter()
        gate = gate_text if state.crisis is not None and gate_text is not None else None
        model = state.answerability
        understood = understand(
            question,
            self.embedder,
            spelling=state.spelling,
            glossary=state.glossary,
            scope=state.scope,
            bridge_min_similarity=state.bridge_min_similarity,
            known_words=model.words if model is not None else None,
            gate=gate,
        )
        encoded = time.perf_counter()
        crisis = None
        if understood.gate_vector is not None and state.crisis is not None:
            crisis = recognise_crisis(understood.gate_vector, state.crisis)
        ranking = rank(
            state.index, understood.vector, understood.keywords, k, state.fusion, state.headings
        )
        scope = None
        if state.scope is not None:
            scope = state.scope.judge(
                understood.unknown,
                understood.unknown_vectors,
                ranking.best_dense,
                understood.vector[0],
            )
        found = Retrieval(ranking.hits, scope, crisis)
        if model is not None and ranking.hits:
            found = self._judged(found, ranking, state, model, understood)
        if self.stage_timer is not None:
            self.stage_timer("encode", encoded - started)
            self.stage_timer("search", time.perf_counter() - encoded)
        return found

    @staticmethod
    def _judged(
        found: Retrieval,
        ranking: Ranking,
        state: ServingState,
        answerability: Answerability,
        understood: Understanding,
    ) -> Retrieval:
        """The retrieval with the answerability model's features and probability added."""
        hits = ranking.hits
        top = TopHit(
            row=ranking.rows[0],
            dense=ranking.dense[0],
            lexical=ranking.lexical[0],
            fused=hits[0].score,
            runner_up=hits[1].score if len(hits) > 1 else hits[0].score,
        )
        alternates = state.index.alternates
        alternate = 0.0
        if alternates is not None:
            best = alternates.best_per_section(understood.vector[0])
            for section, rows in enumerate(alternates.section_rows):
                if top.row in rows:
                    alternate = float(best[section])
        gap = found.scope.gap if found.scope is not None else 0.0
        if state.headings is None:
            raise ValueError("answerability needs the heading vectors in the serving state")
        features = answer_features(
            understood.vector[0],
            understood.asked,
            understood.word_vectors,
            top,
            answerability.words,
            state.headings,
            alternate,
            gap,
        )
        probability = answerability.model.probability(features)
        answerable = probability >= answerability.model.cut
        return replace(found, features=features, probability=probability, answerable=answerable)

    def retrieve(self, question: str, state: ServingState, k: int) -> list[Hit]:
        """Ranked passages for an already normalised question."""
        return self.search(question, state, k).hits

    def ask(self, question: str) -> Answer:
        """Normalise, gate, retrieve and decide; every request sees one whole version."""
        state = self.state
        text = normalize_question(question)
        verdict = check_safety(text, state.policy.safety)
        urgent = verdict is not None and verdict.category == "emergency"
        found = (
            Retrieval([], None)
            if urgent
            else self.search(text, state, self.candidates, gate_text=text)
        )
        decision = decide(
            text, found.hits, state.policy, found.scope, found.crisis, found.answerable
        )
        message = {
            "answered": state.responses.disclaimer,
            "fallback": state.responses.fallback,
            "emergency": state.responses.emergency,
        }[decision.status]
        return Answer(
            status=decision.status,
            message=message,
            hits=decision.hits,
            related=decision.related,
            index_version=state.version,
            reason=decision.reason,
        )
