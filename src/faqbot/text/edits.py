"""Words one edit apart: the one edit-distance rule that spelling repair and the scope guard
share (spelling looks a typo's variants up among known words; the scope guard counts a corpus
stem one letter off, such as relieve/relief, as a variant the corpus covers)."""

from __future__ import annotations

import string

LETTERS = string.ascii_lowercase
WORD_CHARACTERS = LETTERS + string.digits  # every character text.words.words() keeps


def one_edit_variants(word: str, alphabet: str = LETTERS, *, swaps: bool = True) -> set[str]:
    """Every string one deletion, substitution or insertion (of a character of `alphabet`)
    away and, with `swaps`, one transposition of two neighbours; never `word` itself."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    transposed = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1} if swaps else set()
    changes = {a + c + b[1:] for a, b in splits if b for c in alphabet}
    inserts = {a + c + b for a, b in splits for c in alphabet}
    return (deletes | transposed | changes | inserts) - {word}
