"""Words one edit apart: the rule spelling repair and the scope guard share."""

from __future__ import annotations

from faqbot.text.edits import WORD_CHARACTERS, one_edit_variants


def test_one_edit_variants_cover_all_four_kinds_of_typo() -> None:
    variants = one_edit_variants("form")
    assert {"from", "frm", "forms", "farm"} <= variants
    assert "form" not in variants


def test_without_swaps_a_transposition_is_two_edits_and_digits_count_as_characters() -> None:
    variants = one_edit_variants("relief", WORD_CHARACTERS, swaps=False)
    assert {"reliev", "relie", "reliefs", "relief1"} <= variants  # changed, dropped, added
    assert "releif" not in variants and "relief" not in variants
    assert "releif" in one_edit_variants("relief")
