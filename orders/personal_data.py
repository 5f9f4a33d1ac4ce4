"""Personal data held by this app (GDPR, rules/compliance §8): a distributor's customers, orders,
returns, demonstrations and buy-backs; an end customer's export and erasure.

The `privacy` app collects these parts with the other apps' parts. A distributor's records here
hold nothing to erase: they are the company's financial records (kept 7 years in the
Netherlands). Erasure of a customer pseudonymises them in place; their orders, returns,
demonstrations and host credit stay, for the same reason. Who may erase a customer: staff, or
the customer's own distributor acting on the customer's request (the distributor is who the
customer knows and asks); never another distributor, the upline included.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, NotFound, PermissionDenied
from core.personal_data import ERASED_FIRST_NAME, PersonalDataPart, grouped, personal_data_erased, plain, rows
from core.services import audit_pseudonymise_target, audit_record
from distributors.models import Distributor
from orders.models import (
    BuybackLine,
    BuybackRequest,
    Customer,
    Demonstration,
    DemonstrationGuest,
    HostCredit,
    Order,
    OrderLine,
    Return,
    ReturnLine,
)
from orders.models_autoship import AutoshipStatus, Subscription


def _attach(parents: list[dict], children: list[dict], parent_key: str, name: str) -> list[dict]:
    """Each parent row gets its children under `name`: the rows whose `parent_key` is its id
    (taken out of them)."""
    by_parent = grouped(children, parent_key)
    for parent in parents:
        parent[name] = by_parent.get(parent["id"], [])
    return parents


def _through(path: str, owner: dict[str, Any]) -> dict[str, Any]:
    """An order filter (`owner`) as seen from a row that reaches the order through `path`."""
    return {f"{path}__{name}": value for name, value in owner.items()}


def _orders_with_lines(
    owner: dict[str, Any], *, order_fields: tuple[str, ...], line_fields: tuple[str, ...]
) -> list[dict]:
    """The orders of `owner` (an order filter: their distributor or their customer), oldest first,
    each with its lines: the two exports differ only in the fields they show."""
    lines = rows(
        OrderLine.objects.filter(**_through("order", owner)).order_by("order_id", "id"),
        "order_id",
        *line_fields,
    )
    orders = rows(Order.objects.filter(**owner).order_by("created_at", "id"), *order_fields)
    return _attach(orders, lines, "order_id", "lines")


def _returns_with_lines(
    owner: dict[str, Any], *, return_fields: tuple[str, ...], line_fields: dict[str, str]
) -> list[dict]:
    """The returns of the orders of `owner` (as in _orders_with_lines), in refund order, each with
    its lines (quantity and refund, and `line_fields`: output key -> lookup)."""
    lines = rows(
        ReturnLine.objects.filter(**_through("return_record__order", owner)).order_by("id"),
        "quantity",
        "refund_amount",
        return_id="return_record_id",
        **line_fields,
    )
    returns = rows(
        Return.objects.filter(**_through("order", owner)).order_by("refunded_at", "id"),
        *return_fields,
        order_number="order__number",
    )
    return _attach(returns, lines, "return_id", "lines")


def distributor_part(distributor: Distributor) -> PersonalDataPart:
    """The distributor's customers in full (their customer list is theirs), orders with lines,
    returns, the demonstrations they held with guest ids, and buy-back requests."""
    customers = rows(
        Customer.objects.filter(distributor=distributor).order_by("id"),
        "id",
        "external_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "kind",
        "created_at",
        household_of="household_of_id",
    )

    orders = _orders_with_lines(
        {"distributor": distributor},
        order_fields=(
            "id", "number", "external_id", "purpose", "status", "customer_id", "demonstration_id",
            "currency", "created_at", "paid_at", "cancelled_at", "commission_date",
            "commission_period", "host_credit_redeemed",
        ),
        line_fields=(
            "id", "sku", "quantity", "unit_list_price", "unit_price", "vat_rate", "unit_qv", "unit_cv",
            "commissionable", "half_price",
        ),
    )  # fmt: skip
    returns = _returns_with_lines(
        {"distributor": distributor},
        return_fields=("id", "kind", "refunded_at", "refund_period", "refund_amount", "reason"),
        line_fields={"order_line_id": "order_line_id", "sku": "order_line__sku"},
    )
    guests = rows(
        DemonstrationGuest.objects.filter(demonstration__consultant=distributor).order_by("id"),
        "demonstration_id",
        "customer_id",
        "added_at",
    )
    demonstrations = rows(
        Demonstration.objects.filter(consultant=distributor).order_by("held_at", "id"),
        "id",
        "external_id",
        "held_at",
        "place",
        "video_link",
        "status",
        "closed_at",
        "qps",
        "host_id",
    )
    _attach(demonstrations, guests, "demonstration_id", "guests")

    buyback_lines = rows(
        BuybackLine.objects.filter(request__distributor=distributor).order_by("id"),
        "request_id",
        "order_line_id",
        "quantity",
        "approved_quantity",
        "unit_refund",
        order_number="order_line__order__number",
        sku="order_line__sku",
    )
    buyback_requests = rows(
        BuybackRequest.objects.filter(distributor=distributor).order_by("created_at", "id"),
        "id",
        "status",
        "reason",
        "with_termination",
        "created_at",
        "decided_at",
        "decision_reason",
        "refund_total",
    )
    _attach(buyback_requests, buyback_lines, "request_id", "lines")

    return PersonalDataPart(
        sections={
            "customers": customers,
            "orders": orders,
            "returns": returns,
            "demonstrations": demonstrations,
            "buyback_requests": buyback_requests,
        },
        audit_targets={
            Customer: [c["id"] for c in customers],
            Order: [o["id"] for o in orders],
            Demonstration: [d["id"] for d in demonstrations],
            BuybackRequest: [b["id"] for b in buyback_requests],
        },
    )


def customer_part(customer: Customer) -> PersonalDataPart:
    """Everything held about one customer: profile, their distributor's name, orders with lines,
    returns, the demonstrations they hosted or attended, and host credits."""
    me = Customer.objects.select_related("distributor").filter(pk=customer.pk).first()
    if me is None:
        raise NotFound(_("The customer does not exist."), field="customer")
    seller = me.distributor

    # What they paid; not the volumes and commissions the sale earned their distributor.
    orders = _orders_with_lines(
        {"customer": me},
        order_fields=(
            "id", "number", "status", "demonstration_id", "currency", "created_at", "paid_at",
            "cancelled_at", "host_credit_redeemed", "channel", "contact_email", "delivery_address",
        ),
        line_fields=("sku", "quantity", "unit_price", "vat_rate", "half_price"),
    )  # fmt: skip
    returns = _returns_with_lines(
        {"customer": me},
        return_fields=("id", "kind", "refunded_at", "refund_amount", "reason"),
        line_fields={"sku": "order_line__sku"},
    )

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

    return PersonalDataPart(
        sections={
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
        },
        audit_targets={Customer: [me.pk]},
    )


# --- Erasure of a customer ---------------------------------------------------------------------


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
    # What other apps hold under the customer's address (notifications) goes in this transaction.
    if row.email:
        personal_data_erased.send(sender=Customer, instance=row, emails=[row.email])
    # Nobody is left to deliver to: the customer's autoships end.
    now = timezone.now()
    Subscription.objects.filter(customer=row).exclude(status=AutoshipStatus.CANCELLED).update(
        status=AutoshipStatus.CANCELLED, cancelled_at=now, next_date=None, updated_at=now
    )
    for field, value in pseudonym.items():
        setattr(row, field, value)
    row.save(update_fields=[*pseudonym, "updated_at"])
    # A demonstration's place is usually the host's home address: it goes with the host.
    places = (
        Demonstration.objects.filter(host=row).exclude(place="").update(place="", updated_at=timezone.now())
    )
    # A shop order's contact address and delivery address are the customer's too (orders.services.shop).
    Order.objects.filter(customer=row).exclude(contact_email="", delivery_address="").update(
        contact_email="", delivery_address="", updated_at=timezone.now()
    )
    # str(row) is the pseudonym now: earlier entries and the new one names only it.
    audit_pseudonymise_target(target=row, new_repr=str(row))
    audit_record(
        actor=actor,
        action="customer.erase",
        target=row,
        reason=reason,
        data={"distributor": row.distributor_id, "demonstration_places_cleared": places},
    )
    return row
