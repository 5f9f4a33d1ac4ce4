"""Orders: a distributor's orders with their totals, one of them by id (the API's lookup: anyone
else's is "not found"), one order in detail (its lines, the units returned and still returnable, its
VAT and returns) and what can be done with it now (pay, cancel)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from core.errors import NotFound
from core.money import ZERO
from distributors.models import Distributor
from orders.models import (
    RETURNABLE_STATUSES,
    Customer,
    Demonstration,
    Order,
    OrderLine,
    OrderStatus,
    Return,
    ReturnLine,
)

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


def order_of(*, distributor: Distributor, order_id: int) -> Order:
    order = orders_of_distributor(distributor=distributor).filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("No such order among yours."))
    return order


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
    returnable_status = order.status in RETURNABLE_STATUSES
    lines = [
        LineDetail(
            line=line,
            returned=returned.get(line.pk, 0),
            returnable=(line.quantity - returned.get(line.pk, 0)) if returnable_status else 0,
        )
        for line in order.lines.select_related("product")
    ]
    refunded = order.returns.aggregate(s=Sum("refund_amount"))["s"] or ZERO
    return OrderDetail(
        order=order,
        lines=lines,
        total=order.total,
        refunded=refunded,
    )


def line_vat(amount: Decimal, vat_rate: Decimal) -> Decimal:
    """The VAT on a line's amount paid (ex VAT), rounded to the cent per line."""
    from core.money import round_cents

    return round_cents(Decimal(amount) * Decimal(vat_rate))


def order_vat(detail: OrderDetail) -> Decimal:
    """The VAT of an order as stored: per line, on the price paid, as order_quote reckons it."""
    return sum((line_vat(d.line.amount, d.line.vat_rate) for d in detail.lines), ZERO)


def order_returns(order: Order) -> list[Return]:
    """An order's returns and cancellation refunds, oldest first, with their lines."""
    return list(order.returns.order_by("refunded_at", "id").prefetch_related("lines"))


@dataclass(frozen=True)
class OrderActions:
    """What order_pay and order_cancel would accept now: pay a pending order (a demonstration
    order only once), cancel a pending one, or a paid one within its cooling-off window."""

    can_pay: bool
    can_cancel: bool
    cancel_until: dt.datetime | None  # the end of the cooling-off window; None until it starts


def order_actions(order: Order, now: dt.datetime | None = None) -> OrderActions:
    from django.utils import timezone

    from orders.services.orders import cooling_off_deadline  # the services import this module

    now = now or timezone.now()
    deadline = cooling_off_deadline(order)
    pending = order.status == OrderStatus.PENDING
    return OrderActions(
        can_pay=pending and not (order.demonstration_id and order.paid_at),
        can_cancel=pending
        or (order.status in RETURNABLE_STATUSES and deadline is not None and now <= deadline),
        cancel_until=deadline,
    )
