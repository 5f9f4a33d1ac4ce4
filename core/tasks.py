"""Housekeeping tasks of the shared pieces."""

from __future__ import annotations

import datetime as dt
from smtplib import SMTPException

from celery import shared_task
from django.contrib.auth import get_user_model
from django.utils import timezone

from core.models import IdempotencyKey

IDEMPOTENCY_KEY_DAYS = 7
# Every task that sends an e-mail: redelivered if its worker dies, retried while the mail server is
# unreachable (each task makes its send idempotent or harmless to repeat).
MAIL_TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(name="core.tasks.purge_idempotency_keys")
def purge_idempotency_keys(days: int = IDEMPOTENCY_KEY_DAYS) -> int:
    """Forget Idempotency-Key answers older than `days`: clients retry within minutes, not weeks."""
    cutoff = timezone.now() - dt.timedelta(days=days)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@shared_task(
    name="core.tasks.send_password_reset",
    **MAIL_TASK_OPTIONS,
)
def send_password_reset(user_id: int, language: str | None) -> bool:
    """E-mail the "Forgot your password?" link; False if the login is gone or deactivated."""
    from core.accounts.mail import password_reset_send

    user = get_user_model()._default_manager.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    password_reset_send(user, language)
    return True
