"""The JSON bodies of the API, and the one mapping from answers and passages to them."""

from __future__ import annotations

from pydantic import BaseModel, Field

from faqbot.models import Answer, Hit, Status


class AskRequest(BaseModel):
    """A visitor's question."""

    question: str = Field(..., description="The question, up to the configured length.")


class PassageOut(BaseModel):
    """One approved passage, verbatim, with where it comes from."""

    id: str
    text: str
    article_id: str
    article_title: str
    section: str
    url: str
    score: float
    version: str
    approved_on: str


class RelatedOut(BaseModel):
    """A section that nearly matched: offered as a link, without its text."""

    article_title: str
    section: str
    url: str


class AskResponse(BaseModel):
    """The outcome, the approved message for it, and verbatim passages when answered."""

    status: Status
    message: str
    passages: list[PassageOut]
    related: list[RelatedOut]
    index_version: str
    answer_id: str | None = Field(
        None, description="Send with POST /feedback to rate this answer (null: feedback is off)."
    )


class HealthResponse(BaseModel):
    status: str
    index_version: str
    faqbot_version: str
    stale_articles: list[str] = Field(
        default_factory=list, description="Articles of this version past their review_by date."
    )


def passage_out(hit: Hit) -> PassageOut:
    """The one mapping of a ranked passage to JSON, for /ask and /search alike."""
    p = hit.passage
    return PassageOut(
        id=p.id,
        text=p.text,
        article_id=p.article_id,
        article_title=p.article_title,
        section=p.section,
        url=p.url,
        score=round(hit.score, 4),
        version=p.version,
        approved_on=p.approved_on,
    )


def to_response(answer: Answer) -> AskResponse:
    return AskResponse(
        status=answer.status,
        message=answer.message,
        passages=[passage_out(h) for h in answer.hits],
        related=[
            RelatedOut(article_title=p.article_title, section=p.section, url=p.url)
            for p in answer.related
        ],
        index_version=answer.index_version,
    )
