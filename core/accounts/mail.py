"""E-mails with a link to set a password, sent through Django's mail API (settings.EMAIL_BACKEND).

The link is built from settings.PUBLIC_URL, never from the request's Host header, and the
e-mail is written in the language it is sent in (translation.override).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


def public_url(path: str) -> str:
    return settings.PUBLIC_URL.rstrip("/") + path


def password_link(user: Any, url_name: str, generator: PasswordResetTokenGenerator) -> str:
    """The absolute, single-use link of `url_name` (an account page taking uidb64 and token)."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    return public_url(reverse(url_name, kwargs={"uidb64": uidb64, "token": generator.make_token(user)}))


def account_mail_send(
    *, user: Any, template: str, context: dict[str, Any], language: str, to: str | None = None
) -> None:
    """Render templates/account/email/<template>_subject.txt and _body.txt in `language`, send
    to `to` (else the user's address)."""
    with translation.override(language):
        context = {**context, "user": user, "reset_url": public_url(reverse("account:password-reset"))}
        subject = " ".join(render_to_string(f"account/email/{template}_subject.txt", context).split())
        body = render_to_string(f"account/email/{template}_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to or user.email])


def password_reset_send(user: Any, language: str | None = None) -> None:
    """The "Forgot your password?" mail: a link to choose a new one, valid PASSWORD_RESET_TIMEOUT."""
    account_mail_send(
        user=user,
        template="password_reset",
        context={
            "link": password_link(user, "account:password-reset-confirm", default_token_generator),
            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        },
        language=language or translation.get_language() or settings.LANGUAGE_CODE,
    )


def email_changed_notice_send(user: Any, old_email: str, language: str) -> None:
    """Tell the OLD address that the login's address changed: the owner learns of a takeover."""
    account_mail_send(
        user=user, template="email_changed", context={"old_email": old_email}, language=language, to=old_email
    )
