"""The workers of one `faqbot serve --workers N`, and the folder they share so that
POST /admin/reload reaches every one of them.

Each worker listens on its own socket, so an admin request reaches only the worker the kernel
hands its connection to. The supervisor therefore makes a private folder (tempfile.mkdtemp,
mode 0700, removed when it stops) and names it to its workers in FAQBOT_WORKER_RUNTIME_DIR:

- `worker-<pid>.json`: each worker's status, written atomically (a temporary file, then
  os.replace) once it has loaded and after every reload: pid, the index version it serves, its
  last reload's status and message, the nonce of the last request it answered, `handled` and
  the wall-clock time. Removed when the worker stops, or by the supervisor when it dies.
- `request-<nonce>.json`: one per POST /admin/reload, for as long as the worker that took it
  waits for the others; `at` says when it was made.

Every worker looks for requests every POLL_S seconds and answers one with an explicit reload.
Times compared across processes come from time.monotonic(), on Linux CLOCK_MONOTONIC: one clock
for every process of the machine. A worker's `handled` is when it began its last reload for a
request (or began its first load): a reload begun after a request was made read `index/current`
after whatever the operator published before asking, so `handled >= at` is the answer the
asking worker waits for. A status file whose pid no longer runs is not waited on.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from faqbot.errors import FaqbotError

log = logging.getLogger("faqbot.fleet")

RUNTIME_ENV = "FAQBOT_WORKER_RUNTIME_DIR"  # Settings.worker_runtime_dir
STATUS_PREFIX = "worker-"
REQUEST_PREFIX = "request-"
POLL_S = 0.2  # how often a worker looks for requests, whatever FAQBOT_RELOAD_INTERVAL says
ANSWER_TIMEOUT_S = 30.0  # how long POST /admin/reload waits for the other workers
NO_ANSWER = "no_answer"


@dataclass(frozen=True)
class WorkerStatus:
    """What one worker last said about itself."""

    pid: int
    index_version: str | None
    status: str  # reloaded | unchanged | refused | loaded (at start) | no_answer
    message: str
    nonce: str | None  # the last reload request it answered
    handled: float  # time.monotonic() when it began that reload (or its first load)
    time: str = ""  # wall clock, for a person reading the folder

    def public(self) -> dict[str, Any]:
        """The fields POST /admin/reload reports for this worker."""
        return {
            "pid": self.pid,
            "index_version": self.index_version,
            "status": self.status,
            "message": self.message,
        }


@dataclass(frozen=True)
class ReloadRequest:
    nonce: str
    at: float  # time.monotonic() when it was made

    @classmethod
    def new(cls) -> ReloadRequest:
        return cls(secrets.token_hex(8), time.monotonic())


class WorkersUnreachable(FaqbotError):
    """The shared folder cannot be written, so the other workers cannot be asked anything."""


def is_running(pid: int) -> bool:
    """Whether a process with this pid exists (signal 0 checks without signalling)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def status_path(folder: Path, pid: int) -> Path:
    return folder / f"{STATUS_PREFIX}{pid}.json"


def forget(folder: Path, pid: int) -> None:
    """Remove a worker's status file, so that nobody waits on a worker that is gone."""
    with contextlib.suppress(OSError):
        status_path(folder, pid).unlink(missing_ok=True)


def _write_atomically(path: Path, content: dict[str, Any]) -> None:
    """Readers see the old file or the new one, never half of one."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(content, out)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _read(path: Path) -> dict[str, Any] | None:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # removed meanwhile, or not ours
        return None
    return content if isinstance(content, dict) else None


def _status(content: dict[str, Any]) -> WorkerStatus | None:
    """A status file's content, or None for a file this module did not write."""
    try:
        status = WorkerStatus(**content)
    except TypeError:
        return None
    valid = isinstance(status.pid, int) and isinstance(status.handled, int | float)
    return status if valid else None


class WorkerBoard:
    """One worker's view of the shared folder: post its status, ask the others, wait for them."""

    def __init__(self, folder: Path, pid: int | None = None) -> None:
        self.folder = folder
        self.pid = pid if pid is not None else os.getpid()
        self._failing = False  # warn once, not at every tick, when the folder is unusable

    def post(self, status: WorkerStatus) -> None:
        """Publish this worker's status; a folder that is gone is a warning, not a crash."""
        stamped = replace(status, time=datetime.now(UTC).isoformat(timespec="seconds"))
        try:
            _write_atomically(status_path(self.folder, self.pid), asdict(stamped))
            self._failing = False
        except OSError as exc:
            if not self._failing:
                log.warning("cannot write this worker's status in %s: %s", self.folder, exc)
            self._failing = True

    def posted(self) -> bool:
        """Whether this worker's status file is in place."""
        return status_path(self.folder, self.pid).exists()

    def leave(self) -> None:
        forget(self.folder, self.pid)

    def ask(self, request: ReloadRequest) -> None:
        """Ask every worker to reload; WorkersUnreachable when the folder cannot be written."""
        path = self.folder / f"{REQUEST_PREFIX}{request.nonce}.json"
        try:
            _write_atomically(path, {"nonce": request.nonce, "at": request.at, "pid": self.pid})
        except OSError as exc:
            raise WorkersUnreachable(f"cannot write {path}: {exc}") from exc

    def withdraw(self, request: ReloadRequest) -> None:
        with contextlib.suppress(OSError):
            (self.folder / f"{REQUEST_PREFIX}{request.nonce}.json").unlink(missing_ok=True)

    def newest_request(self) -> ReloadRequest | None:
        """The most recent request in the folder, if any."""
        newest: ReloadRequest | None = None
        with contextlib.suppress(OSError):
            for path in self.folder.glob(f"{REQUEST_PREFIX}*.json"):
                content = _read(path)
                if content is None or not isinstance(content.get("at"), float):
                    continue
                if newest is None or content["at"] > newest.at:
                    newest = ReloadRequest(str(content.get("nonce")), content["at"])
        return newest

    def workers(self) -> list[WorkerStatus]:
        """The status of every worker that still runs, by pid; files of dead ones are removed."""
        found: list[WorkerStatus] = []
        with contextlib.suppress(OSError):
            for path in self.folder.glob(f"{STATUS_PREFIX}*.json"):
                content = _read(path)
                status = _status(content) if content is not None else None
                if status is None:
                    continue
                if is_running(status.pid):
                    found.append(status)
                else:
                    forget(self.folder, status.pid)
        return sorted(found, key=lambda s: s.pid)

    def wait(self, request: ReloadRequest, timeout: float | None = None) -> list[WorkerStatus]:
        """Every running worker's status once each has answered `request`, or at the deadline
        (default ANSWER_TIMEOUT_S); a worker that has not answered by then is reported as
        no_answer with what it last said, not left out."""
        timeout = ANSWER_TIMEOUT_S if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            workers = self.workers()
            silent = [w for w in workers if w.handled < request.at]
            if not silent or time.monotonic() >= deadline:
                break
            time.sleep(POLL_S / 4)
        return [w if w.handled >= request.at else _no_answer(w, timeout) for w in workers]


def _no_answer(status: WorkerStatus, timeout: float) -> WorkerStatus:
    message = (
        f"did not answer within {timeout:g} s; it last said {status.status!r}"
        + (f" ({status.message})" if status.message else "")
        + f" serving {status.index_version}"
    )
    return replace(status, status=NO_ANSWER, message=message)
