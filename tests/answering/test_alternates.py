"""Alternate questions are matched only when strict and distinctive, and lift their section's
best passage to the match's similarity, keeping its order."""

from __future__ import annotations

import numpy as np
import pytest

from faqbot.answering.alternates import AlternateMatch, lift_by_alternates, vouched_section
from faqbot.index.alternates import SectionAlternates
from faqbot.models import Passage

MATCH = AlternateMatch(min_similarity=0.85, min_margin=0.05)


def _passage(anchor: str, n: int) -> Passage:
    return Passage(f"a:{anchor}:{n}", "a", "A", anchor, anchor, f"u#{anchor}", f"t{n}", "1", "")


def _two_sections() -> SectionAlternates:
    """Alternates along axes 0 and 1 for sections s and t; passages 0-1 in s, 2 in t."""
    vectors = np.eye(3, dtype=np.float32)[:2]
    passages = [_passage("s", 0), _passage("s", 1), _passage("t", 2)]
    return SectionAlternates([("a", "s"), ("a", "t")], vectors, passages)


@pytest.mark.parametrize(
    ("best", "expected"),
    [
        ([0.95, 0.70], 0),  # strict and distinctive
        ([0.80, 0.40], None),  # distinctive but loose: question pairs score high anyway
        ([0.93, 0.91], None),  # strict but ambiguous: "this is about ketamine", no more
        ([0.60, 0.92], 1),
        ([], None),
    ],
)
def test_an_alternate_vouches_only_when_strict_and_distinctive(
    best: list[float], expected: int | None
) -> None:
    assert vouched_section(np.array(best, dtype=np.float32), MATCH) == expected


def test_lift_scores_the_sections_best_passage_as_the_similarity_keeping_its_order() -> None:
    alternates = _two_sections()
    fused = np.array([0.40, 0.30, 0.70], dtype=np.float32)
    query = np.array([0.9, 0.1, 0.0], dtype=np.float32)
    query /= np.linalg.norm(query)
    lifted = lift_by_alternates(fused, alternates, query, MATCH)
    similarity = float(query[0])
    assert lifted[0] == pytest.approx(similarity) and lifted[1] == pytest.approx(similarity - 0.1)
    assert lifted[2] == fused[2]  # other sections untouched
    # a section already scoring above the similarity is never lowered
    high = np.array([1.20, 0.30, 0.70], dtype=np.float32)
    assert np.array_equal(lift_by_alternates(high, alternates, query, MATCH), high)
