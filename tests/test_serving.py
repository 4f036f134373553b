"""Multi-worker serving: settings reach spawned workers, threads are split, two workers answer."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from faqbot.embedding import encoder_threads
from faqbot.settings import Settings, to_environment

from .conftest import CORPUS, free_port

WORKERS_START_TIMEOUT_S = 240  # two model loads at once on a busy 2-core machine


def test_settings_survive_the_trip_through_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    original = Settings(
        corpus_dir=tmp_path / "c", index_dir=tmp_path / "i", workers=2, query_cache_size=7
    )
    for name in list(os.environ):
        if name.startswith("FAQBOT_"):
            monkeypatch.delenv(name)
    for name, value in to_environment(original).items():
        monkeypatch.setenv(name, value)
    assert Settings() == original


def test_encoder_threads_share_the_cores_between_workers() -> None:
    assert encoder_threads(0, workers=1, cores=2) == 2
    assert encoder_threads(0, workers=2, cores=2) == 1
    assert encoder_threads(0, workers=4, cores=2) == 1  # never zero
    assert encoder_threads(3, workers=2, cores=2) == 3  # an explicit setting wins


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@pytest.mark.slow
def test_serve_with_two_workers_answers_from_both_processes(real_index_dir: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAQBOT_")}
    env.update({"FAQBOT_RATE_LIMIT_PER_MINUTE": "0", "HF_HUB_OFFLINE": "1"})
    command = [sys.executable, "-m", "faqbot.cli", "serve", "--workers", "2", "--port", str(port)]
    command += ["--corpus", str(CORPUS), "--index", str(real_index_dir)]
    server = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + WORKERS_START_TIMEOUT_S
        healthy = False
        while not healthy and time.monotonic() < deadline and server.poll() is None:
            # A worker accepts connections only once its lifespan has loaded everything.
            with contextlib.suppress(httpx.TransportError):
                healthy = httpx.get(f"{url}/healthz").status_code == 200
            time.sleep(0.2)
        if not healthy:
            server.send_signal(signal.SIGINT)
            _, errors = server.communicate(timeout=30)
            pytest.fail(
                f"faqbot serve --workers 2 did not become healthy:\n{errors.decode()[-2000:]}"
            )
        workers: list[int] = []
        while len(workers) < 2 and time.monotonic() < deadline:  # uvicorn starts them in turn
            workers = [
                c
                for c in _children(server.pid)
                if b"spawn" in Path(f"/proc/{c}/cmdline").read_bytes()
            ]
            time.sleep(0.2)
        assert len(workers) == 2
        reply = httpx.post(
            f"{url}/ask", json={"question": "How long does each infusion session take?"}, timeout=30
        )
        assert reply.status_code == 200 and reply.json()["status"] == "answered"
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
