"""In-process figures: the encoder floor, /ask without HTTP and its breakdown, cache hit vs miss.

The floor and /ask are timed interleaved, question by question, so both see the same noise.
The breakdown wraps the embedder and the index in timing proxies (no change to the Answerer);
normalise, the safety gate and the decision are pure, so they are timed on the same inputs
directly. Whatever remains (fusion/re-ranking when present, glue) is reported as such.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Any

from faqbot.answering.answerer import Answerer, ServingState, decide
from faqbot.corpus.safety_rules import check_safety
from faqbot.embedding.batching import BatchingEmbedder
from faqbot.embedding.encoder import Embedder, Vectors
from faqbot.embedding.query_cache import CachedQueryEmbedder
from faqbot.text.normalize import normalize_question

from .common import BenchConfig, dev_questions, ratio, summary_ms

# Passes over the dev questions stop after this many seconds (at least one pass is made).
PASSES_BUDGET_S = 90


class TimedEmbedder:
    """The embedder, recording how long each encode call took."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.dimension = inner.dimension
        self.last = 0.0

    def encode(self, texts: Sequence[str]) -> Vectors:
        started = time.perf_counter()
        vectors = self.inner.encode(texts)
        self.last = time.perf_counter() - started
        return vectors


class TimedIndex:
    """The passage index, recording how long each search took."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.last = 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def search(self, queries: Vectors, k: int) -> Any:
        started = time.perf_counter()
        hits = self.inner.search(queries, k)
        self.last = time.perf_counter() - started
        return hits


def _is_emergency(question: str, state: ServingState) -> bool:
    verdict = check_safety(normalize_question(question), state.policy.safety)
    return verdict is not None and verdict.category == "emergency"


def run(
    config: BenchConfig, embedder: Embedder, state: ServingState, candidates: int
) -> dict[str, Any]:
    questions = dev_questions()
    texts = [normalize_question(q) for q in questions]
    timed_model = TimedEmbedder(BatchingEmbedder(embedder))  # the served stack, cache off
    timed_index = TimedIndex(state.index)
    timed_state = dataclasses.replace(state, index=timed_index)
    answerer = Answerer(timed_model, timed_state, candidates)
    for question in questions:  # warm-up: first calls allocate
        answerer.ask(question)
        embedder.encode([normalize_question(question)])

    floor: list[float] = []
    total: list[float] = []
    parts: dict[str, list[float]] = {
        k: [] for k in ("normalise", "safety_gate", "encode", "search", "decide", "fuse_and_other")
    }
    loop_started = time.perf_counter()
    for _ in range(config.repeats):
        if floor and time.perf_counter() - loop_started > PASSES_BUDGET_S:
            break  # a busy machine: fewer passes over the questions, said in the results
        for question, text in zip(questions, texts, strict=True):
            started = time.perf_counter()
            embedder.encode([text])
            floor.append(time.perf_counter() - started)

            timed_model.last = timed_index.last = 0.0
            started = time.perf_counter()
            answer = answerer.ask(question)
            elapsed = time.perf_counter() - started
            total.append(elapsed)

            t0 = time.perf_counter()
            normalised = normalize_question(question)
            t1 = time.perf_counter()
            check_safety(normalised, state.policy.safety)
            t2 = time.perf_counter()
            hits = list(answer.hits) if answer.status == "answered" else []
            decide(normalised, hits, state.policy)
            t3 = time.perf_counter()
            parts["normalise"].append(t1 - t0)
            parts["safety_gate"].append(t2 - t1)
            parts["decide"].append(t3 - t2)
            parts["encode"].append(timed_model.last)
            parts["search"].append(timed_index.last)
            known = (t3 - t0) + timed_model.last + timed_index.last
            parts["fuse_and_other"].append(max(0.0, elapsed - known))

    floor_summary = summary_ms(floor)
    ask_summary = summary_ms(total)
    return {
        "questions": len(questions),
        "repeats": config.repeats,
        "encoder_floor": floor_summary,
        "ask_inprocess": ask_summary,
        "ask_inprocess_over_floor_p50": ratio(ask_summary["p50_ms"], floor_summary["p50_ms"]),
        "breakdown_mean_ms": {name: round(1000 * sum(v) / len(v), 4) for name, v in parts.items()},
        "cache": _cache(config, embedder, state, candidates, questions),
    }


def _cache(
    config: BenchConfig,
    embedder: Embedder,
    state: ServingState,
    candidates: int,
    questions: list[str],
) -> dict[str, Any]:
    """A question asked for the first time vs the same question again (non-emergency ones:
    an emergency never reaches the encoder, cached or not)."""
    asked = [q for q in questions if not _is_emergency(q, state)]
    miss: list[float] = []
    hit: list[float] = []
    for _ in range(config.repeats):
        cached = CachedQueryEmbedder(BatchingEmbedder(embedder), capacity=1024)
        answerer = Answerer(cached, state, candidates)
        for question in asked:
            started = time.perf_counter()
            answerer.ask(question)
            miss.append(time.perf_counter() - started)
            started = time.perf_counter()
            answerer.ask(question)
            hit.append(time.perf_counter() - started)
    miss_summary, hit_summary = summary_ms(miss), summary_ms(hit)
    return {
        "miss": miss_summary,
        "hit": hit_summary,
        "miss_over_hit_p50": ratio(miss_summary["p50_ms"], hit_summary["p50_ms"]),
    }
