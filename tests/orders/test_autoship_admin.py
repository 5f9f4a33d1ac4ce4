"""The autoship admin: lists with filters render, actions call the services (skip, pause, resume,
cancel; a payment recorded as failed or received)."""

import datetime as dt

import pytest
from django.urls import reverse

from orders.models import AutoshipPaymentAttempt, AutoshipStatus, Order, OrderStatus, Subscription
from orders.services.autoship import autoship_orders_create, subscription_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def subscription(consultant, customer, product, monkeypatch):
    monkeypatch.setattr("orders.services.autoship._today", lambda: dt.date(2027, 1, 10))
    return subscription_create(
        distributor=consultant,
        customer=customer,
        interval_unit="months",
        interval_count=1,
        day_of_month=11,
        lines=[(product, 1)],
    )


def test_the_lists_and_a_subscription_render(staff, subscription):
    autoship_orders_create(day=dt.date(2027, 1, 11))
    for url in (
        reverse("admin:orders_subscription_changelist"),
        reverse("admin:orders_subscription_changelist") + "?status=active&subscriber=customer",
        reverse("admin:orders_subscription_change", args=[subscription.pk]),
        reverse("admin:orders_autoshippaymentattempt_changelist") + "?open=yes",
    ):
        assert staff.get(url).status_code == 200, url


def test_the_actions_call_the_services(staff, subscription):
    url = reverse("admin:orders_subscription_changelist")
    staff.post(url, {"action": "pause", "_selected_action": [subscription.pk]})
    subscription.refresh_from_db()
    assert subscription.status == AutoshipStatus.PAUSED
    staff.post(url, {"action": "resume", "_selected_action": [subscription.pk]})
    staff.post(url, {"action": "skip_next", "_selected_action": [subscription.pk]})
    staff.post(url, {"action": "cancel", "_selected_action": [subscription.pk]})
    assert Subscription.objects.get().status == AutoshipStatus.CANCELLED
    assert subscription.runs.filter(status="skipped").count() == 1


def test_staff_record_a_failed_then_a_received_payment(
    staff, subscription, django_capture_on_commit_callbacks
):
    autoship_orders_create(day=dt.date(2027, 1, 11))
    url = reverse("admin:orders_autoshippaymentattempt_changelist")
    first = AutoshipPaymentAttempt.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(url, {"action": "record_failed", "_selected_action": [first.pk]})
    retry = AutoshipPaymentAttempt.objects.get(number=2)
    staff.post(url, {"action": "record_paid", "_selected_action": [retry.pk]})
    assert Order.objects.get().status == OrderStatus.PAID
    assert list(AutoshipPaymentAttempt.objects.values_list("status", flat=True)) == ["failed", "succeeded"]
