"""The answerability model switched on (FAQBOT_ANSWERABILITY, opt-in while issue 17 stays
open), over HTTP with the real model and the bundled corpus's calibrated answerability.json:
answers stay verbatim, an everyday request falls back, a crisis is still the gate's, and a
version without the file is refused with what to run."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from faqbot.corpus.answerability_file import ANSWERABILITY_FILE
from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.errors import CalibrationError
from faqbot.publishing.build import build_index
from faqbot.serving.state import load_state
from faqbot.settings import Settings

from ..conftest import CORPUS, LiveServer, answer_body

pytestmark = pytest.mark.skipif(
    not (CORPUS / ANSWERABILITY_FILE).is_file(), reason="the corpus has no answerability.json"
)


@pytest.fixture(scope="module")
def model_server(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder
) -> Iterator[LiveServer]:
    from faqbot.http.app import create_app

    settings = real_settings.model_copy(update={"answerability": True})
    with LiveServer(create_app(settings, embedder=real_embedder)) as server:
        yield server


def test_a_plain_question_is_answered_with_verbatim_text(model_server: LiveServer) -> None:
    body = answer_body(model_server, "What is ketamine?")
    assert body["status"] == "answered"
    article = (CORPUS / "ketamine-infusions.md").read_text(encoding="utf-8")
    passages = body["passages"]
    assert isinstance(passages, list) and passages
    assert all(p["text"] in article for p in passages)


@pytest.mark.parametrize(
    "question", ["Book me a table for two at eight", "How much does a new car battery cost?"]
)
def test_an_everyday_request_falls_back(model_server: LiveServer, question: str) -> None:
    assert answer_body(model_server, question)["status"] == "fallback"


def test_a_crisis_is_still_the_safety_gates(model_server: LiveServer) -> None:
    assert answer_body(model_server, "I want to end my life")["status"] == "emergency"


def test_switched_on_without_a_calibration_is_refused_with_what_to_run(
    tmp_path: Path, real_settings: Settings, real_embedder: SentenceTransformerEmbedder
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / ANSWERABILITY_FILE).unlink()
    build_index(corpus, tmp_path / "index", real_embedder)
    settings = real_settings.model_copy(update={"answerability": True, "corpus_dir": corpus})
    with pytest.raises(CalibrationError, match="faqbot calibrate --answerability"):
        load_state(settings, tmp_path / "index", real_embedder)
