"""Two requests racing with one Idempotency-Key create one object (a real, committed database).

Its own module: the other API tests share a network inside an open transaction, which a
transactional test must not see.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from orders.models import Order, Product

from .conftest import client_for, enroll

ORDER = {"purpose": "inventory", "lines": [{"product": "MIX-1", "quantity": 2}]}


def post(client, path, body, key):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_create_one_order(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    Product.objects.create(
        sku="MIX-1", name="Mixer", retail_price=Decimal("100"), wholesale_price=Decimal("75"), qv=75, cv=75
    )
    buyer = enroll("Conny Current", None)
    barrier = threading.Barrier(2)
    answers: list = []

    def send() -> None:
        client: APIClient = client_for(buyer.user)
        barrier.wait()
        try:
            answers.append(post(client, "/api/v1/orders/", ORDER, "race"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json() == answers[1].json()
    assert sorted(a.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    assert Order.objects.filter(distributor=buyer).count() == 1
