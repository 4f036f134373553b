"""Multi-worker serving: settings reach spawned workers, threads are split, two workers share the
connections, and a worker that dies is replaced without a request failing."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from faqbot.embedding.encoder import encoder_threads
from faqbot.errors import FaqbotError
from faqbot.serving.workers import claim_port, reuse_port_socket
from faqbot.settings import Settings, to_environment

from ..conftest import CORPUS, free_port
from ..operations.test_metrics import per_worker_values

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


def _workers(pid: int) -> list[int]:
    """The spawned worker processes of a `faqbot serve --workers N` supervisor."""
    return [c for c in _children(pid) if b"spawn" in Path(f"/proc/{c}/cmdline").read_bytes()]


@dataclass
class TwoWorkers:
    url: str
    supervisor: subprocess.Popen[bytes]
    metrics_dir: Path


@pytest.fixture(scope="module")
def two_workers(
    real_index_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TwoWorkers]:
    """`faqbot serve --workers 2` on the real model, as an operator starts it."""
    port = free_port()
    metrics_dir = tmp_path_factory.mktemp("prom")  # each worker writes its own counts here
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAQBOT_")}
    env.update(
        {
            "FAQBOT_RATE_LIMIT_PER_MINUTE": "0",
            "HF_HUB_OFFLINE": "1",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        }
    )
    command = [sys.executable, "-m", "faqbot.cli", "serve", "--workers", "2", "--port", str(port)]
    command += ["--corpus", str(CORPUS), "--index", str(real_index_dir)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + WORKERS_START_TIMEOUT_S
        while len(_ready_workers(metrics_dir, server.pid)) < 2:
            if server.poll() is not None or time.monotonic() > deadline:
                server.send_signal(signal.SIGINT)
                _, errors = server.communicate(timeout=30)
                pytest.fail(f"faqbot serve --workers 2 did not start:\n{errors.decode()[-2000:]}")
            time.sleep(0.2)
        yield TwoWorkers(url, server, metrics_dir)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _ready_workers(metrics_dir: Path, supervisor: int) -> list[int]:
    """Workers that have loaded the index: each sets its index gauge once loaded."""
    return [p for p in _workers(supervisor) if (metrics_dir / f"gauge_livemax_{p}.db").exists()]


def _requests_per_worker(metrics_dir: Path, path: str) -> dict[str, float]:
    """Each worker's own count of answered GETs of `path`."""
    return per_worker_values(
        metrics_dir, "faqbot_http_requests_total", path=path, method="GET", status="200"
    )


@pytest.mark.slow
def test_serve_with_two_workers_answers_from_both_processes(two_workers: TwoWorkers) -> None:
    assert len(_workers(two_workers.supervisor.pid)) == 2
    reply = httpx.post(
        f"{two_workers.url}/ask",
        json={"question": "How long does each infusion session take?"},
        timeout=30,
    )
    assert reply.status_code == 200 and reply.json()["status"] == "answered"


@pytest.mark.slow
def test_a_burst_of_keep_alive_connections_is_spread_over_both_workers(
    two_workers: TwoWorkers,
) -> None:
    # Uvicorn's shared socket let the first worker to wake accept a whole burst (measured: one
    # worker served all 8 of wrk's connections). With a socket per worker the kernel hashes
    # each connection; 32 connections leave either worker fewer than 6 about once in 10,000.
    before = _requests_per_worker(two_workers.metrics_dir, "/healthz")
    connections = 32
    barrier = threading.Barrier(connections)
    statuses: list[int] = []

    def connect_and_ask() -> None:
        with httpx.Client(base_url=two_workers.url, timeout=30) as client:
            barrier.wait()  # every connection opens at the same moment, as under a burst
            statuses.append(client.get("/healthz").status_code)

    threads = [threading.Thread(target=connect_and_ask) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * connections
    after = _requests_per_worker(two_workers.metrics_dir, "/healthz")
    served = sorted(after[w] - before.get(w, 0.0) for w in after)
    assert sum(served) == connections
    assert len(served) == 2 and served[0] >= 6, f"connections per worker: {served}"


@pytest.mark.slow
def test_a_worker_that_dies_is_replaced_while_the_other_keeps_answering(
    two_workers: TwoWorkers,
) -> None:
    supervisor = two_workers.supervisor.pid
    victim, survivor = _workers(supervisor)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + WORKERS_START_TIMEOUT_S
    # Until the supervisor has reaped it, a connection may still meet the dying socket and be
    # reset (the kernel moves such connections only with net.ipv4.tcp_migrate_req=1).
    while Path(f"/proc/{victim}").exists():
        assert time.monotonic() < deadline, "the supervisor did not notice the dead worker"
        time.sleep(0.05)
    # From then on new connections go only to listening sockets: none is left waiting on the
    # dead worker or on its replacement while that loads.
    answered = 0
    while len(_ready_workers(two_workers.metrics_dir, supervisor)) < 2:
        assert time.monotonic() < deadline, "the dead worker was not replaced"
        reply = httpx.get(f"{two_workers.url}/healthz", timeout=10)
        assert reply.status_code == 200
        answered += 1
        time.sleep(0.05)
    replacement = set(_workers(supervisor)) - {survivor}
    assert answered > 0 and victim not in replacement and len(replacement) == 1


@pytest.mark.parametrize("reuse_port", [False, True], ids=["another program", "another faqbot"])
def test_a_port_already_listened_on_is_refused_in_one_line(reuse_port: bool) -> None:
    # Another faqbot's workers listen with SO_REUSEPORT, which would let a second server share
    # the port silently: the claim is made without it, so it collides with them too.
    other = reuse_port_socket("127.0.0.1", 0) if reuse_port else socket.socket()
    with other:
        if not reuse_port:
            other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(FaqbotError, match=f"cannot listen on 127.0.0.1:{port}: .*--port"):
            claim_port("127.0.0.1", port)


def test_native_thread_pools_are_held_to_the_workers_share() -> None:
    # numpy's and FAISS's OpenBLAS and FAISS's OpenMP otherwise start a spinning thread per core
    # in every worker. Checked in a fresh interpreter: the limit is process-wide.
    probe = (
        "import json; from faqbot.embedding.encoder import limit_native_threads; "
        "limit_native_threads(1); from threadpoolctl import threadpool_info; "
        "print(json.dumps([[p['internal_api'], p['filepath'], p['num_threads']] "
        "for p in threadpool_info()]))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    pools = json.loads(out.stdout)
    assert any("faiss" in path for _, path, _ in pools), pools  # FAISS's own pools are reached
    assert pools and all(threads == 1 for _, _, threads in pools), pools
