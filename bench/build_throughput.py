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

from faqbot.ann import IndexPolicy
from faqbot.build import build_index
from faqbot.chunking import chunk_article, embedding_text
from faqbot.corpus import load_articles
from faqbot.embedding import ENCODE_BATCH_SIZE, SentenceTransformerEmbedder

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


def run(
    rows: list[dict[str, str]], workdir: Path, embedder: SentenceTransformerEmbedder
) -> tuple[dict[str, Any], Path, Path, np.ndarray, list[str]]:
    """Returns the figures, the corpus and index folders (served by the HTTP section), the
    passage vectors (reused by the index-scale section) and each row's MedQuAD id."""
    corpus, index = workdir / "medquad-corpus", workdir / "medquad-index"
    articles = write_medquad_corpus(rows, corpus)
    passages = [p for a in load_articles(corpus) for p in chunk_article(a)]
    texts = [embedding_text(p) for p in passages]

    model = embedder._model  # the bare SentenceTransformer: the raw reference
    started = time.perf_counter()
    vectors = model.encode(
        texts,
        batch_size=ENCODE_BATCH_SIZE,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    raw_seconds = time.perf_counter() - started

    started = time.perf_counter()
    report = build_index(corpus, index, embedder, IndexPolicy())
    build_seconds = time.perf_counter() - started

    raw_rate = len(texts) / raw_seconds
    build_rate = report.manifest.passage_count / build_seconds
    figures = {
        "articles": articles,
        "passages": report.manifest.passage_count,
        "index_type": report.manifest.index_type,
        "raw_encode_seconds": round(raw_seconds, 2),
        "raw_encode_passages_per_s": round(raw_rate, 1),
        "build_seconds": round(build_seconds, 2),
        "build_passages_per_s": round(build_rate, 1),
        "build_over_raw": ratio(build_rate, raw_rate),
    }
    by_text = {row["text"]: row["id"] for row in rows}
    medquad_ids = [by_text.get(p.text, "") for p in passages]
    return figures, corpus, index, np.ascontiguousarray(vectors, dtype=np.float32), medquad_ids
