"""`POST /admin/reload`: load the published version now in every worker (bearer token from
FAQBOT_ADMIN_TOKEN, compared in constant time); without a token the route does not exist."""

from __future__ import annotations

import hmac
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from faqbot.http.errors import error_response
from faqbot.serving.fleet import NO_ANSWER, WorkerStatus, WorkersUnreachable
from faqbot.serving.reload import Reloader, ReloadResult
from faqbot.settings import Settings

log = logging.getLogger("faqbot.reload")

router = APIRouter()


def _authorized(settings: Settings, authorization: str | None) -> JSONResponse | None:
    """None when the bearer token is right; else the 404 (no token set) or 401 to send."""
    token = settings.admin_token.get_secret_value() if settings.admin_token else ""
    if not token:
        return error_response(404, "not_found", "Not Found")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode("utf-8"), token.encode("utf-8")
    ):
        return error_response(
            401,
            "unauthorized",
            "Send the admin token as 'Authorization: Bearer <token>'.",
            {"WWW-Authenticate": "Bearer"},
        )
    return None


def _problem(result: ReloadResult, workers: list[WorkerStatus]) -> JSONResponse | None:
    """409 when any worker refused the version, 504 when one did not answer in time; each
    message names the workers."""
    refused = [w for w in workers if w.status == "refused"]
    silent = [w for w in workers if w.status == NO_ANSWER]
    late = " ".join(f"Worker {w.pid} {w.message}." for w in silent)
    if refused or result.status == "refused":
        named = (
            ", ".join(
                f"worker {w.pid} ({w.message}; still serving {w.index_version})" for w in refused
            )
            or f"this worker ({result.message}; still serving {result.index_version})"
        )
        message = f"Version {result.published_version} was not loaded by {named}."
        return error_response(409, "reload_refused", f"{message} {late}".strip())
    if silent:
        return error_response(504, "reload_incomplete", late)
    return None


@router.post("/admin/reload", include_in_schema=False)
def admin_reload(request: Request, authorization: Annotated[str | None, Header()] = None) -> Any:
    """Load the published index version now, in every worker (bearer token from
    FAQBOT_ADMIN_TOKEN). The top-level fields describe the worker that took the request."""
    denied = _authorized(request.app.state.settings, authorization)
    if denied is not None:
        return denied
    reloader: Reloader | None = getattr(request.app.state, "reloader", None)
    if reloader is None:
        return error_response(503, "not_ready", "faqbot is still starting up.")
    try:
        result, workers = reloader.reload_everywhere()
    except WorkersUnreachable as exc:  # nothing reloaded: better none than some workers
        log.error("cannot ask the other workers to reload: %s", exc)
        return error_response(
            503,
            "reload_unavailable",
            "The other workers cannot be asked to reload, so none was; restart faqbot serve.",
        )
    problem = _problem(result, workers)
    if problem is not None:
        return problem
    return {
        "status": result.status,
        "index_version": result.index_version,
        "previous_version": result.previous_version,
        "workers": [w.public() for w in workers],
    }
