"""Idempotency-Key: a retry replays, another body with the key is 422, concurrent retries make one."""

from __future__ import annotations

import pytest

from core.models import IdempotencyKey
from distributors.models import Distributor
from orders.models import BuybackRequest, Customer, Order, Return

ORDER = {"purpose": "inventory", "lines": [{"product": "MIX-1", "quantity": 2}]}


def post(client, path, body, key):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_same_key_and_body_replays_the_first_answer(net, api):
    anna = api("anna")
    before = Order.objects.count()
    first = post(anna, "/api/v1/orders/", ORDER, "order-1")
    again = post(anna, "/api/v1/orders/", ORDER, "order-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Order.objects.count() == before + 1


def test_same_key_with_another_body_is_422(net, api):
    anna = api("anna")
    post(anna, "/api/v1/orders/", ORDER, "order-2")
    other = post(
        anna, "/api/v1/orders/", {**ORDER, "lines": [{"product": "MIX-1", "quantity": 3}]}, "order-2"
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"


def test_keys_are_per_user_and_per_endpoint(net, api):
    before = Order.objects.count()
    assert post(api("anna"), "/api/v1/orders/", ORDER, "shared").status_code == 201
    assert post(api("bert"), "/api/v1/orders/", ORDER, "shared").status_code == 201
    customer = post(api("anna"), "/api/v1/customers/", {"email": "els@example.nl"}, "shared")
    assert customer.status_code == 201
    assert Order.objects.count() == before + 2


def test_a_refused_request_keeps_no_answer_and_may_be_corrected(net, api):
    anna = api("anna")
    bad = post(
        anna, "/api/v1/orders/", {"purpose": "inventory", "lines": [{"product": "NOPE", "quantity": 1}]}, "k"
    )
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.filter(key="k").exists()
    good = post(anna, "/api/v1/orders/", ORDER, "k")
    assert good.status_code == 201


def test_without_a_key_every_post_creates(net, api):
    anna = api("anna")
    before = Order.objects.count()
    anna.post("/api/v1/orders/", ORDER, format="json")
    anna.post("/api/v1/orders/", ORDER, format="json")
    assert Order.objects.count() == before + 2


@pytest.mark.parametrize("key", ["", " ", " key", "key ", "a key", "sleutel-é", "x" * 256])
def test_a_malformed_key_is_400(net, api, key):
    response = post(api("anna"), "/api/v1/orders/", ORDER, key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]


def test_every_money_relevant_create_replays(net, api):
    anna, owned = api("anna"), net.owned["anna"]
    line = owned.paid_order.lines.get()
    cases = [
        ("/api/v1/customers/", {"first_name": "Els", "email": "els@example.nl"}, Customer),
        ("/api/v1/orders/", ORDER, Order),
        (
            f"/api/v1/orders/{owned.paid_order.pk}/returns/",
            {"lines": [{"order_line": line.pk, "quantity": 1}]},
            Return,
        ),
        ("/api/v1/buyback-requests/", {"lines": [{"order_line": line.pk, "quantity": 1}]}, BuybackRequest),
        (
            "/api/v1/enrollments/",
            {"first_name": "Nina", "last_name": "Nieuw", "email": "nina@example.nl"},
            Distributor,
        ),
    ]
    for path, body, model in cases:
        before = model.objects.count()
        first = post(anna, path, body, f"key-{path}")
        again = post(anna, path, body, f"key-{path}")
        assert first.status_code == 201, (path, first.content)
        assert (again.status_code, again.json()) == (201, first.json()), path
        assert model.objects.count() == before + 1, path
