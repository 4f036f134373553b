"""Scrubbing before storage, and the unanswered store's retention and size limits."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from faqbot.corpus.articles import load_articles
from faqbot.operations.unanswered import Scrubber, UnansweredStore

from ..conftest import CORPUS

SCRUBBER = Scrubber(a.body for a in load_articles(CORPUS))


@pytest.mark.parametrize(
    ("question", "gone", "kept"),
    [
        (
            "Can I email jane.doe+clinic@example.org about it?",
            ["jane", "doe", "example"],
            ["[email]"],
        ),
        ("Call me on 555-123-4567 or +1 (212) 555-0199", ["555", "212", "0199"], ["[phone]"]),
        ("I am 34 and weigh 70kg, booking ref AB12345", ["34", "70kg", "AB12345"], ["[number]"]),
        ("My appointment is 12/03/2026 at 2:30pm.", ["12", "2026", "30"], ["[number]"]),
        ("Is there parking for my mother Maria Lopez?", ["Maria", "Lopez"], ["parking", "mother"]),
        ("Sarah here, is the clinic open on weekends?", ["Sarah"], ["clinic", "open", "weekends"]),
        ("my name is bob, do you take Aetna?", ["bob", "Aetna"], ["[name]"]),
        ("Did dr. smith say ketamine helps with PTSD?", ["smith"], ["ketamine", "PTSD"]),
        ("See https://example.com/u/jdoe?id=9 please", ["jdoe", "example.com"], ["[url]"]),
        ("Does Ketamine help with Depression? JD asked", ["JD"], ["Ketamine", "Depression"]),
    ],
)
def test_scrubbing_removes_numbers_emails_phones_and_names(
    question: str, gone: list[str], kept: list[str]
) -> None:
    scrubbed = SCRUBBER.scrub(question)
    for fragment in gone:
        assert fragment.lower() not in scrubbed.lower(), scrubbed
    for fragment in kept:
        assert fragment in scrubbed, scrubbed
    assert not re.search(r"\d", scrubbed)


def test_the_store_keeps_only_what_retention_and_the_cap_allow(tmp_path: Path) -> None:
    store = UnansweredStore(tmp_path / "u.db", retention_days=30, max_rows=10)
    store.add("where do i park", "no-match")
    old = (datetime.now(UTC).date() - timedelta(days=31)).isoformat()
    with sqlite3.connect(tmp_path / "u.db") as conn:
        conn.execute("UPDATE unanswered SET day = ?", (old,))
    for i in range(15):
        store.add(f"question {'x' * i}", "no-match")
    rows = store.since()
    assert len(rows) == 10
    assert all(r.day != old for r in rows)
    assert rows[-1].text == "question " + "x" * 14  # the newest are kept
