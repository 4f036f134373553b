"""GET /metrics over real uvicorn, its optional token, and one-JSON-object-per-line logs."""

from __future__ import annotations

import io
import json
import logging
import shutil
import tempfile
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.parser import text_string_to_metric_families

from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.http.app import create_app
from faqbot.operations.logs import JsonFormatter, log_config
from faqbot.settings import Settings

from ..conftest import LiveServer

pytestmark = pytest.mark.slow


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def per_worker_values(metrics_dir: Path, name: str, **labels: str) -> dict[str, float]:
    """One counter as each worker process alone counted it, by its file in the multiprocess
    folder (/metrics only shows the sum): copied aside, each file is read as if it were all."""
    counts = {}
    for db in sorted(metrics_dir.glob("counter_*.db")):
        registry = CollectorRegistry()
        with tempfile.TemporaryDirectory() as alone:
            shutil.copy(db, alone)
            multiprocess.MultiProcessCollector(registry, alone)  # type: ignore[no-untyped-call]
            text = generate_latest(registry).decode()
        counts[db.stem] = value(text, name, **labels)
    return counts


def test_metrics_show_requests_outcomes_latency_and_the_index_after_a_few_questions(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    settings = real_settings.model_copy(update={"feedback_db": tmp_path / "f.db"})
    with LiveServer(create_app(settings, embedder=real_embedder)) as server:
        before = httpx.get(f"{server.url}/metrics").text
        for question in ("How long does each infusion session take?", "What are the side effects?"):
            httpx.post(f"{server.url}/ask", json={"question": question})
        httpx.post(f"{server.url}/ask", json={"question": "Where can I park my car?"})
        httpx.post(f"{server.url}/ask", json={"question": "I want to end my life"})
        httpx.post(f"{server.url}/ask", json={"question": ""})
        httpx.get(f"{server.url}/no/such/page")
        httpx.post(f"{server.url}/feedback", json={"answer_id": "unknown", "helpful": True})
        response = httpx.get(f"{server.url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = response.text

    def grew(name: str, by: float, **labels: str) -> None:
        assert value(after, name, **labels) - value(before, name, **labels) == by, (name, labels)

    grew("faqbot_http_requests_total", 4, path="/ask", method="POST", status="200")
    grew("faqbot_http_requests_total", 1, path="/ask", method="POST", status="422")
    grew("faqbot_http_requests_total", 1, path="unmatched", method="GET", status="404")
    grew("faqbot_http_requests_total", 1, path="/feedback", method="POST", status="404")
    grew("faqbot_ask_outcomes_total", 2, outcome="answered")
    grew("faqbot_ask_outcomes_total", 1, outcome="emergency")
    assert value(after, "faqbot_ask_outcomes_total", outcome="fallback") >= 1
    grew("faqbot_http_request_duration_seconds_count", 5, path="/ask")
    assert value(after, "faqbot_encode_duration_seconds_count") >= 3
    assert value(after, "faqbot_search_duration_seconds_count") >= 3
    info = [k for k in samples(after) if k[0] == "faqbot_index_info"]
    assert len(info) == 1 and value(after, "faqbot_index_info", **dict(info[0][1])) == 1
    assert value(after, "faqbot_index_passages", **dict(info[0][1])) > 10
    for series in ("faqbot_reloads_total", "faqbot_rate_limited_total", "faqbot_feedback_total"):
        assert f"# TYPE {series} counter" in after
    assert ("faqbot_reloads_total", (("result", "refused"),)) in samples(after)


def test_rate_limited_requests_are_counted(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    settings = real_settings.model_copy(
        update={"feedback_db": tmp_path / "f.db", "rate_limit_per_minute": 2}
    )
    with LiveServer(create_app(settings, embedder=real_embedder)) as server:
        before = httpx.get(f"{server.url}/metrics").text
        statuses = [
            httpx.post(f"{server.url}/ask", json={"question": "How long is a session?"}).status_code
            for _ in range(3)
        ]
        after = httpx.get(f"{server.url}/metrics").text
    assert statuses == [200, 200, 429]
    for name, labels in [
        ("faqbot_rate_limited_total", {"path": "/ask"}),
        ("faqbot_http_requests_total", {"path": "/ask", "method": "POST", "status": "429"}),
    ]:
        assert value(after, name, **labels) - value(before, name, **labels) == 1, name


def test_metrics_need_the_token_when_one_is_set(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    settings = real_settings.model_copy(
        update={"feedback_db": tmp_path / "f.db", "metrics_token": "s3cret-token"}
    )
    with LiveServer(create_app(settings, embedder=real_embedder)) as server:
        refused = httpx.get(f"{server.url}/metrics")
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
        assert refused.json() == {
            "error": {
                "code": "unauthorized",
                "message": "GET /metrics needs the metrics bearer token.",
            }
        }
        wrong = {"Authorization": "Bearer nope"}
        assert httpx.get(f"{server.url}/metrics", headers=wrong).status_code == 401
        right = {"Authorization": "Bearer s3cret-token"}
        assert httpx.get(f"{server.url}/metrics", headers=right).status_code == 200


def test_json_logs_are_one_object_per_request_with_id_and_no_question(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("faqbot")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    settings = real_settings.model_copy(update={"feedback_db": tmp_path / "f.db"})
    try:
        with LiveServer(create_app(settings, embedder=real_embedder)) as server:
            response = httpx.post(
                f"{server.url}/ask",
                json={"question": "How long does each infusion session take, 4815162342?"},
                headers={"X-Request-ID": "req-42"},
            )
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert response.headers["X-Request-ID"] == "req-42"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    request_lines = [e for e in lines if e.get("request_id") == "req-42"]
    assert len(request_lines) == 1
    entry = request_lines[0]
    assert entry["path"] == "/ask" and entry["status"] == 200 and entry["outcome"] == "answered"
    assert entry["index_version"] == response.json()["index_version"]
    assert isinstance(entry["latency_ms"], float)
    assert "4815162342" not in stream.getvalue()


def test_the_serve_log_config_formats_uvicorn_and_faqbot_alike() -> None:
    config = log_config("json")
    assert config["formatters"]["faqbot"]["()"].endswith("JsonFormatter")
    assert config["loggers"]["uvicorn.error"]["propagate"] is True
