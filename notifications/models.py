"""E-mail notifications: what was sent to whom for which event, and what each person wants.

People are keyed by their e-mail address, normalised (stripped, lower case): distributors have a
login, customers and hosts have none, and one person can be both.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    """Each kind is one switch on the preferences page (defaults on)."""

    NEW_FRONTLINE_MEMBER = "new_frontline_member", _("A new member in my frontline")
    RANK_ADVANCEMENT = "rank_advancement", _("My rank advancement")
    STATEMENT_READY = "statement_ready", _("My monthly statement is ready")
    BUYBACK_DECIDED = "buyback_decided", _("A decision on my buy-back request")
    DEMONSTRATION_REMINDER = "demonstration_reminder", _("Reminder of a demonstration")
    AUTOSHIP_COMING = "autoship_coming", _("My autoship order is coming")
    AUTOSHIP_PAYMENT_FAILED = "autoship_payment_failed", _("The payment of my autoship failed")
    CLOSE_FINISHED = "close_finished", _("A commission close finished (staff)")


# What a distributor can switch on the portal and through the API (staff-only kinds left out).
DISTRIBUTOR_KINDS = [kind for kind in NotificationKind if kind != NotificationKind.CLOSE_FINISHED]


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Sending (or the worker stopped while sending)")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed (will be tried again)")
    SKIPPED = "skipped", _("Not sent: switched off")


class Notification(models.Model):
    """One mail for one event to one address. The row is created before sending and marked sent
    after: the unique (kind, event key, address) makes a second send of the same event find it."""

    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    event_key = models.CharField(_("event"), max_length=120)
    email = models.EmailField(_("e-mail address"))
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "event_key", "email"], name="notification_once_per_event"
            ),
        ]
        indexes = [models.Index(fields=["email", "-created_at"], name="notification_email_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.email} ({self.event_key})"


class NotificationPreference(models.Model):
    """A kind switched on or off for an address (no row: on)."""

    email = models.EmailField(_("e-mail address"))
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    enabled = models.BooleanField(_("wanted"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        ordering = ["email", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["email", "kind"], name="notificationpreference_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.email}: {self.get_kind_display()}"


class MailLanguage(models.Model):
    """The language an address wants its mails in (no row: from the distributor's country)."""

    email = models.EmailField(_("e-mail address"), unique=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("language of the mails")
        verbose_name_plural = _("languages of the mails")
        ordering = ["email"]

    def __str__(self) -> str:
        return f"{self.email}: {self.language}"
