"""Property-based testing of the whole API from its own OpenAPI schema (schemathesis).

Every operation gets generated requests, valid and invalid (the examples, fuzzing and coverage
phases), sent through the WSGI app as two distributors (anna and bert, tokens of the shared
network), and every check schemathesis has runs on every answer: never a server error, a
documented status, content type, headers and body; valid data accepted, invalid data refused;
the token not ignored. The stateful phase then chains operations by the links schemathesis
infers from the schema (a created order's id feeds its detail, pay, cancel, returns...) and
checks that what was created is there (ensure_resource_availability) and what was deleted is
gone (use_after_free). Bounded and derandomised, so it is repeatable and takes a few minutes.

Run it alone with `make test PYTEST_ARGS="tests/api/test_schemathesis.py"`; against a running
server, `schemathesis run http://127.0.0.1:8000/api/v1/schema/ -H "Authorization: Bearer ..."`.
"""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import CHECKS, load_all_checks

from backoffice.wsgi import application

from .conftest import token_for

load_all_checks()
# Every check schemathesis has, by name, so that a new one in an upgrade runs too.
ALL_CHECKS = CHECKS.get_all()


def test_every_check_of_schemathesis_runs():
    names = set(CHECKS.get_all_names())
    assert {
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "positive_data_acceptance",
        "negative_data_rejection",
        "missing_required_header",
        "unsupported_method",
        "allow_header_conformance",
        "use_after_free",
        "ensure_resource_availability",
        "ignored_auth",
    } <= names


class ActAs:
    """The bearer token of the distributor a test acts as, set as schemathesis' auth: so the
    ignored_auth check knows it is real and probes the operation without it and with a bad one."""

    user = None

    def get(self, case, ctx):
        return token_for(self.user)

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def held_at_inside_the_window(context, case):
    """JSON Schema cannot bound a date-time by today's date: a schema-valid `held_at` outside the
    demonstration window is a 400 on `held_at` (tests/api/test_orders_api.py), so valid data
    keeps inside it; invalid data is left as generated."""
    meta = case.meta
    if (
        case.operation.label == "POST /api/v1/demonstrations/"
        and meta is not None
        and meta.generation.mode.is_positive
        and isinstance(case.body, dict)
        and isinstance(case.body.get("held_at"), str)
    ):
        case.body = {**case.body, "held_at": (timezone.now() + dt.timedelta(days=1)).isoformat()}
    return case


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
        loaded.config.phases.update(phases=["examples", "coverage", "fuzzing", "stateful"])
        loaded.auth(ActAs, refresh_interval=None)
        loaded.hook("map_case")(held_at_inside_the_window)
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
    ActAs.user = user
    case.call_and_validate(checks=ALL_CHECKS)


@schema.parametrize()
@fuzz(10)
def test_api_answers_anna_by_its_schema(case, net):
    _call(case, net.anna.user)


@schema.parametrize()
@fuzz(5)
def test_api_answers_bert_by_its_schema(case, net):
    _call(case, net.bert.user)


def test_api_workflows_keep_the_schema(api_schema, net):
    """The stateful phase: sequences of calls linked by the ids one answer gives the next."""
    ActAs.user = net.anna.user
    Workflow = api_schema.as_state_machine()
    assert Workflow.bundles, "schemathesis inferred no links between operations"
    Workflow.run(
        settings=settings(
            max_examples=30,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
