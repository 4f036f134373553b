"""Spelling repair: misspelt words become the corpus's or common English words; nothing else."""

from __future__ import annotations

import pytest

from faqbot.answering.answerer import Answerer
from faqbot.answering.spelling import SpellingRepair
from faqbot.corpus.articles import load_articles
from faqbot.corpus.chunking import chunk_article
from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.serving.state import load_state
from faqbot.settings import Settings
from faqbot.text.words import corpus_vocabulary

from ..conftest import CORPUS

CORPUS_WORDS = {"ketamine", "infusion", "infusions", "nausea", "effects", "side", "depression"}


@pytest.fixture(scope="module")
def repair() -> SpellingRepair:
    return SpellingRepair(CORPUS_WORDS)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("side efects", "side effects"),  # a letter left out
        ("nausia after the infusoin?", "nausea after the infusion?"),  # changed, swapped
        ("ketamne for depresion", "ketamine for depression"),
        ("does it hlep", "does it help"),  # not a corpus word, but common English
        ("Ketamin", "ketamine"),
    ],
)
def test_misspelt_words_become_the_word_one_edit_away(
    repair: SpellingRepair, typed: str, meant: str
) -> None:
    assert repair.repair(typed) == meant


def test_chat_spellings_of_function_words_are_written_out(repair: SpellingRepair) -> None:
    assert repair.repair("wat r u feeling b4 the infusion") == (
        "what are you feeling before the infusion"
    )


@pytest.mark.parametrize(
    "typed",
    [
        "what is spravato nasal spray",  # a drug the corpus never names: still out of scope
        "is naproxen safe",
        "Zoloft and sertraline",
        "ADHD and ketamine",
        "is it 10mg or 20mg",  # numbers and codes
        "the side effects",  # correct words
        "gr8 service",  # too short to guess safely
    ],
)
def test_real_words_and_unknown_names_are_kept_as_typed(repair: SpellingRepair, typed: str) -> None:
    assert repair.repair(typed) == typed


def test_two_equally_likely_words_leave_the_typo_alone() -> None:
    # "abcdez" is one edit from both corpus words, and English knows neither
    assert SpellingRepair({"abcdex", "abcdey"}).replacement("abcdez") is None
    assert SpellingRepair({"abcdex"}).replacement("abcdez") == "abcdex"


def test_the_words_it_knows_are_the_one_corpus_vocabulary() -> None:
    passages = [p for a in load_articles(CORPUS) for p in chunk_article(a)]
    assert SpellingRepair.from_passages(passages).corpus == corpus_vocabulary(passages)


@pytest.fixture(scope="module")
def answerer(real_settings: Settings, real_embedder: SentenceTransformerEmbedder) -> Answerer:
    state = load_state(real_settings, real_settings.index_dir, real_embedder)
    return Answerer(real_embedder, state, 10)


@pytest.mark.slow
def test_a_misspelt_question_is_answered_like_the_spelt_one(answerer: Answerer) -> None:
    typed = answerer.ask("can ketamne make u throw up or get nausia")
    spelt = answerer.ask("can ketamine make you throw up or get nausea")
    assert typed.status == spelt.status == "answered"
    assert typed.hits[0].passage.id == spelt.hits[0].passage.id
    assert "nausea" in typed.hits[0].passage.text.lower()


@pytest.mark.slow
def test_the_safety_gate_reads_the_question_as_typed(answerer: Answerer) -> None:
    """Repair happens after the gate: a rule written for a misspelling still fires."""
    assert answerer.ask("i want to kil myself").status == "emergency"
    assert answerer.ask("im pregant, can i still get infusions").status == "fallback"


@pytest.mark.slow
def test_repair_can_be_switched_off_for_measuring(
    real_settings: Settings, real_embedder: SentenceTransformerEmbedder
) -> None:
    off = real_settings.model_copy(update={"spelling_repair": False})
    state = load_state(off, off.index_dir, real_embedder)
    assert state.spelling is None


def test_a_real_word_slip_is_repaired_where_the_corpus_pairs_its_neighbour_with_another() -> None:
    repair = SpellingRepair(
        {"side", "effects", "mental", "health", "session", "lasts"},
        {("side", "effects"), ("mental", "health"), ("session", "lasts")},
    )
    assert repair.repair("what are the side affects") == "what are the side effects"
    assert repair.repair("good for mental heath?") == "good for mental health?"
    assert repair.repair("how long does a session last") == "how long does a session last"
    assert repair.repair("any affects on memory") == "any affects on memory"  # no pair: kept
