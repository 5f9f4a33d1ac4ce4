import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import ApplicationError, Conflict
from orders.models import OrderPurpose, OrderStatus
from orders.selectors.orders import order_detail, orders_of_distributor
from orders.services import order_cancel, order_create, order_pay
from plans.models import Period, Plan
from tests.conftest import standard_plan_document

from .factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


def closed_period(start: dt.date) -> Period:
    plan = Plan.objects.create(
        name="Standard", version=f"v{start}", plan_type="unilevel", document=standard_plan_document()
    )
    return Period.objects.create(start=start, status="closed", plan=plan, closed_at=timezone.now())


def test_a_customer_order_copies_retail_price_and_volumes_at_the_time_of_sale(consultant, customer, product):
    order = order_create(
        distributor=consultant, purpose=OrderPurpose.CUSTOMER, customer=customer, lines=[(product, 2)]
    )
    product.retail_price = Decimal("120.00")
    product.save()
    line = order.lines.get()
    assert (line.quantity, line.unit_list_price, line.unit_price, line.unit_qv, line.unit_cv) == (
        2,
        Decimal("100.00"),
        Decimal("100.00"),
        Decimal("75.0000"),
        Decimal("75.0000"),
    )
    assert order.status == OrderStatus.PENDING and order.commission_period is None
    assert order.number == f"BO-{order.pk:08d}"


def test_an_own_order_is_at_wholesale_and_a_starter_kit_carries_no_volume(consultant, product):
    kit = ProductFactory(
        sku="KIT",
        retail_price=Decimal("49.00"),
        wholesale_price=Decimal("49.00"),
        qv=Decimal("0"),
        cv=Decimal("0"),
        commissionable=False,
    )
    order = order_create(
        distributor=consultant, purpose=OrderPurpose.INVENTORY, lines=[("MIX-1", 1), (kit.pk, 1)]
    )
    mix, starter = order.lines.order_by("sku").reverse()
    assert (mix.unit_price, mix.unit_qv) == (Decimal("75.00"), Decimal("75.0000"))
    assert (starter.unit_price, starter.unit_qv, starter.unit_cv, starter.commissionable) == (
        Decimal("49.00"),
        Decimal("0"),
        Decimal("0"),
        False,
    )


def test_seasonal_products_are_marked_excluded_from_buyback(consultant):
    seasonal = ProductFactory(sku="XMAS", is_seasonal=True)
    line = order_create(distributor=consultant, purpose="personal", lines=[(seasonal, 1)]).lines.get()
    assert line.excluded_from_buyback


def test_paying_sets_the_commission_date_and_period(consultant, customer, product):
    order = order_create(distributor=consultant, purpose="customer", customer=customer, lines=[(product, 1)])
    paid_at = dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC)
    order = order_pay(order=order, paid_at=paid_at)
    assert order.status == OrderStatus.PAID
    assert order.commission_date == paid_at
    assert order.commission_period == dt.date(2026, 11, 1)
    with pytest.raises(Conflict, match="not pending"):
        order_pay(order=order)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([("NOPE", 1)], "unknown product 'NOPE'"),
        ([("MIX-1", 0)], "above zero"),
        ([("MIX-1", -2)], "above zero"),
        ([], "at least one line"),
    ],
)
def test_bad_lines_are_refused(consultant, customer, product, lines, message):
    with pytest.raises(ApplicationError, match=message) as err:
        order_create(distributor=consultant, purpose="customer", customer=customer, lines=lines)
    assert err.value.field == "lines"


def test_a_line_larger_than_its_columns_can_record_is_refused_and_nothing_is_written(consultant, customer):
    # Its quantity, whole-number volumes and refunds have fixed sizes in the database: past them
    # the insert would fail there (a server error) instead of being refused here.
    from orders.models import Order

    points = ProductFactory(sku="HEAVY", qv=Decimal("2000000000"), cv=Decimal("2000000000"))
    ProductFactory(sku="PLAIN")
    for lines, message in (
        ([("PLAIN", 1_000_001)], "1000001 × PLAIN is more than one order line can record"),
        ([("PLAIN", 1), (points, 500)], "Line 2: 500 × HEAVY is more than one order line can record"),
    ):
        with pytest.raises(ApplicationError, match=message) as err:
            order_create(distributor=consultant, purpose="customer", customer=customer, lines=lines)
        assert err.value.field == "lines"
    assert not Order.objects.exists()
    order = order_create(
        distributor=consultant, purpose="customer", customer=customer, lines=[("PLAIN", 1_000_000)]
    )
    assert order.lines.get().value_cents == 100_000_000 * 100


def test_an_inactive_product_is_refused(consultant, customer, product):
    product.is_active = False
    product.save()
    with pytest.raises(ApplicationError, match="no longer sold"):
        order_create(distributor=consultant, purpose="customer", customer=customer, lines=[(product, 1)])


def test_a_customer_of_another_distributor_is_refused(consultant, product):
    stranger = CustomerFactory()
    with pytest.raises(ApplicationError, match="customer of another distributor") as err:
        order_create(distributor=consultant, purpose="customer", customer=stranger, lines=[(product, 1)])
    assert err.value.field == "customer"


def test_a_customer_order_needs_a_customer_and_an_own_order_has_none(consultant, customer, product):
    with pytest.raises(ApplicationError, match="needs its customer"):
        order_create(distributor=consultant, purpose="customer", lines=[(product, 1)])
    with pytest.raises(ApplicationError, match="has no customer"):
        order_create(distributor=consultant, purpose="personal", customer=customer, lines=[(product, 1)])


def test_an_order_in_a_closed_period_is_refused_and_nothing_is_written(consultant, customer, product):
    closed_period(dt.date(2026, 10, 1))
    with pytest.raises(Conflict, match="2026-10, which is closed"):
        order_create(
            distributor=consultant,
            purpose="customer",
            customer=customer,
            lines=[(product, 1)],
            paid_at=dt.datetime(2026, 10, 15, 12, tzinfo=dt.UTC),
        )
    assert not consultant.orders.exists()
    pending = order_create(
        distributor=consultant, purpose="customer", customer=customer, lines=[(product, 1)]
    )
    with pytest.raises(Conflict, match="closed"):
        order_pay(order=pending, paid_at=dt.datetime(2026, 10, 20, tzinfo=dt.UTC))
    assert order_pay(order=pending).commission_period != dt.date(2026, 10, 1)


def test_a_payment_in_the_future_is_refused(consultant, customer, product):
    with pytest.raises(ApplicationError, match="future"):
        order_create(
            distributor=consultant,
            purpose="customer",
            customer=customer,
            lines=[(product, 1)],
            paid_at=timezone.now() + dt.timedelta(days=2),
        )


def test_a_pending_order_is_cancelled_without_a_refund(consultant, customer, product):
    order = order_create(distributor=consultant, purpose="customer", customer=customer, lines=[(product, 1)])
    order = order_cancel(order=order, reason="changed her mind")
    assert order.status == OrderStatus.CANCELLED and not order.returns.exists()


def test_a_paid_order_is_cancelled_within_cooling_off_with_a_full_refund(
    consultant, customer, product, yesterday
):
    order = order_create(
        distributor=consultant, purpose="customer", customer=customer, lines=[(product, 3)], paid_at=yesterday
    )
    order = order_cancel(order=order, reason="cooling-off")
    refund = order.returns.get()
    assert order.status == OrderStatus.CANCELLED
    assert (refund.kind, refund.refund_amount, refund.lines.get().quantity) == (
        "cancellation",
        Decimal("300.00"),
        3,
    )


def test_outside_the_cooling_off_window_a_paid_order_can_only_be_returned(consultant, customer, product):
    order = order_create(
        distributor=consultant,
        purpose="customer",
        customer=customer,
        lines=[(product, 1)],
        paid_at=timezone.now() - dt.timedelta(days=15),
    )
    with pytest.raises(Conflict, match="can now only be returned"):
        order_cancel(order=order)


def test_cooling_off_is_a_per_market_setting(settings, consultant, customer, product):
    settings.COOLING_OFF_DAYS_BY_COUNTRY = {"NL": 20}
    order = order_create(
        distributor=consultant,
        purpose="customer",
        customer=customer,
        lines=[(product, 1)],
        paid_at=timezone.now() - dt.timedelta(days=15),
    )
    assert order_cancel(order=order).status == OrderStatus.CANCELLED


def test_the_plan_document_sets_cooling_off(consultant, customer, product):
    Plan.objects.create(
        name="Standard",
        version="2",
        plan_type="unilevel",
        document=standard_plan_document(cooling_off_days=3),
    )
    order = order_create(
        distributor=consultant,
        purpose="customer",
        customer=customer,
        lines=[(product, 1)],
        paid_at=timezone.now() - dt.timedelta(days=4),
    )
    with pytest.raises(Conflict, match="cooling-off"):
        order_cancel(order=order)


def test_selectors_list_a_distributors_orders_with_totals_and_returnable_quantities(
    consultant, customer, product
):
    order = order_create(
        distributor=consultant,
        purpose="customer",
        customer=customer,
        lines=[(product, 2)],
        paid_at=timezone.now(),
    )
    listed = orders_of_distributor(distributor=consultant, status=OrderStatus.PAID).get()
    assert (listed.total, listed.total_qv) == (Decimal("200.00"), Decimal("150.00"))
    detail = order_detail(order_id=order.pk, distributor=consultant)
    assert [(d.returned, d.returnable) for d in detail.lines] == [(0, 2)]
