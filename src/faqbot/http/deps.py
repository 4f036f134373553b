"""What routes get through `Depends`: the loaded answerer and the app's settings."""

from __future__ import annotations

from fastapi import Request

from faqbot.answering.answerer import Answerer
from faqbot.http.errors import ApiProblem
from faqbot.settings import Settings


def get_answerer(request: Request) -> Answerer:
    """The loaded answerer, or 503 while the model/index is not (yet) loaded."""
    answerer: Answerer | None = getattr(request.app.state, "answerer", None)
    if answerer is None:
        # The reason (file paths) goes to the log at load time, not to the public.
        raise ApiProblem(
            503, "not_ready", "faqbot is not ready to answer yet; please try again shortly."
        )
    return answerer


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings
