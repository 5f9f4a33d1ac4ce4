"""Invitations: a recruit's login is theirs alone (docs/privacy.md).

Enrolment creates the recruit's login without a usable password and, once the enrolment is
committed, e-mails the recruit a link to choose their own password (core.accounts): the link
works once (the token hashes the password it replaces) and for settings.INVITATION_DAYS. Each
invitation has an id in the audit trail, and sending is idempotent per invitation: a task
delivered twice sends one e-mail. Staff can send a new invitation from the admin; an expired
link is also replaced through "Forgot your password?".
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from core.accounts.mail import account_mail_send, password_link
from core.accounts.services import actor_is_staff
from core.accounts.tokens import invitation_token_generator
from core.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from core.locks import advisory_xact_lock
from core.models import AuditEntry
from core.services import audit_record

from .models import Distributor, DistributorStatus

logger = logging.getLogger(__name__)

# Markets whose people read Dutch; anyone else gets the language of the request that enrolled them.
DUTCH_COUNTRIES = frozenset({"NL", "BE", "SR"})
INVITE_ACTION = "distributor.invite"
SENT_ACTION = "distributor.invitation_sent"


def invitation_language(*, country: str, requested: str | None) -> str:
    """Dutch for a Dutch-speaking market, else the request's language if offered, else the default."""
    if country.upper() in DUTCH_COUNTRIES:
        return "nl"
    offered = {code for code, _name in settings.LANGUAGES}
    requested = (requested or "").split("-")[0].lower()
    return requested if requested in offered else settings.LANGUAGE_CODE


def invitation_schedule(*, distributor: Distributor, actor: Any, language: str | None) -> str:
    """Record an invitation and send it when the current transaction commits; its id."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("invitation_schedule must run inside the enrolling transaction")
    invitation = uuid.uuid4().hex
    language = invitation_language(country=distributor.country, requested=language)
    audit_record(
        actor=actor,
        action=INVITE_ACTION,
        target=distributor,
        data={"invitation": invitation, "language": language},
    )
    from .tasks import send_invitation

    distributor_id = distributor.pk
    # After commit: the task must find the row; robust: a mail server down never fails the request.
    transaction.on_commit(lambda: send_invitation.delay(distributor_id, invitation, language), robust=True)
    return invitation


@transaction.atomic
def distributor_invitation_resend(
    *, distributor: Distributor, actor: Any, language: str | None = None
) -> str:
    """Staff send a new invitation: to a recruit whose link expired, or to a distributor without
    a login yet (an import). Refused once the distributor has chosen a password."""
    if not actor_is_staff(actor):
        raise PermissionDenied(_("Only staff may send an invitation."))
    node = Distributor.objects.select_for_update(no_key=True).filter(pk=distributor.pk).first()
    if node is None:
        raise NotFound(_("The distributor does not exist."), field="distributor")
    if node.status == DistributorStatus.TERMINATED:
        raise ApplicationError(
            _("%(name)s is terminated; a terminated distributor gets no login.") % {"name": node.name}
        )
    user = node.user
    if user is None:
        User = get_user_model()
        if User.objects.filter(username__iexact=node.email).exists():
            raise Conflict(_("A login with this email address already exists."), field="email")
        user = User.objects.create_user(
            username=node.email, email=node.email, first_name=node.first_name, last_name=node.last_name
        )
        node.user = user
        node.save(update_fields=["user", "updated_at"])
    elif not user.is_active:
        raise ApplicationError(_("%(name)s's login is deactivated.") % {"name": node.name})
    elif user.has_usable_password():
        raise Conflict(
            _(
                "%(name)s has already chosen a password; if it is forgotten, "
                '"Forgot your password?" sends a new link.'
            )
            % {"name": node.name}
        )
    else:
        # A new unusable password: the invitation token hashes it, so every earlier link dies
        # and only the newest one works.
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return invitation_schedule(distributor=node, actor=actor, language=language)


@transaction.atomic
def invitation_send(*, distributor_id: int, invitation: str, language: str) -> bool:
    """E-mail invitation `invitation` once; False if it was sent already or is moot now."""
    # Two deliveries of one task queue here; the second finds the first's record and stops.
    advisory_xact_lock(f"invitation:{invitation}")
    sent = AuditEntry.objects.filter(
        action=SENT_ACTION,
        target_type=Distributor._meta.label_lower,
        target_id=str(distributor_id),
        data__invitation=invitation,
    )
    if sent.exists():
        return False
    node = Distributor.objects.select_related("user", "sponsor").filter(pk=distributor_id).first()
    user = node.user if node is not None else None
    if (
        node is None
        or user is None
        or not user.is_active
        or user.has_usable_password()
        or node.status == DistributorStatus.TERMINATED
    ):
        # The password was chosen, or the membership ended, before the e-mail went out.
        logger.info("invitation %s not sent: no longer needed", invitation)
        return False
    account_mail_send(
        user=user,
        template="invitation",
        context={
            "distributor": node,
            "sponsor_name": node.sponsor.name if node.sponsor is not None else _("The company"),
            "link": password_link(user, "account:invitation", invitation_token_generator),
            "days": settings.INVITATION_DAYS,
        },
        language=language,
    )
    audit_record(actor=None, action=SENT_ACTION, target=node, data={"invitation": invitation})
    return True
