"""Security headers, body guards and the not-ready state, over real HTTP where it matters."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.http.app import create_app
from faqbot.http.guards import API_CSP, BASE_HEADERS, SecurityHeaders, request_id_from
from faqbot.http.guards import CONTENT_SECURITY_POLICY as PAGE_CSP
from faqbot.settings import Settings

from ..conftest import FakeEmbedder, LiveServer


@pytest.mark.slow
def test_every_json_response_carries_the_security_headers_and_no_banner_or_cookie(
    live_server: LiveServer,
) -> None:
    responses = [
        httpx.get(f"{live_server.url}/healthz"),
        httpx.post(f"{live_server.url}/ask", json={"question": "How long is a session?"}),
        httpx.post(f"{live_server.url}/ask", json={"question": ""}),
        httpx.get(f"{live_server.url}/nowhere"),
        httpx.get(f"{live_server.url}/openapi.json"),
    ]
    for response in responses:
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert (
            response.headers["content-security-policy"]
            == "default-src 'none'; frame-ancestors 'none'"
        )
        assert "server" not in response.headers
        assert "set-cookie" not in response.headers
        assert re.fullmatch(r"[A-Za-z0-9._-]{1,64}", response.headers["x-request-id"])


CLINIC = "https://clinic.example"
STRANGER = "https://stranger.example"


@pytest.fixture(scope="module")
def cors_server(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder
) -> Iterator[LiveServer]:
    """The real app on real uvicorn, with one allowed cross-origin site."""
    settings = real_settings.model_copy(update={"allowed_origins": [CLINIC]})
    with LiveServer(create_app(settings, embedder=real_embedder)) as server:
        yield server


def _assert_security_headers(response: httpx.Response) -> None:
    for name, value in BASE_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.headers)
    assert response.headers.get("content-security-policy") == API_CSP
    assert "server" not in response.headers
    assert "set-cookie" not in response.headers
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,64}", response.headers.get("x-request-id", ""))


@pytest.mark.slow
@pytest.mark.parametrize(("path", "method"), [("/ask", "POST"), ("/search", "GET")])
@pytest.mark.parametrize("origin", [CLINIC, STRANGER])
def test_cors_preflights_carry_the_security_headers_for_allowed_and_other_origins(
    cors_server: LiveServer, path: str, method: str, origin: str
) -> None:
    preflight = httpx.options(
        f"{cors_server.url}{path}",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=30,
    )
    if origin == CLINIC:
        assert preflight.status_code == 200
        assert preflight.text == "OK"  # Starlette's grant, unchanged
        assert preflight.headers["access-control-allow-origin"] == CLINIC
        assert method in preflight.headers["access-control-allow-methods"]
    else:
        assert preflight.status_code == 400
        assert preflight.headers["content-type"] == "application/json"
        error = preflight.json()["error"]
        assert error["code"] == "cors_origin_not_allowed"
        assert "FAQBOT_ALLOWED_ORIGINS" in error["message"]
        assert set(preflight.json()) == {"error"} and set(error) == {"code", "message"}
        assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-credentials" not in preflight.headers
    _assert_security_headers(preflight)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("requested", "code", "named"),
    [
        ({"Access-Control-Request-Method": "DELETE"}, "cors_method_not_allowed", "GET, POST"),
        (
            {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-evil"},
            "cors_headers_not_allowed",
            "content-type",
        ),
    ],
)
def test_a_refused_preflight_from_an_allowed_origin_is_a_json_error_with_security_headers(
    cors_server: LiveServer, requested: dict[str, str], code: str, named: str
) -> None:
    """The allowed site asks for a method or header faqbot does not allow: the one error shape,
    saying what is allowed, instead of Starlette's plain-text "Disallowed CORS ..."."""
    preflight = httpx.options(
        f"{cors_server.url}/ask", headers={"Origin": CLINIC, **requested}, timeout=30
    )
    assert preflight.status_code == 400
    assert preflight.headers["content-type"] == "application/json"
    error = preflight.json()["error"]
    assert error["code"] == code
    assert named in error["message"]
    assert "access-control-allow-credentials" not in preflight.headers
    _assert_security_headers(preflight)


@pytest.mark.slow
def test_a_guard_refusal_seen_cross_origin_carries_the_cors_grant_and_security_headers(
    cors_server: LiveServer,
) -> None:
    """CORS sits inside the security headers but outside the body guard and rate limit, so the
    widget on an allowed site can read a 415/413/429 and the refusal is still hardened."""
    refused = httpx.post(
        f"{cors_server.url}/ask",
        content=b"question=hi",
        headers={"Origin": CLINIC, "Content-Type": "text/plain"},
        timeout=30,
    )
    assert refused.status_code == 415
    assert refused.json()["error"]["code"] == "unsupported_media_type"
    assert refused.headers["access-control-allow-origin"] == CLINIC
    _assert_security_headers(refused)


@pytest.mark.slow
def test_docs_page_allows_its_inline_script_only_by_hash(live_server: LiveServer) -> None:
    response = httpx.get(f"{live_server.url}/docs")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    inline = re.search(r"<script>(.*?)</script>", response.text, re.DOTALL)
    assert inline is not None
    digest = base64.b64encode(hashlib.sha256(inline.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def _page_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(SecurityHeaders, doc_paths=frozenset(), page_csp=PAGE_CSP)

    @app.get("/staff")
    def staff() -> HTMLResponse:
        return HTMLResponse("<html><script src='/static/staff.js'></script></html>")

    @app.get("/")
    def page() -> HTMLResponse:
        return HTMLResponse("<html></html>")

    @app.get("/own")
    def own_policy() -> HTMLResponse:
        return HTMLResponse(
            "<html></html>", headers={"Content-Security-Policy": "default-src 'self'"}
        )

    return app


def test_pages_get_a_policy_without_inline_script() -> None:
    response = TestClient(_page_app()).get("/")
    assert response.headers["content-security-policy"] == PAGE_CSP
    assert "unsafe-inline" not in PAGE_CSP and "script-src 'self'" in PAGE_CSP


def test_staff_page_may_not_be_framed() -> None:
    app = FastAPI()
    app.add_middleware(SecurityHeaders, doc_paths=frozenset(), page_csp="default-src 'self'")

    @app.get("/staff")
    def staff() -> HTMLResponse:
        return HTMLResponse("<html></html>")

    response = TestClient(app).get("/staff")
    assert response.headers["content-security-policy"].endswith("frame-ancestors 'none'")
    assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.slow
def test_served_pages_carry_the_page_policy_and_staff_cannot_be_framed(
    live_server: LiveServer,
) -> None:
    for path in ("/", "/staff"):
        response = httpx.get(f"{live_server.url}{path}")
        assert response.status_code == 200
        policy = response.headers["content-security-policy"]
        assert "unsafe-inline" not in policy and "script-src 'self'" in policy
        assert "<script>" not in response.text  # no inline script on our pages
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    staff = httpx.get(f"{live_server.url}/staff")
    assert "frame-ancestors 'none'" in staff.headers["content-security-policy"]
    assert staff.headers["x-frame-options"] == "DENY"


def test_a_page_that_sets_its_own_policy_keeps_it() -> None:
    response = TestClient(_page_app()).get("/own")
    assert response.headers["content-security-policy"] == "default-src 'self'"
    assert response.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        ("abc-123", True),
        ("A.b_c-9", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("a b", False),
        ("a\r\nb", False),
        ("<script>", False),
        ("", False),
        (None, False),
    ],
)
def test_request_id_is_kept_only_when_safe(header: str | None, kept: bool) -> None:
    result = request_id_from(header)
    assert (result == header) is kept
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,64}", result)


def test_body_limit_is_a_setting() -> None:
    client = TestClient(create_app(Settings(max_body_bytes=100, index_dir="/nonexistent")))
    small = client.post("/ask", json={"question": "x" * 50})
    big = client.post("/ask", json={"question": "x" * 200})
    assert small.status_code == 503  # through the guard; the index is not loaded
    assert big.status_code == 413
    assert big.json()["error"]["code"] == "body_too_large"
    assert "100 bytes" in big.json()["error"]["message"]


def test_while_not_loaded_ask_and_healthz_answer_503_without_revealing_paths(
    caplog: pytest.LogCaptureFixture, fake_embedder: FakeEmbedder
) -> None:
    secret_path = "/nonexistent/private-index-folder"
    app = create_app(Settings(index_dir=secret_path), embedder=fake_embedder)
    with caplog.at_level(logging.INFO, logger="faqbot"), TestClient(app) as client:
        ask = client.post("/ask", json={"question": "How long is a session?"})
        health = client.get("/healthz")
    for response in (ask, health):
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "not_ready"
        assert secret_path not in response.text
    assert any(secret_path in record.getMessage() for record in caplog.records)  # for operators


def test_a_bug_is_a_500_in_the_one_shape_with_the_request_id_and_no_trace(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(Settings(index_dir="/nonexistent"))

    def boom() -> None:
        raise RuntimeError("secret detail: How long is a session?")

    app.add_api_route("/boom", boom)
    client = TestClient(app, raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR, logger="faqbot"):
        response = client.get("/boom", headers={"X-Request-ID": "req-42"})
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "req-42" in response.json()["error"]["message"]
    assert "secret detail" not in response.text and "Traceback" not in response.text
    assert response.headers["x-request-id"] == "req-42"
    assert response.headers["x-content-type-options"] == "nosniff"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "req-42" in logged and "RuntimeError" in logged and "secret detail" not in logged
