"""GDPR for end customers (rules/compliance §8): export, and erasure by staff or by the
customer's own distributor; the orders stay for the books."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.errors import ApplicationError, PermissionDenied
from core.models import AuditEntry
from distributors.models import Distributor
from distributors.services.enrollment import distributor_enroll
from orders.models import Customer, Order, OrderLine
from orders.personal_data import customer_erase
from orders.services import (
    customer_register,
    demonstration_add_guest,
    demonstration_plan,
    order_create,
    order_return,
)
from privacy.selectors import customer_personal_data

from .factories import ProductFactory

CHANGELIST = reverse("admin:orders_customer_changelist")


def enroll(first: str, sponsor: Distributor | None = None) -> Distributor:
    return distributor_enroll(
        sponsor=sponsor,
        first_name=first,
        last_name="Test",
        email=f"{first.lower()}@example.nl",
        password="Tulp-2026!x",
    )


@pytest.fixture
def shop(db, django_user_model):
    """dana (carla's distributor) under uma (her upline); carla hosts a demonstration where gijs
    is a guest; carla bought twice and returned one unit."""
    ProductFactory(sku="MIX-1")
    uma = enroll("Uma")
    dana = enroll("Dana", uma)
    carla = customer_register(
        distributor=dana,
        first_name="Carla",
        last_name="Klant",
        email="carla@example.nl",
        phone="+31 6 5555 1234",
    )
    gijs = customer_register(distributor=dana, first_name="Gijs", last_name="Gast", email="gijs@example.nl")
    demonstration = demonstration_plan(
        consultant=dana, host=carla, held_at=timezone.now() + dt.timedelta(days=1), place="Amersfoort"
    )
    demonstration_add_guest(demonstration=demonstration, customer=gijs)
    first = order_create(
        distributor=dana, purpose="customer", customer=carla, lines=[("MIX-1", 2)], paid_at=timezone.now()
    )
    order_return(order=first, lines=[(first.lines.get(), 1)], reason="Wrong colour")
    order_create(distributor=dana, purpose="customer", customer=carla, lines=[("MIX-1", 1)])
    order_create(distributor=dana, purpose="customer", customer=gijs, lines=[("MIX-1", 5)])
    staff = django_user_model.objects.create_user("staff", is_staff=True)
    return dict(uma=uma, dana=dana, carla=carla, gijs=gijs, demonstration=demonstration, staff=staff)


def test_the_export_holds_the_customers_data(shop):
    carla, dana = shop["carla"], shop["dana"]
    data = customer_personal_data(carla)
    assert data["subject"] == "customer"
    profile = data["profile"]
    assert (profile["first_name"], profile["last_name"], profile["email"], profile["phone"]) == (
        "Carla",
        "Klant",
        "carla@example.nl",
        "+31 6 5555 1234",
    )
    assert data["distributor"] == {"id": dana.pk, "external_id": dana.external_id, "name": "Dana Test"}
    assert [
        (o["status"], [(line["sku"], line["quantity"]) for line in o["lines"]]) for o in data["orders"]
    ] == [
        ("partly_returned", [("MIX-1", 2)]),
        ("pending", [("MIX-1", 1)]),
    ]
    [returned] = data["returns"]
    assert (returned["refund_amount"], returned["reason"]) == ("100.00", "Wrong colour")
    assert [(d["place"], d["role"]) for d in data["demonstrations"]] == [("Amersfoort", "host")]
    assert [e["action"] for e in data["audit_entries"]] == ["customer.register"]
    json.dumps(data)


def test_the_export_holds_nobody_elses_data(shop):
    text = json.dumps(customer_personal_data(shop["carla"]))
    for other in ("gijs@example.nl", "Gijs", "dana@example.nl", "uma@example.nl"):
        assert other not in text
    assert Order.objects.get(customer=shop["gijs"]).number not in text


def test_a_guest_sees_the_demonstration_as_guest(shop):
    data = customer_personal_data(shop["gijs"])
    assert [(d["place"], d["role"]) for d in data["demonstrations"]] == [("Amersfoort", "guest")]
    assert "carla@example.nl" not in json.dumps(data)


def test_the_export_takes_a_fixed_number_of_queries(shop, django_assert_max_num_queries):
    carla = shop["carla"]
    with CaptureQueriesContext(connection) as few:
        customer_personal_data(carla)
    for _ in range(4):
        order_create(distributor=shop["dana"], purpose="customer", customer=carla, lines=[("MIX-1", 1)])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(customer_personal_data(carla)["orders"]) == 6
    # One query per kind of record (issue 19 added autoships and the notifications' address,
    # language, preferences and mails), whatever the history's size.
    assert len(few.captured_queries) <= 13


def snapshot():
    return (
        list(
            Order.objects.order_by("pk").values_list(
                "pk", "number", "customer_id", "distributor_id", "status"
            )
        ),
        list(OrderLine.objects.order_by("pk").values_list("pk", "quantity", "unit_price")),
    )


def test_staff_erase_pseudonymises_and_keeps_the_orders(shop):
    carla = shop["carla"]
    before = snapshot()
    erased = customer_erase(customer=carla, actor=shop["staff"], reason="Asked by phone on 20 Nov")
    stored = Customer.objects.get(pk=carla.pk)
    assert (stored.first_name, stored.last_name, stored.email, stored.phone) == (
        "Erased",
        f"#{carla.pk}",
        "",
        "",
    )
    assert (stored.distributor_id, stored.kind) == (shop["dana"].pk, "host")
    assert str(erased) == f"Erased #{carla.pk}"
    assert snapshot() == before
    demonstration = shop["demonstration"]
    demonstration.refresh_from_db()
    assert (demonstration.host_id, demonstration.place, demonstration.status) == (carla.pk, "", "planned")
    entry = AuditEntry.objects.get(action="customer.erase")
    assert (entry.target_repr, entry.reason, entry.actor_id) == (
        f"Erased #{carla.pk}",
        "Asked by phone on 20 Nov",
        shop["staff"].pk,
    )
    assert "Carla" not in json.dumps([entry.target_repr, entry.data])


def test_the_customers_own_distributor_may_erase(shop):
    carla = shop["carla"]
    customer_erase(customer=carla, actor=shop["dana"].user, reason="Carla asked me on 20 Nov")
    assert Customer.objects.get(pk=carla.pk).first_name == "Erased"
    assert AuditEntry.objects.get(action="customer.erase").actor_id == shop["dana"].user_id


def test_the_upline_and_others_may_not_erase(shop, django_user_model):
    carla = shop["carla"]
    outsider = django_user_model.objects.create_user("outsider")
    for actor in (shop["uma"].user, outsider, None):
        with pytest.raises(PermissionDenied, match="customer's own distributor"):
            customer_erase(customer=carla, actor=actor, reason="Please")
    with pytest.raises(ApplicationError) as refused:
        customer_erase(customer=carla, actor=shop["staff"], reason=" ")
    assert refused.value.field == "reason"
    assert Customer.objects.get(pk=carla.pk).email == "carla@example.nl"
    assert not AuditEntry.objects.filter(action="customer.erase").exists()


def test_erasing_a_customer_twice_changes_nothing_more(shop):
    carla = shop["carla"]
    customer_erase(customer=carla, actor=shop["staff"], reason="Request 7")
    first = Customer.objects.get(pk=carla.pk)
    customer_erase(customer=carla, actor=shop["staff"], reason="Request 7 again")
    assert Customer.objects.get(pk=carla.pk).updated_at == first.updated_at
    assert AuditEntry.objects.filter(action="customer.erase").count() == 1


def test_an_erased_customers_address_can_register_again_as_new(shop):
    customer_erase(customer=shop["carla"], actor=shop["staff"], reason="Request 7")
    again = customer_register(distributor=shop["dana"], first_name="Carla", email="carla@example.nl")
    assert again.pk != shop["carla"].pk


# --- Admin --------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_admin_exports_one_customer_as_a_json_download(admin_client, shop):
    carla = shop["carla"]
    response = admin_client.post(
        CHANGELIST, {"action": "export_personal_data_action", ACTION_CHECKBOX_NAME: [carla.pk]}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="personal-data-customer-{carla.pk}.json"'
    assert json.loads(response.content)["profile"]["email"] == "carla@example.nl"
    two = admin_client.post(
        CHANGELIST,
        {"action": "export_personal_data_action", ACTION_CHECKBOX_NAME: [carla.pk, shop["gijs"].pk]},
        follow=True,
    )
    assert "Select exactly one customer to export." in two.content.decode()


def test_admin_erases_a_customer_after_asking_for_the_reason(admin_client, shop):
    carla = shop["carla"]
    data = {"action": "erase_personal_data_action", ACTION_CHECKBOX_NAME: [carla.pk]}
    page = admin_client.post(CHANGELIST, data)
    assert page.status_code == 200
    assert "Carla Klant" in page.content.decode()
    assert Customer.objects.get(pk=carla.pk).first_name == "Carla"
    response = admin_client.post(CHANGELIST, {**data, "apply": "1", "reason": "Request 7"}, follow=True)
    assert "Erased the personal data of 1 customer(s)." in response.content.decode()
    assert Customer.objects.get(pk=carla.pk).first_name == "Erased"
