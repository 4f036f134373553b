"""Index versions are written whole, verified, published atomically and refused when wrong."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from faqbot.errors import IndexCorrupt, IndexMismatch, IndexNotFound
from faqbot.index.alternates import ALTERNATE_VECTORS_FILE, ALTERNATES_FILE
from faqbot.index.bm25 import LEXICAL_DIR
from faqbot.index.provenance import PROVENANCE_FILE
from faqbot.index.version import (
    MANIFEST_FILE,
    PASSAGES_FILE,
    RULE_FILES,
    VECTORS_FILE,
    VERSIONS_DIR,
    load_published,
    published_version,
)
from faqbot.publishing.build import build_index

from ..conftest import CORPUS, FakeEmbedder


@pytest.fixture
def built(tmp_path: Path, fake_embedder: FakeEmbedder) -> Path:
    build_index(CORPUS, tmp_path, fake_embedder)
    return tmp_path


def _folder(root: Path) -> Path:
    return root / VERSIONS_DIR / published_version(root)


def test_build_publishes_a_loadable_version_with_manifest(built: Path) -> None:
    index = load_published(built, FakeEmbedder.model_name, FakeEmbedder.dimension)
    manifest = json.loads((_folder(built) / MANIFEST_FILE).read_text())
    assert manifest["model"] == FakeEmbedder.model_name
    assert manifest["dimension"] == FakeEmbedder.dimension
    assert manifest["passage_count"] == len(index.passages) > 0
    assert {"corpus_hash", "faqbot_version", "built_at"} <= manifest.keys()


def test_search_returns_best_first_with_scores(built: Path, fake_embedder: FakeEmbedder) -> None:
    index = load_published(built, FakeEmbedder.model_name)
    hits = index.search(fake_embedder.encode(["Each session lasts about 45 minutes"]), 3)[0]
    assert "45 minutes to an hour" in hits[0].passage.text
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_loading_with_another_model_is_refused_with_a_clear_message(built: Path) -> None:
    with pytest.raises(IndexMismatch, match="rebuild with `faqbot build`"):
        load_published(built, "another-model")


def test_nothing_published_says_to_run_build(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFound, match="run `faqbot build` first"):
        load_published(tmp_path, FakeEmbedder.model_name)


def test_truncated_vectors_file_is_refused(built: Path) -> None:
    path = _folder(built) / VECTORS_FILE
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(IndexCorrupt, match=r"vectors\.faiss"):
        load_published(built, FakeEmbedder.model_name)


def test_passages_not_matching_vector_count_are_refused(built: Path) -> None:
    path = _folder(built) / PASSAGES_FILE
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(IndexCorrupt, match="vectors"):
        load_published(built, FakeEmbedder.model_name)


def test_artefacts_are_faiss_json_jsonl_and_npy_never_pickle(built: Path) -> None:
    names = sorted(p.name for p in _folder(built).iterdir())
    assert names == sorted(
        [
            LEXICAL_DIR,
            MANIFEST_FILE,
            PASSAGES_FILE,
            VECTORS_FILE,
            PROVENANCE_FILE,
            ALTERNATE_VECTORS_FILE,  # the bundled article has alternate questions
            ALTERNATES_FILE,
            *RULE_FILES,  # the editors' YAML and JSON, kept with the version
        ]
    )
    lexical = sorted(p.name for p in (_folder(built) / LEXICAL_DIR).iterdir())
    assert lexical and all(n.endswith((".json", ".npy")) for n in lexical), lexical


def test_a_version_without_the_lexical_index_is_refused(built: Path) -> None:
    path = _folder(built) / MANIFEST_FILE
    manifest = json.loads(path.read_text())
    del manifest["lexical"]  # as written by a faqbot before hybrid retrieval
    path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatch, match="no lexical index"):
        load_published(built, FakeEmbedder.model_name)


def test_a_damaged_lexical_folder_is_refused(built: Path) -> None:
    shutil.rmtree(_folder(built) / LEXICAL_DIR)
    with pytest.raises(IndexCorrupt, match="rebuild"):
        load_published(built, FakeEmbedder.model_name)


def test_a_failed_build_leaves_the_published_version_in_place(
    built: Path, corpus_copy: Path, fake_embedder: FakeEmbedder
) -> None:
    before = published_version(built)
    (corpus_copy / "responses.yaml").unlink()
    with pytest.raises(Exception, match=r"responses\.yaml"):
        build_index(corpus_copy, built, fake_embedder)
    assert published_version(built) == before
    assert load_published(built, FakeEmbedder.model_name).version == before
