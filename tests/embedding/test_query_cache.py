"""The query-vector cache: repeated questions skip the encoder, old entries leave first."""

from __future__ import annotations

import numpy as np
import pytest

from faqbot.embedding.query_cache import CachedQueryEmbedder, QueryVectorCache, with_query_cache

from ..conftest import CountingEmbedder, FakeEmbedder


def test_a_repeated_question_is_not_encoded_again() -> None:
    inner = CountingEmbedder()
    cached = CachedQueryEmbedder(inner, capacity=8)
    first = cached.encode(["how long is a session"])
    second = cached.encode(["how long is a session"])
    assert inner.batches == [["how long is a session"]]
    np.testing.assert_array_equal(first, second)
    assert cached.cache.stats().hits == 1 and cached.cache.stats().misses == 1


def test_cached_vectors_equal_what_the_encoder_gives() -> None:
    inner = CountingEmbedder()
    cached = CachedQueryEmbedder(inner, capacity=8)
    cached.encode(["is ketamine safe"])
    np.testing.assert_array_equal(
        cached.encode(["is ketamine safe"]), FakeEmbedder().encode(["is ketamine safe"])
    )


def test_least_recently_used_question_is_dropped_first() -> None:
    inner = CountingEmbedder()
    cached = CachedQueryEmbedder(inner, capacity=2)
    cached.encode(["a"])
    cached.encode(["b"])
    cached.encode(["a"])  # touch a: b is now the oldest
    cached.encode(["c"])  # evicts b
    inner.batches.clear()
    cached.encode(["a"])
    cached.encode(["c"])
    cached.encode(["b"])
    assert inner.batches == [["b"]]
    assert cached.cache.stats().size == 2


def test_a_batch_encodes_only_its_missing_texts_and_keeps_order() -> None:
    inner = CountingEmbedder()
    cached = CachedQueryEmbedder(inner, capacity=8)
    cached.encode(["x"])
    rows = cached.encode(["y", "x", "z"])
    assert inner.batches[-1] == ["y", "z"]
    np.testing.assert_array_equal(rows, FakeEmbedder().encode(["y", "x", "z"]))


def test_cached_rows_cannot_be_edited_in_place() -> None:
    cache = QueryVectorCache(capacity=1)
    cache.put("q", np.ones(4, dtype=np.float32))
    row = cache.get("q")
    assert row is not None
    with pytest.raises(ValueError):
        row[0] = 5.0


def test_capacity_zero_means_no_cache() -> None:
    inner = FakeEmbedder()
    assert with_query_cache(inner, 0) is inner
    assert isinstance(with_query_cache(inner, 4), CachedQueryEmbedder)
    with pytest.raises(ValueError):
        QueryVectorCache(0)


def test_cache_keeps_the_embedder_identity_for_index_checks() -> None:
    cached = with_query_cache(FakeEmbedder(), 4)
    assert cached.model_name == FakeEmbedder.model_name
    assert cached.dimension == FakeEmbedder.dimension
