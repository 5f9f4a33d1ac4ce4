import datetime as dt

import pytest

from orders.services import order_create

pytestmark = pytest.mark.django_db


def test_an_order_paid_at_2330_utc_on_31_october_belongs_to_november(consultant, customer, product):
    order = order_create(
        distributor=consultant,
        purpose="customer",
        customer=customer,
        lines=[(product, 1)],
        paid_at=dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC),
    )
    assert order.commission_period == dt.date(2026, 11, 1)


def test_an_order_paid_at_2259_utc_on_31_october_belongs_to_october(consultant, customer, product):
    order = order_create(
        distributor=consultant,
        purpose="customer",
        customer=customer,
        lines=[(product, 1)],
        paid_at=dt.datetime(2026, 10, 31, 22, 59, tzinfo=dt.UTC),
    )
    assert order.commission_period == dt.date(2026, 10, 1)
