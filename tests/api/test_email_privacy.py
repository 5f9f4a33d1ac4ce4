"""No e-mail oracle (issue 14, item 10; docs/privacy.md): a distributor cannot learn from a
refusal whether an address is another distributor's or another distributor's customer, and
cannot try addresses in bulk."""

from __future__ import annotations

import pytest

from core.api.throttles import EmailCheckThrottle
from distributors.models import Distributor
from orders.models import Customer

UNAVAILABLE = "This e-mail address cannot be used here. Use another address, or ask the person to contact us."
REFUSAL = {"code": "email_unavailable", "message": UNAVAILABLE, "fields": {"email": [UNAVAILABLE]}}


def enrol(client, email: str):
    return client.post(
        "/api/v1/enrollments/", {"first_name": "Ida", "last_name": "Bos", "email": email}, format="json"
    )


def register(client, email: str):
    return client.post("/api/v1/customers/", {"first_name": "Ida", "email": email}, format="json")


def test_every_address_held_by_someone_else_gets_one_refusal(net, api):
    anna = api("anna")
    answers = {
        "enrol a distributor's address": enrol(anna, "BERT@example.nl"),
        "register a distributor's address": register(anna, "bert@example.nl"),
        "register a customer of another distributor": register(anna, "carla.bert@example.nl"),
        "register my own upline's address": register(anna, "root@example.nl"),
    }
    assert {name: (r.status_code, r.json()["error"]) for name, r in answers.items()} == {
        name: (409, REFUSAL) for name in answers
    }
    assert Distributor.objects.filter(email="bert@example.nl").count() == 1
    assert Customer.objects.filter(email="carla.bert@example.nl").count() == 1


def test_my_own_customer_may_be_named(net, api):
    response = register(api("anna"), "carla.anna@example.nl")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert response.json()["error"]["message"] == "Carla anna is already your customer."


def test_the_operations_that_can_refuse_are_limited_per_distributor(net, api, monkeypatch):
    monkeypatch.setattr(EmailCheckThrottle, "THROTTLE_RATES", {"email_check": "3/hour"})
    anna = api("anna")
    codes = [
        enrol(anna, "ida1@example.nl").status_code,
        register(anna, "bert@example.nl").status_code,
        anna.patch("/api/v1/me/", {"phone": "06 1"}, format="json").status_code,
        register(anna, "ida2@example.nl").status_code,
        enrol(anna, "ida3@example.nl").status_code,
    ]
    assert codes == [201, 409, 200, 429, 429]
    assert not Customer.objects.filter(email="ida2@example.nl").exists()
    # Reads are not counted, and another distributor has their own allowance.
    assert anna.get("/api/v1/customers/").status_code == 200
    assert register(api("bert"), "ida4@example.nl").status_code == 201


@pytest.mark.parametrize("path", ["/api/v1/enrollments/", "/api/v1/customers/", "/api/v1/me/"])
def test_the_schema_documents_the_refusal(net, path):
    from rest_framework.test import APIClient

    schema = APIClient().get("/api/v1/schema/?format=json").json()
    operation = schema["paths"][path]["patch" if path.endswith("me/") else "post"]
    assert "email_unavailable" in operation["description"]


def test_the_privacy_doc_says_what_signal_remains_why_and_how_it_is_limited():
    """The uniform refusal still tells "in use here": docs/privacy.md must say so plainly."""
    import re
    from pathlib import Path

    from django.conf import settings

    doc = (Path(settings.BASE_DIR) / "docs" / "privacy.md").read_text(encoding="utf-8")
    section = re.search(r"\*\*What remains, and why\.\*\*(.+?)(?:\n\n|\Z)", doc, re.S).group(1)
    text = " ".join(section.split())
    for phrase in (
        '"this address is in use here"',
        "enforced when the request is made",
        "30 tries an hour per distributor",
        "the log line for every refusal",
        "by naming no reason",
    ):
        assert phrase in text, phrase
