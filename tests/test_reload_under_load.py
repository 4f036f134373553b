"""Reload under continuous load: 16 clients ask over loopback while 10 new versions are built,
published and reloaded (by the watcher and by POST /admin/reload, alternately). No request may
fail, and every response must come from one whole version: its passages are exactly passages
of the version it names. Bounded: 10 cycles, then the clients stop."""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from faqbot.api import create_app
from faqbot.build import build_index
from faqbot.embedding import SentenceTransformerEmbedder
from faqbot.index import PASSAGES_FILE, VERSIONS_DIR, read_passages
from faqbot.settings import Settings

from .conftest import LiveServer

pytestmark = pytest.mark.slow

CLIENTS = 16
CYCLES = 10
TOKEN = "load-test-token"
ARTICLE = "ketamine-infusions.md"
MARKER = "during which a controlled dose of ketamine is infused into the bloodstream."
QUESTIONS = (
    "How long is each ketamine session?",
    "Is the infusion given through an IV?",
    "What are the short-term side effects?",
    "Who should avoid ketamine infusions?",
)


@dataclass
class Tally:
    ok: int = 0
    failures: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    seen: list[tuple[str, tuple[tuple[str, str], ...]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def client(url: str, stop: threading.Event, tally: Tally, offset: int) -> None:
    with httpx.Client(base_url=url, timeout=60) as http:
        n = offset
        while not stop.is_set():
            question = QUESTIONS[n % len(QUESTIONS)]
            n += 1
            started = time.perf_counter()
            try:
                reply = http.post("/ask", json={"question": question})
                elapsed = time.perf_counter() - started
                body = reply.json()
                if reply.status_code != 200:
                    raise RuntimeError(f"HTTP {reply.status_code}: {body}")
                passages = tuple((p["id"], p["text"]) for p in body["passages"])
                with tally.lock:
                    tally.ok += 1
                    tally.latencies.append(elapsed)
                    tally.seen.append((body["index_version"], passages))
            except Exception as exc:  # every failure is counted, none is retried
                with tally.lock:
                    tally.failures.append(f"{type(exc).__name__}: {exc}")


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
        threads = [
            threading.Thread(target=client, args=(server.url, stop, tally, i), daemon=True)
            for i in range(CLIENTS)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        try:
            for cycle in range(1, CYCLES + 1):
                text = article.read_text("utf-8")
                marker = MARKER if cycle == 1 else MARKER.replace(".", f" (rev {cycle - 1}).")
                new = MARKER.replace(".", f" (rev {cycle}).")
                article.write_text(text.replace(marker, new), encoding="utf-8")
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

    passages = {
        v: {(p.id, p.text) for p in read_passages(index / VERSIONS_DIR / v / PASSAGES_FILE)}
        for v in versions
    }
    mixed = [(v, ids) for v, ids in tally.seen if v not in passages or not set(ids) <= passages[v]]
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
