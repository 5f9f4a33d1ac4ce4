"""Housekeeping tasks of the shared pieces."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from core.models import IdempotencyKey

IDEMPOTENCY_KEY_DAYS = 7


@shared_task(name="core.tasks.purge_idempotency_keys")
def purge_idempotency_keys(days: int = IDEMPOTENCY_KEY_DAYS) -> int:
    """Forget Idempotency-Key answers older than `days`: clients retry within minutes, not weeks."""
    cutoff = timezone.now() - dt.timedelta(days=days)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
