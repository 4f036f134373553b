"""Two uvicorn worker processes share one feedback database and one metrics view.

8 clients ask and vote for a few seconds (new connection each time, so a vote often lands on the
other worker than its answer). No vote may be lost, and /metrics — answered by either worker —
must add up both workers' counts. The 30-second version is bench/feedback_concurrency.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from faqbot.build import build_index
from faqbot.feedback import FeedbackStore

from .conftest import CORPUS, REPO, FakeEmbedder, free_port
from .test_metrics import per_worker_values, value

CLIENTS = 8
DURATION_S = 5.0
QUESTIONS = (
    "How long does each infusion session take?",
    "What are the short-term side effects of ketamine?",
    "How does ketamine work for depression?",
)


@dataclass
class Tally:
    asked: int = 0
    votes: Counter[bool] = field(default_factory=Counter)
    per_passage: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Workers:
    url: str
    db: Path
    metrics_dir: Path


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[Workers]:
    index_dir = tmp_path / "index"
    build_index(CORPUS, index_dir, FakeEmbedder())
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    port = free_port()
    env = {
        **os.environ,
        "FAQBOT_CORPUS_DIR": str(CORPUS),
        "FAQBOT_INDEX_DIR": str(index_dir),
        "FAQBOT_FEEDBACK_DB": str(tmp_path / "f.db"),
        "FAQBOT_ANSWER_THRESHOLD": "0.05",
        "FAQBOT_RELATED_THRESHOLD": "0.0",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "FAQBOT_RATE_LIMIT_PER_MINUTE": "0",  # 8 clients share one address here
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "tests.ops_worker_app:make_app", "--factory",
         "--workers", "2", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.1)
        yield Workers(url, tmp_path / "f.db", metrics_dir)
    finally:
        server.terminate()
        server.wait(timeout=30)


def client_loop(url: str, n: int, stop: float, tally: Tally) -> None:
    # A new connection for each request, so that either worker may take it.
    client = httpx.Client(base_url=url, headers={"Connection": "close"}, timeout=30)
    i = 0
    while time.monotonic() < stop:
        i += 1
        ask = client.post("/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]})
        helpful = (n + i) % 3 != 0
        body = ask.json()
        vote = client.post("/feedback", json={"answer_id": body["answer_id"], "helpful": helpful})
        with tally.lock:
            tally.asked += 1
            if vote.status_code != 200 or body["status"] != "answered":
                tally.errors.append(f"{ask.status_code} {body['status']} {vote.status_code}")
                continue
            tally.votes[helpful] += 1
            for passage in body["passages"]:
                tally.per_passage[passage["id"]] += 1


def test_eight_clients_voting_across_two_workers_lose_no_counts(two_workers: Workers) -> None:
    tally = Tally()
    stop = time.monotonic() + DURATION_S
    threads = [
        threading.Thread(target=client_loop, args=(two_workers.url, n, stop, tally))
        for n in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DURATION_S + 60)
    assert not tally.errors
    assert tally.asked >= 2 * CLIENTS  # every client got through a few rounds

    store = FeedbackStore(two_workers.db)
    assert store.votes() == {True: tally.votes[True], False: tally.votes[False]}
    recorded = {s.passage_id: s.votes for s in store.passage_stats()}
    assert recorded == dict(tally.per_passage)
    assert sum(store.outcomes_by_day().popitem()[1].values()) == tally.asked

    text = httpx.get(f"{two_workers.url}/metrics").text
    assert value(text, "faqbot_ask_outcomes_total", outcome="answered") == tally.asked
    assert value(text, "faqbot_feedback_total", helpful="yes") == tally.votes[True]
    assert value(text, "faqbot_feedback_total", helpful="no") == tally.votes[False]
    per_worker = per_worker_values(
        two_workers.metrics_dir, "faqbot_ask_outcomes_total", outcome="answered"
    )
    served = list(per_worker.values())
    print(f"asked {tally.asked}, votes {dict(tally.votes)}, per worker {served}")
    assert len(served) == 2 and all(n > 0 for n in served), served
