"""Reload under continuous load: 16 clients ask over loopback while 10 new versions are built,
published and reloaded (by the watcher and by POST /admin/reload, alternately). No request may
fail, and every response must come from one whole version: its passages are exactly passages
of the version it names. Bounded: 10 cycles, then the clients stop."""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path

import httpx
import pytest

from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.http.app import create_app
from faqbot.publishing.build import build_index
from faqbot.settings import Settings

from ..conftest import LiveServer
from .reload_clients import Tally, mixed_versions, revise, start_clients

pytestmark = pytest.mark.slow

CLIENTS = 16
CYCLES = 10
TOKEN = "load-test-token"
ARTICLE = "ketamine-infusions.md"


def test_ten_publish_and_reload_cycles_under_load_fail_no_request(
    corpus_copy: Path, tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    index = tmp_path / "index"
    versions = [build_index(corpus_copy, index, real_embedder).manifest.version]
    # 16 clients on one loopback address stand for 16 visitors: no per-address rate limit
    settings = Settings(
        corpus_dir=corpus_copy,
        index_dir=index,
        reload_interval=0.2,
        admin_token=TOKEN,
        rate_limit_per_minute=0,
    )
    article = corpus_copy / ARTICLE
    tally, stop = Tally(), threading.Event()
    with LiveServer(create_app(settings, embedder=real_embedder)) as server:
        started = time.perf_counter()
        threads = start_clients(server.url, CLIENTS, stop, tally)
        try:
            for cycle in range(1, CYCLES + 1):
                revise(article, cycle)
                version = build_index(corpus_copy, index, real_embedder).manifest.version
                versions.append(version)
                if cycle % 2 == 0:
                    reply = httpx.post(
                        f"{server.url}/admin/reload",
                        headers={"authorization": f"Bearer {TOKEN}"},
                        timeout=60,
                    )
                    assert reply.status_code == 200, reply.text
                deadline = time.monotonic() + 60
                while (
                    httpx.get(f"{server.url}/healthz", timeout=60).json()["index_version"]
                    != version
                ):
                    assert time.monotonic() < deadline, f"cycle {cycle}: not reloaded"
                    time.sleep(0.05)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
        seconds = time.perf_counter() - started

    mixed = mixed_versions(tally.seen, index, versions)
    served = {v for v, _ in tally.seen}
    latencies = sorted(tally.latencies)
    print(
        f"\nreload under load: {CLIENTS} clients, {CYCLES} publish+reload cycles in "
        f"{seconds:.1f}s: {tally.ok} requests ok, {len(tally.failures)} failed, "
        f"{len(mixed)} mixed-version responses, {len(served)} versions served, "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.0f} ms"
    )
    assert tally.failures == []
    assert mixed == []
    assert tally.ok >= CLIENTS * CYCLES  # the clients really were asking throughout
    assert len(served) >= CYCLES  # responses came from the versions as they were published
