"""Periods: open -> closing (while the final close runs) -> closed. A closed period never changes."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

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


def period_ensure_open(*, start: dt.date, what: str) -> Period:
    """The period, refused with a clear message unless it is open."""
    period = period_get_or_create(start=start)
    if period.status != PeriodStatus.OPEN:
        raise Conflict(
            f"{what}: period {period_label(start)} is {period.status}; a closed period never changes, "
            f"so use {period_label(next_period(start))} or later.",
            field="period",
        )
    return period
