"""The HTTP API: the FastAPI app factory, `POST /ask`, `GET /healthz` and the error handlers.

Heavy objects (model, index) are loaded in the lifespan and hung on app.state; nothing heavy
happens at import. Every error is JSON `{"error": {"code", "message"}}` with a 4xx/503 status.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from faqbot import __version__
from faqbot.answering.answerer import Answerer
from faqbot.embedding.batching import BatchingEmbedder
from faqbot.embedding.encoder import Embedder, encoder_threads, limit_native_threads
from faqbot.embedding.query_cache import with_query_cache
from faqbot.errors import FaqbotError
from faqbot.http.admin import router as reload_router
from faqbot.http.deps import get_answerer, get_app_settings
from faqbot.http.errors import ApiProblem, error_response, error_responses
from faqbot.http.guards import BASE_HEADERS, install_guards, request_id_from
from faqbot.http.operations import (
    after_answer,
    install_operations,
    on_loaded,
    on_request,
    on_shutdown,
)
from faqbot.http.rate_limit import LIMITED_PATHS
from faqbot.http.schemas import AskRequest, AskResponse, HealthResponse, to_response
from faqbot.http.validation import validated_text
from faqbot.http.web import install_web
from faqbot.index.provenance import stale_articles
from faqbot.index.version import VERSIONS_DIR
from faqbot.serving.fleet import WorkerBoard
from faqbot.serving.reload import Reloader
from faqbot.serving.state import load_state, query_embedder
from faqbot.settings import Settings, get_settings
from faqbot.text.normalize import visible_char_pattern

log = logging.getLogger("faqbot.api")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def _validation_message(exc: RequestValidationError) -> tuple[int, str, str]:
    """Turn pydantic's error list into one sentence a person understands."""
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, "invalid_json", "The request body is not valid JSON."
    locations = [tuple(e.get("loc", ())) for e in errors]
    if any(loc[-1:] == ("question",) for loc in locations):
        kinds = {e.get("type") for e in errors}
        if "missing" in kinds:
            return 422, "missing_question", 'The JSON body needs a "question" field.'
        return 422, "invalid_question", 'The "question" field must be a string of text.'
    return 422, "invalid_request", 'Send a JSON object like {"question": "How long is a session?"}.'


def create_app(settings: Settings, embedder: Embedder | None = None) -> FastAPI:
    """Build the app; the model and index load in the lifespan (an embedder may be injected)."""
    app = FastAPI(
        title="faqbot",
        version=__version__,
        description="Answers only with approved article text, word for word.",
        lifespan=_lifespan(settings, embedder),
    )
    app.state.settings = settings
    _complete_schema(app, settings)
    app.include_router(reload_router)  # POST /admin/reload (404 unless FAQBOT_ADMIN_TOKEN)
    _install_error_handlers(app)
    install_guards(app, settings)  # before the request log, so it logs what the guards refuse
    _install_request_log(app, settings)
    install_operations(app, settings)

    install_web(app, settings)
    _install_routes(app, settings)  # GET /healthz, POST /ask
    return app


def _lifespan(
    settings: Settings, embedder: Embedder | None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Load before serving; while serving, watch for new versions and reload requests."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loading_since = time.monotonic()  # a reload request older than this needs no answer
        model = _load(app, settings, embedder)
        answerer = app.state.answerer
        runtime = settings.worker_runtime_dir  # set by `faqbot serve --workers N`
        app.state.reloader = Reloader(
            app,
            settings,
            answerer.embedder if answerer else model,
            on_swap=lambda: on_loaded(app),
            board=WorkerBoard(runtime) if runtime is not None else None,
            loaded_at=loading_since,
        )
        # Watches index/current and the other workers' requests; POST /admin/reload uses it too.
        app.state.reloader.start()
        try:
            yield
        finally:
            app.state.reloader.stop()
            on_shutdown(app)

    return lifespan


def _load(app: FastAPI, settings: Settings, embedder: Embedder | None) -> Embedder | None:
    """The model, the published version and their Answerer on app.state; a FaqbotError is kept
    as app.state.load_error instead (the app then answers 503). Returns the model, if any."""
    app.state.answerer = None
    app.state.load_error = None
    model: Embedder | None = None
    try:
        threads = encoder_threads(settings.encoder_threads, settings.workers)
        limit_native_threads(threads)
        model = embedder or query_embedder(settings, threads=threads)
        model.encode(["warm-up"])  # the first forward pass is slow; keep it off visitors
        state = load_state(settings, settings.index_dir, model)
        # Cache first (a repeated question never queues), then one encoder pass at a time.
        query_model = with_query_cache(BatchingEmbedder(model), settings.query_cache_size)
        app.state.answerer = Answerer(query_model, state, settings.candidates)
        log.info("loaded index %s", state.version)
        on_loaded(app)
    except FaqbotError as exc:
        app.state.load_error = str(exc)
        log.error("could not load: %s", exc)
    return model


def _install_routes(app: FastAPI, settings: Settings) -> None:
    """GET /healthz and POST /ask."""

    @app.get("/healthz", response_model=HealthResponse, responses=error_responses(503))
    def healthz(answerer: Annotated[Answerer, Depends(get_answerer)]) -> HealthResponse:
        """200 once the model and index are loaded."""
        version = answerer.state.version
        return HealthResponse(
            status="ok",
            index_version=version,
            faqbot_version=__version__,
            stale_articles=stale_articles(settings.index_dir / VERSIONS_DIR / version),
        )

    @app.post(
        "/ask",
        response_model=AskResponse,
        responses=error_responses(400, 413, 415, 422, 429, 503),
    )
    def ask(
        body: AskRequest,
        request: Request,
        answerer: Annotated[Answerer, Depends(get_answerer)],
        app_settings: Annotated[Settings, Depends(get_app_settings)],
    ) -> AskResponse:
        """Answer with approved passages verbatim, or the approved fallback/emergency wording."""
        question = validated_text(body.question, app_settings.max_question_chars, "question")
        answer = answerer.ask(question)
        request.state.outcome = answer.status
        request.state.index_version = answer.index_version
        if app_settings.log_questions:  # the operator's explicit opt-in (FAQBOT_LOG_QUESTIONS)
            request.state.logged_question = question
        response = to_response(answer)
        response.answer_id = after_answer(request, question, answer)
        return response


def app_from_settings() -> FastAPI:
    """Factory for `uvicorn --factory` / `faqbot serve --workers N`: each worker process
    builds its own app from the FAQBOT_* environment the parent exported. Spawned workers do
    not inherit the parent's logging set-up, so it is repeated here for the request log."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    return create_app(get_settings())


HTTP_ERROR_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiProblem)
    async def on_problem(request: Request, exc: ApiProblem) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        status, code, message = _validation_message(exc)
        return error_response(status, code, message)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_ERROR_CODES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def on_bug(request: Request, exc: Exception) -> JSONResponse:
        request_id = getattr(request.state, "request_id", "-")
        # Only the type: an exception's message may quote the question.
        log.error("internal error request_id=%s type=%s", request_id, type(exc).__name__)
        # This response is made outside the middleware stack, so it carries its own headers.
        return error_response(
            500,
            "internal_error",
            f"Something went wrong on our side (request id {request_id}).",
            {**BASE_HEADERS, "X-Request-ID": request_id},
        )


def _install_request_log(app: FastAPI, settings: Settings) -> None:
    """One line per request: method, path, status, latency, outcome — never the question."""

    @app.middleware("http")
    async def request_log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.request_id = request_id_from(request.headers.get("x-request-id"))
        started = time.perf_counter()
        response = await call_next(request)
        elapsed_ms = (time.perf_counter() - started) * 1000
        response.headers["X-Request-ID"] = request.state.request_id
        fields: dict[str, Any] = {
            "request_id": request.state.request_id,
            "method": request.method,
            "path": _logged_path(request),
            "status": response.status_code,
            "latency_ms": round(elapsed_ms, 1),
            "outcome": getattr(request.state, "outcome", "-"),
            "index_version": getattr(request.state, "index_version", "-"),
        }
        if hasattr(request.state, "logged_question"):
            fields["question"] = request.state.logged_question
        on_request(request, response, elapsed_ms / 1000, fields)  # metrics and the log line
        return response


def _logged_path(request: Request) -> str:
    """The matched route's template, never the raw path: a path is typed by the visitor and may
    hold question text or forged log lines."""
    route = request.scope.get("route")
    template = getattr(route, "path", None)
    return template if isinstance(template, str) and template else "<unmatched>"


def _complete_schema(app: FastAPI, settings: Settings) -> None:
    """Let the published schema say what the app enforces: /ask takes 1 to max_question_chars
    characters as sent, at least one visible (not whitespace, control or invisible formatting);
    every operation with a body may answer the guards' 400/413/415, validation errors come in the
    one error shape (not FastAPI's default), and rate-limited paths may answer 429."""
    generate = app.openapi
    error_ref = {"$ref": "#/components/schemas/ErrorResponse"}

    def openapi() -> dict[str, Any]:
        schema = generate()
        question = schema["components"]["schemas"]["AskRequest"]["properties"]["question"]
        question.update(
            minLength=1, maxLength=settings.max_question_chars, pattern=visible_char_pattern()
        )
        schema["components"]["schemas"].pop("HTTPValidationError", None)
        schema["components"]["schemas"].pop("ValidationError", None)
        for path, operations in schema["paths"].items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                statuses = [400, 413, 415, 422] if "requestBody" in operation else []
                if "422" in responses:
                    statuses.append(422)
                if path in LIMITED_PATHS and settings.rate_limit_per_minute > 0:
                    statuses.append(429)
                for status, entry in error_responses(*statuses).items():
                    entry.pop("model")
                    entry["content"] = {"application/json": {"schema": error_ref}}
                    responses[str(status)] = entry
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
