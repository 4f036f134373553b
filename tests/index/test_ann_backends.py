"""Each ANN backend passes the one contract suite (contract.py); a class here supplies only the
backend and the policy under which a build picks it."""

from __future__ import annotations

from faqbot.index.ann import BACKENDS, FLAT, IVF_FLAT, IndexPolicy

from .contract import COUNT, AnnBackendContract


class TestFlatBackend(AnnBackendContract):
    BACKEND = BACKENDS[FLAT]
    POLICY = IndexPolicy(flat_max_passages=COUNT)


class TestIvfFlatBackend(AnnBackendContract):
    BACKEND = BACKENDS[IVF_FLAT]
    POLICY = IndexPolicy(flat_max_passages=0)
