"""`faqbot report`: rates per day, least helpful passages, topics, articles due for review."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date
from pathlib import Path

from faqbot.cli.commands import main
from faqbot.operations.feedback import FeedbackStore, ShownPassage
from faqbot.operations.report import build_report
from faqbot.operations.report_rendering import render_html, render_text
from faqbot.operations.unanswered import UnansweredStore

from ..conftest import CORPUS, FakeEmbedder

GOOD = ShownPassage("p-good", "ketamine-infusions", "Administration Process", "https://c/k#admin")
BAD = ShownPassage("p-bad", "ketamine-infusions", "Introduction", "https://c/k#introduction")


def fill(db: Path) -> None:
    store = FeedbackStore(db)
    for helpful in (True, True, True, False):
        store.vote(store.issue("answered", [GOOD]), helpful)
    for helpful in (False, False, True):
        store.vote(store.issue("answered", [BAD]), helpful)
    for _ in range(2):
        store.issue("fallback", [])
    store.issue("emergency", [])
    unanswered = UnansweredStore(db)
    # close wording, so that the bag-of-words fake embedder groups them as the model would
    for text in (
        "parking at the clinic",
        "parking at the clinic for visitors",
        "free parking at the clinic",
    ):
        unanswered.add(text, "no-match")
    unanswered.add("how much should i take", "advice")


def test_the_report_has_rates_least_helpful_topics_and_due_articles(tmp_path: Path) -> None:
    fill(tmp_path / "f.db")
    report = build_report(
        tmp_path / "f.db",
        CORPUS,
        since=None,
        unanswered_on=True,
        embedder_factory=FakeEmbedder,
        today=date(2027, 11, 1),
    )
    assert report.totals == {"answered": 7, "fallback": 2, "emergency": 1}
    assert report.rates["answered"] == 0.7
    assert len(report.days) == 1 and report.days[0].total == 10
    assert [p.passage_id for p in report.least_helpful] == ["p-bad", "p-good"]
    assert report.least_helpful[0].article_title == "Ketamine Infusions"
    assert round(report.least_helpful[0].helpful_ratio, 2) == 0.33
    assert [(t.label, t.count) for t in report.topics] == [("clinic · parking", 3)]
    assert [a.article_id for a in report.stale_articles] == ["ketamine-infusions"]
    assert report.stale_articles[0].days_overdue == -19
    text = render_text(report)
    assert "3 questions about clinic · parking" in text and "due in 19 days" in text


def test_the_html_report_is_one_self_contained_page_with_charts(tmp_path: Path) -> None:
    fill(tmp_path / "f.db")
    report = build_report(
        tmp_path / "f.db", CORPUS, since=None, unanswered_on=True, embedder_factory=FakeEmbedder
    )
    page = render_html(report)
    assert page.count("src='data:image/png;base64,") == 2
    assert not re.search(r"""(src|href)=['"]?(https?:)?//(?!c/)""", page.replace("https://c/", ""))
    assert "<script" not in page


def test_since_leaves_out_earlier_days(tmp_path: Path) -> None:
    fill(tmp_path / "f.db")
    report = build_report(
        tmp_path / "f.db",
        CORPUS,
        since=date(2999, 1, 1),
        unanswered_on=True,
        embedder_factory=FakeEmbedder,
    )
    assert report.days == [] and report.least_helpful == [] and report.topics == []


def test_the_report_command_writes_json_and_html(tmp_path: Path, capsys: object) -> None:
    index_dir = tmp_path / "index"
    fill(index_dir / "faqbot.db")
    args = ["report", "--corpus", str(CORPUS), "--index", str(index_dir), "--since", "2000-01-01"]
    # No questions to group, so the command needs no model and stays fast.
    with sqlite3.connect(index_dir / "faqbot.db") as conn:
        conn.execute("DELETE FROM unanswered")
    assert main([*args, "--format", "json", "-o", str(tmp_path / "r.json")]) == 0
    assert json.loads((tmp_path / "r.json").read_text())["totals"]["answered"] == 7
    assert main([*args, "--format", "html", "-o", str(tmp_path / "r.html")]) == 0
    assert (tmp_path / "r.html").read_text().startswith("<!doctype html>")
