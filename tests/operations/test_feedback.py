"""The feedback store: answer_ids are issued with their passages, voted on once, then forgotten."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.http.app import create_app
from faqbot.operations.feedback import FeedbackRefused, FeedbackStore, ShownPassage
from faqbot.settings import Settings

from ..conftest import LiveServer

SHOWN = [
    ShownPassage(
        "p1", "ketamine-infusions", "Administration Process", "https://x/a#administration"
    ),
    ShownPassage("p2", "ketamine-infusions", "Benefits", "https://x/a#benefits"),
]


def test_a_vote_is_counted_against_each_shown_passage_and_the_day(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.db")
    store.vote(store.issue("answered", SHOWN), helpful=True)
    store.vote(store.issue("answered", SHOWN[:1]), helpful=False)
    stats = {s.passage_id: s for s in store.passage_stats()}
    assert (stats["p1"].helpful, stats["p1"].unhelpful) == (1, 1)
    assert (stats["p2"].helpful, stats["p2"].unhelpful) == (1, 0)
    assert stats["p1"].section == "Administration Process"
    assert store.votes() == {True: 1, False: 1}
    assert sum(store.outcomes_by_day().popitem()[1].values()) == 2


def test_repeated_unknown_and_expired_answer_ids_are_refused(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.db", ttl_hours=1)
    answer_id = store.issue("answered", SHOWN)
    store.vote(answer_id, helpful=True)
    with pytest.raises(FeedbackRefused) as repeated:
        store.vote(answer_id, helpful=False)
    assert repeated.value.code == "duplicate_feedback"
    with pytest.raises(FeedbackRefused) as unknown:
        store.vote("never-issued", helpful=True)
    assert unknown.value.code == "unknown_answer"
    old = store.issue("answered", SHOWN)
    with sqlite3.connect(tmp_path / "f.db") as conn:
        conn.execute("UPDATE answers SET issued = issued - 7200 WHERE answer_id = ?", (old,))
    with pytest.raises(FeedbackRefused):
        store.vote(old, helpful=True)
    assert store.votes() == {True: 1, False: 0}


def test_remembered_answer_ids_are_bounded(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.db", max_pending=100)
    for _ in range(300):
        store.issue("fallback", [])
    store.prune()
    assert store.pending_count() == 100
    assert store.outcomes_by_day().popitem()[1] == {"fallback": 300}  # counts are kept


def test_the_database_is_in_wal_mode(tmp_path: Path) -> None:
    FeedbackStore(tmp_path / "f.db")
    with sqlite3.connect(tmp_path / "f.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.slow
def test_every_ask_carries_an_answer_id_that_takes_one_vote_over_http(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    settings = real_settings.model_copy(update={"feedback_db": tmp_path / "f.db"})
    with LiveServer(create_app(settings, embedder=real_embedder)) as server:
        ask = httpx.post(
            f"{server.url}/ask", json={"question": "How long does each infusion session take?"}
        ).json()
        fallback = httpx.post(f"{server.url}/ask", json={"question": "Where do I park?"}).json()
        assert ask["status"] == "answered" and ask["answer_id"]
        assert fallback["answer_id"] and fallback["answer_id"] != ask["answer_id"]
        vote = {"answer_id": ask["answer_id"], "helpful": True}
        first = httpx.post(f"{server.url}/feedback", json=vote)
        assert (first.status_code, first.json()) == (200, {"status": "recorded"})
        again = httpx.post(f"{server.url}/feedback", json=vote)
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "duplicate_feedback"
        unknown = httpx.post(f"{server.url}/feedback", json={"answer_id": "nope", "helpful": True})
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "unknown_answer"
        not_bool = httpx.post(
            f"{server.url}/feedback", json={"answer_id": ask["answer_id"], "helpful": "yes"}
        )
        assert not_bool.status_code == 422
    stats = FeedbackStore(tmp_path / "f.db").passage_stats()
    assert {s.passage_id for s in stats} == {p["id"] for p in ask["passages"]}
    assert all(s.helpful == 1 and s.unhelpful == 0 for s in stats)


@pytest.mark.slow
def test_feedback_off_means_no_answer_id_and_no_database(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    settings = real_settings.model_copy(
        update={"feedback": False, "metrics": False, "feedback_db": tmp_path / "f.db"}
    )
    with LiveServer(create_app(settings, embedder=real_embedder)) as server:
        ask = httpx.post(f"{server.url}/ask", json={"question": "How long is a session?"}).json()
        assert ask["answer_id"] is None
        assert (
            httpx.post(
                f"{server.url}/feedback", json={"answer_id": "x", "helpful": True}
            ).status_code
            == 404
        )
        assert httpx.get(f"{server.url}/metrics").status_code == 404
    assert not (tmp_path / "f.db").exists()


def test_a_broken_feedback_database_never_costs_the_visitor_the_answer(tmp_path: Path) -> None:
    from faqbot.publishing.build import build_index

    from ..conftest import CORPUS, FakeEmbedder

    build_index(CORPUS, tmp_path / "index", FakeEmbedder())
    (tmp_path / "file").write_text("not a folder")
    settings = Settings(
        corpus_dir=CORPUS,
        index_dir=tmp_path / "index",
        answer_threshold=0.05,
        related_threshold=0.0,
        crisis_meaning=False,  # the fake embedder has no crisis calibration (crisis.json)
        feedback_db=tmp_path / "file" / "f.db",  # cannot be created
    )
    with LiveServer(create_app(settings, embedder=FakeEmbedder())) as server:
        ask = httpx.post(f"{server.url}/ask", json={"question": "How long is a session?"})
        assert ask.status_code == 200 and ask.json()["answer_id"] is None
        vote = httpx.post(f"{server.url}/feedback", json={"answer_id": "x", "helpful": True})
        assert vote.status_code == 503
        assert vote.json()["error"]["code"] == "feedback_unavailable"
