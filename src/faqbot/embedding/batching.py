"""One encoder pass at a time per worker; questions that arrive meanwhile share the next pass.

FastAPI runs each /ask in its own thread. Left alone, eight concurrent questions start eight
forward passes, each asking torch for all the worker's threads: the cores are oversubscribed
and every request slows down. Here the first caller to find the encoder idle becomes the
leader and encodes everything queued — its own question and any that arrived while the
previous pass ran — in one batch; the others wait for their rows. A lone question is encoded
at once (nothing waits for a batch to fill), so latency at low load is unchanged, while under
load a batch of eight costs far less than eight single passes.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from faqbot.embedding.encoder import Embedder, Vectors

# The largest batch one pass takes: bounds how long the last question of a burst waits behind
# the others (a pass over 32 short questions is a few times one question, not 32).
MAX_BATCH_TEXTS = 32


@dataclass
class _Request:
    texts: Sequence[str]
    rows: Vectors | None = None
    error: BaseException | None = None
    done: bool = field(default=False)


class BatchingEmbedder:
    """An Embedder that serialises encoder passes and batches the callers queued behind one."""

    def __init__(self, inner: Embedder, max_batch_texts: int = MAX_BATCH_TEXTS) -> None:
        self.inner = inner
        self.max_batch_texts = max_batch_texts
        self._changed = threading.Condition()
        self._queue: list[_Request] = []
        self._busy = False
        self.passes = 0  # encoder passes run, for tests and the benchmark

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def encode(self, texts: Sequence[str]) -> Vectors:
        request = _Request(texts)
        with self._changed:
            self._queue.append(request)
        while True:
            with self._changed:
                while self._busy and not request.done:
                    self._changed.wait()
                if request.done:
                    break
                self._busy = True  # the encoder is idle: lead the next pass
                batch = self._take_batch()
            self._run(batch)  # may not include our request when the queue was long: loop
        if request.error is not None:
            raise request.error
        assert request.rows is not None
        return request.rows

    def _take_batch(self) -> list[_Request]:
        """Queued requests up to the batch size, oldest first (caller holds the lock)."""
        batch: list[_Request] = []
        count = 0
        while self._queue and (
            not batch or count + len(self._queue[0].texts) <= self.max_batch_texts
        ):
            request = self._queue.pop(0)
            batch.append(request)
            count += len(request.texts)
        return batch

    def _run(self, batch: list[_Request]) -> None:
        try:
            vectors = self.inner.encode([t for r in batch for t in r.texts])
            start = 0
            for request in batch:
                stop = start + len(request.texts)
                request.rows = np.ascontiguousarray(vectors[start:stop])
                start = stop
        except BaseException as exc:  # every waiting caller gets the error, not a hang
            for request in batch:
                request.error = exc
        finally:
            with self._changed:
                for request in batch:
                    request.done = True
                self.passes += 1
                self._busy = False
                self._changed.notify_all()
