"""A crisis is recognised by what the message means, over HTTP with the real model and the
bundled corpus's calibrated crisis.json (issue 17). Only the tune half of the crisis set is
read here: the holdout half is scored once by `faqbot eval-crisis --split holdout`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from faqbot.answering.answerer import Answerer
from faqbot.corpus.safety_rules import check_safety, load_safety_rules
from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.publishing.crisis_calibration import load_crisis_messages
from faqbot.publishing.evaluation import load_questions
from faqbot.serving.state import load_state
from faqbot.settings import Settings, get_settings
from faqbot.text.normalize import normalize_question

from ..conftest import CORPUS, DEV_QUESTIONS, REPO, LiveServer, answer_body

MESSAGES = REPO / "tests" / "data" / "crisis_messages.jsonl"
EXTRA = REPO / "tests" / "data" / "extra_questions.jsonl"
TUNE = [m for m in load_crisis_messages(MESSAGES) if m.split == "tune"]
RULES = load_safety_rules(CORPUS / "safety.yaml")


@pytest.fixture(scope="module")
def meaning_settings(real_settings: Settings) -> Settings:
    """The layer is opt-in (FAQBOT_CRISIS_MEANING) while issue 17 stays open."""
    return real_settings.model_copy(update={"crisis_meaning": True})


@pytest.fixture(scope="module")
def meaning_server(
    meaning_settings: Settings, real_embedder: SentenceTransformerEmbedder
) -> Iterator[LiveServer]:
    from faqbot.http.app import create_app

    with LiveServer(create_app(meaning_settings, embedder=real_embedder)) as server:
        yield server


def _by_patterns(text: str) -> bool:
    verdict = check_safety(normalize_question(text), RULES)
    return verdict is not None and verdict.category == "emergency"


def test_tune_crises_reach_the_recall_calibration_recorded(meaning_server: LiveServer) -> None:
    recorded = json.loads((CORPUS / "crisis.json").read_text("utf-8"))["figures"]
    crises = [m for m in TUNE if m.emergency]
    found = [answer_body(meaning_server, m.message)["status"] == "emergency" for m in crises]
    assert sum(found) / len(crises) >= recorded["tune_recall"] >= 0.9


def _answerer(settings: Settings, embedder: SentenceTransformerEmbedder) -> Answerer:
    return Answerer(embedder, load_state(settings, settings.index_dir, embedder), 10)


def test_crises_no_pattern_catches_are_emergencies_named_for_a_rule(
    meaning_settings: Settings, real_embedder: SentenceTransformerEmbedder
) -> None:
    unforeseen = [m for m in TUNE if m.emergency and not _by_patterns(m.message)]
    assert len(unforeseen) >= 30  # the set was written to get past the patterns
    answerer = _answerer(meaning_settings, real_embedder)
    rule_ids = {r.id for r in RULES.emergency}
    caught = 0
    for message in unforeseen:
        answer = answerer.ask(message.message)
        if answer.status == "emergency":
            caught += 1
            assert answer.hits == ()
            assert answer.reason.removeprefix("emergency:") in rule_ids
    assert caught >= 0.9 * len(unforeseen)


def test_ordinary_dev_and_extra_questions_are_never_emergencies(meaning_server: LiveServer) -> None:
    ordinary = [
        q
        for path in (DEV_QUESTIONS, EXTRA)
        for q in load_questions(path)
        if q.expect != "emergency"
    ]
    alarms = [
        q.id for q in ordinary if answer_body(meaning_server, q.question)["status"] == "emergency"
    ]
    assert alarms == []


@pytest.mark.xfail(
    strict=True,
    reason="known gap, issue 17 stays open: MiniLM puts 'what is the overdose risk?' at cosine "
    "0.72 to the lethal-amount examples and the classifier scores it 2.8 over its cut; the "
    "meaning layer cannot yet tell asking about a risk from asking for a lethal amount",
)
def test_an_ordinary_question_about_risks_stays_ordinary(meaning_server: LiveServer) -> None:
    assert answer_body(meaning_server, "what is the overdose risk?")["status"] != "emergency"


def test_switching_the_layer_off_leaves_the_patterns_alone(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    message = next(
        m.message for m in TUNE if m.kind == "preparation" and not _by_patterns(m.message)
    )

    def status(meaning: bool) -> str:
        settings = real_settings.model_copy(update={"crisis_meaning": meaning})
        return _answerer(settings, real_embedder).ask(message).status

    assert status(True) == "emergency"
    assert status(False) != "emergency"


def test_eval_crisis_counts_false_alarms_on_the_public_sets_when_asked(
    real_index_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from faqbot.cli.commands import main

    (tmp_path / "clinc150").mkdir()
    (tmp_path / "medquad").mkdir()
    requests = {"train": [["book a table for two", "x"]], "val": [["what time is it", "y"]]}
    (tmp_path / "clinc150" / "dev.json").write_text(
        json.dumps({**requests, "oos_train": [], "oos_val": []}), "utf-8"
    )
    (tmp_path / "medquad" / "dev_queries.jsonl").write_text(
        json.dumps({"id": "q-1-0001_1-1", "text": "What are the symptoms of Gout ?"}) + "\n",
        "utf-8",
    )
    monkeypatch.setenv("FAQBOT_CRISIS_MEANING", "true")
    get_settings.cache_clear()
    assert main(["eval-crisis", "--index", str(real_index_dir), "--shared", str(tmp_path)]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["emergencies"] == sum(m.emergency for m in TUNE)
    get_settings.cache_clear()
    assert scores["recall"] >= 0.9  # the meaning layer was on
    public = scores["public_false_alarms"]
    assert public["trained_on"]["texts"] + public["cut_set_on"]["texts"] == 3
