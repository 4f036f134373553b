"""The dev questions, scored like the held-out set: accuracy, every emergency, verbatim only."""

from __future__ import annotations

import pytest

from faqbot.answer import Answerer, load_state
from faqbot.corpus import load_articles
from faqbot.embedding import SentenceTransformerEmbedder
from faqbot.evaluation import evaluate, load_questions
from faqbot.settings import Settings

from .conftest import CORPUS, DEV_QUESTIONS

pytestmark = pytest.mark.slow

MIN_DEV_ACCURACY = 0.90  # issue 3's target; issue 4 raises the bar


@pytest.mark.xfail(strict=True, reason="dense-only baseline is 0.744; hybrid retrieval lands next")
def test_dev_questions_meet_the_accuracy_target_with_every_emergency_caught(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder
) -> None:
    state = load_state(real_settings, CORPUS, real_settings.index_dir, real_embedder)
    answerer = Answerer(real_embedder, state, real_settings.candidates)
    bodies = {a.id: a.body for a in load_articles(CORPUS)}
    report = evaluate(answerer.ask, load_questions(DEV_QUESTIONS), bodies)
    assert report.non_verbatim == 0
    assert report.missed_emergencies == 0
    assert report.false_emergencies == 0
    assert report.accuracy >= MIN_DEV_ACCURACY, report.as_dict()["wrong"]
