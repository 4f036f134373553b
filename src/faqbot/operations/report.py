"""`faqbot report`: what editors should look at next, from counts only.

Reads the feedback database (outcomes per day, votes per passage), the opt-in store of scrubbed
unanswered questions (grouped into topics, never listed) and the corpus's front matter
(review_by dates). report_rendering.py renders the figures as text, JSON or one HTML page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from faqbot.corpus.articles import load_articles
from faqbot.embedding.encoder import Embedder
from faqbot.models import Article
from faqbot.operations.feedback import FeedbackStore, PassageStats
from faqbot.operations.topics import Topic, find_topics
from faqbot.operations.unanswered import UnansweredStore

STATUSES = ("answered", "fallback", "emergency")
LEAST_HELPFUL = 10
TOP_TOPICS = 10
DUE_SOON_DAYS = 30


@dataclass(frozen=True)
class DayRates:
    day: str
    total: int
    counts: dict[str, int]
    rates: dict[str, float]


@dataclass(frozen=True)
class PassageRow:
    passage_id: str
    article_id: str
    article_title: str
    section: str
    url: str
    helpful: int
    unhelpful: int
    helpful_ratio: float


@dataclass(frozen=True)
class StaleArticle:
    article_id: str
    title: str
    review_by: str
    days_overdue: int  # negative: due in that many days


@dataclass(frozen=True)
class Report:
    generated: str
    since: str | None
    totals: dict[str, int]
    rates: dict[str, float]
    days: list[DayRates]
    votes: dict[str, int]
    least_helpful: list[PassageRow]
    unanswered_report: str  # "on", "off" or "off (data kept from when it was on)"
    topics: list[Topic]
    ungrouped_questions: int
    stale_articles: list[StaleArticle]
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _rates(counts: dict[str, int]) -> tuple[int, dict[str, float]]:
    total = sum(counts.get(s, 0) for s in STATUSES)
    return total, {s: round(counts.get(s, 0) / total, 4) if total else 0.0 for s in STATUSES}


def build_report(
    db_path: Path,
    corpus_dir: Path,
    *,
    since: date | None,
    unanswered_on: bool,
    embedder_factory: Callable[[], Embedder],
    retention_days: int = 30,
    max_rows: int = 5_000,
    today: date | None = None,
) -> Report:
    """Gather the figures; the model is loaded only when there are questions to group."""
    today = today or datetime.now(UTC).date()
    articles = load_articles(corpus_dir)
    notes: list[str] = []
    if not db_path.exists():
        notes.append(f"no feedback database at {db_path} yet: serve some questions first")
    days, votes, least = _feedback_figures(db_path, since, {a.id: a.title for a in articles})
    totals = {s: sum(d.counts[s] for d in days) for s in STATUSES}
    _, rates = _rates(totals)
    uncovered = _uncovered_questions(db_path, since, retention_days, max_rows)
    state = (
        "on" if unanswered_on else ("off (data kept from when it was on)" if uncovered else "off")
    )
    summary = find_topics(uncovered, embedder_factory()) if uncovered else None
    return Report(
        generated=datetime.now(UTC).isoformat(timespec="seconds"),
        since=since.isoformat() if since else None,
        totals=totals,
        rates=rates,
        days=days,
        votes={"helpful": votes[True], "not_helpful": votes[False]},
        least_helpful=least,
        unanswered_report=state,
        topics=list(summary.topics[:TOP_TOPICS]) if summary else [],
        ungrouped_questions=summary.ungrouped if summary else 0,
        stale_articles=_due_for_review(articles, today),
        notes=notes,
    )


def _feedback_figures(
    db_path: Path, since: date | None, titles: dict[str, str]
) -> tuple[list[DayRates], dict[bool, int], list[PassageRow]]:
    """Outcome rates per day, the votes, and the least helpful passages (fewest helpful first)."""
    store = FeedbackStore(db_path)
    try:
        by_day = store.outcomes_by_day(since)
        votes = store.votes(since)
        stats = store.passage_stats(since)
    finally:
        store.close()
    days: list[DayRates] = []
    for day, counts in by_day.items():
        full = {s: counts.get(s, 0) for s in STATUSES}
        day_total, day_rates = _rates(full)
        days.append(DayRates(day, day_total, full, day_rates))
    least = sorted(
        (s for s in stats if s.votes), key=lambda s: (s.helpful_ratio, -s.votes, s.passage_id)
    )[:LEAST_HELPFUL]
    return days, votes, [_row(s, titles) for s in least]


def _uncovered_questions(
    db_path: Path, since: date | None, retention_days: int, max_rows: int
) -> list[str]:
    """The scrubbed questions nothing approved covers (retention applied first)."""
    unanswered = UnansweredStore(db_path, retention_days, max_rows)
    try:
        unanswered.prune()  # retention applies even when nobody asks for a while
        return [u.text for u in unanswered.since(since) if u.reason == "no-match"]
    finally:
        unanswered.close()


def _due_for_review(articles: Sequence[Article], today: date) -> list[StaleArticle]:
    """Articles past or within DUE_SOON_DAYS of their review_by date, most overdue first."""
    stale = [
        StaleArticle(a.id, a.title, a.review_by.isoformat(), (today - a.review_by).days)
        for a in articles
        if (a.review_by - today).days <= DUE_SOON_DAYS
    ]
    stale.sort(key=lambda s: -s.days_overdue)
    return stale


def _row(s: PassageStats, titles: dict[str, str]) -> PassageRow:
    return PassageRow(
        s.passage_id,
        s.article_id,
        titles.get(s.article_id, f"{s.article_id} (no longer in the corpus)"),
        s.section,
        s.url,
        s.helpful,
        s.unhelpful,
        round(s.helpful_ratio, 4),
    )
