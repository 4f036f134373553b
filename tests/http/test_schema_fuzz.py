"""schemathesis against the published OpenAPI schema, over real HTTP to a real uvicorn server.

For every operation it generates valid (positive) and invalid (negative) requests from the
schema and checks every response: no 5xx, the status is declared, the body matches the declared
schema, content types and headers are as declared. A bounded number of examples per operation
and mode keeps it well under a minute.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from ..conftest import LiveServer

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION_AND_MODE = 40


def _fuzz(operation: Any, mode: GenerationMode, base_url: str, statuses: list[int]) -> None:
    """Run one bounded hypothesis loop for one operation and generation mode."""

    @settings(
        max_examples=EXAMPLES_PER_OPERATION_AND_MODE,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(operation.as_strategy(generation_mode=mode))
        response = case.call(base_url=base_url, timeout=30)
        statuses.append(response.status_code)
        assert response.status_code < 500, (case, response.text)
        case.validate_response(response)

    run()


def test_every_generated_request_gets_a_declared_non_5xx_response_matching_the_schema(
    live_server: LiveServer,
) -> None:
    schema = schemathesis.openapi.from_url(f"{live_server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/ask", "/search", "/healthz", "/feedback"}
    statuses: list[int] = []
    for operation in operations:
        before = len(statuses)
        _fuzz(operation, GenerationMode.POSITIVE, live_server.url, statuses)
        if operation.body or operation.query:  # an operation without inputs has no wrong ones
            _fuzz(operation, GenerationMode.NEGATIVE, live_server.url, statuses)
        mine = statuses[before:]
        print(f"schemathesis {operation.label}: {len(mine)} requests, {sorted(set(mine))}")
    print(f"schemathesis: {len(statuses)} requests, statuses {sorted(set(statuses))}")
    assert statuses and max(statuses) < 500
