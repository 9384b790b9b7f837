"""Every operation of ``/openapi.json``, fuzzed against the real server (issue 12, item 1).

Schemathesis generates requests from the schema (valid and invalid) and checks each answer: never
a 5xx, a status the schema lists for that operation, the content type it declares, and a body
that matches the declared schema (errors included). A client generated from the schema therefore
works on every answer the server gives.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from support.server import ServerProcess

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with ServerProcess(tmp_path_factory.mktemp("fuzz")) as srv:
        yield srv


MAX_EXAMPLES = int(os.environ.get("PRESSHOLD_FUZZ_EXAMPLES", "25"))
"""Requests per operation, valid and invalid mixed: ~20 s for the whole API on 2 loaded cores."""


def test_every_operation_keeps_its_documented_contract(live_server: ServerProcess) -> None:
    """Driven operation by operation (schemathesis' pytest plugin does not run on this pytest):
    every operation is fuzzed, and every failure is reported, not only the first."""
    schema = schemathesis.openapi.from_url(f"{live_server.url}/openapi.json")
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for op in operations:

        @given(case=st.one_of([op.as_strategy(mode) for mode in GenerationMode]))
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(base_url=live_server.url, checks=CHECKS, timeout=30)

        try:
            fuzz()
        except Exception as exc:
            failures[op.label] = f"{type(exc).__name__}: {exc}"[:2000]
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())
