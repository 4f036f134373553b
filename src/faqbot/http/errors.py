"""The one error shape of every faqbot response, `{"error": {"code", "message"}}`: the
exception routes raise, the function that builds the body, and its OpenAPI declarations."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from starlette.responses import JSONResponse

from faqbot.errors import FaqbotError


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class ApiProblem(FaqbotError):
    """A request faqbot refuses, with the status and a message for a person."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


ERROR_DESCRIPTIONS = {
    400: "Malformed JSON or a body that is not UTF-8",
    404: "No such path",
    405: "Method not allowed on this path",
    413: "Request body over FAQBOT_MAX_BODY_BYTES",
    415: "Body is not sent as application/json",
    422: "Missing, empty, too long or wrongly typed field",
    429: "Rate limited; see the Retry-After header",
    503: "The model or index is not loaded",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations of the error statuses an operation can answer, in the one shape."""
    declared: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {"model": ErrorResponse, "description": ERROR_DESCRIPTIONS[status]}
        if status == 429:
            entry["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before asking again.",
                    "schema": {"type": "integer"},
                }
            }
        declared[status] = entry
    return declared
