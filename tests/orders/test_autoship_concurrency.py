"""Autoship on PostgreSQL: two workers running the day's task at once create one order."""

import datetime as dt
import threading

import pytest
from django.db import connection

from orders.models import AutoshipPaymentAttempt, AutoshipRun, Order
from orders.services.autoship import autoship_orders_create, subscription_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_workers_at_once_create_one_order(consultant, customer, product, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    monkeypatch.setattr("orders.services.autoship._today", lambda: dt.date(2027, 1, 10))
    subscription_create(
        distributor=consultant,
        customer=customer,
        interval_unit="months",
        interval_count=1,
        day_of_month=11,
        lines=[(product, 1)],
    )
    start = threading.Barrier(2)
    created: list[int] = []
    errors: list[BaseException] = []

    def worker():
        from django.db import connection as own

        try:
            start.wait()
            created.append(autoship_orders_create(day=dt.date(2027, 1, 11)))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            own.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(created) == [0, 1]
    assert Order.objects.count() == 1
    assert AutoshipRun.objects.count() == 1
    assert AutoshipPaymentAttempt.objects.count() == 1
