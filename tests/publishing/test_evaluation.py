"""The dev questions, scored like the held-out set: accuracy, every emergency, verbatim only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from faqbot.corpus.articles import load_articles
from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.index.version import published_version
from faqbot.publishing.evaluation import EvalReport, load_questions
from faqbot.publishing.regression_gate import regression_gate
from faqbot.serving.state import evaluate_version, state_loader
from faqbot.settings import Settings

from ..conftest import CORPUS, DEV_QUESTIONS

pytestmark = pytest.mark.slow

MIN_DEV_ACCURACY = 0.97  # issue 4's target (issue 3 asked for 0.90)
MIN_FALLBACK_ACCURACY = 1.0  # every out-of-scope and advice question falls back
# Questions we wrote from the article (used to compare retrieval designs, never to set a
# threshold or a rule): a stand-in for the held-out set's other phrasings and topics.
EXTRA_QUESTIONS = Path(__file__).parents[1] / "data" / "extra_questions.jsonl"
MIN_EXTRA_ACCURACY = 0.90
# Questions a helper wrote from the article alone, never having seen the dev or extra questions,
# the safety rules or the alternates. First scored at 0.788; spelling repair, bridged keywords,
# the scope guard's centrality and the glossary were then measured on it (0.885), so it is a
# regression floor now, no longer blind.
BLIND_QUESTIONS = Path(__file__).parents[1] / "data" / "blind_questions.jsonl"
MIN_BLIND_ACCURACY = 0.88
# Written the same way, later, asked for paraphrases in a patient's words, slang and rambling
# questions, and scored once before anything was tuned: 0.667 (answers 20/50). The scope
# guard's centrality was then chosen on all four sets (0.711) and the glossary measured on it
# (0.800), so it is a floor too.
SEALED_QUESTIONS = Path(__file__).parents[1] / "data" / "sealed_questions.jsonl"
MIN_SEALED_ACCURACY = 0.80


def _report(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder, questions: Path
) -> EvalReport:
    bodies = {a.id: a.body for a in load_articles(CORPUS)}
    return evaluate_version(
        real_settings, real_settings.index_dir, real_embedder, load_questions(questions), bodies
    )


def test_the_gate_scores_each_dev_question_as_faqbot_eval_does(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder
) -> None:
    """The gate measures what is served: per question, the same outcome as `faqbot eval`."""
    index = real_settings.index_dir
    version = published_version(index)
    bodies = {a.id: a.body for a in load_articles(CORPUS)}
    questions = load_questions(DEV_QUESTIONS)
    load = state_loader(real_settings, index)
    gate = regression_gate(
        load, version, version, real_settings.candidates, real_embedder, questions, bodies
    )
    command = [sys.executable, "-m", "faqbot.cli", "eval", "--json"]
    command += ["--corpus", str(CORPUS), "--index", str(index), str(DEV_QUESTIONS)]
    ran = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert ran.returncode == 0, ran.stderr
    by_eval = [(r["id"], r["status"], r["correct"]) for r in json.loads(ran.stdout)["results"]]
    for report in (gate.old_report, gate.new_report):
        assert report is not None
        assert [(r.question.id, r.status, r.correct) for r in report.results] == by_eval
    assert gate.passed and not gate.changes and len(by_eval) == len(questions)


def test_dev_questions_meet_the_accuracy_target_with_every_emergency_caught(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder
) -> None:
    report = _report(real_settings, real_embedder, DEV_QUESTIONS)
    assert report.non_verbatim == 0
    assert report.missed_emergencies == 0
    assert report.false_emergencies == 0
    assert report.accuracy >= MIN_DEV_ACCURACY, report.as_dict()["wrong"]


def test_every_dev_fallback_question_falls_back(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder
) -> None:
    report = _report(real_settings, real_embedder, DEV_QUESTIONS)
    right, total = report.kind_counts("fallback")
    assert right / total >= MIN_FALLBACK_ACCURACY, report.as_dict()["wrong"]


def test_questions_not_tuned_on_meet_the_target_too(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder
) -> None:
    report = _report(real_settings, real_embedder, EXTRA_QUESTIONS)
    assert report.non_verbatim == 0
    assert report.missed_emergencies == 0 and report.false_emergencies == 0
    assert report.accuracy >= MIN_EXTRA_ACCURACY, report.as_dict()["wrong"]


@pytest.mark.parametrize(
    ("questions", "floor"),
    [(BLIND_QUESTIONS, MIN_BLIND_ACCURACY), (SEALED_QUESTIONS, MIN_SEALED_ACCURACY)],
    ids=["blind", "sealed"],
)
def test_questions_written_blind_keep_their_accuracy_and_every_emergency(
    real_settings: Settings,
    real_embedder: SentenceTransformerEmbedder,
    questions: Path,
    floor: float,
) -> None:
    report = _report(real_settings, real_embedder, questions)
    assert report.non_verbatim == 0
    assert report.missed_emergencies == 0 and report.false_emergencies == 0
    assert report.accuracy >= floor, report.as_dict()["wrong"]
