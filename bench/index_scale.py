"""Index search at the real corpus size, 100k and 1M vectors: flat vs the approximate index.

Beyond the real MedQuAD vectors the collection is synthetic: each extra vector blends two real
passage vectors (0.7/0.3) plus a little noise, so the set keeps the clustered shape real
embeddings have instead of being uniform noise (on which no approximate index works and no
corpus looks like). Queries are real MedQuAD dev questions, encoded with the same model.
Latency is per single query, as a server searches; recall@10 is against exact flat search, on
held-out questions (nprobe is tuned on the other half, plus synthetic probes).
"""

from __future__ import annotations

import time
from typing import Any

import faiss
import numpy as np

from faqbot.errors import IndexRecallTooLow
from faqbot.index.ann import IndexPolicy, IvfFlatBackend, exact_neighbours, recall_at_k

from .common import ratio, summary_ms

K = 10
SYNTHETIC_SEED = 1_000_003
BLEND = 0.7
NOISE = 0.25
CHUNK = 100_000


def grow(real: np.ndarray, total: int) -> np.ndarray:
    """The real vectors followed by synthetic blends of them, up to `total` rows."""
    if total <= real.shape[0]:
        return real[:total]
    rng = np.random.default_rng(SYNTHETIC_SEED)
    out = np.empty((total, real.shape[1]), dtype=np.float32)
    out[: real.shape[0]] = real
    scale = NOISE / np.sqrt(real.shape[1])
    for start in range(real.shape[0], total, CHUNK):
        stop = min(total, start + CHUNK)
        n = stop - start
        a = real[rng.integers(0, real.shape[0], n)]
        b = real[rng.integers(0, real.shape[0], n)]
        rows = BLEND * a + (1 - BLEND) * b + scale * rng.standard_normal(a.shape, np.float32)
        out[start:stop] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


def single_query_latencies(index: faiss.Index, queries: np.ndarray) -> list[float]:
    seconds = []
    for i in range(queries.shape[0]):
        started = time.perf_counter()
        index.search(queries[i : i + 1], K)
        seconds.append(time.perf_counter() - started)
    return seconds


def one_size(
    vectors: np.ndarray, tuning: np.ndarray, queries: np.ndarray, label: str
) -> dict[str, Any]:
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    single_query_latencies(flat, queries[:5])  # warm-up
    flat_ms = summary_ms(single_query_latencies(flat, queries))
    exact = exact_neighbours(queries, vectors, K)
    del flat
    started = time.perf_counter()
    try:
        policy = IndexPolicy(flat_max_passages=0, questions=tuning)
        ivf, choice = IvfFlatBackend().build(vectors, policy)
    except IndexRecallTooLow as exc:
        return {
            "label": label,
            "vectors": int(vectors.shape[0]),
            "flat": flat_ms,
            "refused": str(exc),
        }
    build_seconds = time.perf_counter() - started
    single_query_latencies(ivf, queries[:5])
    ivf_ms = summary_ms(single_query_latencies(ivf, queries))
    found = ivf.search(queries, K)[1]
    return {
        "label": label,
        "vectors": int(vectors.shape[0]),
        "flat": flat_ms,
        "ivf": ivf_ms,
        "ivf_params": choice.params,
        "ivf_build_seconds": round(build_seconds, 1),
        "recall_at_10_real_queries": round(recall_at_k(found, exact), 4),
        "recall_at_10_at_build": round(choice.recall_at_10 or 0.0, 4),
        "flat_over_ivf_p50": ratio(flat_ms["p50_ms"], ivf_ms["p50_ms"]),
    }


def run(real: np.ndarray, questions: np.ndarray, sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    """`questions`: encoded MedQuAD dev questions; the first half tunes nprobe at build time
    (as `faqbot build` does with its dev questions), the held-out second half is measured."""
    half = questions.shape[0] // 2
    tuning, queries = questions[:half], questions[half:]
    results = [one_size(real, tuning, queries, "real corpus")]
    for size in sizes:
        if size > real.shape[0]:
            results.append(
                one_size(grow(real, size), tuning, queries, f"{size:,} (real + synthetic)")
            )
    return results
