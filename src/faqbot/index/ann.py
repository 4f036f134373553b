"""Which FAISS index a version gets: exact flat search when small, IVF when large, recall-gated.

A tiny backend interface in the spirit of txtai's ann/base.py: a backend builds a faiss.Index
from unit vectors and re-applies its search parameters after loading. The choice, its
parameters and its recall@10 against exact search (measured at build time) go into the
manifest, so a server never has to guess how a version was built.

Loading memory-maps the vectors (FAISS's IO_FLAG_MMAP_IFC, which covers IndexFlat and the
inverted lists of IndexIVFFlat), so several worker processes share the same page-cache pages
instead of each holding a private copy.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import faiss
import numpy as np

from faqbot.embedding.encoder import Vectors
from faqbot.errors import IndexCorrupt, IndexRecallTooLow

FLAT = "flat"
IVF_FLAT = "ivf_flat"
RECALL_K = 10
# Probe queries for the build-time recall check: enough for a stable mean, few enough that the
# exact ground truth stays a few seconds even at a million vectors.
PROBE_QUERIES = 500
PROBE_SEED = 8
# Lists per vector: FAISS's rule of thumb is 4·sqrt(n) lists, with at least 39 training
# points per list so k-means is not starved.
LISTS_PER_SQRT_N = 4
MIN_TRAINING_POINTS_PER_LIST = 39
TRAINING_POINTS_PER_LIST = 40
# k-means iterations for the IVF cells: 10 places the centroids about as well as FAISS's
# default 25 for search purposes, at 40% of the training time (a minute at 1M vectors here).
KMEANS_ITERATIONS = 10
# The search may scan at most this fraction of the lists: past it an IVF index saves too little
# over flat search to be worth its recall loss, and the build is refused instead.
MAX_PROBE_FRACTION = 1 / 8
MMAP_FLAGS = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY
# The recall gate holds the mean recall minus this many standard errors to the floor: the
# smallest nprobe whose *measured* mean just meets it falls short on other questions (measured:
# 0.9735 on held-out MedQuAD questions at 1M vectors after tuning to 0.98).
RECALL_STANDARD_ERRORS = 2.0


@dataclass(frozen=True)
class IndexPolicy:
    """When to go approximate and how good it must be (from FAQBOT_FLAT_MAX_PASSAGES and
    FAQBOT_MIN_ANN_RECALL)."""

    flat_max_passages: int = 50_000
    min_recall: float = 0.98
    # Encoded real questions (e.g. the dev questions) probed beside the synthetic ones: the
    # recall gate takes the worse of the two, since blurred passages can flatter an index.
    questions: Vectors | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class IndexChoice:
    """What was built: the type, its search parameters and its measured recall@10 vs flat."""

    index_type: str
    params: dict[str, int] = field(default_factory=dict)
    recall_at_10: float | None = None  # None for flat: exact by definition


class AnnBackend(ABC):
    """One kind of FAISS index: build from unit vectors, re-apply parameters after loading."""

    index_type: ClassVar[str]

    @abstractmethod
    def build(self, vectors: Vectors, policy: IndexPolicy) -> tuple[faiss.Index, IndexChoice]:
        """An index holding every row of `vectors` (row i = id i), and what was chosen."""

    @abstractmethod
    def configure(self, index: faiss.Index, params: dict[str, int]) -> None:
        """Apply search-time parameters recorded in the manifest."""


class FlatBackend(AnnBackend):
    """Exact inner-product search: every query scans every vector."""

    index_type = FLAT

    def build(self, vectors: Vectors, policy: IndexPolicy) -> tuple[faiss.Index, IndexChoice]:
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return index, IndexChoice(FLAT)

    def configure(self, index: faiss.Index, params: dict[str, int]) -> None:
        """Exact search has no parameters."""


class IvfFlatBackend(AnnBackend):
    """Inverted lists over k-means cells; `nprobe` is tuned at build time to the recall floor."""

    index_type = IVF_FLAT

    def build(self, vectors: Vectors, policy: IndexPolicy) -> tuple[faiss.Index, IndexChoice]:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        count, dimension = vectors.shape
        nlist = list_count(count)
        quantizer = faiss.IndexFlatIP(dimension)
        index = faiss.IndexIVFFlat(quantizer, dimension, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(PROBE_SEED)
        index.cp.niter = KMEANS_ITERATIONS
        sample_size = min(count, nlist * TRAINING_POINTS_PER_LIST)
        index.train(vectors[np.sort(rng.choice(count, sample_size, replace=False))])
        index.add(vectors)
        nprobe, recall = tune_nprobe(index, vectors, nlist, policy.min_recall, policy.questions)
        index.nprobe = nprobe
        return index, IndexChoice(IVF_FLAT, {"nlist": nlist, "nprobe": nprobe}, recall)

    def configure(self, index: faiss.Index, params: dict[str, int]) -> None:
        faiss.extract_index_ivf(index).nprobe = int(params["nprobe"])


BACKENDS: dict[str, AnnBackend] = {b.index_type: b for b in (FlatBackend(), IvfFlatBackend())}


def list_count(count: int) -> int:
    """IVF cells for `count` vectors: about 4·sqrt(n), never so many that training starves."""
    return max(
        1, min(round(LISTS_PER_SQRT_N * math.sqrt(count)), count // MIN_TRAINING_POINTS_PER_LIST)
    )


def choose_index_type(count: int, policy: IndexPolicy) -> str:
    """Exact search while it is cheap enough, approximate above the configured size."""
    return FLAT if count <= policy.flat_max_passages else IVF_FLAT


def build_vector_index(vectors: Vectors, policy: IndexPolicy) -> tuple[faiss.Index, IndexChoice]:
    """Build the index the policy calls for; raises IndexRecallTooLow below the recall floor."""
    return BACKENDS[choose_index_type(vectors.shape[0], policy)].build(vectors, policy)


def read_vector_index(path: Path, choice: IndexChoice) -> faiss.Index:
    """Load a written index memory-mapped (shared between workers) with its search params."""
    backend = BACKENDS.get(choice.index_type)
    if backend is None:
        raise IndexCorrupt(
            f"{path}: unknown index type {choice.index_type!r}; rebuild with `faqbot build`"
        )
    index = faiss.read_index(str(path), MMAP_FLAGS)
    backend.configure(index, choice.params)
    return index


def probe_queries(vectors: Vectors, count: int, seed: int = PROBE_SEED) -> Vectors:
    """Query-like vectors: stored rows blurred with noise to cosine ≈ 0.7 with their source,
    about how close a visitor's question sits to the passage that answers it."""
    rng = np.random.default_rng(seed)
    rows = vectors[rng.choice(vectors.shape[0], min(count, vectors.shape[0]), replace=False)]
    noise = rng.standard_normal(rows.shape).astype(np.float32) / math.sqrt(rows.shape[1])
    blurred = rows + noise
    normalized: Vectors = (blurred / np.linalg.norm(blurred, axis=1, keepdims=True)).astype(
        np.float32
    )
    return normalized


def exact_neighbours(queries: Vectors, vectors: Vectors, k: int) -> np.ndarray:
    """Ids of the exact top-k by inner product (brute force, no index copy)."""
    _, ids = faiss.knn(
        np.ascontiguousarray(queries), np.ascontiguousarray(vectors), k, faiss.METRIC_INNER_PRODUCT
    )
    return np.asarray(ids)


def recall_per_query(found: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Each query's share of its exact top-k that the approximate search also returned."""
    k = exact.shape[1]
    hits = [
        len(set(f[f >= 0].tolist()) & set(e.tolist())) for f, e in zip(found, exact, strict=True)
    ]
    shares: np.ndarray = np.asarray(hits, dtype=np.float64) / k
    return shares


def recall_at_k(found: np.ndarray, exact: np.ndarray) -> float:
    """Mean share of each query's exact top-k that the approximate search also returned."""
    per_query = recall_per_query(found, exact)
    return float(per_query.mean()) if per_query.size else 1.0


def recall_lower_bound(per_query: np.ndarray) -> float:
    """The mean recall less RECALL_STANDARD_ERRORS standard errors: what other questions of
    the same kind can be counted on to reach, not just the probes that were measured."""
    if per_query.size < 2:
        return float(per_query.mean()) if per_query.size else 1.0
    spread = float(per_query.std(ddof=1)) / math.sqrt(per_query.size)
    return float(per_query.mean()) - RECALL_STANDARD_ERRORS * spread


def tune_nprobe(
    index: faiss.IndexIVF,
    vectors: Vectors,
    nlist: int,
    min_recall: float,
    questions: Vectors | None = None,
) -> tuple[int, float]:
    """The smallest power-of-two nprobe whose recall@10 meets the floor on every probe set
    (synthetic probes, and real questions when given) with a margin for the probes being a
    sample (see recall_lower_bound); returns it with the worst mean recall."""
    k = min(RECALL_K, vectors.shape[0])
    probe_sets = [probe_queries(vectors, PROBE_QUERIES)]
    if questions is not None and len(questions):
        probe_sets.append(np.ascontiguousarray(questions, dtype=np.float32))
    exact = [exact_neighbours(queries, vectors, k) for queries in probe_sets]
    ceiling = max(1, int(nlist * MAX_PROBE_FRACTION))
    nprobe, recall, bound = 1, 0.0, 0.0
    while True:
        index.nprobe = nprobe
        per_set = [
            recall_per_query(index.search(queries, k)[1], truth)
            for queries, truth in zip(probe_sets, exact, strict=True)
        ]
        recall = min(float(r.mean()) for r in per_set)
        bound = min(recall_lower_bound(r) for r in per_set)
        if bound >= min_recall:
            return nprobe, recall
        if nprobe >= ceiling:
            break
        nprobe = min(nprobe * 2, ceiling)
    raise IndexRecallTooLow(
        f"the approximate index reaches recall@{k} {recall:.3f} (at least {bound:.3f} for "
        f"questions like the probes) against exact search (nprobe {nprobe} of {nlist} lists), "
        f"below FAQBOT_MIN_ANN_RECALL {min_recall}: "
        "raise FAQBOT_FLAT_MAX_PASSAGES to keep exact search, or lower the minimum knowingly"
    )
