"""The safety gate's second layer: a crisis recognised by what a message means, not its words.

Editors' rules (`safety.yaml` patterns) catch the phrasings their authors foresaw. This layer
compares the message's sentence vector with the editors' example messages (`examples:` under an
emergency rule) and, when a calibrated linear classifier over the same vectors is present, with
that too. Either firing makes the message an emergency. The decision is pure: it receives vectors
and cuts, and nothing here reads files or settings (serving/ loads `crisis.json`; publishing/ writes it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from faqbot.embedding.encoder import Embedder
from faqbot.text.normalize import normalize_question

Floats = npt.NDArray[np.float32]


def message_vectors(embedder: Embedder, texts: Sequence[str]) -> Floats:
    """Unit vectors of messages as the gate reads them (normalised like a visitor's message):
    calibration and serving encode the editors' examples through this one function, so the
    cuts calibration sets hold for the vectors serving compares with."""
    vectors = embedder.encode([normalize_question(t) for t in texts])
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), embedder.dimension)


@dataclass(frozen=True)
class CrisisClassifier:
    """A linear score over a message's unit vector: `vector · weights + bias`, in logits."""

    weights: Floats
    bias: float
    cut: float  # emergency at or above this score; set for recall by `faqbot calibrate-crisis`

    def score(self, vector: Floats) -> float:
        return float(vector @ self.weights + self.bias)


@dataclass(frozen=True)
class CrisisModel:
    """Everything the meaning layer needs: example vectors with their rules, and the cuts."""

    examples: Floats  # (examples, dimension), unit rows, encoded by the serving encoder
    example_rules: tuple[str, ...]  # the emergency rule each example row belongs to
    example_cut: float  # cosine at which a message means the same as an example
    classifier: CrisisClassifier | None = None


@dataclass(frozen=True)
class CrisisMatch:
    """Why a message is a crisis: the rule of its nearest example and which signal fired."""

    rule_id: str
    signal: str  # "example" (close to one example) or "classifier"
    similarity: float  # cosine to the nearest example


def recognise_crisis(vector: Floats, model: CrisisModel) -> CrisisMatch | None:
    """The crisis a message means, if any. The nearest example names the rule either way, so
    the reason logged says which kind of emergency it resembles."""
    if len(model.example_rules) == 0:
        return None
    similarities = model.examples @ vector
    nearest = int(np.argmax(similarities))
    similarity = float(similarities[nearest])
    rule_id = model.example_rules[nearest]
    if similarity >= model.example_cut:
        return CrisisMatch(rule_id, "example", similarity)
    classifier = model.classifier
    if classifier is not None and classifier.score(vector) >= classifier.cut:
        return CrisisMatch(rule_id, "classifier", similarity)
    return None
