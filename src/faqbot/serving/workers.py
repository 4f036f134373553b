"""`faqbot serve --workers N`: N uvicorn processes, each listening on its own socket bound to the
same port with SO_REUSEPORT, so that the kernel spreads new connections over the workers.

Why not uvicorn's own `--workers`: it shares one listening socket between the processes, and
asyncio accepts every pending connection in one go, so the worker that wakes first takes a
whole burst of connections. Keep-alive clients (a reverse proxy, a load balancer, a load
generator) then stay on that one worker: measured with 8 keep-alive clients on 2 workers, one
process used 1.04 cores and the other 0.01. With one socket per worker the kernel hashes each
new connection to one of the listening sockets instead. A worker that dies closes its socket,
so no connection waits on it; the supervisor starts a replacement.

One socket per worker also means an admin request reaches one worker only. The supervisor
therefore gives its workers a private folder (FAQBOT_WORKER_RUNTIME_DIR, see fleet.py) through
which the worker that takes POST /admin/reload asks the others, and removes a dead worker's
status file from it at once, so that nobody waits on that worker.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from faqbot.errors import FaqbotError
from faqbot.serving.fleet import RUNTIME_ENV, forget

log = logging.getLogger("faqbot.workers")

# uvicorn's exit code for a worker that could not start (lifespan or bind failed): restarting
# it would fail the same way, so the supervisor stops instead.
STARTUP_FAILURE = 3
POLL_S = 0.5  # how often the supervisor looks for workers that died
STOP_GRACE_S = 30.0  # in-flight requests may finish this long after SIGTERM


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port, not yet listening, that other SO_REUSEPORT sockets of
    this user may share."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def claim_port(host: str, port: int) -> socket.socket:
    """Fail early, in one line, when another program already listens on the port.

    The probe is bound *without* SO_REUSEPORT, so it also collides with another faqbot's
    workers: two servers would otherwise share the port silently. Port 0 is resolved to a free
    port. The caller closes the probe before the workers bind.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    probe = socket.socket(family, socket.SOCK_STREAM)
    try:
        probe.bind((host, port))
    except OSError as exc:
        probe.close()
        raise FaqbotError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
            "stop the program using it or choose another port with --port"
        ) from exc
    return probe


def run_worker(
    app: str, host: str, port: int, options: dict[str, Any], runtime_dir: str | None = None
) -> None:
    """One worker process: bind its own socket, then serve the app factory on it. The factory
    reads its settings from the environment, so the shared runtime folder is named there."""
    import uvicorn

    if runtime_dir is not None:
        os.environ[RUNTIME_ENV] = runtime_dir
    config = uvicorn.Config(app, factory=True, host=host, port=port, **options)
    server = uvicorn.Server(config)
    try:
        # Bound, not listening: uvicorn listens once the lifespan has loaded the model and the
        # index, and only a listening socket gets connections, so none waits on a loading worker.
        sock = reuse_port_socket(host, port)
    except OSError as exc:
        logging.getLogger("uvicorn.error").error("cannot listen on %s:%s: %s", host, port, exc)
        sys.exit(STARTUP_FAILURE)
    server.run(sockets=[sock])


def supervise(workers: int, app: str, host: str, port: int, options: dict[str, Any]) -> int:
    """Start `workers` processes, replace any that dies, stop them all on SIGINT/SIGTERM.

    The workers share a private runtime folder (see fleet.py) through which POST /admin/reload
    reaches all of them; it is made here, new for every start, and removed at the end.
    Returns 0 after a requested stop, 1 when a worker could not start.
    """
    probe = claim_port(host, port)
    port = probe.getsockname()[1]
    probe.close()
    context = multiprocessing.get_context("spawn")  # a clean interpreter per worker (torch, FAISS)
    runtime = tempfile.mkdtemp(prefix="faqbot-workers-")  # mode 0700: this user's workers only
    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}

    def start() -> BaseProcess:
        process = context.Process(target=run_worker, args=(app, host, port, options, runtime))
        process.start()
        return process

    log.info("starting %d workers on %s:%d (one SO_REUSEPORT socket each)", workers, host, port)
    processes = [start() for _ in range(workers)]
    try:
        failed = _keep_running(processes, start, stop, Path(runtime))
    finally:
        _stop_all(processes)
        shutil.rmtree(runtime, ignore_errors=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 1 if failed else 0


def _keep_running(
    processes: list[BaseProcess],
    start: Callable[[], BaseProcess],
    stop: threading.Event,
    runtime: Path,
) -> bool:
    """Replace every worker that dies until `stop`; True when one could not start at all.
    A dead worker's status file goes at once, so that no reload request waits on it."""
    while not stop.wait(POLL_S):
        for slot, process in enumerate(processes):
            if process.is_alive():
                continue
            if process.pid is not None:
                forget(runtime, process.pid)
            if process.exitcode == STARTUP_FAILURE:
                log.error("worker %s could not start; stopping the others", process.pid)
                return True
            log.warning("worker %s exited (%s); starting another", process.pid, process.exitcode)
            processes[slot] = start()
    return False


def _stop_all(processes: list[BaseProcess]) -> None:
    """SIGTERM every worker (uvicorn finishes in-flight requests), SIGKILL any that lingers."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(STOP_GRACE_S)
        if process.is_alive():
            log.warning("worker %s did not stop in %.0f s; killing it", process.pid, STOP_GRACE_S)
            process.kill()
            process.join()
