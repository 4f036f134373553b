"""Incremental, versioned builds: cached embeddings, diff report, regression gate, rollback,
pruning — with the fast fake embedder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from faqbot.embedding.build_cache import EmbeddingCache
from faqbot.embedding.encoder import Vectors
from faqbot.errors import CorpusError, IndexNotFound
from faqbot.index.history import list_versions, prune, rollback
from faqbot.index.version import VERSIONS_DIR, load_published, published_version
from faqbot.publishing.build import GateConfig, build_index
from faqbot.publishing.evaluation import load_questions
from faqbot.serving.state import gate_config
from faqbot.settings import Settings

from ..conftest import DEV_QUESTIONS, FakeEmbedder, edit_article

ARTICLE = "ketamine-infusions.md"
OLD = "Each session lasts about 45 minutes to an hour"
NEW = "Each session lasts about 50 minutes to an hour"
NMDA = "N-methyl-D-aspartate (NMDA) receptors"
REFERENCE = "Retrieved from [https://www.psychiatry.org]."


class CountingEmbedder(FakeEmbedder):
    """The fake embedder, counting how many texts it was asked to embed."""

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.calls += len(texts)
        return super().encode(texts)


def test_rebuild_after_one_sentence_changed_embeds_only_that_passage(
    corpus_copy: Path, tmp_path: Path
) -> None:
    embedder = CountingEmbedder()
    first = build_index(corpus_copy, tmp_path, embedder)
    texts = first.manifest.passage_count + first.manifest.alternate_count  # alternates too
    assert first.embedded == first.manifest.passage_count and embedder.calls == texts
    edit_article(corpus_copy, OLD, NEW)
    second = build_index(corpus_copy, tmp_path, embedder)
    assert second.embedded == 1 and embedder.calls == texts + 1
    assert second.embedded_alternates == 0
    [(article, diff)] = second.diff.items()
    assert article == "ketamine-infusions" and not diff.added and not diff.removed
    [(old, new)] = diff.changed
    assert OLD in old.text and NEW in new.text
    index = load_published(tmp_path, FakeEmbedder.model_name)
    assert index.version == second.manifest.version
    assert any(NEW in p.text for p in index.passages)
    # vectors from the cache equal freshly computed ones
    fresh = build_index(corpus_copy, tmp_path / "fresh", FakeEmbedder(), use_cache=False)
    assert fresh.embedded == fresh.manifest.passage_count


def test_rebuild_embeds_only_the_alternate_question_that_changed(
    corpus_copy: Path, tmp_path: Path
) -> None:
    embedder = CountingEmbedder()
    first = build_index(corpus_copy, tmp_path, embedder)
    assert first.embedded_alternates == first.manifest.alternate_count > 30
    edit_article(
        corpus_copy, "    - What is neuroplasticity?", "    - What does neuroplasticity mean?"
    )
    calls = embedder.calls
    second = build_index(corpus_copy, tmp_path, embedder)
    assert (second.embedded, second.embedded_alternates) == (0, 1)
    assert embedder.calls == calls + 1
    third = build_index(corpus_copy, tmp_path, embedder)
    assert (third.embedded, third.embedded_alternates, embedder.calls) == (0, 0, calls + 1)


def test_unreadable_cache_is_ignored_and_rebuilt(corpus_copy: Path, tmp_path: Path) -> None:
    embedder = CountingEmbedder()
    build_index(corpus_copy, tmp_path, embedder)
    cache = EmbeddingCache(tmp_path, embedder.model_name, embedder.dimension)
    cache.path.write_bytes(b"not a cache")
    report = build_index(corpus_copy, tmp_path, embedder)
    assert report.embedded == report.manifest.passage_count and report.published


def test_diff_reports_added_and_removed_passages(corpus_copy: Path, tmp_path: Path) -> None:
    build_index(corpus_copy, tmp_path, FakeEmbedder())
    edit_article(corpus_copy, "## Conclusion\n", "## Conclusion\n\nA brand new paragraph.\n")
    edit_article(
        corpus_copy,
        "For more information on ketamine infusions and to find services near you, visit our "
        "directory.\n\n",
        "",
    )
    diff = build_index(corpus_copy, tmp_path, FakeEmbedder()).diff["ketamine-infusions"]
    assert [p.text for p in diff.added] == [] and len(diff.changed) == 1
    old, new = diff.changed[0]
    assert old.text.startswith("Ketamine infusions offer a promising") or old.text.startswith(
        "For more information"
    )
    assert new.text == "A brand new paragraph." or new.text.startswith("Ketamine infusions")


def test_broken_corpus_fails_with_file_line_and_keeps_the_published_version(
    corpus_copy: Path, tmp_path: Path
) -> None:
    first = build_index(corpus_copy, tmp_path, FakeEmbedder())
    edit_article(corpus_copy, "approved_on: 2026-11-20", "approved_on: someday")
    with pytest.raises(CorpusError) as caught:
        build_index(corpus_copy, tmp_path, FakeEmbedder())
    assert str(caught.value).startswith(f"{corpus_copy / ARTICLE}:6: ")
    assert published_version(tmp_path) == first.manifest.version
    assert len(list_versions(tmp_path)) == 1


def _gate(tmp_path: Path) -> GateConfig:
    settings = Settings(
        index_dir=tmp_path,
        answer_threshold=0.3,
        related_threshold=0.2,
        candidates=10,
        crisis_meaning=False,  # the fake embedder has no crisis calibration (crisis.json)
    )
    return gate_config(settings, tmp_path, load_questions(DEV_QUESTIONS))


def test_regression_gate_refuses_a_worse_version_and_names_the_questions(
    corpus_copy: Path, tmp_path: Path
) -> None:
    first = build_index(corpus_copy, tmp_path, FakeEmbedder(), gate=_gate(tmp_path))
    # d006's wording stays in the article, but no longer where its question finds it: a real
    # regression, not a stale expectation.
    edit_article(
        corpus_copy, f"Ketamine primarily works by blocking {NMDA} in the brain.", "Ask us."
    )
    edit_article(corpus_copy, REFERENCE, f"{REFERENCE} See also {NMDA}.")
    refused = build_index(corpus_copy, tmp_path, FakeEmbedder(), gate=_gate(tmp_path))
    assert refused.gate is not None and not refused.published
    assert not refused.gate.stale
    assert refused.gate.new_accuracy < refused.gate.old_accuracy
    assert any("was right" in str(c) and "now wrong" in str(c) for c in refused.gate.changes)
    [refusal] = refused.gate.refusal()
    assert "(d006)" in refusal and "`faqbot build --force`" in refusal
    assert published_version(tmp_path) == first.manifest.version
    assert [v.version for v in list_versions(tmp_path)] == [first.manifest.version]
    forced = build_index(corpus_copy, tmp_path, FakeEmbedder(), gate=_gate(tmp_path), force=True)
    assert forced.published and published_version(tmp_path) == forced.manifest.version


def test_versions_rollback_and_prune(corpus_copy: Path, tmp_path: Path) -> None:
    names = []
    for n in range(4):
        edit_article(corpus_copy, "version: 1" if n == 0 else f"version: {n}", f"version: {n + 1}")
        names.append(build_index(corpus_copy, tmp_path, FakeEmbedder()).manifest.version)
    infos = list_versions(tmp_path)
    assert [i.version for i in infos] == names and [i.current for i in infos][-1]
    assert rollback(tmp_path, FakeEmbedder.model_name) == (names[3], names[2])
    assert published_version(tmp_path) == names[2]
    assert rollback(tmp_path, FakeEmbedder.model_name, names[0]) == (names[2], names[0])
    with pytest.raises(IndexNotFound):
        rollback(tmp_path, FakeEmbedder.model_name)  # nothing older than the oldest
    with pytest.raises(IndexNotFound):
        rollback(tmp_path, FakeEmbedder.model_name, "no-such-version")
    (tmp_path / VERSIONS_DIR / ".building-leftover").mkdir()
    removed = prune(tmp_path, keep=2)
    assert removed == [names[1]]  # names[0] is current, so it stays
    left = {p.name for p in (tmp_path / VERSIONS_DIR).iterdir()}
    assert left == {names[0], names[2], names[3]}


def test_build_prunes_beyond_keep(corpus_copy: Path, tmp_path: Path) -> None:
    for n in range(3):
        edit_article(corpus_copy, "version: 1" if n == 0 else f"version: {n}", f"version: {n + 1}")
        report = build_index(corpus_copy, tmp_path, FakeEmbedder(), keep=2)
    assert len(list_versions(tmp_path)) == 2 and len(report.pruned) == 1


def test_gate_is_skipped_not_fatal_when_no_thresholds_are_calibrated(
    corpus_copy: Path, tmp_path: Path
) -> None:
    (corpus_copy / "calibration.json").unlink()
    gate = gate_config(Settings(index_dir=tmp_path), tmp_path, load_questions(DEV_QUESTIONS))
    said: list[str] = []
    build_index(corpus_copy, tmp_path, FakeEmbedder(), gate=gate)
    edit_article(corpus_copy, OLD, NEW)
    report = build_index(corpus_copy, tmp_path, FakeEmbedder(), gate=gate, say=said.append)
    assert report.published and report.gate is None
    assert any(line.startswith("regression gate skipped: no thresholds") for line in said)


def test_a_question_whose_wording_is_gone_is_stale_and_does_not_block(
    corpus_copy: Path, tmp_path: Path
) -> None:
    build_index(corpus_copy, tmp_path, FakeEmbedder(), gate=_gate(tmp_path))
    edit_article(corpus_copy, OLD, NEW)  # d008 accepts only "45 minutes to an hour"
    report = build_index(corpus_copy, tmp_path, FakeEmbedder(), gate=_gate(tmp_path))
    assert report.published and report.gate is not None and report.gate.passed
    [stale] = report.gate.stale
    assert stale.question.id == "d008"
    assert report.gate.questions == len(load_questions(DEV_QUESTIONS)) - 1
    line = str(stale)
    assert f"{DEV_QUESTIONS}:9" in line and "'45 minutes to an hour'" in line
    assert stale.now_answered_by is not None and "50 minutes" in stale.now_answered_by.text
    assert f"[{stale.now_answered_by.section}]" in line
    assert all(c.id != "d008" for c in report.gate.changes)
