"""Each ANN backend passes the one contract suite (contract.py); a class here supplies only the
backend and the policy under which a build picks it."""

from __future__ import annotations

import pytest

from faqbot.index.ann import BACKENDS, FLAT, IVF_FLAT, AnnBackend, IndexPolicy

from .contract import COUNT, AnnBackendContract


class TestFlatBackend(AnnBackendContract):
    @pytest.fixture
    def backend(self) -> AnnBackend:
        return BACKENDS[FLAT]

    @pytest.fixture
    def policy(self) -> IndexPolicy:
        return IndexPolicy(flat_max_passages=COUNT)


class TestIvfFlatBackend(AnnBackendContract):
    @pytest.fixture
    def backend(self) -> AnnBackend:
        return BACKENDS[IVF_FLAT]

    @pytest.fixture
    def policy(self) -> IndexPolicy:
        return IndexPolicy(flat_max_passages=0)
