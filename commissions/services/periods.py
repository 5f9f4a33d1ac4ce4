"""Periods: open -> closing (while the final close runs) -> closed. A closed period never changes."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from commissions.models import Period, PeriodStatus
from core.errors import Conflict
from core.periods import next_period, period_label


def period_get_or_create(*, start: dt.date) -> Period:
    """The Period row of the month starting at `start` (created open on first use, race-free)."""
    period = Period.objects.filter(start=start).first()
    if period is not None:
        return period
    try:
        with transaction.atomic():
            return Period.objects.create(start=start, status=PeriodStatus.OPEN)
    except IntegrityError:
        return Period.objects.get(start=start)


def _status_for_share(start: dt.date) -> str | None:
    table = connection.ops.quote_name(Period._meta.db_table)
    column = connection.ops.quote_name(Period._meta.get_field("start").column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT status FROM {table} WHERE {column} = %s FOR SHARE", [start])
        row = cursor.fetchone()
    return row[0] if row else None


def period_status_locked(start: dt.date) -> str:
    """The status of the period starting at `start`, its row held in SHARE mode until this
    transaction ends (the row is created open on first use, so there is always one to lock).

    Every write dated into a period takes it first. Starting a final close locks the row FOR NO
    KEY UPDATE, which conflicts with SHARE: the close waits for writers in flight, and writers
    that come after it wait for its commit and then read `closing`. So no order, return or
    adjustment commits into a period after its close began reading. On SQLite (the demo) there is
    no FOR SHARE, and none is needed: the database serialises writers itself.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("period_status_locked must be called inside transaction.atomic()")
    if connection.vendor != "postgresql":
        return period_get_or_create(start=start).status
    status = _status_for_share(start)
    if status is None:  # the first write of the month: create its row, then lock it
        period_get_or_create(start=start)
        status = _status_for_share(start)
    assert status is not None  # a period row is never deleted
    return status


def period_ensure_open(*, start: dt.date, what: str) -> Period:
    """The period, refused with a clear message unless it is open; its row stays share-locked until
    this transaction ends (see period_status_locked), so a final close cannot start meanwhile."""
    status = period_status_locked(start)
    if status != PeriodStatus.OPEN:
        if status == PeriodStatus.CLOSED:
            message = _(
                "%(what)s: period %(period)s is closed; a closed period never changes, "
                "so use %(next)s or later."
            )
        else:
            message = _(
                "%(what)s: period %(period)s is closing; a closed period never changes, "
                "so use %(next)s or later."
            )
        raise Conflict(
            message % {"what": what, "period": period_label(start), "next": period_label(next_period(start))},
            field="period",
        )
    return Period.objects.get(start=start)
