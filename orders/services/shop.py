"""The shop: a customer orders online, without an account, through a distributor's shop or a
demonstration's shopping link, and may withdraw from the order within the cooling-off window.

An order placed here is an ordinary customer order (order_create prices it from the catalogue:
what the page posted as a price is never read), recorded pending until staff or a payment
provider records the payment with order_pay; through a demonstration's link it is a party order
and counts in the party's sales and host rewards. Its channel says where it came from.

Who the customer is, without telling the visitor whether the address is known (docs/privacy.md):
the distributor's own customer with that address orders as that customer; an address no one holds
becomes a new customer of the distributor; another distributor's customer stays with whoever first
brought them in, and the order is credited there (an ordinary order, not a party order); a
distributor's address is a member of that distributor's household (household_of: a customer who
never counts for the customer requirement), without the address on the customer. Every case shows
the visitor the same confirmation page and sends the same mail: both name the shop the visitor
used (Order.shop_distributor) and its cooling-off period, never the distributor credited.

A checkout form carries a one-time token (`submission`): a double click or a re-sent POST finds
the order the first one placed (Order.shop_submission, taken under a lock), and places nothing.
The confirmation is sent at most once per order (Order.confirmation_sent_at, claimed before sending).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.errors import ApplicationError, Conflict, NotFound
from core.locks import advisory_xact_lock, email_claim_lock
from core.services import audit_record
from distributors.models import Distributor, DistributorStatus
from orders.models import (
    Customer,
    Demonstration,
    DemonstrationStatus,
    Order,
    OrderChannel,
    OrderPurpose,
    OrderStatus,
)
from orders.rules import current_rules
from orders.selectors.shop import shop_catalogue, shop_order_for_submission, shop_order_view
from orders.shop_links import address_matches, read_shop_order_token, shop_order_url, shop_withdrawal_url

from .customers import customer_contact_consent_request, customer_register
from .orders import OrderQuote, order_cancel, order_create, order_quote

logger = logging.getLogger(__name__)

# At most this many units of one product in a shop order: a public form is no wholesale channel.
SHOP_MAX_QUANTITY = 20
SHOP_CHANNELS = (OrderChannel.SHOP, OrderChannel.DEMONSTRATION_LINK)
WITHDRAWAL_REASON = "withdrawal by the customer (shop link)"
# The checkout form's one-time token (portal.submissions.new_token's shape); anything else is ignored.
SUBMISSION = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class ShopContact:
    """What the customer types at checkout."""

    first_name: str
    last_name: str
    email: str
    phone: str
    delivery_address: str


def _checked_lines(lines: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The wanted lines, refused unless each is a product the shop sells in a bounded quantity."""
    sold = {product.pk for product in shop_catalogue()}
    wanted = [(product_id, quantity) for product_id, quantity in lines if quantity]
    if not wanted:
        raise ApplicationError(_("Choose at least one product."), field="lines")
    for product_id, quantity in wanted:
        if product_id not in sold:
            raise ApplicationError(_("One of the products is not sold in this shop."), field="lines")
        if not 0 < quantity <= SHOP_MAX_QUANTITY:
            raise ApplicationError(
                _("Order between 1 and %(most)s of a product.") % {"most": SHOP_MAX_QUANTITY}, field="lines"
            )
    return wanted


def _checked_contact(contact: ShopContact) -> ShopContact:
    email = contact.email.strip().lower()
    if not email:
        raise ApplicationError(_("Give your e-mail address."), field="email")
    if not (contact.first_name.strip() or contact.last_name.strip()):
        raise ApplicationError(_("Give your name."), field="last_name")
    if not contact.delivery_address.strip():
        raise ApplicationError(_("Give the delivery address."), field="delivery_address")
    return ShopContact(
        first_name=contact.first_name.strip(),
        last_name=contact.last_name.strip(),
        email=email,
        phone=contact.phone.strip(),
        delivery_address=contact.delivery_address.strip(),
    )


def _shop_customer(
    distributor: Distributor, contact: ShopContact, *, contact_consent: str, language: str | None
) -> Customer:
    """The customer the order is for (the module's docstring); the answer never differs to the visitor."""
    email = contact.email
    email_claim_lock(email)
    own = Customer.objects.filter(distributor=distributor, email__iexact=email).first()
    if own is not None:
        if contact_consent:
            customer_contact_consent_request(
                distributor=distributor, email=email, contact_consent=contact_consent, language=language
            )
        return own
    other = (
        Customer.objects.filter(email__iexact=email)
        .exclude(distributor__status=DistributorStatus.TERMINATED)
        .select_related("distributor")
        .first()
    )
    if other is not None:
        logger.info("shop: an address held by another distributor's customer, shop=%s", distributor.pk)
        return other
    holder = Distributor.objects.filter(email__iexact=email).first()
    held = holder is not None or Customer.objects.filter(email__iexact=email).exists()
    return customer_register(
        distributor=distributor,
        first_name=contact.first_name,
        last_name=contact.last_name,
        # An address someone holds stays theirs: the order keeps it as its contact address only.
        email="" if held else email,
        phone=contact.phone,
        household_of=holder,
        contact_consent="" if held else contact_consent,
        language=language,
    )


def shop_quote(
    *, distributor: Distributor, demonstration: Demonstration | None = None, lines: list[tuple[int, int]]
) -> OrderQuote:
    """The shop's "Calculate the total": the lines checked as at checkout and priced by
    order_quote, the rule order_create charges by (for a customer not known yet: the price of a
    customer order does not depend on who the customer is)."""
    wanted = _checked_lines(lines)
    return order_quote(
        distributor=distributor,
        purpose=OrderPurpose.CUSTOMER,
        customer=Customer(distributor=distributor),  # unsaved: only "a customer of this shop"
        demonstration=demonstration,
        lines=wanted,
    )


@transaction.atomic
def shop_order_place(
    *,
    distributor: Distributor | None = None,
    demonstration: Demonstration | None = None,
    lines: list[tuple[int, int]],
    contact: ShopContact,
    contact_consent: str = "",
    withdrawal_acknowledged: bool = False,
    language: str | None = None,
    submission: str = "",
) -> Order:
    """Place a shop order: through `distributor`'s shop, or `demonstration`'s shopping link.

    `lines` are (product id, quantity); prices come from the catalogue. `contact_consent` is the
    words of the consent to be contacted the customer ticked (empty when not), confirmed from the
    address as on the referral page. The customer must have acknowledged the withdrawal
    information. The confirmation goes to the address once the order is committed.

    `submission` is the form's one-time token: when an order of this shop was placed with it, that
    order is returned and nothing else happens (a repeat of the same POST).
    """
    if (distributor is None) == (demonstration is None):
        raise ApplicationError(_("Name either the shop's distributor or the demonstration."))
    if not withdrawal_acknowledged:
        raise ApplicationError(
            _("Confirm that you have read the information on your right of withdrawal."),
            field="withdrawal_acknowledged",
        )
    if demonstration is not None:
        demonstration = Demonstration.objects.select_related("consultant").get(pk=demonstration.pk)
        if demonstration.status != DemonstrationStatus.PLANNED:
            raise Conflict(_("This demonstration is over; it takes no more orders."), field="demonstration")
        distributor = demonstration.consultant
    assert distributor is not None
    if distributor.status == DistributorStatus.TERMINATED:
        raise NotFound(_("This shop is closed."))
    submission = submission if SUBMISSION.fullmatch(submission) else ""
    if submission:
        # A repeat waits here for the first POST to commit, then finds its order.
        advisory_xact_lock(f"shop-submission:{submission}")
        placed = shop_order_for_submission(submission=submission, shop=distributor)
        if placed is not None:
            return placed
    wanted = _checked_lines(lines)
    contact = _checked_contact(contact)
    language = language or translation.get_language() or settings.LANGUAGE_CODE

    customer = _shop_customer(distributor, contact, contact_consent=contact_consent, language=language)
    credited = customer.distributor
    at_party = demonstration if demonstration is not None and credited.pk == distributor.pk else None
    order = order_create(
        distributor=credited,
        purpose=OrderPurpose.CUSTOMER,
        customer=customer,
        demonstration=at_party,
        lines=wanted,
    )
    order.channel = OrderChannel.DEMONSTRATION_LINK if at_party is not None else OrderChannel.SHOP
    order.contact_email = contact.email
    order.delivery_address = contact.delivery_address
    # What the visitor sees is this shop, whoever is credited (the module's docstring).
    order.shop_distributor = distributor
    order.shop_submission = submission or None
    order.save(
        update_fields=[
            "channel",
            "contact_email",
            "delivery_address",
            "shop_distributor",
            "shop_submission",
            "updated_at",
        ]
    )
    audit_record(
        actor=None,
        action="order.shop_place",
        target=order,
        data={
            "channel": order.channel,
            "shop": distributor.pk,
            "demonstration": demonstration.pk if demonstration is not None else None,
            # What the customer acknowledged before ordering (the page's withdrawal information).
            "withdrawal_information_acknowledged": True,
            "cooling_off_days": current_rules().cooling_off_days_for(distributor.country),
            "language": language,
        },
    )
    order_id = order.pk
    from orders.tasks import send_shop_order_confirmation

    # After commit: the worker must find the order; robust: a broker down never loses the order.
    transaction.on_commit(lambda: send_shop_order_confirmation.delay(order_id, language), robust=True)
    return order


def shop_order_confirmation_send(*, order_id: int, language: str) -> bool:
    """E-mail a shop order's confirmation: lines, total, how to pay, the withdrawal information and
    link; False when there is no address to send it to (erased since) or it was sent already.

    At most once per order, as the notifications app sends: confirmation_sent_at is claimed by a
    conditional UPDATE before the mail is handed over, so a task delivered again finds it claimed.
    A backend that raises did not send: the claim is released and the task's retry sends it. A
    worker killed between handing over and returning leaves it claimed (a missed mail rather than
    two); the order's page shows everything the mail does.
    """
    view = shop_order_view(order_id=order_id)
    if view is None or not view.order.contact_email:
        logger.info("shop confirmation for order %s not sent: no address", order_id)
        return False
    claimed = Order.objects.filter(pk=order_id, confirmation_sent_at__isnull=True).update(
        confirmation_sent_at=timezone.now()
    )
    if not claimed:
        logger.info("shop confirmation for order %s not sent: sent already", order_id)
        return False
    context = {
        "view": view,
        "order": view.order,
        "iban": settings.SEPA_DEBTOR_IBAN,
        "company": settings.SEPA_DEBTOR_NAME,
        "order_link": shop_order_url(view.order),
        "withdrawal_link": shop_withdrawal_url(view.order),
    }
    try:
        with translation.override(language):
            subject = " ".join(render_to_string("orders/email/shop_order_subject.txt", context).split())
            body = render_to_string("orders/email/shop_order_body.txt", context)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [view.order.contact_email])
    except Exception:  # not handed over: a later attempt (the task's retry) may send it
        Order.objects.filter(pk=order_id).update(confirmation_sent_at=None)
        raise
    return True


def shop_order_from_link(token: str) -> Order | None:
    """The shop order a link names, or None when it names none (tampered, erased, not a shop order)."""
    from orders.shop_links import ShopLinkInvalid

    try:
        order_id, check = read_shop_order_token(token)
    except ShopLinkInvalid:
        return None
    order = Order.objects.select_related("distributor", "demonstration").filter(pk=order_id).first()
    if order is None or order.channel not in SHOP_CHANNELS or not address_matches(order, check):
        return None
    return order


@transaction.atomic
def shop_order_withdraw(*, token: str, at: Any = None) -> Order:
    """The customer withdraws from a shop order through its link, within the cooling-off window.

    Applied by order_cancel: a pending order is cancelled, a paid one refunded in full while the
    window runs; after it, refused with the date it ended (the goods can then only be returned).
    """
    order = shop_order_from_link(token)
    if order is None:
        raise NotFound(_("This link names no order."))
    if order.status in (OrderStatus.CANCELLED, OrderStatus.RETURNED):
        raise Conflict(_("This order is already withdrawn or returned."))
    return order_cancel(order=order, reason=WITHDRAWAL_REASON, at=at)
