"""`faqbot eval-retrieval`: retrieval quality on a public QA corpus (e.g. MedQuAD).

The corpus rows go through the production path: each row becomes an article, is cut by
corpus/chunking.py, embedded by embedding/encoder.py with the same `embedding_text`, written and verified as an
index version by index/version.py (FAISS + BM25), and ranked by answering/retrieval.py. Retrieved passages map back
to their row's `id` (each id counted once, best rank first) and are scored against the qrels:
nDCG@10, P@1, Recall@10 and MRR@10, for dense-only, BM25-only and the configured fusion side by
side, in one run.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import math
import sys
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

import numpy as np

from faqbot.answering.retrieval import (
    FusionConfig,
    HeadingVectors,
    fused_scores,
    heading_paths,
    heading_scores,
)
from faqbot.corpus.articles import corpus_hash
from faqbot.corpus.chunking import chunk_article, embedding_text, slugify
from faqbot.embedding.build_cache import EmbeddingCache
from faqbot.embedding.encoder import Embedder
from faqbot.errors import FaqbotError
from faqbot.index.version import (
    VERSIONS_DIR,
    PassageIndex,
    load_version,
    publish,
    published_version,
    read_manifest,
    write_version,
)
from faqbot.models import Article, Passage

CUTOFF = 10
PASSAGE_DEPTH = 50  # passages looked at to find the best 10 distinct corpus ids
BATCH = 256
METRICS = ("ndcg@10", "p@1", "recall@10", "mrr@10")


@dataclass(frozen=True)
class Query:
    id: str
    text: str


def _open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with _open_text(path) as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except ValueError as exc:
                raise FaqbotError(f"{path}:{number}: not valid JSON ({exc})") from exc


@dataclass(frozen=True)
class CorpusRow:
    """One row of a QA corpus: an answer, the page it came from and its kind of question."""

    id: str
    text: str
    title: str
    url: str
    qtype: str  # MedQuAD's question type ("symptoms", "treatment", …); "" when absent


def load_corpus_rows(path: Path) -> list[CorpusRow]:
    """The rows of a corpus JSONL (`id`, `text`, optional `title`, `url`, `qtype`)."""
    rows = []
    for row in _jsonl(path):
        try:
            row_id, text = str(row["id"]), str(row["text"])
        except KeyError as exc:
            raise FaqbotError(f"{path}: every row needs 'id' and 'text' ({exc} missing)") from exc
        url = str(row.get("url") or f"https://corpus.invalid/{row_id}").split("#")[0]
        title = str(row.get("title") or row_id)
        rows.append(CorpusRow(row_id, text, title, url, str(row.get("qtype") or "")))
    if not rows:
        raise FaqbotError(f"{path} holds no corpus rows")
    return rows


def _article(article_id: str, title: str, url: str, body: str, path: Path) -> Article:
    return Article(
        id=article_id,
        title=title,
        url=url,
        version="benchmark",
        approved_on=date(1970, 1, 1),
        review_by=date(1970, 1, 1),
        body=body,
        path=path,
        body_line=1,
    )


def page_key(url: str) -> str:
    """A page's article id: a short hash of its address (stable, file-name safe)."""
    return "page-" + hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]


def page_articles(rows: Sequence[CorpusRow], path: Path) -> tuple[list[Article], dict[str, str]]:
    """Rows of one page (same `url`) as one article, each answer under a heading made from its
    question type, as on the source pages ("## Symptoms", "## Treatment", a repeat numbered);
    and each section's passage key (`article id#anchor`) → the row it holds."""
    pages: dict[str, list[CorpusRow]] = defaultdict(list)
    for row in rows:
        pages[row.url].append(row)
    articles = []
    row_of: dict[str, str] = {}
    for url, members in pages.items():
        article_id = page_key(url)
        seen: dict[str, int] = defaultdict(int)
        parts = []
        for row in members:
            name = (row.qtype or "answer").capitalize()
            seen[name] += 1
            heading = name if seen[name] == 1 else f"{name} ({seen[name]})"
            parts.append(f"## {heading}\n\n{row.text}\n")
            row_of[f"{article_id}#{slugify(heading)}"] = row.id
        body = "\n".join(parts)
        articles.append(_article(article_id, members[0].title, url, body, path))
    return articles, row_of


def sampled(url: str, fraction: float) -> bool:
    """Whether a page is in a sample of `fraction` of the pages (fixed by hash, no seed)."""
    value = int.from_bytes(hashlib.sha256(f"sample:{url}".encode()).digest()[:8], "big")
    return value < fraction * 2**64


def corpus_articles(
    path: Path, pages: bool, fraction: float = 1.0
) -> tuple[list[Article], dict[str, str] | None]:
    """The sampled rows as articles: one per page (with the section → row map) or one per row."""
    rows = [r for r in load_corpus_rows(path) if sampled(r.url, fraction)]
    if not rows:
        raise FaqbotError(f"no page of {path} falls in a sample of {fraction}")
    if pages:
        return page_articles(rows, path)
    return [_article(r.id, r.title, r.url, r.text, path) for r in rows], None


def in_first_half(key: str, salt: str) -> bool:
    """A fixed, seedless split by hash: the same key always falls on the same side."""
    return hashlib.sha256(f"{salt}:{key}".encode()).digest()[0] < 128


def load_queries(path: Path) -> list[Query]:
    return [Query(str(r["id"]), str(r["text"])) for r in _jsonl(path)]


def load_qrels(path: Path) -> dict[str, set[str]]:
    """query id → relevant corpus ids (rows with a relevance above 0)."""
    qrels: dict[str, set[str]] = defaultdict(set)
    with _open_text(path) as rows:
        for row in csv.reader(rows, delimiter="\t"):
            if len(row) >= 2 and (len(row) < 3 or row[2].strip() not in ("0", "")):
                qrels[row[0]].add(row[1])
    return dict(qrels)


def _progress(total: int, desc: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="text", file=sys.stderr, dynamic_ncols=True)


def encode_with_progress(embedder: Embedder, texts: Sequence[str], desc: str) -> np.ndarray:
    rows = []
    with _progress(len(texts), desc) as bar:
        for start in range(0, len(texts), BATCH):
            chunk = texts[start : start + BATCH]
            rows.append(embedder.encode(chunk))
            bar.update(len(chunk))
    return np.vstack(rows) if rows else np.zeros((0, embedder.dimension), np.float32)


def build_or_reuse(
    articles: Sequence[Article], digest: str, index_dir: Path, embedder: Embedder
) -> PassageIndex:
    """The articles' index in index_dir: reused when built from the same corpus (`digest`
    names the corpus file and how it was cut) and model. Passage vectors go through the
    build's embedding cache, so another cut of the same corpus re-embeds only new texts."""
    try:
        folder = index_dir / VERSIONS_DIR / published_version(index_dir)
        manifest = read_manifest(folder)
        if manifest.corpus_hash == digest and manifest.model == embedder.model_name:
            print(f"reusing index {manifest.version} in {index_dir}", file=sys.stderr)
            return load_version(folder, embedder.model_name, embedder.dimension)
    except FaqbotError:
        pass
    passages: list[Passage] = [p for a in articles for p in chunk_article(a)]
    cache = EmbeddingCache(index_dir, embedder.model_name, embedder.dimension)
    texts = [embedding_text(p) for p in passages]
    with _progress(cache.count_missing(texts), "passages") as bar:
        vectors, _ = cache.embed(embedder, texts, bar.update)
    cache.save()
    manifest = write_version(
        index_dir, passages, vectors, model=embedder.model_name, corpus_digest=digest
    )
    folder = index_dir / VERSIONS_DIR / manifest.version
    index = load_version(folder, embedder.model_name, embedder.dimension)
    publish(index_dir, manifest.version)
    return index


def corpus_digest(path: Path, how: str) -> str:
    """The corpus file's hash and how it was cut into articles (a reused index must match)."""
    return hashlib.sha256(f"{corpus_hash([path])}:{how}".encode()).hexdigest()


def row_id(passage: Passage, row_of: Mapping[str, str] | None) -> str:
    """The corpus row a passage came from: its article (one row each), or its page section."""
    if row_of is None:
        return passage.article_id
    return row_of[f"{passage.article_id}#{passage.anchor}"]


def distinct_ids(
    order: Sequence[int],
    index: PassageIndex,
    k: int = CUTOFF,
    row_of: Mapping[str, str] | None = None,
) -> list[str]:
    """Corpus ids of ranked passages, each once, best rank first."""
    seen: dict[str, None] = {}
    for row in order:
        seen.setdefault(row_id(index.passages[row], row_of), None)
        if len(seen) == k:
            break
    return list(seen)


def score_ranking(ranked: Sequence[str], relevant: set[str]) -> dict[str, float]:
    top = ranked[:CUTOFF]
    gains = [1.0 if r in relevant else 0.0 for r in top]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), CUTOFF)))
    first = next((i for i, g in enumerate(gains) if g), None)
    return {
        "ndcg@10": dcg / ideal if ideal else 0.0,
        "p@1": gains[0] if gains else 0.0,
        "recall@10": sum(gains) / len(relevant) if relevant else 0.0,
        "mrr@10": 1.0 / (first + 1) if first is not None else 0.0,
    }


def evaluate_retrieval(
    index: PassageIndex,
    embedder: Embedder,
    queries: Sequence[Query],
    qrels: dict[str, set[str]],
    methods: dict[str, FusionConfig],
    row_of: Mapping[str, str] | None = None,
    headings: HeadingVectors | None = None,
) -> dict[str, dict[str, float]]:
    """Mean metrics per method over the queries that have judgements (a method's heading
    weight counts when heading vectors are given)."""
    judged = [q for q in queries if qrels.get(q.id)]
    if not judged:
        raise FaqbotError("no query has a relevance judgement: check --queries and --qrels")
    vectors = encode_with_progress(embedder, [q.text for q in judged], "queries")
    totals = {name: dict.fromkeys(METRICS, 0.0) for name in methods}
    with _progress(len(judged), "ranking") as bar:
        for query, vector in zip(judged, vectors, strict=True):
            dense = index.dense_scores(vector)
            lexical = index.lexical.relative_scores(query.text)
            for name, config in methods.items():
                fused = fused_scores(dense, lexical, config)
                if config.heading_weight and headings is not None:
                    fused = fused + config.heading_weight * heading_scores(headings, vector)
                depth = min(PASSAGE_DEPTH, len(fused))
                top = np.argpartition(-fused, depth - 1)[:depth]
                order = top[np.argsort(-fused[top], kind="stable")]
                ranked = distinct_ids([int(i) for i in order], index, row_of=row_of)
                for metric, value in score_ranking(ranked, qrels[query.id]).items():
                    totals[name][metric] += value
            bar.update(1)
    return {
        name: {m: round(v / len(judged), 4) for m, v in scores.items()} | {"queries": len(judged)}
        for name, scores in totals.items()
    }


def encode_headings(index: PassageIndex, embedder: Embedder) -> HeadingVectors:
    """Heading-path vectors of an index's passages, for the heading-field methods."""
    paths, of_passage = heading_paths(index.passages)
    return HeadingVectors(encode_with_progress(embedder, paths, "headings"), of_passage)


def format_table(results: dict[str, dict[str, float]]) -> str:
    lines = [f"{'method':<22}" + "".join(f"{m:>11}" for m in METRICS)]
    for name, scores in results.items():
        lines.append(f"{name:<22}" + "".join(f"{scores[m]:>11.4f}" for m in METRICS))
    any_row = next(iter(results.values()))
    lines.append(f"({int(any_row['queries'])} judged queries)")
    return "\n".join(lines)
