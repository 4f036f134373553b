"""eval-retrieval: metrics by the book, corpus ids counted once, and a small MedQuAD slice run
through the production chunking/index/fusion code (skipped when ../shared is absent)."""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

import pytest

from faqbot.answering.retrieval import FusionConfig
from faqbot.cli.commands import build_parser
from faqbot.corpus.chunking import chunk_article
from faqbot.publishing.retrieval_eval import (
    CorpusRow,
    build_or_reuse,
    corpus_articles,
    corpus_digest,
    evaluate_retrieval,
    in_first_half,
    load_qrels,
    load_queries,
    page_articles,
    row_id,
    sampled,
    score_ranking,
)

from ..conftest import SHARED, FakeEmbedder

MEDQUAD = SHARED / "data" / "medquad"
SLICE = 60


def test_metrics_follow_their_definitions() -> None:
    perfect = score_ranking(["a", "b", "x"], {"a", "b"})
    assert perfect == {"ndcg@10": 1.0, "p@1": 1.0, "recall@10": 1.0, "mrr@10": 1.0}
    late = score_ranking(["x", "y", "a"], {"a", "b"})
    assert late["p@1"] == 0.0 and late["mrr@10"] == pytest.approx(1 / 3)
    assert late["recall@10"] == 0.5 and 0 < late["ndcg@10"] < 0.5
    assert score_ranking(["x"], {"a"})["ndcg@10"] == 0.0


def test_the_command_takes_the_documented_flags() -> None:
    flags = ["--corpus", "c.jsonl.gz", "--queries", "q.jsonl", "--qrels", "r.tsv"]
    args = build_parser().parse_args(["eval-retrieval", *flags, "--index-dir", "idx", "--json"])
    assert (args.corpus_file, args.index_dir, args.json) == (Path("c.jsonl.gz"), Path("idx"), True)


@pytest.mark.skipif(not MEDQUAD.is_dir(), reason="../shared/data/medquad is not on this machine")
def test_a_medquad_slice_runs_end_to_end_and_reuses_its_index(tmp_path: Path) -> None:
    with gzip.open(MEDQUAD / "corpus.jsonl.gz", "rt", encoding="utf-8") as rows:
        sliced = [json.loads(line) for line in itertools.islice(rows, SLICE)]
    ids = {r["id"] for r in sliced}
    corpus = tmp_path / "corpus.jsonl.gz"
    with gzip.open(corpus, "wt", encoding="utf-8") as out:
        out.writelines(json.dumps(r) + "\n" for r in sliced)
    qrels = {q: rel for q, rel in load_qrels(MEDQUAD / "dev_qrels.tsv").items() if rel <= ids}
    queries = [q for q in load_queries(MEDQUAD / "dev_queries.jsonl") if q.id in qrels]
    assert queries, "the slice should hold some judged queries"

    embedder = FakeEmbedder()
    articles, _ = corpus_articles(corpus, pages=False)
    digest = corpus_digest(corpus, "rows")
    index = build_or_reuse(articles, digest, tmp_path / "index", embedder)
    assert {p.article_id for p in index.passages} == ids  # every row became passages
    methods = {"dense": FusionConfig("dense"), "bm25": FusionConfig("bm25"), "mix": FusionConfig()}
    results = evaluate_retrieval(index, embedder, queries, qrels, methods)
    for scores in results.values():
        assert {"ndcg@10", "p@1", "recall@10", "mrr@10"} <= scores.keys()
        assert all(0.0 <= scores[m] <= 1.0 for m in ("ndcg@10", "p@1", "recall@10", "mrr@10"))
    assert results["bm25"]["recall@10"] > 0.5  # lexical search finds its own corpus's answers
    again = build_or_reuse(articles, digest, tmp_path / "index", embedder)
    assert again.version == index.version
    paged, row_of = corpus_articles(corpus, pages=True)
    by_page = build_or_reuse(paged, corpus_digest(corpus, "pages"), tmp_path / "p", embedder)
    assert {row_id(p, row_of) for p in by_page.passages} == ids  # every row, under its page
    assert len(paged) < len(articles)


ROWS = [
    CorpusRow("r1", "Fever and tiredness.", "Flu", "https://x.example/flu", "symptoms"),
    CorpusRow("r2", "Rest and fluids.", "Flu", "https://x.example/flu", "treatment"),
    CorpusRow("r3", "Also chills.", "Flu", "https://x.example/flu", "symptoms"),
    CorpusRow("r4", "A rash.", "Measles", "https://x.example/measles", "symptoms"),
]


def test_rows_of_one_page_become_one_article_with_a_heading_per_question_type() -> None:
    articles, row_of = page_articles(ROWS, Path("c.jsonl"))
    flu, measles = articles
    assert flu.title == "Flu" and measles.title == "Measles"
    assert "## Symptoms\n\nFever and tiredness." in flu.body
    assert "## Treatment\n\nRest and fluids." in flu.body
    assert "## Symptoms (2)\n\nAlso chills." in flu.body  # a repeated type stays its own section
    passages = [p for a in articles for p in chunk_article(a)]
    assert [(p.section, row_id(p, row_of)) for p in passages] == [
        ("Symptoms", "r1"),
        ("Treatment", "r2"),
        ("Symptoms (2)", "r3"),
        ("Symptoms", "r4"),
    ]
    assert all(p.text in next(r.text for r in ROWS if r.id == row_id(p, row_of)) for p in passages)


def test_samples_and_halves_are_fixed_by_hash() -> None:
    urls = [f"https://x.example/{n}" for n in range(2000)]
    share = sum(sampled(u, 0.2) for u in urls) / len(urls)
    assert 0.17 < share < 0.23
    assert [sampled(u, 0.2) for u in urls] == [sampled(u, 0.2) for u in urls]
    assert all(sampled(u, 1.0) for u in urls)
    half = sum(in_first_half(u, "salt") for u in urls) / len(urls)
    assert 0.45 < half < 0.55
    assert [in_first_half(u, "a") for u in urls] != [in_first_half(u, "b") for u in urls]
