"""The shop: a customer orders online through a distributor's shop (/shop/<code>/) or a
demonstration's shopping link (/shop/party/<token>/), without an account, and may withdraw within
the cooling-off window through the signed link of the confirmation.

    root ─ anna (self) ─ anton ─ arie ─ aafke        bert (other leg) ─ bob        ursula (unrelated)

anna's product MIX-1 costs 100.00 ex VAT (121.00 with 21 % VAT); her party at carla's is planned.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core import mail, signing
from django.test import Client
from django.utils import timezone

from core.models import AuditEntry
from orders.models import Customer, Order, OrderChannel, OrderStatus, Product, Return
from orders.selectors.demonstrations import demonstration_summary
from orders.services import demonstration_cancel, demonstration_close, order_pay
from orders.services.shop import shop_order_from_link
from orders.shop_links import demonstration_shop_token, read_demonstration_shop_token, shop_order_token
from portal.host_links import host_link_token

pytestmark = pytest.mark.django_db

SITE = "https://shop.example.nl"
CHECKOUT = {
    "first_name": "Vera",
    "last_name": "Visser",
    "email": "Vera@Example.nl",
    "phone": "+31 6 1111 2222",
    "street": "Dorpsstraat 1",
    "postcode": "1234 AB",
    "city": "Utrecht",
    "country": "Nederland",
    "withdrawal_acknowledged": "on",
    "action": "order",
}


@pytest.fixture(autouse=True)
def _shop_settings(settings):
    settings.PUBLIC_URL = SITE + "/"
    settings.DEFAULT_FROM_EMAIL = "Backoffice <noreply@example.nl>"
    settings.SEPA_DEBTOR_IBAN = "NL02ABNA0123456789"
    settings.SEPA_DEBTOR_NAME = "Backoffice Demo B.V."
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def checkout(net, django_capture_on_commit_callbacks):
    """Post a shop page as a visitor, after-commit callbacks run (the confirmation mail)."""

    def post(url: str | None = None, client: Client | None = None, **fields):
        url = url or f"/shop/{net.anna.referral_code}/"
        data = {**CHECKOUT, f"qty_{net.product.pk}": "2", **fields}
        data = {key: value for key, value in data.items() if value is not None}
        with django_capture_on_commit_callbacks(execute=True):
            return (client or Client()).post(url, data)

    return post


def party_url(demonstration) -> str:
    return f"/shop/party/{demonstration_shop_token(demonstration)}/"


def shop_orders():
    return Order.objects.filter(channel__in=[OrderChannel.SHOP, OrderChannel.DEMONSTRATION_LINK])


# --- The shop page


def test_the_shop_shows_the_distributor_and_prices_with_vat(net):
    response = Client().get(f"/shop/{net.anna.referral_code.lower()}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Anna Vries" in page and "Kitchen machine" in page and "121.00" in page
    assert "right of withdrawal" in page and "Model withdrawal form" in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_an_unknown_code_is_not_found(net):
    assert Client().get("/shop/NOSUCH99/").status_code == 404


def test_non_commissionable_products_are_not_sold_in_the_shop(net):
    Product.objects.create(
        sku="KIT", name="Starter kit", retail_price=Decimal("50"), wholesale_price=Decimal("50"),
        qv=Decimal("0"), cv=Decimal("0"), commissionable=False,
    )  # fmt: skip
    assert "Starter kit" not in Client().get(f"/shop/{net.anna.referral_code}/").content.decode()


def test_calculating_the_total_orders_nothing(net, checkout):
    response = checkout(action="quote")
    assert response.status_code == 200
    assert "Total €\xa0242.00, of which VAT €\xa042.00" in response.content.decode()
    assert not shop_orders().exists()


# --- Placing an order


def test_an_order_through_the_shop_is_a_pending_customer_order_of_the_distributor(net, checkout):
    before = timezone.now()
    response = checkout()
    order = shop_orders().get()
    assert response.status_code == 302 and response["Location"].startswith("/shop/order/")
    assert shop_order_from_link(response["Location"].split("/")[3]) == order
    assert order.distributor == net.anna and order.purpose == "customer"
    assert order.status == OrderStatus.PENDING and order.paid_at is None and order.demonstration is None
    assert order.channel == OrderChannel.SHOP
    assert order.contact_email == "vera@example.nl"
    assert order.delivery_address == "Dorpsstraat 1\n1234 AB Utrecht\nNederland"
    line = order.lines.get()
    assert (line.quantity, line.unit_price, line.vat_rate) == (2, Decimal("100.00"), Decimal("0.2100"))
    vera = order.customer
    assert (vera.distributor, vera.email, vera.first_name, vera.phone) == (
        net.anna, "vera@example.nl", "Vera", "+31 6 1111 2222",
    )  # fmt: skip
    assert vera.contact_consent_requested_at is None  # not ticked: nothing asked
    entry = AuditEntry.objects.get(action="order.shop_place", target_id=str(order.pk))
    assert entry.data["withdrawal_information_acknowledged"] is True and entry.data["cooling_off_days"] == 14
    assert entry.created_at >= before


def test_the_confirmation_page_says_how_to_pay_and_links_the_withdrawal(net, checkout):
    response = checkout()
    order = shop_orders().get()
    page = Client().get(response["Location"]).content.decode()
    assert order.number in page and "NL02ABNA0123456789" in page and "€\xa0242.00" in page
    assert f"{response['Location']}withdraw/" in page


def test_the_confirmation_mail_carries_the_withdrawal_information_and_link(net, checkout):
    checkout()
    order = shop_orders().get()
    (message,) = mail.outbox
    assert message.to == ["vera@example.nl"] and order.number in message.subject
    assert "14 days" in message.body and "NL02ABNA0123456789" in message.body
    token = re.search(rf"{re.escape(SITE)}/shop/order/([^/\s]+)/withdraw/", message.body).group(1)
    assert shop_order_from_link(token) == order


def test_the_consent_to_be_contacted_is_asked_only_when_ticked(net, checkout):
    checkout(consent="on")
    vera = Customer.objects.get(email="vera@example.nl")
    assert vera.contact_consent_requested_at is not None and vera.contact_consent_at is None
    assert any("/join/confirm/" in message.body for message in mail.outbox)


def test_the_distributors_own_customer_orders_as_that_customer(net, checkout):
    gijs = net.owned["anna"].guest
    checkout(email=gijs.email.upper(), first_name="Someone", last_name="Else")
    order = shop_orders().get()
    assert order.customer == gijs and order.distributor == net.anna
    gijs.refresh_from_db()
    assert gijs.first_name == "Gijs"  # the checkout never overwrites the customer's data


def test_another_distributors_customer_stays_theirs_and_the_page_says_the_same(net, checkout):
    bert_guest = net.owned["bert"].guest
    response = checkout(email=bert_guest.email)
    order = shop_orders().get()
    assert response.status_code == 302
    assert order.customer == bert_guest and order.distributor == net.bert
    assert Customer.objects.filter(email__iexact=bert_guest.email).count() == 1


def test_a_distributors_address_orders_as_a_household_member_without_the_address(net, checkout):
    response = checkout(email=net.bob.email)
    order = shop_orders().get()
    assert response.status_code == 302
    assert order.distributor == net.anna and order.contact_email == net.bob.email
    assert order.customer.email == "" and order.customer.household_of == net.bob


# --- The demonstration's shopping link


def test_an_order_through_the_partys_link_counts_for_the_party_and_its_host(net, checkout):
    party = net.owned["anna"].demonstration
    before = demonstration_summary(demonstration=party).qps
    response = checkout(url=party_url(party))
    assert response.status_code == 302
    order = shop_orders().get()
    assert order.channel == OrderChannel.DEMONSTRATION_LINK and order.demonstration == party
    assert order.distributor == net.anna and order.status == OrderStatus.PENDING
    summary = demonstration_summary(demonstration=party)
    assert order in summary.orders and summary.qps == before + Decimal("200.00")
    assert order.customer in [guest.customer for guest in summary.guests]
    demonstration_close(demonstration=party)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    party.refresh_from_db()
    assert party.qps == summary.qps and party.host_credit.amount > 0


def test_the_partys_link_page_names_the_party(net):
    party = net.owned["anna"].demonstration
    page = Client().get(party_url(party)).content.decode()
    assert "Order for the party at Carla" in page


def test_a_closed_or_cancelled_partys_link_says_it_is_over_and_takes_no_order(net, checkout):
    party = net.owned["anna"].demonstration
    url = party_url(party)
    demonstration_cancel(demonstration=party, reason="ill")
    assert Client().get(url).status_code == 410
    response = checkout(url=url)
    assert response.status_code == 410 and "called off" in response.content.decode()
    assert not shop_orders().exists()


def test_a_tampered_or_foreign_token_is_not_found(net):
    party = net.owned["anna"].demonstration
    token = demonstration_shop_token(party)
    assert Client().get(f"/shop/party/{token[:-2]}xx/").status_code == 404
    assert Client().get(f"/shop/party/{host_link_token(party)}/").status_code == 404
    forged = signing.dumps({"d": party.pk, "u": 4102444800}, salt="portal.host-link", compress=True)
    assert Client().get(f"/shop/party/{forged}/").status_code == 404


def test_an_expired_partys_link_says_so(net, monkeypatch):
    party = net.owned["anna"].demonstration
    url = party_url(party)
    later = timezone.now() + dt.timedelta(days=8)
    monkeypatch.setattr("orders.shop_links.timezone.now", lambda: later)
    response = Client().get(url)
    assert response.status_code == 410 and "expired" in response.content.decode()


# --- Abuse: prices, quantities, bad input, rate limit, CSRF


def test_a_posted_price_is_never_read(net, checkout):
    checkout(price="0.01", **{f"price_{net.product.pk}": "0.01", "total": "0.01"})
    line = shop_orders().get().lines.get()
    assert line.unit_price == Decimal("100.00")


@pytest.mark.parametrize("quantity", ["21", "-1", "1.5", "many"])
def test_quantities_are_bounded(net, checkout, quantity):
    response = checkout(**{f"qty_{net.product.pk}": quantity})
    assert response.status_code == 200
    assert not shop_orders().exists() and not Customer.objects.filter(email="vera@example.nl").exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"email": "not-an-address"},
        {"street": ""},
        {"withdrawal_acknowledged": None},
        {"qty_placeholder": None},  # no product chosen (quantity 0 below)
    ],
)
def test_bad_input_is_a_form_error_and_creates_nothing(net, checkout, fields):
    if "qty_placeholder" in fields:
        fields = {f"qty_{net.product.pk}": "0"}
    response = checkout(**fields)
    assert (
        response.status_code == 200
        and 'class="error"' in response.content.decode()
        or ("form-errors" in response.content.decode())
    )
    assert not shop_orders().exists()
    assert not Customer.objects.filter(email="vera@example.nl").exists()
    assert mail.outbox == []


def test_an_inactive_product_is_refused_and_nothing_is_created(net, checkout):
    client = Client()
    page = client.get(f"/shop/{net.anna.referral_code}/")
    assert page.status_code == 200
    Product.objects.filter(pk=net.product.pk).update(is_active=False)
    response = checkout(client=client)
    assert response.status_code == 200
    assert not shop_orders().exists() and not Customer.objects.filter(email="vera@example.nl").exists()


def test_placing_orders_is_rate_limited_per_address(net, checkout):
    for number in range(10):
        assert checkout(email=f"v{number}@example.nl").status_code == 302
    response = checkout(email="v10@example.nl")
    assert response.status_code == 200 and "Too many orders" in response.content.decode()
    assert shop_orders().count() == 10


def test_the_checkout_needs_the_csrf_token(net):
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/shop/{net.anna.referral_code}/", {**CHECKOUT, f"qty_{net.product.pk}": "1"})
    assert response.status_code == 403 and not shop_orders().exists()


# --- Withdrawal


def withdraw_url(order) -> str:
    return f"/shop/order/{shop_order_token(order)}/withdraw/"


def test_a_pending_order_is_withdrawn_by_its_link(net, checkout):
    checkout()
    order = shop_orders().get()
    page = Client().get(withdraw_url(order))
    assert page.status_code == 200 and order.status == OrderStatus.PENDING  # a GET withdraws nothing
    response = Client().post(withdraw_url(order))
    order.refresh_from_db()
    assert response.status_code == 200 and order.status == OrderStatus.CANCELLED
    assert "nothing to pay" in response.content.decode()


def test_a_paid_order_is_refunded_within_the_window(net, checkout):
    checkout()
    order = order_pay(order=shop_orders().get())
    Client().post(withdraw_url(order))
    order.refresh_from_db()
    refund = Return.objects.get(order=order)
    assert order.status == OrderStatus.CANCELLED
    assert (refund.kind, refund.refund_amount) == ("cancellation", Decimal("200.00"))


def test_a_withdrawal_after_the_window_is_refused_with_a_clear_message(net, checkout):
    checkout()
    order = order_pay(order=shop_orders().get(), paid_at=timezone.now() - dt.timedelta(days=15))
    response = Client().post(withdraw_url(order))
    order.refresh_from_db()
    assert response.status_code == 409 and order.status == OrderStatus.PAID
    assert "cooling-off window" in response.content.decode()
    assert not Return.objects.filter(order=order).exists()


def test_a_withdrawal_link_of_another_order_or_a_changed_address_fails(net, checkout):
    checkout()
    order = shop_orders().get()
    token = shop_order_token(order)
    assert Client().post(f"/shop/order/{token[:-3]}abc/withdraw/").status_code == 404
    Order.objects.filter(pk=order.pk).update(contact_email="someone@example.nl")
    assert Client().get(f"/shop/order/{token}/").status_code == 404
    # An order entered by the distributor has no shop link at all.
    pending = net.owned["anna"].pending_order
    forged = signing.dumps({"o": pending.pk, "a": "x"}, salt="orders.shop-order", compress=True)
    assert Client().get(f"/shop/order/{forged}/").status_code == 404


# --- The distributor's side


def test_my_shop_page_shows_my_link_and_its_qr_code(net, portal):
    page = portal().get("/portal/me/shop/").content.decode()
    assert f"{SITE}/shop/{net.anna.referral_code}/" in page and "<svg" in page


def test_the_demonstration_page_shows_its_shopping_link(net, portal):
    party = net.owned["anna"].demonstration
    page = portal().get(f"/portal/demonstrations/{party.pk}/").content.decode()
    token = re.search(rf'value="{re.escape(SITE)}/shop/party/([^/"]+)/"', page).group(1)
    assert read_demonstration_shop_token(token) == party.pk


def test_shop_orders_show_their_channel_in_my_orders(net, portal, checkout):
    checkout()
    page = portal().get("/portal/orders/").content.decode()
    assert "Online shop" in page


def test_the_api_gives_my_shop_link_and_the_partys_link(net, api, checkout):
    response = api("anna").get("/api/v1/me/shop-link/")
    assert response.status_code == 200
    assert response.json() == {
        "url": f"{SITE}/shop/{net.anna.referral_code}/",
        "referral_code": net.anna.referral_code,
        "cooling_off_days": 14,
    }
    party = net.owned["anna"].demonstration
    data = api("anna").get(f"/api/v1/demonstrations/{party.pk}/").json()
    token = data["shopping_link"].removeprefix(f"{SITE}/shop/party/").removesuffix("/")
    assert read_demonstration_shop_token(token) == party.pk
    checkout()
    orders = api("anna").get("/api/v1/orders/").json()["results"]
    assert {row["channel"] for row in orders} == {"shop", "direct"}
    assert api(None).get("/api/v1/me/shop-link/").status_code == 401


def test_a_re_quoted_total_matches_the_order(net, checkout):
    checkout(**{f"qty_{net.product.pk}": "3"})
    order = shop_orders().get()
    page = Client().get(f"/shop/order/{shop_order_token(order)}/").content.decode()
    assert re.search(r"Total €\xa0363\.00, of which VAT €\xa063\.00", page)


# --- Review fixes: who holds an address never shows; one order per form; one rule for the
# total; one confirmation per order


def _same_for_every_address(text: str, order: Order) -> str:
    """The page or mail with what legitimately differs per order (number, address, tokens) blanked."""
    text = text.replace(order.number, "<number>").replace(order.contact_email, "<email>")
    text = re.sub(r"/shop/order/[^/\"\s]+/", "/shop/order/<token>/", text)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "<csrf>", text)


def test_the_page_and_the_mail_do_not_tell_whose_customer_an_address_is(net, checkout, settings):
    """Ordering in Anna's shop with a new address, her customer's or Bert's shows the visitor the
    same pages and sends the same mail: Anna's shop and its cooling-off period, never Bert."""
    settings.COOLING_OFF_DAYS_BY_COUNTRY = {"BE": 30}
    type(net.bert).objects.filter(pk=net.bert.pk).update(country="BE")
    seen = []
    for email in ["new@example.nl", net.owned["anna"].guest.email, net.owned["bert"].guest.email]:
        mail.outbox.clear()
        response = checkout(email=email)
        assert response.status_code == 302
        order = Order.objects.get(pk=shop_order_from_link(response["Location"].split("/")[3]).pk)
        page = Client().get(response["Location"]).content.decode()
        withdrawal = Client().get(f"{response['Location']}withdraw/").content.decode()
        (message,) = mail.outbox
        texts = (page, withdrawal, message.subject, message.body)
        seen.append(tuple(_same_for_every_address(text, order) for text in texts))
        assert order.shop_distributor == net.anna
    # Bert's customer stays his: the order is still credited to him, invisibly.
    assert Order.objects.filter(channel=OrderChannel.SHOP, distributor=net.bert).count() == 1
    assert seen[0] == seen[1] == seen[2]
    page, withdrawal, _subject, body = seen[0]
    for text in (page, withdrawal, body):
        assert "The shop of Anna Vries" in text and "Bert" not in text
        assert "14 days" in text and "30 days" not in text


def test_a_shop_order_credited_elsewhere_keeps_the_shops_cooling_off_period(net, checkout, settings):
    settings.COOLING_OFF_DAYS_BY_COUNTRY = {"BE": 30}
    type(net.bert).objects.filter(pk=net.bert.pk).update(country="BE")
    checkout(email=net.owned["bert"].guest.email)
    order = order_pay(order=shop_orders().get(), paid_at=timezone.now() - dt.timedelta(days=20))
    assert order.distributor == net.bert
    response = Client().post(withdraw_url(order))
    order.refresh_from_db()
    assert response.status_code == 409 and order.status == OrderStatus.PAID  # 14 days (NL), not 30 (BE)


def _submission(net) -> str:
    page = Client().get(f"/shop/{net.anna.referral_code}/").content.decode()
    return re.search(r'name="submission" value="([0-9a-f]{32})"', page).group(1)


def test_sending_the_checkout_form_twice_places_one_order_and_sends_one_mail(net, checkout):
    submission = _submission(net)
    first = checkout(submission=submission)
    again = checkout(submission=submission)
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    assert shop_orders().count() == 1 and len(mail.outbox) == 1
    assert checkout(submission=_submission(net)).status_code == 302  # a new form is a new order
    assert shop_orders().count() == 2


def test_the_token_survives_calculating_the_total(net, checkout):
    submission = _submission(net)
    page = checkout(submission=submission, action="quote").content.decode()
    assert f'name="submission" value="{submission}"' in page


def test_a_repeated_submission_in_the_service_returns_the_first_order(net):
    from orders.services.shop import ShopContact, shop_order_place

    contact = ShopContact(
        first_name="Vera", last_name="Visser", email="vera@example.nl", phone="", delivery_address="Dorp 1"
    )
    place = dict(
        distributor=net.anna, lines=[(net.product.pk, 1)], contact=contact, withdrawal_acknowledged=True,
        submission="a" * 32,
    )  # fmt: skip
    assert shop_order_place(**place) == shop_order_place(**place)
    assert shop_orders().count() == 1


def test_calculating_the_total_uses_the_orders_own_quote(net, checkout, monkeypatch):
    """One rule: whatever order_quote charges (here a changed price rule) is what the page shows."""
    from orders.services import orders as order_services

    price_lines = order_services._price_lines

    def discounted(*args, **kwargs):
        return [
            type(line)(**{**vars(line), "unit_price": line.unit_price - Decimal("10.00")})
            for line in price_lines(*args, **kwargs)
        ]

    monkeypatch.setattr(order_services, "_price_lines", discounted)
    page = checkout(action="quote").content.decode()
    checkout()
    order = shop_orders().get()
    assert order.lines.get().unit_price == Decimal("90.00")
    assert "Total €\xa0217.80, of which VAT €\xa037.80" in page


def test_the_confirmation_is_sent_once_per_order(net, checkout):
    from orders.tasks import send_shop_order_confirmation

    checkout()
    order = shop_orders().get()
    assert len(mail.outbox) == 1
    assert order.confirmation_sent_at is not None
    assert send_shop_order_confirmation(order.pk, "en") is False  # a task delivered again
    assert len(mail.outbox) == 1


def test_a_confirmation_the_mail_server_refused_is_sent_by_the_retry(net, checkout, monkeypatch):
    from orders.services.shop import shop_order_confirmation_send

    def refused(*args, **kwargs):
        raise ConnectionError("mail server down")

    monkeypatch.setattr("orders.services.shop.send_mail", refused)
    try:
        checkout()  # the order is committed whatever the mail does
    except ConnectionError:
        pass
    order = shop_orders().get()
    assert order.confirmation_sent_at is None and mail.outbox == []
    monkeypatch.undo()
    assert shop_order_confirmation_send(order_id=order.pk, language="en") is True
    assert len(mail.outbox) == 1
