"""Visitors that keep asking while new index versions are published, and the check that no
answer mixed versions. Shared by tests/scenarios/test_reload_under_load.py (short, bounded) and
bench/reload_under_load.py (long form)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from faqbot.index.version import PASSAGES_FILE, VERSIONS_DIR, read_passages

# A sentence of ketamine-infusions.md that each cycle edits, so every build is a new version.
MARKER = "during which a controlled dose of ketamine is infused into the bloodstream."
QUESTIONS = (
    "How long is each ketamine session?",
    "Is the infusion given through an IV?",
    "What are the short-term side effects?",
    "Who should avoid ketamine infusions?",
)
Served = tuple[str, tuple[tuple[str, str], ...]]  # index_version, (passage id, text) pairs


@dataclass
class Tally:
    ok: int = 0
    failures: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    seen: list[Served] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def client(url: str, stop: threading.Event, tally: Tally, offset: int) -> None:
    """Ask the questions in turn until `stop`; count every failure, retry none."""
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


def start_clients(
    url: str, count: int, stop: threading.Event, tally: Tally
) -> list[threading.Thread]:
    """`count` clients asking in parallel, each starting at another question."""
    threads = [
        threading.Thread(target=client, args=(url, stop, tally, i), daemon=True)
        for i in range(count)
    ]
    for thread in threads:
        thread.start()
    return threads


def revise(article: Path, cycle: int) -> None:
    """Mark the article's MARKER sentence with this cycle's revision number."""
    text = article.read_text("utf-8")
    old = MARKER if cycle == 1 else MARKER.replace(".", f" (rev {cycle - 1}).")
    article.write_text(text.replace(old, MARKER.replace(".", f" (rev {cycle}).")), encoding="utf-8")


def mixed_versions(seen: list[Served], index: Path, versions: list[str]) -> list[Served]:
    """Responses whose passages are not all passages of the version they name."""
    passages = {
        v: {(p.id, p.text) for p in read_passages(index / VERSIONS_DIR / v / PASSAGES_FILE)}
        for v in versions
    }
    return [(v, ids) for v, ids in seen if v not in passages or not set(ids) <= passages[v]]
