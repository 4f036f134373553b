"""An embedding cache keyed by (model, hash of the text the encoder sees).

Rebuilding after one article changed re-embeds only the passages whose embedding text changed;
every other vector comes from here. The cache is an accelerator, never a source of truth:
it is written atomically (temporary file + os.replace), and an unreadable cache is ignored
with a log line (the build then embeds everything).

Layout: one file `<index>/cache/<model slug>.npz` holding `keys` (row → key), `vectors`
(float32 rows) and `model`; no pickle. One file means keys and vectors always match.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from faqbot.embedding.encoder import Embedder, Vectors
from faqbot.files import replacing

log = logging.getLogger("faqbot.embedding_cache")

CACHE_DIR = "cache"
EMBED_CHUNK = 256  # passages per encode call, so a progress bar moves
# Keep old entries (e.g. a rolled-back wording) until the cache is this many times the corpus.
KEEP_FACTOR = 2


def text_key(model: str, text: str) -> str:
    """The cache key of one embedding: the model and a hash of the exact text embedded."""
    return hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()


def _slug(model: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("_") or "model"


class EmbeddingCache:
    """Vectors of texts already embedded by one model, persisted under the index folder."""

    def __init__(self, root: Path, model: str, dimension: int, load: bool = True) -> None:
        self.model = model
        self.dimension = dimension
        self.path = root / CACHE_DIR / f"{_slug(model)}.npz"
        self._rows: dict[str, Vectors] = {}
        self._used: set[str] = set()
        if load:
            self._load()

    def __len__(self) -> int:
        return len(self._rows)

    def _load(self) -> None:
        if not self.path.is_file():
            return
        try:
            with np.load(self.path, allow_pickle=False) as stored:
                keys, vectors, model = stored["keys"], stored["vectors"], str(stored["model"])
            if (
                model != self.model
                or vectors.ndim != 2
                or vectors.shape != (len(keys), self.dimension)
            ):
                raise ValueError("keys, vectors, model or dimension do not match")
        except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
            log.warning("ignoring unreadable embedding cache %s: %s", self.path, exc)
            return
        vectors = vectors.astype(np.float32, copy=False)
        self._rows = {str(key): vectors[i] for i, key in enumerate(keys)}

    def count_missing(self, texts: Sequence[str]) -> int:
        """How many distinct texts are not cached yet (what a build will embed)."""
        return len({k for k in (text_key(self.model, t) for t in texts) if k not in self._rows})

    def embed(
        self,
        embedder: Embedder,
        texts: Sequence[str],
        progress: Callable[[int], None] | None = None,
    ) -> tuple[Vectors, int]:
        """Vectors for `texts` (row i for text i) and how many had to be embedded now."""
        keys = [text_key(self.model, t) for t in texts]
        missing = sorted({k: i for i, k in enumerate(keys) if k not in self._rows}.values())
        for start in range(0, len(missing), EMBED_CHUNK):
            rows = missing[start : start + EMBED_CHUNK]
            vectors = embedder.encode([texts[i] for i in rows])
            for i, vector in zip(rows, vectors, strict=True):
                self._rows[keys[i]] = vector
            if progress is not None:
                progress(len(rows))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, key in enumerate(keys):
            out[i] = self._rows[key]
        self._used.update(keys)  # every text this build asked for is kept by save()
        return out, len(missing)

    def save(self) -> None:
        """Write the cache atomically; drop old entries once it outgrows the corpus."""
        keys = list(self._rows)
        if self._used and len(keys) > KEEP_FACTOR * len(self._used):
            keys = [k for k in keys if k in self._used]
        matrix = (
            np.stack([self._rows[k] for k in keys])
            if keys
            else np.zeros((0, self.dimension), dtype=np.float32)
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(self.path, suffix=".npz") as tmp:
            np.savez(
                tmp,
                keys=np.array(keys, dtype="U64"),
                vectors=matrix.astype(np.float32),
                model=np.array(self.model),
            )
