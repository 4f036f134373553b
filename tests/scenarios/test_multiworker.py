"""Two uvicorn worker processes share one feedback database and one metrics view, and one
POST /admin/reload reaches both.

8 clients ask and vote for a few seconds (new connection each time, so a vote often lands on the
other worker than its answer). No vote may be lost, and /metrics — answered by either worker —
must add up both workers' counts. The 30-second version is bench/feedback_concurrency.py.
Under the real supervisor (workers.supervise, with the fake embedder's app factory) a reload
request reaches every worker, a refusal names the workers, a fixed version is taken up by all,
and a worker that died is not waited on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from faqbot.index.version import PASSAGES_FILE, VERSIONS_DIR, publish
from faqbot.operations.feedback import FeedbackStore
from faqbot.publishing.build import build_index
from faqbot.serving.fleet import ANSWER_TIMEOUT_S

from ..conftest import CORPUS, REPO, FakeEmbedder, edit_article, free_port
from ..operations.test_metrics import per_worker_values, value
from ..serving.test_workers import _ready_workers, _workers

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
        [sys.executable, "-m", "uvicorn", "tests.scenarios.ops_worker_app:make_app", "--factory",
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


# --- POST /admin/reload under the real supervisor (`faqbot serve --workers 2`'s own code, with
# the fake embedder's app factory): one request must reach both workers.

TOKEN = "workers-admin-token"
AUTH = {"authorization": f"Bearer {TOKEN}"}
SUPERVISE = (
    "import sys; from faqbot.http.guards import uvicorn_options; from faqbot.serving.workers import "
    "supervise; sys.exit(supervise(2, 'tests.scenarios.ops_worker_app:make_app', '127.0.0.1', "
    "int(sys.argv[1]), {'log_level': 'warning', **uvicorn_options()}))"
)
CONNECTIONS = 40  # fresh connections: either worker misses all of them about once in 10^12


@dataclass
class Supervised:
    url: str
    supervisor: subprocess.Popen[bytes]
    corpus: Path
    index: Path
    metrics_dir: Path
    runtime_parent: Path  # the supervisor's TMPDIR: its private worker folder is made in it

    def runtime(self) -> Path:
        folders = list(self.runtime_parent.glob("faqbot-workers-*"))
        assert len(folders) == 1, folders
        return folders[0]

    def workers(self) -> list[int]:
        return _workers(self.supervisor.pid)


@contextmanager
def supervised(
    tmp_path: Path, corpus: Path, index: Path, reload_interval: float
) -> Iterator[Supervised]:
    """The supervisor with two workers on `index`, once both have loaded and answer."""
    metrics_dir, runtime_parent = tmp_path / "prom", tmp_path / "run"
    metrics_dir.mkdir()
    runtime_parent.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAQBOT_")}
    env.update({
        "FAQBOT_CORPUS_DIR": str(corpus), "FAQBOT_INDEX_DIR": str(index), "FAQBOT_WORKERS": "2",
        "FAQBOT_FEEDBACK_DB": str(tmp_path / "f.db"), "FAQBOT_ADMIN_TOKEN": TOKEN,
        "FAQBOT_RELOAD_INTERVAL": str(reload_interval), "FAQBOT_RATE_LIMIT_PER_MINUTE": "0",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "TMPDIR": str(runtime_parent),
    })  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SUPERVISE, str(port)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    live = Supervised(
        f"http://127.0.0.1:{port}", server, corpus, index, metrics_dir, runtime_parent
    )
    try:
        deadline = time.monotonic() + 120
        while len(_ready_workers(metrics_dir, server.pid)) < 2 or not _up(live):
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.1)
        yield live
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)


def _up(live: Supervised) -> bool:
    try:
        return httpx.get(f"{live.url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def versions_seen(live: Supervised) -> Counter[str]:
    """The index version /healthz names over many fresh connections (the kernel spreads them
    over both workers' sockets), checked to have reached both workers."""
    before = _healthz_per_worker(live.metrics_dir)
    seen: Counter[str] = Counter()
    for _ in range(CONNECTIONS):
        reply = httpx.get(f"{live.url}/healthz", headers={"Connection": "close"}, timeout=10)
        seen[reply.json()["index_version"]] += 1
    after = _healthz_per_worker(live.metrics_dir)
    answered = [after[w] - before.get(w, 0.0) for w in after]
    assert len([n for n in answered if n > 0]) == 2, f"/healthz answered per worker: {answered}"
    return seen


def _healthz_per_worker(metrics_dir: Path) -> dict[str, float]:
    return per_worker_values(
        metrics_dir, "faqbot_http_requests_total", path="/healthz", method="GET", status="200"
    )


def test_one_admin_reload_brings_every_worker_onto_the_new_version(
    tmp_path: Path, corpus_copy: Path
) -> None:
    # The watcher is off, so only the one POST /admin/reload can move the workers; before, it
    # reached the worker that took the connection and the other kept serving the old version.
    index = tmp_path / "index"
    first = build_index(corpus_copy, index, FakeEmbedder()).manifest.version
    with supervised(tmp_path, corpus_copy, index, reload_interval=0) as live:
        assert versions_seen(live) == Counter({first: CONNECTIONS})
        edit_article(corpus_copy, "45 minutes to an hour", "50 minutes to an hour")
        second = build_index(corpus_copy, index, FakeEmbedder()).manifest.version
        reply = httpx.post(f"{live.url}/admin/reload", headers=AUTH, timeout=60)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert (body["status"], body["index_version"], body["previous_version"]) == (
            "reloaded", second, first
        )  # fmt: skip
        assert versions_seen(live) == Counter({second: CONNECTIONS})
        assert sorted(w["pid"] for w in body["workers"]) == sorted(live.workers())
        assert [(w["index_version"], w["status"]) for w in body["workers"]] == [
            (second, "reloaded")
        ] * 2
        runtime = live.runtime()
        assert sorted(p.name for p in runtime.glob("worker-*.json")) == sorted(
            f"worker-{pid}.json" for pid in live.workers()
        )
    assert not runtime.exists()  # the supervisor removes its private folder when it stops


def test_a_version_refused_by_the_workers_names_them_and_is_served_once_fixed(
    tmp_path: Path, corpus_copy: Path
) -> None:
    index = tmp_path / "index"
    first = build_index(corpus_copy, index, FakeEmbedder()).manifest.version
    with supervised(tmp_path, corpus_copy, index, reload_interval=0) as live:
        edit_article(corpus_copy, "45 minutes to an hour", "50 minutes to an hour")
        second = build_index(corpus_copy, index, FakeEmbedder()).manifest.version
        passages = index / VERSIONS_DIR / second / PASSAGES_FILE
        good = passages.read_bytes()
        passages.write_bytes(b"damaged\n")
        reply = httpx.post(f"{live.url}/admin/reload", headers=AUTH, timeout=60)
        assert reply.status_code == 409, reply.text
        error = reply.json()["error"]
        assert (
            error["code"] == "reload_refused"
            and f"Version {second} was not loaded" in error["message"]
        )
        assert all(f"worker {pid} (" in error["message"] for pid in live.workers()), error
        assert versions_seen(live) == Counter({first: CONNECTIONS})
        passages.write_bytes(good)
        reply = httpx.post(f"{live.url}/admin/reload", headers=AUTH, timeout=60)
        assert reply.status_code == 200, reply.text
        assert versions_seen(live) == Counter({second: CONNECTIONS})


def test_every_worker_serves_a_refused_version_within_a_few_intervals_of_its_fix(
    tmp_path: Path, corpus_copy: Path
) -> None:
    index = tmp_path / "index"
    first = build_index(corpus_copy, index, FakeEmbedder()).manifest.version
    edit_article(corpus_copy, "45 minutes to an hour", "50 minutes to an hour")
    second = build_index(corpus_copy, index, FakeEmbedder()).manifest.version
    publish(index, first)
    safety = index / VERSIONS_DIR / second / "safety.yaml"  # the version's own copy
    good = safety.read_text(encoding="utf-8")
    with supervised(tmp_path, corpus_copy, index, reload_interval=0.2) as live:
        safety.write_text(good.replace("emergency:", "emergency: [typo", 1), encoding="utf-8")
        publish(index, second)  # both watchers refuse it: its rules differ from the manifest
        time.sleep(1.0)
        assert versions_seen(live) == Counter({first: CONNECTIONS})
        safety.write_text(good, encoding="utf-8")
        fixed = time.monotonic()
        while set(versions_seen(live)) != {second}:
            assert time.monotonic() - fixed < 5.0, "not every worker took up the fixed version"
            time.sleep(0.1)


def test_a_worker_that_died_is_not_waited_on(tmp_path: Path, corpus_copy: Path) -> None:
    index = tmp_path / "index"
    build_index(corpus_copy, index, FakeEmbedder())
    with supervised(tmp_path, corpus_copy, index, reload_interval=0) as live:
        victim, survivor = live.workers()
        os.kill(victim, signal.SIGKILL)
        while Path(f"/proc/{victim}").exists():  # reaped by the supervisor, its socket closed
            time.sleep(0.05)
        started = time.monotonic()
        reply = httpx.post(f"{live.url}/admin/reload", headers=AUTH, timeout=60)
        assert reply.status_code == 200, reply.text
        assert time.monotonic() - started < ANSWER_TIMEOUT_S / 2
        pids = [w["pid"] for w in reply.json()["workers"]]
        assert survivor in pids and victim not in pids
