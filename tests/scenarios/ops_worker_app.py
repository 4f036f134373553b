"""An app factory for tests that run uvicorn with several worker processes (fake embedder)."""

from __future__ import annotations

from fastapi import FastAPI

from faqbot.http.app import create_app
from faqbot.settings import Settings

from ..conftest import FakeEmbedder


def make_app() -> FastAPI:
    """Settings from FAQBOT_* variables, the fast deterministic embedder."""
    return create_app(Settings(), embedder=FakeEmbedder())
