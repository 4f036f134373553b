"""Rate limiting per client address on the question endpoints, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.http.app import create_app
from faqbot.http.rate_limit import RateLimit, client_address
from faqbot.settings import Settings

from ..conftest import LiveServer

LIMIT = 3
QUESTION = {"question": "How long does each infusion session take?"}


def _serve(settings: Settings, embedder: SentenceTransformerEmbedder) -> LiveServer:
    return LiveServer(create_app(settings, embedder=embedder))


@pytest.fixture(scope="module")
def limited(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder
) -> Iterator[LiveServer]:
    settings = real_settings.model_copy(update={"rate_limit_per_minute": LIMIT})
    with _serve(settings, real_embedder) as server:
        yield server


@pytest.mark.slow
def test_over_the_limit_gets_429_with_retry_after_in_the_one_shape(limited: LiveServer) -> None:
    statuses = [
        httpx.post(f"{limited.url}/ask", json=QUESTION, timeout=30).status_code
        for _ in range(LIMIT)
    ]
    assert statuses == [200] * LIMIT
    refused = httpx.post(f"{limited.url}/ask", json=QUESTION, timeout=30)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["x-content-type-options"] == "nosniff"
    assert refused.headers["x-request-id"]
    # /search has its own budget; other paths are not limited
    assert httpx.get(f"{limited.url}/healthz").status_code == 200


@pytest.mark.slow
def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(limited: LiveServer) -> None:
    for i in range(LIMIT + 1):
        response = httpx.post(
            f"{limited.url}/search",
            json=QUESTION,
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
            timeout=30,
        )
    assert response.status_code == 429  # a client cannot dodge the limit by inventing addresses


def _scope(peer: str, forwarded: str | None) -> dict[str, object]:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return {"type": "http", "client": (peer, 5000), "headers": headers}


@pytest.mark.parametrize(
    ("trust", "forwarded", "expected"),
    [
        (False, "203.0.113.9", "127.0.0.1"),
        (True, "203.0.113.9", "203.0.113.9"),
        (True, "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the hop our proxy added
        (True, "not-an-address", "127.0.0.1"),
        (True, None, "127.0.0.1"),
        (True, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address(trust: bool, forwarded: str | None, expected: str) -> None:
    assert client_address(_scope("127.0.0.1", forwarded), trust) == expected


def test_zero_disables_rate_limiting() -> None:
    def limiters(settings: Settings) -> list[object]:
        return [m for m in create_app(settings).user_middleware if m.cls is RateLimit]

    assert limiters(Settings(rate_limit_per_minute=0)) == []
    assert len(limiters(Settings())) == 1
    assert Settings().rate_limit_per_minute == 60
