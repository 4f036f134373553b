"""FAQBOT_ENCODER_BACKEND=onnx: the exported encoder gives torch's vectors and torch's answers,
serves /ask verbatim, is exported once and reused, and a bad cache folder is one clear line."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from faqbot.answering.answerer import Answerer
from faqbot.embedding.encoder import Embedder, SentenceTransformerEmbedder
from faqbot.embedding.onnx_encoder import (
    MIN_COSINE_TO_TORCH,
    OnnxDirError,
    OnnxEmbedder,
    min_cosine,
    onnx_embedder,
    onnx_file_name,
)
from faqbot.http.app import create_app
from faqbot.publishing.evaluation import load_questions
from faqbot.serving.state import load_state, query_embedder
from faqbot.settings import DEFAULT_MODEL, Settings

from ..conftest import DEV_QUESTIONS, LiveServer
from ..http.test_app import assert_verbatim

QUESTIONS = load_questions(DEV_QUESTIONS)


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx")


@pytest.fixture(scope="module")
def exported(onnx_dir: Path) -> OnnxEmbedder:
    """The ONNX encoder, exported (≈8 s) and verified once for this module."""
    return onnx_embedder(DEFAULT_MODEL, onnx_dir, threads=1)


def _outcomes(settings: Settings, embedder: Embedder) -> list[tuple[str, str | None]]:
    state = load_state(settings, settings.index_dir, embedder)
    answerer = Answerer(embedder, state, settings.candidates)
    outcomes = []
    for question in QUESTIONS:
        answer = answerer.ask(question.question)
        outcomes.append((answer.status, answer.hits[0].passage.id if answer.hits else None))
    return outcomes


@pytest.mark.slow
def test_onnx_vectors_match_torch_on_the_dev_questions(
    exported: OnnxEmbedder, real_embedder: SentenceTransformerEmbedder
) -> None:
    texts = [q.question for q in QUESTIONS]
    vectors = exported.encode(texts)
    assert exported.dimension == real_embedder.dimension
    assert exported.model_name == real_embedder.model_name  # so a torch-built index loads
    assert vectors.shape == (len(texts), real_embedder.dimension)
    assert str(vectors.dtype) == "float32"
    assert min_cosine(vectors, real_embedder.encode(texts)) >= MIN_COSINE_TO_TORCH


@pytest.mark.slow
def test_every_dev_question_gets_the_same_outcome_with_onnx_as_with_torch(
    exported: OnnxEmbedder, real_embedder: SentenceTransformerEmbedder, real_settings: Settings
) -> None:
    assert _outcomes(real_settings, exported) == _outcomes(real_settings, real_embedder)


@pytest.mark.slow
def test_served_app_with_the_onnx_backend_answers_verbatim(
    exported: OnnxEmbedder, onnx_dir: Path, real_settings: Settings
) -> None:
    settings = real_settings.model_copy(update={"encoder_backend": "onnx", "onnx_dir": onnx_dir})
    with LiveServer(create_app(settings)) as server:  # the lifespan picks the backend itself
        response = httpx.post(
            f"{server.url}/ask",
            json={"question": "How long does each infusion session take?"},
            timeout=30,
        )
    assert response.status_code == 200
    payload = response.json()
    assert payload["status"] == "answered"
    assert "45 minutes to an hour" in payload["passages"][0]["text"]
    assert_verbatim(payload)


@pytest.mark.slow
def test_a_second_load_reuses_the_cached_export(
    exported: OnnxEmbedder, onnx_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached = onnx_dir / onnx_file_name(DEFAULT_MODEL)
    written = cached.stat().st_mtime_ns

    def no_export(*args: object) -> None:
        raise AssertionError("exported again although the cached file was there")

    monkeypatch.setattr("faqbot.embedding.onnx_encoder.export", no_export)
    settings = Settings(encoder_backend="onnx", onnx_dir=onnx_dir)
    again = query_embedder(settings, threads=1)
    assert isinstance(again, OnnxEmbedder)
    assert again.encode(["How do I book?"]).shape == (1, exported.dimension)
    assert cached.stat().st_mtime_ns == written
    assert sorted(p.name for p in onnx_dir.iterdir()) == [cached.name]  # no temporary left


def test_an_unusable_onnx_dir_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "onnx-is-a-file"
    not_a_folder.write_text("")
    for onnx_dir in (not_a_folder, not_a_folder / "below"):
        settings = Settings(encoder_backend="onnx", onnx_dir=onnx_dir)
        with pytest.raises(OnnxDirError) as caught:
            query_embedder(settings)
        message = str(caught.value)
        assert "FAQBOT_ONNX_DIR" in message and str(onnx_dir) in message
        assert "\n" not in message


def test_the_onnx_export_is_cached_under_the_index_by_default(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    assert settings.encoder_backend == "torch"
    assert settings.onnx_dir_path() == tmp_path / "index" / "cache" / "onnx"
