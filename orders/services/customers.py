"""Customers: attributed to the distributor whose referral link (or hand) brought them in.

A consent to be contacted given on a public form (the referral page's tick box) is a double
opt-in: registering records it as requested and, once committed, e-mails the address a signed
link; the consent (its time and its words) counts only once that link is opened
(customer_contact_consent_confirm), within settings.JOIN_CONFIRM_DAYS. The link names the
customer, the request it answers and the address it was sent to, so a link of an erased customer
or of an earlier request confirms nothing; nothing of it is stored.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from core.accounts.mail import public_url
from core.errors import ApplicationError, Conflict, NotFound
from core.locks import email_claim_lock
from core.services import audit_record
from distributors.addresses import REASON_DISTRIBUTOR, REASON_OTHER_CUSTOMER, address_unavailable
from distributors.models import Distributor, DistributorStatus
from orders.models import Customer, CustomerKind

logger = logging.getLogger(__name__)

# Its own salt: a token signed for anything else (a host link) never passes here.
CONSENT_SALT = "orders.contact-consent"
CONSENT_CONFIRM_ACTION = "customer.contact_consent_confirm"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class ConsentConfirmation(enum.StrEnum):
    """What opening a consent link did (portal/views/join.py shows one page per outcome)."""

    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already_confirmed"
    EXPIRED = "expired"
    # Changed, cut short, signed for something else, superseded by a newer request, or its
    # customer erased: one outcome, so a link tells nobody what became of its customer.
    INVALID = "invalid"


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
    language: str | None = None,
    actor: Any = None,
) -> Customer:
    """A new customer credited to a distributor: by the distributor's referral link or directly.

    `contact_consent`: the words of the consent to be contacted the customer gave (the referral
    page's tick box), in the language they read them; empty when none was asked. It is recorded
    as requested and confirmed from the e-mail address (the module's docstring): the link goes
    out in `language` once the registration is committed.

    A distributor is never anyone's customer (rules/compliance §2), so an e-mail address that is a
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
    if contact_consent and not email:
        raise ApplicationError(
            _("A consent to be contacted is confirmed from an e-mail address: give one."), field="email"
        )
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
        contact_consent_requested_at=timezone.now() if contact_consent else None,
        contact_consent_requested_text=contact_consent,
    )
    audit_record(
        actor=actor,
        action="customer.register",
        target=customer,
        data={"distributor": distributor.pk, "by_referral_code": bool(referral_code)},
    )
    if contact_consent:
        _contact_consent_link_schedule(customer, language)
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


# --- Consent to be contacted: the double opt-in


def _micros(moment: dt.datetime) -> int:
    # Exact to the microsecond the database keeps: a float timestamp could miss by one.
    return (moment - _EPOCH) // dt.timedelta(microseconds=1)


def _address_check(customer_id: int, email: str) -> str:
    """Ties a link to the address it was sent to, without putting the address in the link."""
    return salted_hmac(CONSENT_SALT, f"{customer_id}:{email.strip().lower()}").hexdigest()[:20]


def contact_consent_valid_for() -> dt.timedelta:
    return dt.timedelta(days=settings.JOIN_CONFIRM_DAYS)


def contact_consent_token(customer: Customer) -> str:
    """The signed token of the link that confirms the customer's current consent request."""
    if customer.contact_consent_requested_at is None or not customer.email:
        raise ValueError("no consent request to confirm")
    payload = {
        "c": customer.pk,
        "r": _micros(customer.contact_consent_requested_at),
        "a": _address_check(customer.pk, customer.email),
    }
    return signing.dumps(payload, salt=CONSENT_SALT, compress=True)


def _contact_consent_link_schedule(customer: Customer, language: str | None) -> None:
    customer_id, requested_at = customer.pk, customer.contact_consent_requested_at
    assert requested_at is not None  # both callers have just asked for the consent
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    from orders.tasks import send_contact_consent_link

    # After commit: the task must find the row; robust: a broker down never fails the sign-up.
    transaction.on_commit(
        lambda: send_contact_consent_link.delay(customer_id, requested_at.isoformat(), language),
        robust=True,
    )


def contact_consent_link_send(*, customer_id: int, requested_at: dt.datetime, language: str) -> bool:
    """E-mail the link that confirms the consent asked at `requested_at`, in `language`; False
    when it is moot: the customer is gone or erased, confirmed already, or asked again since."""
    customer = Customer.objects.select_related("distributor").filter(pk=customer_id).first()
    if (
        customer is None
        or not customer.email
        or customer.contact_consent_at is not None
        or customer.contact_consent_requested_at != requested_at
    ):
        logger.info("consent link for customer %s not sent: no longer needed", customer_id)
        return False
    link = public_url(reverse("join-confirm", kwargs={"token": contact_consent_token(customer)}))
    context = {
        "first_name": customer.first_name,
        "distributor_name": customer.distributor.first_name,
        "consent": customer.contact_consent_requested_text,
        "link": link,
        "days": settings.JOIN_CONFIRM_DAYS,
    }
    with translation.override(language):
        subject = " ".join(render_to_string("orders/email/contact_consent_subject.txt", context).split())
        body = render_to_string("orders/email/contact_consent_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [customer.email])
    return True


@transaction.atomic
def customer_contact_consent_request(
    *, distributor: Distributor, email: str, contact_consent: str, language: str | None = None
) -> bool:
    """Someone signs up again on `distributor`'s referral page with the address of one of their
    customers: ask that address for the consent it has not confirmed; True if a link goes out.

    Nothing goes out when the consent is confirmed already or a link sent earlier still works
    (so the page cannot be used to flood an address), nor for anyone else's address. The e-mail
    is the one a first sign-up gets and goes only to the address, so it tells the visitor nothing.
    """
    email = (email or "").strip().lower()
    if not email or not contact_consent:
        return False
    email_claim_lock(email)
    customer = (
        Customer.objects.select_for_update(no_key=True)
        .filter(distributor=distributor, email__iexact=email)
        .first()
    )
    if customer is None or customer.contact_consent_at is not None:
        return False
    now = timezone.now()
    requested_at = customer.contact_consent_requested_at
    if requested_at is not None and now <= requested_at + contact_consent_valid_for():
        return False
    customer.contact_consent_requested_at = now
    customer.contact_consent_requested_text = contact_consent
    customer.save(
        update_fields=["contact_consent_requested_at", "contact_consent_requested_text", "updated_at"]
    )
    _contact_consent_link_schedule(customer, language)
    return True


@transaction.atomic
def customer_contact_consent_confirm(*, token: str, now: dt.datetime | None = None) -> ConsentConfirmation:
    """Open a consent link: the consent asked counts from now, in the words the customer read.

    Idempotent: a second opening finds it confirmed. The age is read from the link before any
    row is, so an expired link says the same whatever became of its customer.
    """
    try:
        payload = signing.loads(token, salt=CONSENT_SALT)
        customer_id, requested_micros, address = int(payload["c"]), int(payload["r"]), str(payload["a"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return ConsentConfirmation.INVALID
    now = now or timezone.now()
    if _micros(now) > requested_micros + contact_consent_valid_for() // dt.timedelta(microseconds=1):
        return ConsentConfirmation.EXPIRED
    customer = Customer.objects.select_for_update(no_key=True).filter(pk=customer_id).first()
    if (
        customer is None
        or not customer.email  # erased
        or not constant_time_compare(address, _address_check(customer.pk, customer.email))
    ):
        return ConsentConfirmation.INVALID
    if customer.contact_consent_at is not None:
        return ConsentConfirmation.ALREADY_CONFIRMED
    requested_at = customer.contact_consent_requested_at
    if (
        requested_at is None
        or _micros(requested_at) != requested_micros  # a newer request's link is the one that works
        or not customer.contact_consent_requested_text  # nothing awaits confirmation any more
    ):
        return ConsentConfirmation.INVALID
    customer.contact_consent_at = now
    customer.contact_consent_text = customer.contact_consent_requested_text
    customer.contact_consent_requested_text = ""
    customer.save(
        update_fields=[
            "contact_consent_at",
            "contact_consent_text",
            "contact_consent_requested_text",
            "updated_at",
        ]
    )
    audit_record(
        actor=None,
        action=CONSENT_CONFIRM_ACTION,
        target=customer,
        data={"requested_at": requested_at.isoformat()},
    )
    return ConsentConfirmation.CONFIRMED
