"""Guards around every request: body size, content type and encoding, security headers, safe
request ids, and the uvicorn options faqbot is served with.

Everything here is plain ASGI middleware so it costs little and sees every response, including
the errors it produces itself. `install_guards(app, settings)` wires it into the app; rate
limiting lives in rate_limit.py. Error bodies use the one shape `{"error": {"code", "message"}}`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import uuid
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faqbot.http.cors import add_cors
from faqbot.http.errors import error_response
from faqbot.http.rate_limit import RateLimit
from faqbot.settings import Settings

# The one Content-Security-Policy for faqbot's own HTML pages (/, /staff). Kept here so that
# other headers code (issue 7) reuses it instead of writing a second, diverging copy. Styles
# and scripts come only from our own files; the widget styles itself through a constructed
# stylesheet (adoptedStyleSheets), which needs no 'unsafe-inline'.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# JSON and other non-page responses must never be rendered or framed as a document.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The staff page shows scores and copy buttons: it may not be framed by any site (clickjacking).
NO_FRAMING = "frame-ancestors 'none'"
STAFF_PREFIX = "/staff"
# Headers on every response, including errors produced outside the middleware stack.
BASE_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

JSON_MEDIA_TYPES = ("application/json",)
# A caller's X-Request-ID is kept only when it is short and made of harmless characters, so it
# can never split a header or forge a log line; anything else is replaced by a fresh id.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_INLINE_BLOCK = re.compile(rb"<(script|style)(\s[^>]*)?>(.*?)</\1>", re.DOTALL | re.IGNORECASE)


def request_id_from(header: str | None) -> str:
    """The caller's request id when it is safe to echo and log, else a new random one."""
    if header and SAFE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def uvicorn_options() -> dict[str, Any]:
    """How faqbot is served, by `faqbot serve` and by the tests alike.

    No `Server: uvicorn` banner; uvicorn's own X-Forwarded-For handling off (whether to trust
    that header is faqbot's decision, FAQBOT_TRUST_PROXY, made in rate_limit.py); no uvicorn
    access log, whose lines would carry query strings (faqbot logs its own request lines).
    """
    return {"server_header": False, "proxy_headers": False, "access_log": False}


def is_json_media_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in JSON_MEDIA_TYPES or (
        media.startswith("application/") and media.endswith("+json")
    )


class BodyGuard:
    """Refuses bodies that are too large (413), not JSON (415), not UTF-8 or not parseable (400)
    before any route sees them, and replays an accepted body to the app."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if declared is None and not chunked:
            await self.app(scope, receive, send)  # no body at all
            return
        if declared is not None:
            if not declared.strip().isdigit():
                await self._refuse(scope, receive, send, 400, "bad_length", "Bad Content-Length.")
                return
            if int(declared) > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            if int(declared) == 0:
                await self.app(scope, receive, send)
                return
        if not is_json_media_type(headers.get("content-type", "")):
            await self._refuse(
                scope,
                receive,
                send,
                415,
                "unsupported_media_type",
                'Send the body as JSON with the header "Content-Type: application/json".',
            )
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        problem = _json_problem(body)
        if problem is not None:
            await self._refuse(scope, receive, send, 400, *problem)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._refuse(
            scope,
            receive,
            send,
            413,
            "body_too_large",
            f"The request body is larger than {self.max_bytes} bytes.",
        )

    @staticmethod
    async def _refuse(
        scope: Scope, receive: Receive, send: Send, status: int, code: str, message: str
    ) -> None:
        await error_response(status, code, message)(scope, receive, send)


def _json_problem(body: bytes) -> tuple[str, str] | None:
    """Why a JSON body cannot be read, or None when it can (an empty body is left to the app)."""
    if not body:
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid_encoding", "The request body is not valid UTF-8 text."
    try:
        json.loads(text)
    except (ValueError, RecursionError):  # also numbers too long to parse and deep nesting
        return "invalid_json", "The request body is not valid JSON."
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive callable that hands the app the body already read, then the real stream."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class SecurityHeaders:
    """Adds nosniff, no-referrer and a Content-Security-Policy to every response.

    Pages get PAGE_CSP unless they set their own; /staff may never be framed; FastAPI's
    documentation pages get a policy that allows exactly their inline blocks by hash.
    """

    def __init__(self, app: ASGIApp, doc_paths: frozenset[str], page_csp: str) -> None:
        self.app = app
        self.doc_paths = doc_paths
        self.page_csp = page_csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in self.doc_paths:
            await self._docs(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=list(message.get("headers", [])))
                _add_headers(headers, path, self.page_csp)
                message["headers"] = headers.raw
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Buffer a documentation page to hash its inline script and style blocks."""
        start: Message | None = None
        body = b""

        async def buffered(message: Message) -> None:
            nonlocal start, body
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body += message.get("body", b"")
            if message.get("more_body", False):
                return
            headers = MutableHeaders(raw=list(start.get("headers", [])))
            if headers.get("content-type", "").startswith("text/html"):
                headers["Content-Security-Policy"] = docs_csp(body)
            _add_headers(headers, scope["path"], self.page_csp)
            start["headers"] = headers.raw
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, buffered)


def _add_headers(headers: MutableHeaders, path: str, page_csp: str) -> None:
    for name, value in BASE_HEADERS.items():
        headers.setdefault(name, value)
    if "content-security-policy" not in headers:
        is_page = headers.get("content-type", "").startswith("text/html")
        headers["Content-Security-Policy"] = page_csp if is_page else API_CSP
    if path == STAFF_PREFIX or path.startswith(STAFF_PREFIX + "/"):
        policy = headers["Content-Security-Policy"]
        if "frame-ancestors" not in policy:
            headers["Content-Security-Policy"] = f"{policy}; {NO_FRAMING}"
        headers["X-Frame-Options"] = "DENY"


def docs_csp(html: bytes) -> str:
    """A policy for FastAPI's Swagger/ReDoc pages: their CDN assets and, by hash, exactly the
    inline blocks they contain — no 'unsafe-inline'."""
    scripts: list[str] = []
    styles: list[str] = []
    for match in _INLINE_BLOCK.finditer(html):
        tag, attributes, content = match.group(1).lower(), match.group(2) or b"", match.group(3)
        if b"src=" in attributes.lower() or not content.strip():
            continue
        digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
        (scripts if tag == b"script" else styles).append(f"'sha256-{digest}'")
    cdn = "https://cdn.jsdelivr.net"
    return (
        f"default-src 'none'; script-src {cdn} {' '.join(scripts)}; "
        f"style-src {cdn} https://fonts.googleapis.com {' '.join(styles)}; "
        f"font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com; "
        "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


class DropAccessLine(logging.Filter):
    """uvicorn's access lines carry raw paths and query strings, which may hold question text.
    faqbot's own request line (route template, status, latency, outcome) replaces them, so even
    an operator who attaches a handler to `uvicorn.access` gets no question from it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return False


class WithholdTraceback(logging.Filter):
    """uvicorn logs an unhandled exception with its traceback, whose message and locals may quote
    the question. Keep the record, drop the traceback: faqbot's own handler has already logged
    the request id and the exception type."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            kind = type(record.exc_info[1]).__name__
            record.msg = f"{record.getMessage().strip()} ({kind}; traceback withheld for privacy)"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def silence_access_log() -> None:
    """Install the two uvicorn log filters above (once per process)."""
    for name, kind in (("uvicorn.access", DropAccessLine), ("uvicorn.error", WithholdTraceback)):
        logger = logging.getLogger(name)
        if not any(isinstance(f, kind) for f in logger.filters):
            logger.addFilter(kind())


def install_guards(app: FastAPI, settings: Settings) -> None:
    """Wire the guards in (call before the request log so they run inside it).

    Order, outermost first: security headers → CORS → rate limit → body guard → routes.
    Every response, also a CORS preflight (which CORSMiddleware answers without calling
    inward), passes out through the security headers; the CORS grant reaches the guards'
    refusals too, so a widget on an allowed site can read them.
    """
    silence_access_log()
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes)
    if settings.rate_limit_per_minute > 0:
        app.add_middleware(
            RateLimit,
            per_minute=settings.rate_limit_per_minute,
            trust_proxy=settings.trust_proxy,
        )
    # The pages' policy is web.py's one constant (no inline script); it is also the default
    # for any HTML response that does not set its own. Imported late: web.py imports app.py.

    add_cors(app, settings)  # each add_middleware wraps the ones before it
    doc_paths = {p for p in (app.docs_url, app.redoc_url) if p}
    app.add_middleware(
        SecurityHeaders, doc_paths=frozenset(doc_paths), page_csp=CONTENT_SECURITY_POLICY
    )
