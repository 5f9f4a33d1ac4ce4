"""Reads for the admin, the portal and the API: orders, returnable quantities, demonstrations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from core.errors import NotFound
from core.money import ZERO
from distributors.models import Distributor
from orders.models import (
    RETURNABLE_STATUSES,
    Customer,
    Demonstration,
    DemonstrationGuest,
    HostCredit,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Return,
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


# --- One object of the distributor's own, by id (the API's lookups): a customer they brought in, an
# order credited to them, a demonstration they run, a voucher of their host. Anything else is "not
# found" with the same message, whether it exists or not; `field` names the input that named it.


def customer_of(*, distributor: Distributor, customer_id: int, field: str | None = None) -> Customer:
    customer = customers_of_distributor(distributor=distributor).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(_("No such customer among yours."), field=field)
    return customer


def order_of(*, distributor: Distributor, order_id: int) -> Order:
    order = orders_of_distributor(distributor=distributor).filter(pk=order_id).first()
    if order is None:
        raise NotFound(_("No such order among yours."))
    return order


def demonstration_of(
    *, distributor: Distributor, demonstration_id: int, field: str | None = None
) -> Demonstration:
    demonstration = (
        Demonstration.objects.filter(consultant=distributor, pk=demonstration_id)
        .select_related("host")
        .first()
    )
    if demonstration is None:
        raise NotFound(_("No such demonstration among yours."), field=field)
    return demonstration


def host_credit_of(*, distributor: Distributor, host_credit_id: int) -> HostCredit:
    voucher = HostCredit.objects.filter(pk=host_credit_id, host__distributor=distributor).first()
    if voucher is None:
        raise NotFound(_("No such host credit among your hosts'."), field="host_credit")
    return voucher


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


# --- The portal's order pages (appended for them; the API and the admin may use them too).


def line_vat(amount: Decimal, vat_rate: Decimal) -> Decimal:
    """The VAT on a line's amount paid (ex VAT), rounded to the cent per line."""
    from core.money import round_cents

    return round_cents(Decimal(amount) * Decimal(vat_rate))


def order_vat(detail: OrderDetail) -> Decimal:
    """The VAT of an order as stored: per line, on the price paid, as order_quote reckons it."""
    return sum((line_vat(d.line.amount, d.line.vat_rate) for d in detail.lines), ZERO)


def product_search(*, search: str = "", limit: int = 20) -> list[Product]:
    """Products for sale whose SKU or name contains `search`, by SKU; the first `limit`."""
    products = products_for_sale()
    search = (search or "").strip()
    if search:
        products = products.filter(Q(sku__icontains=search) | Q(name__icontains=search))
    return list(products[:limit])


def host_credits_redeemable(
    *, distributor: Distributor, at: dt.datetime | None = None
) -> QuerySet[HostCredit]:
    """Vouchers of the distributor's hosts that are neither redeemed nor expired, oldest expiry first."""
    from django.utils import timezone

    return (
        HostCredit.objects.filter(
            host__distributor=distributor,
            redeemed_order__isnull=True,
            expires_at__gt=at or timezone.now(),
        )
        .select_related("host")
        .order_by("expires_at", "id")
    )


def order_returns(order: Order) -> list[Return]:
    """An order's returns and cancellation refunds, oldest first, with their lines."""
    return list(order.returns.order_by("refunded_at", "id").prefetch_related("lines"))


# --- The portal's demonstrations and the host link


def demonstrations_of_distributor(
    *, distributor: Distributor, planned: bool | None = None, status: str | None = None
) -> QuerySet[Demonstration]:
    """A consultant's demonstrations with `guest_count` and `order_count` (orders not cancelled).

    planned=True: still planned (to hold or to close), soonest first; planned=False: closed or
    cancelled, newest first; None: all, newest first. `status`: only those in that status.
    """
    from django.db.models import Count, IntegerField

    from orders.models import DemonstrationStatus

    demonstrations = Demonstration.objects.filter(consultant=distributor).select_related("host")
    if status:
        demonstrations = demonstrations.filter(status=status)
    if planned is True:
        demonstrations = demonstrations.filter(status=DemonstrationStatus.PLANNED).order_by("held_at", "id")
    elif planned is False:
        demonstrations = demonstrations.exclude(status=DemonstrationStatus.PLANNED).order_by(
            "-held_at", "-id"
        )
    else:
        demonstrations = demonstrations.order_by("-held_at", "-id")
    guests = (
        DemonstrationGuest.objects.filter(demonstration=OuterRef("pk"))
        .values("demonstration")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    orders = (
        Order.objects.filter(demonstration=OuterRef("pk"))
        .exclude(status=OrderStatus.CANCELLED)
        .values("demonstration")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return demonstrations.annotate(
        guest_count=Coalesce(Subquery(guests, output_field=IntegerField()), Value(0)),
        order_count=Coalesce(Subquery(orders, output_field=IntegerField()), Value(0)),
    )


@dataclass(frozen=True)
class HostRewardTier:
    min_qps: Decimal
    rate: Decimal
    reached: bool


@dataclass(frozen=True)
class HostRewardProgress:
    """Where a QPS stands on the plan's host reward tiers (compensation-plan §7): what it earns now, the next
    tier and what it would earn there, and the QPS that brings one more half-price item."""

    qps: Decimal
    host_credit: Decimal
    half_price_items: int
    rate: Decimal | None  # of the highest tier reached; None below the lowest
    tiers: tuple[HostRewardTier, ...]
    next_tier: HostRewardTier | None  # None at the top tier
    missing_for_next_tier: Decimal | None
    credit_at_next_tier: Decimal | None
    next_item_at: Decimal | None  # None once the most half-price items are reached
    missing_for_next_item: Decimal | None


def host_reward_progress(qps: Decimal, rules: OrderRules | None = None) -> HostRewardProgress:
    """S3 tiers (200: 10%, 500: 15%, 1000: 20%; an item per 250, at most 4): QPS 350 -> 10%,
    € 35.00 and 1 item now; next tier 500 (150 missing, € 75.00 there); next item at 500."""
    rules = rules or current_rules()
    credit, items = host_rewards(qps, rules)
    tiers = tuple(HostRewardTier(min_qps=m, rate=r, reached=qps >= m) for m, r in rules.host_reward_tiers)
    reached = [tier for tier in tiers if tier.reached]
    upcoming = [tier for tier in tiers if not tier.reached]
    next_tier = upcoming[0] if upcoming else None
    next_item_at = None
    if rules.half_price_item_per > 0 and items < rules.half_price_items_max:
        candidate = (items + 1) * rules.half_price_item_per
        if tiers and candidate < tiers[0].min_qps:  # items come with a tier only
            candidate = tiers[0].min_qps
        if host_rewards(candidate, rules)[1] > items:
            next_item_at = candidate
    return HostRewardProgress(
        qps=qps,
        host_credit=credit,
        half_price_items=items,
        rate=reached[-1].rate if reached else None,
        tiers=tiers,
        next_tier=next_tier,
        missing_for_next_tier=next_tier.min_qps - qps if next_tier else None,
        credit_at_next_tier=host_rewards(next_tier.min_qps, rules)[0] if next_tier else None,
        next_item_at=next_item_at,
        missing_for_next_item=next_item_at - qps if next_item_at is not None else None,
    )


@dataclass(frozen=True)
class DemonstrationLive:
    """A demonstration as its page shows it while orders come in: the summary (as the API's
    detail), the host rewards progress and the counts the host link shows instead of names."""

    summary: DemonstrationSummary
    rewards: HostRewardProgress
    guest_count: int
    order_count: int  # not cancelled


def demonstration_live(*, demonstration: Demonstration, rules: OrderRules | None = None) -> DemonstrationLive:
    rules = rules or current_rules()
    summary = demonstration_summary(demonstration=demonstration, rules=rules)
    return DemonstrationLive(
        summary=summary,
        rewards=host_reward_progress(summary.qps, rules),
        guest_count=len(summary.guests),
        order_count=sum(1 for order in summary.orders if order.status != OrderStatus.CANCELLED),
    )


def demonstration_for_host_link(*, demonstration_id: int) -> DemonstrationLive | None:
    """The demonstration a verified host link names, with its live figures (None if gone)."""
    demonstration = (
        Demonstration.objects.select_related("consultant", "host").filter(pk=demonstration_id).first()
    )
    return demonstration_live(demonstration=demonstration) if demonstration is not None else None


# --- The portal's order page (f1): what can be done with an order now


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
