"""BM25 over stemmed words: variants meet, the saved index holds no pickle and is verified."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from faqbot.errors import IndexCorrupt
from faqbot.index.bm25 import META_FILE, LexicalIndex, tokenize

TEXTS = [
    "Short-Term Side Effects Nausea and Vomiting: Some patients report nausea or vomiting.",
    "Long-Term Risks Dependency: While the risk of addiction is lower compared to opioids.",
    "Administration Process Each session lasts about 45 minutes to an hour.",
]


def test_tokens_are_stemmed_content_words() -> None:
    assert tokenize("Can ketamine cause vomiting?") == ["ketamin", "caus", "vomit"]
    assert tokenize("What is it?") == []


def test_morphological_variants_reach_the_right_document() -> None:
    index = LexicalIndex.build(TEXTS)
    assert int(np.argmax(index.scores("does it make you vomit"))) == 0
    assert int(np.argmax(index.scores("can you become dependent"))) == 1


def test_relative_scores_are_between_zero_and_one_and_zero_without_matches() -> None:
    index = LexicalIndex.build(TEXTS)
    relative = index.relative_scores("how long is each session")
    assert 0 < relative.max() <= 1.0 and relative.min() >= 0
    assert not index.relative_scores("what is it").any()


def test_a_topic_word_the_corpus_never_uses_counts_as_unmatched() -> None:
    index = LexicalIndex.build(TEXTS)
    plain = index.relative_scores("nausea").max()
    assert index.relative_scores("nausea eczema").max() < 0.7 * plain
    assert index.relative_scores("nausea today").max() == pytest.approx(plain)  # everyday word


def test_a_word_every_passage_shares_earns_no_full_lexical_score() -> None:
    shared = [f"Ketamine {text}" for text in TEXTS]
    index = LexicalIndex.build(shared)
    assert index.relative_scores("ketamine").max() < 0.5
    assert index.relative_scores("vomiting").max() == pytest.approx(1.0)


def test_save_and_load_round_trip_without_pickle(tmp_path: Path) -> None:
    index = LexicalIndex.build(TEXTS)
    index.save(tmp_path / "lexical")
    names = sorted(p.name for p in (tmp_path / "lexical").iterdir())
    assert all(n.endswith((".json", ".npy")) for n in names), names
    for npy in (tmp_path / "lexical").glob("*.npy"):
        np.load(npy, allow_pickle=False)  # raises if anything needed unpickling
    loaded = LexicalIndex.load(tmp_path / "lexical", len(TEXTS))
    assert np.allclose(loaded.scores("vomiting"), index.scores("vomiting"))


def test_load_refuses_another_tokeniser_or_row_count(tmp_path: Path) -> None:
    folder = tmp_path / "lexical"
    LexicalIndex.build(TEXTS).save(folder)
    with pytest.raises(IndexCorrupt, match="passages expected"):
        LexicalIndex.load(folder, len(TEXTS) + 1)
    meta = json.loads((folder / META_FILE).read_text())
    (folder / META_FILE).write_text(json.dumps(meta | {"tokenizer": "other"}))
    with pytest.raises(IndexCorrupt, match="tokenised with"):
        LexicalIndex.load(folder, len(TEXTS))
