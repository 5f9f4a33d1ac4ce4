"""Writes to logins: a password the user chose themselves, the tokens issued to them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from core.errors import ApplicationError
from core.services import audit_record


def actor_is_staff(actor: Any) -> bool:
    """Whether the acting login is staff; None (the system, a command) and anonymous are not."""
    return bool(actor is not None and getattr(actor, "is_staff", False))


def user_tokens_revoke(*, user: Any) -> int:
    """Blacklist every refresh token issued to the user so far (one bulk write); how many were
    still live. Their access tokens live on until they expire unless the password changed too."""
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    revoked = BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
    return len(revoked)


@transaction.atomic
def user_password_change(*, user: Any, new_password: str, actor: Any) -> None:
    """Set a new password (Django's validators) and revoke every token issued before it.

    Access tokens carry a hash of the password they were issued under (simplejwt's
    CHECK_REVOKE_TOKEN), so they stop working at once; refresh tokens are blacklisted too.
    The caller has checked the current password (axes-protected, at the edge that has the request).
    """
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ApplicationError(" ".join(exc.messages), field="new_password") from None
    if user.check_password(new_password):
        raise ApplicationError(_("Choose a password other than your current one."), field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    user_tokens_revoke(user=user)
    audit_record(actor=actor, action="user.password_change", target=user)
