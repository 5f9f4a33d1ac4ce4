"""The demo sales are consistent with what the services would write; its buy-backs are asked and
decided through the buy-back service."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db.models import F, Sum
from django.utils import timezone

from core.periods import period_of
from distributors.demo import seed_network
from orders.demo import seed_sales
from orders.models import (
    BuybackRequest,
    BuybackStatus,
    Demonstration,
    HostCredit,
    Order,
    OrderLine,
    Product,
    Return,
    ReturnKind,
)

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


def test_the_demo_has_an_approved_a_rejected_and_a_waiting_buyback_request():
    out = io.StringIO()
    call_command("seed_demo", size=40, months=3, stdout=out)
    approved, rejected, waiting = BuybackRequest.objects.select_related("decided_by").order_by("id")
    assert [approved.status, rejected.status, waiting.status] == [
        BuybackStatus.APPROVED,
        BuybackStatus.REJECTED,
        BuybackStatus.REQUESTED,
    ]
    for request in (approved, rejected, waiting):
        (line,) = request.lines.all()
        assert line.quantity == 1
        assert f"Buy-back request {request.pk} of {request.distributor}: " in out.getvalue()
    # Approval refunds 90% of the net unit price, recorded as a return of kind buy-back.
    (line,) = approved.lines.all()
    assert line.approved_quantity == 1 and approved.refund_total == line.unit_refund > 0
    assert Return.objects.filter(kind=ReturnKind.BUYBACK).count() == 1
    assert approved.decided_by.username == "admin" and rejected.decided_by.username == "admin"
    assert rejected.decision_reason == "Demo: the unit was opened and used"
    assert waiting.decided_at is None
