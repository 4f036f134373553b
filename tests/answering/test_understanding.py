"""Question understanding as one stage: repair, glossary expansion, unknown words and bridged
keywords made once, in one encoder call, and read by everything after it."""

from __future__ import annotations

import pytest

from faqbot.answering.answerability import WordTable
from faqbot.answering.scope import ScopeGuard
from faqbot.answering.spelling import SpellingRepair
from faqbot.answering.understanding import bridged_keywords, understand
from faqbot.corpus.articles import load_articles
from faqbot.corpus.chunking import chunk_article
from faqbot.corpus.glossary import Glossary
from faqbot.embedding.encoder import SentenceTransformerEmbedder

from ..conftest import CORPUS, CountingEmbedder, FakeEmbedder

PASSAGES = [p for a in load_articles(CORPUS) for p in chunk_article(a)]
GLOSSARY = Glossary([("intravenously", ["drip"])])


@pytest.fixture(scope="module")
def guard() -> ScopeGuard:
    return ScopeGuard.from_passages(PASSAGES, FakeEmbedder(), limit=0.45, override=0.7)


def test_one_record_from_one_encoder_call(guard: ScopeGuard) -> None:
    embedder = CountingEmbedder()
    table = WordTable.build(guard.content_words, guard.word_vectors, PASSAGES)
    understood = understand(
        "is ketamin given by drip for sertraline users?",
        embedder,
        spelling=SpellingRepair.from_passages(PASSAGES),
        glossary=GLOSSARY,
        scope=guard,
        bridge_min_similarity=0.6,
        known_words=table,
        gate="is ketamin given by drip for sertraline users?",
    )
    assert understood.repaired.startswith("is ketamine given by drip")
    assert understood.expansion == ("intravenously",)
    assert understood.text == f"{understood.repaired} (intravenously)"
    assert "sertraline" in understood.unknown
    assert len(understood.unknown_vectors) == len(understood.unknown)
    assert len(understood.word_vectors) == len(understood.asked)
    assert "ketamine" in understood.asked and "intravenously" in understood.asked
    assert len(embedder.batches) == 1  # question, unknown words, fresh words and the gate text
    first = embedder.batches[0]
    assert first[0] == understood.text and first[-1] == understood.typed
    assert "ketamine" not in first[1:]  # a word the table has is not encoded again
    assert understood.gate_vector is not None


def test_the_gate_text_is_not_encoded_twice_when_nothing_changed_it(guard: ScopeGuard) -> None:
    embedder = CountingEmbedder()
    understood = understand(
        "how long is a session",
        embedder,
        spelling=None,
        glossary=Glossary(),
        scope=guard,
        bridge_min_similarity=None,
        gate="how long is a session",
    )
    assert embedder.batches == [["how long is a session"]]
    assert understood.gate_vector is not None
    assert (understood.gate_vector == understood.vector[0]).all()


def test_keywords_read_an_unknown_word_as_the_corpus_word_closest_to_it() -> None:
    bridges = [("heart", "cardiovascular", 0.7)]
    assert (
        bridged_keywords("Is it hard on the Heart?", bridges, 0.6)
        == "Is it hard on the cardiovascular?"
    )


def test_unknown_words_far_from_every_corpus_word_are_kept_for_keywords() -> None:
    assert bridged_keywords("banana bread", [("banana", "bread", 0.1)], 0.6) == "banana bread"


@pytest.mark.slow
def test_real_model_bridges_everyday_words_to_the_articles_words(
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    guard = ScopeGuard.from_passages(PASSAGES, real_embedder, limit=0.45, override=0.7)
    understood = understand(
        "is it bad for your heart, and is it faster than pills?",
        real_embedder,
        spelling=None,
        glossary=Glossary(),
        scope=guard,
        bridge_min_similarity=0.6,
    )
    assert "cardiovascular" in understood.keywords and "rapid" in understood.keywords
    assert "heart" not in understood.keywords
    assert understood.text == understood.typed  # the dense side reads the question as typed
