"""Turning text into normalised vectors with a sentence-transformers model shipped in a package.

The model is located on disk (a package that carries its weights, or a folder) and loaded with
the hub switched off, so faqbot never downloads anything.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from faqbot.errors import ModelNotFound

Vectors = npt.NDArray[np.float32]
ENCODE_BATCH_SIZE = 64


class Embedder(Protocol):
    """Anything that maps texts to L2-normalised float32 rows (cosine = inner product)."""

    @property
    def model_name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> Vectors: ...


def resolve_model_path(model: str) -> Path:
    """Find a model's folder: a local path, or a package exposing get_model_path()."""
    candidate = Path(model).expanduser()
    if candidate.is_dir():
        return candidate
    module_name = model.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ModelNotFound(
            f"embedding model {model!r} is not installed: run `make install` "
            f"(or `pip install {model}`), or set FAQBOT_MODEL to a model folder"
        ) from exc
    get_path = getattr(module, "get_model_path", None)
    if get_path is None:
        raise ModelNotFound(f"package {module_name!r} does not expose get_model_path()")
    path = Path(get_path())
    if not path.is_dir():
        raise ModelNotFound(f"model files for {model!r} are missing at {path}: reinstall it")
    return path


def encoder_threads(configured: int, workers: int, cores: int | None = None) -> int:
    """Torch threads per worker: the configured count, or an equal share of the cores so that
    N workers × threads never exceeds the machine (oversubscription slows every request)."""
    if configured > 0:
        return configured
    available = cores if cores is not None else len(os.sched_getaffinity(0))
    return max(1, available // max(1, workers))


def limit_native_threads(threads: int) -> None:
    """Hold the BLAS and OpenMP pools that numpy and FAISS load to the worker's thread share.

    Torch's thread count alone is not enough: numpy's and FAISS's OpenBLAS and FAISS's OpenMP
    start a thread per core and spin while they wait. Two workers on two cores then ran eight
    spinning threads, and an /ask on the 16k corpus cost 41 ms of CPU instead of 21.
    """
    import faiss  # noqa: F401  # loaded first, so that the limit reaches its pools too
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=threads)


class SentenceTransformerEmbedder:
    """The real encoder: sentence-transformers on the CPU, loaded once per process."""

    def __init__(self, model: str, threads: int | None = None) -> None:
        path = resolve_model_path(model)
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # quiet logs

        if threads:
            torch.set_num_threads(threads)
        try:
            self._model: Any = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except (OSError, ValueError, RuntimeError, KeyError) as exc:
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise ModelNotFound(
                f"model files for {model!r} in {path} cannot be loaded ({first_line}): "
                f"reinstall it with `make install`, or set FAQBOT_MODEL to a model folder"
            ) from exc
        self.model_name = model
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise ModelNotFound(f"model {model!r} does not report an embedding dimension")
        self.dimension = int(dimension)

    def encode(self, texts: Sequence[str]) -> Vectors:
        vectors = self._model.encode(
            list(texts),
            batch_size=ENCODE_BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
