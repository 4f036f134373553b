"""8 clients ask and vote for 30 s against `faqbot serve --workers 2`: no vote may be lost.

Each request uses a new connection, so a vote often reaches the other worker than the answer
it rates (answer_ids live in the shared SQLite file, not in a worker's memory). At the end the
clients' own tallies are compared with the database and with /metrics (summed over workers).

    .venv/bin/python -m bench.feedback_concurrency [--seconds 30] [--clients 8] [--index index]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench.ops_overhead import QUESTIONS, REPO, free_port, wait_ready
from faqbot.operations.feedback import FeedbackStore


def metric(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--index", type=Path, default=REPO / "index")
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines()]
    lock = threading.Lock()
    outcomes: Counter[str] = Counter()
    votes: Counter[bool] = Counter()
    per_passage: Counter[str] = Counter()
    errors: list[str] = []

    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "feedback.db"
        port = free_port()
        env = {
            **os.environ,
            "FAQBOT_FEEDBACK_DB": str(db),
            "FAQBOT_RATE_LIMIT_PER_MINUTE": "0",
        }
        command = [sys.executable, "-m", "faqbot.cli", "serve", "--index", str(args.index)]
        command += ["--port", str(port), "--workers", str(args.workers)]
        server = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url, server)
            stop = time.monotonic() + args.seconds

            def client(n: int) -> None:
                http = httpx.Client(base_url=url, headers={"Connection": "close"}, timeout=60)
                i = n
                while time.monotonic() < stop:
                    i += 1
                    body = http.post("/ask", json={"question": questions[i % len(questions)]})
                    answer = body.json()
                    helpful = i % 3 != 0
                    vote = http.post(
                        "/feedback", json={"answer_id": answer["answer_id"], "helpful": helpful}
                    )
                    with lock:
                        outcomes[answer["status"]] += 1
                        if vote.status_code != 200:
                            errors.append(f"feedback {vote.status_code}: {vote.text}")
                            continue
                        votes[helpful] += 1
                        for passage in answer["passages"]:
                            per_passage[passage["id"]] += 1

            threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            text = httpx.get(f"{url}/metrics").text
        finally:
            server.terminate()
            server.wait(timeout=60)
        store = FeedbackStore(db)
        stored_votes = store.votes()
        stored_passages = {s.passage_id: s.votes for s in store.passage_stats()}
        stored_outcomes = Counter(store.outcomes_by_day().popitem()[1])

    asked = sum(outcomes.values())
    checks = {
        "votes in database == votes sent": stored_votes == {True: votes[True], False: votes[False]},
        "per-passage votes == sent": stored_passages == dict(per_passage),
        "outcomes in database == answers received": stored_outcomes == outcomes,
        "/metrics answered == received": metric(
            text, "faqbot_ask_outcomes_total", outcome="answered"
        )
        == outcomes["answered"],
        "/metrics feedback == sent": metric(text, "faqbot_feedback_total", helpful="yes")
        + metric(text, "faqbot_feedback_total", helpful="no")
        == sum(votes.values()),
        "no refused votes": not errors,
    }
    print(
        f"{args.clients} clients, {args.workers} workers, {args.seconds:.0f} s: {asked} answers, "
        f"{sum(votes.values())} votes ({votes[True]} yes / {votes[False]} no)"
    )
    for name, ok in checks.items():
        print(f"  {'ok  ' if ok else 'FAIL'} {name}")
    for error in errors[:5]:
        print(f"  {error}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
