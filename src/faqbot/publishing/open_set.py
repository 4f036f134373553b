"""MedQuAD as an open set: questions about pages that are indexed, and about pages that are not.

A selective answerer must answer what its corpus answers and refuse the rest. The ranking
benchmark (retrieval_eval.py) asks only the first half of that. Here a fixed, hash-chosen
half of the source pages is indexed (each page one article, its answers under headings made
from their question types); every judged question of the sampled pages is asked. A question is
answerable when one of its judged answers is indexed (generic answers repeat across pages),
and it is answered *correctly* only when the top passage is one of them.

The questions are split once more by page, into a training half (`faqbot calibrate
--answerability` fits on it) and an evaluation half (`faqbot eval-retrieval --open-set`
reports on it), so the figures a calibration is judged by come from pages it never saw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from faqbot.errors import FaqbotError
from faqbot.models import Article
from faqbot.publishing.retrieval_eval import (
    CorpusRow,
    Query,
    in_first_half,
    load_corpus_rows,
    load_qrels,
    load_queries,
    page_articles,
    sampled,
)

INDEXED = "open-set-indexed"  # salt of the split of pages into indexed and withheld
TRAINING = "answerability-training"  # salt of the split of questions into training and evaluation


@dataclass(frozen=True)
class OpenQuestion:
    """One judged question of the open set."""

    query: Query
    relevant: frozenset[str]  # judged answer rows
    answerable: bool  # one of them is indexed
    training: bool  # its page is on the training side


@dataclass(frozen=True)
class OpenSet:
    """The indexed articles, their section → row map and every question of the sample."""

    articles: list[Article]
    row_of: Mapping[str, str]
    questions: list[OpenQuestion]

    def side(self, training: bool) -> list[OpenQuestion]:
        return [q for q in self.questions if q.training == training]


def build_open_set(corpus: Path, queries: Path, qrels: Path, fraction: float = 1.0) -> OpenSet:
    """The open set of a sample of `fraction` of the corpus's pages."""
    rows = [r for r in load_corpus_rows(corpus) if sampled(r.url, fraction)]
    if not rows:
        raise FaqbotError(f"no page of {corpus} falls in a sample of {fraction}")
    indexed = [r for r in rows if in_first_half(r.url, INDEXED)]
    articles, row_of = page_articles(indexed, corpus)
    return OpenSet(
        articles, row_of, _questions(rows, indexed, load_queries(queries), load_qrels(qrels))
    )


def _questions(
    rows: Sequence[CorpusRow],
    indexed: Sequence[CorpusRow],
    queries: Sequence[Query],
    qrels: Mapping[str, set[str]],
) -> list[OpenQuestion]:
    """The judged questions with an answer on a sampled page, in file order."""
    url_of = {r.id: r.url for r in rows}
    indexed_ids = {r.id for r in indexed}
    questions = []
    for query in queries:
        relevant = qrels.get(query.id, set())
        present = relevant & url_of.keys()
        if not present:
            continue
        page = min(url_of[r] for r in present)
        questions.append(
            OpenQuestion(
                query,
                frozenset(relevant),
                answerable=bool(relevant & indexed_ids),
                training=in_first_half(page, TRAINING),
            )
        )
    return questions
