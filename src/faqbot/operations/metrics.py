"""Prometheus metrics, made with prometheus-client (GET /metrics serves them: http/metrics.py).

Several worker processes: when PROMETHEUS_MULTIPROC_DIR is set before this module is imported
(`faqbot serve --workers N` sets it), every process writes its values to files there and /metrics
adds them up with prometheus-client's MultiProcessCollector, whichever worker answers.

Others call the small functions here: `record_reload(ok)` (hot reload), `set_index(...)`; 429
responses are counted by the request middleware.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Request latency: most /ask answers take 5–50 ms on a laptop CPU; keep the tail visible.
REQUEST_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
STAGE_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0)

REQUESTS = Counter(
    "faqbot_http_requests",
    "HTTP requests by route, method and status.",
    ["path", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "faqbot_http_request_duration_seconds",
    "Whole request time by route.",
    ["path"],
    buckets=REQUEST_BUCKETS,
)
OUTCOMES = Counter("faqbot_ask_outcomes", "/ask outcomes.", ["outcome"])
ENCODE_SECONDS = Histogram(
    "faqbot_encode_duration_seconds", "Time to embed one question.", buckets=STAGE_BUCKETS
)
SEARCH_SECONDS = Histogram(
    "faqbot_search_duration_seconds", "Time to search the index.", buckets=STAGE_BUCKETS
)
INDEX_INFO = Gauge(
    "faqbot_index_info",
    "The loaded index version (value 1 for each version a live worker serves).",
    ["index_version"],
    multiprocess_mode="livemax",
)
INDEX_PASSAGES = Gauge(
    "faqbot_index_passages",
    "Passages in the loaded index.",
    ["index_version"],
    multiprocess_mode="livemax",
)
RELOADS = Counter("faqbot_reloads", "Index reloads by result (ok or refused).", ["result"])
RATE_LIMITED = Counter("faqbot_rate_limited", "Requests refused by the rate limiter.", ["path"])
FEEDBACK = Counter("faqbot_feedback", "Visitor feedback recorded.", ["helpful"])

_current_version: list[str] = []  # this process's version in INDEX_INFO (at most one)

for _outcome in ("answered", "fallback", "emergency"):
    OUTCOMES.labels(_outcome)  # show zeros from the start
for _result in ("ok", "refused"):
    RELOADS.labels(_result)
for _path in ("/ask", "/search"):
    RATE_LIMITED.labels(_path)


def multiprocess_enabled() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def prepare_multiprocess() -> Path:
    """Before starting worker processes: a folder for their metric files, in the environment.

    Must run before the workers import prometheus-client (they inherit the environment). An
    operator's own PROMETHEUS_MULTIPROC_DIR is used, else a new temporary folder. Files left by
    an earlier run would be added to this run's counts, so they are deleted.
    """
    given = os.environ.get(MULTIPROC_ENV)
    directory = Path(given) if given else Path(tempfile.mkdtemp(prefix="faqbot-metrics-"))
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(directory)
    return directory


def mark_process_dead() -> None:
    """On worker exit: drop its live gauges (index version) from the sums."""
    if multiprocess_enabled():
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def observe_request(path: str, method: str, status: int, seconds: float, outcome: str) -> None:
    REQUESTS.labels(path, method, str(status)).inc()
    REQUEST_SECONDS.labels(path).observe(seconds)
    if outcome in ("answered", "fallback", "emergency"):
        OUTCOMES.labels(outcome).inc()
    if status == 429:
        RATE_LIMITED.labels(path).inc()


def observe_stage(stage: str, seconds: float) -> None:
    """Called by the answerer for its encode and search steps."""
    (ENCODE_SECONDS if stage == "encode" else SEARCH_SECONDS).observe(seconds)


def set_index(version: str, passages: int) -> None:
    """This worker now serves `version`; safe to call on every load and reload."""
    if _current_version and _current_version[0] == version:
        return
    for old in _current_version:
        INDEX_INFO.remove(old)
        INDEX_PASSAGES.remove(old)
    INDEX_INFO.labels(version).set(1)
    INDEX_PASSAGES.labels(version).set(passages)
    _current_version[:] = [version]


def record_reload(ok: bool) -> None:
    """A reload was attempted: `ok` when the new version is now served, else refused."""
    RELOADS.labels("ok" if ok else "refused").inc()


def record_feedback(helpful: bool) -> None:
    FEEDBACK.labels("yes" if helpful else "no").inc()


def exposition() -> bytes:
    """The Prometheus text format: summed over all workers in multiprocess mode."""
    if multiprocess_enabled():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)
