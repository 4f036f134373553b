"""GET /metrics: the Prometheus text of operations/metrics.py, behind FAQBOT_METRICS_TOKEN when
one is set."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from faqbot.http.errors import error_response
from faqbot.operations.metrics import exposition, set_index

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request, authorization: Annotated[str | None, Header()] = None) -> Response:
    """Prometheus metrics; needs `Authorization: Bearer <FAQBOT_METRICS_TOKEN>` when one is set."""
    token: str | None = request.app.state.settings.metrics_token
    if token:
        expected = f"Bearer {token}".encode()
        if not hmac.compare_digest((authorization or "").encode(), expected):
            return error_response(
                401,
                "unauthorized",
                "GET /metrics needs the metrics bearer token.",
                headers={"WWW-Authenticate": "Bearer"},
            )
    answerer = getattr(request.app.state, "answerer", None)
    if answerer is not None:
        set_index(answerer.state.version, len(answerer.state.index.passages))
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)
