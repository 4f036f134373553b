"""`faqbot report`: what editors should look at next, from counts only.

Reads the feedback database (outcomes per day, votes per passage), the opt-in store of scrubbed
unanswered questions (grouped into topics, never listed) and the corpus's front matter
(review_by dates). Renders text, JSON, or one self-contained HTML page with matplotlib charts
embedded as PNG data URIs.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from faqbot.corpus.articles import load_articles
from faqbot.embedding.encoder import Embedder
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
    titles = {a.id: a.title for a in articles}
    notes: list[str] = []
    if not db_path.exists():
        notes.append(f"no feedback database at {db_path} yet: serve some questions first")
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
    totals = {s: sum(d.counts[s] for d in days) for s in STATUSES}
    _, rates = _rates(totals)

    least = sorted(
        (s for s in stats if s.votes), key=lambda s: (s.helpful_ratio, -s.votes, s.passage_id)
    )[:LEAST_HELPFUL]

    unanswered = UnansweredStore(db_path, retention_days, max_rows)
    try:
        unanswered.prune()  # retention applies even when nobody asks for a while
        uncovered = [u.text for u in unanswered.since(since) if u.reason == "no-match"]
    finally:
        unanswered.close()
    state = (
        "on" if unanswered_on else ("off (data kept from when it was on)" if uncovered else "off")
    )
    summary = find_topics(uncovered, embedder_factory()) if uncovered else None

    stale = [
        StaleArticle(a.id, a.title, a.review_by.isoformat(), (today - a.review_by).days)
        for a in articles
        if (a.review_by - today).days <= DUE_SOON_DAYS
    ]
    stale.sort(key=lambda s: -s.days_overdue)
    return Report(
        generated=datetime.now(UTC).isoformat(timespec="seconds"),
        since=since.isoformat() if since else None,
        totals=totals,
        rates=rates,
        days=days,
        votes={"helpful": votes[True], "not_helpful": votes[False]},
        least_helpful=[_row(s, titles) for s in least],
        unanswered_report=state,
        topics=list(summary.topics[:TOP_TOPICS]) if summary else [],
        ungrouped_questions=summary.ungrouped if summary else 0,
        stale_articles=stale,
        notes=notes,
    )


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


# Rendering.


def render_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, ensure_ascii=False)


def render_text(report: Report) -> str:
    out = [
        f"faqbot report — generated {report.generated}"
        + (f", since {report.since}" if report.since else "")
    ]
    out += [f"note: {n}" for n in report.notes]
    total = sum(report.totals.values())
    out.append(f"\nQuestions: {total}")
    for s in STATUSES:
        out.append(f"  {s:>9}: {report.totals[s]:>6}  ({report.rates[s]:.1%})")
    if report.days:
        out.append("\nPer day            total  answered  fallback  emergency")
        for d in report.days:
            out.append(
                f"  {d.day}  {d.total:>9}  {d.rates['answered']:>8.1%}  "
                f"{d.rates['fallback']:>8.1%}  {d.rates['emergency']:>9.1%}"
            )
    out.append(
        f"\nFeedback: {report.votes['helpful']} helpful, {report.votes['not_helpful']} not helpful"
    )
    out.append("\nLeast helpful passages")
    if not report.least_helpful:
        out.append("  (no votes yet)")
    for p in report.least_helpful:
        out.append(
            f"  {p.helpful_ratio:>5.0%} helpful ({p.helpful}/{p.helpful + p.unhelpful})  "
            f"{p.article_title} › {p.section}\n         {p.url}  [{p.passage_id}]"
        )
    out.append(f"\nTopics nobody covers (unanswered report: {report.unanswered_report})")
    if not report.topics:
        out.append("  (none)")
    for t in report.topics:
        out.append(f"  {t.count:>4} questions about {t.label}")
    if report.ungrouped_questions:
        out.append(f"  {report.ungrouped_questions:>4} other questions in no topic")
    out.append("\nArticles due for review")
    if not report.stale_articles:
        out.append("  (none within the next 30 days)")
    for a in report.stale_articles:
        when = (
            f"{a.days_overdue} days overdue"
            if a.days_overdue > 0
            else f"due in {-a.days_overdue} days"
        )
        out.append(f"  {a.title} ({a.article_id}): review by {a.review_by}, {when}")
    return "\n".join(out) + "\n"


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def charts(report: Report) -> list[tuple[str, str]]:
    """(alt text, PNG data URI) for each chart that has data."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: list[tuple[str, str]] = []
    colours = {"answered": "#1b7f3b", "fallback": "#c77c02", "emergency": "#b3261e"}
    if report.days:
        fig, ax = plt.subplots(figsize=(8, 3.2))
        labels = [d.day[5:] for d in report.days]
        bottom = [0.0] * len(report.days)
        for s in STATUSES:
            values = [d.rates[s] * 100 for d in report.days]
            ax.bar(labels, values, bottom=bottom, label=s, color=colours[s])
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_ylabel("% of questions")
        ax.set_ylim(0, 100)
        ax.set_title("Outcomes per day")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        ax.tick_params(axis="x", labelrotation=45)
        out.append(("Share of answered, fallback and emergency outcomes per day", _png(fig)))
        plt.close(fig)
    if report.least_helpful:
        rows = report.least_helpful[::-1]
        fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.0))
        # One row per passage (two passages may share a section): positions, then labels.
        positions = list(range(len(rows)))
        ax.barh(positions, [p.helpful_ratio * 100 for p in rows], color="#0b4f8a")
        ax.set_yticks(positions, [_passage_label(p) for p in rows])
        for i, p in enumerate(rows):
            votes = f"{p.helpful}/{p.helpful + p.unhelpful} helpful"
            ax.text(p.helpful_ratio * 100 + 1, i, votes, va="center", color="#1f2937")
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of votes saying helpful")
        ax.set_title("Least helpful passages")
        out.append(("Helpful ratio of the least helpful passages", _png(fig)))
        plt.close(fig)
    return out


def _passage_label(p: PassageRow) -> str:
    """The passage's own section heading and id tail: short, and unique per passage."""
    return f"{_short(p.section.split(' › ')[-1], 36)} · {p.passage_id[-6:]}"


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:60rem;
 padding:0 1rem;color:#1f2937;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid
 #d1d5db;padding-bottom:.2rem}.meta{color:#4b5563;margin-top:0}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #d1d5db;border-radius:8px;
 padding:.6rem 1rem;min-width:9rem}.card b{display:block;font-size:1.5rem}
.answered b{color:#1b7f3b}.fallback b{color:#c77c02}.emergency b{color:#b3261e}
table{border-collapse:collapse;width:100%;font-size:.92rem}th,td{text-align:left;padding:.35rem .5rem;
 border-bottom:1px solid #e5e7eb;vertical-align:top}th{background:#f3f4f6}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}img{max-width:100%;height:auto}
.note{background:#fef3c7;border:1px solid #f59e0b;padding:.4rem .8rem;border-radius:6px}
.muted{color:#6b7280}
"""


def render_html(report: Report) -> str:
    e = html.escape
    total = sum(report.totals.values())
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<title>faqbot report</title><style>" + CSS + "</style></head><body>",
        "<h1>faqbot report</h1>",
        f"<p class='meta'>Generated {e(report.generated)}"
        + (f" · since {e(report.since)}" if report.since else " · all stored days")
        + "</p>",
    ]
    parts += [f"<p class='note'>{e(n)}</p>" for n in report.notes]
    parts.append("<div class='cards'>")
    parts.append(f"<div class='card'><b>{total}</b>questions</div>")
    for s in STATUSES:
        parts.append(
            f"<div class='card {s}'><b>{report.rates[s]:.1%}</b>{s} ({report.totals[s]})</div>"
        )
    parts.append(
        f"<div class='card'><b>{report.votes['helpful']} / {report.votes['not_helpful']}</b>"
        "helpful / not helpful</div></div>"
    )
    images = charts(report)
    parts.append("<h2>Outcomes over time</h2>")
    if report.days:
        parts.append(f"<img alt='{e(images[0][0])}' src='{images[0][1]}'>")
        parts.append(
            "<table><tr><th>Day</th><th class='num'>Questions</th><th class='num'>Answered</th>"
            "<th class='num'>Fallback</th><th class='num'>Emergency</th></tr>"
        )
        for d in report.days:
            parts.append(
                f"<tr><td>{e(d.day)}</td><td class='num'>{d.total}</td>"
                + "".join(f"<td class='num'>{d.rates[s]:.1%}</td>" for s in STATUSES)
                + "</tr>"
            )
        parts.append("</table>")
    else:
        parts.append("<p class='muted'>No questions counted yet.</p>")
    parts.append("<h2>Least helpful passages</h2>")
    if report.least_helpful:
        parts.append(f"<img alt='{e(images[-1][0])}' src='{images[-1][1]}'>")
        parts.append(
            "<table><tr><th>Article</th><th>Section</th><th class='num'>Helpful</th>"
            "<th class='num'>Votes</th></tr>"
        )
        for p in report.least_helpful:
            parts.append(
                f"<tr><td>{e(p.article_title)}</td><td><a href='{e(p.url)}'>{e(p.section)}</a>"
                f"<br><span class='muted'>{e(p.passage_id)}</span></td>"
                f"<td class='num'>{p.helpful_ratio:.0%}</td>"
                f"<td class='num'>{p.helpful + p.unhelpful}</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append("<p class='muted'>No votes yet.</p>")
    parts.append(
        f"<h2>Topics nobody covers</h2><p class='meta'>Unanswered report: "
        f"{e(report.unanswered_report)}. Questions are grouped by meaning; only a "
        "group's size and the words its questions share are shown.</p>"
    )
    if report.topics:
        parts.append("<table><tr><th class='num'>Questions</th><th>About</th></tr>")
        for t in report.topics:
            parts.append(f"<tr><td class='num'>{t.count}</td><td>{e(t.label)}</td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p class='muted'>No topics.</p>")
    if report.ungrouped_questions:
        parts.append(
            f"<p class='muted'>{report.ungrouped_questions} other questions fit no topic.</p>"
        )
    parts.append("<h2>Articles due for review</h2>")
    if report.stale_articles:
        parts.append("<table><tr><th>Article</th><th>Review by</th><th>Status</th></tr>")
        for a in report.stale_articles:
            status = (
                f"{a.days_overdue} days overdue"
                if a.days_overdue > 0
                else f"due in {-a.days_overdue} days"
            )
            parts.append(
                f"<tr><td>{e(a.title)} <span class='muted'>({e(a.article_id)})</span></td>"
                f"<td>{e(a.review_by)}</td><td>{e(status)}</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append(f"<p class='muted'>None due within {DUE_SOON_DAYS} days.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": render_text,
    "json": render_json,
    "html": render_html,
}
