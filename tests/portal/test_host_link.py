"""The host link: a signed, expiring address that opens a party's figures without an account.

A valid link shows the sales so far and the rewards, with counts, never guests' names; a changed
link is 404 and never another party; an expired one says so (410).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from orders.services import demonstration_cancel, demonstration_close, order_create
from portal.host_links import (
    SALT,
    HostLinkExpired,
    HostLinkInvalid,
    host_link_expires,
    host_link_token,
    read_host_link,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(net):
    demonstration = net.owned["anna"].demonstration
    order_create(
        distributor=net.anna,
        purpose="customer",
        customer=net.owned["anna"].guest,
        demonstration=demonstration,
        lines=[("MIX-1", 3)],
    )
    return demonstration


def url(token: str) -> str:
    return f"/host/{token}/"


def test_a_valid_link_shows_the_partys_figures_without_an_account(demo):
    client = Client()
    response = client.get(url(host_link_token(demo)), HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 200
    live = response.context["live"]
    assert live.summary.demonstration == demo
    assert (live.summary.qps, live.summary.host_credit, live.order_count) == (
        Decimal("300.00"),
        Decimal("30.00"),
        1,
    )
    page = response.content.decode()
    assert (
        "€\xa0300,00" in page and "€\xa0200,00" in page
    )  # sales so far, and missing for the next tier (500)
    # Counts and totals only: no guest's or host's name, no place, no order number.
    for private in ("Gijs", "Carla", "Utrecht", "gijs.anna@example.nl", "PO-"):
        assert private not in page, private
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert not response.cookies  # no session, no CSRF cookie
    assert client.head(url(host_link_token(demo))).status_code == 200


def test_the_link_shows_the_voucher_after_the_close(demo):
    demonstration_close(demonstration=demo)
    demo.refresh_from_db()
    response = Client().get(url(host_link_token(demo)))
    assert response.status_code == 200
    assert response.context["live"].summary.voucher.amount == Decimal("30.00")
    assert "The party is closed" in response.content.decode()


def test_a_cancelled_party_says_so_and_shows_no_figures(demo):
    demonstration_cancel(demonstration=demo)
    demo.refresh_from_db()
    response = Client().get(url(host_link_token(demo)))
    assert response.status_code == 200
    assert "called off" in response.content.decode() and "300" not in response.content.decode()


def test_an_expired_link_says_so_with_410(demo, monkeypatch):
    token = host_link_token(demo)
    later = host_link_expires(demo) + dt.timedelta(minutes=1)
    monkeypatch.setattr("portal.host_links.timezone.now", lambda: later)
    response = Client().get(url(token))
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert "300" not in response.content.decode()


def test_the_link_expires_a_week_after_the_party_or_its_close(demo):
    assert host_link_expires(demo) == demo.held_at + dt.timedelta(days=7)
    token = host_link_token(demo)
    assert read_host_link(token)[0] == demo.pk
    with pytest.raises(HostLinkExpired):
        read_host_link(token, now=demo.held_at + dt.timedelta(days=7, seconds=1))
    demo.closed_at = demo.held_at + dt.timedelta(days=10)
    assert host_link_expires(demo) == demo.held_at + dt.timedelta(days=17)


def test_a_changed_link_is_404_and_never_another_party(net, demo):
    token = host_link_token(demo)
    other = net.owned["bert"].demonstration
    until = int((timezone.now() + dt.timedelta(days=1)).timestamp())
    forged = [
        token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature changed
        token.replace(
            token.split(":")[0], signing.b64_encode(b'{"d":%d,"u":%d}' % (other.pk, until)).decode()
        ),
        signing.dumps({"d": other.pk, "u": until}, salt="another.salt"),  # signed for something else
        signing.dumps({"d": other.pk}, salt=SALT),  # no expiry
        "nonsense",
    ]
    for bad in forged:
        with pytest.raises(HostLinkInvalid):
            read_host_link(bad)
        assert Client().get(url(bad)).status_code == 404, bad


def test_a_link_to_a_demonstration_that_is_gone_is_404(db):
    token = signing.dumps(
        {"d": 987654, "u": int(timezone.now().timestamp()) + 3600}, salt=SALT, compress=True
    )
    assert Client().get(url(token)).status_code == 404


def test_public_links_are_on_the_public_address(settings):
    from portal.links import public_url

    settings.PUBLIC_URL = "https://shop.example.com/"
    assert public_url("/host/abc/") == "https://shop.example.com/host/abc/"
    settings.PUBLIC_URL = "https://shop.example.com"
    assert public_url("/join/X/") == "https://shop.example.com/join/X/"
