"""Sending one notification at most once: claim a row, send, mark it sent.

For each (kind, event key, address) a `Notification` row is created (committed) *before* the mail
goes out, and marked sent after. A second attempt at the same event, by a receiver that fired
twice, a beat that ran twice, or Celery delivering a task again (acks late), finds the row and
sends nothing. The one window is a worker killed between handing the mail to the backend and
marking the row: the row stays "pending" and is never sent again. That is at-most-once on
purpose: a missed notice is better than the same mail twice, and the admin lists such rows
("Sending (or the worker stopped while sending)") for anyone who wants to look. A backend that
*raises* did not send: the row is marked failed and the next attempt (the task's retry) sends it.

Preferences are read here, at the moment of sending: a kind switched off is recorded as skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from core.accounts.mail import public_url

from .models import Notification, NotificationStatus
from .selectors import email_normalise, mail_language, stored_languages, switched_off
from .tokens import unsubscribe_url

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    """One notification to one person. `context` holds plain values (names, amounts, dates, paths);
    `country`: the person's (or their distributor's) country, for the language when none is chosen."""

    kind: str
    event_key: str
    email: str
    name: str = ""
    country: str | None = None
    context: dict[str, Any] = field(default_factory=dict)


def render(mail: Mail, *, email: str, language: str) -> EmailMultiAlternatives:
    """The message in `language`: templates/notifications/email/<kind>_subject.txt, _body.txt,
    and the HTML body (base.html around the same text), with the unsubscribe link and headers."""
    unsubscribe = unsubscribe_url(email, mail.kind)
    with translation.override(language):
        context = {
            **mail.context,
            "name": mail.name,
            "kind": mail.kind,
            "unsubscribe_url": unsubscribe,
            "preferences_url": public_url(reverse("portal:profile-notifications")),
            "site_url": public_url("/"),
        }
        subject = " ".join(render_to_string(f"notifications/email/{mail.kind}_subject.txt", context).split())
        body = render_to_string(f"notifications/email/{mail.kind}_body.txt", context)
        html = render_to_string(
            "notifications/email/base.html", {**context, "subject": subject, "body": body}
        )
    message = EmailMultiAlternatives(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [email],
        headers={
            # RFC 2369 and RFC 8058: mail clients offer "Unsubscribe" and POST to the link in one click.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def _claim(mail: Mail, email: str, language: str, status: str) -> Notification | None:
    """The row of this event for this address, created now (ours to send), or None when another
    attempt has it already (sent, sending, skipped). A failed row is taken over once."""
    try:
        with transaction.atomic():
            return Notification.objects.create(
                kind=mail.kind,
                event_key=mail.event_key[:120],
                email=email,
                language=language,
                status=status,
                attempts=0 if status == NotificationStatus.SKIPPED else 1,
            )
    except IntegrityError:
        pass
    row = Notification.objects.filter(kind=mail.kind, event_key=mail.event_key[:120], email=email).first()
    if row is None or row.status != NotificationStatus.FAILED or status == NotificationStatus.SKIPPED:
        return None
    taken = Notification.objects.filter(pk=row.pk, status=NotificationStatus.FAILED).update(
        status=NotificationStatus.PENDING, attempts=F("attempts") + 1, language=language
    )
    # Nothing updated: another attempt took it over first.
    return row if taken == 1 else None


def deliver(
    mail: Mail,
    *,
    off: set[str] | None = None,
    languages: dict[str, str] | None = None,
    connection: Any = None,
) -> str:
    """Send `mail` unless it was sent (or is being sent) already. Returns what happened: "sent",
    "skipped" (switched off), "duplicate", "no-address" or "failed". `off` and `languages` are
    the batch's preferences when the caller read them for many at once."""
    email = email_normalise(mail.email)
    if not email:
        return "no-address"
    if off is None:
        off = switched_off([email], mail.kind)
    if languages is None:
        languages = stored_languages([email])
    language = mail_language(email, country=mail.country, stored=languages)
    if email in off:
        _claim(mail, email, language, NotificationStatus.SKIPPED)
        return "skipped"
    row = _claim(mail, email, language, NotificationStatus.PENDING)
    if row is None:
        return "duplicate"
    try:
        message = render(mail, email=email, language=language)
        message.connection = connection
        message.send()
    except Exception as error:  # the backend did not take it: a later attempt may send it
        logger.warning("notification %s to %s failed: %s", mail.event_key, email, error)
        Notification.objects.filter(pk=row.pk).update(
            status=NotificationStatus.FAILED, error=str(error)[:2000]
        )
        return "failed"
    Notification.objects.filter(pk=row.pk).update(
        status=NotificationStatus.SENT, sent_at=timezone.now(), subject=message.subject[:255], error=""
    )
    return "sent"


def deliver_many(mails: list[Mail], *, connection: Any = None) -> dict[str, int]:
    """Send a batch (one kind or several): the preferences and languages read once per kind."""
    counts: dict[str, int] = {}
    emails = {email_normalise(m.email) for m in mails} - {""}
    languages = stored_languages(emails)
    off_by_kind: dict[str, set[str]] = {}
    for mail in mails:
        if mail.kind not in off_by_kind:
            off_by_kind[mail.kind] = switched_off(emails, mail.kind)
        outcome = deliver(mail, off=off_by_kind[mail.kind], languages=languages, connection=connection)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
