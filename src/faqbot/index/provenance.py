"""Provenance of an index version: which article versions it holds and when each is due for
review. Written as `articles.json` in the version folder; `/healthz` reports stale articles
from it (an article whose `review_by` date has passed)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path

from faqbot.models import Article

PROVENANCE_FILE = "articles.json"


def provenance_json(articles: Sequence[Article]) -> str:
    rows = [
        {
            "id": a.id,
            "title": a.title,
            "version": a.version,
            "approved_on": a.approved_on.isoformat(),
            "review_by": a.review_by.isoformat(),
            "file": a.path.name,
        }
        for a in articles
    ]
    return json.dumps({"articles": rows}, indent=2, ensure_ascii=False) + "\n"


@lru_cache(maxsize=8)
def _review_dates(folder: Path) -> tuple[tuple[str, date], ...]:
    """(article id, review_by) of a version folder; versions never change once written."""
    try:
        rows = json.loads((folder / PROVENANCE_FILE).read_text(encoding="utf-8"))["articles"]
        return tuple((str(r["id"]), date.fromisoformat(r["review_by"])) for r in rows)
    except (OSError, ValueError, KeyError, TypeError):
        return ()  # a version built before provenance was recorded: nothing to report


def stale_articles(folder: Path, today: date | None = None) -> list[str]:
    """Ids of the version's articles whose review_by date is before today."""
    today = today or date.today()
    return [article_id for article_id, due in _review_dates(folder) if due < today]
