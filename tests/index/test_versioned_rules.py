"""The editors' rules and wording travel with the version: serving reads the copies built into
it, a rollback restores them with the passages, a tampered copy is refused, and the regression
gate refuses a build that weakens an emergency rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from faqbot.answering.answerer import Answerer
from faqbot.errors import IndexCorrupt, IndexMismatch
from faqbot.index.history import rollback
from faqbot.index.version import MANIFEST_FILE, RULE_FILES, VERSIONS_DIR, published_version
from faqbot.publishing.build import build_index
from faqbot.publishing.evaluation import load_questions
from faqbot.serving.state import gate_config, load_state
from faqbot.settings import Settings

from ..conftest import DEV_QUESTIONS, FakeEmbedder

SAFETY = "safety.yaml"
NEW_RULE = """emergency:
  - id: purple-elephant
    description: A made-up emergency phrase, only to tell two versions' rules apart.
    patterns:
      - 'purple elephant'
"""


def _settings(index: Path) -> Settings:
    return Settings(
        index_dir=index,
        answer_threshold=0.3,
        related_threshold=0.2,
        candidates=10,
        crisis_meaning=False,  # the fake embedder has no crisis calibration (crisis.json)
    )


def _status(index: Path, question: str) -> str:
    embedder = FakeEmbedder()
    state = load_state(_settings(index), index, embedder)
    return Answerer(embedder, state, 10).ask(question).status


def _add_rule(corpus: Path) -> None:
    path = corpus / SAFETY
    path.write_text(path.read_text("utf-8").replace("emergency:\n", NEW_RULE, 1), "utf-8")


def _remove_rule(corpus: Path, rule_id: str) -> None:
    path = corpus / SAFETY
    text = path.read_text("utf-8")
    start = text.index(f"  - id: {rule_id}\n")
    end = text.index("  - id: ", start + 1)
    path.write_text(text[:start] + text[end:], "utf-8")


def test_every_rule_file_is_copied_into_the_version_and_hashed(
    corpus_copy: Path, tmp_path: Path
) -> None:
    report = build_index(corpus_copy, tmp_path, FakeEmbedder())
    manifest = json.loads((report.folder / MANIFEST_FILE).read_text("utf-8"))
    assert sorted(manifest["rules"]) == sorted(RULE_FILES)
    for name in RULE_FILES:
        assert (report.folder / name).read_bytes() == (corpus_copy / name).read_bytes()


def test_a_half_edited_rules_file_in_the_corpus_never_reaches_the_server(
    corpus_copy: Path, tmp_path: Path
) -> None:
    build_index(corpus_copy, tmp_path, FakeEmbedder())
    (corpus_copy / SAFETY).write_text("emergency:\n  - id: [unfinished", "utf-8")
    assert _status(tmp_path, "I want to kill myself") == "emergency"  # the built rules serve


def test_rollback_restores_the_previous_rules_with_the_passages(
    corpus_copy: Path, tmp_path: Path
) -> None:
    first = build_index(corpus_copy, tmp_path, FakeEmbedder()).manifest.version
    _add_rule(corpus_copy)
    build_index(corpus_copy, tmp_path, FakeEmbedder())
    assert _status(tmp_path, "there is a purple elephant here") == "emergency"
    rollback(tmp_path, FakeEmbedder.model_name)
    assert published_version(tmp_path) == first
    assert _status(tmp_path, "there is a purple elephant here") != "emergency"


def test_a_rule_file_changed_inside_a_version_is_refused_naming_it(
    corpus_copy: Path, tmp_path: Path
) -> None:
    report = build_index(corpus_copy, tmp_path, FakeEmbedder())
    tampered = report.folder / SAFETY
    tampered.write_text(tampered.read_text("utf-8") + "\n# edited in place\n", "utf-8")
    with pytest.raises(IndexCorrupt, match=f"{tampered} was changed after the build"):
        load_state(_settings(tmp_path), tmp_path, FakeEmbedder())


def test_a_version_built_without_its_rules_is_refused_with_the_fix(
    corpus_copy: Path, tmp_path: Path
) -> None:
    report = build_index(corpus_copy, tmp_path, FakeEmbedder())
    path = report.folder / MANIFEST_FILE
    manifest = json.loads(path.read_text("utf-8"))
    manifest["rules"] = None  # as a faqbot before versioned rules wrote it
    path.write_text(json.dumps(manifest), "utf-8")
    with pytest.raises(IndexMismatch, match="rebuild with `faqbot build`"):
        load_state(_settings(tmp_path), tmp_path, FakeEmbedder())


def test_removing_an_emergency_rule_refuses_to_publish_naming_the_rule_and_its_questions(
    corpus_copy: Path, tmp_path: Path
) -> None:
    gate = gate_config(_settings(tmp_path), tmp_path, load_questions(DEV_QUESTIONS))
    first = build_index(corpus_copy, tmp_path, FakeEmbedder(), gate=gate).manifest.version
    _remove_rule(corpus_copy, "suicidal-thoughts")
    refused = build_index(corpus_copy, tmp_path, FakeEmbedder(), gate=gate)
    assert not refused.published and refused.gate is not None
    [loss] = refused.gate.rule_losses
    assert loss.rule.rule_id == "suicidal-thoughts" and loss.rule.change == "removed"
    assert loss.caught  # the dev questions it caught in the published version
    assert all(f"{q}" in str(loss) for q in loss.caught)
    assert any("'suicidal-thoughts'" in line for line in refused.gate.refusal())
    assert published_version(tmp_path) == first
    forced = build_index(corpus_copy, tmp_path, FakeEmbedder(), gate=gate, force=True)
    assert forced.published and (tmp_path / VERSIONS_DIR / forced.manifest.version).is_dir()
