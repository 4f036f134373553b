"""MedQuAD as an open set: half the sampled pages indexed, a question answerable only when one
of its judged answers is, and the training and evaluation questions from different pages."""

from __future__ import annotations

import json
from pathlib import Path

from faqbot.publishing.open_set import build_open_set


def _write(tmp_path: Path, pages: int) -> tuple[Path, Path, Path]:
    corpus, queries, qrels = tmp_path / "c.jsonl", tmp_path / "q.jsonl", tmp_path / "r.tsv"
    rows, asked, judged = [], [], []
    for page in range(pages):
        url = f"https://x.example/{page}"
        for kind in ("symptoms", "treatment"):
            rid = f"mq-{page}-{kind}"
            rows.append(
                {
                    "id": rid,
                    "text": f"{kind} of {page}.",
                    "title": f"T{page}",
                    "url": url,
                    "qtype": kind,
                }
            )
            asked.append({"id": f"q-{rid}", "text": f"What is the {kind} of T{page}?"})
            judged.append(f"q-{rid}\t{rid}\t1")
    asked.append({"id": "q-generic", "text": "How is it inherited?"})  # judged on two pages
    judged += ["q-generic\tmq-0-symptoms\t1", "q-generic\tmq-1-symptoms\t1"]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    queries.write_text("".join(json.dumps(q) + "\n" for q in asked), encoding="utf-8")
    qrels.write_text("\n".join(judged) + "\n", encoding="utf-8")
    return corpus, queries, qrels


def test_questions_about_withheld_pages_are_unanswerable(tmp_path: Path) -> None:
    open_set = build_open_set(*_write(tmp_path, 40))
    indexed_urls = {a.url for a in open_set.articles}
    assert 10 < len(indexed_urls) < 30  # about half of the 40 pages
    for question in open_set.questions:
        page = question.query.id.split("-")[2] if question.query.id != "q-generic" else None
        if page is not None:
            assert question.answerable == (f"https://x.example/{page}" in indexed_urls)
    row_ids = set(open_set.row_of.values())
    assert all(q.answerable == bool(q.relevant & row_ids) for q in open_set.questions)


def test_training_and_evaluation_questions_come_from_different_pages(tmp_path: Path) -> None:
    open_set = build_open_set(*_write(tmp_path, 40))
    training = {q.query.id.rsplit("-", 1)[0] for q in open_set.side(training=True)}
    evaluation = {q.query.id.rsplit("-", 1)[0] for q in open_set.side(training=False)}
    assert training and evaluation and not training & evaluation
