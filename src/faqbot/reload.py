"""Hot reload: a running server picks up a newly published index version without a restart.

Two triggers, one code path (`Reloader.reload`):
- a watcher thread that reads `index/current` every FAQBOT_RELOAD_INTERVAL seconds;
- `POST /admin/reload` with `Authorization: Bearer $FAQBOT_ADMIN_TOKEN` (compared in constant
  time); without a token the endpoint does not exist (404).

The new version is loaded fully beside the old one (index, passages, responses, policy), tried
with one search, and only then swapped in with one reference assignment
(`answerer.state = new_state`). A request reads `answerer.state` once, so requests in flight
finish on the version they started with and every response comes from one whole version. A
corrupt or mismatched version is refused with a log line and the old one keeps serving.
With `faqbot serve --workers N` every worker runs its own watcher.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.responses import JSONResponse

from faqbot.answer import Answerer, load_state
from faqbot.embedding import Embedder
from faqbot.errors import FaqbotError
from faqbot.index import POINTER_FILE
from faqbot.metrics import record_reload
from faqbot.settings import Settings

log = logging.getLogger("faqbot.reload")

Outcome = Literal["reloaded", "unchanged", "refused"]


@dataclass(frozen=True)
class ReloadResult:
    status: Outcome
    index_version: str | None  # what is serving after the attempt
    previous_version: str | None
    published_version: str | None
    message: str = ""


class Reloader:
    """Loads the published version beside the serving one and swaps it in atomically."""

    def __init__(
        self,
        app: FastAPI,
        settings: Settings,
        embedder: Embedder | None,
        on_swap: Callable[[], None] | None = None,
    ) -> None:
        self._app = app
        self._on_swap = on_swap  # e.g. metrics learn the new version
        self._settings = settings
        self._embedder = embedder
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refused: tuple[str, str] | None = None  # (version, reason) last refused

    def _published(self) -> str | None:
        pointer = self._settings.index_dir / POINTER_FILE
        try:
            return pointer.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def reload(self, explicit: bool = False) -> ReloadResult:
        """Load whatever `current` names, if it is not already serving. Thread-safe."""
        with self._lock:
            answerer: Answerer | None = self._app.state.answerer
            serving = answerer.state.version if answerer is not None else None
            target = self._published()
            if target is not None and target == serving:
                return ReloadResult("unchanged", serving, serving, target)
            if target is None:
                reason = f"nothing is published in {self._settings.index_dir}"
                return ReloadResult("refused", serving, serving, None, reason)
            if not explicit and self._refused is not None and self._refused[0] == target:
                return ReloadResult("refused", serving, serving, target, self._refused[1])
            embedder = answerer.embedder if answerer is not None else self._embedder
            if embedder is None:
                reason = "the embedding model is not loaded; restart the server"
                return ReloadResult("refused", serving, serving, target, reason)
            settings = self._settings
            try:
                state = load_state(settings, settings.index_dir, embedder)
                state.index.search(embedder.encode(["warm-up"]), 1)  # it answers before it serves
            except FaqbotError as exc:
                self._refused = (target, str(exc))
                record_reload(ok=False)
                log.error("refused index version %s: %s; still serving %s", target, exc, serving)
                return ReloadResult("refused", serving, serving, target, str(exc))
            if answerer is None:
                self._app.state.answerer = Answerer(embedder, state, settings.candidates)
                self._app.state.load_error = None
            else:
                answerer.state = state  # the one reference assignment that switches versions
            self._refused = None
            record_reload(ok=True)
            log.info("reloaded index %s (was %s)", state.version, serving)
            if self._on_swap is not None:
                try:
                    self._on_swap()
                except Exception:  # bookkeeping must never undo a good reload
                    log.exception("after reloading %s", state.version)
            return ReloadResult("reloaded", state.version, serving, target)

    def _watch(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                answerer: Answerer | None = self._app.state.answerer
                serving = answerer.state.version if answerer is not None else None
                published = self._published()
                if published is not None and published != serving:
                    self.reload()
            except Exception:  # the watcher must outlive any one bad attempt
                log.exception("index watcher: reload attempt failed")

    def start(self) -> None:
        interval = self._settings.reload_interval
        if interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._watch, args=(interval,), name="faqbot-index-watcher", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


router = APIRouter()


def _error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers or None
    )


@router.post("/admin/reload", include_in_schema=False)
def admin_reload(request: Request, authorization: Annotated[str | None, Header()] = None) -> Any:
    """Load the published index version now (bearer token from FAQBOT_ADMIN_TOKEN)."""
    settings: Settings = request.app.state.settings
    token = settings.admin_token.get_secret_value() if settings.admin_token else ""
    if not token:
        return _error(404, "not_found", "Not Found")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode("utf-8"), token.encode("utf-8")
    ):
        return _error(
            401,
            "unauthorized",
            "Send the admin token as 'Authorization: Bearer <token>'.",
            **{"WWW-Authenticate": "Bearer"},
        )
    reloader: Reloader | None = getattr(request.app.state, "reloader", None)
    if reloader is None:
        return _error(503, "not_ready", "faqbot is still starting up.")
    result = reloader.reload(explicit=True)
    if result.status == "refused":
        return _error(
            409,
            "reload_refused",
            f"Version {result.published_version} was not loaded ({result.message}); "
            f"still serving {result.index_version}.",
        )
    return {
        "status": result.status,
        "index_version": result.index_version,
        "previous_version": result.previous_version,
    }
