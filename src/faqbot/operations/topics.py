"""Topics nobody covers: scrubbed fallback questions grouped by meaning, labelled by words.

The questions are embedded with the serving model and grouped by agglomerative clustering
(average linkage on cosine distance, no fixed number of groups). A topic is shown only with its
size and its most frequent scrubbed words — never the questions themselves — and groups smaller
than `min_size` are only counted, so no single visitor's wording reaches the report.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from faqbot.embedding.encoder import Embedder
from faqbot.operations.unanswered import PLACEHOLDER
from faqbot.text.words import STOPWORDS

# Average cosine distance under which groups merge. With MiniLM, questions on one subject
# (parking; insurance) sit at 0.43–0.8 similarity and different subjects at 0.02–0.25, so an
# average similarity of 0.45 keeps subjects apart without splitting rephrasings.
DISTANCE_THRESHOLD = 0.55
MIN_TOPIC_SIZE = 2
LABEL_WORDS = 3
TOKEN = re.compile(r"[^\W\d_]{3,}")
# Words every question uses (greetings, asking verbs) name no topic; lexical's list has the
# function words. (TOKEN never yields an apostrophe, so contractions need no entry.)
LABEL_STOPWORDS = STOPWORDS | frozenset(
    [
        "anyone",
        "anything",
        "ask",
        "hello",
        "know",
        "like",
        "need",
        "one",
        "someone",
        "something",
        "tell",
        "want",
    ]
)


@dataclass(frozen=True)
class Topic:
    label: str  # its most frequent scrubbed words (each used by 2+ of its questions)
    count: int  # questions in this topic


@dataclass(frozen=True)
class TopicSummary:
    topics: tuple[Topic, ...]  # largest first
    ungrouped: int  # questions in groups smaller than the minimum size


def label_words(texts: Sequence[str], n: int = LABEL_WORDS, min_questions: int = 2) -> list[str]:
    """The words most questions of a group share; a word only one question used never shows."""
    counts: Counter[str] = Counter()
    for text in texts:
        words = {w.lower() for w in TOKEN.findall(PLACEHOLDER.sub(" ", text))}
        counts.update(w for w in words if w not in LABEL_STOPWORDS)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [w for w, c in ranked if c >= min_questions][:n]


def cluster(vectors: np.ndarray, threshold: float = DISTANCE_THRESHOLD) -> list[int]:
    """A group number per row (unit vectors in, cosine distance)."""
    if len(vectors) < 2:
        return [0] * len(vectors)
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(
        n_clusters=None, distance_threshold=threshold, metric="cosine", linkage="average"
    )
    return [int(label) for label in model.fit_predict(vectors)]


def find_topics(
    texts: Sequence[str],
    embedder: Embedder,
    *,
    threshold: float = DISTANCE_THRESHOLD,
    min_size: int = MIN_TOPIC_SIZE,
) -> TopicSummary:
    """Group scrubbed questions into labelled topics, largest first."""
    cleaned = [" ".join(PLACEHOLDER.sub(" ", t).split()) for t in texts]
    kept = [t for t in cleaned if t]
    if not kept:
        return TopicSummary((), 0)
    groups: dict[int, list[str]] = {}
    for text, group in zip(kept, cluster(embedder.encode(kept), threshold), strict=True):
        groups.setdefault(group, []).append(text)
    topics: list[Topic] = []
    ungrouped = 0
    for members in groups.values():
        words = label_words(members)
        if len(members) < min_size or not words:
            ungrouped += len(members)
            continue
        topics.append(Topic(" · ".join(words), len(members)))
    topics.sort(key=lambda t: (-t.count, t.label))
    return TopicSummary(tuple(topics), ungrouped)
