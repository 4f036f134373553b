"""Build throughput on MedQuAD (16k passages) against raw `model.encode` on the same texts.

MedQuAD is turned into faqbot articles in a temporary folder (one article per source
document, one `##` section per answer), never copied into the repository. The raw figure
encodes exactly the texts the build embeds (heading path + passage), with the same batch size,
so the ratio shows what parsing, chunking, indexing, writing and verifying add to the encoder.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from faqbot.corpus.articles import load_articles
from faqbot.corpus.chunking import chunk_article, embedding_text
from faqbot.embedding.encoder import ENCODE_BATCH_SIZE, SentenceTransformerEmbedder
from faqbot.index.ann import IndexPolicy
from faqbot.publishing.build import build_index

from .common import CORPUS, ratio

EDITOR_FILES = ("responses.yaml", "safety.yaml", "calibration.json")


def article_id(passage_id: str) -> str:
    """`mq-1-0000001_1-3` (collection, document, pair) → the document's id `mq-1-0000001-1`."""
    return passage_id.rsplit("-", 1)[0].replace("_", "-").lower()


def write_medquad_corpus(rows: list[dict[str, str]], target: Path) -> int:
    """faqbot articles from MedQuAD rows, plus the bundled corpus's editor files; returns the
    article count."""
    target.mkdir(parents=True, exist_ok=True)
    documents: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        documents[article_id(row["id"])].append(row)
    for doc_id, answers in documents.items():
        first = answers[0]
        url = first["url"].split("#", 1)[0] or "https://medquad.example/"
        header = [
            "---",
            f"id: {doc_id}",
            f"title: {json.dumps(first['title'] or doc_id)}",
            f"url: {json.dumps(url)}",
            "version: 1",
            "approved_on: 2026-01-01",
            "review_by: 2027-01-01",
            "---",
            "",
            f"# {first['title'] or doc_id}",
            "",
        ]
        seen: dict[str, int] = defaultdict(int)
        body = []
        for answer in answers:
            heading = answer["qtype"] or "answer"
            seen[heading] += 1  # one heading per answer, numbered when a type repeats
            suffix = f" ({seen[heading]})" if seen[heading] > 1 else ""
            body.append(f"## {heading}{suffix}\n\n{answer['text']}\n")
        (target / f"{doc_id}.md").write_text("\n".join(header) + "\n".join(body), "utf-8")
    for name in EDITOR_FILES:
        if (CORPUS / name).is_file():
            shutil.copy(CORPUS / name, target / name)
    return len(documents)


RAW_CHUNK = 512  # passages per raw encode call, so the time cap is checked between calls


def run(
    rows: list[dict[str, str]],
    workdir: Path,
    embedder: SentenceTransformerEmbedder,
    raw_budget_s: float,
) -> tuple[dict[str, Any], Path, Path, np.ndarray, list[str]]:
    """Returns the figures, the corpus and index folders (served by the HTTP section), the
    passage vectors (reused by the index-scale section) and each row's MedQuAD id.

    The raw encode stops after `raw_budget_s` when the machine is too slow (or too busy) to
    encode the whole corpus twice inside the bench's time; the build then runs on exactly the
    articles whose passages were encoded, and the figures say how many that was."""
    full = workdir / "medquad-full"
    corpus, index = workdir / "medquad-corpus", workdir / "medquad-index"
    write_medquad_corpus(rows, full)
    articles = load_articles(full)
    passages = [p for a in articles for p in chunk_article(a)]
    texts = [embedding_text(p) for p in passages]

    model = embedder._model  # the bare SentenceTransformer: the raw reference
    chunks: list[np.ndarray] = []
    started = time.perf_counter()
    for start in range(0, len(texts), RAW_CHUNK):
        chunks.append(
            model.encode(
                texts[start : start + RAW_CHUNK],
                batch_size=ENCODE_BATCH_SIZE,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        )
        if time.perf_counter() - started > raw_budget_s:
            break
    raw_seconds = time.perf_counter() - started
    encoded = sum(len(c) for c in chunks)

    # The articles whose passages were all encoded (a prefix, in build order).
    kept, covered = [], 0
    for article in articles:
        count = len(chunk_article(article))
        if covered + count > encoded:
            break
        kept.append(article)
        covered += count
    corpus.mkdir()
    for article in kept:
        shutil.copy(article.path, corpus / article.path.name)
    for name in EDITOR_FILES:
        if (full / name).is_file():
            shutil.copy(full / name, corpus / name)

    started = time.perf_counter()
    report = build_index(corpus, index, embedder, IndexPolicy())
    build_seconds = time.perf_counter() - started

    raw_rate = encoded / raw_seconds
    build_rate = report.manifest.passage_count / build_seconds
    figures = {
        "articles": len(kept),
        "passages": report.manifest.passage_count,
        "passages_in_full_corpus": len(passages),
        "capped_by_time": encoded < len(texts),
        "index_type": report.manifest.index_type,
        "raw_encode_passages": encoded,
        "raw_encode_seconds": round(raw_seconds, 2),
        "raw_encode_passages_per_s": round(raw_rate, 1),
        "build_seconds": round(build_seconds, 2),
        "build_passages_per_s": round(build_rate, 1),
        "build_over_raw": ratio(build_rate, raw_rate),
    }
    vectors = np.ascontiguousarray(np.concatenate(chunks)[:covered], dtype=np.float32)
    by_text = {row["text"]: row["id"] for row in rows}
    medquad_ids = [by_text.get(p.text, "") for p in passages[:covered]]
    return figures, corpus, index, vectors, medquad_ids
