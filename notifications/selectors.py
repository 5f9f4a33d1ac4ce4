"""Reads of the notifications app: what an address wants, in which language."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from .models import DISTRIBUTOR_KINDS, MailLanguage, Notification, NotificationKind, NotificationPreference

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def email_normalise(email: str | None) -> str:
    """The key of a person's preferences: the address stripped and in lower case."""
    return (email or "").strip().lower()


def language_of_country(country: str | None) -> str | None:
    """The language a distributor's country suggests (NL → Dutch), else None."""
    return "nl" if (country or "").upper() == "NL" and "nl" in LANGUAGE_CODES else None


@dataclass(frozen=True)
class Preferences:
    email: str
    language: str | None  # stored; None: the mails follow the country or the site's language
    kinds: dict[str, bool]  # every kind shown, True unless switched off


def preferences_of(email: str, kinds: Iterable[str] = DISTRIBUTOR_KINDS) -> Preferences:
    email = email_normalise(email)
    off = set(
        NotificationPreference.objects.filter(email=email, enabled=False).values_list("kind", flat=True)
    )
    language = MailLanguage.objects.filter(email=email).values_list("language", flat=True).first()
    return Preferences(email=email, language=language, kinds={str(kind): kind not in off for kind in kinds})


def switched_off(emails: Iterable[str], kind: str) -> set[str]:
    """Which of these (normalised) addresses switched `kind` off: one query."""
    return set(
        NotificationPreference.objects.filter(email__in=list(emails), kind=kind, enabled=False).values_list(
            "email", flat=True
        )
    )


def stored_languages(emails: Iterable[str]) -> dict[str, str]:
    """The language each of these (normalised) addresses chose, where it chose one: one query."""
    return dict(MailLanguage.objects.filter(email__in=list(emails)).values_list("email", "language"))


def mail_language(email: str, *, country: str | None = None, stored: dict[str, str] | None = None) -> str:
    """The recipient's language: the one they chose; else their (or their distributor's) country's;
    else the site's (settings.LANGUAGE_CODE)."""
    email = email_normalise(email)
    chosen = stored.get(email) if stored is not None else stored_languages([email]).get(email)
    return chosen or language_of_country(country) or settings.LANGUAGE_CODE


def notifications_of(email: str) -> QuerySet[Notification]:
    return Notification.objects.filter(email=email_normalise(email))


def kind_label(kind: str) -> str:
    return str(NotificationKind(kind).label)
