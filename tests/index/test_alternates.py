"""Editors' alternate questions: validated, stored and verified with the index, never shown, and
never turning an out-of-scope question into an answer (when a match counts:
tests/answering/test_alternates.py)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import numpy as np
import pytest

from faqbot.answering.answerer import Answerer
from faqbot.answering.retrieval import rank
from faqbot.corpus.articles import load_articles
from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.errors import IndexCorrupt
from faqbot.index.alternates import ALTERNATE_VECTORS_FILE, ALTERNATES_FILE
from faqbot.index.version import MANIFEST_FILE, VERSIONS_DIR, load_published, published_version
from faqbot.models import Passage
from faqbot.publishing.build import build_index
from faqbot.publishing.evaluation import load_questions
from faqbot.serving.state import load_state
from faqbot.settings import Settings

from ..conftest import CORPUS, DEV_QUESTIONS, FakeEmbedder, LiveServer

EXTRA_QUESTIONS = Path(__file__).parents[1] / "data" / "extra_questions.jsonl"
# Paraphrases of alternates and out-of-scope questions written to choose the two match settings
# (not taken from the dev or extra questions); "section" is null for the out-of-scope ones.
PROBES = Path(__file__).parents[1] / "data" / "alternate_probe.jsonl"


def _alternate_texts() -> list[str]:
    return [q for a in load_articles(CORPUS) for qs in a.alternate_questions.values() for q in qs]


def test_alternate_questions_are_stored_with_the_index_and_verified_on_load(
    corpus_copy: Path, tmp_path: Path
) -> None:
    build_index(corpus_copy, tmp_path, FakeEmbedder())
    index = load_published(tmp_path, FakeEmbedder.model_name)
    assert index.alternates is not None and len(index.alternates) == len(_alternate_texts())
    assert index.manifest.alternate_count == len(_alternate_texts())
    folder = tmp_path / VERSIONS_DIR / published_version(tmp_path)
    stored = "\n".join(
        p.read_text(encoding="utf-8", errors="replace") for p in folder.rglob("*") if p.is_file()
    )
    assert not [q for q in _alternate_texts() if q in stored]  # sections and vectors only
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    (folder / MANIFEST_FILE).write_text(json.dumps({**manifest, "alternate_count": 3}))
    with pytest.raises(IndexCorrupt, match="alternate questions"):
        load_published(tmp_path, FakeEmbedder.model_name)
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest))
    (folder / ALTERNATE_VECTORS_FILE).unlink()
    with pytest.raises(IndexCorrupt, match=ALTERNATE_VECTORS_FILE):
        load_published(tmp_path, FakeEmbedder.model_name)


def test_alternates_naming_a_section_without_passages_refuse_to_load(
    corpus_copy: Path, tmp_path: Path
) -> None:
    build_index(corpus_copy, tmp_path, FakeEmbedder())
    folder = tmp_path / VERSIONS_DIR / published_version(tmp_path)
    rows = (folder / ALTERNATES_FILE).read_text().replace('"anchor": "references"', '"anchor": "x"')
    (folder / ALTERNATES_FILE).write_text(rows)
    with pytest.raises(IndexCorrupt, match="ketamine-infusions#x"):
        load_published(tmp_path, FakeEmbedder.model_name)


def _rank_anchors(
    state_settings: Settings, embedder: SentenceTransformerEmbedder, question: str
) -> list[tuple[str, float]]:
    state = load_state(state_settings, state_settings.index_dir, embedder)
    hits = rank(state.index, embedder.encode([question]), question, 5, state.fusion).hits
    return [(h.passage.anchor, round(h.score, 6)) for h in hits]


@pytest.mark.slow
def test_a_question_phrased_like_an_alternate_gets_its_sections_passage(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder
) -> None:
    question = "what's ketamine"  # like the Introduction's "What is ketamine?"
    without = real_settings.model_copy(update={"alternate_questions": False})
    assert _rank_anchors(without, real_embedder, question)[0][0] != "introduction"
    state = load_state(real_settings, real_settings.index_dir, real_embedder)
    answer = Answerer(real_embedder, state, real_settings.candidates).ask(question)
    assert answer.status == "answered"
    top = answer.hits[0].passage
    assert top.anchor == "introduction" and top.text in load_articles(CORPUS)[0].body


@pytest.mark.slow
def test_out_of_scope_questions_are_never_lifted_by_an_alternate(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder
) -> None:
    """Every fallback question of the dev, extra and probe sets ranks exactly as without
    alternates, so none of them can be answered because of one."""
    without = real_settings.model_copy(update={"alternate_questions": False})
    questions = [
        q.question
        for path in (DEV_QUESTIONS, EXTRA_QUESTIONS)
        for q in load_questions(path)
        if q.expect == "fallback"
    ]
    probes = [json.loads(line) for line in PROBES.read_text().splitlines() if line.strip()]
    questions += [p["question"] for p in probes if p["section"] is None]
    assert len(questions) > 40
    for question in questions:
        assert _rank_anchors(real_settings, real_embedder, question) == _rank_anchors(
            without, real_embedder, question
        ), question


@pytest.mark.slow
def test_alternate_questions_never_appear_in_any_response(live_server: LiveServer) -> None:
    alternates = _alternate_texts()
    bodies = [httpx.get(f"{live_server.url}{path}").text for path in ("/", "/staff", "/widget.js")]
    for question in alternates:  # asked word for word, so each one's own section is lifted
        asked = httpx.post(f"{live_server.url}/ask", json={"question": question})
        searched = httpx.get(f"{live_server.url}/search", params={"q": question})
        assert asked.status_code == searched.status_code == 200
        bodies += [asked.text, searched.text]
    assert sum('"status":"answered"' in b.replace(" ", "") for b in bodies) > len(alternates) / 2
    shown = "\n".join(bodies).lower()
    assert [q for q in alternates if q.lower() in shown] == []


def test_a_corpus_without_alternates_builds_and_loads_without_them(
    corpus_copy: Path, tmp_path: Path
) -> None:
    path = corpus_copy / "ketamine-infusions.md"
    text = path.read_text(encoding="utf-8")
    start = text.index("# Questions visitors ask")
    end = text.index("---", start)
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    report = build_index(corpus_copy, tmp_path, FakeEmbedder())
    assert report.embedded_alternates == 0 and report.manifest.alternate_count == 0
    folder = tmp_path / VERSIONS_DIR / published_version(tmp_path)
    assert not (folder / ALTERNATES_FILE).exists()
    assert load_published(tmp_path, FakeEmbedder.model_name).alternates is None
