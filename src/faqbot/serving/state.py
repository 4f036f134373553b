"""Making what answers questions from a version on disk and the settings: the one place the
served stages are switched on, so `faqbot serve`, reload, `ask`, `eval`, `calibrate` and the
regression gate all answer alike. answering/ stays pure: it gets the result as data."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from faqbot.answering.alternates import AlternateMatch
from faqbot.answering.answerability import FEATURES, AnswerabilityModel, WordTable
from faqbot.answering.answerer import (
    CALIBRATION_FILE,
    Answerability,
    Answerer,
    Policy,
    ServingState,
    Thresholds,
)
from faqbot.answering.crisis import CrisisClassifier, CrisisModel, message_vectors
from faqbot.answering.retrieval import FusionConfig, HeadingVectors, heading_paths
from faqbot.answering.scope import ScopeGuard
from faqbot.answering.spelling import SpellingRepair
from faqbot.corpus.answerability_file import ANSWERABILITY_FILE, read_answerability
from faqbot.corpus.articles import load_responses
from faqbot.corpus.crisis_file import CRISIS_FILE, read_crisis_calibration
from faqbot.corpus.glossary import Glossary, load_glossary
from faqbot.corpus.safety_rules import (
    SAFETY_FILE,
    SafetyRules,
    emergency_examples,
    load_safety_rules,
)
from faqbot.embedding.encoder import Embedder, SentenceTransformerEmbedder
from faqbot.embedding.onnx_encoder import onnx_embedder
from faqbot.errors import CalibrationError
from faqbot.index.version import PassageIndex, load_version, require_rules, version_folder
from faqbot.models import Responses
from faqbot.publishing.build import GateConfig
from faqbot.publishing.evaluation import EvalQuestion, EvalReport, evaluate
from faqbot.publishing.regression_gate import StateLoader
from faqbot.settings import Settings


def read_thresholds(settings: Settings, folder: Path) -> Thresholds:
    """Thresholds from settings when set, else from the calibration.json in `folder` (a
    version's copy when serving)."""
    path = folder / CALIBRATION_FILE
    stored: dict[str, float] = {}
    if path.is_file():
        try:
            calibration = json.loads(path.read_text(encoding="utf-8"))
            stored = calibration["thresholds"]
        except (ValueError, KeyError) as exc:
            raise CalibrationError(
                f"{path} is unreadable ({exc}): run `faqbot calibrate`, then `faqbot build`"
            ) from exc
        if calibration.get("model") != settings.model and settings.answer_threshold is None:
            raise CalibrationError(
                f"{path} was calibrated for model {calibration.get('model')!r}, not "
                f"{settings.model!r}: run `faqbot calibrate`, then `faqbot build`"
            )
    answer = (
        settings.answer_threshold if settings.answer_threshold is not None else stored.get("answer")
    )
    related = (
        settings.related_threshold
        if settings.related_threshold is not None
        else stored.get("related")
    )
    if answer is None or related is None:
        raise CalibrationError(
            f"no thresholds in {path}: run `faqbot calibrate` (writes {CALIBRATION_FILE} in the "
            "corpus folder), then `faqbot build`; or set FAQBOT_ANSWER_THRESHOLD and "
            "FAQBOT_RELATED_THRESHOLD"
        )
    return Thresholds(answer=float(answer), related=min(float(related), float(answer)))


def crisis_model(
    settings: Settings, folder: Path, embedder: Embedder, rules: SafetyRules
) -> CrisisModel | None:
    """The meaning layer of the safety gate from the version's crisis.json and the examples
    of its safety.yaml; None when switched off, uncalibrated, or without examples."""
    if not settings.crisis_meaning:
        return None
    path = folder / CRISIS_FILE
    calibration = read_crisis_calibration(path)
    examples, owners = emergency_examples(rules)
    if calibration is None or not examples:
        return None
    if calibration.model != embedder.model_name or calibration.dimension != embedder.dimension:
        raise CalibrationError(
            f"{path} was calibrated for model {calibration.model!r}, not "
            f"{embedder.model_name!r}: run `faqbot calibrate-crisis`, then `faqbot build`"
        )
    classifier = (
        CrisisClassifier(
            np.asarray(calibration.weights, dtype=np.float32),
            calibration.bias,
            calibration.classifier_cut,
        )
        if calibration.weights
        else None
    )
    return CrisisModel(
        message_vectors(embedder, examples), owners, calibration.example_cut, classifier
    )


def word_table(index: PassageIndex, scope: ScopeGuard) -> WordTable:
    """What the coverage features are read from: the scope guard's word vectors with each
    passage's words."""
    if scope.word_vectors is None:
        raise CalibrationError("the corpus has no content words to measure coverage with")
    return WordTable.build(scope.content_words, scope.word_vectors, index.passages)


def heading_vectors(index: PassageIndex, embedder: Embedder) -> HeadingVectors:
    """One vector per heading path (encoded here, at load), and each passage's heading."""
    paths, of_passage = heading_paths(index.passages)
    vectors = np.asarray(embedder.encode(paths), dtype=np.float32).reshape(len(paths), -1)
    return HeadingVectors(vectors, of_passage)


def answerability_model(
    settings: Settings, folder: Path, embedder: Embedder
) -> AnswerabilityModel | None:
    """The answerability model from the version's answerability.json; None when switched off.
    Switched on without a calibration is an error that says what to do (never a silent fall
    back to the threshold)."""
    if not settings.answerability:
        return None
    path = folder / ANSWERABILITY_FILE
    calibration = read_answerability(path)
    if calibration is None:
        raise CalibrationError(
            f"FAQBOT_ANSWERABILITY is on but {path} is missing: run "
            "`faqbot calibrate --answerability`, then `faqbot build`"
        )
    if calibration.model != embedder.model_name:
        raise CalibrationError(
            f"{path} was calibrated for model {calibration.model!r}, not "
            f"{embedder.model_name!r}: run `faqbot calibrate --answerability`, then `faqbot build`"
        )
    unknown = set(calibration.features) - set(FEATURES)
    if unknown:
        raise CalibrationError(
            f"{path} names features this faqbot does not compute ({', '.join(sorted(unknown))}):"
            " run `faqbot calibrate --answerability`, then `faqbot build`"
        )
    return AnswerabilityModel(
        calibration.features,
        calibration.mean,
        calibration.scale,
        calibration.weights,
        calibration.bias,
        calibration.cut,
    )


def fusion_config(settings: Settings) -> FusionConfig:
    """How hits are scored: the fusion, and whether alternate questions take part."""
    alternates = (
        AlternateMatch(settings.alternate_min_similarity, settings.alternate_min_margin)
        if settings.alternate_questions
        else None
    )
    return FusionConfig(
        settings.fusion,
        settings.lexical_weight,
        settings.rrf_k,
        alternates,
        settings.heading_weight,
    )


def load_state(
    settings: Settings,
    index_dir: Path,
    embedder: Embedder,
    thresholds: Thresholds | None = None,
    *,
    version: str | None = None,
) -> ServingState:
    """The one way to make what answers questions: a version (the published one unless named)
    with the rules and wording it was built with, and every stage the settings switch on.

    `faqbot serve`, reload, `ask`, `eval`, `calibrate` and the regression gate all call this,
    so the gate scores exactly what visitors would get.
    """
    folder = version_folder(index_dir, version)
    index = load_version(folder, embedder.model_name, embedder.dimension)
    require_rules(index.manifest, folder)
    safety = load_safety_rules(folder / SAFETY_FILE)
    policy = Policy(
        thresholds=thresholds or read_thresholds(settings, folder),
        safety=safety,
        max_passages=settings.max_passages,
        margin=settings.answer_margin,
    )
    return state_from_index(
        settings,
        index,
        embedder,
        policy,
        load_responses(folder),
        load_glossary(folder) if settings.glossary else Glossary(),
        crisis=crisis_model(settings, folder, embedder, safety),
        model=answerability_model(settings, folder, embedder),
    )


def state_from_index(
    settings: Settings,
    index: PassageIndex,
    embedder: Embedder,
    policy: Policy,
    responses: Responses,
    glossary: Glossary,
    *,
    crisis: CrisisModel | None = None,
    model: AnswerabilityModel | None = None,
) -> ServingState:
    """The stages the settings switch on, around an index and the rules it is served with:
    load_state's core, and what `calibrate --answerability` and `eval-retrieval --open-set`
    answer a corpus that is not the clinic's with."""
    corpus_text = "\n".join(f"{p.section}\n{p.text}" for p in index.passages)
    glossary = glossary.outside(corpus_text)
    scope = (
        ScopeGuard.from_passages(
            index.passages,
            embedder,
            settings.scope_limit,
            settings.scope_override,
            settings.scope_min_centrality,
            glossary.visitor_words,
        )
        if settings.scope_limit is not None
        else None
    )
    fusion = fusion_config(settings)
    headings = heading_vectors(index, embedder) if fusion.heading_weight > 0 else None
    state = ServingState(
        index=index,
        responses=responses,
        policy=policy,
        fusion=fusion,
        scope=scope,
        spelling=SpellingRepair.from_passages(index.passages) if settings.spelling_repair else None,
        bridge_min_similarity=settings.bridge_min_similarity,
        glossary=glossary,
        crisis=crisis,
        headings=headings,
    )
    return state if model is None else with_answerability(state, embedder, model)


def with_answerability(
    state: ServingState, embedder: Embedder, model: AnswerabilityModel
) -> ServingState:
    """The state answering with `model`, and the tables its features are read from: the scope
    guard's words (it needs the guard) and the heading vectors (encoded now if not there)."""
    if state.scope is None:
        raise CalibrationError(
            "the answerability model needs the scope guard's words (FAQBOT_SCOPE_LIMIT)"
        )
    headings = state.headings or heading_vectors(state.index, embedder)
    answerability = Answerability(model, word_table(state.index, state.scope))
    return replace(state, answerability=answerability, headings=headings)


def state_loader(settings: Settings, index_dir: Path) -> StateLoader:
    """load_state for one index folder, as the regression gate takes it."""

    def load(embedder: Embedder, version: str | None) -> ServingState:
        return load_state(settings, index_dir, embedder, version=version)

    return load


def gate_config(
    settings: Settings, index_dir: Path, questions: Sequence[EvalQuestion]
) -> GateConfig:
    """The regression gate for builds into `index_dir`, scoring versions as they are served."""
    return GateConfig(state_loader(settings, index_dir), settings.candidates, questions)


def evaluate_version(
    settings: Settings,
    index_dir: Path,
    embedder: Embedder,
    questions: Sequence[EvalQuestion],
    bodies: Mapping[str, str],
    version: str | None = None,
) -> EvalReport:
    """Score a version as served: what `faqbot eval` runs, and the gate through load_state."""
    state = load_state(settings, index_dir, embedder, version=version)
    return evaluate(Answerer(embedder, state, settings.candidates).ask, questions, bodies)


def query_embedder(settings: Settings, threads: int | None = None) -> Embedder:
    """The encoder FAQBOT_ENCODER_BACKEND names, for answering questions. Both backends give
    the same vectors (the ONNX export is checked against torch), so either serves an index
    built with torch."""
    if settings.encoder_backend == "onnx":
        return onnx_embedder(settings.model, settings.onnx_dir_path(), threads)
    return SentenceTransformerEmbedder(settings.model, threads=threads)
