"""The build pipeline: check → passages → vectors (cached) → a new version folder → verify →
regression gate → publish atomically → prune.

Anything that fails or is interrupted before the final `publish` leaves the published version
untouched: the new version is written to a staging folder and renamed into place whole, and
`current` is switched with one os.replace. One build runs at a time per index folder.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from faqbot.corpus.articles import article_files, corpus_hash, load_responses
from faqbot.corpus.check import CheckReport, check_corpus
from faqbot.corpus.chunking import chunk_article, embedding_text
from faqbot.embedding.build_cache import EmbeddingCache
from faqbot.embedding.encoder import Embedder, Vectors
from faqbot.errors import CalibrationError, IndexProblem
from faqbot.index.alternates import alternate_text, collect_alternates
from faqbot.index.ann import IndexPolicy
from faqbot.index.history import ArticleDiff, diff_passages, index_lock, prune, published_passages
from faqbot.index.provenance import PROVENANCE_FILE, provenance_json
from faqbot.index.version import (
    RULE_FILES,
    VERSIONS_DIR,
    Manifest,
    load_version,
    publish,
    published_version,
    write_version,
)
from faqbot.models import AlternateQuestion, Article, Passage
from faqbot.publishing.evaluation import EvalQuestion
from faqbot.publishing.regression_gate import GateResult, StateLoader, regression_gate


@dataclass(frozen=True)
class GateConfig:
    """What the regression gate needs: how a version is loaded as served (serving's load_state
    for the index folder being built), how many candidates are ranked, and the dev questions.
    `serving.state.gate_config` makes one from the settings."""

    load: StateLoader
    candidates: int
    questions: Sequence[EvalQuestion]


@dataclass
class BuildReport:
    """What a build produced, for the CLI to print."""

    manifest: Manifest
    articles: int
    folder: Path
    published: bool = True
    embedded: int = 0  # passages embedded now (the rest came from the cache)
    embedded_alternates: int = 0  # alternate questions embedded now (likewise)
    check: CheckReport | None = None
    diff: dict[str, ArticleDiff] = field(default_factory=dict)
    gate: GateResult | None = None
    pruned: list[str] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0


def _embed(
    embedder: Embedder,
    groups: Sequence[list[str]],
    index_dir: Path,
    use_cache: bool,
    quiet: bool,
) -> list[tuple[Vectors, int]]:
    """Vectors of each group of texts (passages, alternate questions) and how many of each
    were embedded now; one cache serves every group."""
    from tqdm import tqdm

    cache = EmbeddingCache(index_dir, embedder.model_name, embedder.dimension, load=use_cache)
    with tqdm(
        total=sum(cache.count_missing(texts) for texts in groups),
        desc="embedding",
        unit="text",
        disable=quiet,
        file=sys.stderr,
    ) as bar:
        embedded = [cache.embed(embedder, texts, bar.update) for texts in groups]
    if use_cache:
        cache.save()  # before publishing: an interrupted or refused build still warms the cache
    return embedded


def _with_gate_questions(
    policy: IndexPolicy, gate: GateConfig | None, embedder: Embedder, passages: int
) -> IndexPolicy:
    """An approximate index is also recall-checked on the dev questions, when there are any."""
    if gate is None or policy.questions is not None or passages <= policy.flat_max_passages:
        return policy
    questions = [q.question for q in gate.questions]
    return replace(policy, questions=embedder.encode(questions) if questions else None)


def rule_files(corpus_dir: Path) -> dict[str, bytes]:
    """The editors' rule and wording files of the corpus, byte for byte, to keep with the
    version (responses.yaml is required and checked before this; the others are optional)."""
    return {
        name: (corpus_dir / name).read_bytes()
        for name in RULE_FILES
        if (corpus_dir / name).is_file()
    }


def _run_gate(
    index_dir: Path,
    version: str,
    gate: GateConfig,
    embedder: Embedder,
    articles: Sequence[Article],
    emit: Callable[[str], None],
) -> GateResult | None:
    """The gate against the published version; None when there is nothing to compare with."""
    try:
        published = published_version(index_dir)
    except IndexProblem:
        return None  # nothing readable is published: no baseline
    bodies = {a.id: a.body for a in articles}
    try:
        return regression_gate(
            gate.load, version, published, gate.candidates, embedder, gate.questions, bodies
        )
    except CalibrationError as exc:  # no thresholds yet: nothing to score against
        emit(f"regression gate skipped: {exc}")
    except IndexProblem as exc:  # broken, another model's, or built before versioned rules
        emit(f"regression gate skipped: the published version cannot be scored ({exc})")
    return None


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    policy: IndexPolicy | None = None,
    *,
    quiet: bool = True,
    use_cache: bool = True,
    gate: GateConfig | None = None,
    force: bool = False,
    keep: int | None = None,
    today: date | None = None,
    say: Callable[[str], None] | None = None,
) -> BuildReport:
    """Build a new version from the corpus and publish it when it is verified and not worse.

    `policy` picks flat or approximate search by size and sets the recall floor (defaults when
    omitted; the CLI passes the settings).

    Raises CorpusError (with file:line) when `faqbot check` finds an error. With `gate`, the
    dev questions are re-scored and a version that answers fewer correctly than the published
    one is not published (the report says which questions changed) unless `force`.
    """
    started = time.perf_counter()
    emit = say or (lambda line: None)
    checked = _checked_corpus(corpus_dir, today, emit)
    articles = checked.parsed  # parsed once by the check (no errors: every article parsed)
    passages = [p for article in articles for p in chunk_article(article)]
    alternates = collect_alternates(articles)
    with index_lock(index_dir):
        embedded = _embed_corpus(embedder, passages, alternates, index_dir, use_cache, quiet)
        _say_embedded(embedded, len(passages), len(alternates), emit)
        manifest = _write_new_version(
            corpus_dir, index_dir, articles, passages, alternates, embedded, embedder, policy, gate
        )
        folder = index_dir / VERSIONS_DIR / manifest.version
        load_version(folder, embedder.model_name, embedder.dimension)  # verify
        old_passages = published_passages(index_dir)
        report = BuildReport(
            manifest=manifest,
            articles=len(articles),
            folder=folder,
            embedded=embedded.passages,
            embedded_alternates=embedded.alternates,
            check=checked,
            diff=diff_passages(old_passages or [], passages),
            embed_seconds=embedded.seconds,
        )
        if gate is not None and gate.questions and old_passages is not None:
            report.gate = _run_gate(index_dir, manifest.version, gate, embedder, articles, emit)
        _publish_unless_refused(report, index_dir, force, keep)
    report.seconds = time.perf_counter() - started
    return report


def _checked_corpus(
    corpus_dir: Path, today: date | None, emit: Callable[[str], None]
) -> CheckReport:
    """`faqbot check` first: its warnings are said, its first error raised; and a corpus
    without its approved wording must not be published."""
    checked = check_corpus(corpus_dir, today)
    for warning in checked.warnings:
        emit(str(warning))
    if not checked.ok:
        raise checked.first_error()
    load_responses(corpus_dir)
    return checked


@dataclass(frozen=True)
class _Embedded:
    """The vectors of a build, and how many texts of each kind were embedded now."""

    vectors: Vectors
    passages: int
    alternate_vectors: Vectors
    alternates: int
    seconds: float


def _embed_corpus(
    embedder: Embedder,
    passages: Sequence[Passage],
    alternates: Sequence[AlternateQuestion],
    index_dir: Path,
    use_cache: bool,
    quiet: bool,
) -> _Embedded:
    started = time.perf_counter()
    (vectors, embedded), (alternate_vectors, embedded_alternates) = _embed(
        embedder,
        [[embedding_text(p) for p in passages], [alternate_text(a) for a in alternates]],
        index_dir,
        use_cache,
        quiet,
    )
    seconds = time.perf_counter() - started
    return _Embedded(vectors, embedded, alternate_vectors, embedded_alternates, seconds)


def _say_embedded(
    embedded: _Embedded, passages: int, alternates: int, emit: Callable[[str], None]
) -> None:
    emit(
        f"embedded {embedded.passages} of {passages} passages ({passages - embedded.passages} cached)"
    )
    if alternates:
        emit(
            f"embedded {embedded.alternates} of {alternates} alternate questions "
            f"({alternates - embedded.alternates} cached)"
        )


def _write_new_version(
    corpus_dir: Path,
    index_dir: Path,
    articles: Sequence[Article],
    passages: Sequence[Passage],
    alternates: Sequence[AlternateQuestion],
    embedded: _Embedded,
    embedder: Embedder,
    policy: IndexPolicy | None,
    gate: GateConfig | None,
) -> Manifest:
    """The version folder, with the rule files and provenance, hashed over articles and rules;
    its index type follows `policy` (recall-checked on the dev questions too, see
    _with_gate_questions)."""
    rules = rule_files(corpus_dir)
    digest = corpus_hash([*article_files(corpus_dir), *(corpus_dir / name for name in rules)])
    return write_version(
        index_dir,
        passages,
        embedded.vectors,
        model=embedder.model_name,
        corpus_digest=digest,
        policy=_with_gate_questions(policy or IndexPolicy(), gate, embedder, len(passages)),
        extra_files={PROVENANCE_FILE: provenance_json(articles)},
        alternates=alternates,
        alternate_vectors=embedded.alternate_vectors,
        rule_files=rules,
    )


def _publish_unless_refused(
    report: BuildReport, index_dir: Path, force: bool, keep: int | None
) -> None:
    """Publish (then prune to `keep`) unless the gate refused it and it is not forced; a
    refused version is not kept."""
    if report.gate is not None and not report.gate.passed and not force:
        shutil.rmtree(report.folder, ignore_errors=True)
        report.published = False
    else:
        publish(index_dir, report.manifest.version)
        if keep is not None:
            report.pruned = prune(index_dir, keep)
