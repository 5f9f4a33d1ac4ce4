"""The demo sales are consistent with what the services would write."""

import datetime as dt

import pytest
from django.db.models import F, Sum
from django.utils import timezone

from core.periods import period_of
from distributors.demo import seed_network
from orders.demo import seed_sales
from orders.models import Demonstration, HostCredit, Order, OrderLine, Product

pytestmark = pytest.mark.django_db


def test_seed_sales_writes_six_months_of_consistent_orders():
    seed_network(size=40, seed=3)
    seed_sales(seed=3, months=6)
    assert Product.objects.filter(commissionable=False, sku="STARTER").exists()
    assert Product.objects.count() == 15
    orders = Order.objects.all()
    assert orders.exists() and not orders.filter(number__startswith="tmp-").exists()
    assert all(o.number == f"BO-{o.pk:08d}" for o in orders)
    for order in orders.exclude(commission_date=None):
        assert order.commission_period == period_of(order.commission_date)
    periods = set(orders.exclude(commission_period=None).values_list("commission_period", flat=True))
    assert max(periods) == period_of(timezone.now())
    assert min(periods) >= period_of(timezone.now() - dt.timedelta(days=6 * 31))
    assert not OrderLine.objects.filter(commissionable=False).exclude(unit_qv=0).exists()
    for demo in Demonstration.objects.filter(status="closed"):
        paid = OrderLine.objects.filter(order__demonstration=demo).exclude(order__status="cancelled")
        assert demo.qps == (paid.aggregate(s=Sum(F("quantity") * F("unit_price")))["s"] or 0)
        assert (
            demo.orders.filter(commission_date=demo.closed_at).count()
            == demo.orders.exclude(status="cancelled").count()
        )
    assert HostCredit.objects.exists()
    seed_sales(seed=3)  # a second run changes nothing
    assert Order.objects.count() == orders.count()
