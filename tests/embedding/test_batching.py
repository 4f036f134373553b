"""Encoder passes are serialised per worker and concurrent questions share a pass."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import pytest

from faqbot.embedding.batching import BatchingEmbedder
from faqbot.embedding.encoder import Vectors

from ..conftest import FakeEmbedder


class GatedEmbedder(FakeEmbedder):
    """The fake embedder, but its first pass blocks until the test opens the gate, and it
    records each batch and whether two passes ever overlapped."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.batches: list[list[str]] = []
        self.running = 0
        self.overlapped = False
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            self.running += 1
            self.overlapped |= self.running > 1
        self.entered.set()
        self.gate.wait(timeout=10)
        with self._lock:
            self.running -= 1
            self.batches.append(list(texts))
        return super().encode(texts)


def _ask_in_threads(
    embedder: BatchingEmbedder, questions: list[str]
) -> tuple[dict[str, Vectors], list[threading.Thread]]:
    results: dict[str, Vectors] = {}

    def ask(question: str) -> None:
        results[question] = embedder.encode([question])

    threads = [threading.Thread(target=ask, args=(q,)) for q in questions]
    for thread in threads:
        thread.start()
    return results, threads


def test_a_lone_question_is_encoded_at_once() -> None:
    inner = GatedEmbedder()
    inner.gate.set()
    batching = BatchingEmbedder(inner)
    np.testing.assert_array_equal(batching.encode(["a b"]), FakeEmbedder().encode(["a b"]))
    assert inner.batches == [["a b"]]


def test_questions_arriving_during_a_pass_share_the_next_one_and_get_their_own_rows() -> None:
    inner = GatedEmbedder()
    batching = BatchingEmbedder(inner)
    first, first_threads = _ask_in_threads(batching, ["first"])
    assert inner.entered.wait(timeout=10)
    waiting = [f"question {i}" for i in range(5)]
    rest, threads = _ask_in_threads(batching, waiting)
    while len(batching._queue) < len(waiting):  # all five queued behind the running pass
        threading.Event().wait(0.01)
    inner.gate.set()
    for thread in first_threads + threads:
        thread.join(timeout=10)
    assert inner.batches[0] == ["first"]
    assert sorted(inner.batches[1]) == sorted(waiting) and len(inner.batches) == 2
    assert not inner.overlapped
    for question in waiting:
        np.testing.assert_array_equal(rest[question], FakeEmbedder().encode([question]))
    np.testing.assert_array_equal(first["first"], FakeEmbedder().encode(["first"]))


def test_a_batch_never_exceeds_its_size_limit() -> None:
    inner = GatedEmbedder()
    batching = BatchingEmbedder(inner, max_batch_texts=2)
    _, first_threads = _ask_in_threads(batching, ["first"])
    assert inner.entered.wait(timeout=10)
    rest, threads = _ask_in_threads(batching, [f"q{i}" for i in range(5)])
    while len(batching._queue) < 5:
        threading.Event().wait(0.01)
    inner.gate.set()
    for thread in first_threads + threads:
        thread.join(timeout=10)
    assert len(rest) == 5
    assert all(len(b) <= 2 for b in inner.batches) and not inner.overlapped


def test_an_encoder_error_reaches_every_caller_of_that_pass() -> None:
    class Broken(FakeEmbedder):
        def encode(self, texts: Sequence[str]) -> Vectors:
            raise RuntimeError("model failed")

    with pytest.raises(RuntimeError, match="model failed"):
        BatchingEmbedder(Broken()).encode(["a"])
