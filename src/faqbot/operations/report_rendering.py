"""How `faqbot report` shows its figures (report.py): text for a terminal, JSON for scripts, or
one self-contained HTML page with matplotlib charts embedded as PNG data URIs."""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Callable
from typing import Any

from faqbot.operations.report import DUE_SOON_DAYS, STATUSES, PassageRow, Report


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
    images = charts(report)
    parts = [
        *_html_heading(report),
        *_html_cards(report),
        *_html_outcomes(report, images),
        *_html_least_helpful(report, images),
        *_html_topics(report),
        *_html_reviews(report),
        "</body></html>",
    ]
    return "\n".join(parts)


def _html_heading(report: Report) -> list[str]:
    e = html.escape
    return [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<title>faqbot report</title><style>" + CSS + "</style></head><body>",
        "<h1>faqbot report</h1>",
        f"<p class='meta'>Generated {e(report.generated)}"
        + (f" · since {e(report.since)}" if report.since else " · all stored days")
        + "</p>",
        *(f"<p class='note'>{e(n)}</p>" for n in report.notes),
    ]


def _html_cards(report: Report) -> list[str]:
    """Questions, each outcome's share and the votes, at a glance."""
    parts = [
        "<div class='cards'>",
        f"<div class='card'><b>{sum(report.totals.values())}</b>questions</div>",
    ]
    for s in STATUSES:
        parts.append(
            f"<div class='card {s}'><b>{report.rates[s]:.1%}</b>{s} ({report.totals[s]})</div>"
        )
    parts.append(
        f"<div class='card'><b>{report.votes['helpful']} / {report.votes['not_helpful']}</b>"
        "helpful / not helpful</div></div>"
    )
    return parts


def _html_outcomes(report: Report, images: list[tuple[str, str]]) -> list[str]:
    e = html.escape
    parts = ["<h2>Outcomes over time</h2>"]
    if not report.days:
        return [*parts, "<p class='muted'>No questions counted yet.</p>"]
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
    return [*parts, "</table>"]


def _html_least_helpful(report: Report, images: list[tuple[str, str]]) -> list[str]:
    e = html.escape
    parts = ["<h2>Least helpful passages</h2>"]
    if not report.least_helpful:
        return [*parts, "<p class='muted'>No votes yet.</p>"]
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
    return [*parts, "</table>"]


def _html_topics(report: Report) -> list[str]:
    """Topics of unanswered questions: a group's size and shared words, never its questions."""
    e = html.escape
    parts = [
        f"<h2>Topics nobody covers</h2><p class='meta'>Unanswered report: "
        f"{e(report.unanswered_report)}. Questions are grouped by meaning; only a "
        "group's size and the words its questions share are shown.</p>"
    ]
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
    return parts


def _html_reviews(report: Report) -> list[str]:
    e = html.escape
    parts = ["<h2>Articles due for review</h2>"]
    if not report.stale_articles:
        return [*parts, f"<p class='muted'>None due within {DUE_SOON_DAYS} days.</p>"]
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
    return [*parts, "</table>"]


RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": render_text,
    "json": render_json,
    "html": render_html,
}
