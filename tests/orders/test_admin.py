"""The admin: pages render, list pages stay at a fixed number of queries, and a consultant runs a
whole home demonstration through it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import Customer, Demonstration, HostCredit, Order, OrderStatus
from orders.services import demonstration_close, demonstration_plan, order_create, order_return

from .factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def plain_static_files(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
    # The manifest storage of production needs collectstatic; the tests render without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def client_admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def history(consultant, customer, product):
    paid = order_create(
        distributor=consultant,
        purpose="customer",
        customer=customer,
        lines=[(product, 2)],
        paid_at=timezone.now(),
    )
    order_return(order=paid, lines=[(paid.lines.get(), 1)], reason="broken")
    demo = demonstration_plan(
        consultant=consultant, host=customer, held_at=timezone.now() - dt.timedelta(days=1), place="Utrecht"
    )
    guest = CustomerFactory(distributor=consultant)
    order_create(
        distributor=consultant, purpose="customer", customer=guest, demonstration=demo, lines=[(product, 3)]
    )
    demonstration_close(demonstration=demo)
    return paid, demo


@pytest.mark.parametrize("model", ["product", "customer", "order", "return", "demonstration", "hostcredit"])
def test_changelists_and_change_pages_render(client_admin, history, model):
    response = client_admin.get(reverse(f"admin:orders_{model}_changelist"))
    assert response.status_code == 200
    obj = response.context["cl"].result_list[0]
    assert client_admin.get(reverse(f"admin:orders_{model}_change", args=[obj.pk])).status_code == 200


@pytest.mark.parametrize("model", ["product", "customer", "order", "demonstration"])
def test_add_pages_render(client_admin, model):
    assert client_admin.get(reverse(f"admin:orders_{model}_add")).status_code == 200


def test_the_return_page_renders_with_the_returnable_quantities(client_admin, history):
    paid, _ = history
    response = client_admin.get(reverse("admin:orders_order_return", args=[paid.pk]))
    assert b"1 of 2 can be returned" in response.content


def test_the_order_changelist_runs_a_fixed_number_of_queries(client_admin, consultant, product):
    url = reverse("admin:orders_order_changelist")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client_admin.get(url).status_code == 200
        return len(queries)

    def add_orders(n: int) -> None:
        for _ in range(n):
            buyer = CustomerFactory(distributor=consultant)
            order_create(distributor=consultant, purpose="customer", customer=buyer, lines=[(product, 1)])

    add_orders(2)
    few = count()
    add_orders(10)
    assert count() == few


def test_a_consultant_runs_a_whole_demonstration_in_the_admin(client_admin, consultant):
    mixer = ProductFactory(sku="MIX", retail_price=Decimal("250.00"), qv=Decimal("200"), cv=Decimal("200.00"))
    bowl = ProductFactory(sku="BOWL", retail_price=Decimal("30.00"), qv=Decimal("20"), cv=Decimal("20.00"))

    # Host and two guests registered by the consultant's referral code.
    for name in ("Hanna", "Gina", "Greta"):
        response = client_admin.post(
            reverse("admin:orders_customer_add"),
            {
                "first_name": name,
                "last_name": "Test",
                "email": f"{name.lower()}@x.nl",
                "kind": "retail",
                "referral_code": consultant.referral_code,
            },
        )
        assert response.status_code == 302, response.content
    host, gina, greta = (Customer.objects.get(first_name=n) for n in ("Hanna", "Gina", "Greta"))

    local = timezone.localtime(timezone.now() - dt.timedelta(hours=3))
    response = client_admin.post(
        reverse("admin:orders_demonstration_add"),
        {
            "consultant": consultant.pk,
            "host": host.pk,
            "held_at_0": local.strftime("%Y-%m-%d"),
            "held_at_1": local.strftime("%H:%M:%S"),
            "place": "Hanna's kitchen",
        },
    )
    assert response.status_code == 302, response.content
    demo = Demonstration.objects.get()

    # Guests added on the demonstration's page.
    response = client_admin.post(
        reverse("admin:orders_demonstration_change", args=[demo.pk]),
        {
            "guests-TOTAL_FORMS": "2",
            "guests-INITIAL_FORMS": "0",
            "guests-MIN_NUM_FORMS": "0",
            "guests-MAX_NUM_FORMS": "1000",
            "guests-0-customer": gina.pk,
            "guests-1-customer": greta.pk,
            "orders-TOTAL_FORMS": "0",
            "orders-INITIAL_FORMS": "0",
            "orders-MIN_NUM_FORMS": "0",
            "orders-MAX_NUM_FORMS": "1000",
            "_continue": "1",
        },
    )
    assert response.status_code == 302, response.content
    assert set(demo.guests.values_list("customer_id", flat=True)) == {gina.pk, greta.pk}

    def record(customer, *lines, **extra):
        data = {
            "demonstration": demo.pk,
            "customer": customer.pk,
            "purpose": "customer",
            "lines-TOTAL_FORMS": "5",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "50",
        }
        for i, (product, quantity) in enumerate(lines):
            data[f"lines-{i}-product"] = product.pk
            data[f"lines-{i}-quantity"] = quantity
        data.update(extra)
        return client_admin.post(reverse("admin:orders_order_add"), data)

    assert record(gina, (mixer, 1)).status_code == 302
    assert record(greta, (bowl, 4), paid="on").status_code == 302
    assert record(host, (bowl, 2)).status_code == 302
    # The QPS and the rewards it earns show as the orders come in: 250 + 120 + 60 = 430.
    page = client_admin.get(reverse("admin:orders_demonstration_change", args=[demo.pk]))
    assert b"430.00" in page.content and b"43.00 host credit, 1 half-price item(s)" in page.content

    # A mistake is shown on the form: zero units.
    bad = record(gina, (bowl, 0))
    assert bad.status_code == 200 and b"Ensure this value is greater than or equal to 1" in bad.content

    response = client_admin.post(
        reverse("admin:orders_demonstration_changelist"), {"action": "close", "_selected_action": [demo.pk]}
    )
    assert response.status_code == 302
    demo.refresh_from_db()
    assert (demo.status, demo.qps) == ("closed", Decimal("430.00"))
    assert set(demo.orders.values_list("status", flat=True)) == {OrderStatus.PAID}
    voucher = HostCredit.objects.get(demonstration=demo)
    assert (voucher.amount, voucher.half_price_items) == (Decimal("43.00"), 1)

    # The host redeems her credit and her half-price item in her next order.
    response = client_admin.post(
        reverse("admin:orders_order_add"),
        {
            "distributor": consultant.pk,
            "customer": host.pk,
            "purpose": "customer",
            "host_credit": voucher.pk,
            "paid": "on",
            "lines-TOTAL_FORMS": "5",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "50",
            "lines-0-product": mixer.pk,
            "lines-0-quantity": 1,
            "lines-0-half_price": 1,
        },
    )
    assert response.status_code == 302, response.content
    order = Order.objects.get(host_credit_redeemed__gt=0)
    assert order.host_credit_redeemed == Decimal("43.00")
    assert order.lines.get().unit_price == Decimal("82.00")  # 125.00 half price - 43.00 credit


def test_pay_and_cancel_actions_report_refusals(client_admin, consultant, customer, product):
    order = order_create(distributor=consultant, purpose="customer", customer=customer, lines=[(product, 1)])
    url = reverse("admin:orders_order_changelist")
    client_admin.post(url, {"action": "pay", "_selected_action": [order.pk]})
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    response = client_admin.post(url, {"action": "pay", "_selected_action": [order.pk]}, follow=True)
    assert b"not pending" in response.content


def test_the_order_page_formats_money_points_and_the_period_per_language(client_admin, consultant, customer):
    product = ProductFactory(
        sku="BIG-1",
        retail_price=Decimal("1249.50"),
        qv=Decimal("612.5"),
        cv=Decimal("1000"),
        vat_rate=Decimal("0.21"),
    )
    paid_at = dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC)  # 1 November in Amsterdam
    order = order_create(
        distributor=consultant, purpose="customer", customer=customer, lines=[(product, 2)], paid_at=paid_at
    )
    url = reverse("admin:orders_order_change", args=[order.pk])
    page = client_admin.get(url).content.decode()
    assert '<div class="readonly">€\u00a02,499.00</div>' in page  # total ex VAT
    assert '<div class="readonly">2026-11</div>' in page  # the commission period, not its first day
    assert "<p>612.5</p>" in page and "<p>21%</p>" in page  # QV per unit, VAT rate
    assert "<label>Return:</label>" in page  # no unlabeled row holding the button
    client_admin.cookies["django_language"] = "nl"
    assert '<div class="readonly">€\u00a02.499,00</div>' in client_admin.get(url).content.decode()
