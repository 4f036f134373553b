"""Wiring of metrics, request logs, visitor feedback and the unanswered report into the app.

app.py calls four functions here and nothing else: `install_operations` (create_app),
`on_loaded` / `on_shutdown` (lifespan), `after_answer` (/ask) and `on_request` (the request
middleware). Everything is switched by settings: FAQBOT_METRICS, FAQBOT_FEEDBACK,
FAQBOT_UNANSWERED_REPORT.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictBool

from faqbot.http.errors import error_response
from faqbot.http.metrics import router as metrics_router
from faqbot.http.rate_limit import LIMITED_PATHS
from faqbot.models import Answer
from faqbot.operations import metrics
from faqbot.operations.feedback import FeedbackRefused, FeedbackStore, ShownPassage
from faqbot.operations.unanswered import Scrubber, UnansweredStore
from faqbot.settings import Settings

log = logging.getLogger("faqbot.api")


class FeedbackIn(BaseModel):
    """A visitor's vote on one answer."""

    answer_id: str = Field(..., min_length=1, max_length=64, description="From the /ask response.")
    helpful: StrictBool = Field(..., description="true for Yes, false for No.")


class FeedbackOut(BaseModel):
    status: Literal["recorded"]


class Operations:
    """Per-app state: stores opened on first use (each worker process opens its own)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._feedback: FeedbackStore | None = None
        self._unanswered: UnansweredStore | None = None
        self._scrubber: tuple[str, Scrubber] | None = None

    def feedback_store(self) -> FeedbackStore | None:
        if not self.settings.feedback:
            return None
        if self._feedback is None:
            with self._lock:
                if self._feedback is None:
                    s = self.settings
                    self._feedback = FeedbackStore(
                        s.feedback_db_path(), s.feedback_ttl_hours, s.feedback_max_pending
                    )
        return self._feedback

    def unanswered_store(self) -> UnansweredStore | None:
        if not self.settings.unanswered_report:
            return None
        if self._unanswered is None:
            with self._lock:
                if self._unanswered is None:
                    s = self.settings
                    self._unanswered = UnansweredStore(
                        s.feedback_db_path(), s.unanswered_retention_days, s.unanswered_max_rows
                    )
        return self._unanswered

    def scrubber(self, app: FastAPI) -> Scrubber:
        """Knows the served articles' words, so their terms survive scrubbing."""
        state = app.state.answerer.state
        if self._scrubber is None or self._scrubber[0] != state.version:
            texts: list[str] = []
            for p in state.index.passages:
                texts += [p.text, p.section, p.article_title]
            self._scrubber = (state.version, Scrubber(texts))
        return self._scrubber[1]

    @staticmethod
    def route_label(request: Request) -> str:
        """The route template that served a request (e.g. "/ask"), so that metric labels stay
        few whatever paths clients send; "unmatched" for 404s. A request the rate limiter
        refused never reached routing: its path is one of the limiter's own fixed paths."""
        route = request.scope.get("route")
        path = getattr(route, "path", None)
        if isinstance(path, str) and path:
            return path
        if request.url.path in LIMITED_PATHS:
            return request.url.path
        return "mounted" if "endpoint" in request.scope else "unmatched"

    def close(self) -> None:
        for store in (self._feedback, self._unanswered):
            if store is not None:
                store.close()


def ops_of(app: FastAPI) -> Operations:
    ops: Operations = app.state.operations
    return ops


def install_operations(app: FastAPI, settings: Settings) -> None:
    app.state.operations = Operations(settings)
    if settings.metrics:
        app.include_router(metrics_router)
    app.include_router(feedback_router)


def on_loaded(app: FastAPI) -> None:
    """After the model and index are loaded in this worker."""
    ops = ops_of(app)
    answerer = app.state.answerer
    if ops.settings.metrics and answerer is not None:
        answerer.stage_timer = metrics.observe_stage
        metrics.set_index(answerer.state.version, len(answerer.state.index.passages))


def on_shutdown(app: FastAPI) -> None:
    ops_of(app).close()
    if ops_of(app).settings.metrics:
        metrics.mark_process_dead()


def after_answer(request: Request, question: str, answer: Answer) -> str | None:
    """Issue the answer_id (feedback on) and keep the scrubbed question (opt-in, fallback only)."""
    ops = ops_of(request.app)
    try:
        if answer.status == "fallback" and ops.settings.unanswered_report:
            store = ops.unanswered_store()
            if store is not None:
                reason = "advice" if answer.reason.startswith("advice") else "no-match"
                store.add(ops.scrubber(request.app).scrub(question), reason)
        store_f = ops.feedback_store()
        if store_f is None:
            return None
        shown = [
            ShownPassage(h.passage.id, h.passage.article_id, h.passage.section, h.passage.url)
            for h in answer.hits
        ]
        return store_f.issue(answer.status, shown)
    except (sqlite3.Error, OSError) as exc:  # the visitor still gets the answer, without buttons
        log.error("feedback database unavailable: %s", type(exc).__name__)
        return None


def on_request(
    request: Request, response: Response, seconds: float, fields: dict[str, Any]
) -> None:
    """From the request middleware: metrics and the one log line (never the question)."""
    ops = ops_of(request.app)
    if ops.settings.metrics:
        path = ops.route_label(request)
        metrics.observe_request(
            path, request.method, response.status_code, seconds, str(fields.get("outcome", "-"))
        )
        version = getattr(request.state, "index_version", None)
        answerer = getattr(request.app.state, "answerer", None)
        if version and answerer is not None and answerer.state.version == version:
            metrics.set_index(version, len(answerer.state.index.passages))  # after a reload
    log.info("request", extra={"fields": fields})


def _operations(request: Request) -> Operations:
    return ops_of(request.app)


feedback_router = APIRouter()


@feedback_router.post(
    "/feedback",
    response_model=FeedbackOut,
    responses={
        404: {"description": "Unknown or expired answer_id, or feedback is off"},
        409: {"description": "Feedback for this answer_id is already recorded"},
    },
)
def feedback(
    body: FeedbackIn, ops: Annotated[Operations, Depends(_operations)]
) -> FeedbackOut | JSONResponse:
    """Record Yes/No for the passages shown in one answer (never the question)."""
    if not ops.settings.feedback:
        return error_response(404, "feedback_off", "Feedback is switched off on this server.")
    try:
        store = ops.feedback_store()
        assert store is not None
        store.vote(body.answer_id, body.helpful)
    except (sqlite3.Error, OSError) as exc:
        log.error("feedback database unavailable: %s", type(exc).__name__)
        return error_response(503, "feedback_unavailable", "Feedback cannot be recorded right now.")
    except FeedbackRefused as exc:
        status = 409 if exc.code == "duplicate_feedback" else 404
        return error_response(status, exc.code, exc.message)
    if ops.settings.metrics:
        metrics.record_feedback(body.helpful)
    return FeedbackOut(status="recorded")
