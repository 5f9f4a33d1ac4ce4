"""Enrolling a distributor: under a sponsor (named by id or referral code) or as a new tree's root,
with a login of their own by invitation, an existing one, or none."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError, Conflict, NotFound
from core.locks import SPONSOR_TREE_LOCK, advisory_xact_lock, email_claim_lock
from core.services import audit_record

from ..addresses import REASON_DISTRIBUTOR, REASON_LOGIN, address_unavailable
from ..invitations import invitation_schedule
from ..models import Distributor, DistributorStatus
from ..selectors import email_in_use
from ..signals import distributor_enrolled
from .checks import clean_contact, clean_text
from .referral_codes import referral_code_generate

_CREATE_ATTEMPTS = 5


def _external_id_generate() -> str:
    return "D" + "".join(secrets.choice("0123456789") for _digit in range(9))


def _resolve_sponsor(
    *, sponsor: Distributor | None, sponsor_id: int | None, referral_code: str | None
) -> Distributor | None:
    """Lock and return the sponsor row named by exactly one of the three references."""
    given = [name for name, v in (("sponsor", sponsor), ("sponsor_id", sponsor_id)) if v is not None]
    if referral_code:
        given.append("referral_code")
    if len(given) > 1:
        raise ApplicationError(
            _("Name the sponsor once: by sponsor, sponsor id or referral code."), field=given[1]
        )
    if not given:
        return None
    rows = Distributor.objects.select_for_update(no_key=True)
    try:
        if referral_code:
            return rows.get(referral_code=referral_code.strip().upper())
        pk = sponsor.pk if sponsor is not None else sponsor_id
        return rows.get(pk=pk)
    except (Distributor.DoesNotExist, ValueError, TypeError):
        field = given[0]
        raise NotFound(
            _("No distributor has that referral code.")
            if field == "referral_code"
            else _("The sponsor does not exist."),
            field=field,
        ) from None


@transaction.atomic
def distributor_enroll(
    *,
    sponsor: Distributor | None = None,
    sponsor_id: int | None = None,
    referral_code: str | None = None,
    first_name: str,
    last_name: str,
    email: str,
    phone: str = "",
    country: str = "NL",
    enrolled_at: datetime | None = None,
    external_id: str | None = None,
    user: Any = None,
    password: str | None = None,
    invite: bool = False,
    language: str | None = None,
    actor: Any = None,
) -> Distributor:
    """Enroll a distributor as the last of their sponsor's frontline.

    Without any sponsor reference the distributor starts a new tree (the company's root).
    `invite` creates the recruit's login (username = the email) without a password and, once the
    enrollment is committed, e-mails them a single-use link to choose their own
    (distributors.invitations); the API and the admin enrol this way, so nobody else ever knows a
    recruit's password. `user` links an existing login. `password` sets one directly: only for
    the company's own set-up code (tests, seeding), never for an edge acting for someone else.
    An address held by a distributor or a login is refused without saying which to non-staff.
    """
    profile = clean_contact(
        first_name=first_name, last_name=last_name, email=email, phone=phone, country=country
    )
    first_name, last_name, email = profile["first_name"], profile["last_name"], profile["email"]
    phone, country = profile["phone"], profile["country"]
    if external_id is not None:
        external_id = clean_text(external_id, "external_id", _("External id"), max_length=64)
    if user is not None and password is not None:
        raise ApplicationError(_("Give either an existing user or a password, not both."), field="password")
    if invite and (user is not None or password is not None):
        raise ApplicationError(_("An invited distributor chooses their own password."), field="password")
    if enrolled_at is not None and timezone.is_naive(enrolled_at):
        raise ApplicationError(_("Enrollment time must carry a time zone."), field="enrolled_at")

    advisory_xact_lock(SPONSOR_TREE_LOCK)
    # Claims of one address queue here (before any row lock, like every advisory lock), so the
    # check below cannot race an enrollment, a change of address or a customer's registration.
    email_claim_lock(email)
    sponsor_row = _resolve_sponsor(sponsor=sponsor, sponsor_id=sponsor_id, referral_code=referral_code)
    if sponsor_row is not None and sponsor_row.status == DistributorStatus.TERMINATED:
        raise ApplicationError(
            _("%(name)s is terminated and cannot sponsor new distributors.") % {"name": sponsor_row.name},
            field="referral_code" if referral_code else ("sponsor" if sponsor else "sponsor_id"),
        )
    if email_in_use(email):
        raise address_unavailable(reason=REASON_DISTRIBUTOR, email=email, actor=actor, operation="enrollment")
    if external_id is not None and Distributor.objects.filter(external_id=external_id).exists():
        raise Conflict(_("A distributor with this external id already exists."), field="external_id")

    User = get_user_model()
    if user is not None:
        if Distributor.objects.filter(user=user).exists():
            raise Conflict(_("That user is already linked to a distributor."), field="user")
    elif password is not None or invite:
        if User.objects.filter(username__iexact=email).exists():
            raise address_unavailable(reason=REASON_LOGIN, email=email, actor=actor, operation="enrollment")
        if password is not None:
            try:
                validate_password(password)
            except ValidationError as exc:
                raise ApplicationError(" ".join(exc.messages), field="password") from None
        # No password (None) is an unusable one: only the invitation's link can set it.
        user = User.objects.create_user(
            username=email, email=email, password=password, first_name=first_name, last_name=last_name
        )

    for attempt in range(_CREATE_ATTEMPTS):
        # A fresh instance per attempt: save() places a new node (free labels, sizes above it).
        node = Distributor(
            sponsor=sponsor_row,
            user=user,
            external_id=external_id or _external_id_generate(),
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            country=country,
            enrolled_at=enrolled_at or timezone.now(),
            referral_code=referral_code_generate(),
        )
        try:
            # The savepoint also undoes a relabelled window and the sizes of a failed insert.
            with transaction.atomic():
                node.save()
            break
        except IntegrityError:
            # A generated code collided with an existing one (the unique constraint said so).
            if external_id is not None and Distributor.objects.filter(external_id=external_id).exists():
                raise Conflict(
                    _("A distributor with this external id already exists."), field="external_id"
                ) from None
            if attempt == _CREATE_ATTEMPTS - 1:
                raise
    if actor is not None:
        audit_record(
            actor=actor,
            action="distributor.enroll",
            target=node,
            data={"sponsor": sponsor_row.pk if sponsor_row else None},
        )
    if invite:
        invitation_schedule(distributor=node, actor=actor, language=language)
    # Told after the commit (notifications: the sponsor hears of a new frontline member).
    transaction.on_commit(
        lambda: distributor_enrolled.send(sender=Distributor, distributor=node, actor=actor)
    )
    return node
