import pgtrigger
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class AuditEntry(models.Model):
    """An immutable record of an administrative act: who, when, what, why.

    Written by services (moves, terminations, adjustments, buy-back decisions, plan changes,
    closes); never updated or deleted (a database trigger refuses it on PostgreSQL).
    """

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.CharField(_("target type"), max_length=64)
    target_id = models.CharField(_("target id"), max_length=64)
    target_repr = models.CharField(_("target"), max_length=255, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]
        verbose_name_plural = _("audit entries")
        triggers = [
            # Append-only. The one change allowed is erasure's (GDPR): while the transaction-local
            # setting `backoffice.audit_erasure` is on, `target_repr` may be pseudonymised and
            # nothing else may change (core.services.audit_pseudonymise_target).
            pgtrigger.Trigger(
                name="core_audit_entry_immutable",
                when=pgtrigger.Before,
                operation=pgtrigger.Update | pgtrigger.Delete,
                func="""
                IF TG_OP = 'UPDATE' AND current_setting('backoffice.audit_erasure', true) = 'on'
                   AND NEW.id = OLD.id AND NEW.created_at = OLD.created_at
                   AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id AND NEW.action = OLD.action
                   AND NEW.target_type = OLD.target_type AND NEW.target_id = OLD.target_id
                   AND NEW.reason = OLD.reason AND NEW.data = OLD.data THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION 'audit entries are immutable (% refused)', TG_OP
                    USING ERRCODE = 'integrity_constraint_violation';
                """,
            )
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_repr or self.target_id}"


class IdempotencyKey(models.Model):
    """The first answer to a POST sent with an Idempotency-Key, replayed to its retries.

    Unique per (user, key, method, path): a concurrent retry waits on this constraint until the
    first request commits, then replays its answer, so one object is ever created. Only
    successful answers are kept; a refused request leaves no row and may be retried corrected.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    key = models.CharField(_("key"), max_length=255)
    method = models.CharField(_("HTTP method"), max_length=8)
    path = models.CharField(_("path"), max_length=255)
    request_hash = models.CharField(_("request hash"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key", "method", "path"], name="idempotency_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
