"""Home demonstrations: a consultant's demonstrations, one of them by id (the API's lookup:
anyone else's is "not found"), the qualified party sales (QPS) and the host rewards they earn
(compensation-plan §7) as orders come in, the page's live figures and the host link's; and the
hosts' vouchers (host credits) a distributor can redeem."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from core.errors import NotFound
from core.money import ZERO
from distributors.models import Distributor
from orders.models import (
    Demonstration,
    DemonstrationGuest,
    HostCredit,
    Order,
    OrderLine,
    OrderStatus,
    ReturnLine,
)
from orders.rules import OrderRules, current_rules, host_rewards
from orders.selectors.orders import MONEY_FIELD, with_totals


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


def host_credit_of(*, distributor: Distributor, host_credit_id: int) -> HostCredit:
    voucher = HostCredit.objects.filter(pk=host_credit_id, host__distributor=distributor).first()
    if voucher is None:
        raise NotFound(_("No such host credit among your hosts'."), field="host_credit")
    return voucher


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
