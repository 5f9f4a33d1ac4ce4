"""Periods: open -> closing (while the final close runs) -> closed. A closed period never changes.

The period lock: every write dated into a period (an order, a return, an adjustment, the import)
checks and share-locks the period's state here; the close (commissions.close) changes it.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from core.errors import Conflict
from core.periods import next_period, period_label
from plans.models import Period, PeriodStatus


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
    """The status of the period, share-locked, as a write into it sees it: the status of the first
    later period that is closed or closing if there is one (see period_status_locked). One query."""
    table = connection.ops.quote_name(Period._meta.db_table)
    column = connection.ops.quote_name(Period._meta.get_field("start").column)
    frozen = (PeriodStatus.CLOSED.value, PeriodStatus.CLOSING.value)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.status, (SELECT l.status FROM {table} l WHERE l.{column} > p.{column} "
            f"AND l.status IN (%s, %s) ORDER BY l.{column} LIMIT 1) "
            f"FROM {table} p WHERE p.{column} = %s FOR SHARE OF p",
            [*frozen, start],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    status, later = row
    return later if status == PeriodStatus.OPEN and later is not None else status


def period_status_locked(start: dt.date) -> str:
    """The status of the period starting at `start`, its row held in SHARE mode until this
    transaction ends (the row is created open on first use, so there is always one to lock).

    A month before a closed or closing one has that status too, whatever its row says (a month
    nothing was written into, then a back-dated write): periods close in order, so it could never
    close, and every later month's close would wait for it (close_start).

    Every write dated into a period takes it first. Starting a final close locks the row FOR NO
    KEY UPDATE, which conflicts with SHARE: the close waits for writers in flight, and writers
    that come after it wait for its commit and then read `closing`. So no order, return or
    adjustment commits into a period after its close began reading. On SQLite (the demo) there is
    no FOR SHARE, and none is needed: the database serialises writers itself.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("period_status_locked must be called inside transaction.atomic()")
    if connection.vendor != "postgresql":
        status = period_get_or_create(start=start).status
        later = later_frozen_period(start) if status == PeriodStatus.OPEN else None
        return later.status if later is not None else status
    shared_status = _status_for_share(start)
    if shared_status is None:  # the first write of the month: create its row, then lock it
        period_get_or_create(start=start)
        shared_status = _status_for_share(start)
    assert shared_status is not None  # a period row is never deleted
    return shared_status


def period_table_lock() -> None:
    """Hold back the creation of Period rows until this transaction ends, and wait for creations in
    flight (SHARE ROW EXCLUSIVE: row locks taken by writers, FOR SHARE, pass). A final close's start
    takes it; no-op on SQLite, which serialises writers itself."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"LOCK TABLE {connection.ops.quote_name(Period._meta.db_table)} IN SHARE ROW EXCLUSIVE MODE"
            )


def newest_frozen_period() -> Period | None:
    """The newest period that is closed or closing, if any."""
    return (
        Period.objects.filter(status__in=[PeriodStatus.CLOSED, PeriodStatus.CLOSING])
        .order_by("-start")
        .first()
    )


def later_frozen_period(start: dt.date) -> Period | None:
    """The first period after `start` that is closed or closing, if any."""
    return (
        Period.objects.filter(start__gt=start, status__in=[PeriodStatus.CLOSED, PeriodStatus.CLOSING])
        .order_by("start")
        .first()
    )


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
