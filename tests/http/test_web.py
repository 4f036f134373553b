"""The web routes over HTTP: pages with their CSP, the widget file, /search's contract and
validation, and CORS from FAQBOT_ALLOWED_ORIGINS. Browser behaviour is in tests/browser/."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from faqbot.http.app import create_app
from faqbot.http.guards import CONTENT_SECURITY_POLICY
from faqbot.http.web import STATIC_DIR
from faqbot.settings import Settings, to_environment

from ..conftest import FakeEmbedder, LiveServer

WIDGET_MAX_BYTES = 15_000
CLINIC = "https://clinic.example"


def client(**settings: object) -> TestClient:
    """The app without its lifespan: routes that need no model or index."""
    return TestClient(create_app(Settings(**settings), embedder=FakeEmbedder()))  # type: ignore[arg-type]


@pytest.mark.parametrize(("path", "marker"), [("/", "widget.js"), ("/staff", "staff.js")])
def test_pages_are_html_with_the_strict_csp(path: str, marker: str) -> None:
    response = client().get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert marker in response.text


def test_widget_is_one_small_javascript_file_with_a_short_cache() -> None:
    response = client().get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert len(response.content) == (STATIC_DIR / "widget.js").stat().st_size <= WIDGET_MAX_BYTES


def test_widget_never_writes_html_storage_or_cookies() -> None:
    text = (STATIC_DIR / "widget.js").read_text(encoding="utf-8")
    source = re.sub(r"//[^\n]*", "", re.sub(r"/\*.*?\*/", "", text, flags=re.S))  # code only
    for forbidden in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "localStorage",
        "sessionStorage",
        "document.cookie",
        "eval(",
        "indexedDB",
    ):
        assert forbidden not in source, forbidden
    assert 'attachShadow({ mode: "open" })' in source


def test_static_files_are_served_and_a_missing_one_is_a_json_404() -> None:
    assert client().get("/static/demo.css").headers["content-type"].startswith("text/css")
    missing = client().get("/static/nope.css")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_allowed_origin_may_post_questions_without_credentials() -> None:
    preflight = client(allowed_origins=[CLINIC]).options(
        "/ask",
        headers={
            "Origin": CLINIC,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == CLINIC
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in preflight.headers


@pytest.mark.parametrize("allowed", [[], ["https://other.example"]])
def test_other_origins_get_no_cors_grant(allowed: list[str]) -> None:
    app = client(allowed_origins=allowed)
    preflight = app.options(
        "/ask", headers={"Origin": CLINIC, "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in preflight.headers
    simple = app.get("/widget.js", headers={"Origin": CLINIC})
    assert "access-control-allow-origin" not in simple.headers


def test_any_other_preflight_refusal_is_still_the_one_json_error_shape() -> None:
    """A refusal with no specific message (private-network access, which faqbot never grants)
    still gets the JSON shape rather than Starlette's text/plain."""
    preflight = client(allowed_origins=[CLINIC]).options(
        "/ask",
        headers={
            "Origin": CLINIC,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    assert preflight.status_code == 400
    assert preflight.json()["error"]["code"] == "cors_preflight_refused"
    assert "access-control-allow-private-network" not in preflight.headers


def test_allowed_origins_setting_is_comma_separated_and_survives_the_worker_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().allowed_origins == []
    monkeypatch.setenv("FAQBOT_ALLOWED_ORIGINS", f" {CLINIC}, http://127.0.0.1:9000 ")
    monkeypatch.setenv("FAQBOT_ADMIN_TOKEN", "s3cret")
    settings = Settings()
    assert settings.allowed_origins == [CLINIC, "http://127.0.0.1:9000"]
    for name, value in to_environment(settings).items():
        monkeypatch.setenv(name, value)
    assert Settings().allowed_origins == settings.allowed_origins
    assert Settings().admin_token == settings.admin_token  # a secret, not its "****" mask
    monkeypatch.setenv("FAQBOT_ALLOWED_ORIGINS", "")
    assert Settings().allowed_origins == []


@pytest.mark.parametrize(
    "bad", ["clinic.example", "https://clinic.example/page", "ftp://x.example"]
)
def test_allowed_origins_rejects_what_is_not_an_origin(bad: str) -> None:
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings(allowed_origins=bad)  # type: ignore[arg-type]


def _search(server: LiveServer, **params: object) -> httpx.Response:
    return httpx.get(f"{server.url}/search", params=params, timeout=30)  # type: ignore[arg-type]


@pytest.mark.slow
def test_search_ranks_like_ask_and_returns_the_staff_fields(live_server: LiveServer) -> None:
    question = "How long does each infusion session take?"
    asked = httpx.post(f"{live_server.url}/ask", json={"question": question}, timeout=30).json()
    found = _search(live_server, q=question).json()
    assert len(found["results"]) == 10  # default k
    top = found["results"][0]
    assert top["id"] == asked["passages"][0]["id"]
    assert top["score"] == asked["passages"][0]["score"]
    assert set(top) == {
        "id",
        "text",
        "article_id",
        "article_title",
        "section",
        "url",
        "score",
        "version",
        "approved_on",
    }
    scores = [r["score"] for r in found["results"]]
    assert scores == sorted(scores, reverse=True)
    assert found["articles"] == [{"id": "ketamine-infusions", "title": "Ketamine Infusions"}]
    assert found["index_version"] == asked["index_version"]


@pytest.mark.slow
def test_search_shows_passages_below_the_answer_threshold(
    live_server: LiveServer, real_settings: Settings
) -> None:
    question = "Who won the football game last night?"
    asked = httpx.post(f"{live_server.url}/ask", json={"question": question}, timeout=30).json()
    assert asked["status"] == "fallback" and asked["passages"] == []
    found = _search(live_server, q=question, k=3).json()["results"]
    assert len(found) == 3
    assert all(isinstance(r["score"], float) for r in found)


@pytest.mark.slow
def test_search_filters_by_article_and_allows_k_up_to_50(live_server: LiveServer) -> None:
    found = _search(live_server, q="side effects", k=50, article="ketamine-infusions").json()
    assert 10 < len(found["results"]) <= 50
    assert {r["article_id"] for r in found["results"]} == {"ketamine-infusions"}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "empty_query"),
        ({"q": "   "}, "empty_query"),
        ({"q": "x" * 1001}, "query_too_long"),
        ({"q": "risks", "k": "0"}, "invalid_k"),
        ({"q": "risks", "k": "51"}, "invalid_k"),
        ({"q": "risks", "k": "ten"}, "invalid_k"),
        ({"q": "risks", "k": ""}, "invalid_k"),
        ({"q": "risks", "k": " 5"}, "invalid_k"),  # the schema's integer: digits only
        ({"q": "risks", "k": "+5"}, "invalid_k"),
        ({"q": "risks", "k": "1_0"}, "invalid_k"),
        ({"q": "risks " + " " * 1000}, "query_too_long"),  # over the limit as sent
        ({"q": "risks", "article": "no-such-article"}, "unknown_article"),
    ],
)
def test_search_refuses_bad_parameters_with_a_422_in_the_error_shape(
    live_server: LiveServer, params: dict[str, str], code: str
) -> None:
    response = _search(live_server, **params)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def _search_operation(app: TestClient) -> dict[str, Any]:
    operation: dict[str, Any] = app.get("/openapi.json").json()["paths"]["/search"]["get"]
    return operation


@pytest.mark.parametrize("per_minute", [60, 0])
def test_search_schema_declares_its_errors_in_the_one_shape(per_minute: int) -> None:
    responses = _search_operation(client(rate_limit_per_minute=per_minute))["responses"]
    error = {"$ref": "#/components/schemas/ErrorResponse"}
    declared = set(responses) - {"200"}
    assert declared == ({"422", "503", "429"} if per_minute else {"422", "503"})
    for status in declared:
        assert responses[status]["content"]["application/json"]["schema"] == error
    if per_minute:
        assert "Retry-After" in responses["429"]["headers"]


def test_search_schema_declares_the_parameters_search_enforces() -> None:
    operation = _search_operation(client(max_question_chars=300))
    parameters = {p["name"]: p for p in operation["parameters"]}
    q, k, article = parameters["q"], parameters["k"], parameters["article"]
    assert q["required"] is True
    assert q["schema"]["minLength"] == 1 and q["schema"]["maxLength"] == 300
    assert q["schema"]["pattern"]  # at least one visible character, as /ask's question
    assert k["required"] is False
    assert (k["schema"]["type"], k["schema"]["minimum"], k["schema"]["maximum"]) == (
        "integer",
        1,
        50,
    )
    assert article["required"] is False
    assert article["schema"] == {"title": "Article", "type": "string"}  # no index loaded here


@pytest.mark.slow
def test_search_schema_lists_the_served_articles(live_server: LiveServer) -> None:
    schema = httpx.get(f"{live_server.url}/openapi.json", timeout=30).json()
    parameters = schema["paths"]["/search"]["get"]["parameters"]
    article = next(p for p in parameters if p["name"] == "article")
    served = _search(live_server, q="risks").json()["articles"]
    assert article["schema"]["enum"] == [a["id"] for a in served] == ["ketamine-infusions"]
