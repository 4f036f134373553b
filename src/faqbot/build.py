"""The build pipeline: corpus → passages → vectors → a verified, published index version."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from faqbot.ann import IndexPolicy
from faqbot.chunking import chunk_article, embedding_text
from faqbot.corpus import article_files, corpus_hash, load_articles, load_responses
from faqbot.embedding import Embedder
from faqbot.index import VERSIONS_DIR, Manifest, load_version, publish, write_version


@dataclass(frozen=True)
class BuildReport:
    """What a build produced, for the CLI to print."""

    manifest: Manifest
    articles: int
    folder: Path


def build_index(
    corpus_dir: Path, index_dir: Path, embedder: Embedder, policy: IndexPolicy | None = None
) -> BuildReport:
    """Build a new version from the corpus, verify it loads, then publish it atomically.

    `policy` picks flat or approximate search by size and sets the recall floor (defaults when
    omitted; the CLI passes the settings).

    Anything that fails before the final `publish` leaves the published version untouched.
    """
    articles = load_articles(corpus_dir)
    load_responses(corpus_dir)  # a corpus without its approved wording must not be published
    passages = [p for article in articles for p in chunk_article(article)]
    vectors = embedder.encode([embedding_text(p) for p in passages])
    digest = corpus_hash([*article_files(corpus_dir), corpus_dir / "responses.yaml"])
    manifest = write_version(
        index_dir, passages, vectors, model=embedder.model_name, corpus_digest=digest, policy=policy
    )
    folder = index_dir / VERSIONS_DIR / manifest.version
    load_version(folder, embedder.model_name, embedder.dimension)  # verify before publishing
    publish(index_dir, manifest.version)
    return BuildReport(manifest=manifest, articles=len(articles), folder=folder)
