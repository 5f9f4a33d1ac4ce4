"""The distributor agreement and policies, versioned (imported by distributors.models).

A version is drafted, then published; once published its text never changes, a newer version
supersedes it. The current version is the published one with the highest number. A distributor
accepts a version once (one row per distributor and version, kept by the database); the history is
append-only: written by `distributors.services.agreements` and never edited or deleted.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ClauseKind(models.TextChoices):
    INDEPENDENT_CONTRACTOR = "independent_contractor", _("Independent contractor")
    SELF_BILLING = "self_billing", _("Consent to self-billing")
    POLICY = "policy", _("Policy")


# A version cannot be published without these clauses (the and the tax office's terms).
REQUIRED_CLAUSES = (ClauseKind.INDEPENDENT_CONTRACTOR, ClauseKind.SELF_BILLING)
LANGUAGES = ("en", "nl")


class AgreementVersion(models.Model):
    number = models.PositiveIntegerField(_("version"))
    label = models.CharField(_("label"), max_length=40, blank=True, help_text=_("For example 2027-01."))
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_nl = models.CharField(_("title (Dutch)"), max_length=200)
    body_en = models.TextField(_("introduction and policies (English)"), blank=True)
    body_nl = models.TextField(_("introduction and policies (Dutch)"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("published by"),
    )

    class Meta:
        verbose_name = _("agreement version")
        verbose_name_plural = _("agreement versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["number"], name="agreement_version_number_unique"),
        ]

    def __str__(self) -> str:
        return gettext("Distributor agreement, version %(number)s") % {"number": self.number}

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def title_in(self, language: str) -> str:
        return self.title_nl if language == "nl" else self.title_en

    def body_in(self, language: str) -> str:
        return self.body_nl if language == "nl" else self.body_en

    def text_hash(self, language: str, clauses: list[AgreementClause] | None = None) -> str:
        """SHA-256 of the exact text a reader in this language is shown (title, body, clauses)."""
        if clauses is None:
            clauses = list(self.clauses.all())
        content = {
            "version": self.number,
            "language": language,
            "title": self.title_in(language),
            "body": self.body_in(language),
            "clauses": [
                {"kind": c.kind, "title": c.title_in(language), "text": c.text_in(language)}
                for c in sorted(clauses, key=lambda c: (c.position, c.pk or 0))
            ],
        }
        canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class AgreementClause(models.Model):
    """One clause the reader confirms on its own (a checkbox each)."""

    version = models.ForeignKey(
        AgreementVersion, on_delete=models.CASCADE, related_name="clauses", verbose_name=_("version")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=32, choices=ClauseKind.choices, default=ClauseKind.POLICY)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_nl = models.CharField(_("title (Dutch)"), max_length=200)
    text_en = models.TextField(_("text (English)"))
    text_nl = models.TextField(_("text (Dutch)"))

    class Meta:
        verbose_name = _("agreement clause")
        verbose_name_plural = _("agreement clauses")
        ordering = ["version", "position", "id"]

    def __str__(self) -> str:
        return self.title_en

    def title_in(self, language: str) -> str:
        return self.title_nl if language == "nl" else self.title_en

    def text_in(self, language: str) -> str:
        return self.text_nl if language == "nl" else self.text_en


class AcceptanceChannel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    API = "api", _("API")
    PAPER = "paper", _("Paper signature recorded by staff")


class AgreementAcceptance(models.Model):
    """Evidence that a distributor accepted one version: when, who clicked (the distributor's user,
    or the staff member recording a paper signature), how, and the hash of the exact text."""

    distributor = models.ForeignKey(
        "distributors.Distributor",
        on_delete=models.PROTECT,
        related_name="agreement_acceptances",
        verbose_name=_("distributor"),
    )
    version = models.ForeignKey(
        AgreementVersion, on_delete=models.PROTECT, related_name="acceptances", verbose_name=_("version")
    )
    accepted_at = models.DateTimeField(_("accepted at"))
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=AcceptanceChannel.choices)
    language = models.CharField(_("language"), max_length=8)
    text_hash = models.CharField(_("hash of the accepted text"), max_length=64)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=400, blank=True)
    note = models.CharField(
        _("note"),
        max_length=255,
        blank=True,
        help_text=_("For a paper signature: where the signed copy is kept."),
    )

    class Meta:
        verbose_name = _("agreement acceptance")
        verbose_name_plural = _("agreement acceptances")
        ordering = ["-accepted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["distributor", "version"], name="agreement_acceptance_once_per_version"
            ),
        ]

    def __str__(self) -> str:
        # No name: this text stays in the audit trail after the person is erased.
        return gettext("Agreement acceptance #%(id)s") % {"id": self.pk}
