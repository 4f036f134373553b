"""Question normalisation: the clean form for retrieval and the folded form for safety."""

from __future__ import annotations

import pytest

from faqbot.text.normalize import fold_for_matching, normalize_question

NORMALIZE_CASES = [
    ("  What is ketamine?  ", "What is ketamine?"),
    ("What\tis\n\nketamine?", "What is ketamine?"),
    ("What\u00a0is\u3000ketamine?", "What is ketamine?"),
    ("k\u200bi\u200cl\u200dl", "kill"),
    ("word\u2060joiner", "wordjoiner"),
    ("\ufeffbyte order mark", "byte order mark"),
    ("soft\u00adhyphen", "softhyphen"),
    ("bell\x07 and null\x00", "bell and null"),
    ("ｆｕｌｌ ｗｉｄｔｈ", "full width"),
    ("\U0001d41b\U0001d428\U0001d425\U0001d41d", "bold"),
    ("ﬁne ligature", "fine ligature"),
    ("cafe\u0301", "café"),
    ("Keeps Case and ‘curly’ quotes.", "Keeps Case and ‘curly’ quotes."),
    ("", ""),
    (" \u200b ", ""),
]

FOLD_CASES = [
    ("I can't go on", "i cant go on"),
    ("I can’t go on", "i cant go on"),
    ("I canʼt go on", "i cant go on"),
    ("Someone's “quoted” words", "someones quoted words"),
    ("I'M PLANNING... to hurt myself!!", "im planning to hurt myself"),
    ("k\u200bill my\u00adself", "kill myself"),
    # Cyrillic а е о р с у х і and Greek ο ε standing in for Latin letters
    ("\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456", "aeopcyxi"),
    ("w\u03bfnt wak\u03b5 up", "wont wake up"),
    ("K\u0406LL", "kill"),
    ("k\u0336i\u0336l\u0336l\u0336", "kill"),
    ("naïve café", "naive cafe"),
    ("self-harm / over_dose", "self harm over dose"),
    ("45 minutes to an hour", "45 minutes to an hour"),
    ("N-methyl-D-aspartate (NMDA)", "n methyl d aspartate nmda"),
    ("???", ""),
]

IDEMPOTENCE_INPUTS = [
    "What is ketamine?",
    "  I can’t  go on\t\n",
    "k\u200bill my\u00adself",
    "ｋｉｌｌ ｍｙｓｅｌｆ",
    "cafe\u0301 and e\u0301\u0301",
    "\u0430\u0435\u043e\u0440\u0441 mixed script",
    "´ acute accent alone",
    "x\u0336 strike",
    "N-methyl-D-aspartate (NMDA) receptors",
    "",
]


@pytest.mark.parametrize(("raw", "expected"), NORMALIZE_CASES)
def test_normalize_removes_invisible_characters_and_collapses_whitespace(
    raw: str, expected: str
) -> None:
    assert normalize_question(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), FOLD_CASES)
def test_fold_gives_lower_case_latin_words_without_apostrophes(raw: str, expected: str) -> None:
    assert fold_for_matching(raw) == expected


@pytest.mark.parametrize("text", IDEMPOTENCE_INPUTS)
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize_question(text)
    assert normalize_question(once) == once


@pytest.mark.parametrize("text", IDEMPOTENCE_INPUTS)
def test_fold_is_idempotent(text: str) -> None:
    once = fold_for_matching(text)
    assert fold_for_matching(once) == once


@pytest.mark.parametrize("text", IDEMPOTENCE_INPUTS)
def test_fold_accepts_raw_or_normalised_text_alike(text: str) -> None:
    assert fold_for_matching(text) == fold_for_matching(normalize_question(text))
