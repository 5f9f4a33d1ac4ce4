"""The unsubscribe link of every mail: a signed (address, kind), no login, no expiry (a link in an
old mail keeps working; it can do nothing but switch that one kind off for that one address)."""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

from core.accounts.mail import public_url

from .models import NotificationKind

SALT = "notifications.unsubscribe"


def unsubscribe_token(email: str, kind: str) -> str:
    return signing.dumps({"e": email, "k": kind}, salt=SALT, compress=True)


def unsubscribe_read(token: str) -> tuple[str, str] | None:
    """(address, kind) of a valid token, else None."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("k") not in NotificationKind.values:
        return None
    email = data.get("e")
    return (email, data["k"]) if isinstance(email, str) and email else None


def unsubscribe_url(email: str, kind: str) -> str:
    return public_url(reverse("notifications:unsubscribe", kwargs={"token": unsubscribe_token(email, kind)}))
