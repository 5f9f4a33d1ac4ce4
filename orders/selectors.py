"""Reads for the admin, the portal and the API: orders, returnable quantities, demonstrations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from core.money import ZERO
from distributors.models import Distributor
from orders.models import (
    Customer,
    Demonstration,
    DemonstrationGuest,
    HostCredit,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    ReturnLine,
)
from orders.rules import OrderRules, current_rules, host_rewards

MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)


def with_totals(orders: QuerySet[Order]) -> QuerySet[Order]:
    """Annotate `total` (paid ex VAT), `total_qv` and `total_cv` in one subquery each (no per-row query)."""
    lines = OrderLine.objects.filter(order=OuterRef("pk")).values("order")
    amount = ExpressionWrapper(F("quantity") * F("unit_price"), output_field=MONEY_FIELD)
    qv = ExpressionWrapper(
        F("quantity") * F("unit_qv"), output_field=DecimalField(max_digits=20, decimal_places=4)
    )
    cv = ExpressionWrapper(
        F("quantity") * F("unit_cv"), output_field=DecimalField(max_digits=20, decimal_places=4)
    )
    return orders.annotate(
        total=Coalesce(
            Subquery(lines.annotate(s=Sum(amount)).values("s")[:1]), Value(ZERO), output_field=MONEY_FIELD
        ),
        total_qv=Coalesce(
            Subquery(lines.annotate(s=Sum(qv)).values("s")[:1]), Value(ZERO), output_field=MONEY_FIELD
        ),
        total_cv=Coalesce(
            Subquery(lines.annotate(s=Sum(cv)).values("s")[:1]), Value(ZERO), output_field=MONEY_FIELD
        ),
    )


def products_for_sale() -> QuerySet[Product]:
    return Product.objects.filter(is_active=True).order_by("sku")


def customers_of_distributor(
    *, distributor: Distributor, kind: str | None = None, search: str | None = None
) -> QuerySet[Customer]:
    customers = Customer.objects.filter(distributor=distributor)
    if kind:
        customers = customers.filter(kind=kind)
    if search:
        customers = customers.filter(
            Q(first_name__icontains=search) | Q(last_name__icontains=search) | Q(email__icontains=search)
        )
    return customers.order_by("last_name", "first_name", "id")


def orders_of_distributor(
    *,
    distributor: Distributor,
    status: str | None = None,
    purpose: str | None = None,
    period: dt.date | None = None,
    customer: Customer | None = None,
    demonstration: Demonstration | None = None,
) -> QuerySet[Order]:
    """A distributor's orders (credited to them), newest first, with totals."""
    orders = Order.objects.filter(distributor=distributor).select_related("customer", "demonstration")
    if status:
        orders = orders.filter(status=status)
    if purpose:
        orders = orders.filter(purpose=purpose)
    if period:
        orders = orders.filter(commission_period=period)
    if customer:
        orders = orders.filter(customer=customer)
    if demonstration:
        orders = orders.filter(demonstration=demonstration)
    return with_totals(orders).order_by("-created_at", "-id")


def returned_quantities(order: Order) -> dict[int, int]:
    return dict(
        ReturnLine.objects.filter(order_line__order=order)
        .values("order_line_id")
        .annotate(total=Sum("quantity"))
        .values_list("order_line_id", "total")
    )


@dataclass(frozen=True)
class LineDetail:
    line: OrderLine
    returned: int
    returnable: int


@dataclass(frozen=True)
class OrderDetail:
    order: Order
    lines: list[LineDetail]
    total: Decimal
    refunded: Decimal


def order_detail(*, order_id: int, distributor: Distributor | None = None) -> OrderDetail:
    """One order with its lines and how many units of each can still be returned.

    The order carries the totals a list item has (`with_totals`), so it is serialised as loaded.
    With `distributor`, an order of someone else is reported as not found.
    """
    from core.errors import NotFound

    orders = with_totals(Order.objects.select_related("customer", "distributor", "demonstration"))
    if distributor is not None:
        orders = orders.filter(distributor=distributor)
    order = orders.filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("No such order."))
    returned = returned_quantities(order)
    returnable_status = order.status in (OrderStatus.PAID, OrderStatus.PARTLY_RETURNED)
    lines = [
        LineDetail(
            line=line,
            returned=returned.get(line.pk, 0),
            returnable=(line.quantity - returned.get(line.pk, 0)) if returnable_status else 0,
        )
        for line in order.lines.all()
    ]
    refunded = order.returns.aggregate(s=Sum("refund_amount"))["s"] or ZERO
    return OrderDetail(
        order=order,
        lines=lines,
        total=order.total,
        refunded=refunded,
    )


def demonstration_qps(demonstration: Demonstration, *, before: dt.datetime | None = None) -> Decimal:
    """Qualified party sales: what guests and host paid ex VAT on the demonstration's orders,
    net of cancelled orders and of units refunded (before `before`, the close, when given)."""
    paid = (
        OrderLine.objects.filter(order__demonstration=demonstration)
        .exclude(order__status=OrderStatus.CANCELLED)
        .aggregate(s=Sum(F("quantity") * F("unit_price"), output_field=MONEY_FIELD))["s"]
        or ZERO
    )
    refunds = ReturnLine.objects.filter(order_line__order__demonstration=demonstration).exclude(
        order_line__order__status=OrderStatus.CANCELLED
    )
    if before is not None:
        refunds = refunds.filter(return_record__refunded_at__lt=before)
    refunded = (
        refunds.aggregate(s=Sum(F("quantity") * F("order_line__unit_price"), output_field=MONEY_FIELD))["s"]
        or ZERO
    )
    return paid - refunded


@dataclass(frozen=True)
class DemonstrationSummary:
    demonstration: Demonstration
    qps: Decimal
    host_credit: Decimal
    half_price_items: int
    close_deadline: dt.datetime
    guests: list[DemonstrationGuest] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    voucher: HostCredit | None = None


def demonstration_summary(
    *, demonstration: Demonstration, rules: OrderRules | None = None
) -> DemonstrationSummary:
    """What the consultant sees as orders come in: QPS so far and the host rewards it earns now;
    after the close, the frozen QPS and the voucher issued."""
    rules = rules or current_rules()
    if demonstration.closed_at and demonstration.qps is not None:
        qps = demonstration.qps
    else:  # open, or closed by an import that did not freeze QPS
        qps = demonstration_qps(demonstration, before=demonstration.closed_at)
    credit, items = host_rewards(qps, rules)
    voucher = HostCredit.objects.filter(demonstration=demonstration).first()
    return DemonstrationSummary(
        demonstration=demonstration,
        qps=qps,
        host_credit=credit,
        half_price_items=items,
        close_deadline=demonstration.held_at + dt.timedelta(days=rules.close_within_days),
        guests=list(
            DemonstrationGuest.objects.filter(demonstration=demonstration).select_related("customer")
        ),
        orders=list(
            with_totals(Order.objects.filter(demonstration=demonstration).select_related("customer"))
        ),
        voucher=voucher,
    )
