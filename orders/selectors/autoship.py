"""Reads of autoship: the subscriptions due on a day (the "autoship coming" reminder), a
distributor's own and their customers' subscriptions, and the next dates of my customers and my
frontline for the team page.

Each row reaches `subscriber_name` and `subscriber_email` (properties of Subscription; customer
and distributor are joined, so reading them costs no query).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from core.errors import NotFound
from distributors.models import Distributor
from orders.models import (
    AutoshipPaymentAttempt,
    AutoshipRun,
    AutoshipStatus,
    Order,
    PaymentAttemptStatus,
    Subscription,
    SubscriptionLine,
)


def _with_lines(queryset: QuerySet[Subscription]) -> QuerySet[Subscription]:
    return queryset.select_related("distributor", "customer").prefetch_related(
        Prefetch("lines", queryset=SubscriptionLine.objects.select_related("product"))
    )


def subscriptions_due_on(day: dt.date) -> QuerySet[Subscription]:
    """Active subscriptions whose next order date is `day`, with their lines and subscriber; not
    one whose `day` already has a run (skipped or ordered), which makes no order that day."""
    due = Subscription.objects.filter(status=AutoshipStatus.ACTIVE, next_date=day)
    return _with_lines(due.exclude(runs__scheduled_for=day)).order_by("id")


def subscription_list(
    distributor: Distributor, *, own: bool | None = None, include_cancelled: bool = False
) -> QuerySet[Subscription]:
    """The subscriptions credited to `distributor`: their own (own=True), their customers'
    (own=False) or both; open ones first by next date."""
    queryset = Subscription.objects.filter(distributor=distributor)
    if own is not None:
        queryset = queryset.filter(customer__isnull=own)
    if not include_cancelled:
        queryset = queryset.exclude(status=AutoshipStatus.CANCELLED)
    return _with_lines(queryset).order_by("status", "next_date", "id")


def subscription_get(distributor: Distributor, pk: int) -> Subscription:
    """One subscription credited to `distributor`; NotFound for another's (a 404, not a 403)."""
    found = _with_lines(Subscription.objects.filter(distributor=distributor, pk=pk)).first()
    if found is None:
        raise NotFound(_("No such autoship among yours."))
    return found


def subscription_recent_runs(subscription: Subscription, *, limit: int = 6) -> list[AutoshipRun]:
    """The latest dates of a subscription: ordered (with the order and its open payment) or skipped."""
    return list(
        subscription.runs.select_related("order")
        .prefetch_related(
            Prefetch("payment_attempts", queryset=AutoshipPaymentAttempt.objects.order_by("number"))
        )
        .order_by("-scheduled_for")[:limit]
    )


def autoship_order_get(number: str) -> Order:
    """An order an autoship created, by its number (for staff and a PSP's webhook)."""
    found = Order.objects.filter(number=number, autoship_run__isnull=False).first()
    if found is None:
        raise NotFound(_("No such autoship order."), field="order")
    return found


def payment_attempts_open() -> QuerySet[AutoshipPaymentAttempt]:
    """Attempts due or awaiting their result, oldest first (for staff)."""
    return (
        AutoshipPaymentAttempt.objects.filter(
            status__in=[PaymentAttemptStatus.DUE, PaymentAttemptStatus.PENDING]
        )
        .select_related("run__order", "run__subscription")
        .order_by("due_at", "id")
    )


@dataclass(frozen=True)
class NextAutoship:
    subscription_id: int
    name: str
    next_date: dt.date
    member_id: int | None  # the frontline member, for a link to their page


def team_next_autoships(
    distributor: Distributor, *, limit: int = 20
) -> tuple[list[NextAutoship], list[NextAutoship]]:
    """The next autoship dates of my customers, and of my frontline's own autoships (names and
    dates only: no contact data), soonest first, at most `limit` each."""
    customers = [
        NextAutoship(s.pk, str(s.customer), s.next_date, None)  # type: ignore[arg-type]
        for s in Subscription.objects.filter(
            distributor=distributor, customer__isnull=False, status=AutoshipStatus.ACTIVE
        )
        .select_related("customer")
        .order_by("next_date", "id")[:limit]
    ]
    frontline = [
        NextAutoship(s.pk, s.distributor.name, s.next_date, s.distributor_id)  # type: ignore[arg-type]
        for s in Subscription.objects.filter(
            distributor__sponsor=distributor, customer__isnull=True, status=AutoshipStatus.ACTIVE
        )
        .select_related("distributor")
        .order_by("next_date", "id")[:limit]
    ]
    return customers, frontline
