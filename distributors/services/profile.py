"""A distributor's contact data: what they change themselves (with their password for a new
e-mail address) and what staff change; a login whose username is the address follows it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from core.accounts.services import actor_is_staff, user_tokens_revoke
from core.errors import ApplicationError, Conflict, NotFound
from core.locks import SPONSOR_TREE_LOCK, advisory_xact_lock, email_claim_lock
from core.services import audit_record

from ..addresses import REASON_DISTRIBUTOR, REASON_LOGIN, address_unavailable
from ..invitations import invitation_language
from ..models import Distributor
from ..selectors import email_in_use
from .checks import CONTACT_CLEANERS, clean_contact, clean_text, require_staff

# What a distributor may change about themselves (PATCH /api/v1/me/). The country is not among
# them: it sets the market's cooling-off and buy-back terms, so staff change it.
SELF_SERVICE_FIELDS = frozenset({"first_name", "last_name", "email", "phone"})


def email_changes(distributor: Distributor, email: str | None) -> bool:
    """Whether `email` (as a request gives it) is another address than the distributor's."""
    return email is not None and email.strip().lower() != (distributor.email or "").strip().lower()


def reauthentication_message() -> str:
    return _("Enter your current password to change your e-mail address.")


@transaction.atomic
def distributor_update_profile(
    *, distributor: Distributor, actor: Any, password_checked: bool = False, **changes: Any
) -> Distributor:
    """Change a distributor's contact data (names, email, phone, country) or login link.

    Staff change everything here; a distributor changes their own SELF_SERVICE_FIELDS, and their
    e-mail address (their login and reset address) only when the edge re-checked their current
    password (`password_checked`). The same checks as enrollment; an address held by someone
    else is refused without saying by whom (distributors.addresses). A login whose username is
    the old address follows the new one, loses every refresh token, and the old address is told.
    The audit entry names the fields changed, not their values (so that erasure leaves no old
    personal data behind in the trail).
    """
    is_self = (
        actor is not None
        and getattr(actor, "pk", None) is not None
        and distributor.user_id is not None
        and actor.pk == distributor.user_id
    )
    if not is_self:
        require_staff(actor)
    staff = actor_is_staff(actor)
    allowed = {*CONTACT_CLEANERS, "external_id", "user"} if staff else SELF_SERVICE_FIELDS
    unknown = set(changes) - allowed
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    cleaned = clean_contact(**{k: v for k, v in changes.items() if k in CONTACT_CLEANERS})
    if not staff and not password_checked and email_changes(distributor, cleaned.get("email")):
        raise ApplicationError(reauthentication_message(), field="current_password")
    if "external_id" in changes:
        cleaned["external_id"] = clean_text(
            changes["external_id"], "external_id", _("External id"), max_length=64
        )
    if "external_id" in cleaned:
        # Staff only: the same lock as enrollment, so the external id check cannot race one.
        advisory_xact_lock(SPONSOR_TREE_LOCK)
    if "email" in cleaned:
        # Before the check: an enrollment, a customer's registration or another edit claiming the
        # same address waits for this one, and this one for them (core.locks.email_claim_lock).
        email_claim_lock(cleaned["email"])
    node = Distributor.objects.select_for_update(no_key=True).filter(pk=distributor.pk).first()
    if node is None:
        raise NotFound(_("The distributor does not exist."), field="distributor")
    if "email" in cleaned and email_in_use(cleaned["email"], exclude_pk=node.pk):
        if staff:
            raise Conflict(_("Another distributor has this email address."), field="email")
        raise address_unavailable(
            reason=REASON_DISTRIBUTOR, email=cleaned["email"], actor=actor, operation="profile"
        )
    if "external_id" in cleaned and (
        Distributor.objects.filter(external_id=cleaned["external_id"]).exclude(pk=node.pk).exists()
    ):
        raise Conflict(_("A distributor with this external id already exists."), field="external_id")
    if "user" in changes:
        user = changes["user"]
        if user is not None and Distributor.objects.filter(user=user).exclude(pk=node.pk).exists():
            raise Conflict(_("That user is already linked to a distributor."), field="user")
        cleaned["user"] = user
    changed = [name for name, value in cleaned.items() if getattr(node, name) != value]
    if not changed:
        return node
    if "email" in changed and "user" not in changed:
        _login_follow_email(node, old_email=node.email, new_email=cleaned["email"], actor=actor)
        _email_changed_notify(node, old_email=node.email)
    for name in changed:
        setattr(node, name, cleaned[name])
    node.save(update_fields=[*changed, "updated_at"])
    audit_record(actor=actor, action="distributor.update_profile", target=node, data={"fields": changed})
    return node


def _login_follow_email(node: Distributor, *, old_email: str, new_email: str, actor: Any) -> None:
    """The distributor's login (username = e-mail) moves to the new address with them."""
    if node.user_id is None:
        return
    User = get_user_model()
    user = User.objects.select_for_update(no_key=True).get(pk=node.user_id)
    fields = []
    if user.get_username().lower() == old_email.lower():
        if User.objects.filter(username__iexact=new_email).exclude(pk=user.pk).exists():
            raise address_unavailable(reason=REASON_LOGIN, email=new_email, actor=actor, operation="profile")
        setattr(user, User.USERNAME_FIELD, new_email)
        fields.append(User.USERNAME_FIELD)
    if (user.email or "").lower() != new_email:
        user.email = new_email
        fields.append("email")
    if fields:
        user.save(update_fields=fields)
    if User.USERNAME_FIELD in fields:
        # A new login name: no app keeps a session opened under the old one.
        user_tokens_revoke(user=user)


def _email_changed_notify(node: Distributor, *, old_email: str) -> None:
    """After commit, in the background: tell the old address of the login that it changed."""
    if node.user_id is None or not old_email:
        return
    from ..tasks import send_email_changed_notice

    user_id = node.user_id
    language = invitation_language(country=node.country, requested=translation.get_language())
    # robust: a mail server down never fails the change.
    transaction.on_commit(lambda: send_email_changed_notice.delay(user_id, old_email, language), robust=True)
