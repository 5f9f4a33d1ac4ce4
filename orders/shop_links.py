"""The shop's addresses: a distributor's shop, a demonstration's signed shopping link, and the
signed link with which a customer follows and withdraws from a shop order.

A distributor's shop is /shop/<referral code>/: public, like their referral link. A
demonstration's shopping link carries a token signed with the project's SECRET_KEY and a salt of
its own (a host link or any other token never passes), naming the demonstration and the moment it
expires: a week after the party was held, or after its close when that came later (as the host
link, portal/host_links.py). An order's link names the order and is tied to the address its
confirmation went to, without putting the address in the link; it does not expire (the
withdrawal window decides what it still allows). Nothing in a token is secret but its signature,
and nothing is stored. The tokens carry no signing time (a Signer, not signing.dumps), so a link
is the same every time it is made: the API's representation of a demonstration (and its ETag)
does not change from one second to the next.
"""

from __future__ import annotations

import datetime as dt

from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from core.accounts.mail import public_url
from orders.models import Demonstration, Order

DEMONSTRATION_SALT = "orders.demonstration-shop"
ORDER_SALT = "orders.shop-order"
# How long after the party (or its close) the link opens; a closed party's link says so.
VALID_AFTER = dt.timedelta(days=7)


class ShopLinkInvalid(Exception):
    """Not a link we signed (tampered, truncated, or signed for something else)."""


class ShopLinkExpired(Exception):
    """A link we signed whose time is over."""


def shop_url(referral_code: str) -> str:
    """The distributor's shop on the public address of the site."""
    return public_url(reverse("shop", kwargs={"code": referral_code}))


def demonstration_shop_expires(demonstration: Demonstration) -> dt.datetime:
    held_or_closed = max(demonstration.held_at, demonstration.closed_at or demonstration.held_at)
    return held_or_closed + VALID_AFTER


def demonstration_shop_token(demonstration: Demonstration) -> str:
    until = int(demonstration_shop_expires(demonstration).timestamp())
    return signing.Signer(salt=DEMONSTRATION_SALT).sign_object(
        {"d": demonstration.pk, "u": until}, compress=True
    )


def demonstration_shop_url(demonstration: Demonstration) -> str:
    token = demonstration_shop_token(demonstration)
    return public_url(reverse("shop-demonstration", kwargs={"token": token}))


def read_demonstration_shop_token(token: str, *, now: dt.datetime | None = None) -> int:
    """The id of the demonstration a shopping link names; ShopLinkInvalid or ShopLinkExpired."""
    try:
        payload = signing.Signer(salt=DEMONSTRATION_SALT).unsign_object(token)
        demonstration_id, until = int(payload["d"]), int(payload["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise ShopLinkInvalid from error
    if (now or timezone.now()).timestamp() > until:
        raise ShopLinkExpired
    return demonstration_id


def _address_check(order_id: int, email: str) -> str:
    return salted_hmac(ORDER_SALT, f"{order_id}:{email.strip().lower()}").hexdigest()[:20]


def shop_order_token(order: Order) -> str:
    """The token of a shop order's own page (its confirmation, and the withdrawal from it)."""
    if not order.contact_email:
        raise ValueError("not a shop order, or its contact data was erased")
    return signing.Signer(salt=ORDER_SALT).sign_object(
        {"o": order.pk, "a": _address_check(order.pk, order.contact_email)}, compress=True
    )


def shop_order_url(order: Order) -> str:
    return public_url(reverse("shop-order", kwargs={"token": shop_order_token(order)}))


def shop_withdrawal_url(order: Order) -> str:
    return public_url(reverse("shop-withdraw", kwargs={"token": shop_order_token(order)}))


def read_shop_order_token(token: str) -> tuple[int, str]:
    """(order id, address check) of an order link; ShopLinkInvalid when it is not one of ours."""
    try:
        payload = signing.Signer(salt=ORDER_SALT).unsign_object(token)
        return int(payload["o"]), str(payload["a"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise ShopLinkInvalid from error


def address_matches(order: Order, check: str) -> bool:
    """Whether a link's address check is this order's (an erased order's never is)."""
    return bool(order.contact_email) and constant_time_compare(
        check, _address_check(order.pk, order.contact_email)
    )
