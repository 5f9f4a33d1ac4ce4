"""Customers: attributed to the distributor whose referral link (or hand) brought them in."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, Conflict, NotFound
from core.locks import email_claim_lock
from core.services import audit_record
from distributors.addresses import REASON_DISTRIBUTOR, REASON_OTHER_CUSTOMER, address_unavailable
from distributors.models import Distributor, DistributorStatus
from orders.models import Customer, CustomerKind


def _distributor_from(distributor: Distributor | None, referral_code: str | None) -> Distributor:
    if (distributor is None) == (not referral_code):
        raise ApplicationError(
            _("Give either the distributor or their referral code."), field="referral_code"
        )
    if distributor is not None:
        return distributor
    code = (referral_code or "").strip()
    found = Distributor.objects.filter(referral_code__iexact=code).first()
    if found is None:
        raise NotFound(
            _("No distributor has the referral code '%(code)s'.") % {"code": code}, field="referral_code"
        )
    return found


@transaction.atomic
def customer_register(
    *,
    distributor: Distributor | None = None,
    referral_code: str | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    kind: str = CustomerKind.RETAIL,
    household_of: Distributor | None = None,
    external_id: str | None = None,
    contact_consent: str = "",
    actor: Any = None,
) -> Customer:
    """A new customer credited to a distributor: by the distributor's referral link or directly.

    `contact_consent`: the words of the consent to be contacted the customer gave (the referral
    page's tick box), recorded with its time; empty when none was asked.

    A distributor is never anyone's customer (compliance item 2), so an e-mail address that is a
    distributor's is refused; a member of a distributor's household may be registered with
    `household_of` and never counts for the customer requirement.
    """
    distributor = _distributor_from(distributor, referral_code)
    if distributor.status == DistributorStatus.TERMINATED:
        raise ApplicationError(
            _("%(name)s is terminated and cannot take new customers.") % {"name": distributor.name}
        )
    if kind not in CustomerKind.values:
        raise ApplicationError(_("Unknown customer kind '%(kind)s'.") % {"kind": kind}, field="kind")
    email = (email or "").strip().lower()
    if not (first_name.strip() or last_name.strip() or email):
        raise ApplicationError(_("A customer needs a name or an e-mail address."), field="last_name")
    if email:
        # Serialise claims of one address (two clicks on a referral link, an enrolment, a change
        # of address), so two of them make one holder.
        email_claim_lock(email)
        if distributor.email and distributor.email.strip().lower() == email:
            raise ApplicationError(
                _("A distributor can never be their own customer: this is your own e-mail address."),
                field="email",
            )
        # Whose address it is stays unsaid to the caller (distributors.addresses, privacy.md).
        if Distributor.objects.filter(email__iexact=email).exists():
            raise address_unavailable(
                reason=REASON_DISTRIBUTOR, email=email, actor=actor, operation="customer_register"
            )
        existing = Customer.objects.filter(email__iexact=email).select_related("distributor").first()
        if existing is not None:
            if existing.distributor_id == distributor.pk:
                raise Conflict(
                    _("%(customer)s is already your customer.") % {"customer": existing}, field="email"
                )
            raise address_unavailable(
                reason=REASON_OTHER_CUSTOMER, email=email, actor=actor, operation="customer_register"
            )
    customer = Customer.objects.create(
        distributor=distributor,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email,
        phone=phone.strip(),
        kind=kind,
        household_of=household_of,
        external_id=external_id,
        contact_consent_at=timezone.now() if contact_consent else None,
        contact_consent_text=contact_consent,
    )
    audit_record(
        actor=actor,
        action="customer.register",
        target=customer,
        data={"distributor": distributor.pk, "by_referral_code": bool(referral_code)},
    )
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, actor: Any = None, **changes: Any) -> Customer:
    """Contact data and kind; the distributor a customer belongs to does not change here."""
    allowed = {"first_name", "last_name", "phone", "kind", "household_of"}
    unknown = set(changes) - allowed
    if unknown:
        raise ApplicationError(
            _("These customer fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    if "kind" in changes and changes["kind"] not in CustomerKind.values:
        raise ApplicationError(
            _("Unknown customer kind '%(kind)s'.") % {"kind": changes["kind"]}, field="kind"
        )
    customer = Customer.objects.select_for_update(no_key=True).get(pk=customer.pk)
    for field, value in changes.items():
        setattr(customer, field, value)
    customer.save(update_fields=[*changes, "updated_at"])
    return customer


@transaction.atomic
def customer_delete(*, customer: Customer, actor: Any = None) -> None:
    """Delete a customer the distributor entered by mistake or who asked to be forgotten.

    A customer with orders or demonstrations is refused: those are financial records the company
    must keep (7 years in the Netherlands); the database's PROTECT foreign keys back this check.
    """
    from orders.models import DemonstrationGuest

    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if (
        customer.orders.exists()
        or customer.hosted_demonstrations.exists()
        or DemonstrationGuest.objects.filter(customer=customer).exists()
    ):
        raise Conflict(
            _(
                "%(customer)s has orders or took part in a demonstration: those records are kept for the "
                "books, so the customer cannot be deleted."
            )
            % {"customer": customer}
        )
    audit_record(
        actor=actor, action="customer.delete", target=customer, data={"distributor": customer.distributor_id}
    )
    customer.delete()
