"""The editors' glossary: the words visitors use for the articles' words (corpus/glossary.yaml).

The article says "intravenously"; visitors ask "is it an IV drip?". The approved text cannot be
reworded, and a small embedding model does not know every everyday or slang word, so editors
may list, for a word of the articles, what visitors say instead:

    intravenously: [iv, drip, needle, into the vein]

Before retrieval, a question that uses a visitor's phrase gets the article's word added to it
(never shown, never logged), so both the dense and the keyword side meet the passage that uses
it, and the scope guard knows the phrase's words belong to the corpus. Like the safety rules,
the file is data editors own: `faqbot check` points at a line whose article word no article
uses, and a missing file means an empty glossary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import yaml

from faqbot.corpus.articles import field_line, yaml_error_line
from faqbot.errors import CorpusError
from faqbot.text.words import words

GLOSSARY_FILE = "glossary.yaml"
_WORD_CHAR = re.compile(r"\w")


class Glossary:
    """Article word → the phrases visitors use for it, each phrase matched as whole words."""

    def __init__(self, entries: Sequence[tuple[str, Sequence[str]]] = ()) -> None:
        self.entries = tuple((term, tuple(phrases)) for term, phrases in entries)
        self._patterns = {
            term: re.compile(r"\b(?:" + "|".join(map(re.escape, phrases)) + r")\b", re.IGNORECASE)
            for term, phrases in self.entries
        }

    def outside(self, corpus_text: str) -> Glossary:
        """Without the phrases the articles use themselves ("mental health", "safety"): those
        are the articles' own wording, and adding another article word to them would only
        pull such a question towards a different passage."""
        lowered = corpus_text.lower()  # phrases are lower case already

        def in_corpus(phrase: str) -> bool:
            """The phrase as whole words, as `\\b` marks them. str.find, not a regex scan of
            the whole corpus per phrase: that cost 50 s at every start on 16k passages."""
            at = lowered.find(phrase)
            while at >= 0:
                end = at + len(phrase)
                starts_word = at == 0 or not _WORD_CHAR.match(lowered, at - 1)
                ends_word = end == len(lowered) or not _WORD_CHAR.match(lowered, end)
                if starts_word and ends_word:
                    return True
                at = lowered.find(phrase, at + 1)
            return False

        used = {
            (term, phrase)
            for term, phrases in self.entries
            for phrase in phrases
            if in_corpus(phrase)
        }
        kept = [
            (term, [p for p in phrases if (term, p) not in used]) for term, phrases in self.entries
        ]
        return Glossary([(term, phrases) for term, phrases in kept if phrases])

    @property
    def visitor_words(self) -> frozenset[str]:
        """Every word of every visitor phrase: words the corpus covers through the glossary."""
        return frozenset(w for _, phrases in self.entries for p in phrases for w in words(p))

    def expansion(self, question: str) -> list[str]:
        """The article words of the visitor phrases the question uses (those it does not use
        already), in the glossary's order."""
        asked = set(words(question))
        return [
            term
            for term, pattern in self._patterns.items()
            if term not in asked and pattern.search(question)
        ]

    def annotate(self, question: str, expansion: Sequence[str] | None = None) -> str:
        """The question followed by its expansion terms in brackets (`expansion`, when the
        caller has them already, else found here)."""
        found = self.expansion(question) if expansion is None else expansion
        return f"{question} ({' '.join(found)})" if found else question


def parse_glossary(raw: object, path: Path, text: str = "") -> Glossary:
    """Validate the YAML's shape: one article word → a list of visitor phrases."""
    if raw is None:
        return Glossary()
    if not isinstance(raw, Mapping):
        raise CorpusError("must map an article word to a list of visitor phrases", path, 1)
    entries = []
    for key, phrases in raw.items():
        line = field_line(text, str(key))
        term = str(key).strip().lower()
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", term):
            raise CorpusError(f"{key!r}: the article word must be one word", path, line)
        if not isinstance(phrases, list) or not phrases:
            raise CorpusError(f"{key!r}: give a list of the phrases visitors use", path, line)
        cleaned = tuple(" ".join(words(str(p))) for p in phrases)
        if not all(cleaned):
            raise CorpusError(f"{key!r}: every phrase needs a word", path, line)
        entries.append((term, cleaned))
    return Glossary(tuple(entries))


def load_glossary(corpus_dir: Path) -> Glossary:
    """corpus/glossary.yaml, or an empty glossary when there is none."""
    path = corpus_dir / GLOSSARY_FILE
    if not path.is_file():
        return Glossary()
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CorpusError(f"not valid YAML: {exc}", path, yaml_error_line(exc)) from exc
    return parse_glossary(raw, path, text)


def unused_terms(glossary: Glossary, corpus_words: Iterable[str]) -> list[str]:
    """Article words of the glossary that no article uses (so no passage can be met by them)."""
    known = set(corpus_words)
    return [term for term, _ in glossary.entries if term not in known]
