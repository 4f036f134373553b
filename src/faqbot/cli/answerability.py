"""`faqbot calibrate --answerability` and `faqbot eval-retrieval --open-set`.

Both answer MedQuAD questions against the indexed half of a sample of its pages (see
publishing/open_set.py) with the clinic's own rules and stages, through the same Answerer that
serves visitors; calibration fits on the training half of those pages, the open-set evaluation
reports on the other half.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from faqbot.answering.answerability import AnswerabilityModel
from faqbot.answering.answerer import Answerer, Policy, ServingState
from faqbot.corpus.answerability_file import (
    ANSWERABILITY_FILE,
    AnswerabilityCalibration,
    write_answerability,
)
from faqbot.corpus.articles import load_responses
from faqbot.corpus.glossary import Glossary
from faqbot.corpus.safety_rules import SAFETY_FILE, load_safety_rules
from faqbot.embedding.encoder import Embedder
from faqbot.errors import CalibrationError
from faqbot.index.version import PassageIndex
from faqbot.publishing.answerability_calibration import (
    OBSERVING,
    observe_open_set,
    observe_questions,
    observe_requests,
    train,
)
from faqbot.publishing.evaluation import load_questions
from faqbot.publishing.open_set import OpenQuestion, OpenSet, build_open_set
from faqbot.publishing.retrieval_eval import build_or_reuse, corpus_digest, row_id, sampled
from faqbot.serving.state import (
    answerability_model,
    load_state,
    read_thresholds,
    state_from_index,
    with_answerability,
)
from faqbot.settings import Settings

DEFAULT_SHARED = Path("../shared/data")
EXTRA_QUESTIONS = Path("tests/data/extra_questions.jsonl")
OPEN_SET_DIR = "open-set"  # under the index folder: the open set's own index and vectors
OPEN_SET_SAMPLE = 0.2  # of MedQuAD's pages, unless --sample says otherwise
CLINIC = "clinic dev+extra"  # the served corpus's own questions: they set the cut
CLINC_SAMPLE = 0.1  # of CLINC150's train requests (1,500 of 15,000: enough, and minutes less)


def _medquad(shared: Path) -> tuple[Path, Path, Path]:
    folder = shared / "medquad"
    paths = (folder / "corpus.jsonl.gz", folder / "dev_queries.jsonl", folder / "dev_qrels.tsv")
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise CalibrationError(f"missing shared data: {', '.join(missing)} (see --shared)")
    return paths


def open_set_state(
    settings: Settings,
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    shared: Path,
    fraction: float,
    model: AnswerabilityModel | None,
) -> tuple[OpenSet, ServingState]:
    """The open set of a sample of MedQuAD's pages, and its indexed half served with the
    clinic's rules, wording and thresholds (and `model`, when given)."""
    corpus, queries, qrels = _medquad(shared)
    open_set = build_open_set(corpus, queries, qrels, fraction)
    digest = corpus_digest(corpus, f"open-set pages, sample {fraction}")
    index: PassageIndex = build_or_reuse(
        open_set.articles, digest, index_dir / OPEN_SET_DIR, embedder
    )
    policy = Policy(
        read_thresholds(settings, corpus_dir),
        load_safety_rules(corpus_dir / SAFETY_FILE),
        settings.max_passages,
        settings.answer_margin,
    )
    state = state_from_index(
        settings, index, embedder, policy, load_responses(corpus_dir), Glossary(), model=model
    )
    return open_set, state


def open_set_sample(args: argparse.Namespace) -> float:
    return float(args.sample) if args.sample is not None else OPEN_SET_SAMPLE


def _clinc(shared: Path, split: str) -> list[str]:
    path = shared / "clinc150" / "dev.json"
    if not path.is_file():
        raise CalibrationError(f"missing shared data: {path} (see --shared)")
    data = json.loads(path.read_text(encoding="utf-8"))
    return [text for text, _ in data[split] + data[f"oos_{split}"]]


def _in_sample(text: str, fraction: float) -> bool:
    return sampled(hashlib.sha256(text.encode("utf-8")).hexdigest(), fraction)


def calibrate_answerability(
    args: argparse.Namespace,
    settings: Settings,
    embedder: Embedder,
    corpus_dir: Path,
    index_dir: Path,
) -> int:
    """Observe, fit, choose the cut for FAQBOT_ANSWER_PRECISION, write answerability.json."""
    clinic = with_answerability(load_state(settings, index_dir, embedder), embedder, OBSERVING)
    paths = [args.questions or settings.dev_questions]
    paths += [EXTRA_QUESTIONS] if EXTRA_QUESTIONS.is_file() else []
    clinic_answerer = Answerer(embedder, clinic, settings.candidates)
    questions = [q for p in paths for q in load_questions(p)]
    samples = observe_questions(clinic_answerer, questions, CLINIC)
    requests = [t for t in _clinc(args.shared, "train") if _in_sample(t, CLINC_SAMPLE)]
    samples += observe_requests(clinic_answerer, requests, "CLINC150 train sample")
    open_set, medquad = open_set_state(
        settings, corpus_dir, index_dir, embedder, args.shared, open_set_sample(args), OBSERVING
    )
    samples += observe_open_set(
        Answerer(embedder, medquad, settings.candidates),
        open_set.side(training=True),
        open_set.row_of,
        "MedQuAD open set (training pages)",
    )
    model, report = train(samples, settings.answer_precision, CLINIC)
    calibration = AnswerabilityCalibration(
        embedder.model_name,
        model.features,
        model.mean,
        model.scale,
        model.weights,
        model.bias,
        model.cut,
        {**report, "medquad_sample": open_set_sample(args)},
    )
    path = write_answerability(
        corpus_dir / ANSWERABILITY_FILE,
        calibration,
        "faqbot calibrate --answerability (src/faqbot/publishing/answerability_calibration.py)",
    )
    print(json.dumps(report, indent=2))
    print(f"cut {model.cut} written to {path}; run `faqbot build` to publish it", file=sys.stderr)
    return 0


def selective_scores(
    answerer: Answerer, questions: Sequence[OpenQuestion], row_of: Mapping[str, str]
) -> dict[str, float]:
    """Answered precision, coverage of answerable questions and false answers on unanswerable
    ones, for the answerer's own decision (what a visitor would get)."""
    answered = right = answerable = false_answers = unanswerable = 0
    for question in questions:
        answer = answerer.ask(question.query.text)
        is_answered = answer.status == "answered"
        correct = is_answered and row_id(answer.hits[0].passage, row_of) in question.relevant
        answered += is_answered
        right += correct
        if question.answerable:
            answerable += 1
        else:
            unanswerable += 1
            false_answers += is_answered
    return {
        "questions": len(questions),
        "answered_precision": round(right / answered, 4) if answered else 1.0,
        "coverage": round(right / answerable, 4) if answerable else 0.0,
        "false_answers_on_unanswerable": round(false_answers / unanswerable, 4)
        if unanswerable
        else 0.0,
    }


def eval_open_set(args: argparse.Namespace, settings: Settings, embedder: Embedder) -> int:
    """The selective answerer on the evaluation half: today's threshold and scope guard, and
    the answerability model when corpus/answerability.json exists."""
    corpus_dir = settings.corpus_dir
    index_dir = args.index_dir or settings.index_dir
    open_set, state = open_set_state(
        settings, corpus_dir, index_dir, embedder, args.shared, open_set_sample(args), None
    )
    questions = open_set.side(training=False)[: args.max_queries]
    results = {
        "threshold and scope guard": selective_scores(
            Answerer(embedder, state, settings.candidates), questions, open_set.row_of
        )
    }
    if (corpus_dir / ANSWERABILITY_FILE).is_file() and state.scope is not None:
        switched_on = settings.model_copy(update={"answerability": True})
        model = answerability_model(switched_on, corpus_dir, embedder)
        assert model is not None  # switched on, and the file is there
        judged = with_answerability(state, embedder, model)
        results["answerability model"] = selective_scores(
            Answerer(embedder, judged, settings.candidates), questions, open_set.row_of
        )
    print(json.dumps(results, indent=2))
    return 0
