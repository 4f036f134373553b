"""An LRU cache of query embeddings, so a repeated question skips the encoder entirely.

Visitors ask the same few questions over and over ("How long does a session take?"); the
encoder is most of the time an answer costs, so a repeated question is served from memory.
The Answerer encodes the *normalised* question, so that is the key: two spellings that
normalise alike share one entry. Only the vector is cached — retrieval and the decision run
every time against the current index, so a reload never serves stale passages.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from faqbot.embedding.encoder import Embedder, Vectors


@dataclass(frozen=True)
class CacheStats:
    """Counters for logs, metrics and the benchmark."""

    hits: int
    misses: int
    size: int
    capacity: int


class QueryVectorCache:
    """A thread-safe least-recently-used map from normalised question to its unit vector."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1 (use no cache instead)")
        self.capacity = capacity
        self._rows: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    def get(self, key: str) -> Vectors | None:
        with self._lock:
            row = self._rows.get(key)
            if row is None:
                self._misses += 1
                return None
            self._rows.move_to_end(key)
            self._hits += 1
            return row

    def put(self, key: str, row: Vectors) -> None:
        frozen = np.array(row, dtype=np.float32, copy=True)
        frozen.setflags(write=False)  # shared between requests: nobody may edit it in place
        with self._lock:
            self._rows[key] = frozen
            self._rows.move_to_end(key)
            while len(self._rows) > self.capacity:
                self._rows.popitem(last=False)

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self._hits, self._misses, len(self._rows), self.capacity)


class CachedQueryEmbedder:
    """An Embedder that answers texts it has seen from the cache and encodes only the rest."""

    def __init__(self, inner: Embedder, capacity: int) -> None:
        self.inner = inner
        self.cache = QueryVectorCache(capacity)

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def encode(self, texts: Sequence[str]) -> Vectors:
        rows: list[Vectors | None] = [self.cache.get(text) for text in texts]
        missing = [i for i, row in enumerate(rows) if row is None]
        if missing:
            fresh = self.inner.encode([texts[i] for i in missing])
            for i, row in zip(missing, fresh, strict=True):
                self.cache.put(texts[i], row)
                rows[i] = row
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.ascontiguousarray(np.stack([r for r in rows if r is not None]), dtype=np.float32)


def with_query_cache(embedder: Embedder, capacity: int) -> Embedder:
    """The embedder behind an LRU cache of `capacity` questions; unchanged when capacity is 0."""
    return CachedQueryEmbedder(embedder, capacity) if capacity > 0 else embedder
