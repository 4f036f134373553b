"""faqbot never reaches the network: sockets are blocked while it loads, builds and answers."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from faqbot.answering.answerer import Answerer
from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.publishing.build import build_index
from faqbot.serving.state import load_state
from faqbot.settings import DEFAULT_MODEL, Settings

from .conftest import CORPUS

pytestmark = pytest.mark.slow


class NetworkUsed(AssertionError):
    pass


def _refuse(*args: object, **kwargs: object) -> None:
    raise NetworkUsed(f"network access attempted: {args!r}")


def test_model_loads_builds_and_answers_with_sockets_blocked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse)
    monkeypatch.setattr(socket, "create_connection", _refuse)
    monkeypatch.setattr(socket, "getaddrinfo", _refuse)
    embedder = SentenceTransformerEmbedder(DEFAULT_MODEL)  # a fresh load, not the cached one
    build_index(CORPUS, tmp_path, embedder)
    settings = Settings(corpus_dir=CORPUS, index_dir=tmp_path)
    answerer = Answerer(embedder, load_state(settings, tmp_path, embedder), 10)
    assert answerer.ask("How long is each ketamine session?").status == "answered"


def test_hub_offline_switches_are_set_by_faqbot_itself() -> None:
    import os

    import faqbot  # noqa: F401  (importing faqbot sets them)

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["TRANSFORMERS_OFFLINE"] == "1"
