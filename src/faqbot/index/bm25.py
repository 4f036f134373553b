"""Lexical retrieval: BM25 (the `bm25s` library) over stemmed words, saved without pickle.

The BM25 index lives in its own folder inside an index version, in bm25s's own files (JSON for
the vocabulary and parameters, `.npy` arrays written and read with allow_pickle=False). Passages
are not stored there: passages.jsonl stays the one verbatim copy.

Tokens: lower-cased words, English function words dropped, Snowball-stemmed (PyStemmer), so
"vomiting"/"vomit" and "dependent"/"dependency" meet. The document text is the section path
followed by the passage, so a heading's words count for every passage under it.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import numpy.typing as npt
import Stemmer

from faqbot.errors import IndexCorrupt
from faqbot.models import Passage
from faqbot.text.words import STOPWORDS, is_topic_word, stem, words

# Bump when tokenisation changes: an index built with another tokeniser is refused.
TOKENIZER = "faqbot-words-snowball-english-v1"
LEXICAL_DIR = "lexical"
META_FILE = "faqbot_lexical.json"
BM25_K1 = 1.5
BM25_B = 0.75
# A word's best BM25 score anywhere, as quantiles over the vocabulary: a typical word's (what an
# unmatched topic word of a question would have scored) and a distinctive word's (the least a
# question can be scored against).
TYPICAL_QUANTILE = 0.25
DISTINCTIVE_QUANTILE = 0.75
Scores = npt.NDArray[np.float32]

def tokenize(text: str) -> list[str]:
    """The BM25 tokens of a text: content words, stemmed."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


def lexical_text(passage: Passage) -> str:
    """What BM25 indexes for a passage: its section path, then its text."""
    return f"{passage.section} {passage.text}"


class LexicalIndex:
    """BM25 over a fixed list of documents (row i = passage i)."""

    def __init__(self, bm25: Any, documents: int) -> None:
        self._bm25 = bm25
        self.documents = documents
        data = np.asarray(bm25.scores["data"], dtype=np.float32)
        indptr = np.asarray(bm25.scores["indptr"])
        # The best score each token reaches in any document: a question's attainable maximum.
        self._token_max = np.array(
            [data[a:b].max() if b > a else 0.0 for a, b in itertools.pairwise(indptr)],
            dtype=np.float32,
        )
        reached = self._token_max[self._token_max > 0]
        self._typical = float(np.quantile(reached, TYPICAL_QUANTILE)) if reached.size else 0.0
        self._distinctive = (
            float(np.quantile(reached, DISTINCTIVE_QUANTILE)) if reached.size else 0.0
        )

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        bm25 = bm25s.BM25(k1=BM25_K1, b=BM25_B)
        # bm25s needs at least one token per document; "" never matches a query token.
        bm25.index([tokenize(t) or [""] for t in texts], show_progress=False)
        return cls(bm25, len(texts))

    def scores(self, query: str) -> Scores:
        """BM25 score of every document for one question (0 where nothing matches)."""
        ids = self._bm25.get_tokens_ids(tokenize(query))
        if not ids:
            return np.zeros(self.documents, dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(ids), dtype=np.float32)

    def relative_scores(self, query: str) -> Scores:
        """BM25 scores relative to what the question asks for, in [0, 1].

        The denominator is the most this question's words could score: each word the corpus
        uses counts its best score anywhere, and each topic word the corpus never uses counts a
        typical word's best score that no passage reaches. So "can patients drive after an
        infusion?" gets little credit for matching "patients" and "infusion" when "drive" is
        what it asks about. The denominator is never below a distinctive word's best score, so
        a question made only of words every passage shares ("what is ketamine?") does not give
        every passage a full lexical score.
        """
        ids = self._bm25.get_tokens_ids(tokenize(query))
        if not ids:
            return np.zeros(self.documents, dtype=np.float32)
        known = self._bm25.vocab_dict
        unmatched = {w for w in words(query) if is_topic_word(w) and stem(w) not in known}
        attainable = float(self._token_max[ids].sum()) + self._typical * len(unmatched)
        denominator = max(attainable, self._distinctive)
        if denominator <= 0:
            return np.zeros(self.documents, dtype=np.float32)
        raw = np.asarray(self._bm25.get_scores_from_ids(ids), dtype=np.float32)
        return raw / denominator

    def save(self, folder: Path) -> None:
        """bm25s's own files (JSON + .npy without pickle) plus a small record of ours."""
        folder.mkdir(parents=True, exist_ok=True)
        self._bm25.save(str(folder), allow_pickle=False)
        meta = {"tokenizer": TOKENIZER, "documents": self.documents, "bm25s": bm25s.__version__}
        (folder / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, documents: int) -> LexicalIndex:
        """Load and verify: right tokeniser, one row per passage; never unpickles anything."""
        meta_path = folder / META_FILE
        if not meta_path.is_file():
            raise IndexCorrupt(f"{meta_path} is missing: rebuild with `faqbot build`")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise IndexCorrupt(f"{meta_path} is damaged ({exc}): rebuild") from exc
        if meta.get("tokenizer") != TOKENIZER:
            raise IndexCorrupt(
                f"{folder} was tokenised with {meta.get('tokenizer')!r}, this faqbot uses "
                f"{TOKENIZER!r}: rebuild with `faqbot build`"
            )
        try:
            bm25 = bm25s.BM25.load(str(folder), allow_pickle=False, load_corpus=False)
        except (OSError, ValueError, KeyError) as exc:
            raise IndexCorrupt(f"{folder} is unreadable ({exc}): rebuild") from exc
        rows = int(bm25.scores["num_docs"])
        if not (rows == int(meta.get("documents", -1)) == documents):
            raise IndexCorrupt(
                f"{folder}: BM25 has {rows} documents, {documents} passages expected: rebuild"
            )
        return cls(bm25, documents)


def build_lexical(passages: Iterable[Passage]) -> LexicalIndex:
    return LexicalIndex.build([lexical_text(p) for p in passages])
