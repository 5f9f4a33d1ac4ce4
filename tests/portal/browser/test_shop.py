"""A customer orders on a phone through a party's shopping link, without an account, and the order
counts for the party; the pages pass the audit (no overflow at 375 px, axe, CSP)."""

from __future__ import annotations

import re

from django.core import mail

from orders.models import Order, OrderChannel, OrderStatus
from orders.shop_links import demonstration_shop_token
from tests.portal.browser.conftest import PHONE, audit


def test_a_guest_orders_through_the_partys_link_on_a_phone_and_withdraws(bnet, open_portal, settings):
    settings.SEPA_DEBTOR_IBAN = "NL02ABNA0123456789"
    party = bnet.owned["anna"].demonstration
    shop = open_portal(width=PHONE)
    shop.goto(f"/shop/party/{demonstration_shop_token(party)}/")
    problems = audit(shop, "shop-party", width=PHONE)
    page = shop.page
    page.locator(f"input[name=qty_{bnet.product.pk}]").fill("2")
    page.get_by_role("button", name="Calculate the total").click()
    page.wait_for_load_state()
    assert "Total € 242.00, of which VAT € 42.00" in page.locator(".shop-basket").inner_text().replace(
        "\xa0", " "
    )
    page.get_by_label("First name").fill("Vera")
    page.get_by_label("Last name").fill("Visser")
    page.get_by_label("E-mail address").fill("vera@example.nl")
    page.get_by_label("Street and house number").fill("Dorpsstraat 1")
    page.get_by_label("Postcode").fill("1234 AB")
    page.get_by_label("Town or city").fill("Utrecht")
    page.get_by_label("I have read the information on my right of withdrawal.").check()
    page.get_by_role("button", name="Order with obligation to pay").click()
    page.wait_for_url(re.compile(r"/shop/order/[^/]+/$"))
    problems += audit(shop, "shop-confirmation", width=PHONE)

    order = Order.objects.get(channel=OrderChannel.DEMONSTRATION_LINK)
    assert order.demonstration_id == party.pk and order.distributor_id == bnet.anna.pk
    assert order.status == OrderStatus.PENDING and order.lines.get().quantity == 2
    assert "NL02ABNA0123456789" in page.content() and order.number in page.content()
    assert any(order.number in message.subject for message in mail.outbox)

    page.get_by_role("link", name="Withdraw from this order").click()
    page.wait_for_url(re.compile(r"/withdraw/$"))
    problems += audit(shop, "shop-withdraw", width=PHONE)
    page.get_by_role("button", name="Withdraw from this order").click()
    page.wait_for_load_state()
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert problems == []
