import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import ApplicationError, Conflict
from core.periods import period_of
from orders.models import OrderStatus
from orders.selectors.orders import order_detail
from orders.services import order_create, order_return
from plans.models import Period, Plan
from tests.conftest import standard_plan_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(consultant, customer, product, product_at):
    second = product_at("12.50", sku="PEEL")
    return order_create(
        distributor=consultant,
        purpose="customer",
        customer=customer,
        lines=[(product, 2), (second, 4)],
        paid_at=timezone.now() - dt.timedelta(hours=2),
    )


def test_a_partial_return_refunds_the_price_paid_and_marks_the_order(order):
    mix, peeler = order.lines.all()
    record = order_return(order=order, lines=[(peeler, 3)], reason="did not fit")
    order.refresh_from_db()
    assert record.refund_amount == Decimal("37.50")
    assert record.refund_period == period_of(record.refunded_at)
    assert order.status == OrderStatus.PARTLY_RETURNED
    assert [(d.returned, d.returnable) for d in order_detail(order_id=order.pk).lines] == [(0, 2), (3, 1)]


def test_never_more_than_was_bought_minus_what_was_returned(order):
    mix, peeler = order.lines.all()
    order_return(order=order, lines=[(mix, 1)])
    with pytest.raises(ApplicationError, match="only 1 of 2 bought"):
        order_return(order=order, lines=[(mix, 2)])
    order_return(order=order, lines=[(mix, 1), (peeler, 4)])
    order.refresh_from_db()
    assert order.status == OrderStatus.RETURNED


def test_a_smaller_refund_is_spread_over_the_lines_to_the_cent(order):
    mix, peeler = order.lines.all()
    record = order_return(order=order, lines=[(mix, 1), (peeler, 1)], refund_amount=Decimal("50.00"))
    amounts = sorted(line.refund_amount for line in record.lines.all())
    assert amounts == [Decimal("5.56"), Decimal("44.44")]
    assert sum(amounts) == Decimal("50.00")
    with pytest.raises(ApplicationError, match="cannot exceed"):
        order_return(order=order, lines=[(mix, 1)], refund_amount=Decimal("100.01"))


def test_zero_quantities_and_foreign_lines_are_refused(order, consultant, customer, product):
    other = order_create(
        distributor=consultant,
        purpose="customer",
        customer=customer,
        lines=[(product, 1)],
        paid_at=timezone.now(),
    )
    with pytest.raises(ApplicationError, match="above zero"):
        order_return(order=order, lines=[(order.lines.first(), 0)])
    with pytest.raises(ApplicationError, match="not a line of order"):
        order_return(order=order, lines=[(other.lines.get(), 1)])


def test_a_pending_order_is_not_returned_but_cancelled(consultant, customer, product):
    pending = order_create(
        distributor=consultant, purpose="customer", customer=customer, lines=[(product, 1)]
    )
    with pytest.raises(Conflict, match="Cancel it instead"):
        order_return(order=pending, lines=[(pending.lines.get(), 1)])


def test_a_refund_after_the_orders_period_is_recorded_in_the_refund_period(consultant, customer, product):
    order = order_create(
        distributor=consultant,
        purpose="customer",
        customer=customer,
        lines=[(product, 1)],
        paid_at=dt.datetime(2026, 10, 20, 10, tzinfo=dt.UTC),
    )
    record = order_return(
        order=order, lines=[(order.lines.get(), 1)], refunded_at=dt.datetime(2026, 11, 3, 10, tzinfo=dt.UTC)
    )
    assert (order.commission_period, record.refund_period) == (dt.date(2026, 10, 1), dt.date(2026, 11, 1))


def test_a_refund_in_a_closed_period_is_refused(consultant, customer, product):
    plan = Plan.objects.create(
        name="Standard", version="1", plan_type="unilevel", document=standard_plan_document()
    )
    order = order_create(
        distributor=consultant,
        purpose="customer",
        customer=customer,
        lines=[(product, 1)],
        paid_at=dt.datetime(2026, 10, 20, 10, tzinfo=dt.UTC),
    )
    # The order opened the period; it closes after.
    Period.objects.filter(start=dt.date(2026, 10, 1)).update(
        status="closed", plan=plan, closed_at=timezone.now()
    )
    with pytest.raises(Conflict, match="2026-10, which is closed"):
        order_return(
            order=order,
            lines=[(order.lines.get(), 1)],
            refunded_at=dt.datetime(2026, 10, 25, 10, tzinfo=dt.UTC),
        )
    assert not order.returns.exists()
