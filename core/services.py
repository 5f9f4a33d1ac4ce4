"""Writes every app shares: the audit trail."""

from __future__ import annotations

from typing import Any

from django.db import models

from core.models import AuditEntry


def audit_record(
    *, actor: Any, action: str, target: models.Model, reason: str = "", data: dict | None = None
) -> AuditEntry:
    """Record an administrative act. Call it inside the service's own transaction."""
    user = actor if getattr(actor, "pk", None) and getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:255],
        reason=reason,
        data=data or {},
    )
