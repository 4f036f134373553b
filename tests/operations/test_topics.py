"""Scrubbed fallback questions become a few labelled topics, never a list of questions."""

from __future__ import annotations

import pytest

from faqbot.embedding.encoder import SentenceTransformerEmbedder
from faqbot.operations.topics import find_topics, label_words

PARKING = [
    "is there parking at the clinic",
    "where can i park my car for the appointment",
    "do you have free parking nearby",
    "parking for visitors, is it free?",
    "how much does parking cost at your clinic",
]
INSURANCE = [
    "does my insurance cover the infusions",
    "will insurance pay for ketamine treatment",
    "is the treatment covered by insurance",
    "which insurance plans do you accept",
]


@pytest.mark.slow
def test_questions_on_two_subjects_make_two_topics_labelled_by_shared_words(
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    summary = find_topics(
        [*PARKING, *INSURANCE, "can my [name] come with me [number]"], real_embedder
    )
    labels = {t.label.split(" · ")[0]: t.count for t in summary.topics}
    assert labels == {"parking": 5, "insurance": 4}
    assert summary.ungrouped == 1  # a lone question is counted, not shown


def test_a_word_only_one_question_used_never_labels_a_topic() -> None:
    assert label_words(["parking near zorblax", "parking for my car"]) == ["parking"]
    assert "name" not in label_words(["ask [name] about [number]", "[name] and [number]"])
