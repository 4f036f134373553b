"""No question text reaches the logs, the feedback database or the report unless the operator
opted in to the unanswered report — and then only scrubbed."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.http.app import create_app
from faqbot.operations.logs import JsonFormatter, TextFormatter
from faqbot.operations.report import build_report
from faqbot.operations.report_rendering import RENDERERS
from faqbot.settings import Settings

from ..conftest import CORPUS, LiveServer

pytestmark = pytest.mark.slow

# The phone number in every form it could leak in; a bare "867" also occurs by chance in
# hex request ids, timestamps and latencies, which made the check flaky.
PHONE_FORMS = ("555-867-5309", "867-5309", "8675309", "555 867")
PHONE_PARTS = re.compile(r"(?<![\w.])(?:867|5309)(?![\w.])")  # a part left behind by a scrub
MARKER = "infusionzorblax"  # unique; starts with a corpus word, so the scope guard reads it as a compound
PERSONAL = "My name is Quentin Vasquez, 555-867-5309, qv@example.org"
QUESTIONS = [
    f"How long does each infusion session take {MARKER}?",  # answered
    f"{PERSONAL}: is there {MARKER} parking at the clinic?",  # fallback, nothing covers it
    f"{PERSONAL}: where is the {MARKER} parking garage?",  # fallback
    f"How much ketamine should I take {MARKER}?",  # fallback, personal advice
    f"I want to end my life {MARKER}",  # emergency: never stored
]


@pytest.fixture
def all_logs() -> Iterator[io.StringIO]:
    """Everything any logger writes at any level, in both formats."""
    stream = io.StringIO()
    handlers = [logging.StreamHandler(stream), logging.StreamHandler(stream)]
    handlers[0].setFormatter(TextFormatter())
    handlers[1].setFormatter(JsonFormatter())
    root = logging.getLogger()
    old = root.level
    root.setLevel(logging.DEBUG)
    for handler in handlers:
        root.addHandler(handler)
    yield stream
    for handler in handlers:
        root.removeHandler(handler)
    root.setLevel(old)


def serve_and_ask(settings: Settings, embedder: SentenceTransformerEmbedder) -> list[str]:
    statuses = []
    with LiveServer(create_app(settings, embedder=embedder)) as server:
        for question in QUESTIONS:
            body = httpx.post(f"{server.url}/ask", json={"question": question}, timeout=30).json()
            statuses.append(body["status"])
            vote = {"answer_id": body["answer_id"], "helpful": False}
            assert httpx.post(f"{server.url}/feedback", json=vote).status_code == 200
    return statuses


def stored_bytes(db: Path) -> str:
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*")).decode("latin-1")


def reports(db: Path, settings: Settings, embedder: SentenceTransformerEmbedder) -> str:
    report = build_report(
        db, CORPUS, since=None, unanswered_on=settings.unanswered_report,
        embedder_factory=lambda: embedder,
    )  # fmt: skip
    return "".join(render(report) for render in RENDERERS.values())


def test_by_default_no_question_text_is_logged_stored_or_reported(
    real_settings: Settings,
    real_embedder: SentenceTransformerEmbedder,
    tmp_path: Path,
    all_logs: io.StringIO,
) -> None:
    db = tmp_path / "f.db"
    settings = real_settings.model_copy(update={"feedback_db": db})
    statuses = serve_and_ask(settings, real_embedder)
    assert statuses == ["answered", "fallback", "fallback", "fallback", "emergency"]
    assert "request_id=" in all_logs.getvalue()  # the capture works
    for place, text in [
        ("logs", all_logs.getvalue()),
        ("database", stored_bytes(db)),
        ("report", reports(db, settings, real_embedder)),
    ]:
        for fragment in (MARKER, "Quentin", "Vasquez", *PHONE_FORMS, "qv@example", "end my life"):
            assert fragment not in text, (place, fragment)
        # Logs carry unrelated numbers (pids, timings, counts) from the whole session, so the
        # stray-part check is for what holds scrubbed text; the question never reaches logs.
        if place != "logs":
            assert not PHONE_PARTS.search(text), place


def test_opted_in_only_scrubbed_fallback_questions_are_stored(
    real_settings: Settings,
    real_embedder: SentenceTransformerEmbedder,
    tmp_path: Path,
    all_logs: io.StringIO,
) -> None:
    db = tmp_path / "f.db"
    settings = real_settings.model_copy(update={"feedback_db": db, "unanswered_report": True})
    serve_and_ask(settings, real_embedder)
    stored = stored_bytes(db)
    assert stored.count(MARKER) >= 3  # the opt-in works: three fallback questions kept
    assert "[name]" in stored and "[phone]" in stored and "[email]" in stored
    for fragment in ("Quentin", "Vasquez", *PHONE_FORMS, "qv@example", "end my life"):
        assert fragment not in stored, fragment
    assert not PHONE_PARTS.search(stored)
    assert MARKER not in all_logs.getvalue()  # logs stay clean even when opted in
    report = reports(db, settings, real_embedder)
    assert "Quentin" not in report
    assert not any(form in report for form in PHONE_FORMS) and not PHONE_PARTS.search(report)
