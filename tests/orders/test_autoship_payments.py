"""Autoship payments: the collector seam, retries on a schedule, the final failure, and the
signal sent once per failure (after commit)."""

import datetime as dt

import pytest
from django.utils import timezone

from core.errors import Conflict
from orders.models import (
    AutoshipPaymentAttempt,
    AutoshipStatus,
    Order,
    OrderStatus,
    PaymentAttemptStatus,
)
from orders.payments import PaymentResult
from orders.services.autoship import (
    autoship_orders_create,
    autoship_payment_record,
    autoship_payments_collect,
    subscription_create,
)
from orders.signals import autoship_payment_failed

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 1, 10)


@pytest.fixture(autouse=True)
def today(monkeypatch, settings):
    monkeypatch.setattr("orders.services.autoship._today", lambda: TODAY)
    settings.AUTOSHIP_PAYMENT_RETRY_DAYS = [1, 3, 7]
    settings.AUTOSHIP_PAYMENT_COLLECTOR = "manual"


@pytest.fixture
def failures():
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    autoship_payment_failed.connect(receiver, weak=False)
    yield received
    autoship_payment_failed.disconnect(receiver)


@pytest.fixture
def order(consultant, customer, product):
    subscription_create(
        distributor=consultant,
        customer=customer,
        interval_unit="months",
        interval_count=1,
        day_of_month=11,
        lines=[(product, 1)],
    )
    autoship_orders_create(day=dt.date(2027, 1, 11))
    return Order.objects.get()


def test_manual_collection_leaves_the_order_pending_until_the_result_is_recorded(order):
    assert autoship_payments_collect() == 1
    attempt = AutoshipPaymentAttempt.objects.get()
    assert attempt.status == PaymentAttemptStatus.PENDING
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    autoship_payment_record(order=order, paid=True, reference="PSP-1")
    order.refresh_from_db()
    attempt.refresh_from_db()
    assert (order.status, attempt.status, attempt.reference) == (OrderStatus.PAID, "succeeded", "PSP-1")
    with pytest.raises(Conflict):
        autoship_payment_record(order=order, paid=True)


def test_a_failure_schedules_the_retries_then_cancels_and_pauses(
    order, failures, django_capture_on_commit_callbacks
):
    subscription = order.autoship_run.subscription
    expected_delays = [1, 3, 7]
    for number in (1, 2, 3):
        before = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            autoship_payment_record(order=order, paid=False, reason="Insufficient funds")
        retry = AutoshipPaymentAttempt.objects.get(run__order=order, number=number + 1)
        assert retry.status == PaymentAttemptStatus.DUE
        delay = retry.due_at - before
        assert (
            dt.timedelta(days=expected_delays[number - 1])
            <= delay
            < dt.timedelta(days=expected_delays[number - 1], minutes=1)
        )
        assert len(failures) == number
        assert failures[-1]["next_attempt_at"] == retry.due_at
        assert failures[-1]["attempt"] == number
        order.refresh_from_db()
        assert order.status == OrderStatus.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        autoship_payment_record(order=order, paid=False, reason="Insufficient funds")
    assert len(failures) == 4
    last = failures[-1]
    assert (last["next_attempt_at"], last["attempt"], last["order"], last["subscription"]) == (
        None,
        4,
        order,
        subscription,
    )
    order.refresh_from_db()
    subscription.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert subscription.status == AutoshipStatus.PAUSED
    assert "failed 4 times" in subscription.pause_reason
    assert AutoshipPaymentAttempt.objects.filter(run__order=order).count() == 4


def test_the_signal_waits_for_the_commit_and_is_sent_once_per_failure(
    order, failures, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        autoship_payment_record(order=order, paid=False, reason="Card expired")
    assert failures == [] and len(callbacks) == 1
    callbacks[0]()
    assert len(failures) == 1
    # Recording the same failure again is refused: the open attempt is now the retry, not yet due.
    with django_capture_on_commit_callbacks(execute=True):
        autoship_payment_record(order=order, paid=True)
    assert len(failures) == 1


def test_the_collector_seam_and_retries_when_they_fall_due(
    order, failures, settings, django_capture_on_commit_callbacks
):
    outcomes = iter([PaymentResult("failed", reason="Refused"), PaymentResult("paid", reference="OK-2")])
    settings.AUTOSHIP_PAYMENT_COLLECTOR = "tests.orders.test_autoship_payments.scripted"
    scripted.outcomes = outcomes  # type: ignore[attr-defined]
    with django_capture_on_commit_callbacks(execute=True):
        assert autoship_payments_collect() == 1
    assert len(failures) == 1
    # The retry is not due yet: nothing is tried.
    assert autoship_payments_collect() == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert autoship_payments_collect(now=timezone.now() + dt.timedelta(days=1, minutes=1)) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert list(AutoshipPaymentAttempt.objects.values_list("number", "status", "failure_reason")) == [
        (1, "failed", "Refused"),
        (2, "succeeded", ""),
    ]


def scripted(attempt):
    return next(scripted.outcomes)  # type: ignore[attr-defined]


def test_the_demo_collector_fails_every_sixth_subscription_only():
    from types import SimpleNamespace

    from orders.payments import demo_collector

    def attempt(subscription_id):
        return SimpleNamespace(run=SimpleNamespace(subscription_id=subscription_id), run_id=9, number=1)

    assert [demo_collector(attempt(pk)).outcome for pk in range(1, 8)] == [
        "paid",
        "paid",
        "paid",
        "paid",
        "paid",
        "failed",
        "paid",
    ]


def test_a_collector_that_raises_leaves_the_attempt_pending_and_never_charges_again(order, settings):
    calls = []

    def timeout(attempt):
        calls.append(attempt.pk)
        raise TimeoutError("the provider did not answer (it may have charged)")

    assert autoship_payments_collect(collect=timeout) == 1
    attempt = AutoshipPaymentAttempt.objects.get()
    assert attempt.status == PaymentAttemptStatus.PENDING  # outcome unknown: for reconciliation
    later = timezone.now() + dt.timedelta(days=30)
    assert autoship_payments_collect(now=later, collect=timeout) == 0
    assert calls == [attempt.pk]
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    # Staff (or the PSP) settle it once they know.
    autoship_payment_record(order=order, paid=True, reference="PSP-9")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_a_failure_recorded_for_an_order_paid_meanwhile_is_ignored(
    order, failures, settings, django_capture_on_commit_callbacks
):
    from orders.services.orders import order_pay

    settings.AUTOSHIP_PAYMENT_RETRY_DAYS = []  # the first attempt is the last
    order_pay(order=order)  # staff marked it paid in the order admin
    with django_capture_on_commit_callbacks(execute=True):
        attempt = autoship_payment_record(order=order, paid=False, reason="Recorded as failed by staff.")
    assert attempt.status == PaymentAttemptStatus.SUCCEEDED
    order.refresh_from_db()
    subscription = order.autoship_run.subscription
    assert order.status == OrderStatus.PAID
    assert subscription.status == AutoshipStatus.ACTIVE
    assert failures == []
    assert AutoshipPaymentAttempt.objects.filter(run__order=order).count() == 1


def test_a_result_recorded_for_an_order_cancelled_meanwhile_closes_the_attempt(
    order, failures, django_capture_on_commit_callbacks
):
    from orders.services.orders import order_cancel

    order_cancel(order=order)
    with django_capture_on_commit_callbacks(execute=True):
        attempt = autoship_payment_record(order=order, paid=True)
    assert attempt.status == PaymentAttemptStatus.FAILED
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert failures == []
    with pytest.raises(Conflict):  # nothing left awaiting a result
        autoship_payment_record(order=order, paid=False)
