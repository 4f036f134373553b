"""The dev questions, scored like the held-out set: accuracy, every emergency, verbatim only."""

from __future__ import annotations

import pytest

from faqbot.answer import Answerer, load_state
from faqbot.corpus import load_articles
from faqbot.embedding import SentenceTransformerEmbedder
from faqbot.evaluation import EvalReport, evaluate, load_questions
from faqbot.settings import Settings

from .conftest import CORPUS, DEV_QUESTIONS

pytestmark = pytest.mark.slow

MIN_DEV_ACCURACY = 0.90  # issue 3's target; issue 4 raises the bar
# What hybrid retrieval + the scope guard reach now (0.872 = 34/39; dense-only was 0.744):
# a floor that keeps the gain, below the target that stays marked as not yet met.
MIN_HYBRID_ACCURACY = 0.87
MIN_FALLBACK_ACCURACY = 1.0  # every out-of-scope and advice question falls back


def _report(real_settings: Settings, real_embedder: SentenceTransformerEmbedder) -> EvalReport:
    state = load_state(real_settings, CORPUS, real_settings.index_dir, real_embedder)
    answerer = Answerer(real_embedder, state, real_settings.candidates)
    bodies = {a.id: a.body for a in load_articles(CORPUS)}
    return evaluate(answerer.ask, load_questions(DEV_QUESTIONS), bodies)


@pytest.mark.xfail(
    strict=True,
    reason="hybrid + scope guard reach 0.872: five answerable questions still get an intro or "
    "boilerplate passage on top (alternate questions in front matter are the next lever)",
)
def test_dev_questions_meet_the_accuracy_target_with_every_emergency_caught(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder
) -> None:
    report = _report(real_settings, real_embedder)
    assert report.non_verbatim == 0
    assert report.missed_emergencies == 0
    assert report.false_emergencies == 0
    assert report.accuracy >= MIN_DEV_ACCURACY, report.as_dict()["wrong"]


def test_hybrid_retrieval_keeps_its_gain_and_every_fallback(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder
) -> None:
    report = _report(real_settings, real_embedder)
    assert report.non_verbatim == 0
    assert report.missed_emergencies == 0 and report.false_emergencies == 0
    right, total = report.kind_counts("fallback")
    assert right / total >= MIN_FALLBACK_ACCURACY, report.as_dict()["wrong"]
    assert report.accuracy >= MIN_HYBRID_ACCURACY, report.as_dict()["wrong"]
