"""The web face of faqbot: the embeddable widget, the demo page, the staff lookup and its
`GET /search`, plus CORS for sites that embed the widget from another origin.

`install_web(app, settings)` wires all of it into the app that api.create_app builds. The
static files live in `faqbot/static/` and need no build step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from faqbot.answer import Answerer, ServingState
from faqbot.api import ApiProblem, ErrorResponse, PassageOut, get_answerer, get_app_settings
from faqbot.models import Hit
from faqbot.normalize import normalize_question
from faqbot.settings import Settings

STATIC_DIR = Path(__file__).resolve().parent / "static"

# The one Content-Security-Policy for faqbot's own HTML pages (/, /staff). Kept here so that
# other headers code (issue 7) reuses it instead of writing a second, diverging copy. Styles
# and scripts come only from our own files; the widget styles itself through a constructed
# stylesheet (adoptedStyleSheets), which needs no 'unsafe-inline'.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HTML_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-cache"}

# The widget is fetched by other sites' pages: a short cache so a fix reaches them within
# minutes, and an explicit cross-origin resource policy so it still loads if a stricter
# default is ever set for the rest of the app.
WIDGET_HEADERS = {
    "Cache-Control": "public, max-age=300",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "X-Content-Type-Options": "nosniff",
}

SEARCH_MAX_K = 50
SEARCH_DEFAULT_K = 10

router = APIRouter()


class ArticleOut(BaseModel):
    """An article the search can be narrowed to."""

    id: str
    title: str


class SearchResponse(BaseModel):
    """Ranked passages (also those below the answer threshold), with their scores."""

    results: list[PassageOut]
    articles: list[ArticleOut]
    index_version: str


def _page(name: str) -> FileResponse:
    return FileResponse(STATIC_DIR / name, media_type="text/html", headers=HTML_HEADERS)


@router.get("/", include_in_schema=False)
def demo_page() -> FileResponse:
    """A demo clinic article page with the widget embedded by its one script tag."""
    return _page("index.html")


@router.get("/staff", include_in_schema=False)
def staff_page() -> FileResponse:
    """The staff lookup page (uses GET /search)."""
    return _page("staff.html")


@router.get("/widget.js", include_in_schema=False)
def widget_script() -> FileResponse:
    """The embeddable widget: one plain JavaScript file."""
    return FileResponse(
        STATIC_DIR / "widget.js",
        media_type="text/javascript; charset=utf-8",
        headers=WIDGET_HEADERS,
    )


def _parse_k(raw: str | None) -> int:
    if raw is None:
        return SEARCH_DEFAULT_K
    try:
        k = int(raw.strip())
    except ValueError:
        k = 0
    if not 1 <= k <= SEARCH_MAX_K:
        raise ApiProblem(
            422, "invalid_k", f'"k" must be a whole number from 1 to {SEARCH_MAX_K}, not {raw!r}.'
        )
    return k


def _articles(state: ServingState) -> list[ArticleOut]:
    seen: dict[str, str] = {}
    for passage in state.index.passages:
        seen.setdefault(passage.article_id, passage.article_title)
    return [ArticleOut(id=i, title=t) for i, t in seen.items()]


def _passage_out(hit: Hit) -> PassageOut:
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


@router.get(
    "/search",
    response_model=SearchResponse,
    responses={422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}},
)
def search(
    answerer: Annotated[Answerer, Depends(get_answerer)],
    settings: Annotated[Settings, Depends(get_app_settings)],
    q: Annotated[str | None, Query(description="What to look up (up to 1,000 characters).")] = None,
    k: Annotated[str | None, Query(description="How many passages, 1 to 50 (default 10).")] = None,
    article: Annotated[str | None, Query(description="Only passages of this article id.")] = None,
) -> SearchResponse:
    """Staff lookup: approved passages ranked as /ask ranks them, with scores, even below the
    answer threshold. No safety gate and no decision: this shows text, it does not answer."""
    text = normalize_question(q or "")
    if not text:
        raise ApiProblem(422, "empty_query", 'Type something to search for in "q".')
    if len(text) > settings.max_question_chars:
        raise ApiProblem(
            422,
            "query_too_long",
            f"Please keep the search under {settings.max_question_chars} characters.",
        )
    limit = _parse_k(k)
    state = answerer.state  # one version for the whole request, even during a reload
    articles = _articles(state)
    if article is not None and article not in {a.id for a in articles}:
        known = ", ".join(a.id for a in articles)
        raise ApiProblem(422, "unknown_article", f"No article {article!r}; known: {known}.")
    # With a filter, rank everything so the article's passages are not crowded out.
    wanted = len(state.index.passages) if article is not None else limit
    hits = answerer.retrieve(text, state, wanted)
    if article is not None:
        hits = [h for h in hits if h.passage.article_id == article]
    return SearchResponse(
        results=[_passage_out(h) for h in hits[:limit]],
        articles=articles,
        index_version=state.version,
    )


def install_web(app: FastAPI, settings: Settings) -> None:
    """Add the pages, the widget, /search, the /static files and CORS to the app."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    if settings.allowed_origins:
        # Cross-origin sites may POST questions (and read /search); never with credentials.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
            allow_credentials=False,
            max_age=600,
        )
