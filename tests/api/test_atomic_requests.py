"""A write request is all or nothing (core.middleware.AtomicWriteRequestsMiddleware): when it fails
after a service saved its part, nothing is left, and nothing was scheduled on commit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from core.middleware import AtomicWriteRequestsMiddleware
from core.models import AuditEntry
from orders.admin import DemonstrationAdmin
from orders.api import demonstrations as demonstration_views
from orders.api import orders as order_views
from orders.models import Customer, Demonstration

from .conftest import client_for


def _boom(*args, **kwargs):
    raise RuntimeError("failure injected after the write")


def test_an_api_post_that_fails_after_the_service_saved_leaves_nothing(net, monkeypatch):
    owned = net.owned["anna"]
    monkeypatch.setattr(demonstration_views, "_demonstration_data", _boom)
    before = (Demonstration.objects.count(), AuditEntry.objects.count())
    client = client_for(net.anna.user)
    client.raise_request_exception = False
    response = client.post(
        "/api/v1/demonstrations/",
        {"host": owned.host.pk, "held_at": timezone.now().isoformat(), "place": "Utrecht"},
        format="json",
    )
    assert response.status_code == 500
    assert (Demonstration.objects.count(), AuditEntry.objects.count()) == before


def test_an_api_post_with_an_idempotency_key_that_fails_keeps_no_key(net, monkeypatch):
    from core.models import IdempotencyKey

    monkeypatch.setattr(order_views, "_order_detail_data", _boom)
    client = client_for(net.anna.user)
    client.raise_request_exception = False
    body = {"purpose": "inventory", "lines": [{"product": "MIX-1", "quantity": 1}]}
    orders = net.anna.orders.count()
    response = client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 500
    assert (net.anna.orders.count(), IdempotencyKey.objects.filter(key="k-1").count()) == (orders, 0)


def test_an_admin_post_that_fails_after_the_service_saved_leaves_nothing(net, client, monkeypatch, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    monkeypatch.setattr(DemonstrationAdmin, "message_user", _boom)
    client.force_login(net.admin)
    client.raise_request_exception = False
    host = net.owned["anna"].guest
    local = timezone.localtime(timezone.now() + dt.timedelta(days=3))
    before = (Demonstration.objects.count(), AuditEntry.objects.count())
    response = client.post(
        reverse("admin:orders_demonstration_add"),
        {
            "consultant": net.anna.pk,
            "host": host.pk,
            "held_at_0": local.strftime("%Y-%m-%d"),
            "held_at_1": local.strftime("%H:%M:%S"),
            "place": "Hanna's kitchen",
        },
    )
    assert response.status_code == 500
    assert (Demonstration.objects.count(), AuditEntry.objects.count()) == before
    host.refresh_from_db()
    assert host.kind == "retail"  # the plan made her a host: undone too


def _writing_view(status: int, scheduled: list):
    def view(request):
        Customer.objects.filter(pk=request.customer_pk).update(phone="+31 6 0000 0000")
        transaction.on_commit(lambda: scheduled.append("task"))
        return HttpResponse(status=status)

    return view


@pytest.mark.parametrize(
    ("status", "kept"), [(200, True), (302, True), (400, True), (500, False), (503, False)]
)
def test_a_write_request_commits_unless_it_answers_a_server_error(
    net, status, kept, django_capture_on_commit_callbacks
):
    guest = net.owned["anna"].guest
    scheduled: list = []
    request = RequestFactory().post("/anything/")
    request.customer_pk = guest.pk
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = AtomicWriteRequestsMiddleware(_writing_view(status, scheduled))(request)
    guest.refresh_from_db()
    assert response.status_code == status
    assert (guest.phone == "+31 6 0000 0000", len(callbacks), scheduled) == (
        (True, 1, ["task"]) if kept else (False, 0, [])
    )


def test_a_write_request_that_raises_leaves_nothing_and_schedules_nothing(
    net, django_capture_on_commit_callbacks
):
    guest = net.owned["anna"].guest

    def view(request):
        Customer.objects.filter(pk=guest.pk).update(phone="+31 6 0000 0000")
        transaction.on_commit(lambda: None)
        raise RuntimeError("bug")

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        AtomicWriteRequestsMiddleware(view)(RequestFactory().patch("/anything/"))
    guest.refresh_from_db()
    assert (guest.phone, len(callbacks)) == ("", 0)


def test_a_read_request_runs_without_the_request_transaction(net):
    seen = []

    def view(request):
        seen.append(transaction.get_connection().savepoint_ids[:])
        return HttpResponse()

    AtomicWriteRequestsMiddleware(view)(RequestFactory().get("/anything/"))
    AtomicWriteRequestsMiddleware(view)(RequestFactory().post("/anything/"))
    assert len(seen[1]) == len(seen[0]) + 1  # only the POST opened one (a savepoint inside the test's)
