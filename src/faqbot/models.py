"""Small frozen records that flow between the modules. No behaviour lives here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

Status = Literal["answered", "fallback", "emergency"]


@dataclass(frozen=True)
class Article:
    """One approved article: its front matter and its Markdown body exactly as on disk."""

    id: str
    title: str
    url: str
    version: str
    approved_on: date
    review_by: date
    body: str
    path: Path
    body_line: int  # 1-based line of the file where the body starts, for file:line messages
    # Section anchor → questions editors attach to it: matched at query time, never shown.
    alternate_questions: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class AlternateQuestion:
    """A question an editor wrote for one section: it is matched, never shown to anyone."""

    article_id: str
    anchor: str
    question: str


@dataclass(frozen=True)
class Passage:
    """A verbatim slice of an article body, with what a reader needs to find it again."""

    id: str
    article_id: str
    article_title: str
    section: str  # heading path, e.g. "Potential Risks and Side Effects › Short-Term Side Effects"
    anchor: str
    url: str
    text: str  # an exact substring of the article body
    version: str
    approved_on: str  # ISO date


@dataclass(frozen=True)
class Hit:
    """A passage with its retrieval score (higher is better)."""

    passage: Passage
    score: float


@dataclass(frozen=True)
class Responses:
    """The fixed wording editors own; returned verbatim, never composed in code."""

    fallback: str
    emergency: str
    disclaimer: str


@dataclass(frozen=True)
class Answer:
    """What a question gets back: an outcome, the approved message and verbatim passages."""

    status: Status
    message: str
    hits: tuple[Hit, ...]
    related: tuple[Passage, ...]
    index_version: str
    reason: str  # why this outcome, for logs and eval (never the question text)
