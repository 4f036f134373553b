"""Per-address rate limiting of the question endpoints, with the `limits` library.

Each client address gets FAQBOT_RATE_LIMIT_PER_MINUTE requests per moving minute on each of
/ask and /search; the next one gets 429 with Retry-After. The client address is the TCP peer,
or — only when FAQBOT_TRUST_PROXY is set — the right-most X-Forwarded-For entry, which is the
address our own reverse proxy saw (entries to its left are whatever the client claimed).
"""

from __future__ import annotations

import ipaddress
import math
import time

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from faqbot.http.errors import error_response

LIMITED_PATHS = frozenset({"/ask", "/search"})
UNCOUNTED_METHODS = frozenset({"OPTIONS", "HEAD"})  # CORS preflights are not questions


def client_address(scope: Scope, trust_proxy: bool) -> str:
    """The address a limit applies to (see the module docstring)."""
    if trust_proxy:
        forwarded = Headers(scope=scope).get("x-forwarded-for", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            try:
                return str(ipaddress.ip_address(hops[-1]))
            except ValueError:
                pass  # a malformed header from the proxy: fall back to the peer
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RateLimit:
    """ASGI middleware: a moving one-minute window per (path, client address)."""

    def __init__(
        self,
        app: ASGIApp,
        per_minute: int,
        trust_proxy: bool = False,
        paths: frozenset[str] = LIMITED_PATHS,
    ) -> None:
        self.app = app
        self.item = RateLimitItemPerMinute(per_minute)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.trust_proxy = trust_proxy
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] in self.paths
            and scope["method"] not in UNCOUNTED_METHODS
        ):
            key = (scope["path"], client_address(scope, self.trust_proxy))
            if not self.limiter.hit(self.item, *key):
                reset_at, _ = self.limiter.get_window_stats(self.item, *key)
                wait = max(1, math.ceil(reset_at - time.time()))
                response = error_response(
                    429,
                    "rate_limited",
                    f"Too many requests from your address; please try again in {wait} seconds.",
                    {"Retry-After": str(wait)},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
