"""A person's part of the GDPR export held by this app: their notification preferences, the
language of their mails and the notifications sent to their address (keyed by the address)."""

from __future__ import annotations

from typing import Any

from core.personal_data import PersonalDataPart, rows

from .models import MailLanguage, Notification, NotificationPreference
from .selectors import email_normalise


def email_part(email: str) -> PersonalDataPart:
    email = email_normalise(email)
    language = MailLanguage.objects.filter(email=email).values_list("language", flat=True).first()
    sections: dict[str, Any] = {
        "notification_settings": {
            "email": email,
            "language": language,
            "preferences": rows(
                NotificationPreference.objects.filter(email=email).order_by("kind"),
                "kind", "enabled", "updated_at",
            ),
        },
        "notifications": rows(
            Notification.objects.filter(email=email).order_by("created_at", "pk"),
            "kind", "event_key", "subject", "language", "status", "created_at", "sent_at",
        ),
    }  # fmt: skip
    return PersonalDataPart(sections=sections)


def distributor_part(distributor: Any) -> PersonalDataPart:
    # The address as stored now (the caller's object may predate an erasure).
    email = type(distributor).objects.filter(pk=distributor.pk).values_list("email", flat=True).first()
    return email_part(email or "")


def customer_part(customer: Any) -> PersonalDataPart:
    email = type(customer).objects.filter(pk=customer.pk).values_list("email", flat=True).first()
    return email_part(email) if email else PersonalDataPart(sections={})
