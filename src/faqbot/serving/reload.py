"""Hot reload: a running server picks up a newly published index version without a restart.

Two triggers, one code path (`Reloader.reload`):
- a watcher thread that reads `index/current` every FAQBOT_RELOAD_INTERVAL seconds;
- `POST /admin/reload` with `Authorization: Bearer $FAQBOT_ADMIN_TOKEN` (compared in constant
  time); without a token the endpoint does not exist (404).

With `faqbot serve --workers N` each worker has its own socket, so an admin request reaches one
worker only. That worker asks the others through the folder the supervisor made for them
(fleet.py): every worker's watcher thread looks for requests every 0.2 s, whatever
FAQBOT_RELOAD_INTERVAL says (0 included), and answers with an explicit reload. The worker that
took the request reloads itself meanwhile, waits (at most fleet.ANSWER_TIMEOUT_S) until every
running worker has answered, and reports each in `workers`: 200 when all loaded the version or
had it already, 409 `reload_refused` naming the workers that refused it, 504
`reload_incomplete` naming those that did not answer in time. One process reports itself alone.

The new version is loaded fully beside the old one (index, passages, responses, policy), tried
with one search, and only then swapped in with one reference assignment
(`answerer.state = new_state`). A request reads `answerer.state` once, so requests in flight
finish on the version they started with and every response comes from one whole version. A
corrupt or mismatched version is refused with a log line and the old one keeps serving.

A refusal is not final: its cause is often fixed in place (a damaged file of the version put
back). The watcher remembers the refusal with a fingerprint of the files the load read (sizes
and change times of the version folder, whose rules and wording it holds) and loads the version
again at the first tick that sees them changed, and in any case after a back-off of 2, 4, then
at most 8 reload intervals. It logs a refusal once per version and reason, not at every retry.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from fastapi import FastAPI

from faqbot.answering.answerer import Answerer, ServingState
from faqbot.embedding.encoder import Embedder
from faqbot.errors import FaqbotError
from faqbot.index.version import POINTER_FILE, VERSIONS_DIR
from faqbot.operations.metrics import record_reload
from faqbot.serving.fleet import (
    POLL_S,
    ReloadRequest,
    WorkerBoard,
    WorkerStatus,
)
from faqbot.serving.state import load_state
from faqbot.settings import Settings

log = logging.getLogger("faqbot.reload")

Outcome = Literal["reloaded", "unchanged", "refused"]
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
        board: WorkerBoard | None = None,
        loaded_at: float = 0.0,
    ) -> None:
        """`board`: the folder shared with the other workers of `faqbot serve --workers N`;
        `loaded_at`: time.monotonic() when this worker began loading the version it serves,
        so that a reload request older than that needs no answer."""
        self._app = app
        self._on_swap = on_swap  # e.g. metrics learn the new version
        self._settings = settings
        self._embedder = embedder
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refused: Refusal | None = None  # the last version refused, until one loads
        self._board = board
        # Changed by the watcher thread and by POST /admin/reload alike, under _board_lock.
        # The times are time.monotonic() when a reload began (see fleet.py): _claimed for
        # reloads begun, _answered for those finished (what other workers wait for).
        self._board_lock = threading.Lock()
        self._claimed = self._answered = loaded_at
        self._nonce: str | None = None  # the request the last finished reload answered
        self._posted: WorkerStatus | None = None

    def _published(self) -> str | None:
        pointer = self._settings.index_dir / POINTER_FILE
        try:
            return pointer.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def _fingerprint(self, version: str) -> Fingerprint:
        # The version folder holds everything a load reads, its rules and wording included.
        return fingerprint(self._settings.index_dir / VERSIONS_DIR / version)

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
                state = load_state(settings, settings.index_dir, embedder)
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

    def _serving(self) -> str | None:
        answerer: Answerer | None = self._app.state.answerer
        return answerer.state.version if answerer is not None else None

    def _post(
        self, status: str, message: str, answered: ReloadRequest | None = None, began: float = 0.0
    ) -> WorkerStatus:
        """This worker's status, published for the other workers when there are any.
        `answered`: the request a reload begun at `began` has just finished for."""
        with self._board_lock:
            if answered is not None and began >= self._answered:
                self._answered, self._nonce = began, answered.nonce
            posted = WorkerStatus(
                os.getpid(), self._serving(), status, message, self._nonce, self._answered
            )
            if self._board is not None and (posted != self._posted or not self._board.posted()):
                self._board.post(posted)  # again if it went missing (a /tmp cleaner, say)
                self._posted = posted
        return posted

    def _claim(self, began: float) -> None:
        """A reload begun at `began` is under way: requests made before it need no other."""
        with self._board_lock:
            self._claimed = max(self._claimed, began)

    def reload_everywhere(self) -> tuple[ReloadResult, list[WorkerStatus]]:
        """Reload this worker and, under `faqbot serve --workers N`, have every other worker
        reload too. Returns this worker's result and every worker's status, this one included;
        a worker that did not answer in time is in the list as no_answer. Raises
        WorkersUnreachable when the other workers cannot be asked (then nothing is reloaded)."""
        board = self._board
        request = ReloadRequest.new()
        self._claim(request.at)  # before asking: our own watcher need not answer it too
        if board is not None:
            board.ask(request)
        try:
            result = self.reload(explicit=True)
            mine = self._post(result.status, result.message, request, request.at)
            return result, board.wait(request) if board is not None else [mine]
        finally:
            if board is not None:
                board.withdraw(request)

    def _answer_requests(self, board: WorkerBoard) -> None:
        """Reload for the newest request of another worker, unless a reload begun after it was
        made is under way or done; and keep this worker's status file in place."""
        request = board.newest_request()
        if request is None or request.at <= self._claimed:
            if self._posted is not None and not board.posted():
                self._post(self._posted.status, self._posted.message)
            return
        began = time.monotonic()
        self._claim(began)
        result = self.reload(explicit=True)
        self._post(result.status, result.message, request, began)

    def _check_published(self) -> None:
        published = self._published()
        if published is not None and published != self._serving():
            result = self.reload()
            self._post(result.status, result.message)

    def _watch(self, tick: float, check_every: int) -> None:
        """Answer other workers' requests every tick (with a board) and read index/current
        every `check_every` ticks (0: never)."""
        ticks = 0
        while not self._stop.wait(tick):
            ticks += 1
            try:
                if self._board is not None:
                    self._answer_requests(self._board)
                if check_every and ticks % check_every == 0:
                    self._check_published()
            except Exception:  # the watcher must outlive any one bad attempt
                log.exception("index watcher: reload attempt failed")

    def start(self) -> None:
        """Post this worker's first status and start the watcher thread, when there is
        anything to watch: index/current (FAQBOT_RELOAD_INTERVAL > 0) or other workers."""
        load_error = getattr(self._app.state, "load_error", None)
        self._post("refused" if load_error else "loaded", load_error or "")
        interval = self._settings.reload_interval
        if self._thread is not None or (interval <= 0 and self._board is None):
            return
        if self._board is None:  # one process: index/current alone, as often as configured
            tick, check_every = interval, 1
        elif interval <= 0:  # watching disabled, but other workers may still ask
            tick, check_every = POLL_S, 0
        else:
            tick = min(interval, POLL_S)
            check_every = max(1, round(interval / tick))
        self._thread = threading.Thread(
            target=self._watch, args=(tick, check_every), name="faqbot-index-watcher", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the watcher; the other workers stop waiting on this one."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._board is not None:
            self._board.leave()
