"""Writes every app shares: the audit trail."""

from __future__ import annotations

from typing import Any

from django.db import connection, models, transaction

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


def audit_pseudonymise_target(*, target: models.Model, new_repr: str) -> int:
    """Erasure (GDPR): earlier entries about `target` show `new_repr` instead of the person's name.

    The only change the database lets anyone make to an audit entry, and only inside the
    erasing service's transaction (a transaction-local setting the trigger checks).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_pseudonymise_target must run inside the erasing transaction")
    entries = AuditEntry.objects.filter(
        target_type=target._meta.label_lower, target_id=str(target.pk)
    ).exclude(target_repr=new_repr[:255])
    if connection.vendor != "postgresql":
        return entries.update(target_repr=new_repr[:255])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL backoffice.audit_erasure = 'on'")
        try:
            return entries.update(target_repr=new_repr[:255])
        finally:
            cursor.execute("SET LOCAL backoffice.audit_erasure = 'off'")
