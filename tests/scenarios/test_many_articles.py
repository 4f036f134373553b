"""Many articles: answers come from whichever article holds them, and each passage says which.
A second article also widens the scope guard by itself."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from faqbot.answering.answerer import Answerer
from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.publishing.build import build_index
from faqbot.serving.state import load_state
from faqbot.settings import Settings

pytestmark = pytest.mark.slow

SECOND_ARTICLE = Path(__file__).parents[1] / "fixtures" / "infusion-day.md"
RIDE_HOME = "Can patients drive after an infusion?"


def _answerer(corpus: Path, index: Path, embedder: SentenceTransformerEmbedder) -> Answerer:
    build_index(corpus, index, embedder)
    settings = Settings(corpus_dir=corpus, index_dir=index)
    return Answerer(embedder, load_state(settings, index, embedder), 10)


def test_answers_come_from_either_article_and_name_it(
    corpus_copy: Path, tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    shutil.copy(SECOND_ARTICLE, corpus_copy)
    answerer = _answerer(corpus_copy, tmp_path / "index", real_embedder)

    ride = answerer.ask(RIDE_HOME)
    assert ride.status == "answered", ride.reason
    top = ride.hits[0].passage
    assert top.article_id == "infusion-day" and top.article_title == "Your Infusion Day"
    assert "arrange for a friend or family member" in top.text
    assert top.url == "https://clinic.example/articles/infusion-day#getting-home"

    session = answerer.ask("How long does each infusion session take?")
    assert session.status == "answered", session.reason
    assert session.hits[0].passage.article_id == "ketamine-infusions"
    assert "45 minutes to an hour" in session.hits[0].passage.text


def test_without_the_second_article_the_same_question_falls_back(
    corpus_copy: Path, tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    answerer = _answerer(corpus_copy, tmp_path / "index", real_embedder)
    assert answerer.ask(RIDE_HOME).status == "fallback"
