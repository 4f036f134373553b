"""The scope guard learns the corpus's words from the corpus: variants count, foreign names don't,
and a new article widens the scope by itself."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from faqbot.answering.answerer import Answerer
from faqbot.answering.scope import ScopeGuard
from faqbot.corpus.articles import load_articles
from faqbot.corpus.chunking import chunk_article
from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.serving.state import load_state
from faqbot.settings import Settings
from faqbot.text.words import zipf

from ..conftest import CORPUS, FakeEmbedder

PASSAGES = [p for a in load_articles(CORPUS) for p in chunk_article(a)]


@pytest.fixture(scope="module")
def guard() -> ScopeGuard:
    return ScopeGuard.from_passages(PASSAGES, FakeEmbedder(), limit=0.45, override=0.7)


@pytest.mark.parametrize(
    "word",
    ["vomiting", "vomit", "dependent", "relieve", "painkillers", "infusion", "surgical"],
)
def test_corpus_words_and_their_variants_are_covered(guard: ScopeGuard, word: str) -> None:
    assert guard.covers(word)


@pytest.mark.parametrize("word", ["risky", "riskier", "riskiest"])
def test_adjectives_built_on_a_corpus_word_are_covered(guard: ScopeGuard, word: str) -> None:
    assert guard.covers(word)


@pytest.mark.parametrize(
    "word", ["sertraline", "eczema", "medicare", "refund", "naproxen", "liver"]
)
def test_names_the_corpus_never_mentions_are_not_covered(guard: ScopeGuard, word: str) -> None:
    assert not guard.covers(word)


def test_unknown_terms_skip_function_words_and_repeat_once(guard: ScopeGuard) -> None:
    assert guard.unknown_terms("What are the side effects of sertraline, sertraline?") == [
        "sertraline"
    ]
    assert guard.unknown_terms("How long is each ketamine session?") == []
    assert guard.unknown_terms("Is session 2 on form ab1234 about 45 minutes?") == []


def test_common_words_carry_no_specificity() -> None:
    assert zipf("people") > zipf("sertraline")


def _vectors(n: int) -> np.ndarray:
    return np.zeros((n, FakeEmbedder.dimension), dtype=np.float32)  # bridge 0: worst case


def test_a_specific_unknown_name_is_out_of_scope_unless_the_match_is_very_strong(
    guard: ScopeGuard,
) -> None:
    terms = ["sertraline"]
    assert not guard.judge(terms, _vectors(1), best_score=0.5).in_scope
    assert guard.judge(terms, _vectors(1), best_score=0.75).in_scope
    assert guard.judge([], _vectors(0), best_score=0.1).in_scope


def test_everyday_unknown_words_do_not_make_a_question_out_of_scope(guard: ScopeGuard) -> None:
    terms = guard.unknown_terms("How soon does it happen for people?")
    assert guard.judge(terms, _vectors(len(terms)), best_score=0.4).in_scope


def test_a_new_article_widens_the_scope_by_itself() -> None:
    extra = dataclasses.replace(
        PASSAGES[0], id="other:x:1", article_id="other", text="Sertraline is an SSRI."
    )
    wider = ScopeGuard.from_passages([*PASSAGES, extra], FakeEmbedder(), 0.45, 0.7)
    assert wider.unknown_terms("What are the side effects of sertraline?") == []


def test_only_a_term_the_question_is_about_can_make_it_out_of_scope() -> None:
    guard = ScopeGuard.from_passages(
        PASSAGES, FakeEmbedder(), limit=0.45, override=0.7, min_centrality=0.35
    )
    words = FakeEmbedder().encode(["ketamine", "infusion", "depression", "pain"])
    term = -words.mean(axis=0, keepdims=True)  # pointing away from the corpus's words
    term /= np.linalg.norm(term)
    about_it = term[0].copy()  # the question is about the term (cosine 1)
    aside = words[0] - (words[0] @ term[0]) * term[0]  # a back-story word (cosine 0)
    aside /= np.linalg.norm(aside)
    assert not guard.judge(["sertraline"], term, 0.5, about_it).in_scope
    assert guard.judge(["sertraline"], term, 0.5, aside).in_scope
    assert not guard.judge(["sertraline"], term, 0.5).in_scope  # no question vector: it counts


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "status"),
    [
        # a back-story word the corpus never uses is not what is asked
        (
            "my neighbour, a retired veterinarian, says ketamine works fast for depression. "
            "how fast?",
            "answered",
        ),
        # the unknown word is the topic: out of scope
        ("does ketamine help with tinnitus", "fallback"),
        ("is ketamine used for psoriasis", "fallback"),
    ],
)
def test_the_guard_judges_what_the_question_is_about(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder, question: str, status: str
) -> None:
    state = load_state(real_settings, real_settings.index_dir, real_embedder)
    assert Answerer(real_embedder, state, 10).ask(question).status == status
