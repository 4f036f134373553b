"""Words of English text: splitting, stemming, how common a word is, and what counts as a
content or topic word. One place for the word rules that retrieval, the scope guard, spelling
repair, the glossary, the corpus check and the unanswered report all share."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import Stemmer

from faqbot.models import Passage

GENERIC_ZIPF = 5.5  # words at least this common in English (zipf scale) carry no topic
MIN_WORD = 3

_WORD = re.compile(r"[a-z0-9]+")
# Generic English function words (question words, pronouns, auxiliaries). Nothing here is about
# any topic: what the corpus covers is learnt from the corpus itself.
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren",
        "arent",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "cannot",
        "could",
        "couldnt",
        "did",
        "didnt",
        "do",
        "does",
        "doesnt",
        "doing",
        "dont",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "get",
        "gets",
        "getting",
        "got",
        "had",
        "hadnt",
        "has",
        "hasnt",
        "have",
        "havent",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "id",
        "if",
        "im",
        "in",
        "into",
        "is",
        "isnt",
        "it",
        "its",
        "itself",
        "ive",
        "just",
        "lets",
        "me",
        "more",
        "most",
        "much",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "shouldnt",
        "so",
        "some",
        "such",
        "than",
        "that",
        "thats",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "theres",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "wasnt",
        "we",
        "were",
        "werent",
        "what",
        "whats",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "wont",
        "would",
        "wouldnt",
        "you",
        "youre",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "also",
        "may",
        "might",
        "must",
        "shall",
        "please",
        "thanks",
        "thank",
        "yes",
        "ok",
        "okay",
        "really",
        "actually",
        "still",
        "even",
        "ever",
        "s",
        "t",
    ]
)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Lower-cased words and numbers of a text, in order (hyphenated words split)."""
    return _WORD.findall(text.lower())


def stem(word: str) -> str:
    result: str = _stemmer().stemWord(word)
    return result


@lru_cache(maxsize=8192)
def zipf(word: str) -> float:
    """How common a word is in general English (0 = unseen, 7 = 'the'), over simple variants."""
    from wordfreq import zipf_frequency

    forms = {word, stem(word)}
    if len(word) > 4 and word.endswith("s"):
        forms.add(word[:-1])
    return max(zipf_frequency(f, "en") for f in forms)


def is_content_word(word: str) -> bool:
    """Not a function word, a fragment or a token with digits (numbers, codes, reference ids)."""
    return word not in STOPWORDS and len(word) >= MIN_WORD and not any(c.isdigit() for c in word)


def content_words(text: str) -> list[str]:
    """The content words of a text, each once, in order."""
    return list(dict.fromkeys(w for w in words(text) if is_content_word(w)))


def is_topic_word(word: str) -> bool:
    """A content word that can say what a question is about: not an everyday English word."""
    return is_content_word(word) and zipf(word) < GENERIC_ZIPF


def passage_words(passage: Passage) -> list[str]:
    """The words a passage gives the corpus vocabulary, in order: its article's title, its
    section and its text."""
    return words(f"{passage.article_title} {passage.section} {passage.text}")


def corpus_vocabulary(passages: Iterable[Passage]) -> set[str]:
    """Every word of the passages, their sections and their article titles: the one corpus
    vocabulary of the scope guard, spelling repair and the glossary check."""
    vocabulary: set[str] = set()
    for p in passages:
        vocabulary.update(passage_words(p))
    return vocabulary
