"""Personal data of an end customer (GDPR, compliance.md item 8): export and erasure.

Erasure pseudonymises the customer in place; their orders, returns, demonstrations and host
credit stay, because they are the distributor's and the company's financial records (kept 7
years in the Netherlands). Who may erase: staff, or the customer's own distributor acting on
the customer's request (the distributor is who the customer knows and asks); never another
distributor, the upline included.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, NotFound, PermissionDenied
from core.services import audit_pseudonymise_target, audit_record
from distributors.models import Distributor
from distributors.privacy import ERASED_FIRST_NAME, EXPORT_FORMAT, audit_entries, grouped, plain, rows
from orders.models import Customer, Demonstration, HostCredit, Order, OrderLine, Return, ReturnLine


def customer_personal_data(customer: Customer) -> dict[str, Any]:
    """Everything the back office holds about one customer, for their access request."""
    me = Customer.objects.select_related("distributor").filter(pk=customer.pk).first()
    if me is None:
        raise NotFound(_("The customer does not exist."), field="customer")
    seller = me.distributor

    lines = grouped(
        rows(
            OrderLine.objects.filter(order__customer=me).order_by("order_id", "id"),
            "order_id",
            "sku",
            "quantity",
            "unit_price",
            "vat_rate",
            "half_price",
        ),
        "order_id",
    )
    orders = rows(
        Order.objects.filter(customer=me).order_by("created_at", "id"),
        "id",
        "number",
        "status",
        "demonstration_id",
        "currency",
        "created_at",
        "paid_at",
        "cancelled_at",
        "host_credit_redeemed",
    )
    for order in orders:
        order["lines"] = lines.get(order["id"], [])

    return_lines = grouped(
        rows(
            ReturnLine.objects.filter(return_record__order__customer=me).order_by("id"),
            "quantity",
            "refund_amount",
            return_id="return_record_id",
            sku="order_line__sku",
        ),
        "return_id",
    )
    returns = rows(
        Return.objects.filter(order__customer=me).order_by("refunded_at", "id"),
        "id",
        "kind",
        "refunded_at",
        "refund_amount",
        "reason",
        order_number="order__number",
    )
    for record in returns:
        record["lines"] = return_lines.get(record["id"], [])

    demonstrations = [
        {**row, "role": "host" if row.pop("host_id") == me.pk else "guest"}
        for row in rows(
            Demonstration.objects.filter(Q(host=me) | Q(guests__customer=me))
            .distinct()
            .order_by("held_at", "id"),
            "id",
            "held_at",
            "place",
            "status",
            "closed_at",
            "host_id",
        )
    ]
    host_credits = rows(
        HostCredit.objects.filter(host=me).order_by("issued_at", "id"),
        "demonstration_id",
        "amount",
        "half_price_items",
        "issued_at",
        "expires_at",
        "redeemed_at",
        redeemed_order="redeemed_order__number",
    )

    return {
        "format": EXPORT_FORMAT,
        "generated_at": plain(timezone.now()),
        "subject": "customer",
        "profile": {
            "id": me.pk,
            "external_id": me.external_id,
            "first_name": me.first_name,
            "last_name": me.last_name,
            "email": me.email,
            "phone": me.phone,
            "kind": me.kind,
            "household_of": me.household_of_id,
            "contact_consent_at": plain(me.contact_consent_at),
            "contact_consent_text": me.contact_consent_text,
            # The double opt-in: when the consent was asked, and its words until confirmed.
            "contact_consent_requested_at": plain(me.contact_consent_requested_at),
            "contact_consent_requested_text": me.contact_consent_requested_text,
            "created_at": plain(me.created_at),
            "updated_at": plain(me.updated_at),
        },
        "distributor": {"id": seller.pk, "external_id": seller.external_id, "name": seller.name},
        "orders": orders,
        "returns": returns,
        "demonstrations": demonstrations,
        "host_credits": host_credits,
        "audit_entries": audit_entries(targets={Customer: [me.pk]}, user_id=None),
    }


def _own_distributor_id(actor: Any) -> int | None:
    try:
        profile = getattr(actor, "distributor", None)
    except Distributor.DoesNotExist:
        return None
    return profile.pk if profile is not None else None


def _pseudonym(pk: int) -> dict[str, str | None]:
    # The e-mail is emptied, not replaced: registration matches customers by e-mail, and an
    # erased customer who comes back is a new customer.
    # The consent to be contacted goes too, given or awaiting confirmation: with no address
    # left, erasure withdraws it (and a link still in a mailbox confirms nothing).
    return {
        "first_name": ERASED_FIRST_NAME, "last_name": f"#{pk}", "email": "", "phone": "",
        "contact_consent_at": None, "contact_consent_text": "",
        "contact_consent_requested_at": None, "contact_consent_requested_text": "",
    }  # fmt: skip


@transaction.atomic
def customer_erase(*, customer: Customer, actor: Any, reason: str) -> Customer:
    """Pseudonymise a customer: name, e-mail, phone, and the place of the demonstrations they
    hosted; orders and demonstrations stay.

    Staff, or the customer's own distributor on the customer's request. Erasing an erased
    customer changes nothing and records nothing.
    """
    reason = (reason or "").strip()
    row = Customer.objects.select_for_update(no_key=True).filter(pk=customer.pk).first()
    if row is None:
        raise NotFound(_("The customer does not exist."), field="customer")
    is_staff = actor is not None and getattr(actor, "is_staff", False)
    if not is_staff and _own_distributor_id(actor) != row.distributor_id:
        raise PermissionDenied(
            _("Only staff or the customer's own distributor may erase a customer's personal data.")
        )
    if not reason:
        raise ApplicationError(
            _("Give a reason (e.g. the date of the customer's request); it is kept."), field="reason"
        )
    pseudonym = _pseudonym(row.pk)
    if all(getattr(row, f) == v for f, v in pseudonym.items()):
        return row
    for field, value in pseudonym.items():
        setattr(row, field, value)
    row.save(update_fields=[*pseudonym, "updated_at"])
    # A demonstration's place is usually the host's home address: it goes with the host.
    places = (
        Demonstration.objects.filter(host=row).exclude(place="").update(place="", updated_at=timezone.now())
    )
    # str(row) is the pseudonym now: earlier entries and the new one name only it.
    audit_pseudonymise_target(target=row, new_repr=str(row))
    audit_record(
        actor=actor,
        action="customer.erase",
        target=row,
        reason=reason,
        data={"distributor": row.distributor_id, "demonstration_places_cleared": places},
    )
    return row
