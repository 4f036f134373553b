"""Index-type choice: flat when small, IVF above the size setting, refused below the recall floor."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from faqbot.errors import IndexRecallTooLow
from faqbot.index.ann import (
    FLAT,
    IVF_FLAT,
    IndexPolicy,
    build_vector_index,
    choose_index_type,
    exact_neighbours,
    probe_queries,
    recall_at_k,
    recall_lower_bound,
)
from faqbot.index.version import MANIFEST_FILE, VERSIONS_DIR, load_published, published_version
from faqbot.publishing.build import build_index

from ..conftest import CORPUS, FakeEmbedder
from .contract import DIMENSION, clustered_vectors


def uniform_vectors(count: int, seed: int = 2) -> np.ndarray:
    """Unit vectors with no structure at all: the worst case for any approximate index."""
    rows = np.random.default_rng(seed).standard_normal((count, 256))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_flat_up_to_the_size_setting_and_approximate_above() -> None:
    policy = IndexPolicy(flat_max_passages=100)
    assert choose_index_type(100, policy) == FLAT
    assert choose_index_type(101, policy) == IVF_FLAT


def test_small_index_is_exact_flat_without_a_recall_figure() -> None:
    index, choice = build_vector_index(clustered_vectors(200, 5), IndexPolicy())
    assert choice.index_type == FLAT and choice.recall_at_10 is None
    assert index.ntotal == 200


def test_large_index_is_ivf_with_recall_measured_against_flat() -> None:
    vectors = clustered_vectors(4000, 40)
    index, choice = build_vector_index(vectors, IndexPolicy(flat_max_passages=1000))
    assert choice.index_type == IVF_FLAT
    assert choice.recall_at_10 is not None and choice.recall_at_10 >= 0.98
    assert 1 <= choice.params["nprobe"] <= choice.params["nlist"]
    queries = probe_queries(vectors, 50, seed=99)
    found = index.search(queries, 10)[1]
    assert recall_at_k(found, exact_neighbours(queries, vectors, 10)) >= 0.9


def test_build_is_refused_when_the_approximate_index_misses_too_much() -> None:
    with pytest.raises(IndexRecallTooLow, match="FAQBOT_MIN_ANN_RECALL"):
        build_vector_index(uniform_vectors(4000), IndexPolicy(flat_max_passages=1000))


def test_the_recall_floor_is_a_setting() -> None:
    _, choice = build_vector_index(
        uniform_vectors(4000), IndexPolicy(flat_max_passages=1000, min_recall=0.0)
    )
    assert choice.index_type == IVF_FLAT and choice.recall_at_10 is not None


def test_recall_counts_shared_ids_per_query() -> None:
    exact = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    found = np.array([[4, 3, 2, 1], [5, 6, -1, -1]])
    assert recall_at_k(found, exact) == pytest.approx(0.75)


def test_manifest_records_the_choice_and_the_index_loads_with_it(
    tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    build_index(CORPUS, tmp_path, fake_embedder, IndexPolicy(flat_max_passages=1, min_recall=0.0))
    folder = tmp_path / VERSIONS_DIR / published_version(tmp_path)
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    assert manifest["index_type"] == IVF_FLAT
    assert set(manifest["index_params"]) == {"nlist", "nprobe"}
    assert 0.0 <= manifest["ann_recall_at_10"] <= 1.0
    index = load_published(tmp_path, FakeEmbedder.model_name, FakeEmbedder.dimension)
    assert index.manifest.index_params == manifest["index_params"]
    hits = index.search(fake_embedder.encode(["how long is each infusion session"]), 3)[0]
    assert hits and all(h.passage in index.passages for h in hits)


def test_default_build_of_a_small_corpus_is_flat(
    tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    build_index(CORPUS, tmp_path, fake_embedder)
    index = load_published(tmp_path, FakeEmbedder.model_name)
    assert index.manifest.index_type == FLAT
    assert index.manifest.ann_recall_at_10 is None


def test_real_questions_are_probed_too_and_the_worse_recall_decides() -> None:
    vectors = clustered_vectors(4000, 40)
    policy = IndexPolicy(flat_max_passages=1000)
    _, easy = build_vector_index(vectors, policy)
    assert easy.recall_at_10 is not None and easy.recall_at_10 >= 0.98
    # Questions far from every cluster: their exact neighbours are scattered over many cells.
    rng = np.random.default_rng(5)
    # 200 of them: the gate's margin shrinks with the square root of the probes it measured.
    scattered = rng.standard_normal((200, DIMENSION)).astype(np.float32)
    scattered /= np.linalg.norm(scattered, axis=1, keepdims=True)
    _, checked = build_vector_index(
        vectors, IndexPolicy(flat_max_passages=1000, questions=scattered)
    )
    assert checked.params["nprobe"] > easy.params["nprobe"]  # probed wider to meet the floor
    assert checked.recall_at_10 is not None and checked.recall_at_10 >= 0.98
    with pytest.raises(IndexRecallTooLow):
        build_vector_index(
            vectors, IndexPolicy(flat_max_passages=1000, min_recall=0.999, questions=scattered)
        )


def test_the_recall_gate_leaves_a_margin_for_questions_it_did_not_probe() -> None:
    per_query = np.array([1.0] * 90 + [0.8] * 10)  # mean 0.98, a sample of 100 questions
    assert recall_lower_bound(per_query) < 0.98 < per_query.mean() + 1e-9
    assert recall_lower_bound(np.ones(50)) == pytest.approx(1.0)
    vectors = clustered_vectors(4000, 40)
    index, _ = build_vector_index(vectors, IndexPolicy(flat_max_passages=1000))
    held_out = probe_queries(vectors, 300, seed=1234)  # not the probes it was tuned on
    found = index.search(held_out, 10)[1]
    assert recall_at_k(found, exact_neighbours(held_out, vectors, 10)) >= 0.98
