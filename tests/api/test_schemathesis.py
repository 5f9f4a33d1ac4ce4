"""Property-based fuzzing of the whole API from its own OpenAPI schema (schemathesis).

Every operation gets generated requests, valid and invalid, sent through the WSGI app as two
distributors (anna and bert, tokens of the shared network); every answer must be a documented
status with a body that matches the schema, and never a server error. Bounded: a handful of
examples per operation (10 as anna, 5 as bert), derandomised, so it is repeatable and quick.

Run it alone with `make test PYTEST_ARGS="tests/api/test_schemathesis.py"`; against a running
server, `schemathesis run http://127.0.0.1:8000/api/v1/schema/ -H "Authorization: Bearer ..."`.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.specs.openapi import checks as openapi_checks

from backoffice.wsgi import application

from .conftest import token_for

CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
]


@pytest.fixture
def api_schema(net, monkeypatch):
    # Fuzzing sends far more requests a minute than any user may; the throttle has its own test.
    monkeypatch.setattr(SimpleRateThrottle, "allow_request", lambda self, request, view: True)
    # As Django's test client does: the WSGI handler must not close the test's connection (and
    # with it the transaction that holds the network) at the end of each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        loaded = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
        # The coverage phase doubles the run time; `schemathesis run` (docs/api.md) does all phases.
        loaded.config.phases.update(phases=["examples", "fuzzing"])
        yield loaded
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


def fuzz(examples: int):
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def _call(case, user) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {token_for(user)}"}, checks=CHECKS)


@schema.parametrize()
@fuzz(10)
def test_api_answers_anna_by_its_schema(case, net):
    _call(case, net.anna.user)


@schema.parametrize()
@fuzz(5)
def test_api_answers_bert_by_its_schema(case, net):
    _call(case, net.bert.user)
