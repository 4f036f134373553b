"""CORS for the sites that embed the widget from another origin, answering a refused preflight
in faqbot's one error shape."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import Headers
from starlette.responses import Response

from faqbot.http.errors import error_response
from faqbot.settings import Settings

# Echoed request values (a refused method) are cut to this length in error messages.
_ECHO_MAX = 40


class JsonErrorCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, unchanged in what it allows and which headers it sends; only a refused
    preflight answers in faqbot's one error shape instead of Starlette's text/plain
    "Disallowed CORS ...", with a message that says what to change."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers=request_headers)
        if response.status_code < 400:
            return response
        code, message = self._refusal(request_headers)
        # Keep Starlette's CORS headers (Vary, Allow-Methods, ...), not its body's length/type.
        headers = {
            name: value
            for name, value in response.headers.items()
            if name not in ("content-length", "content-type")
        }
        return error_response(response.status_code, code, message, headers)

    def _refusal(self, request_headers: Headers) -> tuple[str, str]:
        """Why Starlette refused the preflight, for a person; the origin comes first, since
        nothing else matters for a site that may not call faqbot at all."""
        if not self.is_allowed_origin(origin=request_headers["origin"]):
            return (
                "cors_origin_not_allowed",
                "This site may not call faqbot from the browser: its origin is not listed in "
                "the FAQBOT_ALLOWED_ORIGINS setting of the faqbot server.",
            )
        method = request_headers["access-control-request-method"]
        if method not in self.allow_methods:
            allowed = ", ".join(self.allow_methods)
            return (
                "cors_method_not_allowed",
                f"Other sites may only use {allowed} with faqbot, not {method[:_ECHO_MAX]!r}.",
            )
        requested = request_headers.get("access-control-request-headers")
        if requested is not None and any(
            h.strip().lower() not in self.allow_headers for h in requested.split(",")
        ):
            allowed = ", ".join(self.allow_headers)
            return (
                "cors_headers_not_allowed",
                f"Other sites may only send these request headers to faqbot: {allowed}.",
            )
        return (
            "cors_preflight_refused",
            "faqbot refused this cross-origin request's preflight check.",
        )


def add_cors(app: FastAPI, settings: Settings) -> None:
    """CORS for the sites in FAQBOT_ALLOWED_ORIGINS: they may POST questions (and read
    /search); never with credentials. security.install_guards calls this at its place in the
    middleware order, inside the security headers (so preflights, which CORSMiddleware answers
    itself, carry them too) and outside the guards (so an allowed site can read a 413/415/429).
    A refused preflight is a JSON error like every other (JsonErrorCORSMiddleware)."""
    if settings.allowed_origins:
        app.add_middleware(
            JsonErrorCORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
            allow_credentials=False,
            max_age=600,
        )
