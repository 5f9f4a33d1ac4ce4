"""Celery tasks of the notifications: each takes ids, builds the event's mails and delivers them.

Idempotent: delivery.py sends each (kind, event, address) once, so a task delivered again (acks
late, a worker killed) or a receiver fired twice sends nothing twice. A mail the backend refused
(SMTP down, the provider's API failing) is marked failed and the task retried: the retry sends
only what was not sent. With no broker (the demo) tasks run in-process.
"""

from __future__ import annotations

import datetime as dt
from smtplib import SMTPException
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import get_connection
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from . import events
from .delivery import Mail, deliver_many


class DeliveryFailed(Exception):
    """Some mails of a task were refused by the backend: retried, the sent ones are not sent again."""


COMMON: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (
        OperationalError,
        InterfaceError,
        SMTPException,
        ConnectionError,
        TimeoutError,
        DeliveryFailed,
    ),
    "retry_backoff": 30,
    "max_retries": 6,
}


def _send(mails: list[Mail]) -> dict[str, int]:
    if not mails:
        return {}
    # One connection for the batch (one SMTP session, or one provider client).
    with get_connection() as connection:
        counts = deliver_many(mails, connection=connection)
    if counts.get("failed"):
        raise DeliveryFailed(f"{counts['failed']} of {len(mails)} mails were not accepted")
    return counts


@shared_task(name="notifications.tasks.new_frontline_member", **COMMON)
def new_frontline_member(distributor_id: int) -> dict[str, int]:
    return _send(events.new_frontline_member(distributor_id))


@shared_task(name="notifications.tasks.buyback_decided", **COMMON)
def buyback_decided(request_id: int) -> dict[str, int]:
    return _send(events.buyback_decided(request_id))


@shared_task(name="notifications.tasks.autoship_payment_failed", **COMMON)
def autoship_payment_failed(
    subscription_id: int, order_id: int, attempt: int, next_attempt_at: str | None
) -> dict[str, int]:
    retry_at = dt.datetime.fromisoformat(next_attempt_at) if next_attempt_at else None
    return _send(events.autoship_payment_failed(order_id, attempt, retry_at, subscription_id))


@shared_task(name="notifications.tasks.demonstration_reminders", **COMMON)
def demonstration_reminders() -> dict[str, int]:
    """Beat, hourly: demonstrations held within the reminder hours (each reminded once)."""
    hours = settings.NOTIFICATIONS_DEMONSTRATION_REMINDER_HOURS
    return _send(list(events.demonstration_reminders(timezone.now(), hours)))


@shared_task(name="notifications.tasks.autoship_reminders", **COMMON)
def autoship_reminders(day: str | None = None) -> dict[str, int]:
    """Beat, daily: the autoship orders made NOTIFICATIONS_AUTOSHIP_NOTICE_DAYS from today."""
    if day is None:
        today = timezone.localdate()
        target = today + dt.timedelta(days=settings.NOTIFICATIONS_AUTOSHIP_NOTICE_DAYS)
    else:
        target = dt.date.fromisoformat(day)
    return _send(list(events.autoship_coming(target)))


@shared_task(name="notifications.tasks.close_notifications", **COMMON)
def close_notifications(run_id: int) -> int:
    """After a final close: "close finished" to staff, then one task per chunk of distributor ids
    (NOTIFICATIONS_CHUNK_SIZE) for the statements and rank advancements. Returns the chunks queued."""
    run = events.final_run(run_id)
    if run is None:
        return 0
    _send(events.close_finished(run))
    bounds = events.distributor_id_bounds(run)
    if bounds is None:
        return 0
    size = max(1, settings.NOTIFICATIONS_CHUNK_SIZE)
    chunks = 0
    for low in range(bounds[0], bounds[1] + 1, size):
        close_notifications_chunk.delay(run_id, low, low + size)
        chunks += 1
    return chunks


@shared_task(name="notifications.tasks.close_notifications_chunk", **COMMON)
def close_notifications_chunk(run_id: int, low: int, high: int) -> dict[str, int]:
    run = events.final_run(run_id)
    if run is None:
        return {}
    return _send(events.close_chunk(run, low, high))
