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

A refusal is not final: its cause is often fixed in place (a typo in safety.yaml, a file put
back). The watcher remembers the refusal with a fingerprint of the files the load read (sizes
and change times of the version folder and of the corpus's policy files) and loads the version
again at the first tick that sees them changed, and in any case after a back-off of 2, 4, then
at most 8 reload intervals. It logs a refusal once per version and reason, not at every retry.
With `faqbot serve --workers N` every worker runs its own watcher.
"""

from __future__ import annotations

import hmac
import logging
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.responses import JSONResponse

from faqbot.answer import CALIBRATION_FILE, SAFETY_FILE, Answerer, ServingState, load_state
from faqbot.corpus import RESPONSES_FILE
from faqbot.embedding import Embedder
from faqbot.errors import FaqbotError
from faqbot.glossary import GLOSSARY_FILE
from faqbot.index import POINTER_FILE, VERSIONS_DIR
from faqbot.metrics import record_reload
from faqbot.settings import Settings

log = logging.getLogger("faqbot.reload")

Outcome = Literal["reloaded", "unchanged", "refused"]
# The corpus files a load reads besides the version folder (see answer.load_state).
POLICY_FILES = (SAFETY_FILE, RESPONSES_FILE, GLOSSARY_FILE, CALIBRATION_FILE)
# A refused version is tried again after 2, 4, 8, 8, ... reload intervals even when none of its
# files changed, for causes the fingerprint cannot see; any change to them retries at once.
RETRY_BACKOFF_MAX = 8
Fingerprint = tuple[tuple[str, int, int, int] | tuple[str], ...]


@dataclass(frozen=True)
class ReloadResult:
    status: Outcome
    index_version: str | None  # what is serving after the attempt
    previous_version: str | None
    published_version: str | None
    message: str = ""


@dataclass(frozen=True)
class Refusal:
    """A version that would not load, what its files looked like then, and when to try again."""

    version: str
    reason: str
    fingerprint: Fingerprint
    attempts: int  # refusals of this version in a row
    retry_at: float  # time.monotonic()


def fingerprint(*folders_and_files: Path) -> Fingerprint:
    """Size and change times of every file under the given folders and of the given files, a
    missing one included as missing. A few stat calls, so the watcher can afford it every tick:
    a refused version is worth another load as soon as any file it reads has changed (a typo
    fixed, a file restored or put back), and not before."""
    marks: list[tuple[str, int, int, int] | tuple[str]] = []
    for path in folders_and_files:
        try:
            paths = sorted(path.rglob("*")) if path.is_dir() else [path]
        except OSError:  # a folder pruned while we look: that is a change too
            paths = []
        for item in paths:
            try:
                found = item.stat()
            except OSError:
                marks.append((str(item),))
                continue
            if stat.S_ISREG(found.st_mode):
                marks.append((str(item), found.st_size, found.st_mtime_ns, found.st_ctime_ns))
    return tuple(marks)


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
        self._refused: Refusal | None = None  # the last version refused, until one loads

    def _published(self) -> str | None:
        pointer = self._settings.index_dir / POINTER_FILE
        try:
            return pointer.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def _fingerprint(self, version: str) -> Fingerprint:
        corpus = self._settings.corpus_dir
        version_dir = self._settings.index_dir / VERSIONS_DIR / version
        return fingerprint(version_dir, *(corpus / name for name in POLICY_FILES))

    def _still_refused(self, target: str, files: Fingerprint) -> Refusal | None:
        """The refusal of `target` that stands: its files are as they were and the back-off has
        not run out. None: worth loading (again)."""
        refused = self._refused
        if refused is None or refused.version != target or refused.fingerprint != files:
            return None
        return refused if time.monotonic() < refused.retry_at else None

    def reload(self, explicit: bool = False) -> ReloadResult:
        """Load whatever `current` names, if it is not already serving. Thread-safe.

        The watcher (explicit=False) does not load a refused version again until one of its
        files changed or a back-off ran out; an explicit reload always tries."""
        with self._lock:
            answerer: Answerer | None = self._app.state.answerer
            serving = answerer.state.version if answerer is not None else None
            target = self._published()
            if target is not None and target == serving:
                return ReloadResult("unchanged", serving, serving, target)
            if target is None:
                reason = f"nothing is published in {self._settings.index_dir}"
                return ReloadResult("refused", serving, serving, None, reason)
            files = self._fingerprint(target)  # before loading: a change during it retries
            refused = None if explicit else self._still_refused(target, files)
            if refused is not None:
                return ReloadResult("refused", serving, serving, target, refused.reason)
            embedder = answerer.embedder if answerer is not None else self._embedder
            if embedder is None:
                reason = "the embedding model is not loaded; restart the server"
                return ReloadResult("refused", serving, serving, target, reason)
            settings = self._settings
            try:
                state = load_state(settings, settings.corpus_dir, settings.index_dir, embedder)
                state.index.search(embedder.encode(["warm-up"]), 1)  # it answers before it serves
            except FaqbotError as exc:
                return self._refuse(target, serving, str(exc), files, explicit)
            self._swap_in(answerer, embedder, state, serving)
            return ReloadResult("reloaded", state.version, serving, target)

    def _refuse(
        self, target: str, serving: str | None, reason: str, files: Fingerprint, explicit: bool
    ) -> ReloadResult:
        """Remember the refusal and when to retry; log it once per version and reason (and at
        every explicit attempt), not at every retry of the watcher."""
        previous = self._refused
        again = previous is not None and previous.version == target
        attempts = previous.attempts + 1 if previous is not None and again else 1
        backoff = self._settings.reload_interval * min(2**attempts, RETRY_BACKOFF_MAX)
        self._refused = Refusal(target, reason, files, attempts, time.monotonic() + backoff)
        record_reload(ok=False)
        if explicit or not (again and previous is not None and previous.reason == reason):
            log.error("refused index version %s: %s; still serving %s", target, reason, serving)
        else:
            log.debug("index version %s still refused (attempt %d)", target, attempts)
        return ReloadResult("refused", serving, serving, target, reason)

    def _swap_in(
        self, answerer: Answerer | None, embedder: Embedder, state: ServingState, was: str | None
    ) -> None:
        """Serve `state` from now on: one reference assignment, then the bookkeeping."""
        if answerer is None:
            self._app.state.answerer = Answerer(embedder, state, self._settings.candidates)
            self._app.state.load_error = None
        else:
            answerer.state = state  # the one reference assignment that switches versions
        self._refused = None
        record_reload(ok=True)
        log.info("reloaded index %s (was %s)", state.version, was)
        if self._on_swap is not None:
            try:
                self._on_swap()
            except Exception:  # bookkeeping must never undo a good reload
                log.exception("after reloading %s", state.version)

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
