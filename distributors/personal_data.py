"""A distributor's personal data held by this app (GDPR, rules/compliance §8): their part of the
export, erasure, and the erasure requests they make.

The part is the profile with the login, the sponsor and the sponsor history (the `privacy` app
collects it with the other apps' parts). Erasure pseudonymises the person in place and keeps the
tree and the records the law requires (7 years in the Netherlands): external id, sponsor, and in
the other apps the orders, ledger, statements and payouts, which hold nothing to erase.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.accounts.services import actor_is_staff, user_tokens_revoke
from core.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from core.personal_data import ERASED_FIRST_NAME, PersonalDataPart, personal_data_erased, plain, rows
from core.services import audit_pseudonymise_target, audit_record

from .agreements import AgreementAcceptance
from .models import (
    BankAccount,
    Distributor,
    DistributorStatus,
    ErasureRequest,
    ErasureRequestStatus,
    SponsorChange,
)
from .tax import VatRegistration


def named(pk: int | None, external_id: str | None, first: str | None, last: str | None) -> dict | None:
    """Another distributor as an export names them: id, external id and name only."""
    if pk is None:
        return None
    return {"id": pk, "external_id": external_id, "name": f"{first} {last}"}


def _profile(distributor: Distributor) -> dict[str, Any]:
    user = distributor.user
    return {
        "id": distributor.pk,
        "external_id": distributor.external_id,
        "first_name": distributor.first_name,
        "last_name": distributor.last_name,
        "email": distributor.email,
        "phone": distributor.phone,
        "country": distributor.country,
        "status": distributor.status,
        "enrolled_at": plain(distributor.enrolled_at),
        "terminated_at": plain(distributor.terminated_at),
        "referral_code": distributor.referral_code,
        "rank": distributor.rank,
        "title": distributor.title,
        "created_at": plain(distributor.created_at),
        "updated_at": plain(distributor.updated_at),
        "login": None
        if user is None
        else {
            "username": user.username,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "is_active": user.is_active,
            "date_joined": plain(user.date_joined),
            "last_login": plain(user.last_login),
        },
    }


def _bank_account(distributor: Distributor) -> dict[str, Any] | None:
    try:
        account = distributor.bank_account  # read with the distributor (select_related)
    except BankAccount.DoesNotExist:
        return None
    return {
        "holder": account.holder,
        "iban": account.iban,
        "bic": account.bic,
        "updated_at": plain(account.updated_at),
        "returned_at": plain(account.returned_at),
        "return_reason": account.return_reason,
    }


def _vat_registration(distributor: Distributor) -> dict[str, Any] | None:
    try:
        registration = distributor.vat_registration  # read with the distributor (select_related)
    except VatRegistration.DoesNotExist:
        return None
    return {
        "vat_status": registration.vat_status,
        "vat_number": registration.vat_number,
        "business_name": registration.business_name,
        "address": registration.address,
        "updated_at": plain(registration.updated_at),
    }


def distributor_part(distributor: Distributor) -> PersonalDataPart:
    """The profile, the sponsor (by name only), every move or roll-up of the sponsor, the bank
    account payouts go to and the VAT status their invoices are made with."""
    me = (
        Distributor.objects.select_related("sponsor", "user", "bank_account", "vat_registration")
        .filter(pk=distributor.pk)
        .first()
    )
    if me is None:
        raise NotFound(_("The distributor does not exist."), field="distributor")
    sponsor = me.sponsor

    sponsor_changes = [
        {
            "changed_at": row["changed_at"],
            "kind": row["kind"],
            "old_sponsor": named(*(row.pop(f"old_{k}") for k in ("id", "ext", "first", "last"))),
            "new_sponsor": named(*(row.pop(f"new_{k}") for k in ("id", "ext", "first", "last"))),
            "reason": row["reason"],
        }
        for row in rows(
            SponsorChange.objects.filter(distributor=me).order_by("changed_at", "id"),
            "changed_at",
            "kind",
            "reason",
            old_id="old_sponsor_id",
            old_ext="old_sponsor__external_id",
            old_first="old_sponsor__first_name",
            old_last="old_sponsor__last_name",
            new_id="new_sponsor_id",
            new_ext="new_sponsor__external_id",
            new_first="new_sponsor__first_name",
            new_last="new_sponsor__last_name",
        )
    ]
    return PersonalDataPart(
        sections={
            "profile": _profile(me),
            "sponsor": None
            if sponsor is None
            else named(sponsor.pk, sponsor.external_id, sponsor.first_name, sponsor.last_name),
            "sponsor_changes": sponsor_changes,
            "bank_account": _bank_account(me),
            "vat_registration": _vat_registration(me),
        },
        audit_targets={Distributor: [me.pk]},
        login_id=me.user_id,
    )


# --- Erasure ---------------------------------------------------------------------------------


def erased_email(pk: int) -> str:
    # The reserved .invalid name (RFC 2606): no mail goes anywhere, and enrolment's e-mail
    # validation refuses it, so no new distributor can ever take it.
    return f"erased-{pk}@erased.invalid"


def _pseudonym(pk: int) -> dict[str, str]:
    return {"first_name": ERASED_FIRST_NAME, "last_name": f"#{pk}", "email": erased_email(pk), "phone": ""}


def _user_erased(user: Any, pk: int) -> bool:
    return (
        not user.is_active
        and not user.has_usable_password()
        and (user.username, user.email, user.first_name, user.last_name)
        == (erased_email(pk), erased_email(pk), ERASED_FIRST_NAME, f"#{pk}")
    )


@transaction.atomic
def distributor_erase(*, distributor: Distributor, actor: Any, reason: str) -> Distributor:
    """Pseudonymise a terminated distributor (staff only): name, e-mail, phone and login.

    Kept untouched: external id, referral code, country, sponsor and the tree, orders, ledger,
    statements and payouts (the financial records kept 7 years). Erasing an erased distributor
    changes nothing and records nothing.
    """
    if not actor_is_staff(actor):
        raise PermissionDenied(_("Only staff may erase a distributor's personal data."))
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Give a reason (e.g. the request's reference); it is kept."), field="reason")

    # A row lock, not the tree lock: the tree does not change; termination locks this row too.
    node = Distributor.objects.select_for_update(no_key=True).filter(pk=distributor.pk).first()
    if node is None:
        raise NotFound(_("The distributor does not exist."), field="distributor")
    if node.status != DistributorStatus.TERMINATED:
        raise Conflict(
            _(
                "%(name)s is %(status)s: terminate the distributor first; only a terminated "
                "distributor's personal data can be erased."
            )
            % {"name": node.name, "status": node.get_status_display().lower()},
            field="distributor",
        )
    User = get_user_model()
    user = User.objects.select_for_update().filter(pk=node.user_id).first() if node.user_id else None
    pseudonym = _pseudonym(node.pk)
    if all(getattr(node, f) == v for f, v in pseudonym.items()) and (
        user is None or _user_erased(user, node.pk)
    ):
        return node

    now = timezone.now()
    # What other apps hold under the person's addresses (notifications) goes in this transaction.
    emails = {node.email, *([user.email] if user is not None else [])} - {""}
    personal_data_erased.send(sender=Distributor, instance=node, emails=sorted(emails))
    # The account is only where future payouts go; each payout keeps the account it was sent to.
    BankAccount.objects.filter(distributor=node).delete()
    # Likewise the VAT status and invoice address: each issued invoice keeps its own copy.
    VatRegistration.objects.filter(distributor=node).delete()
    # The acceptances of the agreement stay as contract records; the device they came from does not.
    AgreementAcceptance.objects.filter(distributor=node).update(ip_address=None, user_agent="")
    Distributor.objects.filter(pk=node.pk).update(**pseudonym, updated_at=now)
    for field, value in pseudonym.items():
        setattr(node, field, value)
    node.updated_at = now
    if user is not None:
        user.username = user.email = erased_email(node.pk)
        user.first_name, user.last_name = ERASED_FIRST_NAME, f"#{node.pk}"
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["username", "email", "first_name", "last_name", "is_active", "password"])
        user_tokens_revoke(user=user)  # no app keeps a session of the erased login
    # Earlier entries about the person show the pseudonym too; the new one names only it.
    audit_pseudonymise_target(target=node, new_repr=str(node))
    audit_record(
        actor=actor,
        action="distributor.erase",
        target=node,
        reason=reason,
        data={"user": user.pk if user is not None else None},
    )
    return node


# --- Erasure requests: the distributor asks, staff decide ---------------------------------------


def erasure_requests_of(distributor: Distributor) -> models.QuerySet:
    """The distributor's erasure requests, newest first (the portal's "My data" page)."""
    return ErasureRequest.objects.filter(distributor=distributor).order_by("-requested_at", "-id")


@transaction.atomic
def erasure_request_create(*, distributor: Distributor, actor: Any) -> Any:
    """Record that the distributor asks for their personal data to be erased; staff see it in the
    admin and act on it (terminate, then `distributor_erase`). A second request while one is
    pending is refused (the database keeps one pending per distributor)."""
    is_self = distributor.user_id is not None and getattr(actor, "pk", None) == distributor.user_id
    if not (is_self or actor_is_staff(actor)):
        raise PermissionDenied(_("Only the distributor or a staff member may ask for an erasure."))
    # The row lock makes two requests at once queue; the second sees the first and is refused.
    Distributor.objects.select_for_update(no_key=True).filter(pk=distributor.pk).values("pk").first()
    if ErasureRequest.objects.filter(distributor=distributor, status=ErasureRequestStatus.PENDING).exists():
        raise Conflict(
            _("Your erasure request is already waiting for the company; there is no need to ask again."),
            field="confirm",
        )
    request = ErasureRequest.objects.create(distributor=distributor)
    data = {"distributor": distributor.pk}
    audit_record(actor=actor, action="distributor.erasure_request", target=request, data=data)
    return request


@transaction.atomic
def erasure_request_handle(*, request: Any, actor: Any, status: str, note: str = "") -> Any:
    """Staff close a pending request: `done` (the data was erased) or `declined` (with a note)."""
    if not actor_is_staff(actor):
        raise PermissionDenied(_("Only staff handle erasure requests."))
    if status not in (ErasureRequestStatus.DONE, ErasureRequestStatus.DECLINED):
        raise ApplicationError(_("An erasure request is handled as done or declined."), field="status")
    note = (note or "").strip()
    if status == ErasureRequestStatus.DECLINED and not note:
        raise ApplicationError(_("Give the reason for declining; the distributor sees it."), field="note")
    locked = ErasureRequest.objects.select_for_update(no_key=True).filter(pk=request.pk).first()
    if locked is None:
        raise NotFound(_("The erasure request does not exist."), field="request")
    if locked.status != ErasureRequestStatus.PENDING:
        raise Conflict(
            _("%(request)s is already %(status)s.")
            % {"request": locked, "status": locked.get_status_display().lower()},
            field="request",
        )
    locked.status, locked.note = status, note
    locked.handled_at, locked.handled_by = timezone.now(), actor
    locked.save(update_fields=["status", "note", "handled_at", "handled_by"])
    audit_record(actor=actor, action=f"distributor.erasure_request_{status}", target=locked, reason=note)
    return locked
