"""Fixtures that build real small things: the real model once per session, real indexes, a
real uvicorn server on 127.0.0.1. A deterministic fake embedder serves the fast unit tests."""

from __future__ import annotations

import hashlib
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import numpy as np
import pytest
import uvicorn

from faqbot.embedding.encoder import SentenceTransformerEmbedder, Vectors
from faqbot.http.guards import uvicorn_options
from faqbot.settings import DEFAULT_MODEL, Settings

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
SHARED = REPO.parent / "shared"
DEV_QUESTIONS = REPO / "tests" / "data" / "dev_questions.jsonl"
FAKE_DIMENSION = 64
SERVER_START_TIMEOUT_S = 30


class FakeEmbedder:
    """Deterministic bag-of-words hashing: same words, same vector; no model needed."""

    model_name = "fake-hashing-embedder"
    dimension = FAKE_DIMENSION

    def encode(self, texts: Sequence[str]) -> Vectors:
        rows = np.zeros((len(texts), FAKE_DIMENSION), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                slot = int(hashlib.md5(word.encode()).hexdigest(), 16) % FAKE_DIMENSION
                rows[i, slot] += 1.0
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.where(norms == 0, 1, norms)


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, recording every batch it was asked to encode."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.batches.append(list(texts))
        return super().encode(texts)


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    """The packaged model, loaded once for the whole session."""
    return SentenceTransformerEmbedder(DEFAULT_MODEL)


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A private copy of the bundled corpus that a test may edit."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


def edit_article(corpus: Path, old: str, new: str, name: str = "ketamine-infusions.md") -> None:
    """Replace the first `old` in an article of a corpus copy, as an editor would; `old` must
    be there, so a test never edits nothing."""
    path = corpus / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="session")
def real_index_dir(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: SentenceTransformerEmbedder
) -> Path:
    """The bundled corpus built once with the real model into a temporary index folder."""
    from faqbot.publishing.build import build_index

    index_dir = tmp_path_factory.mktemp("index")
    build_index(CORPUS, index_dir, real_embedder)
    return index_dir


@pytest.fixture(scope="session")
def real_settings(real_index_dir: Path) -> Settings:
    # Many tests share one server from one loopback address: rate limiting is off here and
    # proven on its own app in test_ratelimit.py.
    return Settings(corpus_dir=CORPUS, index_dir=real_index_dir, rate_limit_per_minute=0)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LiveServer:
    """A real uvicorn server in a background thread, on a free loopback port."""

    def __init__(self, app: object, log_level: str = "warning") -> None:
        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level=log_level, **uvicorn_options()
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def answer_body(server: LiveServer, question: str) -> dict[str, object]:
    """POST /ask on a live server; the JSON body of its 200 answer."""
    response = httpx.post(f"{server.url}/ask", json={"question": question}, timeout=30)
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


@pytest.fixture(scope="session")
def live_server(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder
) -> Iterator[LiveServer]:
    """faqbot served by real uvicorn with the real model and the bundled corpus."""
    from faqbot.http.app import create_app

    with LiveServer(create_app(real_settings, embedder=real_embedder)) as server:
        yield server
