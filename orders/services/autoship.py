"""Autoship: subscribe, change, skip, pause, resume, cancel; create the due orders; collect and
record their payments.

The daily task (orders.tasks.autoship_orders_create) creates each due order through order_create:
a customer's autoship is a customer order at retail price, the distributor's own a personal order
at wholesale. It stays pending until paid, and counts in commissions like any order (when paid).
Idempotent: each subscription's row is locked and the run is unique on (subscription, date), so
beat firing twice, or two workers, create one order.

A failed payment schedules the next attempt (settings.AUTOSHIP_PAYMENT_RETRY_DAYS, days after each
failure); after the last one the order is cancelled and the subscription paused. Each failure sends
orders.signals.autoship_payment_failed once, after commit.

No autoship is ever required to stay active or to rank (docs/compliance.md): nothing here touches
a distributor's status, and the plan's rules read no subscription.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, Conflict
from core.services import audit_record
from distributors.models import Distributor, DistributorStatus
from orders.models import (
    AutoshipPaymentAttempt,
    AutoshipRun,
    AutoshipRunStatus,
    AutoshipStatus,
    AutoshipUnit,
    Customer,
    Order,
    OrderPurpose,
    OrderStatus,
    PaymentAttemptStatus,
    Product,
    Subscription,
    SubscriptionLine,
)
from orders.models_autoship import MAX_INTERVAL_MONTHS, MAX_INTERVAL_WEEKS
from orders.payments import Collector, collector
from orders.signals import autoship_payment_failed

from .autoship_dates import first_date, first_free_date, next_date_after
from .orders import _as_inputs, _resolve_products, order_cancel, order_create, order_pay
from .orders import _locked as _order_locked

logger = logging.getLogger(__name__)

DEFAULT_RETRY_DAYS = (1, 3, 7)


def retry_days() -> tuple[int, ...]:
    """Days after each failed attempt until the next one; its length is the number of retries."""
    return tuple(getattr(settings, "AUTOSHIP_PAYMENT_RETRY_DAYS", DEFAULT_RETRY_DAYS))


# --- Subscribing and changing -------------------------------------------------------------------


def _check_schedule(unit: Any, count: Any, weekday: Any, day_of_month: Any) -> tuple[int | None, int | None]:
    if unit not in AutoshipUnit.values:
        raise ApplicationError(_("Choose every so many weeks or months."), field="interval_unit")
    most = MAX_INTERVAL_WEEKS if unit == AutoshipUnit.WEEKS else MAX_INTERVAL_MONTHS
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= most:
        raise ApplicationError(
            _("The interval is a whole number from 1 to %(most)s.") % {"most": most}, field="interval_count"
        )
    if unit == AutoshipUnit.WEEKS:
        if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
            raise ApplicationError(_("Choose the weekday of the order."), field="weekday")
        return weekday, None
    if not isinstance(day_of_month, int) or isinstance(day_of_month, bool) or not 1 <= day_of_month <= 31:
        raise ApplicationError(
            _("Choose the day of the month, from 1 to 31 (29-31 fall on the last day of a shorter month)."),
            field="day_of_month",
        )
    return None, day_of_month


def _check_lines(lines: Any) -> list[tuple[Product, int]]:
    inputs = _as_inputs(lines)
    if not inputs:
        raise ApplicationError(_("Add at least one product to the autoship."), field="lines")
    products = _resolve_products(inputs, field="lines")
    seen = set()
    for product in products:
        if product.pk in seen:
            raise ApplicationError(
                _("%(sku)s is in the autoship twice; change its quantity instead.") % {"sku": product.sku},
                field="lines",
            )
        seen.add(product.pk)
    return [(p, i.quantity) for p, i in zip(products, inputs, strict=True)]


def _today() -> dt.date:
    return timezone.localdate()


def _locked(subscription: Subscription) -> Subscription:
    return (
        Subscription.objects.select_for_update(no_key=True, of=("self",))
        .select_related("distributor", "customer")
        .get(pk=subscription.pk)
    )


def _taken(subscription: Subscription, on_or_after: dt.date) -> set[dt.date]:
    """The dates from `on_or_after` on that already have a run (skipped or ordered): the unique
    run makes no order on them again, so the next date passes over them."""
    return set(
        subscription.runs.filter(scheduled_for__gte=on_or_after).values_list("scheduled_for", flat=True)
    )


def _first_free(subscription: Subscription) -> dt.date:
    """The first chosen day after today that has no run yet (after a change of schedule or a resume)."""
    tomorrow = _today() + dt.timedelta(days=1)
    return first_free_date(
        unit=subscription.interval_unit,
        weekday=subscription.weekday,
        day_of_month=subscription.day_of_month,
        on_or_after=tomorrow,
        taken=_taken(subscription, tomorrow),
    )


def _ensure_open(subscription: Subscription) -> None:
    if subscription.status == AutoshipStatus.CANCELLED:
        raise Conflict(_("This autoship is cancelled; start a new one instead."), field="status")


@transaction.atomic
def subscription_create(
    *,
    distributor: Distributor,
    customer: Customer | None = None,
    interval_unit: str,
    interval_count: int,
    weekday: int | None = None,
    day_of_month: int | None = None,
    lines: Any,
    start: dt.date | None = None,
    actor: Any = None,
) -> Subscription:
    """Start an autoship: for `customer` (of this distributor), or the distributor's own when
    `customer` is None. The first order is on the first chosen day from `start` (default tomorrow)."""
    if distributor.status == DistributorStatus.TERMINATED:
        raise ApplicationError(
            _("%(name)s is terminated and can take no orders.") % {"name": distributor.name},
            field="distributor",
        )
    if customer is not None and customer.distributor_id != distributor.pk:
        raise ApplicationError(_("This is a customer of another distributor."), field="customer")
    weekday, day_of_month = _check_schedule(interval_unit, interval_count, weekday, day_of_month)
    inputs = _check_lines(lines)
    today = _today()
    if start is None:
        start = today + dt.timedelta(days=1)
    elif start <= today:
        raise ApplicationError(_("The first order date must be after today."), field="start")
    subscription = Subscription.objects.create(
        distributor=distributor,
        customer=customer,
        interval_unit=interval_unit,
        interval_count=interval_count,
        weekday=weekday,
        day_of_month=day_of_month,
        next_date=first_date(
            unit=interval_unit, weekday=weekday, day_of_month=day_of_month, on_or_after=start
        ),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    SubscriptionLine.objects.bulk_create(
        SubscriptionLine(subscription=subscription, product=product, quantity=quantity)
        for product, quantity in inputs
    )
    audit_record(actor=actor, action="autoship.create", target=subscription)
    return subscription


@transaction.atomic
def subscription_change_lines(*, subscription: Subscription, lines: Any, actor: Any = None) -> Subscription:
    """Replace the products of the autoship (from its next order on)."""
    subscription = _locked(subscription)
    _ensure_open(subscription)
    inputs = _check_lines(lines)
    subscription.lines.all().delete()
    SubscriptionLine.objects.bulk_create(
        SubscriptionLine(subscription=subscription, product=product, quantity=quantity)
        for product, quantity in inputs
    )
    subscription.save(update_fields=["updated_at"])
    audit_record(
        actor=actor,
        action="autoship.change_lines",
        target=subscription,
        data={"lines": [[product.sku, quantity] for product, quantity in inputs]},
    )
    return subscription


@transaction.atomic
def subscription_change_schedule(
    *,
    subscription: Subscription,
    interval_unit: str,
    interval_count: int,
    weekday: int | None = None,
    day_of_month: int | None = None,
    actor: Any = None,
) -> Subscription:
    """Change the interval or the day; the next order moves to the first new day after today that
    has no run yet (a date skipped before stays skipped)."""
    subscription = _locked(subscription)
    _ensure_open(subscription)
    weekday, day_of_month = _check_schedule(interval_unit, interval_count, weekday, day_of_month)
    subscription.interval_unit = interval_unit
    subscription.interval_count = interval_count
    subscription.weekday = weekday
    subscription.day_of_month = day_of_month
    subscription.next_date = _first_free(subscription)
    subscription.save(
        update_fields=[
            "interval_unit",
            "interval_count",
            "weekday",
            "day_of_month",
            "next_date",
            "updated_at",
        ]
    )
    audit_record(actor=actor, action="autoship.change_schedule", target=subscription)
    return subscription


@transaction.atomic
def subscription_update(
    *, subscription: Subscription, lines: Any = None, schedule: dict | None = None, actor: Any = None
) -> Subscription:
    """Change the products and/or the schedule ({interval_unit, interval_count, weekday,
    day_of_month}) at once; a schedule equal to the current one leaves the next date alone."""
    if lines is not None:
        subscription = subscription_change_lines(subscription=subscription, lines=lines, actor=actor)
    if schedule is not None:
        current = {
            "interval_unit": subscription.interval_unit,
            "interval_count": subscription.interval_count,
            "weekday": subscription.weekday,
            "day_of_month": subscription.day_of_month,
        }
        wanted = {key: schedule.get(key) for key in current}
        if wanted != current:
            subscription = subscription_change_schedule(
                subscription=subscription,
                interval_unit=schedule["interval_unit"],
                interval_count=schedule["interval_count"],
                weekday=wanted["weekday"],
                day_of_month=wanted["day_of_month"],
                actor=actor,
            )
    return subscription


def _advance(subscription: Subscription, day: dt.date) -> None:
    assert subscription.next_date is not None
    subscription.next_date = next_date_after(
        unit=subscription.interval_unit,
        count=subscription.interval_count,
        day_of_month=subscription.day_of_month,
        scheduled=subscription.next_date,
        day=day,
        taken=_taken(subscription, subscription.next_date),
    )


@transaction.atomic
def subscription_skip(*, subscription: Subscription, actor: Any = None) -> Subscription:
    """Skip the next order: it is recorded as skipped and the one after it becomes the next.

    A next date that already has a run (stored before next dates passed over runs) makes no order
    anyway: the subscription just moves past it."""
    subscription = _locked(subscription)
    _ensure_open(subscription)
    if subscription.status != AutoshipStatus.ACTIVE:
        raise Conflict(_("A paused autoship has no next order to skip; resume it first."), field="status")
    assert subscription.next_date is not None
    skipped = subscription.next_date
    if not subscription.runs.filter(scheduled_for=skipped).exists():
        try:
            with transaction.atomic():
                AutoshipRun.objects.create(
                    subscription=subscription, scheduled_for=skipped, status=AutoshipRunStatus.SKIPPED
                )
        except IntegrityError:
            raise Conflict(
                _("The next order was just created or skipped; reload the autoship and try again."),
                field="next_date",
            ) from None
    _advance(subscription, _today())
    subscription.save(update_fields=["next_date", "updated_at"])
    audit_record(
        actor=actor, action="autoship.skip", target=subscription, data={"skipped": skipped.isoformat()}
    )
    return subscription


@transaction.atomic
def subscription_pause(*, subscription: Subscription, actor: Any = None, reason: str = "") -> Subscription:
    """Pause: no orders until resumed. `reason` is the system's (empty when the subscriber paused)."""
    subscription = _locked(subscription)
    _ensure_open(subscription)
    if subscription.status == AutoshipStatus.PAUSED:
        raise Conflict(_("This autoship is already paused."), field="status")
    subscription.status = AutoshipStatus.PAUSED
    subscription.paused_at = timezone.now()
    subscription.pause_reason = reason[:255]
    subscription.save(update_fields=["status", "paused_at", "pause_reason", "updated_at"])
    audit_record(actor=actor, action="autoship.pause", target=subscription, reason=reason)
    return subscription


@transaction.atomic
def subscription_resume(*, subscription: Subscription, actor: Any = None) -> Subscription:
    """Resume a paused autoship from the first chosen day after today without a run (no
    back-orders; a date skipped before stays skipped)."""
    subscription = _locked(subscription)
    _ensure_open(subscription)
    if subscription.status != AutoshipStatus.PAUSED:
        raise Conflict(_("This autoship is not paused."), field="status")
    subscription.status = AutoshipStatus.ACTIVE
    subscription.paused_at = None
    subscription.pause_reason = ""
    subscription.next_date = _first_free(subscription)
    subscription.save(update_fields=["status", "paused_at", "pause_reason", "next_date", "updated_at"])
    audit_record(actor=actor, action="autoship.resume", target=subscription)
    return subscription


@transaction.atomic
def subscription_cancel(*, subscription: Subscription, actor: Any = None) -> Subscription:
    """Cancel for good. Orders already created stay as they are."""
    subscription = _locked(subscription)
    _ensure_open(subscription)
    subscription.status = AutoshipStatus.CANCELLED
    subscription.cancelled_at = timezone.now()
    subscription.next_date = None
    subscription.save(update_fields=["status", "cancelled_at", "next_date", "updated_at"])
    audit_record(actor=actor, action="autoship.cancel", target=subscription)
    return subscription


# --- The daily orders ---------------------------------------------------------------------------


def autoship_order_create(*, subscription_id: int, day: dt.date) -> AutoshipRun | None:
    """Create the order of one subscription due on or before `day`; None when there is none to
    create (not due, not active, or another worker created it)."""
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update(no_key=True, of=("self",))
            .select_related("distributor", "customer")
            .filter(pk=subscription_id, status=AutoshipStatus.ACTIVE, next_date__lte=day)
            .first()
        )
        if subscription is None:
            return None  # Not due (any more): another run got there first, or it was paused.
        assert subscription.next_date is not None
        scheduled = subscription.next_date
        lines = [(line.product, line.quantity) for line in subscription.lines.select_related("product")]
        try:
            with transaction.atomic():
                order = order_create(
                    distributor=subscription.distributor,
                    customer=subscription.customer,
                    purpose=OrderPurpose.PERSONAL if subscription.is_own else OrderPurpose.CUSTOMER,
                    lines=lines,
                )
                run = AutoshipRun.objects.create(
                    subscription=subscription,
                    scheduled_for=scheduled,
                    status=AutoshipRunStatus.ORDERED,
                    order=order,
                )
        except IntegrityError:
            # The (subscription, date) run exists: this date was ordered or skipped already.
            logger.warning("autoship %s: run for %s exists", subscription.pk, scheduled)
            run = None
        except ApplicationError as error:
            # The order cannot be taken (a product off sale, the distributor terminated): pause
            # the autoship and say why, rather than try again every day.
            subscription.status = AutoshipStatus.PAUSED
            subscription.paused_at = timezone.now()
            subscription.pause_reason = str(error)[:255]
            subscription.save(update_fields=["status", "paused_at", "pause_reason", "updated_at"])
            audit_record(actor=None, action="autoship.pause", target=subscription, reason=str(error))
            return None
        if run is not None:
            AutoshipPaymentAttempt.objects.create(run=run, number=1, due_at=timezone.now())
        _advance(subscription, day)
        subscription.save(update_fields=["next_date", "updated_at"])
        return run


def autoship_orders_create(*, day: dt.date) -> int:
    """Create the orders of every active subscription due on or before `day`; the number created.
    Each subscription in its own transaction: one that fails does not hold back the others."""
    ids = list(
        Subscription.objects.filter(status=AutoshipStatus.ACTIVE, next_date__lte=day)
        .order_by("id")
        .values_list("id", flat=True)
    )
    return sum(1 for pk in ids if autoship_order_create(subscription_id=pk, day=day) is not None)


# --- Payments -----------------------------------------------------------------------------------


def _open_attempt(order: Order) -> AutoshipPaymentAttempt:
    attempt = (
        AutoshipPaymentAttempt.objects.select_for_update(no_key=True, of=("self",))
        .select_related("run__subscription", "run__order")
        .filter(run__order=order, status__in=[PaymentAttemptStatus.DUE, PaymentAttemptStatus.PENDING])
        .order_by("-number")
        .first()
    )
    if attempt is None:
        raise Conflict(
            _("Order %(number)s has no autoship payment awaiting a result.") % {"number": order.number},
            field="order",
        )
    return attempt


def _settle_by_order(attempt: AutoshipPaymentAttempt, order: Order, now: dt.datetime) -> None:
    """Close an attempt whose order is no longer pending (paid, or cancelled, by other means): a
    paid (or returned) order's attempt succeeded; a cancelled one's has nothing left to collect."""
    if order.status == OrderStatus.CANCELLED:
        attempt.status = PaymentAttemptStatus.FAILED
        attempt.failure_reason = _("The order was cancelled; nothing to collect.")[:255]
    else:
        attempt.status = PaymentAttemptStatus.SUCCEEDED
    attempt.finished_at = now
    attempt.save(update_fields=["status", "failure_reason", "finished_at", "reference", "updated_at"])


@transaction.atomic
def autoship_payment_record(
    *,
    order: Order,
    paid: bool,
    reason: str = "",
    reference: str = "",
    at: dt.datetime | None = None,
    actor: Any = None,
) -> AutoshipPaymentAttempt:
    """Record the result of the open payment attempt of an autoship order (staff, the PSP's
    webhook or the collector). Paid: the order is paid. Failed: the next attempt is scheduled,
    or after the last one the order is cancelled and the subscription paused.

    An order no longer pending (staff marked it paid, or cancelled it, in the order admin) settles
    its attempt instead: the result is ignored, nothing is paid or cancelled, no signal is sent."""
    attempt = _open_attempt(order)
    order = _order_locked(attempt.run.order)  # type: ignore[arg-type]
    now = timezone.now()
    if order.status != OrderStatus.PENDING:
        if reference:
            attempt.reference = reference[:128]
        _settle_by_order(attempt, order, now)
        audit_record(
            actor=actor,
            action="autoship.payment_ignored",
            target=order,
            reason=reason,
            data={"attempt": attempt.number, "paid": paid, "order_status": order.status},
        )
        return attempt
    at = at or now
    attempt.finished_at = now
    attempt.attempted_at = attempt.attempted_at or now
    if reference:
        attempt.reference = reference[:128]
    run = attempt.run
    if paid:
        attempt.status = PaymentAttemptStatus.SUCCEEDED
        attempt.save(update_fields=["status", "finished_at", "attempted_at", "reference", "updated_at"])
        order_pay(order=order, paid_at=at, actor=actor)
        return attempt
    attempt.status = PaymentAttemptStatus.FAILED
    attempt.failure_reason = (reason or _("Payment failed."))[:255]
    attempt.save(
        update_fields=["status", "finished_at", "attempted_at", "reference", "failure_reason", "updated_at"]
    )
    delays = retry_days()
    subscription = run.subscription
    next_attempt_at: dt.datetime | None = None
    if attempt.number <= len(delays):
        next_attempt_at = now + dt.timedelta(days=delays[attempt.number - 1])
        AutoshipPaymentAttempt.objects.create(run=run, number=attempt.number + 1, due_at=next_attempt_at)
    else:
        message = _("The payment of autoship order %(number)s failed %(times)s times.") % {
            "number": order.number,
            "times": attempt.number,
        }
        order_cancel(order=order, actor=actor, reason=message)
        subscription = _locked(subscription)
        if subscription.status == AutoshipStatus.ACTIVE:
            subscription.status = AutoshipStatus.PAUSED
            subscription.paused_at = now
            subscription.pause_reason = message[:255]
            subscription.save(update_fields=["status", "paused_at", "pause_reason", "updated_at"])
    audit_record(
        actor=actor,
        action="autoship.payment_failed",
        target=order,
        reason=attempt.failure_reason,
        data={
            "attempt": attempt.number,
            "next_attempt_at": next_attempt_at.isoformat() if next_attempt_at else None,
        },
    )
    transaction.on_commit(
        lambda: autoship_payment_failed.send(
            sender=Subscription,
            subscription=subscription,
            order=order,
            attempt=attempt.number,  # the attempt's number, 1 for the first try
            next_attempt_at=next_attempt_at,
        )
    )
    return attempt


def autoship_payments_collect(*, now: dt.datetime | None = None, collect: Collector | None = None) -> int:
    """Try every due payment attempt with the configured collector; the number tried.

    Each attempt is claimed with a conditional update (due -> pending), so two workers never charge
    it twice. An order paid or cancelled meanwhile by other means closes its attempt. A collector
    that raises leaves its attempt pending (outcome unknown) for staff or the PSP to settle: it is
    never retried automatically, since the provider may have charged.
    """
    now = now or timezone.now()
    collect = collect or collector()
    ids = list(
        AutoshipPaymentAttempt.objects.filter(status=PaymentAttemptStatus.DUE, due_at__lte=now)
        .order_by("due_at", "id")
        .values_list("id", flat=True)
    )
    tried = 0
    for pk in ids:
        claimed = AutoshipPaymentAttempt.objects.filter(pk=pk, status=PaymentAttemptStatus.DUE).update(
            status=PaymentAttemptStatus.PENDING, attempted_at=now, updated_at=now
        )
        if claimed != 1:
            continue  # Another worker claimed it first.
        attempt = AutoshipPaymentAttempt.objects.select_related("run__order", "run__subscription").get(pk=pk)
        order = attempt.run.order
        assert order is not None
        if order.status != OrderStatus.PENDING:
            _settle_by_order(attempt, order, now)
            continue
        tried += 1
        try:
            result = collect(attempt)
        except Exception:
            # The outcome is unknown: a timeout may come after the provider charged. The attempt
            # stays pending, never tried again by itself: staff (or the PSP's webhook) record its
            # result once they know, through autoship_payment_record.
            logger.exception(
                "autoship payment attempt %s: the collector failed; the attempt stays pending "
                "(outcome unknown) until its result is recorded",
                pk,
            )
            continue
        if result.outcome == "pending":
            if result.reference:
                AutoshipPaymentAttempt.objects.filter(pk=pk).update(reference=result.reference[:128])
            continue
        try:
            autoship_payment_record(
                order=order, paid=result.outcome == "paid", reason=result.reason, reference=result.reference
            )
        except ApplicationError:
            logger.exception("autoship payment attempt %s: recording the result failed", pk)
    return tried
