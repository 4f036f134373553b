"""Matching a question to the editors' alternate questions (stored by index/alternates.py).

Question↔question cosines run on a higher scale than question↔passage ones (two different
questions about the same drug often score 0.8–0.9), so a similarity alone is no evidence. A
section's alternates vouch for it only when the question's best alternate of that section is a
strict match (≥ `min_similarity`) *and* beats every other section's best alternate by
`min_margin` (the ratio test of feature matching: a match that is not distinctive says only
"this is about ketamine"). The vouched-for section's best passage for the question is then
scored as that similarity, its other passages shifted by the same amount — so the answer is
still the section's own best verbatim passage, and its siblings keep their order. Scores are
only ever raised, and at most one section per question is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from faqbot.embedding.encoder import Vectors
from faqbot.index.alternates import Floats, SectionAlternates


@dataclass(frozen=True)
class AlternateMatch:
    """When a question's match to an alternate is strong and distinctive enough to count."""

    min_similarity: float
    min_margin: float


def vouched_section(best: Floats, match: AlternateMatch) -> int | None:
    """The one section whose alternates match strictly and distinctively, if any."""
    if len(best) == 0:
        return None
    top = int(np.argmax(best))
    runner_up = float(np.delete(best, top).max()) if len(best) > 1 else -np.inf
    if best[top] < match.min_similarity or best[top] - runner_up < match.min_margin:
        return None
    return top


def lift_by_alternates(
    fused: Floats, alternates: SectionAlternates, query: Vectors, match: AlternateMatch
) -> Floats:
    """Raise the vouched-for section so its best passage scores the alternate's similarity."""
    best = alternates.best_per_section(query)
    section = vouched_section(best, match)
    if section is None:
        return fused
    rows = alternates.section_rows[section]
    lift = float(best[section]) - float(fused[rows].max())
    if lift <= 0:
        return fused
    lifted = fused.copy()
    lifted[rows] += np.float32(lift)
    return lifted
