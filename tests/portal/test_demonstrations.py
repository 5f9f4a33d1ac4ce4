"""/portal/demonstrations/: list, plan, a demonstration's page (guests, orders at the table, the live
figures), close and cancel. anna's planned demonstration at carla's (held two hours ago, gijs a
customer of hers) comes from tests/api/conftest.py; bert has one of his own.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.utils import timezone

from core.api.throttles import EmailCheckThrottle
from orders.models import Customer, Demonstration, DemonstrationGuest, DemonstrationStatus, HostCredit, Order
from orders.selectors.demonstrations import host_reward_progress
from orders.services import demonstration_add_guest, order_create

pytestmark = pytest.mark.django_db

BASE = "/portal/demonstrations/"


def local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def demo(net):
    return net.owned["anna"].demonstration


# --- The list


def test_the_list_shows_my_planned_demonstrations_and_not_others(portal, net, demo):
    response = portal("anna").get(BASE)
    assert response.status_code == 200
    assert list(response.context["planned"]) == [demo]
    assert response.context["planned"][0].order_count == 0
    assert net.owned["bert"].demonstration not in response.context["planned"]
    assert f"{BASE}{demo.pk}/" in response.content.decode()


def test_the_list_shows_closed_ones_under_the_past(portal, net, demo):
    demo.status = DemonstrationStatus.CANCELLED
    demo.save()
    response = portal("anna").get(BASE)
    assert list(response.context["planned"]) == []
    assert list(response.context["past"]) == [demo]


# --- Planning


def test_plan_a_demonstration_at_a_customer_of_mine(portal, net):
    held = timezone.now() + dt.timedelta(days=10)
    host = net.owned["anna"].guest
    response = portal("anna").post(
        f"{BASE}plan/", {"host": host.pk, "held_at": local(held), "place": "Amersfoort"}
    )
    demonstration = Demonstration.objects.filter(consultant=net.anna).latest("id")
    assert response.status_code == 302 and response["Location"] == f"{BASE}{demonstration.pk}/"
    assert demonstration.host == host and demonstration.place == "Amersfoort"
    assert demonstration.held_at == held.replace(second=0, microsecond=0)
    assert Customer.objects.get(pk=host.pk).kind == "host"


def test_plan_with_a_new_host_registers_her_as_my_customer(portal, net):
    held = timezone.now() + dt.timedelta(days=3)
    response = portal("anna").post(
        f"{BASE}plan/",
        {
            "first_name": "Nina",
            "last_name": "Nieuw",
            "email": "nina@example.nl",
            "held_at": local(held),
            "place": "Ede",
        },
    )
    assert response.status_code == 302
    demonstration = Demonstration.objects.filter(consultant=net.anna).latest("id")
    assert demonstration.host.email == "nina@example.nl" and demonstration.host.distributor == net.anna


def test_a_date_outside_the_window_is_a_field_error_and_nothing_is_written(portal, net):
    demonstrations, customers = Demonstration.objects.count(), Customer.objects.count()
    held = timezone.now() + dt.timedelta(days=400)
    response = portal("anna").post(
        f"{BASE}plan/",
        {"first_name": "Nina", "last_name": "Nieuw", "held_at": local(held), "place": "Ede"},
    )
    assert response.status_code == 200
    assert "up to a year ahead" in response.context["form"].errors["held_at"][0]
    assert Demonstration.objects.count() == demonstrations
    assert Customer.objects.count() == customers  # the new host was undone with the refusal
    assert 'value="Nina"' in response.content.decode()  # nothing typed is lost


def test_plan_needs_a_host_and_a_place(portal, net):
    held = timezone.now() + dt.timedelta(days=3)
    response = portal("anna").post(f"{BASE}plan/", {"held_at": local(held)})
    assert "host" in response.context["form"].errors
    response = portal("anna").post(
        f"{BASE}plan/", {"host": net.owned["anna"].guest.pk, "held_at": local(held)}
    )
    assert "a place or a video link" in response.context["form"].errors["place"][0]


def test_another_distributors_customer_cannot_host(portal, net):
    held = timezone.now() + dt.timedelta(days=3)
    count = Demonstration.objects.count()
    response = portal("anna").post(
        f"{BASE}plan/", {"host": net.owned["bert"].guest.pk, "held_at": local(held), "place": "Ede"}
    )
    assert "host" in response.context["form"].errors
    assert Demonstration.objects.count() == count


def test_book_the_next_demonstration_from_a_guest(portal, net, demo):
    guest = net.owned["anna"].guest
    demonstration_add_guest(demonstration=demo, customer=guest)
    page = portal("anna").get(f"{BASE}{demo.pk}/").content.decode()
    link = f"{BASE}plan/?host={guest.pk}&amp;booked_from={demo.pk}"
    assert link in page
    form = portal("anna").get(f"{BASE}plan/?host={guest.pk}&booked_from={demo.pk}").context["form"]
    assert form["host"].value() == str(guest.pk) and form.booked_from_demonstration() == demo
    held = timezone.now() + dt.timedelta(days=20)
    portal("anna").post(
        f"{BASE}plan/", {"host": guest.pk, "booked_from": demo.pk, "held_at": local(held), "place": "Zeist"}
    )
    booked = Demonstration.objects.filter(consultant=net.anna).latest("id")
    assert booked.host == guest and booked.booked_from == demo


def test_booking_from_someone_elses_demonstration_is_refused(portal, net):
    held = timezone.now() + dt.timedelta(days=20)
    count = Demonstration.objects.count()
    response = portal("anna").post(
        f"{BASE}plan/",
        {
            "host": net.owned["anna"].guest.pk,
            "booked_from": net.owned["bert"].demonstration.pk,
            "held_at": local(held),
            "place": "Zeist",
        },
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert Demonstration.objects.count() == count


def test_the_plan_page_offers_my_customers_only(portal, net):
    response = portal("anna").get(f"{BASE}plan/")
    assert response.status_code == 200
    hosts = set(response.context["form"].fields["host"].queryset)
    assert net.owned["anna"].guest in hosts and net.owned["bert"].guest not in hosts


# --- A demonstration's page


def test_another_distributors_demonstration_is_404_everywhere(portal, net):
    other = net.owned["bert"].demonstration.pk
    client = portal("anna")
    for suffix in ("", "live/", "close/", "cancel/"):
        assert client.get(f"{BASE}{other}/{suffix}").status_code == 404, suffix
    for suffix in ("guests/", "order/", "close/", "cancel/"):
        assert client.post(f"{BASE}{other}/{suffix}", {}).status_code == 404, suffix
    assert Demonstration.objects.get(pk=other).status == DemonstrationStatus.PLANNED


def test_add_an_existing_customer_and_a_new_one_as_guests(portal, net, demo):
    guest = net.owned["anna"].guest
    response = portal("anna").post(f"{BASE}{demo.pk}/guests/", {"guest-customer": guest.pk})
    assert response.status_code == 302
    response = portal("anna").post(
        f"{BASE}{demo.pk}/guests/", {"guest-first_name": "Greet", "guest-last_name": "Gast"}
    )
    assert response.status_code == 302
    guests = DemonstrationGuest.objects.filter(demonstration=demo).select_related("customer")
    assert {g.customer.first_name for g in guests} == {"Gijs", "Greet"}
    assert all(g.customer.distributor == net.anna for g in guests)


def test_the_host_is_not_her_own_guest(portal, net, demo):
    response = portal("anna").post(f"{BASE}{demo.pk}/guests/", {"guest-customer": demo.host_id})
    # The host is not offered as a guest: choosing her anyway is a field error.
    assert response.status_code == 200 and "customer" in response.context["guest_form"].errors
    assert not DemonstrationGuest.objects.filter(demonstration=demo).exists()


def test_record_an_order_at_the_table_for_a_guest(portal, net, demo):
    guest = net.owned["anna"].guest
    demonstration_add_guest(demonstration=demo, customer=guest)
    response = portal("anna").post(
        f"{BASE}{demo.pk}/order/", {"guest": guest.pk, "product": ["MIX-1", ""], "quantity": ["2", ""]}
    )
    assert response.status_code == 302
    order = Order.objects.get(demonstration=demo)
    assert (order.customer, order.distributor, order.status, order.purpose) == (
        guest,
        net.anna,
        "pending",
        "customer",
    )
    line = order.lines.get()
    assert (line.sku, line.quantity, line.unit_price) == ("MIX-1", 2, Decimal("100.00"))


def test_an_order_with_htmx_answers_the_empty_form_for_the_next_guest_and_refreshes(portal, net, demo):
    response = portal("anna").post(
        f"{BASE}{demo.pk}/order/",
        {
            "guest": "new",
            "first_name": "Wim",
            "last_name": "Wijk",
            "product": "Kitchen machine",
            "quantity": "3",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"demonstration-changed": {}}
    assert [t.name for t in response.templates][0] == "portal/_demonstration_order_form.html"
    order = Order.objects.get(demonstration=demo)
    assert order.customer.first_name == "Wim" and order.customer.distributor == net.anna
    assert order.lines.get().quantity == 3  # the product's exact name found its SKU
    assert DemonstrationGuest.objects.filter(demonstration=demo, customer=order.customer).exists()
    form = response.context["order_form"]
    assert not form.is_bound and str(order.customer.pk) in form.people  # the new guest is offered now
    assert "Order " in response.content.decode()


def test_a_bad_line_is_a_field_error_and_nothing_is_written(portal, net, demo):
    customers = Customer.objects.count()
    response = portal("anna").post(
        f"{BASE}{demo.pk}/order/",
        {"guest": "new", "first_name": "Wim", "product": "NOPE-1", "quantity": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "HX-Trigger" not in response
    assert "unknown product 'NOPE-1'" in response.context["order_form"].errors["lines"][0]
    assert not Order.objects.filter(demonstration=demo).exists()
    assert Customer.objects.count() == customers
    assert 'value="NOPE-1"' in response.content.decode() and 'value="Wim"' in response.content.decode()


def test_a_quantity_that_is_not_a_number_is_a_field_error(portal, net, demo):
    response = portal("anna").post(
        f"{BASE}{demo.pk}/order/", {"guest": demo.host_id, "product": "MIX-1", "quantity": "twee"}
    )
    assert response.status_code == 200
    assert "Line 1" in response.context["order_form"].errors["lines"][0]
    assert not Order.objects.filter(demonstration=demo).exists()


def test_another_line_adds_a_row_and_writes_nothing(portal, net, demo):
    response = portal("anna").post(
        f"{BASE}{demo.pk}/order/",
        {"guest": demo.host_id, "product": ["MIX-1", "", ""], "quantity": ["1", "", ""], "more": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert len(response.context["order_form"].rows) == 4
    assert response.context["order_form"].rows[0]["product"] == "MIX-1"
    assert not Order.objects.filter(demonstration=demo).exists()


def test_the_figures_equal_the_apis_demonstration_detail(portal, api, net, demo):
    guest = net.owned["anna"].guest
    order_create(
        distributor=net.anna, purpose="customer", customer=guest, demonstration=demo, lines=[("MIX-1", 3)]
    )
    order_create(
        distributor=net.anna, purpose="customer", customer=demo.host, demonstration=demo, lines=[("MIX-1", 1)]
    )
    detail = api("anna").get(f"/api/v1/demonstrations/{demo.pk}/").json()
    for url in (f"{BASE}{demo.pk}/", f"{BASE}{demo.pk}/live/"):
        live = portal("anna").get(url).context["live"]
        assert live.summary.qps == Decimal(detail["qps_so_far"]) == Decimal("400.00")
        assert live.summary.host_credit == Decimal(detail["host_credit"]) == Decimal("40.00")
        assert live.summary.half_price_items == detail["half_price_items"] == 1
        assert live.order_count == len(detail["orders"]) == 2
    page = portal("anna").get(f"{BASE}{demo.pk}/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "€\xa0400,00" in page and "€\xa040,00" in page  # the host credit
    assert "€\xa0100,00" in page  # missing for the next tier (500)


def test_host_reward_progress_reads_the_plans_tiers():
    progress = host_reward_progress(Decimal("350"))
    assert (progress.rate, progress.host_credit, progress.half_price_items) == (
        Decimal("0.10"),
        Decimal("35.00"),
        1,
    )
    assert progress.next_tier.min_qps == Decimal("500") and progress.missing_for_next_tier == Decimal("150")
    assert progress.credit_at_next_tier == Decimal("75.00")
    assert progress.next_item_at == Decimal("500") and progress.missing_for_next_item == Decimal("150")
    below = host_reward_progress(Decimal("120"))
    assert below.rate is None and below.next_item_at == Decimal("250")
    top = host_reward_progress(Decimal("1200"))
    assert top.next_tier is None and top.rate == Decimal("0.20") and top.next_item_at is None


# --- Close and cancel


def test_close_after_confirmation(portal, net, demo):
    order_create(
        distributor=net.anna,
        purpose="customer",
        customer=net.owned["anna"].guest,
        demonstration=demo,
        lines=[("MIX-1", 5)],
    )
    client = portal("anna")
    confirm = client.get(f"{BASE}{demo.pk}/close/")
    assert confirm.status_code == 200 and confirm.context["live"].summary.host_credit == Decimal("75.00")
    assert Demonstration.objects.get(pk=demo.pk).status == DemonstrationStatus.PLANNED  # GET changes nothing
    response = client.post(f"{BASE}{demo.pk}/close/")
    assert response.status_code == 302 and response["Location"] == f"{BASE}{demo.pk}/"
    demo.refresh_from_db()
    assert demo.status == DemonstrationStatus.CLOSED and demo.qps == Decimal("500.00")
    voucher = HostCredit.objects.get(demonstration=demo)
    assert (voucher.amount, voucher.half_price_items) == (Decimal("75.00"), 2)
    assert Order.objects.get(demonstration=demo).status == "paid"
    page = client.get(f"{BASE}{demo.pk}/")
    assert page.status_code == 200 and page.context["live"].summary.voucher == voucher


def test_closing_twice_is_an_error_on_the_page(portal, net, demo):
    client = portal("anna")
    client.post(f"{BASE}{demo.pk}/close/")
    response = client.post(f"{BASE}{demo.pk}/close/")
    assert response.status_code == 200
    assert "already closed" in response.context["form"].non_field_errors()[0]


def test_a_demonstration_not_yet_held_cannot_be_closed(portal, net):
    held = timezone.now() + dt.timedelta(days=3)
    portal("anna").post(
        f"{BASE}plan/", {"host": net.owned["anna"].guest.pk, "held_at": local(held), "place": "Ede"}
    )
    later = Demonstration.objects.filter(consultant=net.anna).latest("id")
    response = portal("anna").post(f"{BASE}{later.pk}/close/")
    assert response.status_code == 200 and "before it is held" in str(response.context["form"].errors)
    later.refresh_from_db()
    assert later.status == DemonstrationStatus.PLANNED


def test_cancel_with_a_reason_cancels_its_pending_orders(portal, net, demo):
    order = order_create(
        distributor=net.anna, purpose="customer", customer=demo.host, demonstration=demo, lines=[("MIX-1", 1)]
    )
    assert portal("anna").get(f"{BASE}{demo.pk}/cancel/").status_code == 200
    response = portal("anna").post(f"{BASE}{demo.pk}/cancel/", {"reason": "Host is ill"})
    assert response.status_code == 302
    demo.refresh_from_db()
    order.refresh_from_db()
    assert demo.status == DemonstrationStatus.CANCELLED and order.status == "cancelled"
    page = portal("anna").get(f"{BASE}{demo.pk}/")
    assert page.status_code == 200 and "host_link" not in page.context


def test_the_page_offers_the_host_link(portal, demo, settings):
    settings.PUBLIC_URL = "https://shop.example.com/"
    page = portal("anna").get(f"{BASE}{demo.pk}/")
    link = page.context["host_link"]
    assert link.startswith("https://shop.example.com/host/")
    assert portal("anna").get(link.removeprefix("https://shop.example.com")).status_code == 200
    assert "https://wa.me/?text=" in page.content.decode()


def test_the_host_link_is_on_the_public_address_whatever_the_host_header(portal, demo, settings):
    settings.PUBLIC_URL = "https://shop.example.com"
    settings.ALLOWED_HOSTS = ["*"]
    page = portal("anna").get(f"{BASE}{demo.pk}/", HTTP_HOST="evil.example")
    assert page.context["host_link"].startswith("https://shop.example.com/host/")
    assert "evil.example" not in page.content.decode()


def test_the_pages_queries_do_not_grow_with_the_orders_and_guests(portal, net, demo):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = portal("anna")

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    def add_guest_order(n: int) -> None:
        customer = Customer.objects.create(distributor=net.anna, first_name=f"Gast{n}")
        order_create(
            distributor=net.anna,
            purpose="customer",
            customer=customer,
            demonstration=demo,
            lines=[("MIX-1", 1)],
        )

    add_guest_order(0)
    pages = (BASE, f"{BASE}{demo.pk}/", f"{BASE}{demo.pk}/live/")
    before = [queries(url) for url in pages]
    for n in range(1, 6):
        add_guest_order(n)
    assert [queries(url) for url in pages] == before


# --- Review fixes: the e-mail limit, typed names never dropped, bad product input, double submits,
# the product suggestions


def test_new_customers_with_an_address_share_the_apis_e_mail_limit(portal, api, net, demo, monkeypatch):
    monkeypatch.setattr(EmailCheckThrottle, "THROTTLE_RATES", {"email_check": "1/hour"})
    api("anna").post(
        "/api/v1/customers/", {"first_name": "Eerst", "email": "eerst@example.nl"}, format="json"
    )
    client = portal("anna")
    customers, demonstrations = Customer.objects.count(), Demonstration.objects.count()
    held = timezone.now() + dt.timedelta(days=3)
    plan = {"first_name": "Nina", "email": "nina@example.nl", "held_at": local(held), "place": "Ede"}
    response = client.post(f"{BASE}plan/", plan)
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert 'value="Nina"' in response.content.decode()
    response = client.post(
        f"{BASE}{demo.pk}/guests/", {"guest-first_name": "G", "guest-email": "g@example.nl"}
    )
    assert response.status_code == 200 and response.context["guest_form"].non_field_errors()
    response = client.post(
        f"{BASE}{demo.pk}/order/",
        {"guest": "new", "first_name": "Wim", "email": "wim@example.nl", "product": "MIX-1", "quantity": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and response.context["order_form"].non_field_errors()
    assert "HX-Trigger" not in response
    assert (Customer.objects.count(), Demonstration.objects.count()) == (customers, demonstrations)
    assert not Order.objects.filter(demonstration=demo).exists()
    # Without an address nothing is looked up: not counted.
    response = client.post(f"{BASE}{demo.pk}/guests/", {"guest-first_name": "Greet"})
    assert response.status_code == 302


def test_plan_with_a_customer_and_a_typed_host_is_an_error(portal, net):
    count, customers = Demonstration.objects.count(), Customer.objects.count()
    held = timezone.now() + dt.timedelta(days=3)
    response = portal("anna").post(
        f"{BASE}plan/",
        {"host": net.owned["anna"].guest.pk, "first_name": "Nina", "held_at": local(held), "place": "Ede"},
    )
    assert response.status_code == 200 and "not both" in response.context["form"].errors["host"][0]
    assert (Demonstration.objects.count(), Customer.objects.count()) == (count, customers)
    assert 'value="Nina"' in response.content.decode()


def test_a_guest_chosen_and_a_typed_guest_is_an_error(portal, net, demo):
    response = portal("anna").post(
        f"{BASE}{demo.pk}/guests/", {"guest-customer": net.owned["anna"].guest.pk, "guest-phone": "06 1"}
    )
    assert response.status_code == 200 and "not both" in response.context["guest_form"].errors["customer"][0]
    assert not DemonstrationGuest.objects.filter(demonstration=demo).exists()
    response = portal("anna").post(
        f"{BASE}{demo.pk}/order/", {"guest": demo.host_id, "first_name": "Wim", "product": "MIX-1"}
    )
    assert response.status_code == 200 and response.context["order_form"].errors["first_name"]
    assert not Order.objects.filter(demonstration=demo).exists()


@pytest.mark.parametrize("product", ["MIX\x001", "M" * 201])
def test_a_product_the_form_cannot_read_is_a_line_error(portal, demo, product):
    response = portal("anna").post(
        f"{BASE}{demo.pk}/order/", {"guest": demo.host_id, "product": product, "quantity": "1"}
    )
    assert response.status_code == 200
    assert response.context["order_form"].errors["lines"][0].startswith("Line 1: ")
    assert not Order.objects.filter(demonstration=demo).exists()


def test_the_forms_drop_a_second_submit_while_the_first_runs(portal, net, demo):
    page = portal("anna").get(f"{BASE}{demo.pk}/").content.decode()
    assert page.count('hx-sync="this:drop"') == 2  # the order at the table and the guest
    assert page.count('hx-disabled-elt="find button[type=submit]"') == 2
    for url in (f"{BASE}plan/", f"{BASE}{demo.pk}/close/", f"{BASE}{demo.pk}/cancel/"):
        assert 'hx-sync="this:drop"' in portal("anna").get(url).content.decode(), url


def test_the_page_does_not_carry_the_catalogue(portal, demo):
    page = portal("anna").get(f"{BASE}{demo.pk}/").content.decode()
    assert 'value="MIX-1"' not in page and "/portal/demonstrations/products/" in page


def test_product_suggestions_for_what_was_typed(portal, net):
    client = portal("anna")
    response = client.get(f"{BASE}products/", {"product": "kitchen"}, HTTP_HX_REQUEST="true")
    assert (
        response.status_code == 200 and '<option value="MIX-1">Kitchen machine' in response.content.decode()
    )
    assert "<option" not in client.get(f"{BASE}products/", {"product": "nothing-like-it"}).content.decode()
    assert "<option" not in client.get(f"{BASE}products/").content.decode()
    bad = client.get(f"{BASE}products/", {"product": "MIX\x001"})
    assert bad.status_code == 200 and "<option" not in bad.content.decode()


def test_signing_in_comes_before_the_method_check(client, demo):
    # distributor_required is the outermost decorator: an anonymous visitor is sent to sign in,
    # whatever the method.
    for url in (f"{BASE}{demo.pk}/guests/", f"{BASE}{demo.pk}/order/", f"{BASE}products/"):
        response = client.put(url)
        assert response.status_code == 302 and "/portal/login/" in response["Location"], url
