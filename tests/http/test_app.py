"""End to end over real HTTP: a real uvicorn server on 127.0.0.1 with the real model and FAISS."""

from __future__ import annotations

import httpx
import pytest

from faqbot.corpus.articles import load_articles

from ..conftest import CORPUS, LiveServer

pytestmark = pytest.mark.slow

BODIES = {a.id: a.body for a in load_articles(CORPUS)}


def _ask(server: LiveServer, question: object) -> httpx.Response:
    return httpx.post(f"{server.url}/ask", json={"question": question}, timeout=30)


def assert_verbatim(payload: dict) -> None:  # type: ignore[type-arg]
    for passage in payload["passages"]:
        assert passage["text"] in BODIES[passage["article_id"]]


def test_session_length_question_is_answered_verbatim_with_a_section_link(
    live_server: LiveServer,
) -> None:
    response = _ask(live_server, "How long does each infusion session take?")
    assert response.status_code == 200
    payload = response.json()
    assert payload["status"] == "answered"
    top = payload["passages"][0]
    assert "45 minutes to an hour" in top["text"]
    assert top["url"].endswith("#administration-process")
    assert top["article_title"] == "Ketamine Infusions"
    assert payload["index_version"]
    assert_verbatim(payload)


def test_crisis_message_gets_the_emergency_wording_and_no_passages(live_server: LiveServer) -> None:
    payload = _ask(live_server, "I am going to end my life").json()
    assert payload["status"] == "emergency"
    assert "988" in payload["message"]
    assert payload["passages"] == []


def test_dose_question_gets_the_approved_fallback(live_server: LiveServer) -> None:
    payload = _ask(live_server, "How many milligrams are in a typical dose?").json()
    assert payload["status"] == "fallback"
    assert payload["message"].startswith("This question is best answered by a healthcare provider")
    assert payload["passages"] == []


def test_healthz_reports_the_loaded_index_version(live_server: LiveServer) -> None:
    response = httpx.get(f"{live_server.url}/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["index_version"]


def test_openapi_docs_are_served(live_server: LiveServer) -> None:
    assert httpx.get(f"{live_server.url}/docs").status_code == 200
    assert "/ask" in httpx.get(f"{live_server.url}/openapi.json").json()["paths"]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"question": ""}, 422, "type a question"),
        ({"question": "   \n\t "}, 422, "type a question"),
        ({"question": "x" * 1001}, 422, "1000 characters"),
        ({"question": 42}, 422, "must be a string"),
        ({"text": "hello"}, 422, '"question" field'),
        (["How long?"], 422, "JSON"),
    ],
)
def test_bad_input_gets_a_4xx_a_person_understands(
    live_server: LiveServer, body: object, status: int, words: str
) -> None:
    response = httpx.post(f"{live_server.url}/ask", json=body)
    assert response.status_code == status
    assert words in response.json()["error"]["message"]


def test_body_that_is_not_json_is_a_400(live_server: LiveServer) -> None:
    response = httpx.post(
        f"{live_server.url}/ask", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]["message"]


def test_a_question_of_exactly_the_limit_is_accepted(live_server: LiveServer) -> None:
    assert _ask(live_server, "a" * 1000).status_code == 200
