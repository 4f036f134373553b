"""Privacy by default: a question never reaches any log, at any level, however it is sent."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.http.app import create_app
from faqbot.settings import Settings

from ..conftest import LiveServer

pytestmark = pytest.mark.slow

MARKER = "zqxv7731marker"
CLIENT_LOGGERS = ("httpx", "httpcore")  # the test's own HTTP client, not the server


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(CLIENT_LOGGERS):
            # the message and every attribute (extra fields of structured logs included)
            self.lines.append(
                f"{record.name} {record.levelname} {record.getMessage()} {record.__dict__}"
            )


@pytest.fixture
def debug_logs() -> Iterator[Collect]:
    """Every logger at DEBUG, collected at the root and on uvicorn's own (non-propagating) ones."""
    handler = Collect()
    names = ["", "faqbot", "uvicorn", "uvicorn.error", "uvicorn.access", "fastapi"]
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.addHandler(handler)
    yield handler
    for lg, level in zip(loggers, levels, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)


def test_marker_question_appears_in_no_log_line_at_debug(
    real_settings: Settings,
    real_embedder: SentenceTransformerEmbedder,
    debug_logs: Collect,
    capfd: pytest.CaptureFixture[str],
) -> None:
    app = create_app(real_settings, embedder=real_embedder)
    with LiveServer(app, log_level="debug") as server:
        # uvicorn's log config at start-up resets its loggers: attach again
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            logging.getLogger(name).setLevel(logging.DEBUG)
            logging.getLogger(name).addHandler(debug_logs)
        url = server.url
        asked = [
            httpx.post(
                f"{url}/ask",
                json={"question": f"How long does each infusion session take? ({MARKER})"},
            ),
            httpx.post(f"{url}/ask", json={"question": f"What dose should I take {MARKER}?"}),
            httpx.post(f"{url}/ask", json={"question": f"I want to end my life {MARKER}"}),
            httpx.post(f"{url}/ask", json={"question": f"{MARKER} " * 200}),  # too long: 422
            httpx.post(f"{url}/ask", json={"question": MARKER, "extra": {"n": [MARKER]}}),
            httpx.post(
                f"{url}/ask",
                content=f'{{"question": "{MARKER}'.encode(),  # malformed: 400
                headers={"content-type": "application/json"},
            ),
            httpx.post(
                f"{url}/ask", content=MARKER.encode(), headers={"content-type": "text/plain"}
            ),
            httpx.get(f"{url}/ask/{MARKER}"),  # in the path: 404
            httpx.post(f"{url}/ask?q={MARKER}", json={"question": MARKER}),  # in the query
            httpx.get(f"{url}/search", params={"q": f"session length {MARKER}"}),  # staff search
        ]
    statuses = [r.status_code for r in asked]
    assert statuses[:3] == [200, 200, 200]
    assert {r.json()["status"] for r in asked[:3]} == {"answered", "fallback", "emergency"}
    assert statuses[3:8] == [422, 200, 400, 415, 404]
    out, err = capfd.readouterr()
    served = [line for line in debug_logs.lines if "'request_id':" in line]
    assert len(served) >= len(asked)  # the request log did run at DEBUG and saw every request
    assert MARKER not in "\n".join(debug_logs.lines)
    assert MARKER.lower() not in (out + err).lower()


def test_only_an_operator_opt_in_puts_the_question_in_the_request_log(
    real_settings: Settings,
    real_embedder: SentenceTransformerEmbedder,
    debug_logs: Collect,
) -> None:
    opted_in = real_settings.model_copy(update={"log_questions": True})
    with LiveServer(create_app(opted_in, embedder=real_embedder)) as server:
        httpx.post(f"{server.url}/ask", json={"question": f"How long is a session {MARKER}?"})
    assert MARKER in "\n".join(debug_logs.lines)  # the capture would see it (and the default test
    # above, with the same capture, proves it is absent without the opt-in)


def test_uvicorn_logs_a_crash_without_the_traceback_that_could_quote_the_question(
    debug_logs: Collect,
) -> None:
    from faqbot.http.guards import silence_access_log

    silence_access_log()
    try:
        raise ValueError(f"bad question {MARKER}")
    except ValueError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application\n")
    logged = "\n".join(debug_logs.lines)
    assert "Exception in ASGI application (ValueError; traceback withheld" in logged
    assert MARKER not in logged
