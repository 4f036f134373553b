"""The editors' glossary: visitors' words lead to the article's words, and bad entries are
pointed out by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from faqbot.answering.answerer import Answerer
from faqbot.corpus.check import check_corpus
from faqbot.corpus.glossary import GLOSSARY_FILE, Glossary, load_glossary
from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.errors import CorpusError
from faqbot.models import Answer
from faqbot.publishing.build import build_index
from faqbot.serving.state import load_state
from faqbot.settings import Settings

GLOSSARY = Glossary([("intravenously", ["iv", "drip", "into the vein"]), ("nausea", ["queasy"])])


def test_a_visitor_phrase_brings_the_article_word_into_the_question() -> None:
    assert GLOSSARY.annotate("so is it a drip?") == "so is it a drip? (intravenously)"
    assert GLOSSARY.annotate("do they put it into the VEIN") == (
        "do they put it into the VEIN (intravenously)"
    )
    assert GLOSSARY.annotate("IV drip and feeling queasy") == (
        "IV drip and feeling queasy (intravenously nausea)"
    )


def test_questions_without_visitor_phrases_are_left_alone() -> None:
    assert GLOSSARY.annotate("how long does a session last") == "how long does a session last"
    assert GLOSSARY.annotate("dripping tap") == "dripping tap"  # whole words only
    assert GLOSSARY.annotate("given intravenously, by drip?") == "given intravenously, by drip?"


def test_the_visitor_words_count_as_corpus_words() -> None:
    assert GLOSSARY.visitor_words == {"iv", "drip", "into", "the", "vein", "queasy"}


def test_no_glossary_file_means_an_empty_glossary(tmp_path: Path) -> None:
    assert load_glossary(tmp_path).entries == ()


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("nausea: [queasy]\ntwo words: [x]\n", 2, "must be one word"),
        ("nausea: queasy\n", 1, "give a list"),
        ("nausea: [queasy]\nvomiting: []\n", 2, "give a list"),
        ("- nausea\n", 1, "must map"),
        ("nausea: [queasy\n", 2, "not valid YAML"),
    ],
)
def test_a_malformed_glossary_names_its_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    (tmp_path / GLOSSARY_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(CorpusError) as caught:
        load_glossary(tmp_path)
    assert caught.value.line == line and message in caught.value.detail


def test_check_warns_of_an_article_word_no_article_uses(corpus_copy: Path) -> None:
    (corpus_copy / GLOSSARY_FILE).write_text(
        "# visitors' words\nnausea: [queasy]\nacupuncture: [needles]\n", encoding="utf-8"
    )
    problems = [str(p) for p in check_corpus(corpus_copy).problems]
    assert problems == [
        f"{corpus_copy / GLOSSARY_FILE}:3: warning: article word 'acupuncture' is used by no "
        "article, so its visitor phrases lead nowhere"
    ]


@pytest.mark.slow
def test_a_question_in_visitors_words_reaches_the_passage_in_the_articles(
    corpus_copy: Path,
    tmp_path: Path,
    real_settings: Settings,
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    """The glossary is built into the version: one build without it, one with it."""
    question = "is it given by iv"
    index = tmp_path / "index"

    def ask_built() -> Answer:
        build_index(corpus_copy, index, real_embedder)
        state = load_state(real_settings, index, real_embedder)
        return Answerer(real_embedder, state, 10).ask(question)

    (corpus_copy / GLOSSARY_FILE).unlink(missing_ok=True)  # the bundled glossary has iv too
    without = ask_built()
    (corpus_copy / GLOSSARY_FILE).write_text("intravenously: [iv, drip]\n", encoding="utf-8")
    with_glossary = ask_built()
    assert without.status == "fallback"
    assert with_glossary.status == "answered"
    assert "administered intravenously" in with_glossary.hits[0].passage.text


def test_phrases_the_articles_use_as_whole_words_are_dropped() -> None:
    glossary = Glossary([("nausea", ["queasy", "sick", "feel sick"]), ("pain", ["ache"])])
    kept = glossary.outside("Some feel SICK after it. Headaches are rare.")
    assert kept.entries == (("nausea", ("queasy",)), ("pain", ("ache",)))
    assert glossary.outside("sickly, achey").entries == glossary.entries  # parts of words only
