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
import json
import math
import sys
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

import numpy as np

from faqbot.answering.retrieval import FusionConfig, fused_scores
from faqbot.corpus.articles import corpus_hash
from faqbot.corpus.chunking import chunk_article, embedding_text
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


def load_corpus_articles(path: Path) -> list[Article]:
    """Each corpus row (`id`, `text`, optional `title`, `url`) as an article of one body."""
    articles = []
    for row in _jsonl(path):
        try:
            row_id, text = str(row["id"]), str(row["text"])
        except KeyError as exc:
            raise FaqbotError(f"{path}: every row needs 'id' and 'text' ({exc} missing)") from exc
        url = str(row.get("url") or f"https://corpus.invalid/{row_id}").split("#")[0]
        articles.append(
            Article(
                id=row_id,
                title=str(row.get("title") or row_id),
                url=url,
                version="benchmark",
                approved_on=date(1970, 1, 1),
                review_by=date(1970, 1, 1),
                body=text,
                path=path,
                body_line=1,
            )
        )
    if not articles:
        raise FaqbotError(f"{path} holds no corpus rows")
    return articles


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


def build_or_reuse(corpus_path: Path, index_dir: Path, embedder: Embedder) -> PassageIndex:
    """The corpus's index in index_dir: reused when built from the same file and model."""
    digest = corpus_hash([corpus_path])
    try:
        folder = index_dir / VERSIONS_DIR / published_version(index_dir)
        manifest = read_manifest(folder)
        if manifest.corpus_hash == digest and manifest.model == embedder.model_name:
            print(f"reusing index {manifest.version} in {index_dir}", file=sys.stderr)
            return load_version(folder, embedder.model_name, embedder.dimension)
    except FaqbotError:
        pass
    passages: list[Passage] = [
        p for a in load_corpus_articles(corpus_path) for p in chunk_article(a)
    ]
    vectors = encode_with_progress(embedder, [embedding_text(p) for p in passages], "passages")
    manifest = write_version(
        index_dir, passages, vectors, model=embedder.model_name, corpus_digest=digest
    )
    folder = index_dir / VERSIONS_DIR / manifest.version
    index = load_version(folder, embedder.model_name, embedder.dimension)
    publish(index_dir, manifest.version)
    return index


def distinct_ids(order: Sequence[int], index: PassageIndex, k: int = CUTOFF) -> list[str]:
    """Corpus ids of ranked passages, each once, best rank first."""
    seen: dict[str, None] = {}
    for row in order:
        seen.setdefault(index.passages[row].article_id, None)
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
) -> dict[str, dict[str, float]]:
    """Mean metrics per method over the queries that have judgements."""
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
                depth = min(PASSAGE_DEPTH, len(fused))
                top = np.argpartition(-fused, depth - 1)[:depth]
                order = top[np.argsort(-fused[top], kind="stable")]
                ranked = distinct_ids([int(i) for i in order], index)
                for metric, value in score_ranking(ranked, qrels[query.id]).items():
                    totals[name][metric] += value
            bar.update(1)
    return {
        name: {m: round(v / len(judged), 4) for m, v in scores.items()} | {"queries": len(judged)}
        for name, scores in totals.items()
    }


def format_table(results: dict[str, dict[str, float]]) -> str:
    lines = [f"{'method':<22}" + "".join(f"{m:>11}" for m in METRICS)]
    for name, scores in results.items():
        lines.append(f"{name:<22}" + "".join(f"{scores[m]:>11.4f}" for m in METRICS))
    any_row = next(iter(results.values()))
    lines.append(f"({int(any_row['queries'])} judged queries)")
    return "\n".join(lines)
