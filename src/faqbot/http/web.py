"""The web face of faqbot: the embeddable widget, the demo page, the staff lookup and its
`GET /search` (CORS for sites that embed the widget lives in cors.py).

`install_web(app, settings)` wires all of it into the app that api.create_app builds. The
static files live in `faqbot/http/static/` and need no build step.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from faqbot.answering.answerer import Answerer, ServingState
from faqbot.http.deps import get_answerer, get_app_settings
from faqbot.http.errors import ApiProblem, error_responses
from faqbot.http.guards import CONTENT_SECURITY_POLICY
from faqbot.http.schemas import PassageOut, passage_out
from faqbot.http.validation import validated_text
from faqbot.settings import Settings
from faqbot.text.normalize import visible_char_pattern

STATIC_DIR = Path(__file__).resolve().parent / "static"

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
# k is a plain decimal count: no sign, spaces, underscores or other digit scripts, so exactly
# the values the schema's integer 1..50 allows are accepted.
_WHOLE_NUMBER = re.compile(r"[0-9]{1,3}")

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
    k = int(raw) if _WHOLE_NUMBER.fullmatch(raw) else 0
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


@router.get(
    "/search",
    response_model=SearchResponse,
    # The one error shape, declared as /ask declares it; app.py adds 429 to every rate-limited
    # path while FAQBOT_RATE_LIMIT_PER_MINUTE is on, and describe_search_parameters below says
    # which q, k and article the 422s are for.
    responses=error_responses(422, 503),
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
    text = validated_text(q or "", settings.max_question_chars, "query")
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
        results=[passage_out(h) for h in hits[:limit]],
        articles=articles,
        index_version=state.version,
    )


def describe_search_parameters(
    operation: dict[str, Any], settings: Settings, article_ids: list[str]
) -> None:
    """Let the published schema of GET /search say what search() enforces, so a request the
    schema allows is answered 200 and one it forbids gets the 422: q is required, 1 to
    max_question_chars characters as sent with at least one visible character (as /ask's
    question); k is a whole number 1..50; article is one of the served index's article ids
    (a plain string while no index is loaded, when every search is a 503 anyway)."""
    shapes: dict[str, tuple[bool, dict[str, Any]]] = {
        "q": (
            True,
            {
                "type": "string",
                "minLength": 1,
                "maxLength": settings.max_question_chars,
                "pattern": visible_char_pattern(),
            },
        ),
        "k": (
            False,
            {
                "type": "integer",
                "minimum": 1,
                "maximum": SEARCH_MAX_K,
                "default": SEARCH_DEFAULT_K,
            },
        ),
        "article": (
            False,
            {"type": "string", "enum": article_ids} if article_ids else {"type": "string"},
        ),
    }
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "query" and parameter.get("name") in shapes:
            required, schema = shapes[parameter["name"]]
            parameter["required"] = required
            title = parameter.get("schema", {}).get("title", parameter["name"])
            parameter["schema"] = {"title": title, **schema}


def _served_article_ids(app: FastAPI) -> list[str]:
    answerer: Answerer | None = getattr(app.state, "answerer", None)
    return [a.id for a in _articles(answerer.state)] if answerer is not None else []


def _complete_search_schema(app: FastAPI, settings: Settings) -> None:
    """Wrap app.openapi (already completed by app.py) to describe /search's parameters. The
    article list is read on every request for the schema, so it follows reloads."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        operation = schema["paths"].get("/search", {}).get("get")
        if operation is not None:
            describe_search_parameters(operation, settings, _served_article_ids(app))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_web(app: FastAPI, settings: Settings) -> None:
    """Add the pages, the widget, /search and the /static files to the app (CORS: add_cors)."""
    app.include_router(router)
    _complete_search_schema(app, settings)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
