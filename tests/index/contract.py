"""What every ANN backend (index/ann.py) must do, as one suite each backend's test class inherits
(haystack's testing/document_store.py does the same for its stores).

A subclass supplies only the backend and the policy under which a build picks it; the suite
builds real FAISS indexes from unit vectors and checks what the rest of faqbot relies on: row i
is id i, best first by inner product (the cosine), a written index reads back memory-mapped and
searches as built, and a version on disk that does not fit its manifest is refused. An empty
set is no case: a corpus without articles is refused before anything is encoded.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

import faiss
import numpy as np
import pytest

from faqbot.embedding.encoder import Vectors
from faqbot.errors import IndexCorrupt, IndexMismatch
from faqbot.index.ann import (
    BACKENDS,
    MMAP_FLAGS,
    AnnBackend,
    IndexChoice,
    IndexPolicy,
    exact_neighbours,
    probe_queries,
    read_vector_index,
    recall_at_k,
)
from faqbot.index.version import VECTORS_FILE, VERSIONS_DIR, load_version, write_version
from faqbot.models import Passage

DIMENSION = 32
COUNT = 2000
CLUSTERS = 20
K = 10
MODEL = "contract-vectors"
# Scores are float32 inner products of unit vectors: equal to numpy's up to rounding.
SCORE_TOLERANCE = 1e-5


def clustered_vectors(count: int, clusters: int, seed: int = 1) -> Vectors:
    """Unit vectors around a few centres: the structure real embeddings have."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, DIMENSION))
    rows = centres[rng.integers(0, clusters, count)] + 0.3 * rng.standard_normal((count, DIMENSION))
    unit: Vectors = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    return unit


def _passages(count: int) -> list[Passage]:
    return [
        Passage(
            id=f"a:s{i}:x",
            article_id="a",
            article_title="A",
            section=f"Section {i}",
            anchor=f"s{i}",
            url=f"https://clinic.example/a#s{i}",
            text=f"passage number {i}",
            version="1",
            approved_on="2026-01-01",
        )
        for i in range(count)
    ]


class AnnBackendContract:
    """The suite; a subclass sets BACKEND, the backend under test, and POLICY, an IndexPolicy
    under which build_vector_index picks it for COUNT vectors."""

    BACKEND: ClassVar[AnnBackend]
    POLICY: ClassVar[IndexPolicy]

    @pytest.fixture
    def backend(self) -> AnnBackend:
        return self.BACKEND

    @pytest.fixture
    def policy(self) -> IndexPolicy:
        return self.POLICY

    @pytest.fixture
    def vectors(self) -> Vectors:
        return clustered_vectors(COUNT, CLUSTERS)

    @pytest.fixture
    def built(
        self, backend: AnnBackend, vectors: Vectors, policy: IndexPolicy
    ) -> tuple[faiss.Index, IndexChoice]:
        return backend.build(vectors, policy)

    @pytest.fixture
    def version_folder(self, tmp_path: Path, vectors: Vectors, policy: IndexPolicy) -> Path:
        root = tmp_path / "index"
        manifest = write_version(
            root, _passages(COUNT), vectors, model=MODEL, corpus_digest="0" * 64, policy=policy
        )
        return root / VERSIONS_DIR / manifest.version

    def test_it_holds_every_row_and_says_what_it_is(
        self, backend: AnnBackend, built: tuple[faiss.Index, IndexChoice]
    ) -> None:
        index, choice = built
        assert (index.ntotal, index.d) == (COUNT, DIMENSION)
        assert choice.index_type == backend.index_type

    def test_a_stored_vector_finds_its_own_row_first_with_cosine_one(
        self, built: tuple[faiss.Index, IndexChoice], vectors: Vectors
    ) -> None:
        rows = np.arange(0, COUNT, 97)
        scores, ids = built[0].search(vectors[rows], K)
        assert ids[:, 0].tolist() == rows.tolist()
        assert np.allclose(scores[:, 0], 1.0, atol=SCORE_TOLERANCE)

    def test_k_results_best_first_scored_by_their_inner_product(
        self, built: tuple[faiss.Index, IndexChoice], vectors: Vectors
    ) -> None:
        queries = probe_queries(vectors, 50, seed=7)
        scores, ids = built[0].search(queries, K)
        assert (ids >= 0).all() and all(len(set(row)) == K for row in ids.tolist())
        assert (np.diff(scores, axis=1) <= SCORE_TOLERANCE).all()  # best first
        exact = np.einsum("qd,qkd->qk", queries, vectors[ids])
        assert np.allclose(scores, exact, atol=SCORE_TOLERANCE)
        assert (np.abs(scores) <= 1 + SCORE_TOLERANCE).all()  # cosines of unit vectors

    def test_it_finds_the_exact_neighbours_up_to_the_recall_floor(
        self, built: tuple[faiss.Index, IndexChoice], vectors: Vectors, policy: IndexPolicy
    ) -> None:
        held_out = probe_queries(vectors, 300, seed=1234)  # not the probes a build tunes on
        found = built[0].search(held_out, K)[1]
        recall = recall_at_k(found, exact_neighbours(held_out, vectors, K))
        assert recall >= policy.min_recall
        recorded = built[1].recall_at_10
        assert recorded is None or policy.min_recall <= recorded <= 1.0

    def test_asking_for_more_than_it_holds_pads_with_minus_one_after_distinct_rows(
        self, backend: AnnBackend, policy: IndexPolicy, vectors: Vectors
    ) -> None:
        small = vectors[:5]
        index, _ = backend.build(small, policy)
        _, ids = index.search(small[:1], 8)
        found = [i for i in ids[0].tolist() if i >= 0]
        assert found[0] == 0 and len(set(found)) == len(found) <= 5
        assert ids[0].tolist() == found + [-1] * (8 - len(found))

    def test_the_same_vectors_build_the_same_index(
        self,
        backend: AnnBackend,
        built: tuple[faiss.Index, IndexChoice],
        vectors: Vectors,
        policy: IndexPolicy,
    ) -> None:
        again, choice = backend.build(vectors, policy)
        queries = probe_queries(vectors, 50, seed=3)
        assert choice == built[1]
        assert np.array_equal(again.search(queries, K)[1], built[0].search(queries, K)[1])

    def test_written_and_read_back_memory_mapped_it_searches_as_built(
        self, built: tuple[faiss.Index, IndexChoice], vectors: Vectors, tmp_path: Path
    ) -> None:
        index, choice = built
        path = tmp_path / VECTORS_FILE
        faiss.write_index(index, str(path))
        loaded = read_vector_index(path, choice)
        queries = probe_queries(vectors, 50, seed=11)
        before, after = index.search(queries, K), loaded.search(queries, K)
        assert np.array_equal(before[1], after[1])
        assert np.allclose(before[0], after[0], atol=SCORE_TOLERANCE)

    def test_a_version_naming_its_type_is_read_with_it(self, backend: AnnBackend) -> None:
        assert type(BACKENDS[backend.index_type]) is type(backend)

    def test_the_recorded_parameters_decide_how_a_read_index_searches(
        self,
        backend: AnnBackend,
        built: tuple[faiss.Index, IndexChoice],
        vectors: Vectors,
        policy: IndexPolicy,
        tmp_path: Path,
    ) -> None:
        # Written as built under a looser floor, then told the parameters of `built`: it must
        # search as `built` does, whatever the file itself says.
        loose, _ = backend.build(vectors, replace(policy, min_recall=0.0))
        path = tmp_path / VECTORS_FILE
        faiss.write_index(loose, str(path))
        loaded = faiss.read_index(str(path), MMAP_FLAGS)
        backend.configure(loaded, built[1].params)
        queries = probe_queries(vectors, 50, seed=13)
        assert np.array_equal(loaded.search(queries, K)[1], built[0].search(queries, K)[1])

    def test_a_version_on_disk_answers_with_the_passages_of_the_rows_found(
        self,
        backend: AnnBackend,
        built: tuple[faiss.Index, IndexChoice],
        version_folder: Path,
        vectors: Vectors,
    ) -> None:
        index = load_version(version_folder, MODEL, DIMENSION)
        assert index.manifest.index_type == backend.index_type
        assert index.manifest.index_choice == built[1]
        queries = probe_queries(vectors, 20, seed=5)
        scores, ids = built[0].search(queries, K)
        for hits, row_scores, row_ids in zip(index.search(queries, K), scores, ids, strict=True):
            assert [h.passage for h in hits] == [index.passages[i] for i in row_ids]
            assert np.allclose([h.score for h in hits], row_scores, atol=SCORE_TOLERANCE)

    def test_a_version_gives_the_cosine_of_a_question_with_every_passage(
        self, version_folder: Path, vectors: Vectors
    ) -> None:
        index = load_version(version_folder, MODEL, DIMENSION)
        query = probe_queries(vectors, 1, seed=9)
        assert np.allclose(index.dense_scores(query), vectors @ query[0], atol=SCORE_TOLERANCE)

    def test_a_version_never_returns_more_hits_than_passages_nor_one_twice(
        self, version_folder: Path, vectors: Vectors
    ) -> None:
        index = load_version(version_folder, MODEL, DIMENSION)
        hits = index.search(vectors[:1], COUNT + 10)[0]
        assert hits[0].passage == index.passages[0]
        assert len({h.passage.id for h in hits}) == len(hits) <= COUNT

    def test_loading_for_a_model_of_another_dimension_is_refused(
        self, version_folder: Path
    ) -> None:
        with pytest.raises(IndexMismatch, match="dimension"):
            load_version(version_folder, MODEL, DIMENSION + 1)

    def test_a_vectors_file_of_another_dimension_than_its_manifest_is_refused(
        self,
        backend: AnnBackend,
        policy: IndexPolicy,
        version_folder: Path,
        tmp_path: Path,
    ) -> None:
        copy = tmp_path / "version"
        shutil.copytree(version_folder, copy)
        wider = np.hstack([clustered_vectors(COUNT, CLUSTERS)] * 2) / np.sqrt(2)
        index, _ = backend.build(np.ascontiguousarray(wider, dtype=np.float32), policy)
        faiss.write_index(index, str(copy / VECTORS_FILE))
        with pytest.raises(IndexCorrupt, match=f"dimension {2 * DIMENSION}"):
            load_version(copy, MODEL)

    def test_a_truncated_vectors_file_is_refused_naming_it(
        self, version_folder: Path, tmp_path: Path
    ) -> None:
        copy = tmp_path / "version"
        shutil.copytree(version_folder, copy)
        path = copy / VECTORS_FILE
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        with pytest.raises(IndexCorrupt, match=r"vectors\.faiss"):
            load_version(copy, MODEL)
